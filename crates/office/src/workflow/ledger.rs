//! The ledger as staff who read records see it (T4): the latest checkpoint the ward signed
//! (N3.2.1) and the newest events. Outsiders verify with the public routes and the CLI.

use mimamori_db::{CheckpointRow, EventRow};
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
