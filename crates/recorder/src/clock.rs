//! Injectable wall-clock time, so that tests can run retention days in seconds.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that runs with real time from a settable origin: `now()` is the set time plus the
/// real time elapsed since it was set. Tests jump it forward by days while recording goes on.
#[derive(Debug)]
pub struct ShiftedClock {
    offset: Mutex<SignedDuration>,
}

impl ShiftedClock {
    /// Starts at `at`.
    pub fn starting_at(at: Timestamp) -> Self {
        let clock = ShiftedClock {
            offset: Mutex::new(SignedDuration::ZERO),
        };
        clock.set(at);
        clock
    }

    /// Sets the current time to `at`.
    pub fn set(&self, at: Timestamp) {
        *self.offset.lock().expect("clock lock") = at.duration_since(Timestamp::now());
    }

    /// Moves the clock forward (or back) by `by`.
    pub fn advance(&self, by: SignedDuration) {
        let mut offset = self.offset.lock().expect("clock lock");
        *offset = offset.checked_add(by).expect("clock offset in range");
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        let offset = *self.offset.lock().expect("clock lock");
        Timestamp::now()
            .checked_add(offset)
            .expect("shifted time in range")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_clock_runs_from_where_it_was_set() {
        let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let clock = ShiftedClock::starting_at(start);
        let d = clock.now().duration_since(start);
        assert!(d >= SignedDuration::ZERO && d < SignedDuration::from_secs(1));
        clock.advance(SignedDuration::from_hours(24));
        assert!(clock.now() >= "2026-01-02T00:00:00Z".parse().unwrap());
    }
}
