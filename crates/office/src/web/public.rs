//! The public page (issue 14): no sign-in, Japanese first, works without script on a phone.
//! The facts come from `workflow::public` (the one place that decides what is public); this
//! module draws the layout map (`mimamori_map`, an inline SVG with a table of the same facts)
//! and answers the open data.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use mimamori_map::{LatLon, Legend, MapCamera, MapInput, MapSign};

use super::pages::{self, jst, Person};
use super::{lang_of, Tr};
use crate::error::ApiError;
use crate::workflow::public::{PublicCamera, PublicView};
use crate::{workflow, Shared};

pub struct CameraLine {
    pub number: usize,
    pub id: String,
    pub name: String,
    pub address: String,
    pub bearing_deg: u16,
    pub compass: &'static str,
    pub fov_deg: u16,
    pub range_m: u16,
    pub state_key: String,
    pub installed: String,
    pub signs: String,
}

pub struct SignLine {
    pub label: String,
    pub text: String,
    pub cameras: String,
    pub position: String,
}

pub struct StatsLine {
    pub label: String,
    pub cells: Vec<u64>,
}

/// The published statistics as the page shows them.
pub struct StatsView {
    pub size: String,
    pub root: String,
    pub months: Vec<StatsLine>,
    pub bases: Vec<StatsLine>,
}

pub struct CheckpointLine {
    pub size: i64,
    pub root: String,
    pub time: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "public.html")]
pub struct PublicPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub ward: String,
    pub operator: String,
    pub contact: String,
    pub retention_days: String,
    pub count: String,
    pub map_svg: String,
    pub cameras: Vec<CameraLine>,
    pub signs: Vec<SignLine>,
    pub checkpoint: Option<CheckpointLine>,
    pub origin: String,
    pub stats: Option<StatsView>,
}

/// The layout map of `view` in the page's language (T2.1, T-map): one cone per camera, each
/// sign, the ward's boundary when the policy gives one.
pub fn map_svg(tr: Tr, view: &PublicView, office: &crate::OfficeState) -> Result<String, ApiError> {
    let cameras: Vec<MapCamera> = view
        .cameras
        .iter()
        .map(|c| MapCamera {
            id: c.id.clone(),
            label: c.number.to_string(),
            title: camera_title(tr, c),
            at: LatLon {
                lat: c.lat,
                lon: c.lon,
            },
            bearing_deg: f64::from(c.bearing_deg),
            fov_deg: f64::from(c.fov_deg),
            range_m: f64::from(c.range_m),
        })
        .collect();
    let signs: Vec<MapSign> = view
        .signs
        .iter()
        .map(|s| MapSign {
            id: s.label.clone(),
            label: s.label.clone(),
            title: format!("{} {}", s.label, s.text),
            at: LatLon {
                lat: s.lat,
                lon: s.lon,
            },
        })
        .collect();
    let legend = Legend {
        title: tr.t1("map-title", "ward", &view.ward),
        description: tr.t2(
            "map-desc",
            "cameras",
            &cameras.len().to_string(),
            "signs",
            &signs.len().to_string(),
        ),
        camera: tr.t("map-camera"),
        cone: tr.t("map-cone"),
        sign: tr.t("map-sign"),
        boundary: tr.t("map-boundary"),
        north: tr.t("map-north"),
        scale: tr.t("map-scale"),
    };
    mimamori_map::render_svg(&MapInput {
        cameras: &cameras,
        signs: &signs,
        boundary: office.boundary.as_deref(),
        legend: &legend,
    })
    .map_err(ApiError::internal)
}

fn camera_title(tr: Tr, c: &PublicCamera) -> String {
    let compass = match tr.lang {
        super::Lang::Ja => c.compass_ja,
        super::Lang::En => c.compass_en,
    };
    format!(
        "{} {} {} {}（{}°）",
        c.number, c.name, c.address, compass, c.bearing_deg
    )
}

/// The public page, for anyone.
pub async fn page(State(office): State<Shared>, jar: CookieJar) -> Response {
    render(&office, Tr::new(lang_of(&jar)), "/public").await
}

