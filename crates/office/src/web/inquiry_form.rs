//! The public inquiry form and status page (issue 14; T3.3 c, T8): no sign-in, Japanese first,
//! plain HTML forms that work on a phone without script. They call the same
//! `workflow::inquiry_form` steps as the JSON API. The receipt page is the one place the
//! secret is shown; it is answered to the form's post, never put in a URL.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum_extra::extract::cookie::CookieJar;
use mimamori_policy::inquiry::{Category, CONTACT_MAX_CHARS, MESSAGE_MAX_CHARS};
use serde::Deserialize;

use super::inquiries::category_key;
use super::pages::{jst, Person, Problem};
use super::{lang_of, Tr};
use crate::error::ApiError;
use crate::throttle::Peer;
use crate::wire::inquiries::{InquiryInput, PublicStatus, StatusInput, Submitted};
use crate::{workflow, Shared};

pub struct CategoryChoice {
    pub value: &'static str,
    pub label: String,
    pub checked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiry_form.html")]
pub struct InquiryFormPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub ward: String,
    pub categories: Vec<CategoryChoice>,
    pub message: String,
    pub contact: String,
    pub message_max: String,
    pub contact_max: String,
    pub answer_days: String,
    pub problem: Option<Problem>,
    /// The field the problem is about, to show it there.
    pub at_field: String,
}

#[derive(Deserialize, Default)]
pub struct InquiryForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    website: String,
}

fn form_page(
    office: &crate::OfficeState,
    tr: Tr,
    form: &InquiryForm,
    error: Option<&ApiError>,
) -> InquiryFormPage {
    InquiryFormPage {
        tr,
        me: None,
        here: "/public/inquiry",
        ward: office.policy.ward.name.clone(),
        categories: Category::ALL
            .into_iter()
            .map(|c| CategoryChoice {
                value: c.as_str(),
                label: tr.t(&category_key(c)),
                checked: form.category == c.as_str(),
            })
            .collect(),
        message: form.message.clone(),
        contact: form.contact.clone(),
        message_max: MESSAGE_MAX_CHARS.to_string(),
        contact_max: CONTACT_MAX_CHARS.to_string(),
        answer_days: (office.policy.office.inquiries.answer_within.as_secs() / 86_400).to_string(),
        problem: error.map(|e| Problem::of(e, tr.lang)),
        at_field: error.and_then(|e| e.field.clone()).unwrap_or_default(),
    }
}

pub async fn form(State(office): State<Shared>, jar: CookieJar) -> Response {
    let tr = Tr::new(lang_of(&jar));
    form_page(&office, tr, &InquiryForm::default(), None).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiry_receipt.html")]
pub struct ReceiptPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub receipt: String,
    pub secret: String,
    pub due: String,
}

/// T3.3 c: the message is filed; the answer is the receipt with its secret, shown once.
pub async fn submit(
    State(office): State<Shared>,
    jar: CookieJar,
    peer: Option<Extension<Peer>>,
    Form(form): Form<InquiryForm>,
) -> Response {
    let tr = Tr::new(lang_of(&jar));
    let input = InquiryInput {
        category: form.category.clone(),
        message: form.message.clone(),
        contact: form.contact.clone(),
        website: form.website.clone(),
    };
    let peer = peer.map(|Extension(p)| p);
    match workflow::inquiry_form::submit(&office, input, peer).await {
        Ok(Submitted {
            receipt,
            secret,
            answer_due,
        }) => ReceiptPage {
            tr,
            me: None,
            here: "/public/inquiry",
            receipt: receipt.to_string(),
            secret,
            due: jst(answer_due),
        }
        .into_response(),
        Err(e) => (e.status, form_page(&office, tr, &form, Some(&e))).into_response(),
    }
}

pub struct AnswerLine {
    pub at: String,
    pub text: String,
}

/// What the status page shows of an inquiry.
pub struct StatusView {
    pub receipt: String,
    pub category: String,
    pub state: String,
    pub received: String,
    pub due: String,
    pub closed: String,
    pub answers: Vec<AnswerLine>,
}

impl StatusView {
    fn of(s: PublicStatus) -> StatusView {
        StatusView {
            receipt: s.receipt.to_string(),
            category: category_key(s.category),
            state: format!("inq-public-state-{}", s.state.as_str()),
            received: jst(s.received),
            due: jst(s.answer_due),
            closed: s.closed.map(jst).unwrap_or_default(),
            answers: s
                .answers
                .into_iter()
                .map(|a| AnswerLine {
                    at: jst(a.at),
                    text: a.text,
                })
                .collect(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiry_status.html")]
pub struct StatusPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub receipt: String,
    pub problem: Option<Problem>,
    pub status: Option<StatusView>,
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    secret: String,
}

pub async fn status_form(jar: CookieJar) -> Response {
    StatusPage {
        tr: Tr::new(lang_of(&jar)),
        me: None,
        here: "/public/inquiry/status",
        receipt: String::new(),
        problem: None,
        status: None,
    }
    .into_response()
}

/// The status of one's inquiry, with its receipt number and secret. The secret is never
/// written back into the page.
pub async fn status(
    State(office): State<Shared>,
    jar: CookieJar,
    peer: Option<Extension<Peer>>,
    Form(form): Form<StatusForm>,
) -> Response {
    let tr = Tr::new(lang_of(&jar));
    let input = StatusInput {
        receipt: form.receipt.clone(),
        secret: form.secret,
    };
    let peer = peer.map(|Extension(p)| p);
    let result = workflow::inquiry_form::status(&office, input, peer).await;
    let (code, problem, status) = match result {
        Ok(s) => (axum::http::StatusCode::OK, None, Some(StatusView::of(s))),
        Err(e) => (e.status, Some(Problem::of(&e, tr.lang)), None),
    };
    let page = StatusPage {
        tr,
        me: None,
        here: "/public/inquiry/status",
        receipt: form.receipt,
        problem,
        status,
    };
    (code, page).into_response()
}
