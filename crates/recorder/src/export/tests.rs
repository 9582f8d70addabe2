use super::*;

/// A segment of `n` samples at 15 fps with a keyframe every 30, starting `start_s` seconds
/// after the epoch.
fn segment(id: i64, start_s: i64, n: usize) -> SegmentRow {
    let samples: Vec<Sample> = (0..n)
        .map(|i| Sample::new(6000, 100, i % 30 == 0))
        .collect();
    segment_of(id, start_s, &samples)
}

/// A segment holding `samples`, starting `start_s` seconds after the epoch.
fn segment_of(id: i64, start_s: i64, samples: &[Sample]) -> SegmentRow {
    let n = samples.len();
    let duration_90k: i64 = samples.iter().map(|s| i64::from(s.duration_90k)).sum();
    let start_us = start_s * 1_000_000;
    SegmentRow {
        id,
        camera_id: mimamori_policy::CameraId::new("cam1").unwrap(),
        day: "2026-11-01".into(),
        day_key_id: 1,
        file_id: vec![0; 16],
        run_id: 1,
        start_us,
        end_us: start_us + duration_90k * 100 / 9,
        media_start_90k: 0,
        duration_90k,
        sample_count: n as i64,
        keyframe_count: samples.iter().filter(|s| s.is_key).count() as i64,
        plaintext_bytes: 100 * n as i64,
        file_bytes: 116 * n as i64,
        sha256: vec![0; 32],
        video_sample_entry_id: 1,
        sample_index: sample_index::encode(samples),
    }
}

fn at(s: f64) -> Timestamp {
    Timestamp::from_microsecond((s * 1e6) as i64).unwrap()
}

#[test]
fn starts_at_the_keyframe_at_or_before_the_range() {
    // 60 samples = 4 s; keyframes at 0 s and 2 s. A range from 2.5 s starts at 2 s.
    let slices = plan_slices(vec![segment(1, 0, 60)], at(2.5), at(3.0)).unwrap();
    assert_eq!(slices[0].first, 30);
    assert_eq!(slices[0].start, at(2.0));
    assert_eq!(slices[0].body_offset, 30 * (100 + TAG_BYTES));
    // Samples starting before 3.0 s: 2.0 .. 2.933 s, i.e. 15 of them.
    assert_eq!(slices[0].samples.len(), 15);
    assert!(slices[0].samples[0].0.is_key);
}

#[test]
fn spans_segments_and_keeps_gaps_in_the_timeline() {
    // Two 4 s segments with a 3 s gap between them.
    let segments = vec![segment(1, 0, 60), segment(2, 7, 60)];
    let slices = plan_slices(segments, at(1.0), at(9.0)).unwrap();
    assert_eq!(slices.len(), 2);
    assert_eq!(slices[0].first, 0);
    assert_eq!(slices[1].first, 0);
    let tail = slices[0].samples.last().unwrap().0;
    assert_eq!(
        tail.duration_90k,
        6000 + 3 * 90_000,
        "the last sample before the gap lasts through it"
    );
    let total: u64 = slices
        .iter()
        .flat_map(|s| s.taken())
        .map(|s| u64::from(s.duration_90k))
        .sum();
    // From 0 s (keyframe before 1 s) to the last sample starting before 9 s (8.933 s + 1/15).
    assert_eq!(total, 9 * 90_000);
}

#[test]
fn nothing_recorded_is_no_footage() {
    assert!(matches!(
        plan_slices(vec![], at(0.0), at(1.0)),
        Err(RecorderError::NoFootage)
    ));
}

/// 25 fps pictures as an encoder with two B-frames sends them: I P B B P B B … in decode
/// order, a keyframe every 50, timed by the recorder's own decode timeline.
fn b_frame_samples(n: i64) -> Vec<Sample> {
    use mimamori_media::timeline::DecodeTimeline;
    const F: i64 = 3600;
    let mut slots = Vec::new();
    for gop in (0..n).step_by(50) {
        slots.push(gop);
        let mut r = gop;
        while r < gop + 49 {
            let next = (r + 3).min(gop + 49);
            slots.push(next);
            slots.extend(r + 1..next);
            r = next;
        }
    }
    let mut timeline = DecodeTimeline::new(1);
    let mut timed = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        timed.extend(timeline.push(slot * F, i as i64 * F, *slot).timed);
    }
    timed.extend(timeline.finish());
    let last = timed.last().unwrap().composition_offset_90k();
    timed
        .windows(2)
        .map(|w| Sample {
            composition_offset_90k: w[0].composition_offset_90k(),
            ..Sample::new(
                (w[1].decode_90k - w[0].decode_90k) as u32,
                100,
                w[0].item % 50 == 0,
            )
        })
        .chain(std::iter::once(Sample {
            composition_offset_90k: last,
            ..Sample::new(F as u32, 100, false)
        }))
        .collect()
}

