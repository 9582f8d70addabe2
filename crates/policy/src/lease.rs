//! Which recorder node records which camera (issue 15, in progress; docs/scale.md).
//!
//! A city runs many recorder nodes over one database. A node records a camera while it holds
//! the camera's **lease**: a row naming the node, an **epoch** that grows by one each time the
//! camera changes hands, and an expiry the node pushes forward every few seconds. A node that
//! dies stops renewing; once its leases expire, the live nodes take its cameras. Every segment a
//! node indexes carries the epoch it recorded under, and [`may_index`] refuses a segment whose
//! epoch is not the camera's current lease of that node: a node that lost its lease (paused,
//! cut off) cannot index footage over its successor's, so no camera is recorded into the index
//! by two nodes at once for longer than one lease period.
//!
//! [`plan`] is what every node computes each round from the same rows: a fair share of the
//! cameras each (the count divided by the live nodes, rounded up), the cameras nobody holds
//! spread by rendezvous hashing so nodes rarely reach for the same one, and the excess a node
//! holds above its share released when a node joins. It is pure: the database applies a claim
//! only if the lease is still as the plan saw it (expired, same epoch), so two nodes that
//! planned from different moments cannot both win. The database applies it in `Db::lease_round`
//! (`mimamori-db`, `leases.rs`); the recorder's loop over it comes with the rest of issue 15.

use std::collections::BTreeMap;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::CameraId;

/// A recorder node's name (from its configuration; unique among the ward's nodes).
pub type NodeId = String;

/// A camera held by a node until `expires`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub camera: CameraId,
    pub node: NodeId,
    /// One more each time the camera changes hands.
    pub epoch: u64,
    pub expires: Timestamp,
}

impl Lease {
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires
    }
}

/// What one node does this round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Cameras nobody holds that fall to this node, with the epoch it takes them under (the
    /// last epoch plus one).
    pub claim: Vec<(CameraId, u64)>,
    /// This node's live leases to push forward.
    pub renew: Vec<CameraId>,
    /// This node's cameras above its fair share, to stop and let go (a node joined).
    pub release: Vec<CameraId>,
}

/// The weight of `node` for `camera`: the node with the highest weight among those with room
/// takes the camera, so each node mostly reaches for different cameras, and a node's going
/// moves only its own cameras.
fn weight(node: &str, camera: &CameraId) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(node.as_bytes());
    h.update([0]);
    h.update(camera.as_str().as_bytes());
    h.finalize().into()
}

/// What node `me` does this round, given every camera of the policy, every lease row (live or
/// not) and the nodes alive now (`me` among them).
pub fn plan(
    me: &str,
    cameras: &[CameraId],
    leases: &[Lease],
    live_nodes: &[NodeId],
    now: Timestamp,
) -> Plan {
    let mut nodes: Vec<&str> = live_nodes.iter().map(String::as_str).collect();
    nodes.sort_unstable();
    nodes.dedup();
    if nodes.is_empty() || cameras.is_empty() {
        return Plan::default();
    }
    let share = cameras.len().div_ceil(nodes.len());
    let lease_of: BTreeMap<&CameraId, &Lease> = leases.iter().map(|l| (&l.camera, l)).collect();
    // Who holds what now. A live lease is respected even if its node looks gone: only an
    // expired lease is taken over (the database checks the same).
    let mut held: BTreeMap<&str, Vec<&CameraId>> = nodes.iter().map(|&n| (n, vec![])).collect();
    let mut orphans = Vec::new();
    for camera in cameras {
        match lease_of.get(camera) {
            Some(l) if l.is_live(now) => {
                if let Some(cams) = held.get_mut(l.node.as_str()) {
                    cams.push(camera);
                }
            }
            _ => orphans.push(camera),
        }
    }
    let mut plan = Plan::default();
    // Above its share a node keeps the cameras it weighs highest and lets the rest go.
    let mut mine: Vec<&CameraId> = held.get(me).cloned().unwrap_or_default();
    mine.sort_by_key(|c| std::cmp::Reverse(weight(me, c)));
    if mine.len() > share {
        plan.release = mine.split_off(share).into_iter().cloned().collect();
    }
    plan.renew = mine.into_iter().cloned().collect();
    plan.renew.sort();
    plan.release.sort();
    // Every node spreads the orphans the same way; this one takes its part.
    let mut count: BTreeMap<&str, usize> = held
        .iter()
        .map(|(&n, cams)| (n, cams.len().min(share)))
        .collect();
    orphans.sort();
    for camera in orphans {
        let taker = nodes
            .iter()
            .copied()
            .filter(|n| count[n] < share)
            .max_by_key(|n| weight(n, camera));
        let Some(taker) = taker else { break };
        *count.entry(taker).or_default() += 1;
        if taker == me {
            let epoch = lease_of.get(camera).map_or(0, |l| l.epoch) + 1;
            plan.claim.push((camera.clone(), epoch));
        }
    }
    plan
}

/// Why a segment may not be indexed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fenced {
    #[error("camera {camera} is leased to node {holder} (epoch {epoch}) now")]
    Elsewhere {
        camera: CameraId,
        holder: NodeId,
        epoch: u64,
    },
    #[error("the lease of camera {camera} under which it was recorded has expired")]
    Expired { camera: CameraId },
    #[error("camera {camera} has no lease")]
    NoLease { camera: CameraId },
}

/// Fencing: node `me` may index a segment of `lease.camera` recorded under `epoch` only while
/// that is still the camera's lease of `me`, live.
pub fn may_index(
    me: &str,
    epoch: u64,
    camera: &CameraId,
    lease: Option<&Lease>,
    now: Timestamp,
) -> Result<(), Fenced> {
    let Some(lease) = lease else {
        return Err(Fenced::NoLease {
            camera: camera.clone(),
        });
    };
    if lease.node != me || lease.epoch != epoch {
        return Err(Fenced::Elsewhere {
            camera: camera.clone(),
            holder: lease.node.clone(),
            epoch: lease.epoch,
        });
    }
    if !lease.is_live(now) {
        return Err(Fenced::Expired {
            camera: camera.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
