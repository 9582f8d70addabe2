//! Attacks on the way out (issue 11), each named after what it tries. Each one passed before
//! its fix; each must now be refused, with the rule that refuses it.

use super::*;

/// The handler's grant for an instructed request: the ward-signed note.
async fn grant(w: &World, handler: &str, id: i64) -> String {
    let (status, body) = w
        .call(
            Method::POST,
            &format!("/api/v1/requests/{id}/grants"),
            Some(handler),
            Some(json!({ "terminal": "pc-1" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["grant"].as_str().unwrap().to_owned()
}

async fn retrieve(w: &World, handler: &str, key: &TerminalKey, grant: &str) -> (StatusCode, Value) {
    let body = json!({ "grant": grant, "signature": key.sign_grant(grant) });
    w.call(
        Method::POST,
        "/api/v1/retrievals",
        Some(handler),
        Some(body),
    )
    .await
}

/// #12: two grants for one request were both used, and two exports left for one instruction.
/// A newer grant now supersedes the older one, which no longer opens anything.
#[tokio::test]
async fn attack_a_second_grant_for_one_request_makes_the_first_useless() {
    let w = World::new().await;
    let (mayor, lead, sato) = (
        w.sign_in("mayor").await,
        w.sign_in("lead").await,
        w.sign_in("sato").await,
    );
    let key = w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    w.instruct(&lead, id, "sato", "pc-1").await;
    let first = grant(&w, &sato, id).await;
    let second = grant(&w, &sato, id).await;
    let refused = w.refused_events().await;
    let (status, body) = retrieve(&w, &sato, &key, &first).await;
    assert_refused(status, &body, "grant_superseded", "N9.4");
    assert_eq!(
        w.refused_events().await,
        refused + 1,
        "the attempt is on record"
    );
    // The newest grant works (here it finds no footage: this test records none).
    let (status, body) = retrieve(&w, &sato, &key, &second).await;
    assert_eq!(body["error"]["code"], "no_footage", "{status} {body}");
}

/// #12: a retrieval that made no package marks its grant failed, so the request is not lost:
/// a new grant may retrieve it. Only a retrieval that let footage out closes the request to
/// other grants (`mimamori_db` tests the race of two grants in one transaction).
#[tokio::test]
async fn a_failed_retrieval_leaves_the_request_retrievable_with_a_new_grant() {
    let w = World::new().await;
    let (mayor, lead, sato) = (
        w.sign_in("mayor").await,
        w.sign_in("lead").await,
        w.sign_in("sato").await,
    );
    let key = w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    w.instruct(&lead, id, "sato", "pc-1").await;
    let first = grant(&w, &sato, id).await;
    let (_, body) = retrieve(&w, &sato, &key, &first).await;
    assert_eq!(body["error"]["code"], "no_footage", "{body}");
    let again = grant(&w, &sato, id).await;
    let (_, body) = retrieve(&w, &sato, &key, &again).await;
    assert_eq!(body["error"]["code"], "no_footage", "not refused: {body}");
}

/// #13: a grant signed with a key the ward has since retired (rotated, perhaps because it
/// leaked) still opened. Only the current key opens a grant now.
#[tokio::test]
async fn attack_a_grant_signed_by_a_retired_ward_key_opens_nothing() {
    let w = World::new().await;
    let (mayor, lead, sato) = (
        w.sign_in("mayor").await,
        w.sign_in("lead").await,
        w.sign_in("sato").await,
    );
    let key = w.terminal(&lead, "pc-1").await;
    let id = w.order(&mayor).await;
    w.instruct(&lead, id, "sato", "pc-1").await;
    let old = grant(&w, &sato, id).await;
    w.office.notary.rotate_key("system:test").await.unwrap();
    let (status, body) = retrieve(&w, &sato, &key, &old).await;
    assert_refused(status, &body, "grant_invalid", "N9.4");
    let fresh = grant(&w, &sato, id).await;
    let (_, body) = retrieve(&w, &sato, &key, &fresh).await;
    assert_eq!(
        body["error"]["code"], "no_footage",
        "the new key's grant opens: {body}"
    );
}
