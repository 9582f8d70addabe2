//! The policy file: its TOML shape, validation, and the validated [`Policy`].
//!
//! Parsing is two steps. Serde reads the text into `Raw*` structs that mirror the file (and
//! refuse unknown fields, so a typo is never silently ignored); [`validate`] then turns them
//! into precise types, collecting every problem with the field path it belongs to.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::camera::{Camera, CameraId, CredentialsRef, Transport};
use crate::office::RawOffice;
use crate::source::{FieldPath, Source};
use crate::{Office, PolicyError, Problem, RetentionDays};

/// A validated policy. Construct with [`Policy::load`] or [`Policy::parse`].
#[derive(Debug, Clone)]
pub struct Policy {
    pub ward: Ward,
    pub retention: Retention,
    pub recording: Recording,
    pub ledger: Ledger,
    pub office: Office,
    pub cameras: Vec<Camera>,
    /// The SHA-256 (hex) of the file's text: what the ledger records at a start with a changed
    /// file (issue 11, #20), and what an auditor compares with the file on disk.
    pub source_sha256: String,
}

/// The tamper-evident ledger (N3.2.1, N9.3, T5): what its checkpoints are called and how often
/// the ward signs one.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// The log's origin line, also the name of the ward's signing key: a schema-less URL such as
    /// `cameras.nishiyodogawa.example/ledger`. Default: `mimamori/<ward name>`.
    pub origin: String,
    /// A checkpoint is signed at least this often, and on demand.
    pub checkpoint_interval: Duration,
}

/// Who runs the cameras, and the time zone the guideline's "days" are counted in.
#[derive(Debug, Clone)]
pub struct Ward {
    pub name: String,
    /// The operator shown to citizens (T2.2's sign names the ward).
    pub operator: String,
    pub time_zone: jiff::tz::TimeZone,
    /// 全国地方公共団体コード (six digits, the last a check digit): the first column of the
    /// open-data camera list (issue 14).
    pub code: Option<String>,
    /// Where citizens ask (T3.3 c, T8): the public page and the open data name it. Default: the
    /// operator.
    pub contact: String,
    /// The ward's boundary as GeoJSON (e.g. 国土数値情報 N03), drawn on the layout map; relative
    /// paths are relative to the policy file's directory. Nothing is fetched from the internet.
    pub boundary: Option<std::path::PathBuf>,
}

/// Whether `code` is a 全国地方公共団体コード: five digits and the check digit
/// 11 − (6a + 5b + 4c + 3d + 2e) mod 11, taking its last digit (10 → 0, 11 → 1).
pub fn is_local_government_code(code: &str) -> bool {
    let digits: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 6 || code.len() != 6 {
        return false;
    }
    let sum: u32 = digits[..5]
        .iter()
        .zip([6, 5, 4, 3, 2])
        .map(|(d, w)| d * w)
        .sum();
    (11 - sum % 11) % 10 == digits[5]
}

/// N6.1, T5.3: how long footage is kept, and how much disk it may take.
#[derive(Debug, Clone)]
pub struct Retention {
    pub days: RetentionDays,
    /// When set, the oldest unheld footage is erased early to stay under this many bytes.
    pub storage_cap: Option<ByteSize>,
    /// How often the retention sweeper runs.
    pub sweep_interval: Duration,
}

/// How streams are cut and how a lost camera is retried.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Target segment length; segments are cut at the first keyframe after it.
    pub segment_duration: Duration,
    /// First wait before reconnecting a lost camera; doubled (with jitter) up to the max.
    /// Tuned for cameras on a LAN: a camera that comes back is recorded within about the max.
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    /// How far a segment's wall time may stray from the server's clock before the recorder
    /// re-anchors it: a camera clock that drifts is corrected in steps this small.
    pub clock_tolerance: Duration,
}

