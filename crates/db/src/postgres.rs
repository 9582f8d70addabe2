//! PostgreSQL beside SQLite (issue 15): the schema and its upgrades.
//!
//! A city that outgrows one machine keeps its metadata in the PostgreSQL its IT already runs
//! (docs/scale.md). This module holds PostgreSQL's schema, in its own dialect, and applies it;
//! the queries are shared with SQLite (`Db` over sqlx's `Any`, `sql.rs`).
//!
//! No PostgreSQL database predates release 0.2, so PostgreSQL's upgrades start at 18, one file
//! equal to SQLite's upgrades 1–18; every later upgrade has the same number in both folders, and
//! a test keeps the last numbers equal. `schema_tests` checks that the two schemas have the same
//! tables, columns, indexes and event kinds, and that both refuse the same changes (the
//! append-only and keep-it triggers, the CHECK constraints).
//!
//! Several processes may start against one database at once (many recorder nodes): each
//! upgrade runs in a transaction that first takes an advisory lock, so one applies it and the
//! others find it applied.

use sqlx::AnyPool;
use sqlx::{Connection, Executor};

use crate::{to_us, DbError, Result};

/// PostgreSQL's upgrades: (the schema version after it, its SQL).
pub(crate) const PG_UPGRADES: &[(i64, &str)] = &[
    (18, include_str!("../migrations/postgres/0018_baseline.sql")),
    (19, include_str!("../migrations/postgres/0019_leases.sql")),
];

/// The advisory lock key the upgrades take (any constant of mimamori's own).
const UPGRADE_LOCK: i64 = 0x6d69_6d61_6d6f_7269; // "mimamori"

/// The advisory lock key every write transaction of the office takes ([`crate::Db::begin_write`]):
/// PostgreSQL's writers queue on it as SQLite's queue on its one writer, across processes, so
/// the ledger's append (read the head, add leaves, move the head) and every read-then-write
/// check of the office run one at a time. Recorder progress (segments, gaps) does not take it.
pub(crate) const WRITE_LOCK: i64 = 0x6d69_6d61_6d6f_7277; // "mimamorw"

/// Upgrades the PostgreSQL database `pool` reaches to the newest schema this release knows;
/// returns its version. A database newer than this release is refused, as on SQLite.
pub async fn upgrade_postgres(pool: &AnyPool) -> Result<i64> {
    upgrade_with(pool, PG_UPGRADES).await
}

pub(crate) async fn upgrade_with(pool: &AnyPool, upgrades: &[(i64, &str)]) -> Result<i64> {
    let known = upgrades.last().map_or(0, |u| u.0);
    let mut conn = pool.acquire().await?;
    for &(version, sql) in upgrades {
        let mut tx = conn.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(UPGRADE_LOCK)
            .execute(&mut *tx)
            .await?;
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_upgrade (
                 version BIGINT PRIMARY KEY, applied_us BIGINT NOT NULL)",
        )
        .await?;
        let current: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM schema_upgrade")
            .fetch_one(&mut *tx)
            .await?;
        let current = current.unwrap_or(0);
        if current > known {
            return Err(DbError::TooNew {
                found: current,
                known,
            });
        }
        if current >= version {
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_upgrade (version, applied_us) VALUES ($1, $2)")
            .bind(version)
            .bind(to_us(jiff::Timestamp::now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "PostgreSQL schema upgraded");
    }
    let version: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM schema_upgrade")
        .fetch_one(&mut *conn)
        .await?;
    Ok(version.unwrap_or(0))
}

#[cfg(test)]
mod tests;
