//! A person's own sessions (N3.3.1): where they are signed in, and ending every session but
//! the one in hand (a browser left signed in on another ward PC). Only the caller's own
//! sessions are shown or ended; nobody else's are reachable from here.

use mimamori_db::vocabulary::SessionsEnded;
use mimamori_db::{from_us, EventBody};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{EndedSessions, SessionView};
use crate::OfficeState;

/// The caller's open sessions, newest first; `this` marks the one the request came with.
pub async fn my_sessions(
    office: &OfficeState,
    caller: &Caller,
) -> Result<Vec<SessionView>, ApiError> {
    let open = office.db.open_sessions(caller.staff.id).await?;
    Ok(open
        .into_iter()
        .map(|s| SessionView {
            started: from_us(s.created_us),
            last_used: from_us(s.last_used_us),
            second_factor: s.second_factor,
            this: s.token_sha256 == caller.token_sha256,
        })
        .collect())
}

/// Ends the caller's other sessions; the event says how many ended.
pub async fn sign_out_elsewhere(
    office: &OfficeState,
    caller: &Caller,
) -> Result<EndedSessions, ApiError> {
    let now = office.clock.now();
    let ended = office
        .db
        .end_other_sessions(caller.staff.id, &caller.token_sha256, now, |ended| {
            caller.event(EventBody::SignedOutElsewhere(SessionsEnded { ended }))
        })
        .await?;
    Ok(EndedSessions { ended })
}
