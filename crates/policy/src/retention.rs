//! N6.1, T5.3: the retention window, counted in whole days of the ward's time zone from the day
//! after the recording day.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// How many days footage is kept after its recording day (the guideline's ○○ days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RetentionDays(u16);

impl RetentionDays {
    pub const MAX: i64 = 365;

    pub fn new(days: i64) -> Result<Self, String> {
        if (1..=Self::MAX).contains(&days) {
            Ok(RetentionDays(days as u16))
        } else {
            Err(format!(
                "N6.1/T5.3: retention must be 1–{} days, not {days} (保存期間は1〜{}日で指定してください)",
                Self::MAX,
                Self::MAX
            ))
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// The moment a recording day's footage falls out of the window: the start of the day after
    /// the last kept day. Footage recorded on day D is kept through day D+N (N days counted from
    /// D+1) and erased from the start of day D+N+1.
    pub fn expires_at(self, recording_day: Date, tz: &TimeZone) -> Timestamp {
        let first_gone = recording_day
            .checked_add((i64::from(self.0) + 1).days())
            .expect("retention days are bounded");
        first_gone
            .to_zoned(tz.clone())
            .expect("start of a civil day exists in the ward's zone")
            .timestamp()
    }

    /// The oldest recording day still inside the window at `now`; every earlier day is due for
    /// erasure.
    pub fn oldest_kept_day(self, now: Timestamp, tz: &TimeZone) -> Date {
        let today = now.to_zoned(tz.clone()).date();
        today
            .checked_sub(i64::from(self.0).days())
            .expect("retention days are bounded")
    }
}

/// The civil day (in `tz`) that `at` falls on.
pub fn day_of(at: Timestamp, tz: &TimeZone) -> Date {
    at.to_zoned(tz.clone()).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    #[test]
    fn n6_1_ten_days_counted_from_the_day_after() {
        let days = RetentionDays::new(10).unwrap();
        let recorded = jiff::civil::date(2026, 11, 1);
        // Kept through 11 November, gone from the start of 12 November, Tokyo time.
        let expires = days.expires_at(recorded, &tokyo());
        assert_eq!(expires.to_string(), "2026-11-11T15:00:00Z");
    }

    #[test]
    fn n6_1_oldest_kept_day_is_today_minus_n() {
        let days = RetentionDays::new(10).unwrap();
        let just_before: Timestamp = "2026-11-11T14:59:59Z".parse().unwrap();
        let just_after: Timestamp = "2026-11-11T15:00:00Z".parse().unwrap();
        assert_eq!(
            days.oldest_kept_day(just_before, &tokyo()),
            jiff::civil::date(2026, 11, 1)
        );
        assert_eq!(
            days.oldest_kept_day(just_after, &tokyo()),
            jiff::civil::date(2026, 11, 2)
        );
    }

    #[test]
    fn t5_3_retention_must_be_positive_and_bounded() {
        assert!(RetentionDays::new(0).is_err());
        assert!(RetentionDays::new(-3).is_err());
        assert!(RetentionDays::new(366).is_err());
        assert!(RetentionDays::new(1).is_ok());
    }

    #[test]
    fn a_day_is_a_tokyo_day() {
        let late_utc: Timestamp = "2026-11-01T16:00:00Z".parse().unwrap();
        assert_eq!(day_of(late_utc, &tokyo()), jiff::civil::date(2026, 11, 2));
    }
}
