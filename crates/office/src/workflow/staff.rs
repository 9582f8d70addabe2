//! People and roles (N7, T3, N10.3): accounts kept by the Administrator, appointments made by
//! the Manager, and the record of both, kept after a person leaves (T3.4).

use mimamori_db::{
    vocabulary, AlertKind, Credential, EventBody, NewAlert, NewAppointment, NewStaff, StaffRow,
};
use mimamori_policy::access::{
    decide_account_password, decide_any, decide_appointee, decide_appointment, needs_confirmation,
    Action, Role,
};
use mimamori_policy::chain::Step;
use mimamori_policy::AppointmentId;
use mimamori_policy::Rule;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{
    AccountCreated, Appoint, AppointmentAnswer, AppointmentView, NewAccount, StaffDetail,
};
use crate::workflow::fields::{parse_login, required_text};
use crate::workflow::{enrolment, proposals};
use crate::OfficeState;

/// N7.1: the Administrator opens an account. Its holder sets the password with the enrolment
/// code answered here, once (N3.3.1; issue 11, #1).
pub async fn create_account(
    office: &OfficeState,
    caller: &Caller,
    req: NewAccount,
) -> Result<AccountCreated, ApiError> {
    caller
        .may(office, Action::ManageAccounts, "staff_created")
        .await?;
    let verdict = decide_account_password(req.password.is_some());
    caller
        .record_refusal(office, Action::ManageAccounts, "staff_created", verdict)
        .await?;
    let login = parse_login(&req.login)?;
    let name = required_text("name", &req.name, 100)?;
    let db = &office.db;
    crate::workflow::delegations::check_delegation(office, req.delegation_id, Rule::N10_3).await?;
    let (enrolment, code_sha256) = enrolment::new_code(office)?;
    let new = NewStaff {
        login,
        name,
        unit: req.unit.trim().to_owned(),
        contact: req.contact.trim().to_owned(),
        delegation_id: req.delegation_id,
        credential: Credential::Enrolment {
            code_sha256,
            expires: enrolment.expires,
        },
        created_by: caller.login().to_owned(),
    };
    let body = EventBody::StaffCreated(vocabulary::StaffCreated {
        login: new.login.to_string(),
        name: new.name.clone(),
        unit: new.unit.clone(),
        delegation_id: new.delegation_id,
    });
    let now = office.clock.now();
    let issued = enrolment::issued(caller, new.login.as_str(), &enrolment);
    let id = db
        .create_staff(&new, now, |_| vec![caller.event(body), issued])
        .await?;
    let staff = db
        .staff_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("lost"))?;
    Ok(AccountCreated { staff, enrolment })
}

/// Who may see the staff list: anyone keeping or reading the records.
pub(crate) async fn may_read(office: &OfficeState, caller: &Caller) -> Result<(), ApiError> {
    let verdict = decide_any(
        &caller.actor(),
        &[Action::ReadRecords, Action::ManageAccounts],
    );
    caller
        .record_refusal(office, Action::ReadRecords, "staff_read", verdict)
        .await
}

/// `GET /api/v1/staff`.
pub async fn list_staff(office: &OfficeState, caller: &Caller) -> Result<Vec<StaffRow>, ApiError> {
    may_read(office, caller).await?;
    Ok(office.db.staff_list().await?)
}

/// Every appointment ever made, newest first (issue 11, #1: the Auditor checks each).
pub async fn list_appointments(
    office: &OfficeState,
    caller: &Caller,
) -> Result<Vec<AppointmentView>, ApiError> {
    may_read(office, caller).await?;
    let rows = office.db.all_appointments().await?;
    Ok(rows
        .into_iter()
        .map(|(login, appointment)| AppointmentView { login, appointment })
        .collect())
}

/// An account and every appointment it ever had.
pub async fn show_staff(
    office: &OfficeState,
    caller: &Caller,
    login: String,
) -> Result<StaffDetail, ApiError> {
    may_read(office, caller).await?;
    let staff = find(office, &login).await?;
    let appointments = office.db.appointments(staff.id).await?;
    Ok(StaffDetail {
        staff,
        appointments,
    })
}

pub async fn find(office: &OfficeState, login: &str) -> Result<StaffRow, ApiError> {
    office.db.staff_by_login(login).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_staff",
            format!("no account {login:?}"),
            format!("アカウント {login:?} は登録されていません"),
        )
    })
}

