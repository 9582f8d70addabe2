//! Standard, fast-start MP4 (ISO/IEC 14496-12) for one video track.
//!
//! An export knows every sample's size and duration before it reads any footage (they are in
//! the segment index), so the whole `moov` can be written first and the samples streamed after
//! it into one `mdat`: players can start without seeking to the end, and the exporter never
//! holds more than one sample in memory. [`Mp4Plan::header`] gives the bytes up to the start of
//! the sample data; the caller then writes the samples, in order, and nothing else.

use crate::sample_index::Sample;

/// Seconds between 1904-01-01 (the MP4 epoch) and 1970-01-01.
const MP4_EPOCH_OFFSET: u64 = 2_082_844_800;

/// The track to write.
#[derive(Debug, Clone)]
pub struct VideoTrack<'a> {
    /// A complete VisualSampleEntry box (`avc1` with `avcC`, or `hvc1` with `hvcC`).
    pub sample_entry: &'a [u8],
    pub width: u32,
    pub height: u32,
    /// Units per second of sample durations (90 000 for RTP video).
    pub timescale: u32,
    /// Creation time, seconds since the Unix epoch.
    pub creation_unix_seconds: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Mp4Error {
    #[error("an MP4 needs at least one sample")]
    NoSamples,
    #[error("the first sample must be a keyframe")]
    FirstNotKey,
    #[error("sample entry is not a box")]
    BadSampleEntry,
}

/// A planned file: its header and the size of everything.
#[derive(Debug, Clone)]
pub struct Mp4Plan {
    header: Vec<u8>,
    data_bytes: u64,
    duration: u64,
}

impl Mp4Plan {
    pub fn new(track: &VideoTrack<'_>, samples: &[Sample]) -> Result<Self, Mp4Error> {
        let first = samples.first().ok_or(Mp4Error::NoSamples)?;
        if !first.is_key {
            return Err(Mp4Error::FirstNotKey);
        }
        let entry = track.sample_entry;
        if entry.len() < 8
            || u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]) as usize != entry.len()
        {
            return Err(Mp4Error::BadSampleEntry);
        }
        let data_bytes: u64 = samples.iter().map(|s| u64::from(s.size)).sum();
        let duration = Durations::of(samples);
        let ftyp = ftyp();
        let mdat_header = mdat_header(data_bytes);
        // The chunk offset is fixed-width (co64), so the moov's size doesn't depend on it.
        let moov_len = moov(track, samples, duration, 0).len();
        let data_offset = (ftyp.len() + moov_len + mdat_header.len()) as u64;
        let mut header = ftyp;
        header.extend(moov(track, samples, duration, data_offset));
        header.extend(mdat_header);
        Ok(Mp4Plan {
            header,
            data_bytes,
            duration: duration.shown,
        })
    }

    /// The bytes before the sample data.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// The file's total size once the samples follow the header.
    pub fn file_bytes(&self) -> u64 {
        self.header.len() as u64 + self.data_bytes
    }

    /// How long the track is shown, in timescale units.
    pub fn duration(&self) -> u64 {
        self.duration
    }
}

/// Writes a box: 32-bit size, type, then whatever `body` appends.
fn mp4_box(out: &mut Vec<u8>, kind: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend([0, 0, 0, 0]);
    out.extend(kind);
    body(out);
    let len = u32::try_from(out.len() - start).expect("header boxes are under 4 GiB");
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

/// A full box: a box whose body starts with version and flags.
fn full_box(
    out: &mut Vec<u8>,
    kind: &[u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    mp4_box(out, kind, |out| {
        out.push(version);
        out.extend(&flags.to_be_bytes()[1..]);
        body(out);
    });
}

fn u16be(out: &mut Vec<u8>, v: u16) {
    out.extend(v.to_be_bytes());
}
fn u32be(out: &mut Vec<u8>, v: u32) {
    out.extend(v.to_be_bytes());
}
fn u64be(out: &mut Vec<u8>, v: u64) {
    out.extend(v.to_be_bytes());
}

fn ftyp() -> Vec<u8> {
    let mut out = Vec::new();
    mp4_box(&mut out, b"ftyp", |out| {
        out.extend(b"isom");
        u32be(out, 0x200);
        for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
            out.extend(brand);
        }
    });
    out
}

fn mdat_header(data_bytes: u64) -> Vec<u8> {
    let mut out = Vec::new();
    if data_bytes + 8 <= u64::from(u32::MAX) {
        u32be(&mut out, (data_bytes + 8) as u32);
        out.extend(b"mdat");
    } else {
        u32be(&mut out, 1);
        out.extend(b"mdat");
        u64be(&mut out, data_bytes + 16);
    }
    out
}

/// The unity matrix of mvhd and tkhd.
fn matrix(out: &mut Vec<u8>) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        u32be(out, v);
    }
}

/// A track's lengths in timescale units.
#[derive(Debug, Clone, Copy)]
struct Durations {
    /// From the first decode to the end of the last sample's decode duration (`mdhd`).
    decoded: u64,
    /// When the first picture is shown, the first decode being zero.
    shown_from: u64,
    /// From the first picture shown to the end of the last one (the edit, `tkhd`, `mvhd`).
    shown: u64,
}

