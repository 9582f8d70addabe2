//! Decode times for a stream that carries presentation times only.
//!
//! RTP stamps each picture with the time it is *shown* and sends pictures in the order they are
//! *decoded*. With B-frames the two orders differ, so the timestamps step back and forth, and
//! an MP4 needs each sample's decode time plus a composition offset (ISO/IEC 14496-12
//! 8.6.1.2–3). Release 0.1 read a backward step as a clock discontinuity, cut the segment and
//! dropped every frame up to the next keyframe: a camera with two B-frames kept 2 frames in 50.
//!
//! The decode times are the presentation times, sorted, delayed by the reorder depth `R` the
//! encoder declares (see [`crate::pictures::reorder_depth`]). If no picture is shown more than
//! `R` pictures after it is decoded, then when picture `n` arrives every picture shown in the
//! first `n - R` slots has arrived, so picture `n`'s decode time is the `(n - R)`-th smallest
//! presentation time: a min-heap of the presentation times not yet used gives it. The first
//! `R` pictures of a run get decode times one frame apart before that; the composition offset
//! `presentation - decode` is never negative.
//!
//! A camera's clock can also step (an NTP correction, a reboot of its encoder) without the
//! stream ending. A timestamp that goes back past the last decode time, or forward by more than
//! the time that really passed (the caller gives arrival times from a monotonic clock) plus a
//! tolerance, is such a step: it is taken out of the timeline and counted, so no frame is lost
//! and no false gap appears. RTP's 32-bit wrap-around is not a step: retina extends timestamps
//! to 64 bits before they get here.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// 90 kHz units per second.
const HZ: i64 = 90_000;
/// A forward jump this much larger than the time that passed is a clock step, not footage.
const STEP_TOLERANCE_90K: i64 = HZ;
/// Frame interval assumed before two pictures have been seen (30 fps).
const DEFAULT_FRAME_90K: i64 = HZ / 30;

/// A picture with its place on both timelines, in 90 kHz units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed<T> {
    pub decode_90k: i64,
    pub presentation_90k: i64,
    pub item: T,
}

impl<T> Timed<T> {
    /// How much later than its decode time the picture is shown; never negative.
    pub fn composition_offset_90k(&self) -> u32 {
        u32::try_from((self.presentation_90k - self.decode_90k).max(0)).unwrap_or(u32::MAX)
    }
}

/// What one pushed picture produced.
#[derive(Debug)]
pub struct Pushed<T> {
    /// Pictures whose decode time is now known, in decode order (usually zero or one; the
    /// `R + 1`-th picture of a run releases the first `R + 1`).
    pub timed: Vec<Timed<T>>,
    /// The clock step taken out of the timeline before this picture, in 90 kHz units
    /// (positive: the camera's clock jumped forward).
    pub step_90k: Option<i64>,
}

/// One run of a stream (one RTSP session): presentation times in, decode times out.
#[derive(Debug)]
pub struct DecodeTimeline<T> {
    reorder: usize,
    /// Added to every incoming timestamp: the clock steps taken out so far, negated.
    offset: i64,
    /// Presentation times whose decode slot is not yet used.
    unused: BinaryHeap<Reverse<i64>>,
    /// The first pictures of a run, until their decode times are known.
    waiting: VecDeque<(i64, T)>,
    highest: Option<i64>,
    last_decode: Option<i64>,
    last_arrival_90k: i64,
    frame_90k: i64,
}

impl<T> DecodeTimeline<T> {
    /// A timeline for a stream whose encoder reorders at most `reorder` pictures.
    pub fn new(reorder: u32) -> Self {
        DecodeTimeline {
            reorder: reorder as usize,
            offset: 0,
            unused: BinaryHeap::new(),
            waiting: VecDeque::new(),
            highest: None,
            last_decode: None,
            last_arrival_90k: 0,
            frame_90k: DEFAULT_FRAME_90K,
        }
    }

    /// The reorder depth this timeline was made for.
    pub fn reorder(&self) -> u32 {
        self.reorder as u32
    }

