//! The metadata database: schema, numbered upgrades, and every query mimamori makes.
//!
//! The embedded default is one SQLite file in the data directory. The schema lives in
//! `migrations/NNNN_*.sql`; [`Db::open`] applies the ones a database has not seen yet, each in
//! its own transaction, and records them in `schema_upgrade`. Footage itself never enters the
//! database: only its index, its wrapped keys, and the record of what happened to it.

mod alerts;
mod appointments;
mod cameras;
mod delegations;
mod enrolment;
mod erasures;
mod events;
mod gaps;
mod grants;
mod holds;
mod inquiries;
mod keys;
mod leases;
mod ledger;
mod postgres;
mod proposals;
mod register;
mod requests;
#[cfg(test)]
mod schema_tests;
mod segments;
mod sessions;
mod sql;
mod staff;
mod terminals;
#[cfg(any(test, feature = "testutil"))]
pub mod testutil;
mod write;

use std::path::Path;

use jiff::Timestamp;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::{AnyConnection, Executor};

pub use alerts::{AlertKind, AlertRow, NewAlert};
pub use appointments::{AppointmentRow, NewAppointment};
pub use cameras::{CameraRecord, CameraState, CameraStateRow};
pub use delegations::{DelegatedCameras, DelegationRow, NewDelegation};
pub use erasures::{ErasedDay, ErasureRun, ErasureTrigger};
pub use events::{Event, EventRow};
pub use gaps::GapRow;
pub use grants::{ClipGrant, GrantRow, SpentGrant};
pub use holds::{holds_cover, HoldRow, NewHold};
pub use inquiries::{EntryKind, InquiryEntry, InquiryRow, Move, NewEntry, NewInquiry};
pub use keys::DayKeyRow;
pub use ledger::{CheckpointRow, LedgerCheck, LedgerKeyRow};
pub use mimamori_ledger::vocabulary::{self, EventBody, EventKind, Outcome, VocabularyError};
pub use postgres::upgrade_postgres;
pub use proposals::{ProposalDecision, ProposalRow};
pub use register::{NewSign, NewSite, RegisterCamera, RegisterSign};
pub use requests::{
    CameraScope, Closing, EmergencyOrigin, Instruction, NewRequest, Origin, RequestAlert,
    RequestRow, RequestUpdate,
};
pub use segments::{NewSegment, SampleEntryRow, SegmentRow};
pub use sessions::{OpenSession, SessionRow};
pub(crate) use sql::{placeholders, Flag};
pub use staff::{Credential, NewStaff, SigninFailure, StaffRow};
pub use terminals::{NewTerminal, TerminalRow};

/// Upgrades in order; the number is the schema version the database has after applying it.
pub(crate) const UPGRADES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_recorder.sql")),
    (2, include_str!("../migrations/0002_ledger.sql")),
    (3, include_str!("../migrations/0003_office.sql")),
    (4, include_str!("../migrations/0004_checks.sql")),
    (5, include_str!("../migrations/0005_grant_claims.sql")),
    (6, include_str!("../migrations/0006_totp_steps.sql")),
    (7, include_str!("../migrations/0007_enrolment.sql")),
    (8, include_str!("../migrations/0008_people_alerts.sql")),
    (
        9,
        include_str!("../migrations/0009_appointment_confirmation.sql"),
    ),
    (10, include_str!("../migrations/0010_policy_loaded.sql")),
    (11, include_str!("../migrations/0011_delegation_scope.sql")),
    (12, include_str!("../migrations/0012_history_overdue.sql")),
    (
        13,
        include_str!("../migrations/0013_recording_progress.sql"),
    ),
    (
        14,
        include_str!("../migrations/0014_sessions_elsewhere.sql"),
    ),
    (15, include_str!("../migrations/0015_document_issued.sql")),
    (16, include_str!("../migrations/0016_request_cameras.sql")),
    (17, include_str!("../migrations/0017_register.sql")),
    (18, include_str!("../migrations/0018_inquiries.sql")),
    (19, include_str!("../migrations/0019_leases.sql")),
];

