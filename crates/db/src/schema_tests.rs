//! The schema against the Rust types: every enumerated column takes exactly its enum's names
//! (migration 0004), and upgrading a database that an older release filled keeps every row.

use mimamori_policy::access::Role;
use mimamori_policy::chain::{LegalBasis, RequestKind, RequestState};

use crate::testutil::{any_event, db_with_staff, t0};
use crate::{AlertKind, CameraState, Db, EventKind, Outcome, UPGRADES};

/// Inserts one row with `value` in the column under test; whether the database took it.
async fn takes(db: &Db, sql: &str, value: &str) -> bool {
    let r = sqlx::query(sql).bind(value).execute(db.pool()).await;
    if let Err(e) = &r {
        eprintln!("DEBUG {sql} {value}: {e}");
    }
    r.is_ok()
}

/// Runs a statement without arguments; whether the database took it.
async fn runs(db: &Db, sql: &str) -> bool {
    sqlx::query(sql).execute(db.pool()).await.is_ok()
}

/// Every name is taken and a misspelt one is refused.
async fn column_takes_exactly(db: &Db, column: &str, sql: &str, names: &[&str]) {
    for name in names {
        assert!(takes(db, sql, name).await, "{column} refused {name:?}");
    }
    assert!(
        !takes(db, sql, "bogus").await,
        "{column} took an unknown name"
    );
}

#[tokio::test]
async fn every_enumerated_column_takes_exactly_its_enums_names() {
    let (db, staff) = db_with_staff().await;
    sqlx::query("INSERT INTO camera VALUES ('c1', 'n', 's', 'rtsp://x', 0, 0)")
        .execute(db.pool())
        .await
        .unwrap();

    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let sql = format!("INSERT INTO appointment (staff_id, role, appointed_by, from_us) VALUES ({staff}, $1, 'a', 0)");
    column_takes_exactly(&db, "appointment.role", &sql, &roles).await;

    // The next id, as the ledger's append gives it (PostgreSQL's identity does not count rows
    // written with their ids).
    let sql = "INSERT INTO event (id, time_us, actor, role, kind, outcome, detail)
               VALUES ((SELECT max(id) + 1 FROM event), 0, 'a', $1, 'signed_in', 'done', '{}')";
    column_takes_exactly(&db, "event.role", sql, &roles).await;
    let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    let sql = "INSERT INTO event (id, time_us, actor, kind, outcome, detail)
               VALUES ((SELECT max(id) + 1 FROM event), 0, 'a', $1, 'done', '{}')";
    column_takes_exactly(&db, "event.kind", sql, &kinds).await;
    let outcomes: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
    let sql = "INSERT INTO event (id, time_us, actor, kind, outcome, detail)
               VALUES ((SELECT max(id) + 1 FROM event), 0, 'a', 'signed_in', $1, '{}')";
    column_takes_exactly(&db, "event.outcome", sql, &outcomes).await;

    let alerts: Vec<&str> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
    let sql = "INSERT INTO alert (kind, message, raised_us) VALUES ($1, 'm', 0)";
    column_takes_exactly(&db, "alert.kind", sql, &alerts).await;

    let states: Vec<&str> = CameraState::ALL.iter().map(|s| s.as_str()).collect();
    let sql = "INSERT INTO camera_state (camera_id, state, since_us, updated_us)
               VALUES ('c1', $1, 0, 0)
               ON CONFLICT (camera_id) DO UPDATE SET state = excluded.state";
    column_takes_exactly(&db, "camera_state.state", sql, &states).await;

    let sql = "INSERT INTO erasure_run (trigger, started_us, finished_us, method)
               VALUES ($1, 0, 0, 'm')";
    column_takes_exactly(
        &db,
        "erasure_run.trigger",
        sql,
        &["retention", "storage_cap"],
    )
    .await;

    let request = |kind: &str, state: &str, basis: &str| {
        let provision = if kind == "internal" { "NULL" } else { "'{}'" };
        format!(
            "INSERT INTO request (kind, state, purpose, basis, reason, provision, created_by,
                 created_us) VALUES ('{kind}', '{state}', 'p', '{{\"kind\": \"{basis}\"}}', 'r',
                 {provision}, 'm', 0)"
        )
    };
    let kinds: Vec<&str> = RequestKind::ALL.iter().map(|k| k.as_str()).collect();
    let sql = "INSERT INTO request (kind, state, purpose, basis, reason, provision, created_by,
                   created_us) VALUES ($1, 'ordered', 'p', '{\"kind\": \"t6_1_e\"}', 'r',
                   CASE WHEN $1 = 'internal' THEN NULL ELSE '{}' END, 'm', 0)";
    column_takes_exactly(&db, "request.kind", sql, &kinds).await;
    let states: Vec<&str> = RequestState::ALL.iter().map(|s| s.as_str()).collect();
    let sql = "INSERT INTO request (kind, state, purpose, basis, reason, created_by, created_us)
               VALUES ('internal', $1, 'p', '{\"kind\": \"t6_1_e\"}', 'r', 'm', 0)";
    column_takes_exactly(&db, "request.state", sql, &states).await;
    for basis in LegalBasis::ALL {
        let sql = request("internal", "ordered", basis.code());
        assert!(runs(&db, &sql).await, "request.basis refused {basis:?}");
    }
    assert!(!runs(&db, &request("internal", "ordered", "t6_1_f")).await);
    // The provision column fits the kind: none for the Manager's order, a record otherwise.
    let no_document = request("provision", "received", "t6_1_b").replace("'{}'", "NULL");
    assert!(!runs(&db, &no_document).await);
    let order_with_document = request("internal", "ordered", "t6_1_e").replace("NULL,", "'{}',");
    assert!(!runs(&db, &order_with_document).await);
}

