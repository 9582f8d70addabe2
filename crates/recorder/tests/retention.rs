//! N6.1, N6.2, T5.3, T5.4 over simulated days: the recorder records real RTSP (the built-in
//! demo camera) while an injected clock jumps a day at a time; the sweeper then leaves no
//! footage older than the window except held ranges, and shreds the keys of erased days.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::civil::{date, Date};
use jiff::{SignedDuration, Timestamp};
use mimamori_db::{vocabulary, Db, EventBody, EventKind, NewHold};
use mimamori_policy::CameraId;
use mimamori_recorder::retention::{overdue, sweep};
use mimamori_recorder::{Clock, Recorder, ShiftedClock};
use support::DemoWard;

fn tokyo_10am(day: Date) -> Timestamp {
    day.at(10, 0, 0, 0).in_tz("Asia/Tokyo").unwrap().timestamp()
}

async fn days_with_footage(db: &Db) -> Vec<String> {
    let mut days: Vec<String> = db
        .all_segments()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.day)
        .collect();
    days.dedup();
    days
}

async fn wait_for_day(db: &Db, day: Date) {
    for _ in 0..100 {
        if days_with_footage(db).await.contains(&day.to_string()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no segment recorded on simulated day {day}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n6_1_n6_2_t5_3_t5_4_twelve_days_with_a_ten_day_window_and_a_hold() {
    let dir = tempfile::tempdir().unwrap();
    let first_day = date(2026, 11, 1);
    let clock = Arc::new(ShiftedClock::starting_at(tokyo_10am(first_day)));
    let ward = DemoWard::start(
        dir.path(),
        "sweep_interval_seconds = 3600",
        "segment_seconds = 1",
        clock.clone(),
    )
    .await;
    let DemoWard { democam, db, ctx } = ward;
    let recorder = Recorder::start(ctx.clone()).await.unwrap();

    // Day 1: footage, of which the first seconds are held until long after the window.
    wait_for_day(&db, first_day).await;
    let held_from = tokyo_10am(first_day) - SignedDuration::from_secs(5);
    let hold = NewHold {
        camera_id: CameraId::new("cam1").unwrap(),
        start: held_from,
        end: held_from + SignedDuration::from_secs(7),
        reason: "捜査機関からの照会に備える (test)".into(),
        held_by: "manager".into(),
        until: tokyo_10am(date(2026, 12, 31)),
    };
    let event = |hold_id| {
        let body = EventBody::HoldAdded(vocabulary::HoldAdded {
            hold_id,
            camera: "cam1".into(),
            from: Some(hold.start),
            to: Some(hold.end),
            until: Some(hold.until),
            reason: hold.reason.clone(),
            decided_by: None,
        });
        mimamori_db::Event::by("manager", body)
    };
    db.insert_hold(&hold, clock.now(), event).await.unwrap();

    // Days 2 to 12, recording a few seconds each.
    for offset in 1..12 {
        let day = first_day
            .checked_add(jiff::Span::new().days(offset))
            .unwrap();
        clock.set(tokyo_10am(day));
        wait_for_day(&db, day).await;
    }
    recorder.stop().await;
    democam.shutdown().await;
    assert_eq!(days_with_footage(&db).await.len(), 12);

    // On day 12 (12 November), the window holds 2–12 November: 1 November goes, but the hold.
    let due = overdue(&db, &ctx.policy, clock.now()).await.unwrap();
    assert!(due.iter().all(|s| s.day == "2026-11-01") && !due.is_empty());
    sweep(&ctx).await.unwrap();
    assert!(overdue(&db, &ctx.policy, clock.now())
        .await
        .unwrap()
        .is_empty());
    let segments = db.all_segments().await.unwrap();
    let day1: Vec<_> = segments.iter().filter(|s| s.day == "2026-11-01").collect();
    assert!(!day1.is_empty(), "T5.3: held footage of day 1 stays");
    for s in &day1 {
        assert!(
            s.start_us < hold.end.as_microsecond() && s.end_us > hold.start.as_microsecond(),
            "only held segments stay"
        );
    }
    assert!(
        db.day_key(&hold.camera_id, first_day)
            .await
            .unwrap()
            .is_some(),
        "held footage keeps its key"
    );

    // Two days later, day 2 and day 3 go too: no footage older than the window but held.
    clock.set(tokyo_10am(date(2026, 11, 14)));
    sweep(&ctx).await.unwrap();
    let oldest_kept = date(2026, 11, 4).to_string();
    for s in db.all_segments().await.unwrap() {
        let held = s.start_us < hold.end.as_microsecond() && s.end_us > hold.start.as_microsecond();
        assert!(
            s.day >= oldest_kept || held,
            "segment {} of {} survived the window unheld",
            s.id,
            s.day
        );
    }
    for day in [date(2026, 11, 2), date(2026, 11, 3)] {
        assert!(
            db.day_key(&hold.camera_id, day).await.unwrap().is_none(),
            "T5.4: key of {day} shredded"
        );
    }
    assert!(db
        .day_key(&hold.camera_id, date(2026, 11, 4))
        .await
        .unwrap()
        .is_some());

    // Every erasure is recorded with its hashes and shredded keys, as a run and as an event.
    let erasures = db.erasures(Some("cam1")).await.unwrap();
    let erased_days: Vec<&str> = erasures.iter().map(|e| e.day.as_str()).collect();
    assert_eq!(erased_days, ["2026-11-01", "2026-11-02", "2026-11-03"]);
    assert!(!erasures[0].key_shredded && erasures[1].key_shredded && erasures[2].key_shredded);
    for e in &erasures {
        assert_eq!(e.segment_hashes.len() as i64, e.segment_count);
    }
    assert_eq!(db.events(Some(EventKind::Erasure)).await.unwrap().len(), 2);

    // No file of an erased segment remains on disk.
    let files = count_files(&dir.path().join("segments"));
    assert_eq!(files, db.all_segments().await.unwrap().len());

    // After the hold expires, day 1 goes as well, key and all.
    clock.set(tokyo_10am(date(2027, 1, 1)));
    sweep(&ctx).await.unwrap();
    assert!(db
        .day_key(&hold.camera_id, first_day)
        .await
        .unwrap()
        .is_none());
    assert!(
        db.all_segments().await.unwrap().is_empty(),
        "all twelve days are past the window now"
    );
    assert_eq!(count_files(&dir.path().join("segments")), 0);

    // T5.4: the log shows no read after an erasure; a forged late read of an erased segment
    // is found.
    let audit = |db: Db| async move {
        let rows = db
            .events_of_kinds(&[EventKind::Erasure, EventKind::ExportFinished])
            .await
            .unwrap();
        let bodies: Vec<EventBody> = rows.iter().map(|r| r.body().unwrap()).collect();
        let events = rows.iter().zip(&bodies).map(|(r, b)| (r.seq(), b));
        mimamori_ledger::audit::audit_erasures(events)
    };
    let clean = audit(db.clone()).await;
    assert_eq!((clean.erasure_events, clean.violations.len()), (3, 0));
    assert!(clean.erased_segments > 10);
    let erased = erasures[1].segment_hashes[0].clone();
    let late_read =
        EventBody::ExportFinished(vocabulary::ExportFinished::Done(vocabulary::ExportDone {
            file: "forged.mp4".into(),
            bytes: 1,
            sha256: "00".into(),
            samples: 1,
            start: clock.now(),
            duration_ms: 1,
            segments: vec![],
            segment_sha256: vec![erased],
            started_event: 1,
        }));
    let late_read = mimamori_db::Event::by("intruder", late_read);
    db.append_event(&late_read).await.unwrap();
    let found = audit(db.clone()).await;
    assert_eq!(found.violations.len(), 1);
    assert_eq!(found.violations[0].day, "2026-11-02");
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { count_files(&p) } else { 1 })
            .sum()
    })
}
