//! The chain's later steps on screen (issue 13), over real footage: an outside body's request
//! registered at the counter, accepted by the Manager, instructed, retrieved (through the API,
//! as the terminal's app does), reported and handed over, each as a form. Holds and delegations
//! as forms and lists. Refusals show the rule, by the field, with what was typed kept.

use super::real_footage::filmed_at;
use super::screens::{form_time, location, page, sign_in_form};
use super::*;

/// Posts `form` to `uri` as `cookie`: the status and the page (or the redirect's target).
async fn post(w: &World, cookie: &str, uri: &str, form: &str) -> (StatusCode, String) {
    let (status, headers, body) = page(w, Method::POST, uri, Some(cookie), Some(form), &[]).await;
    if status == StatusCode::SEE_OTHER {
        return (status, location(&headers).to_owned());
    }
    (status, body)
}

async fn get(w: &World, cookie: &str, uri: &str) -> String {
    let (status, _, body) = page(w, Method::GET, uri, Some(cookie), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

/// A PDF's text as poppler's `pdftotext` reads it (the test command installs it), without
/// spaces or line breaks.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("form.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect()
}

/// A PDF from the API, with its ETag; checks it is one.
async fn pdf(w: &World, token: &str, uri: &str) -> (Vec<u8>, String) {
    let (status, bytes) = w.bytes(Method::GET, uri, Some(token), None, &[]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(bytes.starts_with(b"%PDF-"), "{uri}");
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    (bytes.to_vec(), sha)
}

/// The refusal's message stands after the input named `field`.
fn refused_at(body: &str, field: &str) {
    let input = body
        .find(&format!("name=\"{field}\""))
        .unwrap_or_else(|| panic!("no {field}: {body}"));
    let message = body.find("class=\"field-error\"").expect("a field error");
    assert!(message > input, "the message is by {field}");
    let next_field = body[input + 1..].find(" name=\"").map(|n| n + input + 1);
    assert!(
        next_field.is_none_or(|n| message < n),
        "…and before the next field"
    );
}

#[tokio::test]
async fn n10_1_t6_2_a_provision_from_the_counter_to_the_hand_over_on_screen() {
    let at: Timestamp = "2026-11-24T10:00:00+09:00".parse().unwrap();
    let f = filmed_at(at).await;
    let w = &f.w;
    let lead_api = w.sign_in("lead").await;
    let key = w.terminal(&lead_api, "pc-1").await;
    let sato = sign_in_form(w, "sato").await;

    // The counter: the document's kind not chosen is refused by that field (N10.1), and what
    // was typed stays.
    let typed = "body=西淀川警察署&applicant=刑事課長 山田&purpose=窃盗事件の捜査\
        &reason=被疑者の足取り確認&basis.kind=t6_1_b&basis.document=照会書 第45号\
        &identity_check.document_type=警察手帳&identity_check.document_number=A-1234\
        &identity_check.checked_by=sato";
    let (status, body) = post(w, &sato, "/provisions/new", typed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("N10.1"), "{body}");
    assert!(body.contains(r#"value="刑事課長 山田""#), "kept: {body}");
    refused_at(&body, "document.type");
    let form =
        format!("{typed}&document.type=inquiry&document.number=第45号&document.dated=2026-11-20");
    let (status, request) = post(w, &sato, "/provisions/new", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{request}");
    assert!(request.starts_with("/requests/"), "{request}");
    let id: i64 = request.trim_start_matches("/requests/").parse().unwrap();
    let body = get(w, &sato, &request).await;
    assert!(body.contains("捜査関係事項照会書 第45号"), "{body}");
    assert!(!body.contains("/accept"), "sato does not decide: {body}");

    // Only the Manager accepts (N10.1): sato's post is refused with the rule.
    let accept = format!("{request}/accept");
    let (status, body) = post(w, &sato, &accept, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("N10.1"), "{body}");
    let mayor = sign_in_form(w, "mayor").await;
    assert!(get(w, &mayor, &request).await.contains(&accept));
    get(w, &mayor, &accept).await;
    assert_eq!(
        post(w, &mayor, &accept, "").await,
        (StatusCode::SEE_OTHER, request.clone())
    );

    // The Operations lead instructs sato over the filmed range, in Japan time (to the minute,
    // so a minute later than the footage).
    let lead = sign_in_form(w, "lead").await;
    let (from, _) = f.range();
    let from: Timestamp = from.parse().unwrap();
    f.clock.advance(SignedDuration::from_mins(1));
    let form = format!(
        "cameras.0.camera=cam1&cameras.0.from={}&cameras.0.to={}&handler=sato&terminal=pc-1",
        form_time(from),
        form_time(w.now())
    );
    let instruct = format!("{request}/instruct");
    let (status, body) = post(w, &lead, &instruct, &form).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::SEE_OTHER, request.as_str())
    );

    // The retrieval is at the terminal: the page says so, and offers no form for it.
    let body = get(w, &sato, &request).await;
    assert!(body.contains("専用端末の取り出しソフト"), "{body}");
    let sato_api = w.sign_in("sato").await;
    f.retrieve(&sato_api, id, &key).await;

    // The report: no copies is refused by the field; then it is recorded (N9.3).
    let body = get(w, &sato, &request).await;
    let report = format!("{request}/report");
    assert!(body.contains(&report), "{body}");
    let (status, body) = post(w, &sato, &report, "media=DVD-R&copies=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    refused_at(&body, "copies");
    assert!(body.contains(r#"value="DVD-R""#), "kept: {body}");
    let form = "media=DVD-R&copies=1&remarks=封筒に入れて施錠保管";
    assert_eq!(
        post(w, &sato, &report, form).await,
        (StatusCode::SEE_OTHER, request.clone())
    );

    // N9.3: a Form 1 entry is corrected by a new record, by who recorded it; the value is
    // checked as the field holds it (copies a number).
    let correct = format!("/form1/{id}/correct");
    let (status, body) = post(
        w,
        &sato,
        &correct,
        "field=copies&value=none&reason=数え違い",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    refused_at(&body, "value");
    let form = "field=remarks&value=金庫に施錠保管&reason=保管場所の記載誤り";
    assert_eq!(
        post(w, &sato, &correct, form).await,
        (StatusCode::SEE_OTHER, "/form1".to_owned())
    );
    let body = get(w, &sato, "/form1").await;
    assert!(body.contains("金庫に施錠保管"), "{body}");
    assert!(body.contains(&format!("href=\"{correct}\"")), "{body}");

    // The hand-over: the purpose comes from the request; the identity check is required
    // (T6.2) by its field; then the request is closed with the record.
    let hand_over = format!("{request}/hand_over");
    let body = get(w, &sato, &hand_over).await;
    assert!(body.contains(r#"value="窃盗事件の捜査""#), "{body}");
    let typed = "recipient=西淀川警察署 刑事課 山田&purpose=窃盗事件の捜査&content=DVD-R 1枚\
        &identity_check.document_type=警察手帳&identity_check.checked_by=sato";
    let (status, body) = post(w, &sato, &hand_over, typed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("T6.2"), "{body}");
    refused_at(&body, "identity_check.document_number");
    let form = format!("{typed}&identity_check.document_number=A-1234");
    assert_eq!(
        post(w, &sato, &hand_over, &form).await,
        (StatusCode::SEE_OTHER, request.clone())
    );
    let body = get(w, &mayor, &request).await;
    assert!(body.contains("提供済み"), "{body}");
    assert!(body.contains("西淀川警察署 刑事課 山田"), "{body}");
    assert!(body.contains("DVD-R × 1"), "{body}");
    assert!(!body.contains("class=\"steps\""), "nothing waits: {body}");

    // The list of requests shows it, closed.
    let body = get(w, &mayor, "/requests").await;
    assert!(body.contains(&format!("href=\"{request}\"")), "{body}");
    assert!(body.contains("提供済み"), "{body}");

    // 様式第2号, prefilled for the police to sign, linked from the request's page; the same
    // record prints the same bytes, and each print is on the ledger with its hash.
    assert!(get(w, &mayor, &request)
        .await
        .contains(&format!("{request}/form2.pdf")));
    let (status, headers, _) = page(
        w,
        Method::GET,
        &format!("{request}/form2.pdf"),
        Some(&mayor),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    let mayor_api = w.sign_in("mayor").await;
    let (form2, sha) = pdf(w, &mayor_api, &format!("/api/v1/requests/{id}/form2")).await;
    let text = pdf_text(&form2);
    for field in [
        "様式第2号",
        "西淀川警察署",
        "刑事課長山田",
        "窃盗事件の捜査",
        "cam1",
        "受付番号",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let (again, _) = pdf(w, &mayor_api, &format!("/api/v1/requests/{id}/form2")).await;
    assert_eq!(form2, again, "the same record, the same bytes");
    let issued = w
        .office
        .db
        .events(Some(mimamori_db::EventKind::DocumentIssued))
        .await
        .unwrap();
    assert!(issued.len() >= 3, "every print is recorded");
    assert!(
        issued.iter().any(|e| e.detail.contains(&sha)),
        "with its hash"
    );

    // 様式第1号 has the row; this request has no Form 3.
    let (form1, _) = pdf(w, &mayor_api, "/api/v1/form1/pdf").await;
    let text = pdf_text(&form1);
    assert!(
        text.contains("様式第1号") && text.contains("窃盗事件の捜査"),
        "{text}"
    );
    assert!(text.contains("DVD-R×1"), "{text}");
    let (status, body) = w
        .call(
            Method::GET,
            &format!("/api/v1/requests/{id}/form3"),
            Some(&mayor_api),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("no_such_form"))
    );
}

#[tokio::test]
async fn t5_3_n10_2_holds_and_delegations_as_forms_and_lists() {
    let w = World::new().await;
    let mayor = sign_in_form(&w, "mayor").await;
    let sato = sign_in_form(&w, "sato").await;

    // A hold: the Manager places it; an image handler sees the list but may not (T5.3).
    let now = w.now();
    let form = format!(
        "camera=cam1&from={}&to={}&until={}&reason=訴訟のため保全",
        form_time(now - SignedDuration::from_hours(2)),
        form_time(now - SignedDuration::from_hours(1)),
        form_time(now + SignedDuration::from_hours(24 * 60)),
    );
    let (status, body) = post(&w, &sato, "/holds/new", &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("T5.3"), "{body}");
    assert!(body.contains("訴訟のため保全"), "kept: {body}");
    assert_eq!(
        post(&w, &mayor, "/holds/new", &form).await,
        (StatusCode::SEE_OTHER, "/holds".to_owned())
    );
    let body = get(&w, &sato, "/holds").await;
    assert!(body.contains("訴訟のため保全"), "{body}");
    assert!(!body.contains("href=\"/holds/new\""), "not sato's: {body}");
    assert!(get(&w, &mayor, "/holds")
        .await
        .contains("href=\"/holds/new\""));

    // A delegation names its cameras (a multiple choice), or is refused by that field.
    let typed = format!(
        "body=西淀川警察署&document_ref=西淀署発第7号&scope=緊急時の取り出し&from={}&until={}",
        form_time(now),
        form_time(now + SignedDuration::from_hours(24 * 30)),
    );
    let (status, body) = post(&w, &mayor, "/delegations/new", &typed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("N10.2"), "{body}");
    refused_at(&body, "cameras");
    let form = format!("{typed}&cameras=cam1");
    assert_eq!(
        post(&w, &mayor, "/delegations/new", &form).await,
        (StatusCode::SEE_OTHER, "/delegations".to_owned())
    );
    let body = get(&w, &mayor, "/delegations").await;
    assert!(body.contains("<td>cam1</td>"), "{body}");
    // Its written confirmation, to sign and send (N10.2).
    assert!(body.contains("/confirmation.pdf"), "{body}");
    let mayor_api = w.sign_in("mayor").await;
    let (note, _) = pdf(&w, &mayor_api, "/api/v1/delegations/1/confirmation").await;
    let text = pdf_text(&note);
    assert!(
        text.contains("西淀署発第7号") && text.contains("cam1"),
        "{text}"
    );
    let at = body.find("/withdraw\"").expect("a withdrawal link");
    let start = body[..at].rfind("href=\"").unwrap() + "href=\"".len();
    let withdraw = format!("{}/withdraw", &body[start..at]);
    let (status, body) = post(&w, &mayor, &withdraw, "reason=").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    refused_at(&body, "reason");
    assert_eq!(
        post(&w, &mayor, &withdraw, "reason=事件が解決したため").await,
        (StatusCode::SEE_OTHER, "/delegations".to_owned())
    );
    let body = get(&w, &mayor, "/delegations").await;
    assert!(body.contains("事件が解決したため"), "{body}");
    assert!(!body.contains("/withdraw\""), "withdrawn once: {body}");
}
