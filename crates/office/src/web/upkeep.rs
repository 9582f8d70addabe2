//! The registers' forms (issue 13): opening an account (N7.1; its enrolment code shown once),
//! appointing to a role (N7.2–N7.4, N10.3, T3.3; a Manager or an Administrator waits for a
//! second person), registering a dedicated terminal with its public key (N8, N10.4), revoking
//! one (N3.3), and reconciling a terminal's signed monthly history (N11.3). The same workflow
//! steps as the API's; who may do each is the policy's.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use mimamori_policy::access::Action;
use mimamori_policy::{AppointmentId, DelegationId, ProposalId, TerminalId};

use super::form::{self, may, must, FormSpec, Input, Paths, SectionSpec, Source, Values};
use super::pages::{jst, Person};
use super::session::WebCaller;
use super::table::{Link, Row, TablePage};
use super::Tr;
use crate::error::ApiError;
use crate::wire::{Appoint, NewAccount, Registration, SubmittedHistory};
use crate::{workflow, Shared};

/// What a step answered that the person must see once (an enrolment code) or read (a
/// reconciliation's outcome): a title and (label, value) lines.
#[derive(Template, WebTemplate)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: String,
    pub title: String,
    pub lead: String,
    pub lines: Vec<(String, String)>,
    pub back: String,
}

/// An optional number typed in a field (a delegation's), or the field's refusal.
fn optional_number(v: &Values, name: &str) -> Result<Option<i64>, ApiError> {
    match v.text(name) {
        t if t.is_empty() => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(name, "give a number", "番号を入力してください")),
    }
}

/// N7.1: the Administrator opens an account; the holder sets the password with the code.
pub const ACCOUNT: FormSpec = FormSpec {
    title: "account-title",
    lead: "account-lead",
    submit: "account-submit",
    not_yours: "form-not-yours",
    action: Some(Action::ManageAccounts),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("login", "signin-login", Input::Text),
            must("name", "staff-name", Input::Text),
            may("unit", "staff-unit", Input::Text),
            may("contact", "account-contact", Input::Text),
            may("delegation_id", "account-delegation", Input::Text),
        ],
    }],
};

fn account_paths() -> Paths {
    Paths::at("/staff/new".into(), "/staff")
}

pub async fn account_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(&office, &web, &ACCOUNT, account_paths(), &Values::default()).await
}

/// The code is shown here once and never again (the ledger records only that it was issued).
pub async fn create_account(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let input = optional_number(&values, "delegation_id").map(|delegation| NewAccount {
        login: values.text("login"),
        name: values.text("name"),
        unit: values.text("unit"),
        contact: values.text("contact"),
        password: None,
        delegation_id: delegation.map(DelegationId::new),
    });
    let result = async {
        let input = input?;
        workflow::staff::create_account(&office, &web.caller, input).await
    }
    .await;
    match result {
        Ok(created) => {
            let tr = Tr::new(web.lang);
            NoticePage {
                tr,
                me: Some(Person::of(&web.caller)),
                here: "/staff/new".into(),
                title: tr.t("account-created"),
                lead: tr.t("account-created-lead"),
                lines: vec![
                    (tr.t("signin-login"), created.staff.login.to_string()),
                    (tr.t("enrol-code"), created.enrolment.code),
                    (tr.t("account-code-expires"), jst(created.enrolment.expires)),
                ],
                back: "/staff".into(),
            }
            .into_response()
        }
        Err(e) => {
            let page = form::StepPage::new(
                &office,
                (Tr::new(web.lang), Some(&web.caller)),
                &ACCOUNT,
                account_paths(),
                &values,
                Some(&e),
            );
            (e.status, page.await).into_response()
        }
    }
}

/// An appointment to a role, until a planned end if any.
pub const APPOINT: FormSpec = FormSpec {
    title: "appoint-title",
    lead: "appoint-lead",
    submit: "appoint-submit",
    not_yours: "form-not-yours",
    // Whoever appoints to some role; each role's own rule decides when it is sent.
    action: None,
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("login", "signin-login", Input::Text),
            must("role", "appoint-role", Input::Select(Source::Roles)),
            may("until", "appoint-until", Input::When),
        ],
    }],
};

fn appoint_paths() -> Paths {
    Paths::at("/staff/appoint".into(), "/staff")
}

pub async fn appoint_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(&office, &web, &APPOINT, appoint_paths(), &Values::default()).await
}

pub async fn appoint(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let until = match values.text("until") {
        t if t.is_empty() => Ok(None),
        _ => values.japan_time("until").map(Some),
    };
    let result = async {
        let until = until?;
        let input = Appoint {
            role: values.text("role"),
            until,
        };
        let login = values.text("login");
        workflow::staff::appoint(&office, &web.caller, login, input).await
    }
    .await;
    form::answer(
        &office,
        &web,
        &APPOINT,
        appoint_paths(),
        &values,
        result,
        |_| "/staff".to_owned(),
    )
    .await
}

