//! N10.2–N10.4: written delegations to an investigative body. A delegation names the cameras
//! it covers, as data the emergency step enforces (issue 11, #4: its free-text scope was never
//! checked, and delegated staff retrieved from a camera the scope excluded); it runs between
//! its dates unless the Manager withdraws it first.

use jiff::Timestamp;
use mimamori_db::vocabulary;
use mimamori_db::{DelegatedCameras, DelegationRow, EventBody, NewDelegation};
use mimamori_policy::access::Action;
use mimamori_policy::{CameraId, DelegationId, Rule};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{DelegationInput, ReasonInput};
use crate::workflow::chain::check_camera;
use crate::workflow::fields::required_text;
use crate::OfficeState;

/// N10.2, the Manager records a written delegation, with the cameras it covers.
pub async fn record_delegation(
    office: &OfficeState,
    caller: &Caller,
    req: DelegationInput,
) -> Result<DelegationRow, ApiError> {
    caller
        .may(office, Action::RecordDelegation, "delegation_recorded")
        .await?;
    if req.until <= req.from {
        return Err(ApiError::invalid(
            "until",
            "must be after from",
            "終了日は開始日より後にしてください",
        ));
    }
    if req.cameras.is_empty() {
        return Err(ApiError::invalid(
            "cameras",
            "name the cameras the delegation covers (its scope, as the written delegation says)",
            "委任の対象となるカメラを指定してください",
        )
        .rule(Rule::N10_2));
    }
    let mut cameras: Vec<CameraId> = Vec::new();
    for id in &req.cameras {
        let camera = check_camera(office, id)?;
        if !cameras.contains(&camera) {
            cameras.push(camera);
        }
    }
    let new = NewDelegation {
        body: required_text("body", &req.body, 200)?,
        document_ref: required_text("document_ref", &req.document_ref, 200)
            .map_err(|e| e.rule(Rule::N10_2))?,
        scope: required_text("scope", &req.scope, 1000)?,
        cameras: DelegatedCameras(cameras),
        from: req.from,
        until: req.until,
        recorded_by: caller.login().to_owned(),
    };
    let db = &office.db;
    let id = db
        .create_delegation(&new, office.clock.now(), |delegation| {
            caller.event(EventBody::DelegationRecorded(
                vocabulary::DelegationRecorded {
                    delegation,
                    body: new.body.clone(),
                    document_ref: new.document_ref.clone(),
                    scope: new.scope.clone(),
                    from: new.from,
                    until: new.until,
                    cameras: new.cameras.0.iter().map(CameraId::to_string).collect(),
                },
            ))
        })
        .await?;
    find(office, id).await
}

async fn find(office: &OfficeState, id: DelegationId) -> Result<DelegationRow, ApiError> {
    office.db.delegation(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_delegation",
            format!("no delegation {id}"),
            format!("委任 {id} は登録されていません"),
        )
        .rule(Rule::N10_2)
    })
}

/// N10.2: the Manager withdraws a delegation before its end; its staff and terminals can no
/// longer retrieve in an emergency.
pub async fn withdraw_delegation(
    office: &OfficeState,
    caller: &Caller,
    id: DelegationId,
    req: ReasonInput,
) -> Result<DelegationRow, ApiError> {
    caller
        .may(office, Action::RecordDelegation, "delegation_withdrawn")
        .await?;
    find(office, id).await?;
    let reason = required_text("reason", &req.reason, 2000).map_err(|e| e.rule(Rule::N10_2))?;
    let event = caller.event(EventBody::DelegationWithdrawn(
        vocabulary::DelegationWithdrawn {
            delegation: id,
            reason: reason.clone(),
        },
    ));
    office
        .db
        .withdraw_delegation(id, caller.login(), &reason, office.clock.now(), event)
        .await?;
    find(office, id).await
}

/// The delegations on record (N10.2).
pub async fn list_delegations(
    office: &OfficeState,
    caller: &Caller,
) -> Result<Vec<DelegationRow>, ApiError> {
    caller
        .may(office, Action::ReadRecords, "delegations_read")
        .await?;
    Ok(office.db.delegations().await?)
}

/// N10.3, N10.4: an account or terminal names a delegation that is on record.
pub(crate) async fn check_delegation(
    office: &OfficeState,
    delegation_id: Option<DelegationId>,
    rule: Rule,
) -> Result<(), ApiError> {
    let Some(id) = delegation_id else {
        return Ok(());
    };
    find(office, id).await.map(drop).map_err(|e| e.rule(rule))
}

/// N10.2: the terminal's delegation, if it is within its dates, not withdrawn, and the
/// caller's own.
pub(crate) async fn delegation_in_force(
    office: &OfficeState,
    caller: &Caller,
    delegation_id: Option<DelegationId>,
    now: Timestamp,
) -> Result<Option<DelegationRow>, ApiError> {
    let delegation = match delegation_id {
        Some(id) if caller.staff.delegation_id == Some(id) => office.db.delegation(id).await?,
        _ => None,
    };
    Ok(delegation.filter(|d| d.in_force(now)))
}
