//! N6.2, T5.4: erasure runs. One transaction shreds day keys, unindexes segments and records
//! what was erased; the files are overwritten and unlinked after it commits, so a crash in
//! between leaves only unindexed, unreadable files that the next start erases.

use jiff::Timestamp;

pub use mimamori_ledger::vocabulary::ErasureTrigger;
use mimamori_ledger::vocabulary::{ErasedDay, Erasure};

use crate::events::{self, Event};
use crate::{to_us, Db, EventBody, Result};

#[derive(Debug, Clone)]
pub struct ErasureRun {
    pub trigger: ErasureTrigger,
    pub started: Timestamp,
    pub finished: Timestamp,
    pub method: String,
}

/// What one run erased of one camera's day.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ErasureRecord {
    pub camera_id: String,
    pub day: String,
    pub start_us: i64,
    pub end_us: i64,
    pub segment_count: i64,
    pub bytes: i64,
    #[serde(serialize_with = "hex_hashes")]
    pub segment_hashes: Vec<u8>,
    pub key_shredded: bool,
    pub day_key_id: Option<i64>,
}

fn hex_hashes<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(bytes.len() / 32))?;
    for h in bytes.chunks(32) {
        seq.serialize_element(&h.iter().map(|b| format!("{b:02x}")).collect::<String>())?;
    }
    seq.end()
}

impl ErasureRecord {
    /// The record as the `erasure` event lists it.
    fn erased_day(&self) -> ErasedDay {
        ErasedDay {
            camera_id: self.camera_id.clone(),
            day: self.day.clone(),
            start_us: self.start_us,
            end_us: self.end_us,
            segment_count: self.segment_count,
            bytes: self.bytes,
            segment_hashes: self.segment_hashes.chunks(32).map(hex::encode).collect(),
            key_shredded: self.key_shredded,
            day_key_id: self.day_key_id,
        }
    }
}

impl Db {
    /// Commits an erasure run: deletes the segment rows and day keys, records the run and its
    /// per-day records, and appends an `erasure` event with the same content.
    pub async fn commit_erasure(
        &self,
        run: &ErasureRun,
        records: &[ErasureRecord],
        segment_ids: &[i64],
        shredded_key_ids: &[i64],
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let run_id = sqlx::query(
            "INSERT INTO erasure_run (trigger, started_us, finished_us, method) VALUES (?, ?, ?, ?)",
        )
        .bind(run.trigger.as_str())
        .bind(to_us(run.started))
        .bind(to_us(run.finished))
        .bind(&run.method)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        for id in segment_ids {
            sqlx::query("DELETE FROM segment WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for id in shredded_key_ids {
            sqlx::query("DELETE FROM day_key WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for r in records {
            sqlx::query(
                "INSERT INTO erasure (run_id, camera_id, day, start_us, end_us, segment_count,
                     bytes, segment_hashes, key_shredded, day_key_id)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(run_id)
            .bind(&r.camera_id)
            .bind(&r.day)
            .bind(r.start_us)
            .bind(r.end_us)
            .bind(r.segment_count)
            .bind(r.bytes)
            .bind(&r.segment_hashes)
            .bind(r.key_shredded)
            .bind(r.day_key_id)
            .execute(&mut *tx)
            .await?;
        }
        let body = EventBody::Erasure(Erasure {
            run_id,
            trigger: run.trigger,
            method: run.method.clone(),
            erased: records.iter().map(ErasureRecord::erased_day).collect(),
        });
        events::insert(&mut tx, &Event::system("sweeper", body).at(run.finished)).await?;
        tx.commit().await?;
        Ok(run_id)
    }

    /// Erasure records of a camera (or all), oldest first.
    pub async fn erasures(&self, camera: Option<&str>) -> Result<Vec<ErasureRecord>> {
        Ok(sqlx::query_as(
            "SELECT camera_id, day, start_us, end_us, segment_count, bytes, segment_hashes,
                    key_shredded, day_key_id
             FROM erasure WHERE ?1 IS NULL OR camera_id = ?1 ORDER BY id",
        )
        .bind(camera)
        .fetch_all(&self.pool)
        .await?)
    }
}