/// N8, N10.4: a dedicated terminal and the public key its own `terminal init` printed.
pub const TERMINAL: FormSpec = FormSpec {
    title: "terminal-new",
    lead: "terminal-new-lead",
    submit: "terminal-new-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RegisterTerminal),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("id", "req-terminal", Input::Text),
            must("name", "terminal-name", Input::Text),
            must("location", "term-location", Input::Text),
            must("custodian", "term-custodian", Input::Text),
            must("public_key", "terminal-public-key", Input::Area),
            may("delegation_id", "account-delegation", Input::Text),
        ],
    }],
};

fn terminal_paths() -> Paths {
    Paths::at("/terminals/new".into(), "/terminals")
}

pub async fn terminal_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(
        &office,
        &web,
        &TERMINAL,
        terminal_paths(),
        &Values::default(),
    )
    .await
}

pub async fn register_terminal(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let input = optional_number(&values, "delegation_id").map(|delegation| Registration {
        id: TerminalId::new(values.text("id")),
        name: values.text("name"),
        location: values.text("location"),
        custodian: values.text("custodian"),
        public_key: values.text("public_key"),
        delegation_id: delegation.map(DelegationId::new),
    });
    let result = async {
        let input = input?;
        workflow::terminals::register_terminal(&office, &web.caller, input).await
    }
    .await;
    form::answer(
        &office,
        &web,
        &TERMINAL,
        terminal_paths(),
        &values,
        result,
        |_| "/terminals".to_owned(),
    )
    .await
}

/// N3.3: a terminal lost, stolen or retired; nothing to type but the confirmation.
pub const REVOKE: FormSpec = FormSpec {
    title: "terminal-revoke",
    lead: "terminal-revoke-lead",
    submit: "terminal-revoke",
    not_yours: "form-not-yours",
    action: Some(Action::RevokeTerminal),
    sections: &[],
};

fn revoke_paths(id: &str) -> Paths {
    Paths::at(format!("/terminals/{id}/revoke"), "/terminals")
}

pub async fn revoke_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<String>,
) -> Response {
    form::show(
        &office,
        &web,
        &REVOKE,
        revoke_paths(&id),
        &Values::default(),
    )
    .await
}

pub async fn revoke_terminal(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<String>,
) -> Response {
    let terminal = TerminalId::new(id.clone());
    let result = workflow::terminals::revoke_terminal(&office, &web.caller, terminal).await;
    form::answer(
        &office,
        &web,
        &REVOKE,
        revoke_paths(&id),
        &Values::default(),
        result,
        |()| "/terminals".to_owned(),
    )
    .await
}

/// N11.3: the month's history the terminal signed, pasted as its page saved it.
pub const HISTORY: FormSpec = FormSpec {
    title: "history-title",
    lead: "history-lead",
    submit: "history-submit",
    not_yours: "form-not-yours",
    action: Some(Action::ReconcileHistory),
    sections: &[SectionSpec {
        legend: None,
        fields: &[must("signed", "history-signed", Input::Area)],
    }],
};

fn history_paths(id: &str) -> Paths {
    Paths::at(format!("/terminals/{id}/history"), "/terminals")
}

pub async fn history_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<String>,
) -> Response {
    form::show(
        &office,
        &web,
        &HISTORY,
        history_paths(&id),
        &Values::default(),
    )
    .await
}

/// The signed history as the terminal's page saves it: `{history, signature, …}`.
fn submitted(v: &Values) -> Result<SubmittedHistory, ApiError> {
    let bad = || {
        ApiError::invalid(
            "signed",
            "paste the signed history file the terminal saved (JSON)",
            "専用端末で保存した署名付きの履歴（JSON）を貼り付けてください",
        )
    };
    let value: serde_json::Value = serde_json::from_str(v.get("signed")).map_err(|_| bad())?;
    serde_json::from_value(value).map_err(|_| bad())
}

pub async fn reconcile(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<String>,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let history = submitted(&values)?;
        let terminal = TerminalId::new(id.clone());
        workflow::history::reconcile_history(&office, &web.caller, terminal, history).await
    }
    .await;
    match result {
        Ok(outcome) => {
            let tr = Tr::new(web.lang);
            let list = |ids: &[String]| match ids {
                [] => "—".to_owned(),
                ids => ids.join("、"),
            };
            let verdict = if outcome.consistent {
                "history-consistent"
            } else {
                "history-inconsistent"
            };
            NoticePage {
                tr,
                me: Some(Person::of(&web.caller)),
                here: format!("/terminals/{id}/history"),
                title: format!("{}（{} {}）", tr.t("history-title"), id, outcome.month),
                lead: tr.t(verdict),
                lines: vec![
                    (tr.t("history-matched"), outcome.matched.to_string()),
                    (
                        tr.t("history-only-terminal"),
                        list(&outcome.only_on_terminal),
                    ),
                    (tr.t("history-only-server"), list(&outcome.only_on_server)),
                ],
                back: "/terminals".into(),
            }
            .into_response()
        }
        Err(e) => {
            let page = form::StepPage::new(
                &office,
                (Tr::new(web.lang), Some(&web.caller)),
                &HISTORY,
                history_paths(&id),
                &values,
                Some(&e),
            );
            (e.status, page.await).into_response()
        }
    }
}

