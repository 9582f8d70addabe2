//! Dates as Japanese official documents write them: in the era (令和), in Japan time.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The first day of 令和 (Reiwa).
const REIWA: Date = Date::constant(2019, 5, 1);
/// The first day of 平成 (Heisei).
const HEISEI: Date = Date::constant(1989, 1, 8);

fn era_year(date: Date) -> String {
    let (era, first) = if date >= REIWA {
        ("令和", 2019)
    } else if date >= HEISEI {
        ("平成", 1989)
    } else {
        return format!("{}年", date.year());
    };
    match i32::from(date.year()) - first + 1 {
        1 => format!("{era}元年"),
        n => format!("{era}{n}年"),
    }
}

fn japan(t: Timestamp) -> jiff::Zoned {
    let tz = TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::UTC);
    t.to_zoned(tz)
}

/// `令和8年11月30日`: the day in Japan of a moment.
pub fn reiwa_date(t: Timestamp) -> String {
    let z = japan(t);
    format!("{}{}月{}日", era_year(z.date()), z.month(), z.day())
}

/// `令和8年11月30日 9時05分`, in Japan time.
pub fn reiwa_date_time(t: Timestamp) -> String {
    let z = japan(t);
    format!("{} {}時{:02}分", reiwa_date(t), z.hour(), z.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eras_begin_with_gannen() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(reiwa_date(at("2026-11-30T03:00:00Z")), "令和8年11月30日");
        // Japan is nine hours ahead: 15:00 UTC is the next day there.
        assert_eq!(reiwa_date(at("2026-11-30T15:00:00Z")), "令和8年12月1日");
        assert_eq!(
            reiwa_date(at("2019-05-01T00:00:00+09:00")),
            "令和元年5月1日"
        );
        assert_eq!(
            reiwa_date(at("2019-04-30T12:00:00+09:00")),
            "平成31年4月30日"
        );
        assert_eq!(
            reiwa_date_time(at("2026-11-30T00:05:00Z")),
            "令和8年11月30日 9時05分"
        );
    }
}
