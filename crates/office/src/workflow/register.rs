//! The camera register (issue 14): sites chosen from the police's crime information (N4.1),
//! each camera's view and life from planned to removed (T2.1, T7.2), and the signs that tell
//! the public (N4.2, T2.2).
//!
//! Who may: [`Action::ChooseSite`] and [`Action::RemoveCamera`] are the Manager's (N7.2),
//! [`Action::RecordCameraWork`] the Manager's and the Operations lead's. Which step a camera's
//! state allows is `mimamori_policy::register::next_state`; a refusal of either is recorded.
//! Connection data stays in the policy file (docs/register.md): the register says what the
//! public is told, the policy how the recorder reaches the camera.

use jiff::civil::Date;
use mimamori_db::vocabulary::{self, CameraDetails, SiteBasis};
use mimamori_db::{EventBody, NewSign, NewSite, RegisterCamera, RegisterSign};
use mimamori_policy::access::Action;
use mimamori_policy::register::{
    check_sign_text, next_state, FieldProblem, Lifecycle, Position, RegisterStep, View,
};
use mimamori_policy::{CameraId, Rule};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::register::{
    DatedInput, DetailsInput, RegisterCameraOut, RegisterOut, RemovalInput, Removed, SignInput,
    SignOut, SignPlacedOut, SiteInput, ViewInput,
};
use crate::workflow::fields::required_text;
use crate::OfficeState;

fn field(p: FieldProblem) -> ApiError {
    ApiError::invalid(p.field, p.en, p.ja)
}

fn camera_id(text: &str) -> Result<CameraId, ApiError> {
    CameraId::new(text.trim()).map_err(|e| {
        ApiError::invalid(
            "camera",
            e,
            "カメラIDは英小文字・数字・-・_ の1〜32文字にしてください",
        )
    })
}

/// The ward's today: a date recorded as something that happened cannot be later.
fn not_future(office: &OfficeState, field_name: &str, on: Date) -> Result<Date, ApiError> {
    let today = office
        .clock
        .now()
        .to_zoned(office.policy.ward.time_zone.clone())
        .date();
    if on > today {
        return Err(ApiError::invalid(
            field_name,
            format!("{on} is after today ({today})"),
            format!("{on} は今日（{today}）より後の日付です"),
        ));
    }
    Ok(on)
}

fn details(name: &str, v: &ViewInput) -> Result<CameraDetails, ApiError> {
    let height_cm = match v.height_m {
        None => None,
        Some(m) if m.is_finite() && m > 0.0 && m <= 30.0 => Some((m * 100.0).round() as u16),
        Some(_) => {
            return Err(ApiError::invalid(
                "height_m",
                "the mounting height is over 0 and at most 30 metres",
                "設置高さは0より大きく30m以下で入力してください",
            ))
        }
    };
    let privacy_notes = v.privacy_notes.trim().to_owned();
    if privacy_notes.chars().count() > 2000 {
        return Err(ApiError::invalid(
            "privacy_notes",
            "must be at most 2000 characters",
            "2000文字以内にしてください",
        ));
    }
    Ok(CameraDetails {
        name: required_text("name", name, 100)?,
        view: View::new(v.bearing_deg, v.fov_deg, v.range_m).map_err(field)?,
        height_cm,
        privacy_notes,
    })
}

/// The register's camera, or a refusal that names it.
async fn known_camera(office: &OfficeState, id: &CameraId) -> Result<RegisterCamera, ApiError> {
    office.db.register_camera(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "camera_not_registered",
            format!("camera {id} is not in the register"),
            format!("カメラ {id} は台帳にありません"),
        )
        .rule(Rule::N4_1)
    })
}

/// Asks `next_state` about `step` from the camera's state; a refusal is recorded.
async fn may_step(
    office: &OfficeState,
    caller: &Caller,
    (action, kind): (Action, &str),
    current: Option<Lifecycle>,
    step: RegisterStep,
    has_sign: bool,
) -> Result<Lifecycle, ApiError> {
    let verdict = next_state(current, step, has_sign);
    caller.record_refusal(office, action, kind, verdict).await
}

