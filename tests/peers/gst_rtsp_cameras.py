#!/usr/bin/python3
"""Simulated IP cameras: a real third-party RTSP server (GStreamer gst-rtsp-server).

End-to-end tests use it as the "street camera" peer the recorder connects to. One
process serves several mounts, each streaming the same pre-encoded H.264 clip
(Annex-B) in an endless loop at real-time pace, with smooth synthetic timestamps:

    /usr/bin/python3 tests/peers/gst_rtsp_cameras.py --port 8554 \
        --clip assets/clips/demo-360p15.h264 --fps 15 \
        --mount cam1 --mount cam2 --mount cam3:user:secret

A mount spec is `name` (open) or `name:user:password` (RTSP digest auth; a wrong
password gets 401). `--h265-mount NAME` adds an open mount that encodes H.265 live
(x265, 320x240, keyframe every 2 s): GStreamer's own H.265 camera, for proving H.265
ingest; it costs a little CPU, unlike the replayed clip.

`--file-mount name=N,file=F,codec=h264|h265[,config-interval=K][,timestamp-offset=T]` serves a
muxed Matroska file once per client, with the timestamps the encoder gave it (B-frames and all),
as a camera does: `filesrc ! matroskademux ! h26Xparse ! rtph26Xpay`. config-interval 0 puts
the parameter sets only in the SDP, -1 (the default) also before every keyframe.
timestamp-offset is the first RTP timestamp (e.g. 2^32 - 3 * 90000 wraps after 3 s).

URLs are rtsp://127.0.0.1:PORT/NAME; UDP and TCP-interleaved
transports are both offered. The server binds 127.0.0.1 only. Once it listens it
prints exactly one line `READY` on stdout, which the harness waits for. SIGTERM or
SIGINT stops it with exit status 0; errors go to stderr with a non-zero status.
Tests simulate a camera outage by killing the process and starting it again on
the same port. Needs Debian's python3-gi, gir1.2-gst-rtsp-server-1.0 and
gstreamer1.0-plugins-{base,good,bad}, so run it with /usr/bin/python3.
"""

import argparse
import math
import signal
import sys
import time
from fractions import Fraction

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer
except (ImportError, ValueError) as e:
    sys.exit(f"gst_rtsp_cameras: {e} (run with Debian's /usr/bin/python3; needs python3-gi, "
             "gir1.2-gst-rtsp-server-1.0)")

LAUNCH = (
    "( appsrc name=src is-live=true format=time do-timestamp=false "
    "caps=video/x-h264,stream-format=byte-stream,alignment=au "
    "! h264parse ! rtph264pay pt=96 config-interval=1 name=pay0 )"
)
# A live H.265 camera: cheap at this size, and a peer for the recorder's H.265 path.
LAUNCH_H265 = (
    "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 "
    "! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=30 option-string={gop} "
    "! rtph265pay pt=96 config-interval=-1 name=pay0 )"
)
# Closed GOP: an IDR every 2 s. Open GOP: CRA pictures after the first IDR, which RTSP
# clients such as retina do not mark as random access points (mimamori does, issue 12).
LAUNCH_FILE = (
    "( filesrc location={file} ! matroskademux ! {codec}parse "
    "! rtp{codec}pay pt=96 config-interval={interval} {offset} name=pay0 )"
)
GOP_CLOSED = "open-gop=0:min-keyint=30"
GOP_OPEN = "open-gop=1"
# No random access point after the first IDR at all: a camera whose footage cannot be cut.
GOP_NONE = "keyint=-1:open-gop=0"
VCL = (1, 5)
# NAL types that start a new access unit when they follow a VCL NAL (H.264 7.4.1.2.3).
AU_STARTERS = {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}


