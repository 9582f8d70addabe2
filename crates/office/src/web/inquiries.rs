//! The staff's screens for inquiries and complaints (issue 14; T3.3 c, T8, T6.1 d): the intake
//! list with what is overdue, one inquiry with its notes and answers, and one form per step
//! (assign, note, answer, start a provision request, close). Every form calls the same
//! `workflow::inquiries` step as the JSON API. What the public wrote is only ever shown as
//! escaped text (askama escapes every value; nothing here is marked safe).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use mimamori_policy::access::Action;
use mimamori_policy::inquiry::{Category, InquiryState};

use super::form::{self, must, FormSpec, Input, Paths, SectionSpec, Source, Values};
use super::pages::{self, jst, Person};
use super::session::WebCaller;
use super::steps::{self, IDENTITY_DOCUMENT};
use super::Tr;
use crate::error::ApiError;
use crate::wire::inquiries::{AssignInput, InquiryOut, OwnFootageInput, TextInput};
use crate::{workflow, Shared};

/// An inquiry as a line of the list or the head of its page, times in Japan time.
pub struct InquiryLine {
    pub receipt: String,
    pub category: String,
    pub state: String,
    pub received: String,
    pub due: String,
    pub overdue: bool,
    pub assignee: String,
    pub first_answered: String,
    /// How long the first answer took (T8 "quickly"), and the closing.
    pub answered_after: String,
    pub closed: String,
    pub closed_after: String,
    pub request: Option<i64>,
    /// The provision request's state, in the page's language.
    pub request_state: String,
    pub message: String,
    pub contact: String,
}

pub struct EntryLine {
    pub is_answer: bool,
    pub author: String,
    pub at: String,
    pub text: String,
}

/// The words of a kind of inquiry (`inq-category-…`).
pub(super) fn category_key(c: Category) -> String {
    format!("inq-category-{}", c.as_str())
}

/// A duration in days and hours, in the page's language: "2日 3時間", "2 d 3 h".
fn took(tr: Tr, from: jiff::Timestamp, to: Option<jiff::Timestamp>) -> String {
    let Some(to) = to else {
        return String::new();
    };
    let hours = to.duration_since(from).as_hours().max(0);
    let (days, hours) = (hours / 24, hours % 24);
    tr.t2(
        "inq-took",
        "days",
        &days.to_string(),
        "hours",
        &hours.to_string(),
    )
}