#[tokio::test]
async fn the_event_kind_table_is_the_vocabulary() {
    let db = crate::testutil::test_db().await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT kind FROM event_kind ORDER BY kind")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let mut known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    known.sort();
    assert_eq!(
        stored, known,
        "a new EventKind needs its row in a new upgrade"
    );
}

#[tokio::test]
async fn upgrade_4_keeps_every_row_and_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let before_4: Vec<(i64, &str)> = UPGRADES.iter().copied().filter(|u| u.0 < 4).collect();
    let db = Db::open_with_upgrades(&path, &before_4).await.unwrap();
    assert_eq!(db.schema_version().await.unwrap(), 3);
    // Rows as release 0.1 wrote them, in every table the upgrade rebuilds, with their children.
    let rows = [
        "INSERT INTO staff (id, login, name, unit, contact, password_hash, password_changed_us,
             created_by, created_us) VALUES (1, 'sato', 'n', 'u', '', 'x', 0, 'admin', 0)",
        "INSERT INTO appointment (staff_id, role, appointed_by, from_us)
             VALUES (1, 'image_handler', 'mgr', 0)",
        "INSERT INTO terminal (id, name, location, custodian, public_key, registered_by,
             registered_us) VALUES ('t1', 'n', 'l', 'c', 'k', 'admin', 0)",
        "INSERT INTO alert (id, kind, message, raised_us) VALUES (7, 'form3_overdue', 'm', 0)",
        "INSERT INTO request (id, kind, state, purpose, basis, reason, provision, created_by,
             created_us, camera_id, start_us, end_us, handler, terminal_id,
             instruction_expires_us, instructed_by, instructed_us, retrieved_by, retrieved_us,
             form3_alert_id)
             VALUES (5, 'emergency', 'emergency_retrieved', 'p',
             '{\"document\":\"様式第3号（事後提出）\",\"kind\":\"t6_1_b\"}', 'r',
             '{\"delegation_id\":null}', 'k', 0, 'c1', 0, 1, 'k', 't1', 2, 'k', 0, 'k', 1, 7)",
        "INSERT INTO retrieval_grant (id, request_id, issued_us, expires_us) VALUES ('g', 5, 0, 1)",
        "INSERT INTO camera VALUES ('c1', 'n', 's', 'rtsp://x', 0, 0)",
        "INSERT INTO camera_state (camera_id, state, since_us, updated_us)
             VALUES ('c1', 'recording', 0, 0)",
        "INSERT INTO erasure_run (id, trigger, started_us, finished_us, method)
             VALUES (3, 'retention', 0, 0, 'm')",
        "INSERT INTO erasure (run_id, camera_id, day, start_us, end_us, segment_count, bytes,
             segment_hashes, key_shredded) VALUES (3, 'c1', '2026-11-01', 0, 1, 0, 0, x'', 1)",
    ];
    for sql in rows {
        sqlx::query(sql).execute(db.pool()).await.unwrap();
    }
    db.append_event(&any_event().at(t0())).await.unwrap();
    let root = db.ledger_root(1).await.unwrap();
    db.pool().close().await;

    let db = Db::open(&path).await.unwrap();
    assert_eq!(
        db.schema_version().await.unwrap(),
        crate::UPGRADES.len() as i64
    );
    for (table, n) in [
        ("staff", 1),
        ("appointment", 1),
        ("alert", 1),
        ("request", 1),
        ("retrieval_grant", 1),
        ("camera_state", 1),
        ("erasure_run", 1),
        ("erasure", 1),
        ("event", 1),
    ] {
        let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(count, n, "{table}");
    }
    let request = db.request(5.into()).await.unwrap().unwrap();
    assert_eq!(request.state, RequestState::EmergencyRetrieved);
    assert_eq!(request.form3_alert_id, Some(7));
    assert_eq!(db.ledger_root(1).await.unwrap(), root);
    assert_eq!(
        db.verify_ledger(None).await.unwrap().problems,
        Vec::<String>::new()
    );
    // The rebuilt tables kept their keys and their guards.
    let kept = [
        "DELETE FROM request",
        "DELETE FROM appointment",
        "DELETE FROM event",
        "UPDATE event SET actor = 'x'",
        "DELETE FROM erasure_run",
        "INSERT INTO retrieval_grant (id, request_id, issued_us, expires_us) VALUES ('h', 99, 0, 1)",
    ];
    for sql in kept {
        assert!(sqlx::query(sql).execute(db.pool()).await.is_err(), "{sql}");
    }
}

