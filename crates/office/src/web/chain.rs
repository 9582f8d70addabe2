//! The chain on screen (issue 13): the Manager's order (N9.1, with its T6.1 basis), a
//! request's page with the steps waiting on it, and each step's form at
//! `/requests/{id}/{step}` (instruct, report, accept, decline, hand_over, record_form3,
//! cancel). Each form calls the same workflow step as the API; a refusal shows the form again
//! with what was typed, the rule, and the message next to the field at fault.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use mimamori_policy::chain::Step;
use mimamori_policy::RequestId;

use super::chain_pages::RequestPage;
use super::form::{self, Paths, Values};
use super::pages::{self, jst};
use super::session::WebCaller;
use super::{steps, Tr};
use crate::error::ApiError;
use crate::wire::RequestView;
use crate::{workflow, Shared};

fn order_paths() -> Paths {
    Paths {
        here: "/orders/new".into(),
        action: "/orders".into(),
        back: "/".into(),
        subject: None,
    }
}

pub async fn order_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(
        &office,
        &web,
        &steps::ORDER,
        order_paths(),
        &Values::default(),
    )
    .await
}

/// N9.1: the Manager orders a retrieval.
pub async fn order(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let result = workflow::orders::order(&office, &web.caller, steps::order(&values)).await;
    let paths = order_paths();
    form::answer(&office, &web, &steps::ORDER, paths, &values, result, |v| {
        format!("/requests/{}", v.id)
    })
    .await
}

/// One request, as staff who read records see it, with the steps waiting on it.
pub async fn request(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    let tr = Tr::new(web.lang);
    match workflow::orders::show_request(&office, &web.caller, RequestId::new(id)).await {
        Ok(view) => RequestPage::new(&office, tr, &web.caller, view).into_response(),
        Err(e) => pages::error_page(tr, &e),
    }
}

/// A step's path segment (`Step::as_str`), if it has a form here.
fn step_of(segment: &str) -> Option<(Step, &'static form::FormSpec)> {
    let step = Step::ALL.into_iter().find(|s| s.as_str() == segment)?;
    Some((step, steps::spec(step)?))
}

fn step_paths(id: i64, step: Step) -> Paths {
    Paths::at(
        format!("/requests/{id}/{}", step.as_str()),
        &format!("/requests/{id}"),
    )
    .about("req-title", id)
}

fn no_such_step(web: &WebCaller) -> Response {
    let e = ApiError::not_found("not_found", "there is no such step", "その手続はありません");
    pages::error_page(Tr::new(web.lang), &e)
}

/// A step's form, filled with what the request already says where the step asks it again.
pub async fn step_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path((id, segment)): Path<(i64, String)>,
) -> Response {
    let Some((step, spec)) = step_of(&segment) else {
        return no_such_step(&web);
    };
    let view = workflow::orders::show_request(&office, &web.caller, RequestId::new(id)).await;
    let values = match (&view, step) {
        (Ok(view), Step::HandOver) => Values::with(&[("purpose", &view.purpose)]),
        (Ok(view), Step::RecordForm3) => form3_known(&office, view),
        _ => Values::default(),
    };
    form::show(&office, &web, spec, step_paths(id, step), &values).await
}

/// Form 3 asks what the emergency request already holds: its purpose, the camera's site and
/// the retrieval's date (Japan time). The person checks them against the paper.
fn form3_known(office: &crate::OfficeState, view: &RequestView) -> Values {
    let site = view
        .instruction
        .as_ref()
        .and_then(|i| {
            office
                .policy
                .cameras
                .iter()
                .find(|c| c.id.as_str() == i.camera)
        })
        .map(|c| format!("{}（{}）", c.site, c.name))
        .unwrap_or_default();
    let date = view
        .retrieved
        .map(|t| jst(t).chars().take(10).collect::<String>())
        .unwrap_or_default();
    Values::with(&[
        ("purpose", &view.purpose),
        ("camera_site", &site),
        ("retrieval_date", &date),
    ])
}

/// A chain step taken on its form: the workflow step the API's route calls.
pub async fn take_step(
    State(office): State<Shared>,
    web: WebCaller,
    Path((id, segment)): Path<(i64, String)>,
    Form(values): Form<Values>,
) -> Response {
    let Some((step, spec)) = step_of(&segment) else {
        return no_such_step(&web);
    };
    let result = run(&office, &web, step, RequestId::new(id), &values).await;
    let paths = step_paths(id, step);
    form::answer(&office, &web, spec, paths, &values, result, |v| {
        format!("/requests/{}", v.id)
    })
    .await
}

async fn run(
    office: &crate::OfficeState,
    web: &WebCaller,
    step: Step,
    id: RequestId,
    v: &Values,
) -> Result<RequestView, ApiError> {
    use workflow::{emergency, orders, provisions};
    let caller = &web.caller;
    match step {
        Step::Instruct => orders::instruct(office, caller, id, steps::instruction(v)?).await,
        Step::Report => orders::report(office, caller, id, steps::report(v)?).await,
        Step::Cancel => orders::cancel(office, caller, id, steps::reason(v)).await,
        Step::Accept => provisions::accept(office, caller, id).await,
        Step::Decline => provisions::decline(office, caller, id, steps::reason(v)).await,
        Step::HandOver => provisions::hand_over(office, caller, id, steps::hand_over(v)).await,
        Step::RecordForm3 => emergency::record_form3(office, caller, id, steps::form3(v)).await,
        // Never reached (`steps::spec` has no form for it), and refused if it were.
        Step::Retrieve => Err(ApiError::bad_request(
            "at_terminal",
            "the retrieval is made at the dedicated terminal",
            "取り出しは専用端末で行います",
        )
        .rule(mimamori_policy::Rule::N2)),
    }
}

/// 様式第2号 of an outside body's request, prefilled for it to sign.
pub async fn form2_pdf(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    let pdf = workflow::documents::form2_pdf(&office, &web.caller, RequestId::new(id)).await;
    pages::download(Tr::new(web.lang), pdf)
}

/// 様式第3号 of an emergency retrieval, prefilled for the delegated body to sign.
pub async fn form3_pdf(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    let pdf = workflow::documents::form3_pdf(&office, &web.caller, RequestId::new(id)).await;
    pages::download(Tr::new(web.lang), pdf)
}