impl DbError {
    /// A stored value of `record` this release cannot read.
    pub(crate) fn corrupt(record: impl Into<String>, error: impl ToString) -> DbError {
        DbError::Corrupt {
            record: record.into(),
            error: error.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database schema version {found} is newer than this mimamori understands ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("{0}")]
    Invalid(String),
    /// A stored value this release cannot read: data loss to be investigated, never guessed
    /// around.
    #[error("{record} is corrupt: {error}")]
    Corrupt { record: String, error: String },
    /// The record changed under the request (a unique name taken, a step already taken).
    #[error("{0}")]
    Conflict(String),
    #[error("ledger tree: {0}")]
    Tree(#[from] mimamori_ledger::TreeError),
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// A handle to the metadata database; cheap to clone.
/// The database holds personal records, password hashes and sealed secrets: only its owner
/// reads it (mode 0600; issue 11, #19). A missing file is created so (`create`), before SQLite
/// would create it with the umask's mode; an existing one is narrowed.
fn owner_only(path: &Path, create: bool) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e: std::io::Error| DbError::Invalid(format!("{}: {e}", path.display()));
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map(drop)
            .map_err(io),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(e)),
    }
}

/// Which engine holds the records. Queries are one text where the dialects agree (`$N`
/// placeholders, `RETURNING`, `ON CONFLICT`) and explicit arms where they do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The embedded default: one file in the data directory, one writer.
    Sqlite,
    /// The city's shared database (issue 15, docs/scale.md): many processes, one lock for
    /// writes that change the office's records or the ledger.
    Postgres,
}

impl Engine {
    /// The engine behind a connection, for code that has only the connection.
    pub(crate) fn of(c: &AnyConnection) -> Engine {
        match c.backend_name() {
            "PostgreSQL" => Engine::Postgres,
            _ => Engine::Sqlite,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    /// Readers (several connections; WAL lets them run beside a writer).
    pool: AnyPool,
    /// The one writing connection on SQLite. Writers queue here, in order, instead of in
    /// SQLite's busy handler, whose back-off sleeps (up to 100 ms a try) stalled every request
    /// behind them. On PostgreSQL the same pool as `pool`: writers queue on the write lock of
    /// [`Db::begin_write`] instead, across every process.
    writer: AnyPool,
    engine: Engine,
}

/// A path as the `sqlite://` URL sqlx parses (percent-encoded, created if missing).
fn sqlite_url(path: &Path, mode: &str) -> Result<String> {
    let text = path
        .to_str()
        .ok_or_else(|| DbError::Invalid(format!("{}: not UTF-8", path.display())))?;
    let mut url = String::from("sqlite://");
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url.push_str("?mode=");
    url.push_str(mode);
    Ok(url)
}

/// The settings every SQLite connection of a file database takes, before anything else.
const SQLITE_FILE_PRAGMAS: &str = "PRAGMA journal_mode = WAL;
    -- An index row must never outlive a power cut that its segment survived, nor the reverse:
    -- full sync on every commit (commits are about one per camera-minute).
    PRAGMA synchronous = FULL;
    PRAGMA foreign_keys = ON;
    -- T5.4: deleted rows (shredded day keys above all) are overwritten, not just unlinked.
    PRAGMA secure_delete = ON;
    PRAGMA busy_timeout = 10000;";

impl Db {
    /// Opens (creating if needed) the SQLite database at `path` and upgrades its schema.
    pub async fn open(path: &Path) -> Result<Db> {
        owner_only(path, true)?;
        let db =
            Self::connect_sqlite(&sqlite_url(path, "rwc")?, SQLITE_FILE_PRAGMAS, 4, true).await?;
        db.upgrade(UPGRADES).await?;
        // SQLite gives its -wal and -shm files the database file's mode; older ones are fixed.
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            owner_only(Path::new(&side), false)?;
        }
        Ok(db)
    }

    /// Opens the PostgreSQL database at `url` (`postgres://…`) and upgrades its schema; several
    /// processes may do so at once (`upgrade_postgres`).
    pub async fn open_postgres(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(DbError::Invalid(format!(
                "{url:?}: a PostgreSQL URL starts with postgres://"
            )));
        }
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .connect(url)
            .await?;
        upgrade_postgres(&pool).await?;
        let db = Db {
            writer: pool.clone(),
            pool,
            engine: Engine::Postgres,
        };
        db.catch_up_ledger().await?;
        Ok(db)
    }

    /// Opens the database at `path` upgraded only as far as `upgrades` go: for tests of an
    /// upgrade, which need a database as an older release left it.
    #[cfg(test)]
    pub(crate) async fn open_with_upgrades(path: &Path, upgrades: &[(i64, &str)]) -> Result<Db> {
        let db = Self::connect_sqlite(
            &sqlite_url(path, "rwc")?,
            "PRAGMA foreign_keys = ON",
            1,
            false,
        )
        .await?;
        db.upgrade(upgrades).await?;
        Ok(db)
    }

