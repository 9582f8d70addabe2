//! Footage for outside bodies, holds and the request list on screen (issue 13): the intake of
//! an outside body's request with its document and identity check (N10.1, T6.2), the written
//! delegation to an investigative body and its withdrawal (N10.2), the delegated staff's
//! emergency retrieval (N11.1), holds that keep footage past its retention (T5.3), and every
//! request by state. Each form calls the workflow step the API's route calls.

use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use mimamori_db::vocabulary::Document;
use mimamori_db::{from_us, DelegationRow, HoldRow};
use mimamori_policy::access::Action;
use mimamori_policy::{DelegationId, Rule};
use serde::Deserialize;

use super::form::{self, may, must, FormSpec, Input, Paths, SectionSpec, Source, Values};
use super::pages::jst;
use super::session::WebCaller;
use super::steps::{self, BASIS, IDENTITY};
use super::table::{Link, Row, TablePage};
use super::{Lang, Tr};
use crate::error::ApiError;
use crate::wire::{
    DelegationInput, EmergencyInput, HoldInput, ListQuery, ProvisionInput, RequestView,
};
use crate::{workflow, Shared};

/// N10.1: an outside body's request, its document, and the recipient's identity check.
pub const PROVISION: FormSpec = FormSpec {
    title: "provision-title",
    lead: "provision-lead",
    submit: "provision-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RegisterProvision),
    sections: &[
        SectionSpec {
            legend: None,
            fields: &[
                must("body", "provision-body-name", Input::Text),
                must("applicant", "provision-applicant", Input::Text),
                must("purpose", "col-purpose", Input::Text),
                must("reason", "order-reason", Input::Area),
            ],
        },
        BASIS,
        SectionSpec {
            legend: Some("provision-document"),
            fields: &[
                must(
                    "document.type",
                    "provision-document-type",
                    Input::Select(Source::Documents),
                ),
                may("document.number", "inquiry-number", Input::Text),
                may("document.dated", "inquiry-dated", Input::Text),
                may("document.case", "form2-case", Input::Text),
                may("document.offence", "form2-offence", Input::Text),
                may("document.purpose", "form2-purpose", Input::Text),
                may("document.cameras", "form2-cameras", Input::Text),
                may("document.range", "form2-range", Input::Text),
                may("document.pledged", "form3-pledged", Input::Check),
            ],
        },
        IDENTITY,
    ],
};

fn provision(v: &Values) -> Result<ProvisionInput, ApiError> {
    let document = match v.get("document.type") {
        "inquiry" => Document::Inquiry {
            number: v.text("document.number"),
            dated: v.text("document.dated"),
        },
        "form2" => Document::Form2 {
            case: v.text("document.case"),
            offence: v.text("document.offence"),
            purpose: v.text("document.purpose"),
            cameras: v.text("document.cameras"),
            range: v.text("document.range"),
            pledged: v.ticked("document.pledged"),
        },
        _ => {
            return Err(ApiError::invalid(
                "document.type",
                "choose the document the request came with",
                "依頼の書類を選んでください",
            )
            .rule(Rule::N10_1))
        }
    };
    Ok(ProvisionInput {
        body: v.text("body"),
        applicant: v.text("applicant"),
        purpose: v.text("purpose"),
        reason: v.text("reason"),
        basis: steps::basis(v),
        document,
        identity_check: steps::identity(v),
    })
}

fn provision_paths() -> Paths {
    Paths::at("/provisions/new".into(), "/requests")
}

pub async fn provision_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(
        &office,
        &web,
        &PROVISION,
        provision_paths(),
        &Values::default(),
    )
    .await
}

/// N10.1: the request is registered; it waits for the Manager on its page.
pub async fn register_provision(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let input = provision(&values)?;
        workflow::provisions::register_provision(&office, &web.caller, input).await
    }
    .await;
    form::answer(
        &office,
        &web,
        &PROVISION,
        provision_paths(),
        &values,
        result,
        to_request,
    )
    .await
}

fn to_request(view: RequestView) -> String {
    format!("/requests/{}", view.id)
}

/// N11.1: delegated staff retrieve at their terminal without waiting for the office.
pub const EMERGENCY: FormSpec = FormSpec {
    title: "emergency-title",
    lead: "emergency-lead",
    submit: "emergency-submit",
    not_yours: "form-not-yours",
    action: Some(Action::EmergencyRetrieve),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("camera", "col-camera", Input::Select(Source::Cameras)),
            must("from", "instruct-from", Input::When),
            must("to", "instruct-to", Input::When),
            must("purpose", "col-purpose", Input::Text),
            must("urgency", "form3-urgency", Input::Area),
            must("terminal", "emergency-terminal", Input::Text),
            may(
                "outside_hours_reason",
                "emergency-outside-hours",
                Input::Area,
            ),
        ],
    }],
};

fn emergency(v: &Values) -> Result<EmergencyInput, ApiError> {
    Ok(EmergencyInput {
        camera: v.text("camera"),
        from: v.japan_time("from")?,
        to: v.japan_time("to")?,
        purpose: v.text("purpose"),
        urgency: v.text("urgency"),
        terminal: v.text("terminal").into(),
        outside_hours_reason: Some(v.text("outside_hours_reason")).filter(|r| !r.is_empty()),
    })
}

