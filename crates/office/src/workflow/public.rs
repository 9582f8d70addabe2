//! What the ward tells everyone, without sign-in (issue 14): where the cameras are and which
//! way they look (N3.1b, T2.1), the signs (N4.2, T2.2), the ward's rules, how to ask (T3.3 c,
//! T8), the open data, and the latest signed checkpoint of the ledger.
//!
//! This is the one place that decides what is public. It reads the register and the policy and
//! keeps out everything N12 keeps secret: no stream URL or credential (they are not in the
//! register at all), no staff name or login (the site's justification names the Manager who
//! chose it, and the police's document: neither is shown), and nothing about any retrieval.
//! Planned sites are not shown (nothing stands there yet), nor removed cameras.

use mimamori_db::{CheckpointRow, RegisterCamera, RegisterSign};
use mimamori_policy::register::Lifecycle;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::OfficeState;

/// A camera as the public sees it, numbered as on the layout map.
#[derive(Debug, Clone)]
pub struct PublicCamera {
    /// 1, 2, … in the order of the register's ids: the label on the map.
    pub number: usize,
    pub id: String,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub bearing_deg: u16,
    pub fov_deg: u16,
    pub range_m: u16,
    pub compass_ja: &'static str,
    pub compass_en: &'static str,
    pub state: Lifecycle,
    /// "2026-11": the month it was installed.
    pub installed: String,
    /// The numbers (labels) of the standing signs that tell of it.
    pub signs: Vec<String>,
}

/// A standing sign, labelled S1, S2, … on the map.
#[derive(Debug, Clone)]
pub struct PublicSign {
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    pub text: String,
    /// The map numbers of the cameras it tells of.
    pub cameras: Vec<usize>,
}

/// Everything the public page shows.
pub struct PublicView {
    pub ward: String,
    pub operator: String,
    pub contact: String,
    pub retention_days: i64,
    pub cameras: Vec<PublicCamera>,
    pub signs: Vec<PublicSign>,
    pub checkpoint: Option<CheckpointRow>,
    /// The ledger's origin line: the name of the ward's signing key.
    pub origin: String,
}

fn public_cameras(cameras: &[RegisterCamera], signs: &[PublicSign]) -> Vec<PublicCamera> {
    cameras
        .iter()
        .filter(|c| matches!(c.state, Lifecycle::Installed | Lifecycle::InOperation))
        .enumerate()
        .map(|(i, c)| PublicCamera {
            number: i + 1,
            id: c.id.to_string(),
            name: c.details.name.clone(),
            address: c.address.clone(),
            lat: c.position.lat(),
            lon: c.position.lon(),
            bearing_deg: c.details.view.bearing_deg,
            fov_deg: c.details.view.fov_deg,
            range_m: c.details.view.range_m,
            compass_ja: c.details.view.compass_ja(),
            compass_en: c.details.view.compass_en(),
            state: c.state,
            installed: c
                .installed_on
                .map(|d| format!("{:04}-{:02}", d.year(), d.month()))
                .unwrap_or_default(),
            signs: signs
                .iter()
                .filter(|s| s.cameras.contains(&(i + 1)))
                .map(|s| s.label.clone())
                .collect(),
        })
        .collect()
}

fn public_signs(cameras: &[RegisterCamera], signs: &[RegisterSign]) -> Vec<PublicSign> {
    let shown: Vec<&RegisterCamera> = cameras
        .iter()
        .filter(|c| matches!(c.state, Lifecycle::Installed | Lifecycle::InOperation))
        .collect();
    signs
        .iter()
        .filter(|s| s.is_standing())
        .enumerate()
        .map(|(i, s)| PublicSign {
            label: format!("S{}", i + 1),
            lat: s.position.lat(),
            lon: s.position.lon(),
            text: s.text.clone(),
            cameras: s
                .cameras
                .iter()
                .filter_map(|id| shown.iter().position(|c| &c.id == id).map(|n| n + 1))
                .collect(),
        })
        .collect()
}

/// N3.1b, T2.1, T2.2: the public page's facts.
pub async fn public_view(office: &OfficeState) -> Result<PublicView, ApiError> {
    let cameras = office.db.register_cameras().await?;
    let signs = public_signs(&cameras, &office.db.signs().await?);
    Ok(PublicView {
        ward: office.policy.ward.name.clone(),
        operator: office.policy.ward.operator.clone(),
        contact: office.policy.ward.contact.clone(),
        retention_days: i64::from(office.policy.retention.days.get()),
        cameras: public_cameras(&cameras, &signs),
        signs,
        checkpoint: office.db.latest_checkpoint().await?,
        origin: office.policy.ledger.origin.clone(),
    })
}

/// The open-data camera list's columns: the 自治体標準オープンデータセット common head, then
/// the camera's own facts (issue 14).
pub const CSV_HEAD: [&str; 17] = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英語",
    "所在地",
    "緯度",
    "経度",
    "設置者",
    "撮影方向",
    "水平画角",
    "撮影範囲（m）",
    "保存期間（日）",
    "設置年月",
    "看板",
    "問合せ窓口",
];

/// A CSV cell: quoted, quotes doubled, and a leading `=`, `+`, `-`, `@` or tab/CR made inert
/// with an apostrophe so that no spreadsheet runs it as a formula.
fn cell(text: &str) -> String {
    let inert = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", inert.replace('"', "\"\""))
}