/// T3.4: the person leaves; appointments and sessions end, the record stays.
pub async fn leave(office: &OfficeState, caller: &Caller, login: String) -> Result<(), ApiError> {
    caller
        .may(office, Action::ManageAccounts, "staff_left")
        .await?;
    let staff = find(office, &login).await?;
    let event = caller.event(EventBody::StaffLeft(vocabulary::StaffLeft {
        login: login.clone(),
    }));
    let now = office.clock.now();
    office
        .db
        .staff_left(staff.id, caller.login(), now, event)
        .await?;
    Ok(())
}

/// N7.2–N7.4, N10.3, T3.3. A Manager or an Administrator, once the ward has had a Manager,
/// waits for a second person's confirmation (`workflow::proposals`).
pub async fn appoint(
    office: &OfficeState,
    caller: &Caller,
    login: String,
    req: Appoint,
) -> Result<AppointmentAnswer, ApiError> {
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::invalid(
            "role",
            format!("unknown role {:?}", req.role),
            format!("役割 {:?} はありません", req.role),
        )
    })?;
    let action = Action::Appoint(role);
    caller.may(office, action, "appointed").await?;
    let staff = find(office, &login).await?;
    let db = &office.db;
    let now = office.clock.now();
    if staff.left_us.is_some() {
        return Err(ApiError::conflict(format!("{login} has left")));
    }
    if req.until.is_some_and(|u| u <= now) {
        return Err(ApiError::invalid(
            "until",
            "must be in the future",
            "未来の日時にしてください",
        ));
    }
    let current = db.roles_in_force(staff.id, now).await?;
    let verdict = decide_appointment(
        &office.policy.office,
        &current,
        role,
        staff.delegation_id.is_some(),
    )
    .and(decide_appointee(staff.enrolled_us.is_some()));
    caller
        .record_refusal(office, action, "appointed", verdict)
        .await?;
    let new = NewAppointment {
        staff_id: staff.id,
        role,
        by: caller.login(),
        until: req.until,
    };
    if needs_confirmation(role, db.ward_has_had_a_manager().await?) {
        let pending = proposals::propose(office, caller, &staff, &new).await?;
        return Ok(AppointmentAnswer::Pending(pending));
    }
    let body = EventBody::Appointed(vocabulary::Appointed {
        login: login.clone(),
        role,
        until: req.until,
    });
    // Issue 11, #1: the Manager and the Auditor see every appointment, whoever made it.
    let alert = NewAlert {
        kind: AlertKind::Appointment,
        camera: None,
        message: format!(
            "任命: {login} を{}に（{}） / appointed: {login} as {} by {}",
            role.ja(),
            caller.login(),
            role.as_str(),
            caller.login()
        ),
    };
    let id = db
        .appoint(&new, now, Some(&alert), |_| caller.event(body))
        .await?;
    let row = db
        .appointment(id)
        .await?
        .ok_or_else(|| ApiError::internal("lost"))?;
    Ok(AppointmentAnswer::InForce(row))
}

/// `POST /api/v1/appointments/{id}/end`.
pub async fn end_appointment(
    office: &OfficeState,
    caller: &Caller,
    id: AppointmentId,
) -> Result<(), ApiError> {
    let db = &office.db;
    let appointment = db.appointment(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_appointment",
            format!("no appointment {id}"),
            format!("任命 {id} はありません"),
        )
    })?;
    let role = appointment.role;
    let action = Action::Appoint(role);
    caller.may(office, action, "appointment_ended").await?;
    let event = caller.event(EventBody::AppointmentEnded(vocabulary::AppointmentEnded {
        appointment: id,
        role,
    }));
    let now = office.clock.now();
    db.end_appointment(id, caller.login(), now, event).await?;
    Ok(())
}

/// N7.4, N9.2: the appointed image handlers an instruction may name, as (login, name), for
/// the Operations lead's form. Nobody else needs the list: others get it empty.
pub async fn image_handlers(
    office: &OfficeState,
    caller: &Caller,
) -> Result<Vec<(String, String)>, ApiError> {
    if caller.role_for(Action::Chain(Step::Instruct)).is_none() {
        return Ok(Vec::new());
    }
    let logins = office
        .db
        .holders_of(Role::ImageHandler, office.clock.now())
        .await?;
    let staff = office.db.staff_list().await?;
    Ok(logins
        .into_iter()
        .map(|login| {
            let name = staff.iter().find(|s| s.login.as_str() == login);
            let name = name.map(|s| s.name.clone()).unwrap_or_default();
            (login, name)
        })
        .collect())
}