/// A number of bytes, written in the file as an integer or a string like `"500 GiB"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(split);
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("{text:?} is not a size like \"500 GiB\""))?;
        let mult: u64 = match unit.trim() {
            "" | "B" => 1,
            "KB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            "TB" => 1_000_000_000_000,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            "TiB" => 1 << 40,
            other => {
                return Err(format!(
                    "unknown size unit {other:?}: use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
                ))
            }
        };
        n.checked_mul(mult)
            .map(ByteSize)
            .ok_or_else(|| format!("{text:?} is too large"))
    }
}

// ---- the file's shape ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    ward: RawWard,
    retention: RawRetention,
    #[serde(default)]
    recording: RawRecording,
    #[serde(default)]
    ledger: RawLedger,
    #[serde(default)]
    office: RawOffice,
    #[serde(default)]
    camera: Vec<RawCamera>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLedger {
    origin: Option<String>,
    #[serde(default = "default_checkpoint_minutes")]
    checkpoint_minutes: f64,
}

impl Default for RawLedger {
    fn default() -> Self {
        RawLedger {
            origin: None,
            checkpoint_minutes: default_checkpoint_minutes(),
        }
    }
}

fn default_checkpoint_minutes() -> f64 {
    10.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWard {
    name: String,
    operator: String,
    #[serde(default = "default_time_zone")]
    time_zone: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    boundary: Option<String>,
}

fn default_time_zone() -> String {
    "Asia/Tokyo".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    days: i64,
    storage_cap: Option<RawSize>,
    #[serde(default = "default_sweep_seconds")]
    sweep_interval_seconds: i64,
}

fn default_sweep_seconds() -> i64 {
    60
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSize {
    Bytes(i64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecording {
    #[serde(default = "default_segment_seconds")]
    segment_seconds: f64,
    #[serde(default = "default_reconnect_min")]
    reconnect_min_seconds: f64,
    #[serde(default = "default_reconnect_max")]
    reconnect_max_seconds: f64,
    #[serde(default = "default_clock_tolerance")]
    clock_tolerance_seconds: f64,
}

impl Default for RawRecording {
    fn default() -> Self {
        RawRecording {
            segment_seconds: default_segment_seconds(),
            reconnect_min_seconds: default_reconnect_min(),
            reconnect_max_seconds: default_reconnect_max(),
            clock_tolerance_seconds: default_clock_tolerance(),
        }
    }
}

fn default_segment_seconds() -> f64 {
    60.0
}
fn default_reconnect_min() -> f64 {
    0.25
}
fn default_reconnect_max() -> f64 {
    2.0
}
fn default_clock_tolerance() -> f64 {
    0.5
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCamera {
    id: String,
    name: String,
    site: String,
    url: String,
    credentials: Option<String>,
    without_credentials: Option<String>,
    #[serde(default = "default_transport")]
    transport: String,
}

fn default_transport() -> String {
    "tcp".to_owned()
}

// ---- loading and validation ----------------------------------------------------------------

impl Policy {
    /// Reads, parses and validates a policy file, and checks that every credentials reference
    /// resolves, so that nothing starts half-configured.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|error| PolicyError::Read {
            file: path.to_owned(),
            error,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let policy = Self::parse_in(&text, path, base)?;
        let source = Source::new(&text);
        let problems: Vec<Problem> = policy
            .cameras
            .iter()
            .enumerate()
            .filter_map(|(i, cam)| {
                let err = cam.credentials.as_ref()?.resolve().err()?;
                let at = FieldPath::default()
                    .key("camera")
                    .index(i)
                    .key("credentials");
                Some(source.problem_at(&at, err))
            })
            .collect();
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(PolicyError::Invalid {
                file: path.to_owned(),
                problems,
            })
        }
    }

    /// Parses and validates policy text; `origin` names it in errors. Relative credential
    /// file paths are taken relative to the current directory.
    pub fn parse(text: &str, origin: &Path) -> Result<Policy, PolicyError> {
        Self::parse_in(text, origin, Path::new("."))
    }

    fn parse_in(text: &str, origin: &Path, base: &Path) -> Result<Policy, PolicyError> {
        let source = Source::new(text);
        let invalid = |problems| PolicyError::Invalid {
            file: origin.to_owned(),
            problems,
        };
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            invalid(vec![
                source.problem_at_span(e.span(), e.message().to_owned())
            ])
        })?;
        let mut v = Validator {
            source: &source,
            problems: Vec::new(),
        };
        let policy = v.policy(raw, base);
        match policy {
            Some(mut p) if v.problems.is_empty() => {
                use sha2::Digest;
                p.source_sha256 = hex::encode(sha2::Sha256::digest(text.as_bytes()));
                Ok(p)
            }
            _ => Err(invalid(v.problems)),
        }
    }

    /// The camera with this id, if the policy has it.
    pub fn camera(&self, id: &CameraId) -> Option<&Camera> {
        self.cameras.iter().find(|c| &c.id == id)
    }
}

pub(crate) struct Validator<'a> {
    source: &'a Source<'a>,
    problems: Vec<Problem>,
}