def split_nals(data):
    """Yield NAL units (without start codes) of an Annex-B byte stream."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    for k, s in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else len(data)
        nal = data[s:end].rstrip(b"\x00")  # trailing_zero_8bits / 4-byte start codes
        if nal:
            yield nal


def read_ue(rbsp, bitpos=0):
    """Read one Exp-Golomb ue(v) value; return (value, new bit position)."""
    def bit(p):
        if p // 8 >= len(rbsp):
            raise ValueError("truncated Exp-Golomb code")
        return (rbsp[p // 8] >> (7 - p % 8)) & 1

    zeros = 0
    while bit(bitpos) == 0:
        zeros += 1
        bitpos += 1
        if zeros > 31:
            raise ValueError("invalid Exp-Golomb code")
    bitpos += 1
    suffix = 0
    for _ in range(zeros):
        suffix = (suffix << 1) | bit(bitpos)
        bitpos += 1
    return (1 << zeros) - 1 + suffix, bitpos


def first_mb_in_slice(nal):
    """ue(v) first_mb_in_slice: the slice header starts right after the NAL header byte."""
    rbsp, zeros = bytearray(), 0
    for b in nal[1:16]:
        if zeros >= 2 and b == 3:  # emulation_prevention_three_byte
            zeros = 0
            continue
        rbsp.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return read_ue(bytes(rbsp))[0]


def access_units(data):
    """Group NAL units into access units; return [(annexb_bytes, is_keyframe)]."""
    aus, cur, has_vcl = [], [], False

    def flush():
        if cur:
            aus.append((b"".join(b"\x00\x00\x00\x01" + n for n in cur),
                        any(n[0] & 0x1F == 5 for n in cur)))

    for nal in split_nals(data):
        t = nal[0] & 0x1F
        if t == 9 or (has_vcl and (t in AU_STARTERS or (t in VCL and first_mb_in_slice(nal) == 0))):
            flush()
            cur, has_vcl = [], False
        cur.append(nal)
        has_vcl = has_vcl or t in VCL
    flush()
    return aus


class Feeder:
    """Pushes the clip's access units into one media's appsrc at real-time pace."""

    def __init__(self, appsrc, aus, fps):
        self.appsrc, self.aus, self.fps = appsrc, aus, fps
        self.n = 0  # frames pushed so far; PTS keeps increasing across loops
        self.t0 = None
        self.timer = None
        self.stopped = False
        appsrc.connect("need-data", self.on_need_data)

    def pts(self, n):
        return int(n * Gst.SECOND / self.fps)

    def on_need_data(self, _src, _length):
        # First need-data: the pipeline is running; start the real-time clock.
        if self.t0 is None and not self.stopped:
            self.t0 = time.monotonic()
            GLib.idle_add(self.tick)

    def tick(self):
        self.timer = None
        if self.stopped:
            return False
        now = time.monotonic()
        if now - (self.t0 + self.n / self.fps) > 1.0:  # main loop stalled for long: skip ahead instead of bursting
            self.t0 = now - self.n / self.fps
        while not self.stopped and self.t0 + self.n / self.fps <= now:
            data, key = self.aus[self.n % len(self.aus)]
            buf = Gst.Buffer.new_wrapped(data)
            buf.pts = buf.dts = self.pts(self.n)
            buf.duration = self.pts(self.n + 1) - buf.pts
            if not key:
                buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
            if self.appsrc.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                self.stop()
            self.n += 1
        if not self.stopped:
            delay_ms = max(0, math.ceil((self.t0 + self.n / self.fps - time.monotonic()) * 1000))
            self.timer = GLib.timeout_add(delay_ms, self.tick)
        return False

    def stop(self, *_args):
        self.stopped = True
        if self.timer is not None:
            GLib.source_remove(self.timer)
            self.timer = None


def on_media_configure(_factory, media, aus, fps, feeders):
    media.set_reusable(False)
    feeder = Feeder(media.get_element().get_by_name("src"), aus, fps)
    feeders.add(feeder)

    def done(*_args):
        feeder.stop()
        feeders.discard(feeder)

    media.connect("unprepared", done)


def parse_mount(spec):
    parts = spec.split(":")
    if len(parts) not in (1, 3) or not parts[0] or (len(parts) == 3 and not parts[1]):
        raise argparse.ArgumentTypeError(f"bad mount spec {spec!r}: want NAME or NAME:USER:PASSWORD")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (parts[0], None, None)


def parse_file_mount(spec):
    try:
        fields = dict(kv.split("=", 1) for kv in spec.split(","))
        name, path, codec = fields.pop("name"), fields.pop("file"), fields.pop("codec")
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"bad file mount {spec!r}: want name=N,file=F,codec=C")
    if codec not in ("h264", "h265"):
        raise argparse.ArgumentTypeError(f"bad codec {codec!r}: want h264 or h265")
    interval = int(fields.pop("config-interval", "-1"))
    offset = fields.pop("timestamp-offset", None)
    if fields:
        raise argparse.ArgumentTypeError(f"unknown file mount keys {sorted(fields)}")
    launch = LAUNCH_FILE.format(
        file='"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"', codec=codec, interval=interval,
        offset=f"timestamp-offset={int(offset)}" if offset is not None else "")
    return name, launch


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clip", help="H.264 Annex-B elementary stream (for --mount)")
    ap.add_argument("--file-mount", type=parse_file_mount, action="append", default=[],
                    help="name=N,file=F,codec=h264|h265[,config-interval=K][,timestamp-offset=T]")
    ap.add_argument("--fps", type=Fraction, default=Fraction(15), help="e.g. 15 or 30000/1001")
    ap.add_argument("--mount", type=parse_mount, action="append", default=[],
                    help="NAME or NAME:USER:PASSWORD (digest auth)")
    ap.add_argument("--h265-mount", action="append", default=[],
                    help="NAME of an open mount that encodes H.265 live (IDR every 2 s)")
    ap.add_argument("--h265-open-gop-mount", action="append", default=[],
                    help="NAME of an open mount that encodes open-GOP H.265 (one IDR, then CRA)")
    ap.add_argument("--h265-no-keyframes-mount", action="append", default=[],
                    help="NAME of an open mount that encodes H.265 with one IDR and no other")
    args = ap.parse_args()
    if not (args.mount or args.h265_mount or args.h265_open_gop_mount
            or args.h265_no_keyframes_mount or args.file_mount):
        ap.error("give at least one --mount, --h265-mount or --file-mount")
    if args.mount and not args.clip:
        ap.error("--mount needs --clip")

    Gst.init(None)
    aus = []
    if args.mount:
        try:
            with open(args.clip, "rb") as f:
                aus = access_units(f.read())
        except (OSError, ValueError) as e:
            sys.exit(f"gst_rtsp_cameras: cannot load clip {args.clip}: {e}")
        if not aus or not aus[0][1]:
            sys.exit(f"gst_rtsp_cameras: {args.clip}: no access units or does not start with an IDR")
    if args.fps <= 0:
        sys.exit("gst_rtsp_cameras: --fps must be positive")

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    feeders = set()

    # With auth on, an unauthenticated client gets the "anonymous" default token. It may
    # see every mount (no access right -> 404) but only construct open ones, so a
    # protected mount answers 401 + digest challenge; a wrong password stays anonymous.
    auth, users = None, {}
    for _, user, password in args.mount:
        if user and users.setdefault(user, password) != password:
            sys.exit(f"gst_rtsp_cameras: user {user!r} given two different passwords")
    if users:
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        anon = GstRtspServer.RTSPToken()
        anon.set_string("media.factory.role", "anonymous")
        auth.set_default_token(anon)
        for user, password in users.items():
            token = GstRtspServer.RTSPToken()
            token.set_string("media.factory.role", "user:" + user)
            auth.add_digest(user, password, token)
        server.set_auth(auth)

    for name, user, _ in args.mount:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(LAUNCH)
        factory.set_shared(True)
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
        factory.connect("media-configure", on_media_configure, aus, args.fps, feeders)
        if auth is not None:
            perms = GstRtspServer.RTSPPermissions()
            for role in ["anonymous"] + ["user:" + u for u in users]:
                perms.add_permission_for_role(role, "media.factory.access", True)
                perms.add_permission_for_role(role, "media.factory.construct",
                                              user is None or role == "user:" + user)
            factory.set_permissions(perms)
        mounts.add_factory("/" + name, factory)

    h265 = ([(n, GOP_CLOSED) for n in args.h265_mount]
            + [(n, GOP_OPEN) for n in args.h265_open_gop_mount]
            + [(n, GOP_NONE) for n in args.h265_no_keyframes_mount])
    for name, gop in h265:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(LAUNCH_H265.format(gop=gop))
        factory.set_shared(True)
        mounts.add_factory("/" + name, factory)

    for name, launch in args.file_mount:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(False)  # each client gets the file from its first picture
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
        mounts.add_factory("/" + name, factory)

    if server.attach(None) == 0:
        sys.exit(f"gst_rtsp_cameras: cannot listen on 127.0.0.1:{args.port}")

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, lambda: loop.quit() or False)
    print("READY", flush=True)
    loop.run()
    for feeder in list(feeders):
        feeder.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
