//! Fixed windows, per key (issue 11, #9, #17; issue 14).
//!
//! - Attempts without a session, per network address. The account lockout stops guessing one
//!   account's password; it does not stop one address trying many accounts, nor its attempts
//!   flooding the ledger with refusals. Each address gets `signin_attempts_per_minute`
//!   sign-ins and enrolments a minute; beyond that it is refused with 429 before anything is
//!   hashed, and only the first refusal of the minute is recorded.
//! - Refusals of a signed-in person, per account. Each is recorded, up to
//!   `refusals_recorded_per_minute`; beyond that the person is still refused, and the first
//!   refusal not recorded says so on the ledger, so a script cannot flood it either.
//! - Messages from the public inquiry form, per network address and hour (issue 14): the form
//!   needs no account, so this is what keeps one sender from burying the others.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// The peer's address, as the server saw the connection (`serve.rs` puts it on each request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub IpAddr);

/// What a throttle says about one more attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit: the first time this window (record it), or again (do not).
    Refused {
        first: bool,
        retry_after: SignedDuration,
    },
}

const MINUTE: SignedDuration = SignedDuration::from_secs(60);
/// Windows kept before the old ones are swept: a bound on memory, whatever the traffic.
const MAX_ADDRESSES: usize = 10_000;

/// A fixed window per key (a minute unless made with [`Throttle::per`]).
#[derive(Debug)]
pub struct Throttle<K = IpAddr> {
    window: SignedDuration,
    windows: Mutex<HashMap<K, (Timestamp, u32)>>,
}

impl<K> Default for Throttle<K> {
    fn default() -> Self {
        Throttle::per(MINUTE)
    }
}

impl<K> Throttle<K> {
    /// A throttle whose windows last `window`.
    pub fn per(window: SignedDuration) -> Self {
        Throttle {
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq> Throttle<K> {
    pub fn check(&self, peer: K, limit: u32, now: Timestamp) -> Verdict {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_ADDRESSES {
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let (start, count) = windows.entry(peer).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            *start = now;
            *count = 0;
        }
        *count = count.saturating_add(1);
        if *count <= limit {
            Verdict::Allowed
        } else {
            Verdict::Refused {
                first: *count == limit + 1,
                retry_after: self.window - now.duration_since(*start),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n3_3_1_an_address_gets_its_attempts_a_minute_and_the_first_refusal_is_marked() {
        let t: Throttle = Throttle::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(t.check(a, 3, t0), Verdict::Allowed);
        }
        assert!(matches!(
            t.check(a, 3, t0),
            Verdict::Refused { first: true, .. }
        ));
        assert!(matches!(
            t.check(a, 3, t0),
            Verdict::Refused { first: false, .. }
        ));
        assert_eq!(t.check(b, 3, t0), Verdict::Allowed, "another address");
        let later = t0 + SignedDuration::from_secs(61);
        assert_eq!(t.check(a, 3, later), Verdict::Allowed, "a new minute");
    }

    #[test]
    fn an_hourly_window_refuses_until_the_hour_is_over() {
        let t: Throttle = Throttle::per(SignedDuration::from_hours(1));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let t0: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        assert_eq!(t.check(a, 1, t0), Verdict::Allowed);
        let later = t0 + SignedDuration::from_mins(59);
        assert_eq!(
            t.check(a, 1, later),
            Verdict::Refused {
                first: true,
                retry_after: SignedDuration::from_mins(1)
            }
        );
        let next_hour = t0 + SignedDuration::from_mins(60);
        assert_eq!(t.check(a, 1, next_hour), Verdict::Allowed);
    }
}