/// The camera list as CSV: UTF-8 with a BOM, CRLF, the standard head (CC BY 4.0).
pub async fn cameras_csv(office: &OfficeState) -> Result<String, ApiError> {
    let view = public_view(office).await?;
    let code = office.policy.ward.code.clone().unwrap_or_default();
    let mut out = String::from("\u{feff}");
    let head: Vec<String> = CSV_HEAD.iter().map(|h| cell(h)).collect();
    out.push_str(&head.join(","));
    out.push_str("\r\n");
    for c in &view.cameras {
        let row = [
            code.clone(),
            c.id.clone(),
            view.ward.clone(),
            c.name.clone(),
            String::new(),
            String::new(),
            c.address.clone(),
            format!("{:.6}", c.lat),
            format!("{:.6}", c.lon),
            view.operator.clone(),
            c.bearing_deg.to_string(),
            c.fov_deg.to_string(),
            c.range_m.to_string(),
            view.retention_days.to_string(),
            c.installed.clone(),
            c.signs.join(" "),
            view.contact.clone(),
        ];
        let cells: Vec<String> = row.iter().map(|r| cell(r)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// The cameras (with their view) and the standing signs as a GeoJSON FeatureCollection
/// (RFC 7946: [longitude, latitude]), CC BY 4.0.
pub async fn cameras_geojson(office: &OfficeState) -> Result<Value, ApiError> {
    let view = public_view(office).await?;
    let mut features: Vec<Value> = view
        .cameras
        .iter()
        .map(|c| {
            json!({
                "type": "Feature",
                "id": c.id,
                "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                "properties": {
                    "kind": "camera",
                    "number": c.number,
                    "name": c.name,
                    "address": c.address,
                    "bearing_deg": c.bearing_deg,
                    "fov_deg": c.fov_deg,
                    "range_m": c.range_m,
                    "state": c.state.as_str(),
                    "installed": c.installed,
                    "signs": c.signs,
                }
            })
        })
        .collect();
    features.extend(view.signs.iter().map(|s| {
        json!({
            "type": "Feature",
            "id": s.label,
            "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
            "properties": {"kind": "sign", "text": s.text, "cameras": s.cameras},
        })
    }));
    Ok(json!({
        "type": "FeatureCollection",
        "name": format!("{} 防犯カメラ", view.ward),
        "license": "CC BY 4.0",
        "operator": view.operator,
        "retention_days": view.retention_days,
        "features": features,
    }))
}

/// The public PDF of the layout map, kept while the facts it was made of are unchanged: a
/// visitor cannot make the server typeset it again and again (it takes a good part of a
/// second of CPU).
#[derive(Default)]
pub struct MapPdfCache(std::sync::Mutex<Option<(String, std::sync::Arc<Vec<u8>>)>>);

/// T-map (別添 配置図): `svg` (the map the page shows, drawn in Japanese) on landscape A4 with
/// the camera and sign tables, in Japanese.
pub async fn layout_map_pdf(
    office: &OfficeState,
    view: &PublicView,
    svg: String,
) -> Result<std::sync::Arc<Vec<u8>>, ApiError> {
    use sha2::{Digest, Sha256};
    let rows: Vec<Vec<String>> = view
        .cameras
        .iter()
        .map(|c| {
            vec![
                c.number.to_string(),
                c.name.clone(),
                c.address.clone(),
                format!("{}（{}°）", c.compass_ja, c.bearing_deg),
                format!("{}°", c.fov_deg),
                format!("{} m", c.range_m),
                c.state.ja().to_owned(),
                c.installed.clone(),
                c.signs.join(" "),
            ]
        })
        .collect();
    let sign_rows: Vec<Vec<String>> = view
        .signs
        .iter()
        .map(|s| {
            let cameras: Vec<String> = s.cameras.iter().map(ToString::to_string).collect();
            vec![
                s.label.clone(),
                s.text.clone(),
                cameras.join(" "),
                format!("{:.6}, {:.6}", s.lat, s.lon),
            ]
        })
        .collect();
    // The map names the embedded Gothic, so its labels are set in the PDF's own font.
    let svg = svg.replace("font-family=\"sans-serif\"", "font-family=\"BIZ UDGothic\"");
    let key = hex::encode(Sha256::digest(
        serde_json::to_vec(&(&svg, &rows, &sign_rows)).map_err(ApiError::internal)?,
    ));
    if let Some((k, pdf)) = office
        .map_pdf
        .0
        .lock()
        .map_err(ApiError::internal)?
        .as_ref()
    {
        if *k == key {
            return Ok(pdf.clone());
        }
    }
    let now = office.clock.now();
    let document = mimamori_forms::Document::LayoutMap(mimamori_forms::LayoutMap {
        ward: view.ward.clone(),
        title: format!("{} 防犯カメラ配置図", view.ward),
        printed: mimamori_forms::reiwa_date_time(now),
        map_svg: svg,
        columns: [
            "番号",
            "名称",
            "所在地",
            "撮影方向",
            "水平画角",
            "撮影範囲",
            "状態",
            "設置年月",
            "看板",
        ]
        .map(String::from)
        .to_vec(),
        widths: vec![0.5, 2.0, 2.4, 1.1, 0.8, 0.8, 0.8, 0.9, 0.8],
        rows,
        sign_columns: ["看板", "表示内容", "表示するカメラ", "位置（緯度, 経度）"]
            .map(String::from)
            .to_vec(),
        sign_rows,
    });
    let bytes = tokio::task::spawn_blocking(move || mimamori_forms::render(&document, now))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let pdf = std::sync::Arc::new(bytes);
    *office.map_pdf.0.lock().map_err(ApiError::internal)? = Some((key, pdf.clone()));
    Ok(pdf)
}
