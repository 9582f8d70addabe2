//! N6.2, T5.4: erasure runs. One transaction shreds day keys, unindexes segments and records
//! what was erased; the files are overwritten and unlinked after it commits, so a crash in
//! between leaves only unindexed, unreadable files that the next start erases.

use jiff::Timestamp;

use mimamori_ledger::vocabulary::Erasure;
pub use mimamori_ledger::vocabulary::{ErasedDay, ErasureTrigger};

use crate::events::{self, Event};
use crate::{to_us, Db, DbError, EventBody, Flag, Result};

#[derive(Debug, Clone)]
pub struct ErasureRun {
    pub trigger: ErasureTrigger,
    pub started: Timestamp,
    pub finished: Timestamp,
    pub method: String,
}

/// What one run erased of one camera's day, as stored: the segment hashes concatenated. The
/// rest of mimamori sees it as the ledger's [`ErasedDay`], the same record the `erasure` event
/// lists.
#[derive(sqlx::FromRow)]
struct StoredErasure {
    camera_id: String,
    day: String,
    start_us: i64,
    end_us: i64,
    segment_count: i64,
    bytes: i64,
    segment_hashes: Vec<u8>,
    #[sqlx(try_from = "Flag")]
    key_shredded: bool,
    day_key_id: Option<i64>,
}

impl From<StoredErasure> for ErasedDay {
    fn from(r: StoredErasure) -> ErasedDay {
        ErasedDay {
            camera_id: r.camera_id,
            day: r.day,
            start_us: r.start_us,
            end_us: r.end_us,
            segment_count: r.segment_count,
            bytes: r.bytes,
            segment_hashes: r.segment_hashes.chunks(32).map(hex::encode).collect(),
            key_shredded: r.key_shredded,
            day_key_id: r.day_key_id,
        }
    }
}

/// The hex SHA-256 hashes of a record, concatenated as the `erasure` table keeps them.
fn concatenated(hashes: &[String]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(hashes.len() * 32);
    for h in hashes {
        let bytes = hex::decode(h)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| DbError::Invalid(format!("{h:?} is not a SHA-256 hash")))?;
        out.extend(bytes);
    }
    Ok(out)
}

impl Db {
    /// Commits an erasure run: deletes the segment rows and day keys, records the run and its
    /// per-day records, and appends an `erasure` event with the same content.
    pub async fn commit_erasure(
        &self,
        run: &ErasureRun,
        records: &[ErasedDay],
        segment_ids: &[i64],
        shredded_key_ids: &[i64],
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let run_id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO erasure_run (trigger, started_us, finished_us, method) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(run.trigger.as_str())
        .bind(to_us(run.started))
        .bind(to_us(run.finished))
        .bind(&run.method)
        .fetch_one(&mut *tx)
        .await?;
        for id in segment_ids {
            sqlx::query("DELETE FROM segment WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for id in shredded_key_ids {
            sqlx::query("DELETE FROM day_key WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for r in records {
            sqlx::query(
                "INSERT INTO erasure (run_id, camera_id, day, start_us, end_us, segment_count,
                     bytes, segment_hashes, key_shredded, day_key_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(run_id)
            .bind(&r.camera_id)
            .bind(&r.day)
            .bind(r.start_us)
            .bind(r.end_us)
            .bind(r.segment_count)
            .bind(r.bytes)
            .bind(concatenated(&r.segment_hashes)?)
            .bind(Flag(r.key_shredded))
            .bind(r.day_key_id)
            .execute(&mut *tx)
            .await?;
        }
        let body = EventBody::Erasure(Erasure {
            run_id,
            trigger: run.trigger,
            method: run.method.clone(),
            erased: records.to_vec(),
        });
        events::insert(&mut tx, &Event::system("sweeper", body).at(run.finished)).await?;
        tx.commit().await?;
        Ok(run_id)
    }

    /// Erasure records of a camera (or all), oldest first.
    pub async fn erasures(&self, camera: Option<&str>) -> Result<Vec<ErasedDay>> {
        let rows: Vec<StoredErasure> = sqlx::query_as(
            "SELECT camera_id, day, start_us, end_us, segment_count, bytes, segment_hashes,
                    key_shredded, day_key_id
             FROM erasure WHERE $1 IS NULL OR camera_id = $1 ORDER BY id",
        )
        .bind(camera)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ErasedDay::from).collect())
    }
}
