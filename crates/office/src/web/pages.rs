//! The pages, as askama templates (`crates/office/templates/`), checked at compile time and
//! escaped by default. Each page gets a [`Tr`] for its words; times are shown in Asia/Tokyo.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use mimamori_policy::access::Role;
use mimamori_policy::chain::{RequestKind, Step};

use super::i18n::{Lang, Tr};
use crate::auth::{pledge_sha256, Caller, PLEDGE_EN, PLEDGE_JA};
use crate::error::ApiError;
use crate::workflow::my_work::MyWork;

/// The signed-in person in the page's header.
pub struct Person {
    pub name: String,
    pub login: String,
}

impl Person {
    pub(super) fn of(caller: &Caller) -> Person {
        Person {
            name: caller.staff.name.clone(),
            login: caller.login().to_owned(),
        }
    }
}

/// A refusal or failure shown on a page: the rule and the message in the page's language.
pub struct Problem {
    pub rule: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn of(e: &ApiError, lang: Lang) -> Problem {
        let message = match lang {
            Lang::Ja => &e.ja,
            Lang::En => &e.en,
        };
        // On a form the message stands by its field: the API's `field: ` prefix goes.
        let message = e
            .field
            .as_ref()
            .and_then(|f| message.strip_prefix(&format!("{f}: ")))
            .unwrap_or(message);
        Problem {
            rule: e.rule.map(|r| r.id().to_owned()),
            message: message.to_owned(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signin.html")]
pub struct SignInPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub login: String,
    pub problem: Option<Problem>,
    /// Said above the form: the password was just set with the enrolment code.
    pub enrolled: bool,
}

impl SignInPage {
    pub fn new(tr: Tr, login: &str, error: Option<&ApiError>) -> SignInPage {
        SignInPage {
            tr,
            me: None,
            here: "/signin",
            login: login.to_owned(),
            problem: error.map(|e| Problem::of(e, tr.lang)),
            enrolled: false,
        }
    }

    /// After the enrolment: the password is set; sign in with it.
    pub fn enrolled(mut self) -> SignInPage {
        self.enrolled = true;
        self
    }
}

/// A request in the home page's list.
pub struct WaitingRow {
    pub id: String,
    pub kind: &'static str,
    pub state: String,
    pub purpose: String,
    pub next: Vec<&'static str>,
}

/// An alert in the home page's list.
pub struct AlertLine {
    pub kind: &'static str,
    pub camera: String,
    pub raised: String,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub roles: Vec<&'static str>,
    pub administrator_only: bool,
    pub pledge_needed: bool,
    pub pledge_text: &'static str,
    pub pledge_sha256: String,
    pub password_due: bool,
    pub second_factor_missing: bool,
    pub may_order: bool,
    pub waiting: Vec<WaitingRow>,
    pub alerts: Vec<AlertLine>,
    /// Inquiries waiting for their first answer (T8), as text for the sentence.
    pub inquiries_waiting: String,
}

impl HomePage {
    pub fn new(tr: Tr, caller: &Caller, work: MyWork) -> HomePage {
        let waiting = work
            .waiting
            .into_iter()
            .map(|w| WaitingRow {
                id: w.request.id.to_string(),
                kind: kind_key(w.request.kind),
                state: match tr.lang {
                    Lang::Ja => w.request.state.ja().to_owned(),
                    Lang::En => w.request.state.as_str().replace('_', " "),
                },
                purpose: w.request.purpose,
                next: w.next.into_iter().map(step_key).collect(),
            })
            .collect();
        let alerts = work
            .alerts
            .into_iter()
            .map(|a| AlertLine {
                kind: a.kind.as_str(),
                camera: a.camera_id.map(|c| c.to_string()).unwrap_or_default(),
                raised: jst(mimamori_db::from_us(a.raised_us)),
                message: a.message,
            })
            .collect();
        HomePage {
            tr,
            me: Some(Person::of(caller)),
            here: "/",
            roles: caller.roles.iter().map(|r| role_key(*r)).collect(),
            administrator_only: caller.roles == [Role::Administrator],
            pledge_needed: !caller.pledged,
            pledge_text: match tr.lang {
                Lang::Ja => PLEDGE_JA,
                Lang::En => PLEDGE_EN,
            },
            pledge_sha256: pledge_sha256(),
            password_due: caller.password_due,
            second_factor_missing: caller.second_factor_missing,
            may_order: caller
                .role_for(mimamori_policy::access::Action::IssueOrder)
                .is_some(),
            waiting,
            alerts,
            inquiries_waiting: match work.inquiries_waiting {
                0 => String::new(),
                n => n.to_string(),
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub problem: Problem,
}

/// Puts a list page's refusal in its `problem` box; the page answers with the error's status.
pub fn refused(problem: &mut Option<Problem>, e: &ApiError, lang: Lang) -> axum::http::StatusCode {
    *problem = Some(Problem::of(e, lang));
    e.status
}

/// A refusal or failure as a page, with the error's status.
pub fn error_page(tr: Tr, e: &ApiError) -> Response {
    let page = ErrorPage {
        tr,
        me: None,
        here: "/",
        problem: Problem::of(e, tr.lang),
    };
    (e.status, page).into_response()
}

/// A PDF to download, or the refusal as a page.
pub fn download(tr: Tr, pdf: Result<crate::workflow::documents::Pdf, ApiError>) -> Response {
    match pdf {
        Ok(pdf) => pdf.into_response(),
        Err(e) => error_page(tr, &e),
    }
}

/// A moment as people in the ward read it.
pub fn jst(t: Timestamp) -> String {
    match jiff::tz::TimeZone::get("Asia/Tokyo") {
        Ok(tz) => t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => t.to_string(),
    }
}

pub(super) fn role_key(role: Role) -> &'static str {
    match role {
        Role::Administrator => "role-administrator",
        Role::Manager => "role-manager",
        Role::OperationsLead => "role-operations_lead",
        Role::ImageHandler => "role-image_handler",
        Role::DelegatedStaff => "role-delegated_staff",
        Role::Auditor => "role-auditor",
    }
}

pub(super) fn kind_key(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Internal => "kind-internal",
        RequestKind::Provision => "kind-provision",
        RequestKind::Emergency => "kind-emergency",
    }
}

pub(super) fn step_key(step: Step) -> &'static str {
    match step {
        Step::Accept => "step-accept",
        Step::Decline => "step-decline",
        Step::Instruct => "step-instruct",
        Step::Retrieve => "step-retrieve",
        Step::Report => "step-report",
        Step::HandOver => "step-hand_over",
        Step::RecordForm3 => "step-record_form3",
        Step::Cancel => "step-cancel",
    }
}