impl InquiryLine {
    fn of(tr: Tr, i: &InquiryOut) -> InquiryLine {
        let time = |t: Option<jiff::Timestamp>| t.map(jst).unwrap_or_default();
        InquiryLine {
            receipt: i.receipt.to_string(),
            category: category_key(i.category),
            state: format!("inq-state-{}", i.state.as_str()),
            received: jst(i.received),
            due: jst(i.answer_due),
            overdue: i.overdue,
            assignee: i.assignee.clone().unwrap_or_default(),
            first_answered: time(i.first_answered),
            answered_after: took(tr, i.received, i.first_answered),
            closed: time(i.closed),
            closed_after: took(tr, i.received, i.closed),
            request: i.request.map(|r| r.get()),
            request_state: i
                .request_state
                .map(|s| match tr.lang {
                    super::Lang::Ja => s.ja().to_owned(),
                    super::Lang::En => s.as_str().replace('_', " "),
                })
                .unwrap_or_default(),
            message: i.message.clone(),
            contact: i.contact.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiries.html")]
pub struct InquiriesPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub open: Vec<InquiryLine>,
    pub closed: Vec<InquiryLine>,
}

/// The intake list: open inquiries first, the longest waiting on top, overdue ones marked.
pub async fn list(State(office): State<Shared>, web: WebCaller) -> Response {
    let tr = Tr::new(web.lang);
    match workflow::inquiries::list(&office, &web.caller).await {
        Ok(all) => {
            let (closed, open): (Vec<_>, Vec<_>) =
                all.iter().partition(|i| i.state == InquiryState::Closed);
            InquiriesPage {
                tr,
                me: Some(Person::of(&web.caller)),
                here: "/inquiries",
                open: open.into_iter().map(|i| InquiryLine::of(tr, i)).collect(),
                closed: closed.into_iter().map(|i| InquiryLine::of(tr, i)).collect(),
            }
            .into_response()
        }
        Err(e) => pages::error_page(tr, &e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inquiry.html")]
pub struct InquiryPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: String,
    pub i: InquiryLine,
    pub entries: Vec<EntryLine>,
    /// The steps the inquiry's state and the caller's roles allow: (path part, label key).
    pub steps: Vec<(&'static str, &'static str)>,
}

/// The steps offered on an inquiry's page. The workflow decides again when one is taken.
fn offered(web: &WebCaller, i: &InquiryOut) -> Vec<(&'static str, &'static str)> {
    use mimamori_policy::inquiry::{next_state, InquiryStep};
    let may = |a: Action| web.caller.role_for(a).is_some();
    let can = |s: InquiryStep| next_state(i.state, i.category, s).is_ok();
    let mut steps = Vec::new();
    if may(Action::ManageInquiry) && can(InquiryStep::Assign) {
        steps.push(("assign", "inq-assign-title"));
    }
    if may(Action::HandleInquiry) {
        if can(InquiryStep::Answer) {
            steps.push(("answer", "inq-answer-title"));
        }
        if may(Action::RegisterProvision) && can(InquiryStep::StartProvision) {
            steps.push(("provision", "inq-provision-title"));
        }
        if can(InquiryStep::Note) {
            steps.push(("note", "inq-note-title"));
        }
    }
    if may(Action::ManageInquiry) && can(InquiryStep::Close) {
        steps.push(("close", "inq-close-title"));
    }
    if may(Action::ManageInquiry) && can(InquiryStep::Dismiss) {
        steps.push(("dismiss", "inq-dismiss-title"));
    }
    steps
}

/// One inquiry: what was sent, its dates, notes and answers, and the steps open to the caller.
pub async fn show(
    State(office): State<Shared>,
    web: WebCaller,
    Path(receipt): Path<String>,
) -> Response {
    let tr = Tr::new(web.lang);
    match workflow::inquiries::show(&office, &web.caller, &receipt).await {
        Ok(i) => InquiryPage {
            tr,
            me: Some(Person::of(&web.caller)),
            here: format!("/inquiries/{}", i.receipt),
            steps: offered(&web, &i),
            entries: i
                .entries
                .iter()
                .map(|e| EntryLine {
                    is_answer: e.kind == "answer",
                    author: e.author.clone(),
                    at: jst(e.at),
                    text: e.text.clone(),
                })
                .collect(),
            i: InquiryLine::of(tr, &i),
        }
        .into_response(),
        Err(e) => pages::error_page(tr, &e),
    }
}

/// T8: the Manager gives it to a Manager or an Operations lead.
pub const ASSIGN: FormSpec = FormSpec {
    title: "inq-assign-title",
    lead: "inq-assign-lead",
    submit: "inq-assign-submit",
    not_yours: "form-not-yours",
    action: Some(Action::ManageInquiry),
    sections: &[SectionSpec {
        legend: None,
        fields: &[must(
            "assignee",
            "inq-assignee-label",
            Input::Select(Source::Assignees),
        )],
    }],
};

/// T3.3 c: a note for staff only.
pub const NOTE: FormSpec = FormSpec {
    title: "inq-note-title",
    lead: "inq-note-lead",
    submit: "inq-note-submit",
    not_yours: "form-not-yours",
    action: Some(Action::HandleInquiry),
    sections: &[SectionSpec {
        legend: None,
        fields: &[must("text", "inq-note-text", Input::Area)],
    }],
};

/// T8: an answer the person sees on their status page.
pub const ANSWER: FormSpec = FormSpec {
    title: "inq-answer-title",
    lead: "inq-answer-lead",
    submit: "inq-answer-submit",
    not_yours: "form-not-yours",
    action: Some(Action::HandleInquiry),
    sections: &[SectionSpec {
        legend: None,
        fields: &[must("text", "inq-answer-text", Input::Area)],
    }],
};

/// T6.1 d, T6.2: the person's request becomes a provision request.
pub const PROVISION: FormSpec = FormSpec {
    title: "inq-provision-title",
    lead: "inq-provision-lead",
    submit: "inq-provision-submit",
    not_yours: "form-not-yours",
    action: Some(Action::HandleInquiry),
    sections: &[
        SectionSpec {
            legend: None,
            fields: &[
                must("applicant", "inq-applicant", Input::Text),
                must("reason", "inq-provision-reason", Input::Area),
            ],
        },
        // Who checked is whoever is signed in (T6.2); only the document is asked for.
        IDENTITY_DOCUMENT,
    ],
};

/// T8: the Manager closes an inquiry with a last answer, whatever it waited for.
pub const DISMISS: FormSpec = FormSpec {
    title: "inq-dismiss-title",
    lead: "inq-dismiss-lead",
    submit: "inq-dismiss-submit",
    not_yours: "form-not-yours",
    action: Some(Action::ManageInquiry),
    sections: &[SectionSpec {
        legend: None,
        fields: &[must("text", "inq-answer-text", Input::Area)],
    }],
};

/// T8: the Manager closes an answered inquiry.
pub const CLOSE: FormSpec = FormSpec {
    title: "inq-close-title",
    lead: "inq-close-lead",
    submit: "inq-close-submit",
    not_yours: "form-not-yours",
    action: Some(Action::ManageInquiry),
    sections: &[],
};

fn spec(what: &str) -> Option<&'static FormSpec> {
    match what {
        "assign" => Some(&ASSIGN),
        "note" => Some(&NOTE),
        "answer" => Some(&ANSWER),
        "provision" => Some(&PROVISION),
        "close" => Some(&CLOSE),
        "dismiss" => Some(&DISMISS),
        _ => None,
    }
}

fn paths(receipt: &str, what: &str) -> Paths {
    let back = format!("/inquiries/{receipt}");
    Paths::at(format!("{back}/{what}"), &back).about("inq-receipt-subject", receipt)
}

fn unknown_form() -> ApiError {
    ApiError::not_found("unknown_form", "no such form", "そのような画面はありません")
}

pub async fn step_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path((receipt, what)): Path<(String, String)>,
) -> Response {
    let Some(spec) = spec(&what) else {
        return pages::error_page(Tr::new(web.lang), &unknown_form());
    };
    form::show(
        &office,
        &web,
        spec,
        paths(&receipt, &what),
        &Values::default(),
    )
    .await
}

pub async fn step(
    State(office): State<Shared>,
    web: WebCaller,
    Path((receipt, what)): Path<(String, String)>,
    Form(values): Form<Values>,
) -> Response {
    let Some(spec) = spec(&what) else {
        return pages::error_page(Tr::new(web.lang), &unknown_form());
    };
    let (o, c, r) = (&office, &web.caller, receipt.as_str());
    let text = || TextInput {
        text: values.text("text"),
    };
    let result = match what.as_str() {
        "assign" => {
            let input = AssignInput {
                assignee: values.text("assignee"),
            };
            workflow::inquiries::assign(o, c, r, input).await
        }
        "note" => workflow::inquiries::note(o, c, r, text()).await,
        "answer" => workflow::inquiries::answer(o, c, r, text()).await,
        "dismiss" => workflow::inquiries::dismiss(o, c, r, text()).await,
        "provision" => {
            let input = OwnFootageInput {
                applicant: values.text("applicant"),
                reason: values.text("reason"),
                identity_check: steps::identity(&values),
            };
            workflow::inquiries::start_provision(o, c, r, input).await
        }
        _ => workflow::inquiries::close(o, c, r).await,
    };
    let done = |i: InquiryOut| match i.request {
        Some(request) if what == "provision" => format!("/requests/{request}"),
        _ => format!("/inquiries/{}", i.receipt),
    };
    form::answer(
        &office,
        &web,
        spec,
        paths(&receipt, &what),
        &values,
        result,
        done,
    )
    .await
}
