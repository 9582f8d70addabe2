//! Opening a data directory and running the server on it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use mimamori_db::Db;
use mimamori_office::notary::Notary;
use mimamori_policy::Policy;
use mimamori_recorder::{Kek, Recorder, RecorderContext, Store, SystemClock};

use crate::DataArgs;

/// Where everything lives under the data directory.
pub struct Paths {
    pub data_dir: PathBuf,
    /// The SQLite file, unless `database` names a PostgreSQL database.
    pub db: PathBuf,
    pub database: Option<String>,
    pub segments: PathBuf,
    pub kek: PathBuf,
    /// The ward's ledger signing key (private, 0600).
    pub ledger_key: PathBuf,
    pub default_policy: PathBuf,
}

impl Paths {
    pub fn new(args: &DataArgs) -> Self {
        let d = &args.data_dir;
        Paths {
            db: d.join("mimamori.db"),
            database: args.database.clone(),
            segments: d.join("segments"),
            kek: args
                .kek_file
                .clone()
                .unwrap_or_else(|| d.join("keys").join("kek.key")),
            ledger_key: d.join("keys").join("ledger.key"),
            default_policy: d.join("policy.toml"),
            data_dir: d.clone(),
        }
    }

    pub async fn open_db(&self) -> anyhow::Result<Db> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        // The database holds wrapped keys, sessions and second-factor secrets: the data
        // directory is mimamori's alone, whatever the umask made of it (issue 11, #19).
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.data_dir)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                let private = std::fs::Permissions::from_mode(0o700);
                if let Err(e) = std::fs::set_permissions(&self.data_dir, private) {
                    tracing::warn!(dir = %self.data_dir.display(), mode = format!("{mode:o}"), error = %e,
                        "the data directory is readable by others and could not be restricted");
                }
            }
        }
        match &self.database {
            Some(url) => Db::open_postgres(url).await.with_context(|| {
                format!(
                    "cannot open database {} (データベースを開けません)",
                    without_password(url)
                )
            }),
            None => Db::open(&self.db).await.with_context(|| {
                format!(
                    "cannot open database {} (データベースを開けません)",
                    self.db.display()
                )
            }),
        }
    }

    /// The KEK for reading footage back: it must exist.
    pub fn kek(&self) -> anyhow::Result<Kek> {
        Kek::load(&self.kek).with_context(|| {
            format!(
                "cannot load the key-encryption key {} (暗号鍵を読み込めません)",
                self.kek.display()
            )
        })
    }

    /// The KEK for recording: created on first start, but never anew over existing footage,
    /// which a new KEK could not read.
    pub async fn kek_for_recording(&self, db: &Db) -> anyhow::Result<Kek> {
        if !self.kek.exists() && !db.day_keys().await?.is_empty() {
            anyhow::bail!(
                "the key-encryption key {} is missing but the database holds footage keys; \
                 restore the key file (or pass --kek-file) instead of creating a new one \
                 (暗号鍵ファイルがありません)",
                self.kek.display()
            );
        }
        Ok(Kek::load_or_create(&self.kek)?)
    }

    /// The notary holding the ward's signing key; only recording creates the key.
    pub async fn notary(
        &self,
        db: &Db,
        policy: &Policy,
        purpose: Purpose,
    ) -> anyhow::Result<Arc<Notary>> {
        let notary = Notary::open(
            db.clone(),
            &policy.ledger.origin,
            &self.ledger_key,
            purpose == Purpose::Record,
        )
        .await?;
        Ok(Arc::new(notary))
    }

    pub fn policy(&self, explicit: Option<&Path>) -> anyhow::Result<Policy> {
        Ok(Policy::load(explicit.unwrap_or(&self.default_policy))?)
    }
}

/// A database URL as it may be shown in a message: without a password it carries.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Why a command opens the data directory: only recording may create a key-encryption key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Record,
    Read,
}

/// A data directory opened with its policy: everything a command needs.
pub struct App {
    pub ctx: Arc<RecorderContext>,
    pub notary: Arc<Notary>,
    /// Where retrieval packages are built before they are sent.
    pub work_dir: PathBuf,
}

impl App {
    pub async fn open(
        data: &DataArgs,
        policy: Option<&Path>,
        purpose: Purpose,
    ) -> anyhow::Result<App> {
        // The policy first: a bad policy is refused before anything is created or started.
        let policy = Paths::new(data).policy(policy)?;
        Self::with_policy(data, policy, purpose).await
    }

