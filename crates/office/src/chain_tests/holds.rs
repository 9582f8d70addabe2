//! T5.3: holds are the Manager's, with a recorded reason.

use super::*;

#[tokio::test]
async fn t5_3_the_manager_holds_footage_for_a_recorded_reason() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let sato = w.sign_in("sato").await;
    let now = w.now();
    let hold = |reason: &str| {
        json!({ "camera": "cam1", "from": (now - SignedDuration::from_hours(2)).to_string(),
                "to": (now - SignedDuration::from_hours(1)).to_string(),
                "until": (now + SignedDuration::from_hours(24 * 30)).to_string(), "reason": reason })
    };
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/holds",
            Some(&sato),
            Some(hold("捜査のため")),
        )
        .await;
    assert_refused(status, &body, "role_not_permitted", "T5.3");
    let (status, body) = w
        .call(Method::POST, "/api/v1/holds", Some(&mayor), Some(hold(" ")))
        .await;
    assert_refused(status, &body, "invalid_input", "T5.3");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/holds",
            Some(&mayor),
            Some(hold("公判のため保存期間を延長")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, holds) = w
        .call(Method::GET, "/api/v1/holds", Some(&mayor), None)
        .await;
    assert_eq!(holds[0]["held_by"], "mayor");
    let events = w
        .office
        .db
        .events(Some(mimamori_db::EventKind::HoldAdded))
        .await
        .unwrap();
    assert_eq!((events.len(), events[0].rule.as_deref()), (1, Some("T5.3")));
}