/// The start of a step on one camera of the register: the caller's role for `action`, the
/// camera, and the step allowed from its state (N4.2: operation only under a standing sign).
/// Each refusal is recorded as `kind`.
async fn camera_step(
    office: &OfficeState,
    caller: &Caller,
    (action, kind): (Action, &str),
    camera: &str,
    step: RegisterStep,
) -> Result<(CameraId, RegisterCamera), ApiError> {
    caller.may(office, action, kind).await?;
    let id = camera_id(camera)?;
    let current = known_camera(office, &id).await?;
    let has_sign = step == RegisterStep::StartOperation
        && office
            .db
            .signs()
            .await?
            .iter()
            .any(|s| s.is_standing() && s.cameras.contains(&id));
    let state = Some(current.state);
    may_step(office, caller, (action, kind), state, step, has_sign).await?;
    Ok((id, current))
}

/// N4.1, N7.2: the Manager chooses a camera's site, with the police's crime information it
/// rests on. Choosing again is allowed while nothing stands there.
pub async fn choose_site(
    office: &OfficeState,
    caller: &Caller,
    input: SiteInput,
) -> Result<(), ApiError> {
    let kind = "camera_site_chosen";
    caller.may(office, Action::ChooseSite, kind).await?;
    let camera = camera_id(&input.camera)?;
    let current = office.db.register_camera(&camera).await?.map(|c| c.state);
    let site = NewSite {
        camera: camera.clone(),
        address: required_text("address", &input.address, 200)?,
        position: Position::from_degrees(input.lat, input.lon).map_err(field)?,
        details: details(&input.name, &input.view)?,
        basis: SiteBasis {
            document: required_text("basis_document", &input.basis_document, 200)
                .map_err(|e| e.rule(Rule::N4_1))?,
            date: not_future(office, "basis_date", input.basis_date)?,
            summary: required_text("basis_summary", &input.basis_summary, 2000)
                .map_err(|e| e.rule(Rule::N4_1))?,
        },
        chosen_by: caller.login().to_owned(),
    };
    let step = RegisterStep::ChooseSite;
    may_step(
        office,
        caller,
        (Action::ChooseSite, kind),
        current,
        step,
        false,
    )
    .await?;
    let event = caller.event(EventBody::CameraSiteChosen(vocabulary::CameraSiteChosen {
        camera: camera.to_string(),
        address: site.address.clone(),
        position: site.position,
        details: site.details.clone(),
        basis: site.basis.clone(),
    }));
    let now = office.clock.now();
    office
        .db
        .choose_site(&site, current.is_some(), now, event)
        .await?;
    Ok(())
}

/// T2.1: a camera's name, view and privacy notes, any time before its removal.
pub async fn record_details(
    office: &OfficeState,
    caller: &Caller,
    camera: &str,
    input: DetailsInput,
) -> Result<(), ApiError> {
    let what = (Action::RecordCameraWork, "camera_details_recorded");
    let (camera, _) =
        camera_step(office, caller, what, camera, RegisterStep::RecordDetails).await?;
    let details = details(&input.name, &input.view)?;
    let event = caller.event(EventBody::CameraDetailsRecorded(
        vocabulary::CameraDetailsRecorded {
            camera: camera.to_string(),
            details: details.clone(),
        },
    ));
    let now = office.clock.now();
    office
        .db
        .record_camera_details(&camera, &details, now, event)
        .await?;
    Ok(())
}

/// T2.1: the camera is mounted at its site.
pub async fn install(
    office: &OfficeState,
    caller: &Caller,
    camera: &str,
    input: DatedInput,
) -> Result<(), ApiError> {
    let what = (Action::RecordCameraWork, "camera_installed");
    let (camera, _) = camera_step(office, caller, what, camera, RegisterStep::Install).await?;
    let on = not_future(office, "on", input.on)?;
    let event = caller.event(EventBody::CameraInstalled(vocabulary::CameraDated {
        camera: camera.to_string(),
        on,
    }));
    let now = office.clock.now();
    office.db.install_camera(&camera, on, now, event).await?;
    Ok(())
}

