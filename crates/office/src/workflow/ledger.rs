//! The ledger as staff who read records see it (T4): the latest checkpoint the ward signed
//! (N3.2.1) and the newest events. Outsiders verify with the public routes and the CLI.

use mimamori_db::{CheckpointRow, EventRow};
use mimamori_ledger::tree::{check_record, leaf_hash, Hash};
use mimamori_policy::access::Action;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::OfficeState;

/// How many events a page shows at most.
pub const PAGE: i64 = 200;

pub struct LedgerView {
    pub checkpoint: Option<CheckpointRow>,
    pub events: Vec<EventRow>,
}

/// The latest checkpoint and the newest events, only those whose kind or actor is `filter`
/// when one is given.
pub async fn ledger_view(
    office: &OfficeState,
    caller: &Caller,
    filter: Option<&str>,
) -> Result<LedgerView, ApiError> {
    caller
        .may(office, Action::ReadRecords, "ledger_read")
        .await?;
    let filter = filter.map(str::trim).filter(|f| !f.is_empty());
    if filter.is_some_and(|f| f.len() > 64) {
        return Err(ApiError::invalid(
            "filter",
            "at most 64 characters",
            "64文字以内で入力してください",
        ));
    }
    Ok(LedgerView {
        checkpoint: office.db.latest_checkpoint().await?,
        events: office.db.recent_events(filter, PAGE).await?,
    })
}

/// One event, its leaf hash, and its RFC 6962 inclusion proof in the latest signed checkpoint,
/// checked here as an outsider would check it.
pub struct EventView {
    pub event: EventRow,
    pub leaf: Hash,
    /// The checkpoint that covers it, the proof, and whether the proof checks; `None` while no
    /// checkpoint covers the event yet.
    pub proof: Option<(CheckpointRow, Vec<Hash>, bool)>,
}

pub async fn event_view(
    office: &OfficeState,
    caller: &Caller,
    id: i64,
) -> Result<EventView, ApiError> {
    caller
        .may(office, Action::ReadRecords, "ledger_read")
        .await?;
    let db = &office.db;
    let event = db.event(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_event",
            format!("no event {id}"),
            format!("記録 {id} はありません"),
        )
    })?;
    let bytes = event.canonical_bytes().map_err(ApiError::internal)?;
    let leaf = leaf_hash(&bytes);
    let index = (id - 1) as u64;
    let proof = match db.latest_checkpoint().await? {
        Some(cp) if cp.size as u64 > index => {
            let size = cp.size as u64;
            let proof = db.inclusion_proof(index, size).await?;
            let root: [u8; 32] = cp.root.as_slice().try_into().map_err(ApiError::internal)?;
            let checks = check_record(&proof, size, Hash(root), index, leaf).is_ok();
            Some((cp, proof, checks))
        }
        _ => None,
    };
    Ok(EventView { event, leaf, proof })
}
