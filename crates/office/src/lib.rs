//! The office: mimamori's HTTP API.
//!
//! It answers health, metrics, its OpenAPI document and the ledger's public routes
//! (checkpoints, keys, proofs), and runs the ward's side of the guideline: staff and
//! appointments (N7), sign-in (N3.3.1), terminals (N2, N8), and the request chain (N9–N11)
//! whose retrieval grant is the only way footage leaves. No route streams live footage (N6.3).
//! Every permission is decided by `mimamori_policy::access`; handlers gather facts, ask, and
//! record the answer.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use mimamori_db::Db;
use mimamori_policy::Policy;
use mimamori_recorder::{Clock, RecorderContext};

pub mod auth;
pub mod documents;
mod error;
pub mod evidence;
pub mod form1;
pub mod grant;
mod http;
mod ledger_api;
pub mod notary;
mod openapi;
pub mod serve;
pub mod setup;
pub mod stream;
pub mod throttle;
pub mod web;
pub mod wire;
pub mod workflow;

pub use error::ApiError;

use notary::Notary;

/// What every step shares: the office's database, policy and clock, its notary (the ward's
/// signing key), and the recorder, which only the retrieval step reaches (for the export).
pub struct OfficeState {
    pub db: Db,
    pub policy: Arc<Policy>,
    pub clock: Arc<dyn Clock>,
    pub notary: Arc<Notary>,
    /// Where a retrieval's package is built before it is sent; it is removed once sent
    /// (T5.2: no copy stays behind).
    pub work_dir: PathBuf,
    /// Sign-ins and enrolments per address (issue 11, #9).
    pub throttle: throttle::Throttle,
    /// Recorded refusals per signed-in person (issue 11, #17).
    pub refusals: throttle::Throttle<mimamori_policy::StaffId>,
    /// Messages from the public inquiry form per address and hour (issue 14).
    pub inquiry_throttle: throttle::Throttle,
    /// Status lookups of inquiries per address (issue 14): a secret is presented, as at
    /// sign-in, but the public's guesses must not use up staff's sign-ins.
    pub lookup_throttle: throttle::Throttle,
    /// The ward's boundary for the layout map (`ward.boundary`), read once at start.
    pub boundary: Option<Arc<mimamori_map::Boundary>>,
    /// The layout map's PDF while the register is unchanged.
    pub map_pdf: workflow::public::MapPdfCache,
    recorder: Arc<RecorderContext>,
}

impl OfficeState {
    /// The office over the recorder's database, policy and clock. The work directory is
    /// emptied of anything a crash left there (T5.2: no copy of footage stays behind) and made
    /// the office's alone (mode 0700).
    pub fn new(
        recorder: Arc<RecorderContext>,
        notary: Arc<Notary>,
        work_dir: PathBuf,
    ) -> std::io::Result<Self> {
        fresh_work_dir(&work_dir)?;
        let boundary = match &recorder.policy.ward.boundary {
            None => None,
            Some(path) => Some(Arc::new(read_boundary(path)?)),
        };
        Ok(OfficeState {
            boundary,
            map_pdf: Default::default(),
            db: recorder.db.clone(),
            policy: recorder.policy.clone(),
            clock: recorder.clock.clone(),
            notary,
            work_dir,
            throttle: throttle::Throttle::default(),
            refusals: throttle::Throttle::default(),
            inquiry_throttle: throttle::Throttle::per(jiff::SignedDuration::from_hours(1)),
            lookup_throttle: throttle::Throttle::default(),
            recorder,
        })
    }

    /// The recorder: for the export of a spent grant, and the health page.
    pub fn recorder(&self) -> &Arc<RecorderContext> {
        &self.recorder
    }
}

/// Empties and (re)creates the work directory with mode 0700.
fn fresh_work_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let left = std::fs::read_dir(dir).map_or(0, |entries| entries.count());
    if left > 0 {
        tracing::warn!(dir = %dir.display(), entries = left, "removing what a crash left in the work directory");
    }
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// The router's state: the office, shared by every handler.
#[derive(Clone)]
pub struct Shared(pub Arc<OfficeState>);

impl std::ops::Deref for Shared {
    type Target = OfficeState;

    fn deref(&self) -> &OfficeState {
        &self.0
    }
}

impl FromRef<Shared> for Arc<RecorderContext> {
    fn from_ref(office: &Shared) -> Self {
        office.recorder.clone()
    }
}

/// Request bodies are small JSON documents; anything larger is refused.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API's routes.
pub fn router(office: Shared) -> Router {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .merge(ledger_api::routes())
        .merge(http::alerts::routes())
        .merge(http::auth::routes())
        .merge(http::staff::routes())
        .merge(http::terminals::routes())
        .merge(http::requests::routes())
        .merge(http::form1::routes())
        .merge(http::documents::routes())
        .merge(http::outside::routes())
        .merge(http::register::routes())
        .merge(http::inquiries::routes())
        .merge(web::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(error::localize))
        .with_state(office)
}

