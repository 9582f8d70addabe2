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

/// The client a request is counted by: the connection's address, or, when that is one of the
/// ward's own reverse proxies (`[office] trusted_proxies`), the nearest address in its
/// `X-Forwarded-For` that is not a trusted proxy itself. Entries to the left of that one were
/// written by the client and are not believed; a header that cannot be read counts as the
/// proxy.
pub fn client_of(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    for entry in header.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            Err(_) => return peer,
        }
    }
    peer
}

/// The key an address is counted by: an IPv4 address itself, an IPv6 address by its /64 (one
/// subscriber usually holds a whole /64, so counting single addresses would count nothing).
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

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
            // Still full: a key not seen this window waits, so memory stays bounded.
            if windows.len() >= MAX_ADDRESSES && !windows.contains_key(&peer) {
                return Verdict::Refused {
                    first: false,
                    retry_after: self.window,
                };
            }
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
    fn a_full_throttle_refuses_new_keys_and_v6_counts_by_its_64() {
        let t: Throttle<u32> = Throttle::per(SignedDuration::from_hours(1));
        let t0: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        for key in 0..MAX_ADDRESSES as u32 {
            assert_eq!(t.check(key, 5, t0), Verdict::Allowed);
        }
        assert!(matches!(t.check(u32::MAX, 5, t0), Verdict::Refused { .. }));
        assert_eq!(t.check(7, 5, t0), Verdict::Allowed, "a key it holds");
        let later = t0 + SignedDuration::from_hours(1);
        assert_eq!(t.check(u32::MAX, 5, later), Verdict::Allowed, "swept");

        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(c));
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(network_of(v4), v4);
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_nearest_untrusted_forwarded_address() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let client = ip("198.51.100.7");
        // Not through a proxy: the header is the client's own and not believed.
        assert_eq!(client_of(client, Some("203.0.113.9"), &proxies), client);
        // Through two proxies; the leftmost entry is whatever the client wrote.
        let header = "203.0.113.9, 198.51.100.7, 10.0.0.2";
        assert_eq!(client_of(ip("10.0.0.1"), Some(header), &proxies), client);
        assert_eq!(
            client_of(ip("10.0.0.1"), None, &proxies),
            ip("10.0.0.1"),
            "no header: the proxy itself"
        );
        assert_eq!(
            client_of(ip("10.0.0.1"), Some("not an address"), &proxies),
            ip("10.0.0.1")
        );
        assert_eq!(client_of(ip("10.0.0.1"), Some(header), &[]), ip("10.0.0.1"));
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