pub(crate) fn path(parts: &[&str]) -> FieldPath {
    parts.iter().fold(FieldPath::default(), |p, k| p.key(k))
}

impl Validator<'_> {
    pub(crate) fn refuse(&mut self, at: FieldPath, message: impl Into<String>) {
        self.problems
            .push(self.source.problem_at(&at, message.into()));
    }

    fn non_empty(&mut self, at: FieldPath, value: String) -> String {
        if value.trim().is_empty() {
            self.refuse(at, "must not be empty (空欄にできません)");
        }
        value
    }

    fn seconds(&mut self, at: FieldPath, value: f64, min: f64, max: f64) -> Duration {
        if !(min..=max).contains(&value) {
            self.refuse(
                at,
                format!("{value} is out of range: must be {min}–{max} seconds (範囲外の秒数です)"),
            );
            return Duration::from_secs_f64(min);
        }
        Duration::from_secs_f64(value)
    }

    /// A duration given in `unit_seconds` units, which must lie in `min..=max` of them.
    pub(crate) fn span(
        &mut self,
        at: FieldPath,
        value: f64,
        (min, max, unit_seconds): (f64, f64, f64),
        unit: &str,
    ) -> Duration {
        if !(min..=max).contains(&value) {
            self.refuse(
                at,
                format!("{value} is out of range: must be {min}–{max} {unit} (範囲外の値です)"),
            );
        }
        Duration::from_secs_f64(value.clamp(min, max) * unit_seconds)
    }

    fn policy(&mut self, raw: RawPolicy, base: &Path) -> Option<Policy> {
        let ward = self.ward(raw.ward, base);
        let retention = self.retention(raw.retention);
        let recording = self.recording(raw.recording);
        let ledger = ward.as_ref().map(|w| self.ledger(raw.ledger, &w.name));
        let office = self.office(raw.office);
        if raw.camera.is_empty() {
            self.refuse(
                path(&["camera"]),
                "N5: at least one [[camera]] is needed (カメラを1台以上登録してください)",
            );
        }
        let cameras: Vec<Camera> = raw
            .camera
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| self.camera(i, c, base))
            .collect();
        self.unique_ids(&cameras);
        Some(Policy {
            ward: ward?,
            retention: retention?,
            recording,
            ledger: ledger?,
            office,
            cameras,
            source_sha256: String::new(),
        })
    }

    fn ledger(&mut self, raw: RawLedger, ward_name: &str) -> Ledger {
        let at = |k: &str| path(&["ledger", k]);
        let origin = raw.origin.unwrap_or_else(|| {
            let name: String = ward_name
                .trim()
                .chars()
                .map(|c| {
                    if c.is_whitespace() || c == '+' {
                        '-'
                    } else {
                        c
                    }
                })
                .collect();
            format!("mimamori/{name}")
        });
        if origin.is_empty() || origin.chars().any(|c| c.is_whitespace() || c == '+') {
            self.refuse(
                at("origin"),
                "must be non-empty, without spaces or '+' (空白・「+」を含まない名前にしてください)",
            );
        }
        let checkpoint_interval = self.span(
            at("checkpoint_minutes"),
            raw.checkpoint_minutes,
            (1.0, 1440.0, 60.0),
            "minutes (分)",
        );
        Ledger {
            origin,
            checkpoint_interval,
        }
    }

    fn ward(&mut self, raw: RawWard, base: &Path) -> Option<Ward> {
        let name = self.non_empty(path(&["ward", "name"]), raw.name);
        let operator = self.non_empty(path(&["ward", "operator"]), raw.operator);
        if let Some(code) = raw.code.as_deref().filter(|c| !is_local_government_code(c)) {
            self.refuse(
                path(&["ward", "code"]),
                format!(
                    "{code:?} is not a local government code: six digits with its check digit \
                     (全国地方公共団体コードは検査数字を含む6桁です。例: 千代田区 \"131016\")"
                ),
            );
        }
        let contact = match raw.contact {
            Some(c) => self.non_empty(path(&["ward", "contact"]), c),
            None => operator.clone(),
        };
        let boundary = raw.boundary.map(|b| base.join(b));
        match jiff::tz::TimeZone::get(&raw.time_zone) {
            Ok(time_zone) => Some(Ward {
                name,
                operator,
                time_zone,
                code: raw.code,
                contact,
                boundary,
            }),
            Err(_) => {
                self.refuse(
                    path(&["ward", "time_zone"]),
                    format!("unknown time zone {:?} (例: \"Asia/Tokyo\")", raw.time_zone),
                );
                None
            }
        }
    }

    fn retention(&mut self, raw: RawRetention) -> Option<Retention> {
        let days = match RetentionDays::new(raw.days) {
            Ok(d) => Some(d),
            Err(msg) => {
                self.refuse(path(&["retention", "days"]), msg);
                None
            }
        };
        let storage_cap = raw.storage_cap.and_then(|cap| {
            let parsed = match cap {
                RawSize::Bytes(n) if n > 0 => Ok(ByteSize(n as u64)),
                RawSize::Bytes(n) => Err(format!("{n} is not a positive size")),
                RawSize::Text(t) => ByteSize::parse(&t),
            };
            parsed
                .map_err(|m| self.refuse(path(&["retention", "storage_cap"]), m))
                .ok()
        });
        let sweep = raw.sweep_interval_seconds as f64;
        let sweep_interval = self.seconds(
            path(&["retention", "sweep_interval_seconds"]),
            sweep,
            1.0,
            3600.0,
        );
        Some(Retention {
            days: days?,
            storage_cap,
            sweep_interval,
        })
    }

    fn recording(&mut self, raw: RawRecording) -> Recording {
        let at = |k: &str| path(&["recording", k]);
        let segment_duration = self.seconds(at("segment_seconds"), raw.segment_seconds, 1.0, 600.0);
        let reconnect_min = self.seconds(
            at("reconnect_min_seconds"),
            raw.reconnect_min_seconds,
            0.1,
            60.0,
        );
        let reconnect_max = self.seconds(
            at("reconnect_max_seconds"),
            raw.reconnect_max_seconds,
            0.5,
            600.0,
        );
        let clock_tolerance = self.seconds(
            at("clock_tolerance_seconds"),
            raw.clock_tolerance_seconds,
            0.05,
            10.0,
        );
        if reconnect_max < reconnect_min {
            self.refuse(
                at("reconnect_max_seconds"),
                "must not be less than reconnect_min_seconds (最小値以上にしてください)",
            );
        }
        Recording {
            segment_duration,
            reconnect_min,
            reconnect_max,
            clock_tolerance,
        }
    }

    fn camera(&mut self, i: usize, raw: RawCamera, base: &Path) -> Option<Camera> {
        let at = |k: &str| FieldPath::default().key("camera").index(i).key(k);
        let id = CameraId::new(&raw.id)
            .map_err(|m| self.refuse(at("id"), m))
            .ok();
        let name = self.non_empty(at("name"), raw.name);
        let site = self.non_empty(at("site"), raw.site);
        let url = check_rtsp_url(&raw.url)
            .map_err(|m| self.refuse(at("url"), m))
            .ok();
        // N3.1c (issue 11, #6): a camera has a password. One that has none is accepted only
        // with the reason written down, which the ledger then records with the policy.
        let without = raw.without_credentials.map(|r| r.trim().to_owned());
        let no_credentials_reason = match (&raw.credentials, without) {
            (Some(_), Some(_)) => {
                self.refuse(
                    at("without_credentials"),
                    "N3.1c: give either credentials or without_credentials, not both \
                     (どちらか一方を記載してください)",
                );
                None
            }
            (None, None) => {
                self.refuse(
                    at("credentials"),
                    "N3.1c: a camera is protected by a password; give `credentials = \"env:NAME\"` \
                     or `\"file:PATH\"`, or for a camera that has none, `without_credentials = \
                     \"why\"` (カメラにはパスワードを設定してください。設定できない場合は理由を \
                     without_credentials に記載してください)",
                );
                None
            }
            (None, Some(reason)) if reason.is_empty() => {
                self.refuse(
                    at("without_credentials"),
                    "N3.1c: say why the camera has no password (理由を記載してください)",
                );
                None
            }
            (_, reason) => reason,
        };
        let credentials = raw.credentials.and_then(|r| {
            parse_credentials_ref(&r, base)
                .map_err(|m| self.refuse(at("credentials"), m))
                .ok()
        });
        let transport = match raw.transport.as_str() {
            "tcp" => Some(Transport::Tcp),
            "udp" => Some(Transport::Udp),
            other => {
                self.refuse(
                    at("transport"),
                    format!("{other:?} must be \"tcp\" or \"udp\""),
                );
                None
            }
        };
        Some(Camera {
            id: id?,
            name,
            site,
            url: url?,
            credentials,
            no_credentials_reason,
            transport: transport?,
        })
    }

    fn unique_ids(&mut self, cameras: &[Camera]) {
        for (i, cam) in cameras.iter().enumerate() {
            if cameras[..i].iter().any(|c| c.id == cam.id) {
                let at = FieldPath::default().key("camera").index(i).key("id");
                self.refuse(
                    at,
                    format!(
                        "camera id {:?} is used twice (カメラIDが重複しています)",
                        cam.id.as_str()
                    ),
                );
            }
        }
    }
}