fn emergency_paths() -> Paths {
    Paths::at("/emergency/new".into(), "/")
}

pub async fn emergency_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(
        &office,
        &web,
        &EMERGENCY,
        emergency_paths(),
        &Values::default(),
    )
    .await
}

pub async fn authorize_emergency(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let input = emergency(&values)?;
        workflow::emergency::authorize_emergency(&office, &web.caller, input).await
    }
    .await;
    form::answer(
        &office,
        &web,
        &EMERGENCY,
        emergency_paths(),
        &values,
        result,
        to_request,
    )
    .await
}

/// T5.3: footage kept past its retention, for a stated reason, until a stated time.
pub const HOLD: FormSpec = FormSpec {
    title: "hold-title",
    lead: "hold-lead",
    submit: "hold-submit",
    not_yours: "form-not-yours",
    action: Some(Action::PlaceHold),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("camera", "col-camera", Input::Select(Source::Cameras)),
            must("from", "instruct-from", Input::When),
            must("to", "instruct-to", Input::When),
            must("until", "hold-until", Input::When),
            must("reason", "reason-label", Input::Area),
        ],
    }],
};

fn hold(v: &Values) -> Result<HoldInput, ApiError> {
    Ok(HoldInput {
        camera: v.text("camera"),
        from: v.japan_time("from")?,
        to: v.japan_time("to")?,
        until: v.japan_time("until")?,
        reason: v.text("reason"),
    })
}

fn hold_paths() -> Paths {
    Paths::at("/holds/new".into(), "/holds")
}

pub async fn holds(State(office): State<Shared>, web: WebCaller) -> Response {
    let columns = [
        "col-camera",
        "req-range",
        "hold-until",
        "reason-label",
        "hold-by",
    ];
    let page = TablePage::new(&web, "/holds", "holds-title", "holds-lead", &columns);
    let may_hold = web.caller.role_for(Action::PlaceHold).is_some();
    let page = page.action(may_hold, "/holds/new", "hold-title");
    let rows = workflow::holds::list_holds(&office, &web.caller).await;
    page.answer(rows.map(|holds| holds.iter().map(hold_row).collect()))
}

fn hold_row(h: &HoldRow) -> Row {
    Row {
        cells: vec![
            h.camera_id.to_string(),
            format!("{} 〜 {}", jst(from_us(h.start_us)), jst(from_us(h.end_us))),
            jst(from_us(h.until_us)),
            h.reason.clone(),
            format!("{} {}", jst(from_us(h.created_us)), h.held_by),
        ],
        links: Vec::new(),
    }
}

pub async fn hold_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(&office, &web, &HOLD, hold_paths(), &Values::default()).await
}

pub async fn place_hold(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let input = hold(&values)?;
        workflow::holds::place_hold(&office, &web.caller, input).await
    }
    .await;
    form::answer(&office, &web, &HOLD, hold_paths(), &values, result, |_| {
        "/holds".to_owned()
    })
    .await
}

/// N10.2: the written delegation to an investigative body, the cameras it covers, its period.
pub const DELEGATION: FormSpec = FormSpec {
    title: "delegation-new",
    lead: "delegation-lead",
    submit: "delegation-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RecordDelegation),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("body", "provision-body-name", Input::Text),
            must("document_ref", "delegation-document", Input::Text),
            must("scope", "delegation-scope", Input::Area),
            must(
                "cameras",
                "delegation-cameras",
                Input::Multiple(Source::Cameras),
            ),
            must("from", "delegation-from", Input::When),
            must("until", "delegation-until", Input::When),
        ],
    }],
};

fn delegation(v: &Values) -> Result<DelegationInput, ApiError> {
    Ok(DelegationInput {
        body: v.text("body"),
        document_ref: v.text("document_ref"),
        scope: v.text("scope"),
        cameras: v.all("cameras"),
        from: v.japan_time("from")?,
        until: v.japan_time("until")?,
    })
}

fn delegation_paths() -> Paths {
    Paths::at("/delegations/new".into(), "/delegations")
}

pub async fn delegations(State(office): State<Shared>, web: WebCaller) -> Response {
    let columns = [
        "delegation-title",
        "provision-body-name",
        "delegation-document",
        "delegation-cameras",
        "delegation-period",
        "delegation-withdrawn",
    ];
    let page = TablePage::new(
        &web,
        "/delegations",
        "delegations-title",
        "delegations-lead",
        &columns,
    );
    let may_record = web.caller.role_for(Action::RecordDelegation).is_some();
    let page = page.action(may_record, "/delegations/new", "delegation-new");
    let tr = page.tr;
    let rows = workflow::delegations::list_delegations(&office, &web.caller).await;
    page.answer(rows.map(|list| {
        list.iter()
            .map(|d| delegation_row(tr, d, may_record))
            .collect()
    }))
}

