//! Leases in the database, on both engines (`MIMAMORI_TEST_ENGINE`): rounds of three nodes
//! hold every camera once; a node that stops loses its cameras to the others only after its
//! leases expire, under the next epoch; its late segment is fenced out; a joining node gets its
//! share; a clean stop lets cameras go at once.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use mimamori_policy::lease::Lease;
use mimamori_policy::CameraId;

use crate::testutil::{t0, test_db};
use crate::{CameraRecord, Db, DbError, NewSegment};

const TTL: SignedDuration = SignedDuration::from_secs(10);

async fn with_cameras(n: usize) -> (Db, Vec<CameraId>) {
    let db = test_db().await;
    let mut cameras = Vec::new();
    for i in 0..n {
        let id = format!("cam{i:02}");
        let record = CameraRecord {
            id: id.clone(),
            name: id.clone(),
            site: "テスト町".into(),
            url: format!("rtsp://127.0.0.1/{id}"),
        };
        db.upsert_camera(&record, t0()).await.unwrap();
        cameras.push(CameraId::new(&id).unwrap());
    }
    (db, cameras)
}

/// Rounds of `nodes` at `at` until nothing changes (each node plans from the others' last
/// round, as they would a few seconds apart); the leases held after.
async fn settle(db: &Db, nodes: &[&str], cameras: &[CameraId], at: Timestamp) -> Vec<Lease> {
    let mut last = Vec::new();
    for _ in 0..5 {
        for node in nodes {
            db.lease_round(node, cameras, TTL, at).await.unwrap();
        }
        let now = db.leases().await.unwrap();
        if now == last {
            break;
        }
        last = now;
    }
    last.into_iter().filter(|l| l.is_live(at)).collect()
}

fn per_node(leases: &[Lease]) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for l in leases {
        *count.entry(l.node.clone()).or_default() += 1;
    }
    count
}

/// A segment of `camera` recorded under `epoch`, indexed as a node would.
async fn index_segment(db: &Db, camera: &CameraId, epoch: i64, n: u8) -> crate::Result<i64> {
    let day = jiff::civil::date(2026, 11, 23);
    let key = db
        .insert_day_key(camera, day, "kek", &[1; 40], t0())
        .await
        .unwrap();
    let entry = db
        .sample_entry_id(&[9; 32], 640, 480, "avc1.640028", &[0; 8])
        .await
        .unwrap();
    db.insert_segment(&NewSegment {
        camera_id: camera.clone(),
        day,
        day_key_id: key.id,
        file_id: [n; 16],
        run_id: 1,
        start: t0(),
        end: t0() + SignedDuration::from_secs(60),
        media_start_90k: 0,
        duration_90k: 60 * 90_000,
        sample_count: 1,
        keyframe_count: 1,
        plaintext_bytes: 1,
        file_bytes: 17,
        sha256: [n; 32],
        video_sample_entry_id: entry,
        sample_index: vec![0; 3],
        lease_epoch: Some(epoch),
    })
    .await
}

#[tokio::test]
async fn three_nodes_hold_every_camera_once_and_a_dead_nodes_move_after_expiry() {
    let (db, cameras) = with_cameras(10).await;
    let held = settle(&db, &["a", "b", "c"], &cameras, t0()).await;
    assert_eq!(held.len(), 10, "{held:?}");
    assert!(
        per_node(&held).values().all(|&n| (3..=4).contains(&n)),
        "{held:?}"
    );
    // The first node's first round took every camera (nobody else was alive yet); what it let
    // go to b and c when they appeared changed hands under the next epoch.
    assert!(held.iter().all(|l| (1..=2).contains(&l.epoch)), "{held:?}");

    // c stops renewing. Before its leases expire nobody takes its cameras.
    let of_c: Vec<(CameraId, u64)> = held
        .iter()
        .filter(|l| l.node == "c")
        .map(|l| (l.camera.clone(), l.epoch))
        .collect();
    let soon = t0() + SignedDuration::from_secs(5);
    let still = settle(&db, &["a", "b"], &cameras, soon).await;
    assert_eq!(per_node(&still)["c"], of_c.len());

    // After they expire, a and b take them under the next epoch, within one round each.
    let later = t0() + TTL + SignedDuration::from_secs(1);
    db.lease_round("a", &cameras, TTL, later).await.unwrap();
    db.lease_round("b", &cameras, TTL, later).await.unwrap();
    let after: Vec<Lease> = db
        .leases()
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.is_live(later))
        .collect();
    assert_eq!(after.len(), 10, "{after:?}");
    assert!(after.iter().all(|l| l.node != "c"));
    for (camera, epoch) in &of_c {
        let lease = after.iter().find(|l| &l.camera == camera).unwrap();
        assert_eq!(lease.epoch, epoch + 1, "{lease:?}");
    }

    // c wakes up and indexes the segment it was writing: fenced out. Its successor's is kept.
    let (moved, old) = (&of_c[0].0, of_c[0].1 as i64);
    let late = index_segment(&db, moved, old, 1).await;
    assert!(
        matches!(&late, Err(DbError::Conflict(m)) if m.contains("fenced")),
        "{late:?}"
    );
    index_segment(&db, moved, old + 1, 2).await.unwrap();
    let kept = db
        .segments_overlapping(moved, t0(), t0() + SignedDuration::from_hours(1))
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].file_id, vec![2; 16]);
}

#[tokio::test]
async fn a_joining_node_gets_its_share_and_a_clean_stop_lets_go_at_once() {
    let (db, cameras) = with_cameras(10).await;
    let before = settle(&db, &["a", "b"], &cameras, t0()).await;
    assert_eq!(
        per_node(&before).values().copied().collect::<Vec<_>>(),
        [5, 5]
    );

    let t1 = t0() + SignedDuration::from_secs(3);
    let held = settle(&db, &["a", "b", "d"], &cameras, t1).await;
    assert_eq!(held.len(), 10, "{held:?}");
    let count = per_node(&held);
    assert!(count.values().all(|&n| n <= 4), "{count:?}");
    assert!(count["d"] >= 2, "{count:?}");
    // What d took, it took under the next epoch.
    for lease in held.iter().filter(|l| l.node == "d") {
        let was = before.iter().find(|l| l.camera == lease.camera).unwrap();
        assert_eq!(lease.epoch, was.epoch + 1, "{lease:?}");
    }

    // d stops cleanly: its cameras are free now, and a and b take them at once.
    let t2 = t1 + SignedDuration::from_secs(1);
    db.release_leases("d", t2).await.unwrap();
    let held = settle(&db, &["a", "b"], &cameras, t2).await;
    assert_eq!(held.len(), 10, "{held:?}");
    assert!(held.iter().all(|l| l.node != "d"));
}

#[tokio::test]
async fn a_lease_never_goes_back_an_epoch() {
    let (db, cameras) = with_cameras(1).await;
    settle(&db, &["a"], &cameras, t0()).await;
    let back = sqlx::query("UPDATE camera_lease SET epoch = 0")
        .execute(db.pool())
        .await;
    assert!(back.is_err());
}