fn check_rtsp_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("rtsp://")
        .or_else(|| url.strip_prefix("rtsps://"))
        .ok_or_else(|| {
            format!("{url:?} must start with rtsp:// or rtsps:// (RTSPのURLを指定してください)")
        })?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(
            "N3.1c: do not put credentials in the URL; use `credentials = \"env:NAME\"` \
                    or `\"file:PATH\"` (認証情報はURLに書かず credentials で参照してください)"
                .to_owned(),
        );
    }
    if authority.is_empty() || authority.starts_with(':') {
        return Err(format!("{url:?} has no host (ホスト名がありません)"));
    }
    Ok(url.to_owned())
}

fn parse_credentials_ref(text: &str, base: &Path) -> Result<CredentialsRef, String> {
    if let Some(var) = text.strip_prefix("env:") {
        if !var.is_empty() && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Ok(CredentialsRef::Env(var.to_owned()));
        }
    } else if let Some(file) = text.strip_prefix("file:").filter(|f| !f.is_empty()) {
        return Ok(CredentialsRef::File(base.join(file)));
    }
    Err(format!(
        "{text:?} must be \"env:VARIABLE\" or \"file:PATH\" holding `username:password` \
         (認証情報は env: か file: で参照してください)"
    ))
}

#[cfg(test)]
mod tests;
