//! T5.3: the Manager keeps a range of footage beyond retention, for a reason, to a date.

use mimamori_db::vocabulary::{self};
use mimamori_db::{EventBody, NewHold};
use mimamori_policy::access::Action;
use mimamori_policy::Rule;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{HoldInput, HoldPlaced};
use crate::workflow::chain::check_camera;
use crate::workflow::fields::required_text;
use crate::OfficeState;

/// T5.3, the Manager keeps a range beyond retention, for a reason, to a
/// date. The sweeper honours it until then.
pub async fn place_hold(
    office: &OfficeState,
    caller: &Caller,
    req: HoldInput,
) -> Result<HoldPlaced, ApiError> {
    caller.may(office, Action::PlaceHold, "hold_added").await?;
    let camera = check_camera(office, &req.camera)?;
    let now = office.clock.now();
    if req.from >= req.to || req.until <= now {
        return Err(ApiError::invalid(
            "until",
            "the range must start before it ends, and the hold must last past now",
            "範囲の開始は終了より前、延長期限は現在より後にしてください",
        ));
    }
    let reason = required_text("reason", &req.reason, 2000).map_err(|e| e.rule(Rule::T5_3))?;
    let hold = NewHold {
        camera_id: camera,
        start: req.from,
        end: req.to,
        reason,
        held_by: caller.login().to_owned(),
        until: req.until,
    };
    let id = office
        .db
        .insert_hold(&hold, now, |hold_id| {
            caller.event(EventBody::HoldAdded(vocabulary::HoldAdded {
                hold_id,
                camera: hold.camera_id.as_str().to_owned(),
                from: Some(req.from),
                to: Some(req.to),
                until: Some(req.until),
                reason: hold.reason.clone(),
                decided_by: None,
            }))
        })
        .await?;
    Ok(HoldPlaced { id })
}

/// Holds in force (T5.3).
pub async fn list_holds(
    office: &OfficeState,
    caller: &Caller,
) -> Result<Vec<mimamori_db::HoldRow>, ApiError> {
    caller
        .may(office, Action::ReadRecords, "holds_read")
        .await?;
    Ok(office.db.active_holds(office.clock.now()).await?)
}
