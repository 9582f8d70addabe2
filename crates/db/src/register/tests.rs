//! The register's records: the order of a camera's life kept by the database itself, signs
//! that come down with their cameras (T7.2), and the alert a camera left with no sign raises
//! (N4.2).

use mimamori_ledger::vocabulary::{CameraDetails, SiteBasis};
use mimamori_policy::register::{Lifecycle, Position, View};
use mimamori_policy::CameraId;

use crate::testutil::{any_event, t0};
use crate::{AlertKind, Db, DbError, NewSign, NewSite};

fn cam(id: &str) -> CameraId {
    CameraId::new(id).unwrap()
}

fn day(text: &str) -> jiff::civil::Date {
    text.parse().unwrap()
}

fn site(id: &str) -> NewSite {
    NewSite {
        camera: cam(id),
        address: "見守り区本町1-1".into(),
        position: Position::from_degrees(35.68, 139.76).unwrap(),
        details: CameraDetails {
            name: format!("{id} 駅前"),
            view: View::new(90, 60, 30).unwrap(),
            height_cm: Some(450),
            privacy_notes: String::new(),
        },
        basis: SiteBasis {
            document: "見守り署第1号".into(),
            date: day("2026-10-01"),
            summary: "ひったくり多発".into(),
        },
        chosen_by: "suzuki".into(),
    }
}

fn sign(cameras: &[&str]) -> NewSign {
    NewSign {
        position: Position::from_degrees(35.6801, 139.7601).unwrap(),
        text: "防犯カメラ作動中 見守り区".into(),
        cameras: cameras.iter().map(|c| cam(c)).collect(),
        placed_on: day("2026-11-01"),
    }
}

async fn installed(db: &Db, id: &str) {
    db.choose_site(&site(id), false, t0(), any_event())
        .await
        .unwrap();
    db.install_camera(&cam(id), day("2026-11-01"), t0(), any_event())
        .await
        .unwrap();
}

async fn open_sign_alerts(db: &Db) -> Vec<String> {
    db.alerts(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == AlertKind::SignMissing && a.resolved_us.is_none())
        .map(|a| a.camera_id.unwrap().to_string())
        .collect()
}

/// N4.1, N4.2, T7.2: planned → installed → in operation (only under a sign) → removed, with the
/// sign that told of it alone coming down with it and the one shared with a camera still up
/// staying.
#[tokio::test]
async fn t7_2_a_camera_comes_down_with_the_signs_that_told_only_of_it() {
    let db = crate::testutil::test_db().await;
    installed(&db, "cam1").await;
    installed(&db, "cam2").await;
    // N4.2: no sign, no operation.
    let e = db
        .start_operation(&cam("cam1"), day("2026-11-02"), t0(), any_event())
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::Conflict(_)), "{e:?}");
    let only_cam1 = db
        .place_sign(&sign(&["cam1"]), t0(), |_| any_event())
        .await
        .unwrap();
    let shared = db
        .place_sign(&sign(&["cam1", "cam2"]), t0(), |_| any_event())
        .await
        .unwrap();
    db.start_operation(&cam("cam1"), day("2026-11-02"), t0(), any_event())
        .await
        .unwrap();
    let c = db.register_camera(&cam("cam1")).await.unwrap().unwrap();
    assert_eq!(c.state, Lifecycle::InOperation);
    assert_eq!(c.operating_since, Some(day("2026-11-02")));
    assert_eq!(c.basis.document, "見守り署第1号");

    let removed = db
        .remove_camera(&cam("cam1"), day("2026-11-20"), t0(), |_| any_event())
        .await
        .unwrap();
    assert_eq!(removed, vec![only_cam1]);
    let signs = db.signs().await.unwrap();
    let of = |id| signs.iter().find(|s| s.id == id).unwrap();
    assert_eq!(of(only_cam1).removed_on, Some(day("2026-11-20")));
    assert!(of(shared).is_standing());
    assert_eq!(of(shared).cameras, vec![cam("cam1"), cam("cam2")]);

    // The database keeps the record as it was at removal.
    let e = db
        .record_camera_details(&cam("cam1"), &site("cam1").details, t0(), any_event())
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::Conflict(_)), "{e:?}");
    let e = sqlx::query("DELETE FROM register_camera WHERE id = 'cam1'")
        .execute(&db.writer)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("T7.2"), "{e}");
    let e = sqlx::query("UPDATE register_camera SET state = 'installed' WHERE id = 'cam1'")
        .execute(&db.writer)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("T7.2"), "{e}");
}

/// N4.2: a sign taken down from a camera in operation with no other sign raises an alert for
/// it; a new sign over the camera resolves it.
#[tokio::test]
async fn n4_2_a_camera_left_with_no_sign_is_an_alert_until_a_sign_covers_it() {
    let db = crate::testutil::test_db().await;
    installed(&db, "cam1").await;
    let first = db
        .place_sign(&sign(&["cam1"]), t0(), |_| any_event())
        .await
        .unwrap();
    let second = db
        .place_sign(&sign(&["cam1"]), t0(), |_| any_event())
        .await
        .unwrap();
    db.start_operation(&cam("cam1"), day("2026-11-02"), t0(), any_event())
        .await
        .unwrap();
    let left = db
        .remove_sign(first, day("2026-11-10"), t0(), |_| any_event())
        .await
        .unwrap();
    assert!(left.is_empty(), "another sign still stands");
    assert!(open_sign_alerts(&db).await.is_empty());
    let left = db
        .remove_sign(second, day("2026-11-11"), t0(), |_| any_event())
        .await
        .unwrap();
    assert_eq!(left, vec![cam("cam1")]);
    assert_eq!(open_sign_alerts(&db).await, vec!["cam1"]);
    // A sign is removed once, and not before it was placed.
    assert!(db
        .remove_sign(second, day("2026-11-12"), t0(), |_| any_event())
        .await
        .is_err());
    let third = db
        .place_sign(&sign(&["cam1"]), t0(), |_| any_event())
        .await
        .unwrap();
    assert!(open_sign_alerts(&db).await.is_empty());
    assert!(db
        .remove_sign(third, day("2026-10-01"), t0(), |_| any_event())
        .await
        .is_err());
}

/// The CHECK constraints refuse a register row whose dates do not fit its state, and a view
/// out of range, whatever wrote it.
#[tokio::test]
async fn the_database_refuses_a_row_out_of_order() {
    let db = crate::testutil::test_db().await;
    installed(&db, "cam1").await;
    for bad in [
        "UPDATE register_camera SET state = 'in_operation' WHERE id = 'cam1'",
        "UPDATE register_camera SET bearing_deg = 360 WHERE id = 'cam1'",
        "UPDATE register_camera SET installed_on = '2026-13-01' WHERE id = 'cam1'",
        "UPDATE register_camera SET state = 'planned' WHERE id = 'cam1'",
    ] {
        assert!(
            sqlx::query(bad).execute(&db.writer).await.is_err(),
            "{bad} was accepted"
        );
    }
    // A sign over a camera not in the register is refused, and nothing of it is kept.
    assert!(db
        .place_sign(&sign(&["cam1", "nope"]), t0(), |_| any_event())
        .await
        .is_err());
    assert!(db.signs().await.unwrap().is_empty());
}
