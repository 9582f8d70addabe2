//! The chain's first steps as forms (issue 13): the Manager's order (N9.1, with its T6.1
//! basis), a request's page, and the Operations lead's instruction (N9.2) with its range in
//! Japan time. Each form calls the same workflow step as the API; a refusal shows the form again
//! with what was typed, the rule, and the message next to the field at fault.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::DateTime;
use jiff::Timestamp;
use mimamori_policy::access::Action;
use mimamori_policy::chain::Step;
use mimamori_policy::RequestId;
use serde::Deserialize;

use super::chain_pages::{InstructPage, OrderPage, RequestPage};
use super::pages;
use super::session::WebCaller;
use super::Tr;
use crate::error::ApiError;
use crate::wire::{BasisInput, InstructionInput, OrderInput};
use crate::{workflow, Shared};

/// What the order form holds, typed or not yet.
#[derive(Debug, Default, Deserialize)]
pub struct OrderForm {
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub law: String,
    #[serde(default)]
    pub document: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub consent_of: String,
}

impl OrderForm {
    fn input(&self) -> OrderInput {
        let mut fields = serde_json::Map::new();
        for (name, value) in [
            ("law", &self.law),
            ("document", &self.document),
            ("urgency", &self.urgency),
            ("consent_of", &self.consent_of),
        ] {
            if !value.trim().is_empty() {
                fields.insert(name.into(), value.trim().into());
            }
        }
        OrderInput {
            purpose: self.purpose.clone(),
            reason: self.reason.clone(),
            basis: BasisInput {
                kind: self.basis.clone(),
                fields,
            },
        }
    }
}

pub async fn order_form(web: WebCaller) -> Response {
    OrderPage::new(Tr::new(web.lang), &web.caller, OrderForm::default(), None).into_response()
}

/// N9.1: the Manager orders a retrieval.
pub async fn order(
    State(office): State<Shared>,
    web: WebCaller,
    Form(form): Form<OrderForm>,
) -> Response {
    match workflow::orders::order(&office, &web.caller, form.input()).await {
        Ok(view) => Redirect::to(&format!("/requests/{}", view.id)).into_response(),
        Err(e) => {
            let page = OrderPage::new(Tr::new(web.lang), &web.caller, form, Some(&e));
            (e.status, page).into_response()
        }
    }
}

/// One request, as staff who read records see it, with the steps waiting on it.
pub async fn request(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    let tr = Tr::new(web.lang);
    match workflow::orders::show_request(&office, &web.caller, RequestId::new(id)).await {
        Ok(view) => {
            let may_instruct = view
                .state
                .next_steps(view.kind)
                .any(|s| s == Step::Instruct)
                && web.caller.role_for(Action::Chain(Step::Instruct)).is_some();
            RequestPage::new(tr, &web.caller, view, may_instruct).into_response()
        }
        Err(e) => pages::error_page(tr, &e),
    }
}

/// What the instruction form holds. Times are as typed, in Japan time.
#[derive(Debug, Default, Deserialize)]
pub struct InstructForm {
    #[serde(default)]
    pub camera: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub handler: String,
    #[serde(default)]
    pub terminal: String,
}

impl InstructForm {
    fn input(&self) -> Result<InstructionInput, ApiError> {
        Ok(InstructionInput {
            camera: self.camera.trim().to_owned(),
            from: japan_time("from", &self.from)?,
            to: japan_time("to", &self.to)?,
            handler: self.handler.trim().to_owned(),
            terminal: self.terminal.trim().into(),
            expires: None,
        })
    }
}

/// A `datetime-local` value (`2026-11-30T09:00`) read as Japan time.
fn japan_time(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    let bad = || {
        ApiError::invalid(
            field,
            "give a date and time (YYYY-MM-DDTHH:MM, Japan time)",
            "日時を入力してください（日本時間）",
        )
    };
    let civil: DateTime = text.trim().parse().map_err(|_| bad())?;
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").map_err(ApiError::internal)?;
    Ok(civil.to_zoned(tz).map_err(|_| bad())?.timestamp())
}

pub async fn instruct_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    InstructPage::new(
        &office,
        Tr::new(web.lang),
        &web.caller,
        id,
        InstructForm::default(),
        None,
    )
    .await
    .into_response()
}

/// N9.2: the Operations lead instructs a handler to retrieve at a terminal.
pub async fn instruct(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
    Form(form): Form<InstructForm>,
) -> Response {
    let result = match form.input() {
        Ok(input) => {
            workflow::orders::instruct(&office, &web.caller, RequestId::new(id), input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(view) => Redirect::to(&format!("/requests/{}", view.id)).into_response(),
        Err(e) => {
            let tr = Tr::new(web.lang);
            let page = InstructPage::new(&office, tr, &web.caller, id, form, Some(&e)).await;
            (e.status, page).into_response()
        }
    }
}
