//! The cameras page (issue 13): each camera's recording state, today's recorded time, bytes,
//! and a day timeline: what was recorded (green), the gaps (red, with their cause), time not
//! recorded for no recorded reason (grey, e.g. before the camera existed), and what is still
//! to come (N5). The status is public (the health API answers it without sign-in). No image, no
//! thumbnail (N6.3): only the recorder's own status, the same the health API gives.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::pages::{self, jst, Person};
use super::session::WebCaller;
use super::Tr;
use crate::error::ApiError;
use crate::Shared;

/// The timeline's width in SVG units: one unit is three minutes.
const WIDTH: i64 = 480;
const DAY_US: i64 = 86_400_000_000;

/// A stretch of the day on the timeline.
pub struct Bar {
    pub x: i64,
    pub width: i64,
    pub title: String,
}

pub struct CameraLine {
    pub id: String,
    pub name: String,
    pub site: String,
    pub state_key: String,
    pub last_sample: String,
    pub recorded: String,
    pub gigabytes: String,
    /// Recorded stretches: indexed segments, merged, and the segment being written.
    pub recorded_bars: Vec<Bar>,
    pub gaps: Vec<Bar>,
    /// The part of the day still to come.
    pub future: Bar,
}

#[derive(Template, WebTemplate)]
#[template(path = "cameras.html")]
pub struct CamerasPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub width: i64,
    pub cameras: Vec<CameraLine>,
}

fn x_of(us: i64, midnight_us: i64) -> i64 {
    ((us - midnight_us).clamp(0, DAY_US) * WIDTH) / DAY_US
}

fn hms(seconds: i64) -> String {
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

pub async fn page(State(office): State<Shared>, web: WebCaller) -> Response {
    let tr = Tr::new(web.lang);
    let now = office.clock.now();
    let status = match mimamori_recorder::status::status(&office.db, &office.policy, now).await {
        Ok(s) => s,
        Err(e) => return pages::error_page(tr, &ApiError::internal(e)),
    };
    let tz = office.policy.ward.time_zone.clone();
    let midnight = now
        .to_zoned(tz)
        .start_of_day()
        .map_or(now, |z| z.timestamp());
    let m = midnight.as_microsecond();
    let now_x = x_of(now.as_microsecond(), m);
    let states = match office.db.camera_states().await {
        Ok(s) => s,
        Err(e) => return pages::error_page(tr, &ApiError::internal(e)),
    };
    let mut cameras = Vec::new();
    for c in status.cameras {
        let id = mimamori_policy::CameraId::new(&c.id).map_err(ApiError::internal);
        let mut spans = match id {
            Ok(id) => office
                .db
                .segment_spans(&id, midnight, now)
                .await
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        // The segment being written counts as recorded up to its last sample.
        if let Some(s) = states.iter().find(|s| s.camera_id.as_str() == c.id) {
            if let (Some(since), Some(last)) = (s.open_since_us, s.last_sample_us) {
                spans.push((since, last.max(since)));
            }
        }
        let recorded_bars = merge(spans, 2_000_000)
            .into_iter()
            .map(|(a, b)| {
                let (x, x_end) = (x_of(a, m), x_of(b, m));
                Bar {
                    x,
                    width: (x_end - x).max(1),
                    title: format!("{} 〜 {}", jst(from_us(a)), jst(from_us(b))),
                }
            })
            .collect();
        let gaps = c
            .gaps_today
            .iter()
            .map(|g| {
                let end = g.end_us.unwrap_or(now.as_microsecond());
                let (x, x_end) = (x_of(g.start_us, m), x_of(end, m));
                let until = g.end_us.map(|e| jst(from_us(e))).unwrap_or_default();
                Bar {
                    x,
                    width: (x_end - x).max(1),
                    title: format!("{} 〜 {until}: {}", jst(from_us(g.start_us)), g.cause),
                }
            })
            .collect();
        cameras.push(CameraLine {
            state_key: format!("cam-state-{}", c.state),
            last_sample: c.last_sample.map(jst).unwrap_or_default(),
            recorded: hms(c.recorded_seconds_today),
            gigabytes: format!("{:.2}", c.bytes_on_disk as f64 / 1e9),
            recorded_bars,
            gaps,
            future: Bar {
                x: now_x,
                width: WIDTH - now_x,
                title: String::new(),
            },
            id: c.id,
            name: c.name,
            site: c.site,
        });
    }
    CamerasPage {
        tr,
        me: Some(Person::of(&web.caller)),
        here: "/cameras",
        width: WIDTH,
        cameras,
    }
    .into_response()
}

/// Spans sorted by start, joined where one starts within `slack_us` of the last one's end.
fn merge(mut spans: Vec<(i64, i64)>, slack_us: i64) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 + slack_us => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn from_us(us: i64) -> Timestamp {
    mimamori_db::from_us(us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_spans_join_across_small_seams() {
        let spans = vec![(10, 20), (0, 9), (21, 30), (40, 50)];
        assert_eq!(merge(spans, 1), vec![(0, 30), (40, 50)]);
        assert_eq!(merge(vec![], 1), vec![]);
    }

    #[test]
    fn the_day_maps_onto_the_bar() {
        assert_eq!(x_of(0, 0), 0);
        assert_eq!(x_of(DAY_US / 2, 0), WIDTH / 2);
        assert_eq!(x_of(DAY_US * 2, 0), WIDTH, "clamped");
        assert_eq!(x_of(-5, 0), 0, "clamped");
        assert_eq!(hms(3725), "1:02:05");
    }
}