/// The 25 fps slot each sample of a segment is shown in.
fn shown_slots(samples: &[Sample]) -> Vec<i64> {
    let mut decode = 0i64;
    let base = i64::from(samples[0].composition_offset_90k);
    samples
        .iter()
        .map(|s| {
            let t = decode + i64::from(s.composition_offset_90k) - base;
            decode += i64::from(s.duration_90k);
            t / 3600
        })
        .collect()
}

#[test]
fn with_b_frames_the_clip_holds_every_picture_shown_in_the_range() {
    let samples = b_frame_samples(100); // 4 s, keyframes at 0 s and 2 s
    let slices = plan_slices(vec![segment_of(1, 0, &samples)], at(2.5), at(3.0)).unwrap();
    assert_eq!(
        slices[0].first, 50,
        "the clip starts at the keyframe at 2 s"
    );
    // Every slot shown from 2.0 s to before 3.0 s is in the clip, and at most one reference
    // picture shown after, decoded before one of them.
    let taken = slices[0].samples.len();
    let mut clip: Vec<i64> = shown_slots(&samples)[50..50 + taken].to_vec();
    clip.sort_unstable();
    let wanted: Vec<i64> = (50..75).collect();
    assert!(wanted.iter().all(|w| clip.contains(w)), "{clip:?}");
    assert!(clip.len() <= wanted.len() + 2, "{clip:?}");
    assert!(
        clip.windows(2).all(|w| w[1] == w[0] + 1),
        "no hole: {clip:?}"
    );
    // Every range end gives a clip without a hole.
    for end_slot in 51..100 {
        let end = at(end_slot as f64 / 25.0);
        let slices = plan_slices(vec![segment_of(1, 0, &samples)], at(2.0), end).unwrap();
        let n = slices[0].samples.len();
        let mut clip: Vec<i64> = shown_slots(&samples)[50..50 + n].to_vec();
        clip.sort_unstable();
        assert!(
            clip.windows(2).all(|w| w[1] == w[0] + 1),
            "end {end_slot}: {clip:?}"
        );
        assert!(
            *clip.last().unwrap() >= end_slot - 1,
            "end {end_slot}: {clip:?}"
        );
    }
}

#[test]
fn a_clip_starting_at_a_cra_leaves_out_its_rasl_pictures() {
    // An open-GOP H.265 segment: CRA, two RASL pictures shown before it, then trailing ones.
    let rasl = |d| Sample {
        needs_previous_gop: true,
        ..Sample::new(d, 100, false)
    };
    let samples = [
        Sample {
            composition_offset_90k: 7200,
            ..Sample::new(3600, 100, true)
        },
        rasl(3600),
        rasl(3600),
        Sample {
            composition_offset_90k: 7200,
            ..Sample::new(3600, 100, false)
        },
        Sample::new(3600, 100, false),
    ];
    let slices = plan_slices(vec![segment_of(1, 0, &samples)], at(0.0), at(1.0)).unwrap();
    let keep: Vec<bool> = slices[0].samples.iter().map(|(_, k)| *k).collect();
    assert_eq!(keep, [true, false, false, true, true]);
    let taken: Vec<Sample> = slices[0].taken().collect();
    assert_eq!(
        taken[0].duration_90k,
        3 * 3600,
        "the CRA lasts until the next kept picture"
    );
    // A clip running into the segment from the one before keeps them: they end that GOP.
    let slices = plan_slices(
        vec![segment(1, 0, 15), segment_of(2, 1, &samples)],
        at(0.0),
        at(2.0),
    )
    .unwrap();
    assert!(slices[1].samples.iter().all(|(_, k)| *k));
}