fn delegation_row(tr: Tr, d: &DelegationRow, may_withdraw: bool) -> Row {
    let withdrawn = match (&d.withdrawn_us, &d.withdrawn_by) {
        (Some(at), by) => format!(
            "{} {} {}",
            jst(from_us(*at)),
            by.as_deref().unwrap_or(""),
            d.withdrawal_reason.as_deref().unwrap_or("")
        ),
        (None, _) => String::new(),
    };
    let cameras = d
        .cameras
        .as_ref()
        .map(|c| {
            c.0.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("、")
        })
        .unwrap_or_default();
    Row {
        cells: vec![
            d.id.to_string(),
            d.body.clone(),
            d.document_ref.clone(),
            cameras,
            format!(
                "{} 〜 {}",
                jst(from_us(d.from_us)),
                jst(from_us(d.until_us))
            ),
            withdrawn,
        ],
        links: [
            Some(Link {
                path: format!("/delegations/{}/confirmation.pdf", d.id),
                label: tr.t("delegation-pdf"),
            }),
            (may_withdraw && d.withdrawn_us.is_none()).then(|| Link {
                path: format!("/delegations/{}/withdraw", d.id),
                label: tr.t("withdraw-title"),
            }),
        ]
        .into_iter()
        .flatten()
        .collect(),
    }
}

pub async fn delegation_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(
        &office,
        &web,
        &DELEGATION,
        delegation_paths(),
        &Values::default(),
    )
    .await
}

pub async fn record_delegation(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let input = delegation(&values)?;
        workflow::delegations::record_delegation(&office, &web.caller, input).await
    }
    .await;
    form::answer(
        &office,
        &web,
        &DELEGATION,
        delegation_paths(),
        &values,
        result,
        |_| "/delegations".to_owned(),
    )
    .await
}

/// N10.2: a delegation withdrawn before its end, with the reason.
pub const WITHDRAW: FormSpec = FormSpec {
    title: "withdraw-title",
    lead: "withdraw-lead",
    submit: "withdraw-title",
    not_yours: "form-not-yours",
    action: Some(Action::RecordDelegation),
    sections: &[SectionSpec {
        legend: None,
        fields: &[must("reason", "reason-label", Input::Area)],
    }],
};

fn withdraw_paths(id: i64) -> Paths {
    Paths::at(format!("/delegations/{id}/withdraw"), "/delegations").about("delegation-title", id)
}

pub async fn withdraw_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    form::show(
        &office,
        &web,
        &WITHDRAW,
        withdraw_paths(id),
        &Values::default(),
    )
    .await
}

pub async fn withdraw_delegation(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
    Form(values): Form<Values>,
) -> Response {
    let reason = steps::reason(&values);
    let result = workflow::delegations::withdraw_delegation(
        &office,
        &web.caller,
        DelegationId::new(id),
        reason,
    )
    .await;
    form::answer(
        &office,
        &web,
        &WITHDRAW,
        withdraw_paths(id),
        &values,
        result,
        |_| "/delegations".to_owned(),
    )
    .await
}

#[derive(Deserialize)]
pub struct StateFilter {
    #[serde(default)]
    state: String,
}

/// Every request, newest first, by state if one is chosen (T4: records readers).
pub async fn requests(
    State(office): State<Shared>,
    web: WebCaller,
    Query(filter): Query<StateFilter>,
) -> Response {
    let columns = [
        "col-request",
        "col-kind",
        "col-state",
        "col-purpose",
        "req-ordered",
    ];
    let page = TablePage::new(
        &web,
        "/requests",
        "requests-title",
        "requests-lead",
        &columns,
    );
    let caller = &web.caller;
    let may_register = caller.role_for(Action::RegisterProvision).is_some();
    let may_order = caller.role_for(Action::IssueOrder).is_some();
    let may_emergency = caller.role_for(Action::EmergencyRetrieve).is_some();
    let page = page
        .action(may_order, "/orders/new", "order-title")
        .action(may_register, "/provisions/new", "provision-title")
        .action(may_emergency, "/emergency/new", "emergency-title");
    let tr = page.tr;
    let query = ListQuery {
        state: Some(filter.state).filter(|s| !s.is_empty()),
        limit: Some(500),
    };
    let rows = workflow::orders::list_requests(&office, caller, query).await;
    page.answer(rows.map(|list| list.into_iter().map(|r| request_row(tr, r)).collect()))
}

fn request_row(tr: Tr, r: RequestView) -> Row {
    let state = match tr.lang {
        Lang::Ja => r.state.ja().to_owned(),
        Lang::En => r.state.as_str().replace('_', " "),
    };
    let kind = tr.t(super::pages::kind_key(r.kind));
    Row {
        cells: vec![
            r.id.to_string(),
            kind,
            state,
            r.purpose,
            r.ordered.map(jst).unwrap_or_default(),
        ],
        links: vec![Link {
            path: format!("/requests/{}", r.id),
            label: tr.t("requests-open"),
        }],
    }
}

/// The written confirmation of a delegation (N10.2), as PDF.
pub async fn delegation_pdf(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    let pdf =
        workflow::documents::delegation_pdf(&office, &web.caller, DelegationId::new(id)).await;
    super::pages::download(Tr::new(web.lang), pdf)
}
