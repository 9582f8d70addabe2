//! A street camera as the policy names it (N2, T2.1): its id, where it stands, how to reach it
//! and with which credentials (N3.1c).

use std::path::PathBuf;

/// A camera's identifier: lower-case ASCII letters, digits, `-` and `_`, at most 32 characters.
/// It serializes as the bare string; one read from the database that does not have this form
/// is a damaged row (`ids.rs`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String))]
pub struct CameraId(String);

impl CameraId {
    pub fn new(id: &str) -> Result<Self, String> {
        let ok = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(CameraId(id.to_owned()))
        } else {
            Err(format!(
                "{id:?} is not a valid camera id: use 1–32 lower-case letters, digits, '-' or '_' \
                 (カメラIDは英小文字・数字・-・_ の1〜32文字)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CameraId {
    type Error = String;

    fn try_from(id: String) -> Result<Self, String> {
        CameraId::new(&id)
    }
}

impl From<CameraId> for String {
    fn from(id: CameraId) -> Self {
        id.0
    }
}

impl PartialEq<str> for CameraId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for CameraId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Display for CameraId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// RTP interleaved in the RTSP TCP connection: the default, it passes firewalls and NAT.
    Tcp,
    Udp,
}

/// One street camera (N2, T2.1).
#[derive(Debug, Clone)]
pub struct Camera {
    pub id: CameraId,
    pub name: String,
    /// Where it stands, as shown on the layout map.
    pub site: String,
    /// `rtsp://` URL without credentials.
    pub url: String,
    /// Where its credentials live (N3.1c). `None` only with `no_credentials_reason`.
    pub credentials: Option<CredentialsRef>,
    /// Why a camera has no password (issue 11, #6): the policy says so in writing.
    pub no_credentials_reason: Option<String>,
    pub transport: Transport,
}

/// Where a camera's credentials live (N3.1c): never in the policy itself, so the policy can be
/// published and its credentials rotated without editing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsRef {
    /// An environment variable holding `username:password`.
    Env(String),
    /// A file holding `username:password` on its first line; relative paths are relative to the
    /// policy file's directory.
    File(PathBuf),
}

/// A resolved username and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}:***)", self.username)
    }
}

impl CredentialsRef {
    /// Reads the credentials it points to.
    pub fn resolve(&self) -> Result<Credentials, String> {
        let raw = match self {
            CredentialsRef::Env(var) => std::env::var(var).map_err(|_| {
                format!("environment variable {var} is not set (環境変数 {var} が未設定です)")
            })?,
            CredentialsRef::File(path) => std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "cannot read {}: {e} (認証情報ファイルを読めません)",
                    path.display()
                )
            })?,
        };
        let line = raw.lines().next().unwrap_or("").trim();
        match line.split_once(':') {
            Some((user, pass)) if !user.is_empty() && !pass.is_empty() => Ok(Credentials {
                username: user.to_owned(),
                password: pass.to_owned(),
            }),
            _ => Err("credentials must be one line `username:password` \
                      (認証情報は「ユーザー名:パスワード」の1行で記載してください)"
                .to_owned()),
        }
    }
}
