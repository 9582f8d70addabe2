//! Dedicated terminals (N2, N3.3, N8, N10.4): registered by the Operations lead with a
//! location, a custodian and the public half of the terminal's own key; revoked, never deleted.

use mimamori_db::{vocabulary, AlertKind, EventBody, NewAlert, NewTerminal, TerminalRow};
use mimamori_policy::access::Action;
use mimamori_policy::Rule;
use mimamori_policy::TerminalId;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::grant::parse_public_key;
use crate::wire::Registration;
use crate::workflow::fields::{check_id, required_text};
use crate::OfficeState;

/// `POST /api/v1/terminals`.
pub async fn register_terminal(
    office: &OfficeState,
    caller: &Caller,
    req: Registration,
) -> Result<TerminalRow, ApiError> {
    caller
        .may(office, Action::RegisterTerminal, "terminal_registered")
        .await?;
    check_id("id", req.id.as_str())?;
    if parse_public_key(&req.public_key).is_none() {
        return Err(ApiError::invalid(
            "public_key",
            "is not an Ed25519 public key in base64 (from `mimamori terminal init`)",
            "Ed25519公開鍵（base64）ではありません",
        )
        .rule(Rule::N3_3));
    }
    let db = &office.db;
    crate::workflow::delegations::check_delegation(office, req.delegation_id, Rule::N10_4).await?;
    let new = NewTerminal {
        id: req.id.clone(),
        name: required_text("name", &req.name, 100)?,
        location: required_text("location", &req.location, 200)?,
        custodian: required_text("custodian", &req.custodian, 100)?,
        public_key: req.public_key.trim().to_owned(),
        delegation_id: req.delegation_id,
        registered_by: caller.login().to_owned(),
    };
    let event = caller.event(EventBody::TerminalRegistered(new.registered()));
    let now = office.clock.now();
    // Issue 11, #1: a terminal nobody expected is seen by the Manager and the Auditor.
    let alert =
        NewAlert {
            kind: AlertKind::Terminal,
            camera: None,
            message: format!(
            "専用端末の登録: {}（所在 {}、管理者 {}、登録 {}） / terminal registered: {} at {}, \
             custodian {}, by {}",
            new.id, new.location, new.custodian, new.registered_by, new.id, new.location,
            new.custodian, new.registered_by
        ),
        };
    db.register_terminal(&new, now, Some(&alert), event).await?;
    let row = db
        .terminal(&new.id)
        .await?
        .ok_or_else(|| ApiError::internal("lost"))?;
    Ok(row)
}

/// `GET /api/v1/terminals`.
pub async fn list_terminals(
    office: &OfficeState,
    caller: &Caller,
) -> Result<Vec<TerminalRow>, ApiError> {
    caller
        .may(office, Action::ReadRecords, "terminals_read")
        .await?;
    Ok(office.db.terminals().await?)
}

/// A terminal lost, stolen or retired is revoked, never deleted (N3.3.2).
pub async fn revoke_terminal(
    office: &OfficeState,
    caller: &Caller,
    id: TerminalId,
) -> Result<(), ApiError> {
    caller
        .may(office, Action::RevokeTerminal, "terminal_revoked")
        .await?;
    let db = &office.db;
    if db.terminal(&id).await?.is_none() {
        return Err(unknown_terminal(&id));
    }
    let event = caller.event(EventBody::TerminalRevoked(vocabulary::TerminalRevoked {
        terminal: id.to_string(),
    }));
    db.revoke_terminal(&id, caller.login(), office.clock.now(), event)
        .await?;
    Ok(())
}

pub(crate) fn unknown_terminal(id: &TerminalId) -> ApiError {
    ApiError::not_found(
        "unknown_terminal",
        format!("no terminal {id:?} is registered"),
        format!("端末 {id:?} は登録されていません"),
    )
    .rule(Rule::N2)
}
