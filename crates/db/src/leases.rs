//! Recorder nodes' leases on cameras (issue 15): the database side of
//! `mimamori_policy::lease`, which decides; this module reads the rows it decides from and
//! applies its plan.
//!
//! A round of a node is one write transaction ([`Db::begin_write`]): SQLite's one writer or
//! PostgreSQL's write lock puts the rounds of all nodes in one order, so each plans from rows no
//! other round is changing. A claim still checks, in its statement, that the lease is as the
//! plan saw it (expired, the epoch before), and the segment table's fencing trigger refuses a
//! segment of an epoch that is not the camera's lease (`migrations/0019_leases.sql`).

use jiff::{SignedDuration, Timestamp};
use mimamori_policy::lease::{self, Lease};
use mimamori_policy::CameraId;

use crate::{from_us, to_us, Db, DbError, Result};

#[derive(sqlx::FromRow)]
struct LeaseRaw {
    camera_id: CameraId,
    node_id: String,
    epoch: i64,
    expires_us: i64,
}

impl TryFrom<LeaseRaw> for Lease {
    type Error = DbError;

    fn try_from(r: LeaseRaw) -> Result<Lease> {
        let epoch = u64::try_from(r.epoch)
            .ok()
            .filter(|e| *e >= 1)
            .ok_or_else(|| {
                DbError::corrupt(format!("lease of {}", r.camera_id), "epoch below 1")
            })?;
        Ok(Lease {
            camera: r.camera_id,
            node: r.node_id,
            epoch,
            expires: from_us(r.expires_us),
        })
    }
}

const LEASES: &str = "SELECT camera_id, node_id, epoch, expires_us FROM camera_lease";

/// An epoch as stored (the plan's are small counts; one above `i64::MAX` is no real epoch).
fn stored_epoch(epoch: u64) -> Result<i64> {
    i64::try_from(epoch).map_err(|_| DbError::Invalid(format!("lease epoch {epoch} too large")))
}

impl Db {
    /// Every lease row, live or not, by camera.
    pub async fn leases(&self) -> Result<Vec<Lease>> {
        let rows: Vec<LeaseRaw> = sqlx::query_as(&format!("{LEASES} ORDER BY camera_id"))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Lease::try_from).collect()
    }

    /// One round of recorder node `node` over the policy's `cameras`: it says it is alive,
    /// and applies [`lease::plan`] over every lease and the nodes seen within `ttl` — renews
    /// its leases until `now + ttl`, lets its excess go (expired at once, the epoch kept, so
    /// the next holder takes it under the next epoch), and claims its part of the cameras
    /// nobody holds. Returns the node's live leases after the round: the cameras it records.
    pub async fn lease_round(
        &self,
        node: &str,
        cameras: &[CameraId],
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<Vec<Lease>> {
        let until = to_us(now + ttl);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO recorder_node (id, seen_us) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET seen_us = excluded.seen_us",
        )
        .bind(node)
        .bind(to_us(now))
        .execute(&mut *tx)
        .await?;
        let rows: Vec<LeaseRaw> = sqlx::query_as(LEASES).fetch_all(&mut *tx).await?;
        let leases = rows
            .into_iter()
            .map(Lease::try_from)
            .collect::<Result<Vec<_>>>()?;
        let live_nodes: Vec<String> =
            sqlx::query_scalar("SELECT id FROM recorder_node WHERE seen_us > $1 ORDER BY id")
                .bind(to_us(now - ttl))
                .fetch_all(&mut *tx)
                .await?;
        let plan = lease::plan(node, cameras, &leases, &live_nodes, now);
        let extend =
            "UPDATE camera_lease SET expires_us = $3 WHERE camera_id = $1 AND node_id = $2";
        for camera in &plan.renew {
            sqlx::query(extend)
                .bind(camera)
                .bind(node)
                .bind(until)
                .execute(&mut *tx)
                .await?;
        }
        for camera in &plan.release {
            sqlx::query(extend)
                .bind(camera)
                .bind(node)
                .bind(to_us(now))
                .execute(&mut *tx)
                .await?;
            tracing::info!(node, camera = %camera, "camera lease released to a joining node");
        }
        for (camera, epoch) in &plan.claim {
            let taken = sqlx::query(
                "INSERT INTO camera_lease (camera_id, node_id, epoch, expires_us)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (camera_id) DO UPDATE SET node_id = excluded.node_id,
                     epoch = excluded.epoch, expires_us = excluded.expires_us
                 WHERE camera_lease.epoch = excluded.epoch - 1 AND camera_lease.expires_us <= $5",
            )
            .bind(camera)
            .bind(node)
            .bind(stored_epoch(*epoch)?)
            .bind(until)
            .bind(to_us(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken == 1 {
                tracing::info!(node, camera = %camera, epoch, "camera lease taken");
            }
        }
        let rows: Vec<LeaseRaw> = sqlx::query_as(&format!(
            "{LEASES} WHERE node_id = $1 AND expires_us > $2 ORDER BY camera_id"
        ))
        .bind(node)
        .bind(to_us(now))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.into_iter().map(Lease::try_from).collect()
    }

    /// A node stopping cleanly lets its cameras go now instead of after its leases expire, and
    /// no longer counts as alive (last seen at the Unix epoch), so the others' shares grow at
    /// once.
    pub async fn release_leases(&self, node: &str, now: Timestamp) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE camera_lease SET expires_us = $2 WHERE node_id = $1 AND expires_us > $2",
        )
        .bind(node)
        .bind(to_us(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE recorder_node SET seen_us = 0 WHERE id = $1")
            .bind(node)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
