use super::*;

const F: i64 = 3600; // 25 fps

/// Pushes `(presentation, arrival)` pairs, numbering the pictures in decode order, and returns
/// everything timed, the run finished.
fn run(reorder: u32, frames: &[(i64, i64)]) -> (Vec<Timed<usize>>, Vec<i64>) {
    let mut t = DecodeTimeline::new(reorder);
    let mut out = Vec::new();
    let mut steps = Vec::new();
    for (i, (p, a)) in frames.iter().enumerate() {
        let pushed = t.push(*p, *a, i);
        out.extend(pushed.timed);
        steps.extend(pushed.step_90k);
    }
    out.extend(t.finish());
    (out, steps)
}

/// Every picture comes out once, in decode order, with strictly increasing decode times and
/// a presentation time no earlier than its decode time.
fn assert_well_formed(timed: &[Timed<usize>], count: usize) {
    assert_eq!(timed.len(), count, "every picture is timed once");
    for (i, t) in timed.iter().enumerate() {
        assert_eq!(t.item, i, "decode order is kept");
        assert!(
            t.presentation_90k >= t.decode_90k,
            "shown after decoded: {t:?}"
        );
    }
    for w in timed.windows(2) {
        assert!(
            w[1].decode_90k > w[0].decode_90k,
            "decode times increase: {w:?}"
        );
    }
}

/// A GOP of `n` pictures in decode order, as x264 sends it with `b` B-frames between
/// references (no pyramid): presentation slots, each `F` apart, starting at `start`.
fn gop(start: i64, n: i64, b: i64) -> Vec<i64> {
    let mut slots = vec![0];
    let mut next_ref = 0;
    while next_ref < n - 1 {
        let r = (next_ref + b + 1).min(n - 1);
        slots.push(r);
        slots.extend(next_ref + 1..r);
        next_ref = r;
    }
    slots.into_iter().map(|s| start + s * F).collect()
}

fn arriving(presentations: &[i64]) -> Vec<(i64, i64)> {
    presentations
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i as i64 * F))
        .collect()
}

#[test]
fn without_reordering_decode_times_are_presentation_times() {
    let frames = arriving(&gop(1000, 10, 0));
    let (timed, steps) = run(0, &frames);
    assert_well_formed(&timed, 10);
    assert!(steps.is_empty());
    for (t, (p, _)) in timed.iter().zip(&frames) {
        assert_eq!((t.decode_90k, t.presentation_90k), (*p, *p));
    }
}

#[test]
fn b_frames_keep_every_picture_and_their_order_on_screen() {
    // Two GOPs of 50 with two B-frames, the common camera setting the old recorder broke on.
    let mut presentations = gop(0, 50, 2);
    presentations.extend(gop(50 * F, 50, 2));
    let (timed, steps) = run(2, &arriving(&presentations));
    assert_well_formed(&timed, 100);
    assert!(steps.is_empty(), "B-frames are not clock steps");
    // Decode times are the presentation times delayed by two frames.
    let mut sorted = presentations.clone();
    sorted.sort_unstable();
    for (i, t) in timed.iter().enumerate().skip(2) {
        assert_eq!(t.decode_90k, sorted[i - 2]);
    }
    assert_eq!(timed[0].composition_offset_90k(), 2 * F as u32);
    assert_eq!(
        timed[1].decode_90k, -F,
        "the first two are decoded one frame apart"
    );
}

#[test]
fn a_declared_depth_larger_than_used_only_delays() {
    let presentations = gop(0, 30, 1);
    let (timed, _) = run(4, &arriving(&presentations));
    assert_well_formed(&timed, 30);
    assert_eq!(timed[0].composition_offset_90k(), 4 * F as u32);
}

#[test]
fn a_run_shorter_than_the_depth_is_still_timed() {
    let (timed, _) = run(4, &arriving(&[0, 2 * F, F]));
    assert_well_formed(&timed, 3);
    assert_eq!(
        timed[2].decode_90k, 0,
        "the last decode time is the first shown"
    );
    let (none, _) = run(2, &[]);
    assert!(none.is_empty());
}

#[test]
fn a_clock_stepping_back_is_taken_out_without_a_loss() {
    // Ten frames, then the camera's clock goes back 30 s (an NTP correction).
    let mut frames = arriving(&gop(0, 10, 0));
    for i in 10..20 {
        frames.push(((i - 30 * 25) * F, i * F));
    }
    let (timed, steps) = run(0, &frames);
    assert_well_formed(&timed, 20);
    assert_eq!(steps, vec![-30 * 25 * F]);
    assert_eq!(
        timed[10].decode_90k,
        10 * F,
        "the timeline goes on a frame later"
    );
    assert_eq!(timed[19].decode_90k, 19 * F);
}

#[test]
fn a_clock_jumping_forward_is_a_step_but_real_time_passing_is_not() {
    // The clock jumps 20 s while a frame interval passes: a step.
    let mut frames = arriving(&gop(0, 5, 0));
    frames.push((20 * 90_000 + 5 * F, 5 * F));
    let (timed, steps) = run(0, &frames);
    assert_well_formed(&timed, 6);
    assert_eq!(steps, vec![20 * 90_000]);
    assert_eq!(timed[5].decode_90k, 5 * F);
    // Three seconds of pictures lost on the network, and three seconds passed: no step, the
    // timeline keeps the hole (the caller decides what it means).
    let mut frames = arriving(&gop(0, 5, 0));
    frames.push((3 * 90_000 + 5 * F, 3 * 90_000 + 5 * F));
    let (timed, steps) = run(0, &frames);
    assert!(steps.is_empty());
    assert_eq!(timed[5].decode_90k, 3 * 90_000 + 5 * F);
}

#[test]
fn a_step_inside_a_stream_with_b_frames_loses_nothing() {
    let mut presentations = gop(0, 25, 2);
    presentations.extend(gop(-100 * 90_000, 25, 2));
    let (timed, steps) = run(2, &arriving(&presentations));
    assert_well_formed(&timed, 50);
    assert_eq!(steps.len(), 1);
}
