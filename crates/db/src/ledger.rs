//! The ledger's storage: the Merkle tree's stored hashes, the ward's public keys, and signed
//! checkpoints (schema `0002_ledger.sql`).
//!
//! Leaf `i` of the tree is event `i + 1`. The tree math is `mimamori_ledger::tree`; this module
//! fetches the hashes a computation needs ([`indexes_read`]) and hands them over. Nothing here
//! signs: signing keys are files the office's notary holds.

use std::collections::HashMap;

use jiff::Timestamp;
use mimamori_ledger::checkpoint::{NoteError, TrustedKeys};
use mimamori_ledger::tree::{
    indexes_read, leaf_hash, prove_record, prove_tree, stored_hash_index, tree_hash, Appender,
    MapReader, MemoryTree,
};
use mimamori_ledger::{CheckpointBody, Hash};
use sqlx::{Any, AnyConnection, Transaction};

use crate::events::EventRow;
use crate::{placeholders, to_us, Db, DbError, Engine, Result};

/// How many events [`Db::verify_ledger`] and [`Db::event_page`] read per query.
const PAGE: i64 = 10_000;

/// SQLite allows 32766 bound parameters per statement; stay far below.
const HASHES_PER_INSERT: usize = 2_000;

pub(crate) async fn read_hashes(conn: &mut AnyConnection, indexes: &[u64]) -> Result<MapReader> {
    let mut map = HashMap::with_capacity(indexes.len());
    for chunk in indexes.chunks(HASHES_PER_INSERT) {
        let sql = format!(
            "SELECT idx, hash FROM ledger_hash WHERE idx IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as(&sql);
        for i in chunk {
            q = q.bind(*i as i64);
        }
        let rows: Vec<(i64, Vec<u8>)> = q.fetch_all(&mut *conn).await?;
        for (idx, hash) in rows {
            let hash: [u8; 32] = hash
                .try_into()
                .map_err(|_| DbError::Invalid(format!("ledger hash {idx} is not 32 bytes")))?;
            map.insert(idx as u64, Hash(hash));
        }
    }
    Ok(MapReader(map))
}

/// Appends leaf hashes to the stored tree of `size` leaves and moves the head; returns the new
/// size. The caller holds a write transaction in which the leaves' events are (or already were)
/// written, so events and tree commit together.
pub(crate) async fn append_leaves(
    conn: &mut AnyConnection,
    size: u64,
    leaves: &[Hash],
) -> Result<u64> {
    let frontier = Appender::frontier_indexes(size)?;
    let mut appender = Appender::new(size, read_hashes(conn, &frontier).await?.0);
    let mut hashes = Vec::with_capacity(leaves.len() * 2);
    for leaf in leaves {
        hashes.extend(appender.append(*leaf)?);
    }
    store_hashes(conn, &hashes).await?;
    sqlx::query("UPDATE ledger_head SET size = $1")
        .bind(appender.size() as i64)
        .execute(&mut *conn)
        .await?;
    Ok(appender.size())
}

async fn store_hashes(conn: &mut AnyConnection, hashes: &[(u64, Hash)]) -> Result<()> {
    for chunk in hashes.chunks(HASHES_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO ledger_hash (idx, hash) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (idx, hash) in chunk {
            q = q.bind(*idx as i64).bind(hash.0.to_vec());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A public key the ward signs (or signed) checkpoints with.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct LedgerKeyRow {
    pub id: i64,
    pub verifier_key: String,
    pub created_us: i64,
    pub retired_us: Option<i64>,
}

/// A signed checkpoint as kept.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckpointRow {
    pub id: i64,
    pub size: i64,
    pub root: Vec<u8>,
    pub time_us: i64,
    pub key_id: i64,
    pub note: String,
}

/// What [`Db::verify_ledger`] found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LedgerCheck {
    pub size: u64,
    pub root: String,
    pub checkpoints_checked: usize,
    /// Where the keys the checkpoints' signatures were checked against came from: `given`
    /// (out of band, the check that trusts nothing in the database) or `database`.
    pub keys: &'static str,
    /// Problems, first one first; empty when the ledger is intact.
    pub problems: Vec<String>,
}

impl Db {
    /// Starts a transaction that takes the write lock at once. On SQLite, its database lock, so
    /// concurrent writers queue on `busy_timeout` instead of failing when one of them upgrades a
    /// read lock. On PostgreSQL, an advisory lock held until commit, so writers of every
    /// process queue: no two appends read the same ledger head (no two events with one index,
    /// no gap), and a check made inside the transaction still holds at its commit.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        match self.engine {
            Engine::Sqlite => Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?),
            Engine::Postgres => {
                let mut tx = self.writer.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(crate::postgres::WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// Number of leaves in the log.
    pub async fn ledger_size(&self) -> Result<u64> {
        let size: i64 = sqlx::query_scalar("SELECT size FROM ledger_head")
            .fetch_one(&self.pool)
            .await?;
        Ok(size as u64)
    }

    /// The stored hashes at `indexes` (as [`indexes_read`] lists them).
    async fn stored(&self, indexes: &[u64]) -> Result<MapReader> {
        let mut conn = self.pool.acquire().await?;
        read_hashes(&mut conn, indexes).await
    }

    /// Root hash of the tree of the first `size` leaves.
    pub async fn ledger_root(&self, size: u64) -> Result<Hash> {
        self.check_size(size).await?;
        let needed = indexes_read(|r| tree_hash(size, r))?;
        Ok(tree_hash(size, &self.stored(&needed).await?)?)
    }

    /// RFC 6962 inclusion proof of leaf `index` in the tree of `size` leaves.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        self.check_size(size).await?;
        if index >= size {
            return Err(DbError::Invalid(format!(
                "leaf {index} is not in a tree of {size} leaves"
            )));
        }
        let needed = indexes_read(|r| prove_record(size, index, r))?;
        Ok(prove_record(size, index, &self.stored(&needed).await?)?)
    }

    /// RFC 6962 consistency proof between the trees of `old` and `new` leaves.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        self.check_size(new).await?;
        if old == 0 || old > new {
            return Err(DbError::Invalid(format!(
                "a consistency proof needs 1 ≤ old ≤ new; got old {old}, new {new}"
            )));
        }
        let needed = indexes_read(|r| prove_tree(new, old, r))?;
        Ok(prove_tree(new, old, &self.stored(&needed).await?)?)
    }

    async fn check_size(&self, size: u64) -> Result<()> {
        let current = self.ledger_size().await?;
        if size > current {
            return Err(DbError::Invalid(format!(
                "the log has {current} leaves, not {size}"
            )));
        }
        Ok(())
    }

    /// Events with ids from `first_id`, at most `limit`, oldest first.
    pub async fn event_page(&self, first_id: i64, limit: i64) -> Result<Vec<EventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, time_us, actor, role, terminal, kind, rule, outcome, detail FROM event
             WHERE id >= $1 ORDER BY id LIMIT $2",
        )
        .bind(first_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The event at leaf `seq`.
    pub async fn event_at(&self, seq: u64) -> Result<Option<EventRow>> {
        Ok(self
            .event_page(seq as i64 + 1, 1)
            .await?
            .pop()
            .filter(|e| e.seq() == seq))
    }

    pub async fn add_ledger_key(&self, verifier_key: &str, now: Timestamp) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>(
            "INSERT INTO ledger_key (verifier_key, created_us) VALUES ($1, $2) RETURNING id",
        )
        .bind(verifier_key)
        .bind(to_us(now))
        .fetch_one(&self.writer)
        .await?)
    }

    pub async fn retire_ledger_key(&self, id: i64, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE ledger_key SET retired_us = $1 WHERE id = $2 AND retired_us IS NULL")
            .bind(to_us(now))
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Every key the ward has signed with, oldest first.
    pub async fn ledger_keys(&self) -> Result<Vec<LedgerKeyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, verifier_key, created_us, retired_us FROM ledger_key ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn add_checkpoint(
        &self,
        body: &CheckpointBody,
        key_id: i64,
        note: &str,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>(
            "INSERT INTO ledger_checkpoint (size, root, time_us, key_id, note) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(body.size as i64)
        .bind(body.root.0.to_vec())
        .bind(to_us(body.time))
        .bind(key_id)
        .bind(note)
        .fetch_one(&self.writer)
        .await?)
    }

    /// Checkpoints with ids after `after_id`, oldest first, at most `limit`.
    pub async fn checkpoints(&self, after_id: i64, limit: i64) -> Result<Vec<CheckpointRow>> {
        Ok(sqlx::query_as(
            "SELECT id, size, root, time_us, key_id, note FROM ledger_checkpoint
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn latest_checkpoint(&self) -> Result<Option<CheckpointRow>> {
        Ok(sqlx::query_as(
            "SELECT id, size, root, time_us, key_id, note FROM ledger_checkpoint
             ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Hashes events written before the ledger existed (schema 1), so every event is a leaf.
    pub(crate) async fn catch_up_ledger(&self) -> Result<()> {
        loop {
            let mut tx = self.begin_write().await?;
            let size: i64 = sqlx::query_scalar("SELECT size FROM ledger_head")
                .fetch_one(&mut *tx)
                .await?;
            let rows: Vec<EventRow> = sqlx::query_as(
                "SELECT id, time_us, actor, role, terminal, kind, rule, outcome, detail FROM event
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(size)
            .bind(PAGE)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut leaves = Vec::with_capacity(rows.len());
            for (seq, row) in (size as u64..).zip(&rows) {
                if row.seq() != seq {
                    return Err(DbError::Invalid(format!(
                        "event ids skip from {seq} to {}: the ledger needs consecutive ids",
                        row.id
                    )));
                }
                let bytes = row.canonical_bytes().map_err(|e| {
                    DbError::Invalid(format!("event {} cannot enter the ledger: {e}", row.id))
                })?;
                leaves.push(leaf_hash(&bytes));
            }
            let new_size = append_leaves(&mut tx, size as u64, &leaves).await?;
            tx.commit().await?;
            tracing::info!(size = new_size, "ledger caught up with older events");
        }
    }

    /// Re-derives every leaf from the event rows and checks it against the stored leaf hashes,
    /// rebuilds the tree from them, and checks every kept checkpoint's *signed note* (against
    /// `trusted` keys, given out of band, or else the database's own) and the root it signs
    /// against the rebuilt tree. Someone who rewrote an event, its leaf hash and the stored root
    /// columns, without the ward's private key, is found: the signed roots do not move
    /// (issue 11, #15).
    pub async fn verify_ledger(&self, trusted: Option<&TrustedKeys>) -> Result<LedgerCheck> {
        let size = self.ledger_size().await?;
        let mut tree = MemoryTree::with_capacity(size as usize);
        let mut problems = Vec::new();
        let mut next_id = 1;
        loop {
            let rows = self.event_page(next_id, PAGE).await?;
            let Some(last) = rows.last() else { break };
            next_id = last.id + 1;
            let leaf_indexes: Vec<u64> =
                rows.iter().map(|r| stored_hash_index(0, r.seq())).collect();
            let stored = self.stored(&leaf_indexes).await?;
            for (row, idx) in rows.iter().zip(leaf_indexes) {
                if row.seq() != tree.size() {
                    problems.push(format!(
                        "event {} is missing from the event table",
                        tree.size() + 1
                    ));
                    return Ok(self.ledger_check(&tree, 0, "none", problems));
                }
                let leaf = match row.canonical_bytes() {
                    Ok(bytes) => leaf_hash(&bytes),
                    Err(e) => {
                        problems.push(format!("event {}: {e}", row.id));
                        Hash([0; 32])
                    }
                };
                if stored.0.get(&idx) != Some(&leaf) {
                    problems.push(format!(
                        "event {} ({}) no longer matches its leaf hash: it was changed after it was written",
                        row.id, row.kind
                    ));
                }
                tree.push(leaf)?;
            }
        }
        if tree.size() != size {
            problems.push(format!(
                "the tree has {size} leaves but the event table {} events",
                tree.size()
            ));
        }
        let (trusted, keys) = match trusted {
            Some(t) => (Some(t.clone()), "given"),
            None => {
                let known: Vec<String> = self
                    .ledger_keys()
                    .await?
                    .into_iter()
                    .map(|k| k.verifier_key)
                    .collect();
                (TrustedKeys::parse(&known.join("\n")).ok(), "database")
            }
        };
        let mut checked = 0;
        let mut after = 0;
        loop {
            let page = self.checkpoints(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for cp in &page {
                checked += 1;
                let signed = match &trusted {
                    Some(t) => CheckpointBody::open(cp.note.as_bytes(), t),
                    None => Err(NoteError::Key("no verifier key".into())),
                };
                let body = match signed {
                    Ok(body) => body,
                    Err(e) => {
                        problems.push(format!(
                            "checkpoint {}: its signed note does not verify: {e}",
                            cp.id
                        ));
                        continue;
                    }
                };
                let root = tree.root_at(body.size).ok();
                if root != Some(body.root) {
                    problems.push(format!(
                        "checkpoint {} (size {}) signed by the ward does not match the log: \
                         events it covers were changed after it was signed",
                        cp.id, body.size
                    ));
                } else if cp.root != body.root.0.to_vec() || cp.size as u64 != body.size {
                    problems.push(format!(
                        "checkpoint {}: its stored size or root differs from its signed note",
                        cp.id
                    ));
                }
            }
        }
        Ok(self.ledger_check(&tree, checked, keys, problems))
    }

    fn ledger_check(
        &self,
        tree: &MemoryTree,
        checked: usize,
        keys: &'static str,
        problems: Vec<String>,
    ) -> LedgerCheck {
        LedgerCheck {
            size: tree.size(),
            root: tree
                .root_at(tree.size())
                .map(|h| hex::encode(h.0))
                .unwrap_or_default(),
            checkpoints_checked: checked,
            keys,
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;
    use mimamori_ledger::tree::{check_record, check_tree};

    fn event(i: usize) -> Event {
        let body =
            crate::EventBody::RecorderStarted(mimamori_ledger::vocabulary::RecorderStarted {
                cameras: i as u64,
            });
        Event::system("test", body)
    }

    #[tokio::test]
    async fn n9_3_every_event_is_a_leaf_and_proofs_check() {
        let db = crate::testutil::test_db().await;
        for i in 0..5 {
            db.append_event(&event(i)).await.unwrap();
        }
        let batch: Vec<Event> = (5..40).map(event).collect();
        db.append_events(&batch).await.unwrap();
        assert_eq!(db.ledger_size().await.unwrap(), 40);
        let root = db.ledger_root(40).await.unwrap();
        for seq in [0u64, 4, 5, 39] {
            let row = db.event_at(seq).await.unwrap().unwrap();
            let leaf = leaf_hash(&row.canonical_bytes().unwrap());
            let proof = db.inclusion_proof(seq, 40).await.unwrap();
            check_record(&proof, 40, root, seq, leaf).unwrap();
        }
        let old_root = db.ledger_root(17).await.unwrap();
        let proof = db.consistency_proof(17, 40).await.unwrap();
        check_tree(&proof, 40, root, 17, old_root).unwrap();
        assert!(db.inclusion_proof(40, 40).await.is_err());
        assert!(db.consistency_proof(0, 40).await.is_err());
        assert!(db.ledger_root(41).await.is_err());
        assert!(db.verify_ledger(None).await.unwrap().problems.is_empty());
    }

    #[tokio::test]
    async fn events_with_fractional_numbers_are_refused_and_leave_nothing() {
        let db = crate::testutil::test_db().await;
        let correction = mimamori_ledger::vocabulary::Form1Corrected {
            request: 1.into(),
            corrects_leaf: 0,
            field: mimamori_ledger::vocabulary::Form1Field::Copies,
            value: serde_json::json!({ "x": 0.5 }),
            reason: "r".into(),
        };
        let bad = Event::system("test", crate::EventBody::Form1Corrected(correction));
        let e = db.append_events(&[event(0), bad]).await.unwrap_err();
        assert!(e.to_string().contains("$.value.x"), "{e}");
        assert_eq!(db.ledger_size().await.unwrap(), 0);
        assert!(db.events(None).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn n3_2_1_a_row_changed_behind_the_triggers_is_found() {
        let db = crate::testutil::test_db().await;
        let batch: Vec<Event> = (0..10).map(event).collect();
        db.append_events(&batch).await.unwrap();
        crate::testutil::let_rows_change(&db, "event").await;
        sqlx::query("UPDATE event SET actor = 'mallory' WHERE id = 4")
            .execute(db.pool())
            .await
            .unwrap();
        let check = db.verify_ledger(None).await.unwrap();
        assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
        assert!(check.problems[0].starts_with("event 4 (recorder_started) no longer matches"));
    }

    /// Issue 11, #15: someone with the database (not the ward's private key) rewrote an event,
    /// its leaf hash and the stored checkpoint root, and the local check printed no problem.
    /// It now checks the roots the ward signed, which did not move.
    #[tokio::test]
    async fn attack_an_event_rewritten_with_its_hashes_and_roots_is_found() {
        use mimamori_ledger::checkpoint::SigningKey;
        let db = crate::testutil::test_db().await;
        let batch: Vec<Event> = (0..10).map(event).collect();
        db.append_events(&batch).await.unwrap();
        let (key, _private) = SigningKey::generate("test.example/ledger").unwrap();
        let verifier = key.verifier_key().to_owned();
        let key_id = db
            .add_ledger_key(&verifier, Timestamp::UNIX_EPOCH)
            .await
            .unwrap();
        let body = CheckpointBody {
            origin: "test.example/ledger".into(),
            size: 10,
            root: db.ledger_root(10).await.unwrap(),
            time: Timestamp::UNIX_EPOCH,
        };
        db.add_checkpoint(&body, key_id, &body.sign(&key).unwrap())
            .await
            .unwrap();
        let trusted = TrustedKeys::parse(&verifier).unwrap();
        assert!(db
            .verify_ledger(Some(&trusted))
            .await
            .unwrap()
            .problems
            .is_empty());

        for table in ["event", "ledger_hash", "ledger_checkpoint"] {
            crate::testutil::let_rows_change(&db, table).await;
        }
        sqlx::query("UPDATE event SET actor = 'mallory' WHERE id = 4")
            .execute(db.pool())
            .await
            .unwrap();
        // The new leaf, written where the old one was, and the new root in the stored column.
        let rows = db.event_page(1, 100).await.unwrap();
        let mut tree = MemoryTree::with_capacity(10);
        for row in &rows {
            tree.push(leaf_hash(&row.canonical_bytes().unwrap()))
                .unwrap();
        }
        let forged = leaf_hash(&rows[3].canonical_bytes().unwrap());
        sqlx::query("UPDATE ledger_hash SET hash = $1 WHERE idx = $2")
            .bind(forged.0.to_vec())
            .bind(stored_hash_index(0, 3) as i64)
            .execute(db.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE ledger_checkpoint SET root = $1")
            .bind(tree.root_at(10).unwrap().0.to_vec())
            .execute(db.pool())
            .await
            .unwrap();
        for keys in [Some(&trusted), None] {
            let check = db.verify_ledger(keys).await.unwrap();
            assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
            assert!(
                check.problems[0].contains("signed by the ward does not match the log"),
                "{:?}",
                check.problems
            );
        }
    }
}
