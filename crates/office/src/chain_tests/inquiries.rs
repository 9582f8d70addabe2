//! Inquiries and complaints over HTTP (issue 14; T3.3 c, T8, T6.1 d): the public form and its
//! status page, the staff's steps each by the role the guideline gives it, a request to see
//! one's own footage becoming a provision request, the overdue alert, the abuse the public form
//! must withstand, and the ledger keeping hashes, never the texts.

use std::net::IpAddr;

use super::screens::{page, sign_in_form};
use super::screens_account::encoded;
use super::*;
use crate::throttle::Peer;

const SCRIPT: &str = "カメラの向きが家の窓です<script>alert('x')</script>";

/// `body` posted to `uri` as if from `ip` (the server puts the peer on each request).
async fn from(w: &World, ip: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let ip: IpAddr = ip.parse().unwrap();
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .extension(Peer(ip))
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = crate::router(w.office.clone()).oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A message from the public form; returns (receipt, secret).
async fn send(w: &World, category: &str, message: &str) -> (String, String) {
    let body = json!({ "category": category, "message": message, "contact": "" });
    let (status, body) = w
        .call(Method::POST, "/api/v1/inquiries", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let receipt = body["receipt"].as_str().unwrap().to_owned();
    (receipt, body["secret"].as_str().unwrap().to_owned())
}

async fn status_of(w: &World, receipt: &str, secret: &str) -> (StatusCode, Value) {
    let body = json!({ "receipt": receipt, "secret": secret });
    w.call(Method::POST, "/api/v1/inquiries/status", None, Some(body))
        .await
}

async fn step(w: &World, who: &str, receipt: &str, what: &str, body: Value) -> (StatusCode, Value) {
    let uri = format!("/api/v1/inquiries/{receipt}/{what}");
    w.call(Method::POST, &uri, Some(who), Some(body)).await
}

/// T3.3 c, T8: the public sends; the Manager assigns it to the Operations lead, who notes and
/// answers; the person sees the answer (never the note); the Manager closes it. Steps out of
/// role or out of order are refused naming their rule, and recorded.
#[tokio::test]
async fn t8_an_inquiry_from_the_public_form_to_its_closing() {
    let w = World::new().await;
    let (mayor, lead, auditor) = (
        w.sign_in("mayor").await,
        w.sign_in("lead").await,
        w.sign_in("auditor").await,
    );
    let (receipt, secret) = send(&w, "complaint", "夜間に照明がまぶしい").await;
    assert_eq!(receipt, "2026-00001");
    assert_eq!(secret.len(), 19, "{secret}");

    let (status, body) = status_of(&w, &receipt, &secret).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "received");
    let time = |v: &Value| v.as_str().unwrap().parse::<Timestamp>().unwrap();
    assert_eq!(
        time(&body["answer_due"]),
        time(&body["received"]) + SignedDuration::from_hours(24 * 14),
        "14 days (T8)"
    );
    for (r, s) in [
        (receipt.as_str(), "AAAA-AAAA-AAAA-AAAA"),
        ("2026-00002", &secret),
    ] {
        let (status, body) = status_of(&w, r, s).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (StatusCode::NOT_FOUND, &json!("unknown_receipt")),
            "a wrong secret and an unknown number answer alike"
        );
    }

    let (status, body) = w
        .call(Method::GET, "/api/v1/inquiries", Some(&lead), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["message"], "夜間に照明がまぶしい");
    let (status, _) = w
        .call(Method::GET, "/api/v1/inquiries", Some(&auditor), None)
        .await;
    assert_eq!(status, StatusCode::OK, "the Auditor reads them (T3.3)");
    let sato = w.sign_in("sato").await;
    let (status, body) = w
        .call(Method::GET, "/api/v1/inquiries", Some(&sato), None)
        .await;
    assert_refused(status, &body, "role_not_permitted", "T3.3");

    let refused = w.refused_events().await;
    let (status, body) = step(
        &w,
        &lead,
        &receipt,
        "assignment",
        json!({"assignee": "lead"}),
    )
    .await;
    assert_refused(status, &body, "role_not_permitted", "T8");
    let (status, body) = step(
        &w,
        &mayor,
        &receipt,
        "assignment",
        json!({"assignee": "sato"}),
    )
    .await;
    assert_refused(status, &body, "not_an_answerer", "T3.3");
    let (status, body) = step(&w, &mayor, &receipt, "closing", json!({})).await;
    assert_refused(status, &body, "not_answered", "T8");
    let (status, body) = step(&w, &auditor, &receipt, "answers", json!({"text": "x"})).await;
    assert_refused(status, &body, "role_not_permitted", "T3.3");
    assert_eq!(
        w.refused_events().await,
        refused + 4,
        "policy refusals are recorded"
    );

    let (status, body) = step(
        &w,
        &mayor,
        &receipt,
        "assignment",
        json!({"assignee": "lead"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["state"], &body["assignee"]),
        (&json!("assigned"), &json!("lead"))
    );
    let (status, body) = step(
        &w,
        &lead,
        &receipt,
        "notes",
        json!({"text": "現地確認予定"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = step(&w, &lead, &receipt, "answers", json!({"text": " "})).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::BAD_REQUEST, &json!("text"))
    );
    let answer = "照明の向きを調整しました。";
    let (status, body) = step(&w, &lead, &receipt, "answers", json!({ "text": answer })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "answered");
    assert_eq!(body["entries"].as_array().unwrap().len(), 2);

    let (_, public) = status_of(&w, &receipt, &secret.to_lowercase().replace('-', " ")).await;
    assert_eq!(public["state"], "answered");
    assert_eq!(
        public["answers"],
        json!([{ "at": body["first_answered"], "text": answer }])
    );
    assert!(
        !public.to_string().contains("現地確認予定"),
        "notes are staff's"
    );
    assert!(!public.to_string().contains("lead"), "no staff names (N12)");

    let (status, body) = step(&w, &mayor, &receipt, "closing", json!({})).await;
    assert_eq!((status, &body["state"]), (StatusCode::OK, &json!("closed")));
    let (status, body) = step(&w, &lead, &receipt, "notes", json!({"text": "追記"})).await;
    assert_refused(status, &body, "inquiry_closed", "T8");
    assert_eq!(status_of(&w, &receipt, &secret).await.1["state"], "closed");

    // The ledger has every step, by whom and in which role, and the texts only as hashes.
    let kinds: Vec<String> = w
        .office
        .db
        .event_page(1, 100_000)
        .await
        .unwrap()
        .iter()
        .filter_map(|row| {
            let line: Value = serde_json::from_slice(&row.canonical_bytes().unwrap()).unwrap();
            let text = line.to_string();
            assert!(
                !text.contains("まぶしい") && !text.contains(answer),
                "{text}"
            );
            let kind = line["kind"].as_str().unwrap().to_owned();
            kind.starts_with("inquiry_")
                .then(|| format!("{kind} {}", line["actor"]))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "inquiry_received \"system:public\"",
            "inquiry_assigned \"mayor\"",
            "inquiry_noted \"lead\"",
            "inquiry_answered \"lead\"",
            "inquiry_closed \"mayor\"",
        ]
    );
}

/// T6.1 d, T6.2: a request to see footage of oneself is not answered with text: the Operations
/// lead, with the person's identity checked, turns it into a provision request on their consent,
/// which the Manager then decides like any provision. The ordinary provision form cannot claim
/// to rest on a person's own request.
#[tokio::test]
async fn t6_1d_a_request_for_ones_own_footage_becomes_a_provision_request() {
    let w = World::new().await;
    let lead = w.sign_in("lead").await;
    let (receipt, secret) = send(&w, "own_footage", "11月20日 夕方 駅前を通った自分の映像").await;
    let (status, body) = step(&w, &lead, &receipt, "answers", json!({"text": "どうぞ"})).await;
    assert_refused(status, &body, "own_footage_is_a_provision", "T6.1d");

    // Who checked is whoever starts it, whatever the body says (T6.2).
    let identity = json!({ "document_type": "運転免許証", "document_number": "第1234号",
                           "checked_by": "someone-else" });
    let mut no_id = json!({ "applicant": "見守 太郎", "reason": "11月20日 17時頃 駅前",
                            "identity_check": identity.clone() });
    no_id["identity_check"]["document_number"] = json!("");
    let (status, body) = step(&w, &lead, &receipt, "provision", no_id).await;
    assert_refused(status, &body, "invalid_input", "T6.2");
    let input = json!({ "applicant": "見守 太郎", "reason": "11月20日 17時頃 駅前",
                        "identity_check": identity.clone() });
    let (status, body) = step(&w, &lead, &receipt, "provision", input.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "in_provision");
    assert_eq!(
        body["request_state"], "received",
        "waiting for the Manager (N10.1)"
    );
    let request = body["request"].as_i64().unwrap();
    let row = w.request(&lead, request).await;
    assert_eq!(
        (&row["kind"], &row["state"]),
        (&json!("provision"), &json!("received"))
    );
    assert_eq!(row["basis"]["kind"], "t6_1_d");
    assert_eq!(row["basis"]["consent_of"], "見守 太郎");
    assert_eq!(row["provision"]["document"]["receipt"], json!(receipt));
    assert_eq!(row["provision"]["identity_check"]["checked_by"], "lead");
    // The request keeps the person's name and document; the ledger names them by the receipt.
    for event in w.office.db.event_page(1, 100_000).await.unwrap() {
        let line = String::from_utf8(event.canonical_bytes().unwrap()).unwrap();
        assert!(
            !line.contains("見守 太郎") && !line.contains("第1234号"),
            "{line}"
        );
    }

    let (status, body) = step(&w, &lead, &receipt, "provision", input).await;
    assert_refused(status, &body, "provision_started", "T6.1d");
    assert_eq!(
        status_of(&w, &receipt, &secret).await.1["state"],
        "in_provision"
    );
    let (other, _) = send(&w, "inquiry", "設置場所は？").await;
    let body = json!({ "applicant": "a", "reason": "r", "identity_check": identity });
    let (status, body) = step(&w, &lead, &other, "provision", body).await;
    assert_refused(status, &body, "not_own_footage", "T6.1d");

    // The counter's provision form cannot name the public form's request as its document.
    let provision = json!({
        "body": "本人", "applicant": "見守 太郎", "purpose": "確認", "reason": "r",
        "basis": { "kind": "t6_1_d", "consent_of": "見守 太郎" },
        "document": { "type": "own_request", "receipt": receipt },
        "identity_check": { "document_type": "運転免許証", "document_number": "1",
                            "checked_by": "lead" },
    });
    let (status, body) = w
        .call(
            Method::POST,
            "/api/v1/provisions",
            Some(&lead),
            Some(provision),
        )
        .await;
    assert_refused(status, &body, "invalid_input", "T6.1d");
}

/// T8: the Manager ends an inquiry with a last answer whatever it waits for: here a request
/// for one's own footage whose person never came. The Operations lead may not.
#[tokio::test]
async fn t8_the_manager_answers_and_closes_what_will_not_go_further() {
    let w = World::new().await;
    let (mayor, lead) = (w.sign_in("mayor").await, w.sign_in("lead").await);
    let (receipt, secret) = send(&w, "own_footage", "自分の映像を見たい").await;
    let last = json!({ "text": "ご来庁がなかったため、この申出は終了します。" });
    let (status, body) = step(&w, &lead, &receipt, "dismissal", last.clone()).await;
    assert_refused(status, &body, "role_not_permitted", "T8");
    let (status, body) = step(&w, &mayor, &receipt, "dismissal", last).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "closed");
    assert!(body["first_answered"].is_string());
    let (_, public) = status_of(&w, &receipt, &secret).await;
    assert_eq!(public["state"], "closed");
    assert_eq!(
        public["answers"][0]["text"],
        "ご来庁がなかったため、この申出は終了します。"
    );
    let (status, body) = step(&w, &mayor, &receipt, "dismissal", json!({"text": "x"})).await;
    assert_refused(status, &body, "inquiry_closed", "T8");
}

/// The public form is built to be abused: a honeypot, sizes, categories, and a limit per
/// address and hour; each refusal names its field and stores nothing.
#[tokio::test]
async fn t3_3_the_public_form_withstands_abuse() {
    let w = World::new().await;
    let ok = || json!({ "category": "inquiry", "message": "質問です" });
    let mut bot = ok();
    bot["website"] = json!("http://spam.example");
    let (status, body) = w
        .call(Method::POST, "/api/v1/inquiries", None, Some(bot))
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("honeypot"))
    );
    let mut long = ok();
    long["message"] = json!("あ".repeat(2001));
    let mut bad_category = ok();
    bad_category["category"] = json!("spam");
    let mut long_contact = ok();
    long_contact["contact"] = json!("a".repeat(201));
    let mut nul = ok();
    nul["message"] = json!("\u{0}見えない");
    let mut bidi = ok();
    bidi["contact"] = json!("taro\u{202E}moc.elpmaxe@");
    for (body, field) in [
        (long, "message"),
        (bad_category, "category"),
        (long_contact, "contact"),
        (nul, "message"),
        (bidi, "contact"),
    ] {
        let (status, body) = w
            .call(Method::POST, "/api/v1/inquiries", None, Some(body))
            .await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (StatusCode::BAD_REQUEST, &json!(field)),
            "{body}"
        );
    }
    let mayor = w.sign_in("mayor").await;
    let (_, list) = w
        .call(Method::GET, "/api/v1/inquiries", Some(&mayor), None)
        .await;
    assert_eq!(list, json!([]), "nothing refused was stored");

    // Five an hour from one address (the policy's default); another address is not affected.
    for _ in 0..5 {
        let (status, body) = from(&w, "192.0.2.7", "/api/v1/inquiries", ok()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = from(&w, "192.0.2.7", "/api/v1/inquiries", ok()).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::TOO_MANY_REQUESTS, &json!("too_many_messages"))
    );
    let (status, _) = from(&w, "192.0.2.8", "/api/v1/inquiries", ok()).await;
    assert_eq!(status, StatusCode::CREATED);

    // Guessing secrets is throttled like sign-ins.
    let guess = json!({ "receipt": "2026-00001", "secret": "AAAA-AAAA-AAAA-AAAA" });
    let mut last = StatusCode::OK;
    for _ in 0..40 {
        last = from(&w, "192.0.2.9", "/api/v1/inquiries/status", guess.clone())
            .await
            .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// Nothing the public sends can break a staff page: a `<script>` is shown as text on the list,
/// the inquiry's page and the person's own status page.
#[tokio::test]
async fn t3_3_a_script_in_an_inquiry_is_shown_as_text() {
    let w = World::new().await;
    let form = encoded(&[
        ("category", "complaint"),
        ("message", SCRIPT),
        ("website", ""),
    ]);
    let (status, _, html) = page(&w, Method::POST, "/public/inquiry", None, Some(&form), &[]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("2026-00001"), "{html}");
    let secret = html
        .split(r#"<strong id="receipt-secret"><code>"#)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();

    let mayor = sign_in_form(&w, "mayor").await;
    let (_, _, home) = page(&w, Method::GET, "/", Some(&mayor), None, &[]).await;
    assert!(
        home.contains("回答を待っている問合せ・苦情が 1 件"),
        "{home}"
    );
    for uri in ["/inquiries", "/inquiries/2026-00001"] {
        let (status, _, html) = page(&w, Method::GET, uri, Some(&mayor), None, &[]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(!html.contains("<script>"), "{uri}: {html}");
    }
    let (_, _, html) = page(
        &w,
        Method::GET,
        "/inquiries/2026-00001",
        Some(&mayor),
        None,
        &[],
    )
    .await;
    assert!(html.contains("&#60;script&#62;alert("), "{html}");

    // The answer, written on screen, reaches the person's status page escaped too.
    let answer = encoded(&[("text", "<b>確認しました</b>")]);
    let uri = "/inquiries/2026-00001/answer";
    let (status, headers, body) =
        page(&w, Method::POST, uri, Some(&mayor), Some(&answer), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(super::screens::location(&headers), "/inquiries/2026-00001");
    let (_, _, html) = page(
        &w,
        Method::GET,
        "/inquiries/2026-00001",
        Some(&mayor),
        None,
        &[],
    )
    .await;
    assert!(
        html.contains("受付から0日0時間"),
        "time to the first answer (T8): {html}"
    );
    let lookup = encoded(&[("receipt", "2026-00001"), ("secret", &secret)]);
    let (status, _, html) = page(
        &w,
        Method::POST,
        "/public/inquiry/status",
        None,
        Some(&lookup),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("&#60;b&#62;確認しました&#60;/b&#62;"),
        "{html}"
    );
    assert!(html.contains("回答しました"), "{html}");
    assert!(!html.contains(&secret), "the secret is not written back");
}

/// T8: an inquiry still without an answer after the policy's days raises one alert for the
/// Manager, kept off the public health page; the first answer resolves it.
#[tokio::test]
async fn t8_an_unanswered_inquiry_is_overdue_after_the_policys_days() {
    let clock = Arc::new(ShiftedClock::starting_at(fixed_clock().now()));
    let w = World::with_clock(clock.clone()).await;
    let (receipt, _) = send(&w, "inquiry", "防犯カメラの設置予定は？").await;
    let check = || crate::workflow::inquiries::check_inquiry_deadlines(&w.office);
    let parsed = mimamori_policy::inquiry::Receipt::parse(&receipt).unwrap();
    let row = w.office.db.inquiry(&parsed).await.unwrap().unwrap();
    let due = row.received + SignedDuration::from_hours(24 * 14);
    clock.set(due - SignedDuration::from_secs(1));
    assert!(check().await.unwrap().is_empty(), "not yet overdue");
    clock.set(due + SignedDuration::from_secs(1));
    assert_eq!(check().await.unwrap().len(), 1);
    assert!(check().await.unwrap().is_empty(), "raised once");
    let open = || async {
        w.office
            .db
            .alerts(50)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.kind == AlertKind::InquiryOverdue && a.resolved_us.is_none())
            .count()
    };
    assert_eq!(open().await, 1);
    assert_eq!(AlertKind::InquiryOverdue.addressees(), [Role::Manager]);
    let (_, health) = w.call(Method::GET, "/api/v1/health", None, None).await;
    assert!(!health.to_string().contains(&receipt), "{health}");

    let mayor = w.sign_in("mayor").await;
    let (_, list) = w
        .call(Method::GET, "/api/v1/inquiries", Some(&mayor), None)
        .await;
    assert_eq!(list[0]["overdue"], true);
    let (status, body) = step(
        &w,
        &mayor,
        &receipt,
        "answers",
        json!({"text": "来年度です"}),
    )
    .await;
    assert_eq!(
        (status, &body["overdue"]),
        (StatusCode::OK, &json!(false)),
        "{body}"
    );
    assert_eq!(open().await, 0, "the first answer resolves it");
}

/// T8 (issue 14): the published statistics count inquiries, complaints and first answers by
/// the ward's month, and agree with a count of the log's canonical lines.
#[tokio::test]
async fn t8_the_statistics_count_inquiries_as_the_dump_does() {
    let w = World::new().await;
    let mayor = w.sign_in("mayor").await;
    let (first, _) = send(&w, "complaint", "苦情です").await;
    send(&w, "inquiry", "質問です").await;
    let (status, _) = step(&w, &mayor, &first, "answers", json!({"text": "回答"})).await;
    assert_eq!(status, StatusCode::OK);
    step(&w, &mayor, &first, "answers", json!({"text": "追加の回答"})).await;
    w.office.notary.sign_checkpoint().await.unwrap();

    let (status, stats) = w
        .call(Method::GET, "/public/statistics.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let month = &stats["months"][0];
    assert_eq!(
        (
            &month["month"],
            &month["inquiries"],
            &month["complaints"],
            &month["answered"]
        ),
        (&json!("2026-11"), &json!(2), &json!(1), &json!(1))
    );
    // The same figures from the dump's lines.
    let (mut received, mut complaints, mut first_answers) = (0, 0, 0);
    for row in w.office.db.event_page(1, 100_000).await.unwrap() {
        let line: Value = serde_json::from_slice(&row.canonical_bytes().unwrap()).unwrap();
        match line["kind"].as_str().unwrap() {
            "inquiry_received" => {
                received += 1;
                complaints += i32::from(line["detail"]["category"] == "complaint");
            }
            "inquiry_answered" => first_answers += i32::from(line["detail"]["first"] == true),
            _ => {}
        }
    }
    assert_eq!((received, complaints, first_answers), (2, 1, 1));
}
