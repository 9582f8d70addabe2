//! How the office's records change: a record and the ledger events that describe its change
//! are written in one transaction, or neither is. Every changing method of the office's
//! aggregates (staff, appointments, terminals, requests …) goes through [`Db::write_with`].

use sqlx::AnyConnection;

use crate::events::insert_all;
use crate::{Db, DbError, Event, Result};

/// A prepared statement with its arguments, run by [`Db::update_one`].
pub(crate) type Update = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments<'static>>;

impl Db {
    /// Runs `change` and appends the events `describe` makes of its result, in one write
    /// transaction.
    pub(crate) async fn write_with<T>(
        &self,
        change: impl AsyncFnOnce(&mut AnyConnection) -> Result<T>,
        describe: impl FnOnce(&T) -> Vec<Event>,
    ) -> Result<T> {
        let mut tx = self.begin_write().await?;
        let out = change(&mut tx).await?;
        insert_all(&mut tx, &describe(&out)).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Runs an UPDATE that must change exactly one row (else [`DbError::Conflict`] with
    /// `conflict`), with its event, in one transaction.
    pub(crate) async fn update_one(
        &self,
        query: Update,
        conflict: &str,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                let n = query.execute(&mut *c).await?.rows_affected();
                changed_one(n, || conflict.to_owned())
            },
            |_| vec![event],
        )
        .await
    }
}

/// A guarded UPDATE changed its one row, or someone else got there first.
pub(crate) fn changed_one(rows: u64, conflict: impl FnOnce() -> String) -> Result<()> {
    if rows == 0 {
        return Err(DbError::Conflict(conflict()));
    }
    Ok(())
}

/// A unique column already holds the value: a conflict the caller can name, not a failure.
pub(crate) fn unique_violation(e: sqlx::Error, what: &str) -> DbError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            DbError::Conflict(format!("{what} is already taken"))
        }
        _ => e.into(),
    }
}