/// N7.2: appointments of a Manager or an Administrator waiting for a second person, and the
/// decided ones.
pub async fn proposals(State(office): State<Shared>, web: WebCaller) -> Response {
    let columns = [
        "proposal-no",
        "signin-login",
        "appoint-role",
        "proposal-by",
        "proposal-expires",
        "col-state",
    ];
    let page = TablePage::new(
        &web,
        "/proposals",
        "proposals-title",
        "proposals-lead",
        &columns,
    );
    let tr = page.tr;
    let rows = workflow::proposals::list_proposals(&office, &web.caller).await;
    page.answer(rows.map(|list| {
        list.into_iter()
            .map(|v| {
                let p = &v.proposal;
                let state = match p.decision {
                    None => tr.t("proposal-open"),
                    Some(d) => tr.t(&format!("proposal-{}", d.as_str())),
                };
                let links = match p.decision {
                    Some(_) => Vec::new(),
                    None => vec![
                        Link {
                            path: format!("/proposals/{}/confirm", p.id),
                            label: tr.t("proposal-confirm"),
                        },
                        Link {
                            path: format!("/proposals/{}/reject", p.id),
                            label: tr.t("proposal-reject"),
                        },
                    ],
                };
                Row {
                    cells: vec![
                        p.id.to_string(),
                        v.login.to_string(),
                        tr.t(super::pages::role_key(p.role)),
                        format!(
                            "{} {}",
                            jst(mimamori_db::from_us(p.proposed_us)),
                            p.proposed_by
                        ),
                        jst(mimamori_db::from_us(p.expires_us)),
                        state,
                    ],
                    links,
                }
            })
            .collect()
    }))
}

/// N7.2: the second person confirms; the workflow checks who may.
pub const CONFIRM: FormSpec = FormSpec {
    title: "proposal-confirm",
    lead: "proposal-confirm-lead",
    submit: "proposal-confirm",
    not_yours: "form-not-yours",
    action: Some(Action::ConfirmAppointment),
    sections: &[],
};

/// Rejected by the second person, or withdrawn by its proposer, with the reason.
pub const REJECT: FormSpec = FormSpec {
    title: "proposal-reject",
    lead: "proposal-reject-lead",
    submit: "proposal-reject",
    not_yours: "form-not-yours",
    action: None,
    sections: &[SectionSpec {
        legend: None,
        fields: &[must("reason", "reason-label", Input::Area)],
    }],
};

fn decide_paths(id: i64, what: &str) -> Paths {
    Paths::at(format!("/proposals/{id}/{what}"), "/proposals").about("proposal-no", id)
}

pub async fn decide_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path((id, what)): Path<(i64, String)>,
) -> Response {
    let spec = if what == "confirm" { &CONFIRM } else { &REJECT };
    form::show(
        &office,
        &web,
        spec,
        decide_paths(id, &what),
        &Values::default(),
    )
    .await
}

pub async fn decide(
    State(office): State<Shared>,
    web: WebCaller,
    Path((id, what)): Path<(i64, String)>,
    Form(values): Form<Values>,
) -> Response {
    let proposal = ProposalId::new(id);
    let (spec, result) = if what == "confirm" {
        let done = workflow::proposals::confirm(&office, &web.caller, proposal).await;
        (&CONFIRM, done.map(|_| ()))
    } else {
        let reason = super::steps::reason(&values);
        let done = workflow::proposals::reject(&office, &web.caller, proposal, reason).await;
        (&REJECT, done)
    };
    form::answer(
        &office,
        &web,
        spec,
        decide_paths(id, &what),
        &values,
        result,
        |()| "/proposals".to_owned(),
    )
    .await
}

/// An appointment ended before its planned end.
pub const END: FormSpec = FormSpec {
    title: "appointment-end",
    lead: "appointment-end-lead",
    submit: "appointment-end",
    not_yours: "form-not-yours",
    action: None,
    sections: &[],
};

fn end_paths(id: i64) -> Paths {
    Paths::at(format!("/appointments/{id}/end"), "/staff").about("appointment-no", id)
}

pub async fn end_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    form::show(&office, &web, &END, end_paths(id), &Values::default()).await
}

pub async fn end_appointment(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    let appointment = AppointmentId::new(id);
    let result = workflow::staff::end_appointment(&office, &web.caller, appointment).await;
    form::answer(
        &office,
        &web,
        &END,
        end_paths(id),
        &Values::default(),
        result,
        |()| "/staff".to_owned(),
    )
    .await
}
