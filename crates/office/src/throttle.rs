//! Fixed one-minute windows, per key (issue 11, #9, #17).
//!
//! - Attempts without a session, per network address. The account lockout stops guessing one
//!   account's password; it does not stop one address trying many accounts, nor its attempts
//!   flooding the ledger with refusals. Each address gets `signin_attempts_per_minute`
//!   sign-ins and enrolments a minute; beyond that it is refused with 429 before anything is
//!   hashed, and only the first refusal of the minute is recorded.
//! - Refusals of a signed-in person, per account. Each is recorded, up to
//!   `refusals_recorded_per_minute`; beyond that the person is still refused, and the first
//!   refusal not recorded says so on the ledger, so a script cannot flood it either.

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

const WINDOW: SignedDuration = SignedDuration::from_secs(60);
/// Windows kept before the old ones are swept: a bound on memory, whatever the traffic.
const MAX_ADDRESSES: usize = 10_000;

/// A fixed one-minute window per key.
#[derive(Debug)]
pub struct Throttle<K = IpAddr> {
    windows: Mutex<HashMap<K, (Timestamp, u32)>>,
}

impl<K> Default for Throttle<K> {
    fn default() -> Self {
        Throttle {
            windows: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq> Throttle<K> {
    pub fn check(&self, peer: K, limit: u32, now: Timestamp) -> Verdict {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_ADDRESSES {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(peer).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        *count = count.saturating_add(1);
        if *count <= limit {
            Verdict::Allowed
        } else {
            Verdict::Refused {
                first: *count == limit + 1,
                retry_after: WINDOW - now.duration_since(*start),
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
}
