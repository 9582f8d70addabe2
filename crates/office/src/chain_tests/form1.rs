//! Form 1 is a view of the log (N9.3); corrections are new events.

use super::*;

#[tokio::test]
async fn n9_3_form1_is_a_view_of_the_log_and_corrections_are_new_events() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let lead = w.sign_in("lead").await;
    let auditor = w.sign_in("auditor").await;
    w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    w.instruct(&lead, id, "sato", "pc-1").await;
    let (status, rows) = w
        .call(Method::GET, "/api/v1/form1", Some(&auditor), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let row = &rows[0];
    assert_eq!(row["serial"], id);
    assert_eq!(row["ordered_by"], "mayor");
    assert_eq!(row["instructed_by"], "lead");
    assert_eq!(
        (row["camera"].as_str(), row["site"].as_str()),
        (Some("cam1"), Some("1丁目"))
    );
    assert_eq!(row["ledger_leaves"].as_array().unwrap().len(), 2);
    let order_leaf = row["ledger_leaves"][0].clone();

    let uri = format!("/api/v1/form1/{id}/corrections");
    let fix =
        json!({ "field": "purpose", "value": "ひったくり事件（駅前）の確認", "reason": "誤記" });
    // Issue 11, #16: the Operations lead may not rewrite the Manager's purpose; the Manager,
    // who recorded it, may correct it.
    let (status, body) = w
        .call(Method::POST, &uri, Some(&lead), Some(fix.clone()))
        .await;
    assert_refused(status, &body, "not_your_record", "N9.3");
    let (status, body) = w
        .call(Method::POST, &uri, Some(&auditor), Some(fix.clone()))
        .await;
    assert_refused(status, &body, "role_not_permitted", "N9.3");
    let (status, row) = w.call(Method::POST, &uri, Some(&mayor), Some(fix)).await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    assert_eq!(row["purpose"], "ひったくり事件（駅前）の確認");
    assert_eq!(row["corrections"][0]["corrects_leaf"], order_leaf);
    assert_eq!(row["corrections"][0]["by"], "mayor");
    // The original order event is untouched in the log.
    let order = w
        .office
        .db
        .events(Some(mimamori_db::EventKind::OrderIssued))
        .await
        .unwrap();
    assert!(order[0].detail.contains("ひったくり事件の確認"));
    let bad = json!({ "field": "camera", "value": "cam2", "reason": "x" });
    let (status, body) = w.call(Method::POST, &uri, Some(&mayor), Some(bad)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
}
