//! People and roles (N7, T3, N10.3): accounts kept by the Administrator, appointments made by
//! the Manager, and the record of both, kept after a person leaves (T3.4).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use mimamori_db::{vocabulary, AppointmentRow, EventBody, NewStaff, StaffRow};
use mimamori_policy::access::{decide_any, decide_appointment, Action, Role};
use mimamori_policy::Rule;
use serde::{Deserialize, Serialize};

use crate::auth::{check_new_password, hash_password, Caller};
use crate::error::{ApiError, Body};
use crate::Shared;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/staff", get(list).post(create))
        .route("/api/v1/staff/{login}", get(show))
        .route("/api/v1/staff/{login}/leave", post(leave))
        .route("/api/v1/staff/{login}/appointments", post(appoint))
        .route("/api/v1/appointments/{id}/end", post(end_appointment))
}

/// A login name: 1–32 lower-case ASCII letters, digits, `.`, `-` or `_`.
pub fn check_login(login: &str) -> Result<(), ApiError> {
    check_id("login", login)
}

/// An identifier (login, terminal id): 1–32 lower-case ASCII letters, digits, `.`, `-`, `_`.
pub fn check_id(field: &str, value: &str) -> Result<(), ApiError> {
    let ok = (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            "use 1–32 lower-case letters, digits, '.', '-' or '_'",
            "英小文字・数字・「.」「-」「_」の1〜32文字にしてください",
        ))
    }
}

/// A required free-text field: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid(
            field,
            "must not be empty",
            "入力してください",
        ));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters"),
            format!("{max}文字以内にしてください"),
        ));
    }
    Ok(value.to_owned())
}

#[derive(Deserialize)]
struct NewAccount {
    login: String,
    name: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    contact: String,
    /// The initial password; it must be changed at the first sign-in (N3.3.1).
    password: String,
    /// For an investigative body's staff: the delegation they work under (N10.3).
    delegation_id: Option<i64>,
}

/// `POST /api/v1/staff`: the Administrator opens an account.
async fn create(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<NewAccount>,
) -> Result<(StatusCode, Json<StaffRow>), ApiError> {
    caller
        .may(&office, Action::ManageAccounts, "staff_created")
        .await?;
    check_login(&req.login)?;
    check_new_password(&req.login, &req.password)?;
    let name = required_text("name", &req.name, 100)?;
    let db = &office.ctx.db;
    crate::workflow::emergency::check_delegation(&office, req.delegation_id, Rule::N10_3).await?;
    let password = req.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?;
    let new = NewStaff {
        login: req.login.clone(),
        name,
        unit: req.unit.trim().to_owned(),
        contact: req.contact.trim().to_owned(),
        delegation_id: req.delegation_id,
        password_hash,
        password_changed: Timestamp::UNIX_EPOCH,
        created_by: caller.login().to_owned(),
    };
    let body = EventBody::StaffCreated(vocabulary::StaffCreated {
        login: new.login.clone(),
        name: new.name.clone(),
        unit: new.unit.clone(),
        delegation_id: new.delegation_id,
    });
    let now = office.ctx.clock.now();
    let id = db.create_staff(&new, now, |_| caller.event(body)).await?;
    let row = db
        .staff_by_id(id)
        .await?
        .ok_or_else(|| ApiError::internal("lost"))?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Who may see the staff list: anyone keeping or reading the records.
async fn may_read(office: &Shared, caller: &Caller) -> Result<(), ApiError> {
    let verdict = decide_any(
        &caller.actor(),
        &[Action::ReadRecords, Action::ManageAccounts],
    );
    caller
        .record_refusal(office, Action::ReadRecords, "staff_read", verdict)
        .await
}

/// `GET /api/v1/staff`.
async fn list(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<Vec<StaffRow>>, ApiError> {
    may_read(&office, &caller).await?;
    Ok(Json(office.ctx.db.staff_list().await?))
}

#[derive(Serialize)]
struct StaffDetail {
    #[serde(flatten)]
    staff: StaffRow,
    appointments: Vec<AppointmentRow>,
}

/// `GET /api/v1/staff/{login}`: the account and every appointment it ever had.
async fn show(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<Json<StaffDetail>, ApiError> {
    may_read(&office, &caller).await?;
    let staff = find(&office, &login).await?;
    let appointments = office.ctx.db.appointments(staff.id).await?;
    Ok(Json(StaffDetail {
        staff,
        appointments,
    }))
}

pub async fn find(office: &Shared, login: &str) -> Result<StaffRow, ApiError> {
    office.ctx.db.staff_by_login(login).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_staff",
            format!("no account {login:?}"),
            format!("アカウント {login:?} は登録されていません"),
        )
    })
}

/// `POST /api/v1/staff/{login}/leave`: appointments and sessions end; the record stays.
async fn leave(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller
        .may(&office, Action::ManageAccounts, "staff_left")
        .await?;
    let staff = find(&office, &login).await?;
    let event = caller.event(EventBody::StaffLeft(vocabulary::StaffLeft {
        login: login.clone(),
    }));
    let now = office.ctx.clock.now();
    office
        .ctx
        .db
        .staff_left(staff.id, caller.login(), now, event)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Appoint {
    role: String,
    /// The planned end (RFC 3339), if any.
    until: Option<Timestamp>,
}

/// `POST /api/v1/staff/{login}/appointments`: N7.3, N7.4, N10.3.
async fn appoint(
    State(office): State<Shared>,
    caller: Caller,
    Path(login): Path<String>,
    Body(req): Body<Appoint>,
) -> Result<(StatusCode, Json<AppointmentRow>), ApiError> {
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::invalid(
            "role",
            format!("unknown role {:?}", req.role),
            format!("役割 {:?} はありません", req.role),
        )
    })?;
    let action = Action::Appoint(role);
    caller.may(&office, action, "appointed").await?;
    let staff = find(&office, &login).await?;
    let db = &office.ctx.db;
    let now = office.ctx.clock.now();
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
        &office.ctx.policy.office,
        &current,
        role,
        staff.delegation_id.is_some(),
    );
    caller
        .record_refusal(&office, action, "appointed", verdict)
        .await?;
    let body = EventBody::Appointed(vocabulary::Appointed {
        login: login.clone(),
        role,
        until: req.until,
    });
    let id = db
        .appoint(staff.id, role, caller.login(), now, req.until, |_| {
            caller.event(body)
        })
        .await?;
    let row = db
        .appointment(id)
        .await?
        .ok_or_else(|| ApiError::internal("lost"))?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// `POST /api/v1/appointments/{id}/end`.
async fn end_appointment(
    State(office): State<Shared>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let db = &office.ctx.db;
    let appointment = db.appointment(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_appointment",
            format!("no appointment {id}"),
            format!("任命 {id} はありません"),
        )
    })?;
    let role = appointment.role;
    let action = Action::Appoint(role);
    caller.may(&office, action, "appointment_ended").await?;
    let event = caller.event(EventBody::AppointmentEnded(vocabulary::AppointmentEnded {
        appointment: id,
        role,
    }));
    let now = office.ctx.clock.now();
    db.end_appointment(id, caller.login(), now, event).await?;
    Ok(StatusCode::NO_CONTENT)
}