#[tokio::test]
async fn an_upgrade_that_would_leave_a_dangling_key_is_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let before_4: Vec<(i64, &str)> = UPGRADES.iter().copied().filter(|u| u.0 < 4).collect();
    let db = Db::open_with_upgrades(&path, &before_4).await.unwrap();
    // An event of a kind the vocabulary never had: event.kind now refers to event_kind.
    sqlx::query(
        "INSERT INTO event (time_us, actor, kind, outcome, detail)
         VALUES (0, 'a', 'no_such_kind', 'done', '{}')",
    )
    .execute(db.pool())
    .await
    .unwrap();
    db.pool().close().await;
    let err = Db::open(&path).await.unwrap_err().to_string();
    assert!(
        err.contains("upgrade 4: event row 1 refers to a missing event_kind"),
        "{err}"
    );
    let db = Db::open_with_upgrades(&path, &before_4).await.unwrap();
    assert_eq!(db.schema_version().await.unwrap(), 3, "left as it was");
}

/// Upgrade 7 (issue 11, #1): an account still on an initial password an Administrator chose
/// loses that password and must enrol; a password its holder changed, and the first
/// Administrator made at the console, count as enrolled.
#[tokio::test]
async fn upgrade_7_voids_initial_passwords_an_administrator_chose() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let before_7: Vec<(i64, &str)> = UPGRADES.iter().copied().filter(|u| u.0 < 7).collect();
    let db = Db::open_with_upgrades(&path, &before_7).await.unwrap();
    for sql in [
        "INSERT INTO staff (id, login, name, unit, contact, password_hash, password_changed_us,
             created_by, created_us) VALUES (1, 'root', 'n', 'u', '', '$root', 0, 'cli:ops', 5)",
        "INSERT INTO staff (id, login, name, unit, contact, password_hash, password_changed_us,
             created_by, created_us) VALUES (2, 'sato', 'n', 'u', '', '$sato', 9, 'root', 6)",
        "INSERT INTO staff (id, login, name, unit, contact, password_hash, password_changed_us,
             created_by, created_us) VALUES (3, 'p1', 'n', 'u', '', '$chosen', 0, 'root', 7)",
    ] {
        sqlx::query(sql).execute(db.pool()).await.unwrap();
    }
    db.pool().close().await;
    let db = Db::open(&path).await.unwrap();
    let rows = db.staff_list().await.unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|s| (s.login.as_str(), s.password_hash.as_str(), s.enrolled_us))
        .collect();
    assert_eq!(
        got,
        [
            ("root", "$root", Some(5)),
            ("sato", "$sato", Some(9)),
            ("p1", "!", None)
        ]
    );
}

/// Issue 13 (N9.2): a further camera belongs to an instructed request, has a range that ends
/// after it starts, and is never changed or removed once given.
#[tokio::test]
async fn upgrade_16_further_cameras_are_kept_and_belong_to_an_instruction() {
    let db = crate::testutil::test_db().await;
    let range = (t0() - jiff::SignedDuration::from_hours(1), t0());
    let spent = crate::testutil::spend_grant(&db, "g1", "cam1", range, "sato").await;
    let instructed = spent.request();
    let bare = sqlx::query_scalar::<_, i64>(
        "INSERT INTO request (kind, state, purpose, basis, reason, created_by, created_us)
         VALUES ('internal', 'ordered', 'p', '{\"kind\":\"t6_1_a\"}', 'r', 'mgr', 0) RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let insert = |request: i64, position: i64, start: i64, end: i64| {
        format!(
            "INSERT INTO request_camera (request_id, position, camera_id, start_us, end_us)
             VALUES ({request}, {position}, 'cam2', {start}, {end})"
        )
    };
    assert!(!runs(&db, &insert(bare, 2, 0, 10)).await, "no instruction");
    let id = instructed.get();
    assert!(
        !runs(&db, &insert(id, 1, 0, 10)).await,
        "position 1 is the row's"
    );
    assert!(!runs(&db, &insert(id, 2, 10, 10)).await, "empty range");
    assert!(runs(&db, &insert(id, 2, 0, 10)).await);
    assert!(
        !runs(&db, &insert(id, 2, 0, 20)).await,
        "one camera per position"
    );
    assert!(!runs(&db, "UPDATE request_camera SET end_us = 5").await);
    assert!(!runs(&db, "DELETE FROM request_camera").await);
    let row = db.request(instructed).await.unwrap().unwrap();
    let cameras = row.instruction.unwrap().cameras;
    assert_eq!(cameras.len(), 2);
    assert_eq!(cameras[1].camera.as_str(), "cam2");
}