impl Durations {
    fn of(samples: &[Sample]) -> Durations {
        let mut decode = 0u64;
        let (mut first, mut last) = (u64::MAX, 0u64);
        for s in samples {
            let shown_at = decode + u64::from(s.composition_offset_90k);
            first = first.min(shown_at);
            last = last.max(shown_at);
            decode += u64::from(s.duration_90k);
        }
        // The last picture shown lasts as long as the last one decoded.
        let tail = samples.last().map_or(0, |s| u64::from(s.duration_90k));
        Durations {
            decoded: decode,
            shown_from: first.min(decode),
            shown: (last + tail).saturating_sub(first.min(decode)),
        }
    }
}

fn moov(
    track: &VideoTrack<'_>,
    samples: &[Sample],
    durations: Durations,
    data_offset: u64,
) -> Vec<u8> {
    let duration = durations.shown;
    let time = track.creation_unix_seconds + MP4_EPOCH_OFFSET;
    let mut out = Vec::new();
    mp4_box(&mut out, b"moov", |out| {
        full_box(out, b"mvhd", 1, 0, |out| {
            u64be(out, time);
            u64be(out, time);
            u32be(out, track.timescale);
            u64be(out, duration);
            u32be(out, 0x0001_0000); // rate 1.0
            u16be(out, 0x0100); // volume 1.0
            out.extend([0; 10]);
            matrix(out);
            out.extend([0; 24]); // pre_defined
            u32be(out, 2); // next_track_ID
        });
        mp4_box(out, b"trak", |out| {
            full_box(out, b"tkhd", 1, 0x3, |out| {
                u64be(out, time);
                u64be(out, time);
                u32be(out, 1); // track_ID
                u32be(out, 0);
                u64be(out, duration);
                out.extend([0; 8]);
                u16be(out, 0); // layer
                u16be(out, 0); // alternate_group
                u16be(out, 0); // volume: video
                u16be(out, 0);
                matrix(out);
                u32be(out, track.width << 16);
                u32be(out, track.height << 16);
            });
            let shown_from = durations.shown_from;
            if shown_from > 0 {
                // The first picture is shown `shown_from` after the first decode: the edit
                // list starts the presentation there (8.6.6), as encoders' own muxers do.
                mp4_box(out, b"edts", |out| {
                    full_box(out, b"elst", 1, 0, |out| {
                        u32be(out, 1);
                        u64be(out, duration);
                        u64be(out, shown_from);
                        u16be(out, 1); // media_rate_integer
                        u16be(out, 0);
                    });
                });
            }
            mp4_box(out, b"mdia", |out| {
                full_box(out, b"mdhd", 1, 0, |out| {
                    u64be(out, time);
                    u64be(out, time);
                    u32be(out, track.timescale);
                    u64be(out, durations.decoded);
                    u16be(out, 0x55c4); // language "und"
                    u16be(out, 0);
                });
                full_box(out, b"hdlr", 0, 0, |out| {
                    u32be(out, 0);
                    out.extend(b"vide");
                    out.extend([0; 12]);
                    out.extend(b"mimamori video\0");
                });
                mp4_box(out, b"minf", |out| {
                    full_box(out, b"vmhd", 0, 1, |out| out.extend([0; 8]));
                    mp4_box(out, b"dinf", |out| {
                        full_box(out, b"dref", 0, 0, |out| {
                            u32be(out, 1);
                            full_box(out, b"url ", 0, 1, |_| {});
                        });
                    });
                    stbl(out, track, samples, data_offset);
                });
            });
        });
    });
    out
}

fn stbl(out: &mut Vec<u8>, track: &VideoTrack<'_>, samples: &[Sample], data_offset: u64) {
    mp4_box(out, b"stbl", |out| {
        full_box(out, b"stsd", 0, 0, |out| {
            u32be(out, 1);
            out.extend(track.sample_entry);
        });
        full_box(out, b"stts", 0, 0, |out| {
            run_table(out, samples.iter().map(|s| s.duration_90k));
        });
        if samples.iter().any(|s| s.composition_offset_90k != 0) {
            full_box(out, b"ctts", 0, 0, |out| {
                run_table(out, samples.iter().map(|s| s.composition_offset_90k));
            });
        }
        if samples.iter().any(|s| !s.is_key) {
            full_box(out, b"stss", 0, 0, |out| {
                let keys: Vec<u32> = (1..)
                    .zip(samples)
                    .filter(|(_, s)| s.is_key)
                    .map(|(i, _)| i)
                    .collect();
                u32be(out, keys.len() as u32);
                keys.into_iter().for_each(|k| u32be(out, k));
            });
        }
        full_box(out, b"stsz", 0, 0, |out| {
            u32be(out, 0);
            u32be(out, samples.len() as u32);
            samples.iter().for_each(|s| u32be(out, s.size));
        });
        // All samples in one chunk.
        full_box(out, b"stsc", 0, 0, |out| {
            u32be(out, 1);
            u32be(out, 1);
            u32be(out, samples.len() as u32);
            u32be(out, 1);
        });
        full_box(out, b"co64", 0, 0, |out| {
            u32be(out, 1);
            u64be(out, data_offset);
        });
    });
}