/// Recorder health: per camera state, last sample, recorded seconds today, gaps, bytes.
///
/// No authentication: it says nothing about what the cameras see. Alerts about retrievals (emergencies, overdue Form 3s, history mismatches) are counted here,
/// not shown: their camera, time and request are for signed-in staff (`GET /api/v1/alerts`,
/// N12; issue 11, #18). Alerts about people (appointments, terminals) are neither shown nor
/// counted. Alerts about cameras (gaps, storage, integrity) stay in full.
#[utoipa::path(get, path = "/api/v1/health", tag = "public", security(()),
    responses((status = 200, description = "The status.", body = PublicHealth),
        (status = 500, description = "The status could not be read.", body = openapi::PlainError)))]
pub(crate) async fn health(State(ctx): State<Arc<RecorderContext>>) -> Response {
    match mimamori_recorder::status::status(&ctx.db, &ctx.policy, ctx.clock.now()).await {
        Ok(mut status) => {
            let mut retrieval_alerts = std::collections::BTreeMap::new();
            status.open_alerts.retain(|a| {
                if a.kind.is_about_retrievals() {
                    *retrieval_alerts.entry(a.kind.as_str()).or_insert(0) += 1;
                }
                !a.kind.is_about_retrievals() && !a.kind.is_about_people()
            });
            Json(PublicHealth {
                status,
                retrieval_alerts,
            })
            .into_response()
        }
        Err(e) => internal_error(e),
    }
}

/// The public health page: the recorder's status, and open alerts about retrievals by kind.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct PublicHealth {
    #[serde(flatten)]
    status: mimamori_recorder::status::Status,
    /// Open alerts about retrievals, counted by kind; in full at `GET /api/v1/alerts`.
    #[schema(value_type = std::collections::BTreeMap<String, usize>)]
    retrieval_alerts: std::collections::BTreeMap<&'static str, usize>,
}

/// This document.
///
/// No authentication, so clients can be generated before sign-in. It is generated from the
/// routes' own declarations (`openapi.rs`).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "public", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", body = serde_json::Value)))]
pub(crate) async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::DOCUMENT.as_str(),
    )
        .into_response()
}

/// Counters and gauges in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "public", security(()),
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.",
            content_type = "text/plain", body = String),
        (status = 500, description = "The status could not be read.", body = openapi::PlainError)))]
pub(crate) async fn metrics(State(ctx): State<Arc<RecorderContext>>) -> Response {
    let status =
        match mimamori_recorder::status::status(&ctx.db, &ctx.policy, ctx.clock.now()).await {
            Ok(s) => s,
            Err(e) => return internal_error(e),
        };
    let mut out = String::new();
    ctx.metrics.render(&mut out);
    gauge(
        &mut out,
        "mimamori_stored_bytes",
        "Bytes of indexed segment files.",
        [("", status.stored_bytes)],
    );
    let recording = status
        .cameras
        .iter()
        .map(|c| (c.id.as_str(), i64::from(c.state == "recording")));
    gauge(
        &mut out,
        "mimamori_camera_recording",
        "1 while the camera is recording.",
        recording,
    );
    let open_gaps = status.cameras.iter().map(|c| {
        (
            c.id.as_str(),
            c.gaps_today.iter().filter(|g| g.end_us.is_none()).count() as i64,
        )
    });
    gauge(
        &mut out,
        "mimamori_camera_open_gaps",
        "Gaps still open (N5).",
        open_gaps,
    );
    gauge(
        &mut out,
        "mimamori_open_alerts",
        "Alerts not yet resolved.",
        [("", status.open_alerts.len() as i64)],
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

fn gauge<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    values: impl IntoIterator<Item = (&'a str, i64)>,
) {
    use std::fmt::Write;
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (camera, v) in values {
        let _ = match camera {
            "" => writeln!(out, "{name} {v}"),
            id => writeln!(out, "{name}{{camera=\"{id}\"}} {v}"),
        };
    }
}

fn internal_error(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({ "error": e.to_string() })),
    )
        .into_response()
}

#[cfg(test)]
mod chain_tests;
#[cfg(test)]
mod tests;
#[cfg(any(test, feature = "testutil"))]
pub mod testutil;

/// The ward's boundary GeoJSON (`ward.boundary`): a file that cannot be read or parsed stops
/// the start with its name and the reason.
fn read_boundary(path: &std::path::Path) -> std::io::Result<mimamori_map::Boundary> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "ward.boundary {}: {e} (区の境界ファイルを読めません)",
                path.display()
            ),
        )
    })?;
    mimamori_map::Boundary::from_geojson(&text)
        .map_err(|e| std::io::Error::other(format!("ward.boundary {}: {e}", path.display())))
}
