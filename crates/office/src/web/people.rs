//! The staff and terminals pages (issue 13), read-only for now: who holds an account and which
//! roles they were appointed to, by whom, when (N7, T3); and the dedicated terminals with
//! their custodian and state (N2, N8). The same workflow reads as the API's, with the same
//! permissions (records readers and the Administrator).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use mimamori_policy::access::{Action, Role};

use super::pages::{jst, refused, role_key, Person, Problem};
use super::session::WebCaller;
use super::Tr;
use crate::{workflow, Shared};

/// An appointment as the staff page lists it.
pub struct AppointmentLine {
    pub role: &'static str,
    pub from: String,
    /// Its end, planned or made; empty when open-ended.
    pub until: String,
    pub by: String,
    /// The path that ends it, when it is in force and the person may end it.
    pub end: Option<String>,
}

pub struct StaffLine {
    pub login: String,
    pub name: String,
    pub unit: String,
    /// Each appointment, newest first.
    pub appointments: Vec<AppointmentLine>,
    pub state_key: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff.html")]
pub struct StaffPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub staff: Vec<StaffLine>,
    pub problem: Option<Problem>,
    /// The Administrator opens accounts; those who appoint to some role appoint.
    pub may_open: bool,
    pub may_appoint: bool,
}

pub async fn staff(State(office): State<Shared>, web: WebCaller) -> Response {
    let tr = Tr::new(web.lang);
    let caller = &web.caller;
    let result = async {
        let staff = workflow::staff::list_staff(&office, caller).await?;
        let appointments = workflow::staff::list_appointments(&office, caller).await?;
        Ok::<_, crate::error::ApiError>((staff, appointments))
    }
    .await;
    let mut page = StaffPage {
        tr,
        me: Some(Person::of(caller)),
        here: "/staff",
        staff: Vec::new(),
        problem: None,
        may_open: caller.role_for(Action::ManageAccounts).is_some(),
        may_appoint: Role::ALL
            .into_iter()
            .any(|r| caller.role_for(Action::Appoint(r)).is_some()),
    };
    let now_us = office.clock.now().as_microsecond();
    let status = match result {
        Ok((staff, appointments)) => {
            page.staff = staff
                .into_iter()
                .map(|s| {
                    let appointments = appointments
                        .iter()
                        .filter(|a| a.login == s.login)
                        .map(|a| {
                            let a = &a.appointment;
                            let until = a.ended_us.or(a.until_us);
                            let in_force =
                                a.ended_us.is_none() && a.until_us.is_none_or(|u| u > now_us);
                            let may_end = caller.role_for(Action::Appoint(a.role)).is_some();
                            AppointmentLine {
                                role: role_key(a.role),
                                from: jst(mimamori_db::from_us(a.from_us)),
                                until: until
                                    .map(|u| jst(mimamori_db::from_us(u)))
                                    .unwrap_or_default(),
                                by: a.appointed_by.clone(),
                                end: (in_force && may_end)
                                    .then(|| format!("/appointments/{}/end", a.id)),
                            }
                        })
                        .collect();
                    StaffLine {
                        state_key: if s.left_us.is_some() {
                            "staff-left"
                        } else if s.enrolled_us.is_none() {
                            "staff-not-enrolled"
                        } else if s.locked_until_us.is_some_and(|u| u > now_us) {
                            "staff-locked"
                        } else {
                            "staff-active"
                        },
                        login: s.login.to_string(),
                        name: s.name,
                        unit: s.unit,
                        appointments,
                    }
                })
                .collect();
            axum::http::StatusCode::OK
        }
        Err(e) => refused(&mut page.problem, &e, tr.lang),
    };
    (status, page).into_response()
}

pub struct TerminalLine {
    pub id: String,
    pub name: String,
    pub location: String,
    pub custodian: String,
    pub registered: String,
    pub revoked: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "terminals.html")]
pub struct TerminalsPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub terminals: Vec<TerminalLine>,
    pub problem: Option<Problem>,
    pub may_register: bool,
    pub may_revoke: bool,
    pub may_reconcile: bool,
}

pub async fn terminals(State(office): State<Shared>, web: WebCaller) -> Response {
    let tr = Tr::new(web.lang);
    let mut page = TerminalsPage {
        tr,
        me: Some(Person::of(&web.caller)),
        here: "/terminals",
        terminals: Vec::new(),
        problem: None,
        may_register: web.caller.role_for(Action::RegisterTerminal).is_some(),
        may_revoke: web.caller.role_for(Action::RevokeTerminal).is_some(),
        may_reconcile: web.caller.role_for(Action::ReconcileHistory).is_some(),
    };
    let status = match workflow::terminals::list_terminals(&office, &web.caller).await {
        Ok(rows) => {
            page.terminals = rows
                .into_iter()
                .map(|t| TerminalLine {
                    id: t.id.to_string(),
                    name: t.name,
                    location: t.location,
                    custodian: t.custodian,
                    registered: format!(
                        "{} {}",
                        jst(mimamori_db::from_us(t.registered_us)),
                        t.registered_by
                    ),
                    revoked: t
                        .revoked_us
                        .map(|r| jst(mimamori_db::from_us(r)))
                        .unwrap_or_default(),
                })
                .collect();
            axum::http::StatusCode::OK
        }
        Err(e) => refused(&mut page.problem, &e, tr.lang),
    };
    (status, page).into_response()
}