    /// The frame interval seen last (a sorted step between presentation times).
    pub fn frame_90k(&self) -> i64 {
        self.frame_90k
    }

    /// Pictures pushed whose decode time is not yet known.
    pub fn held(&self) -> usize {
        self.waiting.len()
    }

    /// Takes the next picture in decode order: its presentation time as the camera stamped it
    /// and when it arrived, on a monotonic clock, both in 90 kHz units.
    pub fn push(&mut self, presentation_90k: i64, arrival_90k: i64, item: T) -> Pushed<T> {
        let mut shown = presentation_90k + self.offset;
        let mut step_90k = None;
        if let Some(high) = self.highest {
            let passed = (arrival_90k - self.last_arrival_90k).max(0);
            // Nothing is shown before what was already decoded, or (in a run's first pictures)
            // before the keyframe the run starts with.
            let floor = match self.last_decode {
                Some(d) => d + 1,
                None => self.waiting.front().map_or(i64::MIN, |(first, _)| *first),
            };
            // A B-frame's successor may be shown up to `R + 1` frames after it.
            let reach = (self.reorder as i64 + 1) * self.frame_90k + STEP_TOLERANCE_90K;
            let behind = shown < floor;
            let ahead = shown > high + passed + reach;
            if behind || ahead {
                let continued = high + passed.max(self.frame_90k);
                step_90k = Some(shown - continued);
                self.offset -= shown - continued;
                shown = continued;
            }
        }
        self.last_arrival_90k = arrival_90k;
        self.highest = Some(self.highest.map_or(shown, |h| h.max(shown)));
        self.unused.push(Reverse(shown));
        self.waiting.push_back((shown, item));
        let mut timed = Vec::new();
        if self.unused.len() > self.reorder {
            let Reverse(next) = self.unused.pop().expect("more than reorder times");
            match self.last_decode {
                None => {
                    // The first decode time of the run: the pictures before it are decoded one
                    // frame apart, ending one frame before it.
                    self.frame_90k = self.smallest_interval().unwrap_or(self.frame_90k);
                    let n = self.waiting.len() as i64;
                    for (i, (p, item)) in self.waiting.drain(..).enumerate() {
                        timed.push(Timed {
                            decode_90k: next - (n - 1 - i as i64) * self.frame_90k,
                            presentation_90k: p,
                            item,
                        });
                    }
                    self.last_decode = Some(next);
                }
                Some(last) => {
                    let decode = next.max(last + 1);
                    self.frame_90k = decode - last;
                    let (p, item) = self.waiting.pop_front().expect("one picture waits");
                    timed.push(Timed {
                        decode_90k: decode,
                        presentation_90k: p,
                        item,
                    });
                    self.last_decode = Some(decode);
                }
            }
        }
        Pushed { timed, step_90k }
    }

    /// Ends the run: the pictures still waiting (a run shorter than the reorder depth) get
    /// decode times one frame apart, ending at the smallest presentation time among them.
    pub fn finish(mut self) -> Vec<Timed<T>> {
        let frame = self.smallest_interval().unwrap_or(self.frame_90k);
        let Some(Reverse(first_shown)) = self.unused.peek().copied() else {
            return Vec::new();
        };
        let n = self.waiting.len() as i64;
        let last_decode = self.last_decode;
        self.waiting
            .drain(..)
            .enumerate()
            .map(|(i, (p, item))| {
                let decode = match last_decode {
                    Some(d) => d + (i as i64 + 1) * frame,
                    None => first_shown - (n - 1 - i as i64) * frame,
                };
                Timed {
                    decode_90k: decode,
                    presentation_90k: p,
                    item,
                }
            })
            .collect()
    }

    /// The smallest step between the presentation times waiting, if two differ.
    fn smallest_interval(&self) -> Option<i64> {
        let mut times: Vec<i64> = self.waiting.iter().map(|(p, _)| *p).collect();
        times.sort_unstable();
        times
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|d| *d > 0)
            .min()
    }
}

#[cfg(test)]
#[path = "timeline/tests.rs"]
mod tests;