/// N5, N4.2: the camera records for the ward from `on`; a standing sign must tell of it.
pub async fn start_operation(
    office: &OfficeState,
    caller: &Caller,
    camera: &str,
    input: DatedInput,
) -> Result<(), ApiError> {
    let what = (Action::RecordCameraWork, "camera_operation_started");
    let step = RegisterStep::StartOperation;
    let (camera, current) = camera_step(office, caller, what, camera, step).await?;
    let on = not_future(office, "on", input.on)?;
    if current.installed_on.is_some_and(|i| on < i) {
        return Err(ApiError::invalid(
            "on",
            "operation cannot start before the camera was installed",
            "運用開始日は設置日より前にできません",
        ));
    }
    let event = caller.event(EventBody::CameraOperationStarted(vocabulary::CameraDated {
        camera: camera.to_string(),
        on,
    }));
    let now = office.clock.now();
    office.db.start_operation(&camera, on, now, event).await?;
    Ok(())
}

/// T7.2: the Manager ends a camera's operation; it comes down with every sign that told of it
/// alone. Its record, footage and erasures stay traceable to it.
pub async fn remove_camera(
    office: &OfficeState,
    caller: &Caller,
    camera: &str,
    input: RemovalInput,
) -> Result<Removed, ApiError> {
    let what = (Action::RemoveCamera, "camera_removed");
    let (camera, current) = camera_step(office, caller, what, camera, RegisterStep::Remove).await?;
    let on = not_future(office, "on", input.on)?;
    if [current.installed_on, current.operating_since]
        .into_iter()
        .flatten()
        .any(|d| on < d)
    {
        return Err(ApiError::invalid(
            "on",
            "removal cannot be before installation or operation",
            "撤去日は設置日・運用開始日より前にできません",
        ));
    }
    let reason = required_text("reason", &input.reason, 2000).map_err(|e| e.rule(Rule::T7_2))?;
    let now = office.clock.now();
    let signs_removed = office
        .db
        .remove_camera(&camera, on, now, |signs| {
            caller.event(EventBody::CameraRemoved(vocabulary::CameraRemoved {
                camera: camera.to_string(),
                on,
                reason: reason.clone(),
                signs_removed: signs.to_vec(),
            }))
        })
        .await?;
    Ok(Removed {
        signs_removed,
        cameras_left_unsigned: Vec::new(),
    })
}

/// N4.2, T2.2: a sign placed where cameras record; it names the ward and says a security
/// camera is in operation, and tells of cameras of the register not removed.
pub async fn place_sign(
    office: &OfficeState,
    caller: &Caller,
    input: SignInput,
) -> Result<SignPlacedOut, ApiError> {
    let kind = "sign_placed";
    caller.may(office, Action::RecordCameraWork, kind).await?;
    let position = Position::from_degrees(input.lat, input.lon).map_err(field)?;
    let text = required_text("text", &input.text, 200)?;
    let on = not_future(office, "on", input.on)?;
    if input.cameras.is_empty() {
        return Err(ApiError::invalid(
            "cameras",
            "name at least one camera the sign tells of",
            "看板が表示するカメラを1台以上選んでください",
        )
        .rule(Rule::T2_2));
    }
    let mut cameras = Vec::new();
    for (n, text) in input.cameras.iter().enumerate() {
        let id = camera_id(text).map_err(|e| e.within("cameras", n))?;
        let known = known_camera(office, &id)
            .await
            .map_err(|e| e.within("cameras", n))?;
        if known.state == Lifecycle::Removed {
            return Err(ApiError::invalid(
                "camera",
                format!("camera {id} was removed"),
                format!("カメラ {id} は撤去済みです"),
            )
            .within("cameras", n)
            .rule(Rule::T7_2));
        }
        if !cameras.contains(&id) {
            cameras.push(id);
        }
    }
    let verdict = check_sign_text(&text, &office.policy.ward.name);
    caller
        .record_refusal(office, Action::RecordCameraWork, kind, verdict)
        .await?;
    let sign = NewSign {
        position,
        text,
        cameras,
        placed_on: on,
    };
    let now = office.clock.now();
    let id = office
        .db
        .place_sign(&sign, now, |id| {
            caller.event(EventBody::SignPlaced(vocabulary::SignPlaced {
                sign: id,
                position: sign.position,
                text: sign.text.clone(),
                cameras: sign.cameras.iter().map(ToString::to_string).collect(),
                on,
            }))
        })
        .await?;
    Ok(SignPlacedOut { sign: id })
}