/// The public page in `tr`'s language at `here` (also `/` for a visitor without a session).
pub async fn render(office: &crate::OfficeState, tr: Tr, here: &'static str) -> Response {
    let view = match workflow::public::public_view(office).await {
        Ok(v) => v,
        Err(e) => return pages::error_page(tr, &e),
    };
    let map_svg = match map_svg(tr, &view, office) {
        Ok(svg) => svg,
        Err(e) => return pages::error_page(tr, &e),
    };
    let stats = match workflow::statistics::statistics(office).await {
        Ok(s) => s.map(|s| stats_view(tr, s)),
        Err(e) => return pages::error_page(tr, &e),
    };
    let cameras = view
        .cameras
        .iter()
        .map(|c| CameraLine {
            number: c.number,
            id: c.id.clone(),
            name: c.name.clone(),
            address: c.address.clone(),
            bearing_deg: c.bearing_deg,
            compass: match tr.lang {
                super::Lang::Ja => c.compass_ja,
                super::Lang::En => c.compass_en,
            },
            fov_deg: c.fov_deg,
            range_m: c.range_m,
            state_key: format!("cam-lifecycle-{}", c.state.as_str()),
            installed: c.installed.clone(),
            signs: c.signs.join(", "),
        })
        .collect();
    let signs = view
        .signs
        .iter()
        .map(|s| SignLine {
            label: s.label.clone(),
            text: s.text.clone(),
            cameras: s
                .cameras
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            position: format!("{:.6}, {:.6}", s.lat, s.lon),
        })
        .collect();
    PublicPage {
        tr,
        me: None,
        here,
        count: view.cameras.len().to_string(),
        retention_days: view.retention_days.to_string(),
        ward: view.ward,
        operator: view.operator,
        contact: view.contact,
        map_svg,
        cameras,
        signs,
        checkpoint: view.checkpoint.map(|cp| CheckpointLine {
            size: cp.size,
            root: hex::encode(&cp.root),
            time: jst(mimamori_db::from_us(cp.time_us)),
        }),
        origin: view.origin,
        stats,
    }
    .into_response()
}

/// A ground's name for people: T6.1's words, or the emergency retrieval's.
fn basis_label(tr: Tr, rule: &str) -> String {
    let key = match rule {
        "T6.1a" => "pub-rule-t6-1a",
        "T6.1b" => "pub-rule-t6-1b",
        "T6.1c" => "pub-rule-t6-1c",
        "T6.1d" => "pub-rule-t6-1d",
        "T6.1e" => "pub-rule-t6-1e",
        "N11.1" => "pub-stats-emergency",
        _ => return rule.to_owned(),
    };
    format!("{}（{rule}）", tr.t(key))
}

fn stats_view(tr: Tr, s: workflow::statistics::Statistics) -> StatsView {
    StatsView {
        size: s.checkpoint_size.to_string(),
        root: s.checkpoint_root,
        months: s
            .months
            .into_iter()
            .map(|m| StatsLine {
                label: m.month,
                cells: vec![
                    m.retrievals,
                    m.provisions,
                    m.emergencies,
                    m.holds,
                    m.inquiries,
                    m.complaints,
                    m.answered,
                ],
            })
            .collect(),
        bases: s
            .bases
            .into_iter()
            .map(|b| StatsLine {
                label: basis_label(tr, &b.basis),
                cells: vec![b.retrievals, b.provisions],
            })
            .collect(),
    }
}

/// The statistics as JSON, with the checkpoint they are counted at (404 before the first).
pub async fn statistics_json(State(office): State<Shared>) -> Response {
    match workflow::statistics::statistics(&office).await {
        Ok(Some(s)) => Json(s).into_response(),
        Ok(None) => ApiError::not_found(
            "no_checkpoint",
            "no checkpoint has been signed yet",
            "署名済みチェックポイントはまだありません",
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// T-map: the layout map with the camera table as a printable PDF (別添 配置図), in Japanese.
pub async fn map_pdf(State(office): State<Shared>, jar: CookieJar) -> Response {
    let tr = Tr::new(lang_of(&jar));
    let pdf = async {
        let view = workflow::public::public_view(&office).await?;
        let svg = map_svg(Tr::new(super::Lang::Ja), &view, &office)?;
        workflow::public::layout_map_pdf(&office, &view, svg).await
    }
    .await;
    match pdf {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"layout-map.pdf\"",
                ),
            ],
            bytes.to_vec(),
        )
            .into_response(),
        Err(e) => pages::error_page(tr, &e),
    }
}

/// The camera list as open data (CSV, UTF-8 with BOM; CC BY 4.0).
pub async fn cameras_csv(State(office): State<Shared>, jar: CookieJar) -> Response {
    match workflow::public::cameras_csv(&office).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"cameras.csv\"",
                ),
            ],
            csv,
        )
            .into_response(),
        Err(e) => pages::error_page(Tr::new(lang_of(&jar)), &e),
    }
}

/// The cameras and signs as GeoJSON (RFC 7946; CC BY 4.0).
pub async fn cameras_geojson(State(office): State<Shared>) -> Response {
    match workflow::public::cameras_geojson(&office).await {
        Ok(json) => ([(header::CONTENT_TYPE, "application/geo+json")], Json(json)).into_response(),
        Err(e) => e.into_response(),
    }
}