    /// Opens the data directory for an already loaded policy.
    pub async fn with_policy(
        data: &DataArgs,
        policy: Policy,
        purpose: Purpose,
    ) -> anyhow::Result<App> {
        let paths = Paths::new(data);
        let policy = Arc::new(policy);
        let db = paths.open_db().await?;
        let kek = Arc::new(match purpose {
            Purpose::Record => paths.kek_for_recording(&db).await?,
            Purpose::Read => paths.kek()?,
        });
        if paths.kek.starts_with(&paths.data_dir) {
            tracing::warn!(
                kek = %paths.kek.display(),
                "the key-encryption key is inside the data directory; in production keep it on \
                 another volume (--kek-file) so a stolen segment disk is unreadable"
            );
        }
        let notary = paths.notary(&db, &policy, purpose).await?;
        let store = Store::new(paths.segments);
        Ok(App {
            work_dir: paths.data_dir.join("work"),
            ctx: Arc::new(RecorderContext::new(
                policy,
                db,
                store,
                kek,
                Arc::new(SystemClock),
            )),
            notary,
        })
    }

    /// The office's shared state for the API; its work directory starts empty, and TOTP
    /// secrets an older release stored in plain text are sealed (issue 11, #19).
    pub async fn office(&self) -> anyhow::Result<mimamori_office::Shared> {
        let office = mimamori_office::OfficeState::new(
            self.ctx.clone(),
            self.notary.clone(),
            self.work_dir.clone(),
        )
        .with_context(|| format!("cannot prepare {}", self.work_dir.display()))?;
        let sealed = office.seal_stored_secrets().await?;
        if sealed > 0 {
            tracing::info!(
                accounts = sealed,
                "sealed TOTP secrets stored in plain text"
            );
        }
        Ok(mimamori_office::Shared(Arc::new(office)))
    }

    /// Records and serves the API (over TLS with `tls`) until Ctrl-C or SIGTERM, then closes
    /// every open segment.
    pub async fn serve(
        self,
        listen: SocketAddr,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let recorder = Recorder::start(self.ctx.clone()).await?;
        let policy = &self.ctx.policy;
        // N3.2.1: a checkpoint at least every interval (the first one at once).
        let checkpoints = tokio::spawn(self.notary.clone().run(policy.ledger.checkpoint_interval));
        println!("mimamori: {} ({})", policy.ward.name, policy.ward.operator);
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!(
            "listening on {scheme}://{}  (health: /api/v1/health, metrics: /metrics, \
             ledger: /api/v1/ledger/checkpoints)",
            listener.local_addr()?
        );
        println!(
            "recording {} camera(s), retention {} days, segments under {}",
            policy.cameras.len(),
            policy.retention.days.get(),
            self.ctx.store.root().display()
        );
        for cam in &policy.cameras {
            println!("  {}  {}  ({})  {}", cam.id, cam.name, cam.site, cam.url);
        }
        println!(
            "staff screens: open {scheme}://{}/ in a browser and sign in",
            listener.local_addr()?
        );
        let office = self.office().await?;
        // N11.2, N11.3: overdue Form 3s and monthly histories raise alerts until received.
        let form3 = tokio::spawn(mimamori_office::workflow::emergency::watch_deadlines(
            office.clone(),
            std::time::Duration::from_secs(60),
        ));
        let app = mimamori_office::router(office);
        let limits = &policy.office;
        mimamori_office::serve::serve_with(listener, app, limits, tls, shutdown_signal()).await?;
        println!("stopping: closing open segments…");
        recorder.stop().await;
        checkpoints.abort();
        form3.abort();
        // The last events (recording stopped) are covered by a checkpoint before exit.
        self.notary.sign_checkpoint().await?;
        Ok(())
    }
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_database_url_is_shown_without_its_password() {
        assert_eq!(
            super::without_password("postgres://ward:s3cret@db.example:5432/mimamori"),
            "postgres://ward@db.example:5432/mimamori"
        );
        assert_eq!(
            super::without_password("postgres://db.example/mimamori"),
            "postgres://db.example/mimamori"
        );
    }

    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// Issue 11, #19: a data directory others can read is made mimamori's alone.
    #[tokio::test]
    async fn the_data_directory_is_readable_by_mimamori_alone() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let args = crate::DataArgs {
            data_dir: data.clone(),
            kek_file: None,
            database: None,
        };
        Paths::new(&args).open_db().await.unwrap();
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}