/// T7.2: a sign taken down or found gone. A camera in operation it leaves with no sign raises
/// a `sign_missing` alert (N4.2) until a new sign covers it.
pub async fn remove_sign(
    office: &OfficeState,
    caller: &Caller,
    sign: i64,
    input: RemovalInput,
) -> Result<Removed, ApiError> {
    let kind = "sign_removed";
    caller.may(office, Action::RecordCameraWork, kind).await?;
    let on = not_future(office, "on", input.on)?;
    let reason = required_text("reason", &input.reason, 2000)?;
    let signs = office.db.signs().await?;
    let Some(found) = signs.iter().find(|s| s.id == sign) else {
        return Err(ApiError::not_found(
            "sign_not_found",
            format!("no sign {sign}"),
            format!("看板 {sign} はありません"),
        ));
    };
    if !found.is_standing() || on < found.placed_on {
        return Err(ApiError::invalid(
            "on",
            "the sign is already removed, or the date is before it was placed",
            "この看板は撤去済みか、設置日より前の日付です",
        )
        .rule(Rule::T7_2));
    }
    let now = office.clock.now();
    let left = office
        .db
        .remove_sign(sign, on, now, |left| {
            caller.event(EventBody::SignRemoved(vocabulary::SignRemoved {
                sign,
                on,
                reason: reason.clone(),
                cameras_left_unsigned: left.iter().map(ToString::to_string).collect(),
            }))
        })
        .await?;
    Ok(Removed {
        signs_removed: vec![sign],
        cameras_left_unsigned: left.iter().map(ToString::to_string).collect(),
    })
}

/// The register as staff read it (T4: the Manager, the Operations lead, the handlers and the
/// Auditor), with what needs attention.
pub async fn register(office: &OfficeState, caller: &Caller) -> Result<RegisterOut, ApiError> {
    caller
        .may(office, Action::ReadRecords, "register_read")
        .await?;
    let cameras = office.db.register_cameras().await?;
    let signs = office.db.signs().await?;
    Ok(register_out(office, &cameras, &signs))
}

/// The register's facts: the staff's view and the public page's source alike.
pub fn register_out(
    office: &OfficeState,
    cameras: &[RegisterCamera],
    signs: &[RegisterSign],
) -> RegisterOut {
    let standing = |id: &CameraId| -> Vec<i64> {
        signs
            .iter()
            .filter(|s| s.is_standing() && s.cameras.contains(id))
            .map(|s| s.id)
            .collect()
    };
    let in_policy = |id: &CameraId| office.policy.cameras.iter().any(|c| &c.id == id);
    let unregistered = office
        .policy
        .cameras
        .iter()
        .filter(|p| !cameras.iter().any(|c| c.id == p.id))
        .map(|p| p.id.to_string())
        .collect();
    let removed_in_policy = cameras
        .iter()
        .filter(|c| c.state == Lifecycle::Removed && in_policy(&c.id))
        .map(|c| c.id.to_string())
        .collect();
    let unsigned = cameras
        .iter()
        .filter(|c| c.state == Lifecycle::InOperation && standing(&c.id).is_empty())
        .map(|c| c.id.to_string())
        .collect();
    RegisterOut {
        cameras: cameras
            .iter()
            .map(|c| RegisterCameraOut {
                id: c.id.to_string(),
                name: c.details.name.clone(),
                address: c.address.clone(),
                lat: c.position.lat(),
                lon: c.position.lon(),
                bearing_deg: c.details.view.bearing_deg,
                fov_deg: c.details.view.fov_deg,
                range_m: c.details.view.range_m,
                height_m: c.details.height_cm.map(|cm| f64::from(cm) / 100.0),
                privacy_notes: c.details.privacy_notes.clone(),
                state: c.state.as_str().to_owned(),
                basis_document: c.basis.document.clone(),
                basis_date: c.basis.date,
                basis_summary: c.basis.summary.clone(),
                chosen_by: c.chosen_by.clone(),
                installed_on: c.installed_on,
                operating_since: c.operating_since,
                removed_on: c.removed_on,
                in_policy: in_policy(&c.id),
                signs: standing(&c.id),
            })
            .collect(),
        signs: signs
            .iter()
            .map(|s| SignOut {
                id: s.id,
                lat: s.position.lat(),
                lon: s.position.lon(),
                text: s.text.clone(),
                cameras: s.cameras.iter().map(ToString::to_string).collect(),
                placed_on: s.placed_on,
                removed_on: s.removed_on,
            })
            .collect(),
        unregistered,
        removed_in_policy,
        unsigned,
    }
}
