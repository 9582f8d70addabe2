//! A request's page, and the choices the chain's forms offer: what each shows, in the page's
//! language and Japan time.

use askama::Template;
use askama_web::WebTemplate;
use mimamori_policy::access::Action;
use mimamori_policy::chain::{LegalBasis, RequestKind, RequestState, Step};

use mimamori_db::vocabulary::Document;
use mimamori_db::{Closing, Origin};

use super::pages::{jst, step_key, Person};
use super::{Lang, Tr};
use crate::auth::Caller;
use crate::wire::RequestView;
use crate::OfficeState;

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A request's state as the screens name it, in `lang`.
pub fn state_label(state: RequestState, lang: Lang) -> String {
    match lang {
        Lang::Ja => state.ja().to_owned(),
        Lang::En => state.as_str().replace('_', " "),
    }
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

/// A step the person may take on a request: its form's path and its name's key.
pub struct StepLink {
    pub path: String,
    pub key: &'static str,
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
    /// The steps waiting on the request that this person's roles take, as forms.
    pub steps: Vec<StepLink>,
    /// The retrieval waits for this person: it is made at the dedicated terminal (N2).
    pub retrieve_at_terminal: bool,
    /// The request's paper form (様式第2号 or 第3号), if it has one.
    pub paper: Option<StepLink>,
}

impl RequestPage {
    pub fn new(office: &OfficeState, tr: Tr, caller: &Caller, view: RequestView) -> RequestPage {
        let mine = |step: Step| caller.role_for(Action::Chain(step)).is_some();
        let next: Vec<Step> = view
            .state
            .next_steps(view.kind)
            .filter(|s| mine(*s))
            .collect();
        let steps = next
            .iter()
            .filter(|s| **s != Step::Retrieve)
            .map(|s| StepLink {
                path: format!("/requests/{}/{}", view.id, s.as_str()),
                key: step_key(*s),
            })
            .collect();
        RequestPage {
            tr,
            me: Some(Person::of(caller)),
            here: format!("/requests/{}", view.id),
            id: view.id.to_string(),
            state: state_label(view.state, tr.lang),
            purpose: view.purpose.clone(),
            reason: view.reason.clone(),
            basis: format!("{} {}", view.basis.kind.rule().id(), view.basis.kind.ja()),
            facts: facts(office, tr, &view),
            steps,
            retrieve_at_terminal: next.contains(&Step::Retrieve),
            paper: match view.kind {
                RequestKind::Provision => Some(StepLink {
                    path: format!("/requests/{}/form2.pdf", view.id),
                    key: "req-form2-pdf",
                }),
                RequestKind::Emergency => Some(StepLink {
                    path: format!("/requests/{}/form3.pdf", view.id),
                    key: "req-form3-pdf",
                }),
                RequestKind::Internal => None,
            },
        }
    }
}

/// What happened to a request, step by step.
fn facts(office: &OfficeState, tr: Tr, view: &RequestView) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    if let Some(Origin::Provision(p)) = &view.provision {
        facts.push(("provision-body", format!("{}（{}）", p.body, p.applicant)));
        facts.push(("provision-document", document(tr, &p.document)));
        let check = &p.identity_check;
        let checked = format!(
            "{} {}（{}）",
            check.document_type, check.document_number, check.checked_by
        );
        facts.push(("identity-legend", checked));
    }
    if let Some(Origin::Emergency(e)) = &view.provision {
        if let Some(d) = &e.delegation_id {
            facts.push(("delegation-title", d.to_string()));
        }
    }
    if let (Some(by), Some(at)) = (&view.ordered_by, view.ordered) {
        facts.push(("req-ordered", format!("{} {by}", jst(at))));
    }
    if let Some(i) = &view.instruction {
        facts.push(("req-instructed", i.instructed_by.clone()));
        facts.push(("req-expires", jst(i.expires)));
        // Each camera of the case with its range (issue 13).
        for range in &i.cameras {
            let camera = office
                .policy
                .cameras
                .iter()
                .find(|c| c.id.as_str() == range.camera);
            let camera = match camera {
                Some(c) => format!("{} {}（{}）", c.id, c.name, c.site),
                None => range.camera.clone(),
            };
            facts.push(("col-camera", camera));
            facts.push((
                "req-range",
                format!("{} 〜 {}", jst(range.from), jst(range.to)),
            ));
        }
        facts.push(("req-handler", i.handler.clone()));
        facts.push(("req-terminal", i.terminal.to_string()));
    }
    if let (Some(by), Some(at)) = (&view.retrieved_by, view.retrieved) {
        facts.push(("req-retrieved", format!("{} {by}", jst(at))));
    }
    if let Some(r) = &view.retrieval {
        for c in r.clips() {
            let clip = format!(
                "{}: SHA-256 {}（{} bytes）",
                c.range.camera, c.clip_sha256, c.clip_bytes
            );
            facts.push(("req-clip", clip));
        }
    }
    if let Some(at) = view.reported {
        facts.push(("req-reported", jst(at)));
    }
    if let Some(r) = &view.report {
        facts.push(("req-media", format!("{} × {}", r.media, r.copies)));
        if !r.remarks.is_empty() {
            facts.push(("report-remarks", r.remarks.clone()));
        }
    }
    match &view.closing {
        Some(Closing::HandedOver(h)) => {
            facts.push((
                "handover-title",
                format!("{} {}", jst(h.handed_over), h.recipient),
            ));
            facts.push(("handover-content", h.content.clone()));
            let check = &h.identity_check;
            let checked = format!(
                "{} {}（{}）",
                check.document_type, check.document_number, check.checked_by
            );
            facts.push(("identity-legend", checked));
        }
        Some(Closing::Form3(f)) => {
            facts.push(("form3-title", format!("{} {}", jst(f.received), f.document)));
            facts.push(("form3-urgency", f.urgency.clone()));
        }
        Some(Closing::Reason(r)) => facts.push(("reason-label", r.reason.clone())),
        None => {}
    }
    facts
}

/// N10.1's document in a line.
fn document(tr: Tr, document: &Document) -> String {
    match document {
        Document::Inquiry { number, dated } => {
            format!("{} {number}（{dated}）", tr.t("document-inquiry"))
        }
        Document::Form2 { case, offence, .. } => {
            format!("{} {case}（{offence}）", tr.t("document-form2"))
        }
        Document::OwnRequest { receipt } => {
            format!("{} {receipt}", tr.t("document-own-request"))
        }
    }
}
