//! Form 1 (様式第1号 画像管理台帳, N9.3) on screen: the same rows the API lists, filtered by
//! the period of the order (Japan time), the camera and the T6.1 basis, as a table and as CSV
//! (UTF-8 with a byte-order mark, so Excel opens it in Japanese).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::chain_pages::{basis_choices, camera_choices, state_label, Choice};
use super::pages::{self, jst, Person, Problem};
use super::session::WebCaller;
use super::Tr;
use crate::error::ApiError;
use crate::form1::Form1Row;
use crate::wire::{CorrectionInput, Form1Query};
use mimamori_policy::access::Action;
use mimamori_policy::chain::RequestState;
use mimamori_policy::RequestId;

use super::form::{self, must, FormSpec, Input, Paths, SectionSpec, Source, Values};
use crate::{workflow, Shared};

/// A row as the register prints it.
pub struct Line {
    pub serial: String,
    pub cells: Vec<String>,
}

/// The register's columns, as Fluent keys, in the form's order.
const COLUMNS: [&str; 12] = [
    "f1-serial",
    "f1-ordered",
    "f1-ordered-by",
    "col-purpose",
    "order-basis",
    "col-camera",
    "req-range",
    "req-handler",
    "req-retrieved",
    "f1-recipient",
    "req-reported",
    "f1-remarks",
];

/// A row's cells as the register prints them (the PDF's, with times as the screens show them).
fn line(row: &Form1Row) -> Line {
    Line {
        serial: row.serial.to_string(),
        cells: crate::documents::form1_cells(row, jst),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "form1.html")]
pub struct Form1Page {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: String,
    pub query: Form1Query,
    pub query_string: String,
    pub cameras: Vec<Choice>,
    pub bases: Vec<Choice>,
    pub states: Vec<Choice>,
    pub columns: &'static [&'static str],
    pub lines: Vec<Line>,
    pub problem: Option<Problem>,
    /// The person may correct a row (N9.3: their own record, or the Manager any).
    pub may_correct: bool,
}

fn query_string(q: &Form1Query) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("from", &q.from),
        ("to", &q.to),
        ("camera", &q.camera),
        ("basis", &q.basis),
        ("state", &q.state),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            out.append_pair(k, v);
        }
    }
    out.finish()
}

pub async fn page(
    State(office): State<Shared>,
    web: WebCaller,
    Query(query): Query<Form1Query>,
) -> Response {
    let tr = Tr::new(web.lang);
    let (lines, problem, status) = match workflow::form1::list_form1(
        &office,
        &web.caller,
        Form1Query {
            from_serial: None,
            from: query.from.clone(),
            to: query.to.clone(),
            camera: query.camera.clone(),
            basis: query.basis.clone(),
            state: query.state.clone(),
        },
    )
    .await
    {
        Ok(rows) => (
            rows.iter().map(line).collect(),
            None,
            axum::http::StatusCode::OK,
        ),
        Err(e) => (Vec::new(), Some(Problem::of(&e, tr.lang)), e.status),
    };
    let cameras = camera_choices(&office, query.camera.as_deref().unwrap_or(""));
    let bases = basis_choices(query.basis.as_deref().unwrap_or(""));
    let chosen = query.state.as_deref().unwrap_or("");
    let states = RequestState::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: state_label(*s, tr.lang),
            selected: s.as_str() == chosen,
        })
        .collect();
    let page = Form1Page {
        tr,
        me: Some(Person::of(&web.caller)),
        here: "/form1".into(),
        query_string: query_string(&query),
        query,
        cameras,
        bases,
        states,
        columns: &COLUMNS,
        lines,
        problem,
        may_correct: web.caller.role_for(Action::CorrectRecord).is_some(),
    };
    (status, page).into_response()
}

/// The same rows as CSV: every cell quoted, a BOM first, the header in the page's language.
pub async fn csv(
    State(office): State<Shared>,
    web: WebCaller,
    Query(query): Query<Form1Query>,
) -> Response {
    let tr = Tr::new(web.lang);
    let rows = match workflow::form1::list_form1(&office, &web.caller, query).await {
        Ok(rows) => rows,
        Err(e) => return pages::error_page(tr, &e),
    };
    let mut out = String::from("\u{feff}");
    let quote = |cell: &str| format!("\"{}\"", cell.replace('"', "\"\""));
    let header: Vec<String> = COLUMNS.iter().map(|k| quote(&tr.t(k))).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in &rows {
        let cells: Vec<String> = line(row).cells.iter().map(|c| quote(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"form1.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

/// 様式第1号 as PDF, over the same filters.
pub async fn pdf(
    State(office): State<Shared>,
    web: WebCaller,
    Query(query): Query<Form1Query>,
) -> Response {
    let pdf = workflow::documents::form1_pdf(&office, &web.caller, query).await;
    pages::download(Tr::new(web.lang), pdf)
}

/// N9.3: a Form 1 field corrected by a new event; the original stays in the log.
pub const CORRECT: FormSpec = FormSpec {
    title: "correct-title",
    lead: "correct-lead",
    submit: "correct-submit",
    not_yours: "form-not-yours",
    action: Some(Action::CorrectRecord),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("field", "correct-field", Input::Select(Source::Form1Fields)),
            must("value", "correct-value", Input::Text),
            must("reason", "reason-label", Input::Area),
        ],
    }],
};

fn correct_paths(serial: i64) -> Paths {
    Paths::at(format!("/form1/{serial}/correct"), "/form1").about("f1-serial", serial)
}

pub async fn correct_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path(serial): Path<i64>,
) -> Response {
    form::show(
        &office,
        &web,
        &CORRECT,
        correct_paths(serial),
        &Values::default(),
    )
    .await
}

/// The value as the field holds it: copies a number, the others text.
fn correction(v: &Values) -> Result<CorrectionInput, ApiError> {
    let field = v.text("field");
    let value = match field.as_str() {
        "copies" => serde_json::Value::from(v.count("value")?),
        _ => serde_json::Value::from(v.text("value")),
    };
    Ok(CorrectionInput {
        field,
        value,
        reason: v.text("reason"),
    })
}

pub async fn correct(
    State(office): State<Shared>,
    web: WebCaller,
    Path(serial): Path<i64>,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let input = correction(&values)?;
        let serial = RequestId::new(serial);
        workflow::form1::correct_form1(&office, &web.caller, serial, input).await
    }
    .await;
    form::answer(
        &office,
        &web,
        &CORRECT,
        correct_paths(serial),
        &values,
        result,
        |_| "/form1".to_owned(),
    )
    .await
}
