//! The ledger page (issue 13): the latest checkpoint the ward signed (N3.2.1), the newest
//! events (filtered by kind or actor), and how anyone outside verifies the record.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use base64::prelude::{Engine, BASE64_STANDARD};
use serde::Deserialize;

use super::pages::{jst, refused, Person, Problem};
use super::session::WebCaller;
use super::Tr;
use crate::{workflow, Shared};

pub struct CheckpointLine {
    pub size: i64,
    pub time: String,
    pub root: String,
    pub note: String,
}

pub struct EventLine {
    pub id: i64,
    pub time: String,
    pub actor: String,
    pub role: String,
    pub kind: String,
    pub rule: String,
    pub outcome: String,
}

impl EventLine {
    /// An event as the ledger's pages list it, its time in Japan time.
    fn of(e: mimamori_db::EventRow) -> EventLine {
        EventLine {
            id: e.id,
            time: jst(mimamori_db::from_us(e.time_us)),
            actor: e.actor,
            role: e.role.unwrap_or_default(),
            kind: e.kind,
            rule: e.rule.unwrap_or_default(),
            outcome: e.outcome,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "ledger.html")]
pub struct LedgerPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub filter: String,
    pub checkpoint: Option<CheckpointLine>,
    pub events: Vec<EventLine>,
    pub problem: Option<Problem>,
}

#[derive(Deserialize)]
pub struct LedgerQuery {
    #[serde(default)]
    filter: String,
}

pub async fn page(
    State(office): State<Shared>,
    web: WebCaller,
    Query(q): Query<LedgerQuery>,
) -> Response {
    let tr = Tr::new(web.lang);
    let mut page = LedgerPage {
        tr,
        me: Some(Person::of(&web.caller)),
        here: "/ledger",
        filter: q.filter.clone(),
        checkpoint: None,
        events: Vec::new(),
        problem: None,
    };
    let status = match workflow::ledger::ledger_view(&office, &web.caller, Some(&q.filter)).await {
        Ok(view) => {
            page.checkpoint = view.checkpoint.map(|c| CheckpointLine {
                size: c.size,
                time: jst(mimamori_db::from_us(c.time_us)),
                root: BASE64_STANDARD.encode(&c.root),
                note: c.note,
            });
            page.events = view.events.into_iter().map(EventLine::of).collect();
            axum::http::StatusCode::OK
        }
        Err(e) => refused(&mut page.problem, &e, tr.lang),
    };
    (status, page).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "event.html")]
pub struct EventPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: String,
    pub line: EventLine,
    pub detail: String,
    pub leaf: String,
    /// (checkpoint size, its root, the proof's hashes, whether it checks).
    pub proof: Option<(i64, String, Vec<String>, bool)>,
}

/// One event with its inclusion proof (N3.2.1): what an auditor checks a record against.
pub async fn event(
    State(office): State<Shared>,
    web: WebCaller,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    let tr = Tr::new(web.lang);
    match workflow::ledger::event_view(&office, &web.caller, id).await {
        Ok(view) => {
            let e = view.event;
            let detail = serde_json::from_str::<serde_json::Value>(&e.detail)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| e.detail.clone());
            EventPage {
                tr,
                me: Some(Person::of(&web.caller)),
                here: format!("/ledger/events/{id}"),
                line: EventLine::of(e),
                detail,
                leaf: BASE64_STANDARD.encode(view.leaf.0),
                proof: view.proof.map(|(cp, hashes, checks)| {
                    let hashes = hashes.iter().map(|h| BASE64_STANDARD.encode(h.0)).collect();
                    (cp.size, BASE64_STANDARD.encode(&cp.root), hashes, checks)
                }),
            }
            .into_response()
        }
        Err(e) => super::pages::error_page(tr, &e),
    }
}
