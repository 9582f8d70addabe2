//! Routes answer as documented; nothing streams footage.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use mimamori_db::Db;
use mimamori_policy::Policy;
use mimamori_recorder::{Kek, RecorderContext, Store, SystemClock};
use tower::ServiceExt;

const POLICY: &str = r#"
[ward]
name = "テスト区"
operator = "テスト区役所"
[retention]
days = 10
[[camera]]
id = "cam1"
name = "駅前"
site = "1丁目"
url = "rtsp://127.0.0.1:1/cam1"
"#;

async fn context(dir: &Path) -> Arc<RecorderContext> {
    let policy = Arc::new(Policy::parse(POLICY, Path::new("policy.toml")).unwrap());
    let db = Db::open(&dir.join("m.db")).await.unwrap();
    let kek = Arc::new(Kek::from_bytes(&[1; 32]));
    Arc::new(RecorderContext::new(
        policy,
        db,
        Store::new(dir.join("segments")),
        kek,
        Arc::new(SystemClock),
    ))
}

async fn get(ctx: Arc<RecorderContext>, uri: &str) -> (StatusCode, String) {
    let response = super::router(ctx)
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn health_lists_every_policy_camera() {
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = get(context(dir.path()).await, "/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["cameras"][0]["id"], "cam1");
    assert_eq!(json["cameras"][0]["state"], "unknown");
    assert_eq!(json["retention_days"], 10);
    assert!(json["local_time"].as_str().unwrap().ends_with("JST"));
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let dir = tempfile::tempdir().unwrap();
    let (status, body) = get(context(dir.path()).await, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("mimamori_frames_received_total{camera=\"cam1\"} 0"),
        "{body}"
    );
    assert!(
        body.contains("# TYPE mimamori_stored_bytes gauge"),
        "{body}"
    );
}

#[tokio::test]
async fn n6_3_no_live_view_or_footage_route_exists() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(dir.path()).await;
    for uri in [
        "/api/v1/live",
        "/api/v1/cameras/cam1/live",
        "/api/v1/cameras/cam1/stream",
        "/api/v1/cameras/cam1/view.mp4",
        "/api/v1/export",
        "/api/v1/segments",
    ] {
        let (status, _) = get(ctx.clone(), uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
}