/// An entry count, then `(count, value)` runs: the body of `stts` and `ctts`.
fn run_table(out: &mut Vec<u8>, values: impl Iterator<Item = u32>) {
    let runs = runs(values);
    u32be(out, runs.len() as u32);
    for (count, value) in runs {
        u32be(out, count);
        u32be(out, value);
    }
}

/// Run-length encodes a sequence: (count, value) pairs.
fn runs(values: impl Iterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((count, last)) if *last == v => *count += 1,
            _ => out.push((1, v)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Vec<u8> {
        let mut e = Vec::new();
        mp4_box(&mut e, b"avc1", |out| out.extend([0; 78]));
        e
    }

    fn track(entry: &[u8]) -> VideoTrack<'_> {
        VideoTrack {
            sample_entry: entry,
            width: 640,
            height: 360,
            timescale: 90_000,
            creation_unix_seconds: 0,
        }
    }

    #[test]
    fn header_ends_where_the_samples_begin() {
        let e = entry();
        let samples = [Sample::new(6000, 100, true), Sample::new(6000, 50, false)];
        let plan = Mp4Plan::new(&track(&e), &samples).unwrap();
        let h = plan.header();
        assert_eq!(&h[4..8], b"ftyp");
        assert_eq!(&h[h.len() - 4..], b"mdat");
        let mdat_len = u32::from_be_bytes(h[h.len() - 8..h.len() - 4].try_into().unwrap());
        assert_eq!(mdat_len, 158);
        assert_eq!(plan.file_bytes(), h.len() as u64 + 150);
        assert_eq!(plan.duration(), 12_000);
        // co64's offset is the header length.
        let co64 = h.windows(4).position(|w| w == b"co64").unwrap();
        let offset = u64::from_be_bytes(h[co64 + 12..co64 + 20].try_into().unwrap());
        assert_eq!(offset, h.len() as u64);
    }

    #[test]
    fn refuses_plans_that_cannot_play() {
        let e = entry();
        assert_eq!(
            Mp4Plan::new(&track(&e), &[]).unwrap_err(),
            Mp4Error::NoSamples
        );
        let delta = [Sample::new(1, 1, false)];
        assert_eq!(
            Mp4Plan::new(&track(&e), &delta).unwrap_err(),
            Mp4Error::FirstNotKey
        );
        let key = [Sample::new(1, 1, true)];
        assert_eq!(
            Mp4Plan::new(&track(&[1, 2, 3]), &key).unwrap_err(),
            Mp4Error::BadSampleEntry
        );
    }

    fn find(h: &[u8], kind: &[u8; 4]) -> Option<usize> {
        h.windows(4).position(|w| w == kind).map(|p| p - 4)
    }

    #[test]
    fn b_frames_get_composition_offsets_and_an_edit_list() {
        // Decode order I P B B, shown I B B P; 3600 per frame, reorder depth 1: decoded at
        // -1, 0, 1, 2 frames, shown at 0, 3, 1, 2.
        let s = |offset, key| Sample {
            composition_offset_90k: offset,
            ..Sample::new(3600, 10, key)
        };
        let samples = [s(3600, true), s(10_800, false), s(0, false), s(0, false)];
        let e = entry();
        let plan = Mp4Plan::new(&track(&e), &samples).unwrap();
        let h = plan.header();
        let ctts = find(h, b"ctts").expect("a ctts box");
        let be = |at: usize| u32::from_be_bytes(h[at..at + 4].try_into().unwrap());
        // entry count, then (count, offset) runs: (1, 3600), (1, 10800), (2, 0).
        assert_eq!(be(ctts + 12), 3);
        assert_eq!((be(ctts + 16), be(ctts + 20)), (1, 3600));
        assert_eq!((be(ctts + 24), be(ctts + 28)), (1, 10_800));
        assert_eq!((be(ctts + 32), be(ctts + 36)), (2, 0));
        let elst = find(h, b"elst").expect("an edit list");
        let be64 = |at: usize| u64::from_be_bytes(h[at..at + 8].try_into().unwrap());
        assert_eq!(be64(elst + 16), 4 * 3600, "four pictures are shown");
        assert_eq!(
            be64(elst + 24),
            3600,
            "from the first picture's composition time"
        );
        assert_eq!(plan.duration(), 4 * 3600);
        assert!(find(h, b"edts").unwrap() < find(h, b"mdia").unwrap());
    }

    #[test]
    fn streams_without_b_frames_need_neither() {
        let e = entry();
        let samples = [Sample::new(6000, 10, true), Sample::new(6000, 10, false)];
        let plan = Mp4Plan::new(&track(&e), &samples).unwrap();
        assert!(find(plan.header(), b"ctts").is_none());
        assert!(find(plan.header(), b"elst").is_none());
    }

    #[test]
    fn durations_are_run_length_encoded() {
        assert_eq!(
            runs([5, 5, 5, 6, 5].into_iter()),
            vec![(3, 5), (1, 6), (1, 5)]
        );
    }
}
