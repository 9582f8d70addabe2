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

/// T5.3 (issue 11, #2): footage a hold keeps past retention is retrieved through the same chain;
/// the refusal stands for footage no hold keeps, and for the part of a range a hold misses.
#[tokio::test]
async fn t5_3_held_footage_older_than_retention_is_instructed_through_the_chain() {
    let w = World::new().await;
    let (mayor, lead) = (w.sign_in("mayor").await, w.sign_in("lead").await);
    w.terminal(&lead, "pc-1").await;
    let now = w.now();
    let old =
        |days: i64, hours: i64| (now - SignedDuration::from_hours(24 * days + hours)).to_string();
    // Retention is 10 days: 12 days ago is erased unless held.
    let instruct = |id: i64, from: String, to: String| {
        let w = &w;
        let lead = lead.clone();
        async move {
            w.call(
                Method::POST,
                &format!("/api/v1/requests/{id}/instruction"),
                Some(&lead),
                Some(
                    json!({ "camera": "cam1", "from": from, "to": to, "handler": "sato",
                             "terminal": "pc-1" }),
                ),
            )
            .await
        }
    };
    let id = w.order(&mayor).await;
    let (status, body) = instruct(id, old(12, 2), old(12, 1)).await;
    assert_refused(status, &body, "invalid_input", "N6.1");
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/holds",
            Some(&mayor),
            Some(
                json!({ "camera": "cam1", "from": old(12, 3), "to": old(12, 1),
                         "until": (now + SignedDuration::from_hours(24 * 30)).to_string(),
                         "reason": "公判のため保存期間を延長" }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Partly outside the hold: still refused.
    let (status, body) = instruct(id, old(12, 4), old(12, 2)).await;
    assert_refused(status, &body, "invalid_input", "N6.1");
    // Inside the hold: instructed, and retrieved like any other footage.
    let (status, body) = instruct(id, old(12, 2), old(12, 1)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "instructed");
}