    /// Opens a fresh in-memory database, for tests.
    pub async fn open_in_memory() -> Result<Db> {
        // One connection: every connection to :memory: is its own database.
        let db =
            Self::connect_sqlite("sqlite::memory:", "PRAGMA foreign_keys = ON", 1, false).await?;
        db.upgrade(UPGRADES).await?;
        Ok(db)
    }

    async fn connect_sqlite(
        url: &str,
        pragmas: &'static str,
        readers: u32,
        separate_writer: bool,
    ) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let options = || {
            AnyPoolOptions::new().after_connect(move |c, _| {
                Box::pin(async move { c.execute(pragmas).await.map(drop) })
            })
        };
        // Never closed while idle: a closed connection to `:memory:` is a lost database.
        let pool = options()
            .max_connections(readers)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect(url)
            .await?;
        let writer = if separate_writer {
            options().max_connections(1).connect(url).await?
        } else {
            pool.clone()
        };
        Ok(Db {
            pool,
            writer,
            engine: Engine::Sqlite,
        })
    }

    /// The engine this handle writes to.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The schema version after upgrades.
    pub async fn schema_version(&self) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM schema_upgrade")
            .fetch_one(&self.pool)
            .await?;
        Ok(v.unwrap_or(0))
    }

    async fn upgrade(&self, upgrades: &[(i64, &str)]) -> Result<()> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_upgrade (
                 version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL)",
        )
        .execute(&self.writer)
        .await?;
        let current = self.schema_version().await?;
        let known = upgrades.last().map_or(0, |u| u.0);
        if current > known {
            return Err(DbError::TooNew {
                found: current,
                known,
            });
        }
        for &(version, sql) in upgrades.iter().filter(|u| u.0 > current) {
            let mut conn = self.writer.acquire().await?;
            // SQLite's procedure for changing a table's schema: foreign keys off (which only
            // takes effect outside a transaction), rebuild, check every key, commit, keys on.
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
            let applied = apply_upgrade(&mut conn, version, sql).await;
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await?;
            applied?;
            tracing::info!(version, "database schema upgraded");
        }
        self.catch_up_ledger().await
    }
}

/// Applies one upgrade in one transaction; refuses to commit one that leaves a dangling key.
async fn apply_upgrade(conn: &mut AnyConnection, version: i64, sql: &str) -> Result<()> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(sql).execute(&mut *tx).await?;
    let dangling: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
            .fetch_all(&mut *tx)
            .await?;
    if let Some((table, rowid, parent)) = dangling.first() {
        return Err(DbError::Invalid(format!(
            "upgrade {version}: {table} row {rowid} refers to a missing {parent} \
             ({} such rows); the database is left as it was",
            dangling.len()
        )));
    }
    sqlx::query("INSERT INTO schema_upgrade (version, applied_us) VALUES ($1, $2)")
        .bind(version)
        .bind(to_us(Timestamp::now()))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// UTC microseconds, the database's time representation.
pub fn to_us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// The inverse of [`to_us`]; out-of-range values clamp to the representable limits.
pub fn from_us(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(if us < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11, #19: the database and its WAL are the owner's alone, also when an older
    /// release left them readable.
    #[tokio::test]
    async fn n3_2_1_the_database_files_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let db = Db::open(&path).await.unwrap();
        db.append_event(&crate::testutil::any_event())
            .await
            .unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("m.db-wal")), 0o600);
        db.pool.close().await;
        db.writer.close().await;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        Db::open(&path).await.unwrap();
        assert_eq!(mode(&path), 0o600, "an older release's file is narrowed");
    }

    #[tokio::test]
    async fn upgrades_apply_once_and_record_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let db = Db::open(&path).await.unwrap();
        assert_eq!(db.schema_version().await.unwrap(), UPGRADES.len() as i64);
        drop(db);
        let db = Db::open(&path).await.unwrap();
        assert_eq!(db.schema_version().await.unwrap(), UPGRADES.len() as i64);
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let db = Db::open(&path).await.unwrap();
        sqlx::query("INSERT INTO schema_upgrade VALUES (99, 0)")
            .execute(db.pool())
            .await
            .unwrap();
        db.pool().close().await;
        assert!(matches!(
            Db::open(&path).await,
            Err(DbError::TooNew { found: 99, .. })
        ));
    }
}
