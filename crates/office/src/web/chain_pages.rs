//! The pages of the chain's forms: what each shows, in the page's language and Japan time.

use askama::Template;
use askama_web::WebTemplate;
use mimamori_policy::access::Action;
use mimamori_policy::chain::{LegalBasis, Step};

use super::chain::{InstructForm, OrderForm};
use super::pages::{jst, Person, Problem};
use super::Tr;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::RequestView;
use crate::OfficeState;

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The policy's cameras as choices, `selected` chosen.
pub fn camera_choices(office: &OfficeState, selected: &str) -> Vec<Choice> {
    office
        .policy
        .cameras
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: format!("{} {}（{}）", c.id, c.name, c.site),
            selected: selected == c.id.as_str(),
        })
        .collect()
}

/// T6.1's grounds as choices, with their rule IDs, `selected` chosen.
pub fn basis_choices(selected: &str) -> Vec<Choice> {
    LegalBasis::ALL
        .iter()
        .map(|b| Choice {
            value: b.code().to_owned(),
            label: format!("{} {}", b.rule().id(), b.ja()),
            selected: selected == b.code(),
        })
        .collect()
}

/// A form's refusal, and the field it is about.
pub struct FormProblem {
    pub problem: Option<Problem>,
    pub field: String,
}

impl FormProblem {
    fn of(tr: Tr, error: Option<&ApiError>) -> FormProblem {
        FormProblem {
            problem: error.map(|e| Problem::of(e, tr.lang)),
            field: error.and_then(|e| e.field.clone()).unwrap_or_default(),
        }
    }

    /// The message, if it is about `field`.
    pub fn at(&self, field: &str) -> Option<&str> {
        match &self.problem {
            Some(p) if self.field == field => Some(p.message.as_str()),
            _ => None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "order.html")]
pub struct OrderPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub may: bool,
    pub form: OrderForm,
    pub bases: Vec<Choice>,
    pub errors: FormProblem,
}

impl OrderPage {
    pub fn new(tr: Tr, caller: &Caller, form: OrderForm, error: Option<&ApiError>) -> OrderPage {
        let bases = basis_choices(&form.basis);
        OrderPage {
            tr,
            me: Some(Person::of(caller)),
            here: "/orders/new",
            may: caller.role_for(Action::IssueOrder).is_some(),
            form,
            bases,
            errors: FormProblem::of(tr, error),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "request.html")]
pub struct RequestPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: String,
    pub id: String,
    pub state: String,
    pub purpose: String,
    pub reason: String,
    pub basis: String,
    /// (label key, value) rows of what happened, in order.
    pub facts: Vec<(&'static str, String)>,
    pub may_instruct: bool,
}

impl RequestPage {
    pub fn new(tr: Tr, caller: &Caller, view: RequestView, may_instruct: bool) -> RequestPage {
        let mut facts = Vec::new();
        if let (Some(by), Some(at)) = (&view.ordered_by, view.ordered) {
            facts.push(("req-ordered", format!("{} {by}", jst(at))));
        }
        if let Some(i) = &view.instruction {
            facts.push(("req-instructed", i.instructed_by.clone()));
            facts.push(("req-expires", jst(i.expires)));
            facts.push(("col-camera", i.camera.clone()));
            facts.push(("req-range", format!("{} 〜 {}", jst(i.from), jst(i.to))));
            facts.push(("req-handler", i.handler.clone()));
            facts.push(("req-terminal", i.terminal.to_string()));
        }
        if let (Some(by), Some(at)) = (&view.retrieved_by, view.retrieved) {
            facts.push(("req-retrieved", format!("{} {by}", jst(at))));
        }
        if let Some(at) = view.reported {
            facts.push(("req-reported", jst(at)));
        }
        RequestPage {
            tr,
            me: Some(Person::of(caller)),
            here: format!("/requests/{}", view.id),
            id: view.id.to_string(),
            state: match tr.lang {
                super::Lang::Ja => view.state.ja().to_owned(),
                super::Lang::En => view.state.as_str().replace('_', " "),
            },
            purpose: view.purpose,
            reason: view.reason,
            basis: format!("{} {}", view.basis.kind.rule().id(), view.basis.kind.ja()),
            facts,
            may_instruct,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "instruct.html")]
pub struct InstructPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: String,
    pub id: i64,
    pub may: bool,
    pub form: InstructForm,
    pub cameras: Vec<Choice>,
    pub terminals: Vec<Choice>,
    pub errors: FormProblem,
}

impl InstructPage {
    pub async fn new(
        office: &OfficeState,
        tr: Tr,
        caller: &Caller,
        id: i64,
        form: InstructForm,
        error: Option<&ApiError>,
    ) -> InstructPage {
        let cameras = camera_choices(office, &form.camera);
        // The terminals in service; reading them is a permission like any other.
        let terminals = crate::workflow::terminals::list_terminals(office, caller)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.revoked_us.is_none())
            .map(|t| Choice {
                selected: form.terminal == t.id.as_str(),
                label: format!("{} {}（{}）", t.id, t.name, t.location),
                value: t.id.to_string(),
            })
            .collect();
        InstructPage {
            tr,
            me: Some(Person::of(caller)),
            here: format!("/requests/{id}/instruct"),
            id,
            may: caller.role_for(Action::Chain(Step::Instruct)).is_some(),
            form,
            cameras,
            terminals,
            errors: FormProblem::of(tr, error),
        }
    }
}
