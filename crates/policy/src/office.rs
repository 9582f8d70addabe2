//! The `[office]` section: the guideline's blanks about people, sign-in and the request chain
//! (T3 whether the Manager may also operate, N3.3.1 password rotation, N11.1 when an emergency
//! retrieval is allowed and how soon Form 3 is due).

use std::net::IpAddr;
use std::time::Duration;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Deserialize;

use crate::file::{path, Validator};
use crate::inquiry::Inquiries;

/// The office's rules, validated.
#[derive(Debug, Clone)]
pub struct Office {
    /// T3: "the Manager may also be the Operator". When false, nobody holding the Manager role
    /// may also be appointed Operations lead or Image handler (separation of duties).
    pub manager_may_operate: bool,
    /// N3.1c, N3.3.1: a password older than this must be changed before anything else.
    pub password_rotation: Duration,
    /// Failed sign-ins in a row that lock an account.
    pub lockout_attempts: u32,
    /// How long a locked account stays locked.
    pub lockout: Duration,
    /// A session ends this long after its last use.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however busy (issue 11, #11).
    pub session_max: Duration,
    /// A new account's enrolment code must be used within this time (N3.3.1; issue 11, #1).
    pub enrolment_lifetime: Duration,
    /// A proposed appointment of a Manager or an Administrator waits this long for a second
    /// person's confirmation (N7.2; issue 11, #1).
    pub confirmation_lifetime: Duration,
    /// A retrieval grant must be used within this time (single use in any case).
    pub grant_lifetime: Duration,
    /// The longest an instruction may stay open (N9.2).
    pub instruction_max: Duration,
    /// N3.3.1: the Manager and the Operations lead sign in with a TOTP code as well.
    pub second_factor_for_leads: bool,
    /// The server's limits (issue 11, #10): a request's headers must arrive within
    /// `header_timeout`, a request is answered within `request_timeout` (the export of a
    /// retrieval included), and at most `max_connections` are open at once.
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: u32,
    /// Sign-ins and enrolments one network address may try a minute (issue 11, #9).
    pub signin_attempts_per_minute: u32,
    /// Refusals of one signed-in person recorded a minute; beyond it they are refused but not
    /// recorded, so a script cannot flood the ledger (issue 11, #17).
    pub refusals_recorded_per_minute: u32,
    pub emergency: Emergency,
    /// T8: how soon the public is answered, and how much one address may send.
    pub inquiries: Inquiries,
    /// The ward's own reverse proxies: a request from one of them is counted (sign-ins, the
    /// inquiry form) by the client address its `X-Forwarded-For` names, not the proxy's.
    pub trusted_proxies: Vec<IpAddr>,
}

/// N11.1: when delegated staff may retrieve without a prior order, and the Form 3 deadline.
#[derive(Debug, Clone)]
pub struct Emergency {
    /// Office hours on weekdays; outside them (and all day on weekends and holidays) is "night
    /// or holiday".
    pub office_opens: Time,
    pub office_closes: Time,
    pub holidays: Vec<Date>,
    /// Form 3 (様式第3号) is due this long after the emergency retrieval (N11.1 "without delay").
    pub form3_deadline: Duration,
    /// N11.3 (issue 11, #4): a delegated terminal's history of a month is due by this day of
    /// the next month (1–28); after it, a missing one raises an alert for the Manager.
    pub history_due_day: i8,
}

impl Emergency {
    /// N11.1: is `at` night or a holiday in the ward's time zone?
    pub fn is_night_or_holiday(&self, at: Timestamp, tz: &TimeZone) -> bool {
        let local = at.to_zoned(tz.clone());
        let weekend = matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday);
        let time = local.time();
        weekend
            || self.holidays.contains(&local.date())
            || time < self.office_opens
            || time >= self.office_closes
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOffice {
    #[serde(default)]
    manager_may_operate: bool,
    #[serde(default = "defaults::password_rotation_days")]
    password_rotation_days: f64,
    #[serde(default = "defaults::lockout_attempts")]
    lockout_attempts: i64,
    #[serde(default = "defaults::lockout_minutes")]
    lockout_minutes: f64,
    #[serde(default = "defaults::session_minutes")]
    session_minutes: f64,
    #[serde(default = "defaults::session_max_hours")]
    session_max_hours: f64,
    #[serde(default = "defaults::enrolment_hours")]
    enrolment_hours: f64,
    #[serde(default = "defaults::confirmation_hours")]
    confirmation_hours: f64,
    #[serde(default = "defaults::grant_minutes")]
    grant_minutes: f64,
    #[serde(default = "defaults::instruction_max_days")]
    instruction_max_days: f64,
    #[serde(default)]
    second_factor_for_leads: bool,
    #[serde(default = "defaults::header_timeout_seconds")]
    header_timeout_seconds: f64,
    #[serde(default = "defaults::request_timeout_seconds")]
    request_timeout_seconds: f64,
    #[serde(default = "defaults::max_connections")]
    max_connections: i64,
    #[serde(default = "defaults::signin_attempts_per_minute")]
    signin_attempts_per_minute: i64,
    #[serde(default = "defaults::refusals_recorded_per_minute")]
    refusals_recorded_per_minute: i64,
    #[serde(default)]
    emergency: RawEmergency,
    #[serde(default)]
    inquiries: RawInquiries,
    #[serde(default)]
    trusted_proxies: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInquiries {
    #[serde(default = "defaults::answer_within_days")]
    answer_within_days: f64,
    #[serde(default = "defaults::inquiries_per_address_per_hour")]
    per_address_per_hour: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEmergency {
    #[serde(default = "defaults::office_opens")]
    office_opens: String,
    #[serde(default = "defaults::office_closes")]
    office_closes: String,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default = "defaults::form3_deadline_hours")]
    form3_deadline_hours: f64,
    #[serde(default = "defaults::history_due_day")]
    history_due_day: i64,
}

mod defaults {
    pub fn password_rotation_days() -> f64 {
        90.0
    }
    pub fn lockout_attempts() -> i64 {
        5
    }
    pub fn lockout_minutes() -> f64 {
        15.0
    }
    pub fn session_minutes() -> f64 {
        30.0
    }
    pub fn session_max_hours() -> f64 {
        12.0
    }
    pub fn enrolment_hours() -> f64 {
        72.0
    }
    pub fn header_timeout_seconds() -> f64 {
        10.0
    }
    pub fn request_timeout_seconds() -> f64 {
        300.0
    }
    pub fn max_connections() -> i64 {
        512
    }
    pub fn signin_attempts_per_minute() -> i64 {
        30
    }
    pub fn refusals_recorded_per_minute() -> i64 {
        60
    }
    pub fn confirmation_hours() -> f64 {
        72.0
    }
    pub fn grant_minutes() -> f64 {
        10.0
    }
    pub fn instruction_max_days() -> f64 {
        7.0
    }
    pub fn office_opens() -> String {
        "08:45".into()
    }
    pub fn office_closes() -> String {
        "17:30".into()
    }
    pub fn form3_deadline_hours() -> f64 {
        72.0
    }
    pub fn history_due_day() -> i64 {
        10
    }
    pub fn answer_within_days() -> f64 {
        14.0
    }
    pub fn inquiries_per_address_per_hour() -> i64 {
        5
    }
}

impl Default for RawOffice {
    fn default() -> Self {
        toml::from_str("").expect("every [office] field has a default")
    }
}

impl Default for RawInquiries {
    fn default() -> Self {
        toml::from_str("").expect("every [office.inquiries] field has a default")
    }
}

impl Default for RawEmergency {
    fn default() -> Self {
        toml::from_str("").expect("every [office.emergency] field has a default")
    }
}

const MINUTE: f64 = 60.0;
const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

impl Validator<'_> {
    pub(crate) fn office(&mut self, raw: RawOffice) -> Office {
        let at = |k: &str| path(&["office", k]);
        let attempts = raw.lockout_attempts;
        if !(1..=100).contains(&attempts) {
            self.refuse(
                at("lockout_attempts"),
                format!("{attempts} is out of range: must be 1–100 (1〜100で指定してください)"),
            );
        }
        let connections = raw.max_connections;
        if !(8..=65_536).contains(&connections) {
            self.refuse(
                at("max_connections"),
                format!(
                    "{connections} is out of range: must be 8–65536 (8〜65536で指定してください)"
                ),
            );
        }
        let per_minute = raw.signin_attempts_per_minute;
        if !(3..=10_000).contains(&per_minute) {
            self.refuse(
                at("signin_attempts_per_minute"),
                format!(
                    "{per_minute} is out of range: must be 3–10000 (3〜10000で指定してください)"
                ),
            );
        }
        let recorded = raw.refusals_recorded_per_minute;
        if !(10..=100_000).contains(&recorded) {
            self.refuse(
                at("refusals_recorded_per_minute"),
                format!(
                    "{recorded} is out of range: must be 10–100000 (10〜100000で指定してください)"
                ),
            );
        }
        Office {
            manager_may_operate: raw.manager_may_operate,
            password_rotation: self.span(
                at("password_rotation_days"),
                raw.password_rotation_days,
                (1.0, 730.0, DAY),
                "days (日)",
            ),
            lockout_attempts: attempts.clamp(1, 100) as u32,
            lockout: self.span(
                at("lockout_minutes"),
                raw.lockout_minutes,
                (1.0, 1440.0, MINUTE),
                "minutes (分)",
            ),
            session_idle: self.span(
                at("session_minutes"),
                raw.session_minutes,
                (1.0, 1440.0, MINUTE),
                "minutes (分)",
            ),
            session_max: self.span(
                at("session_max_hours"),
                raw.session_max_hours,
                (1.0, 72.0, HOUR),
                "hours (時間)",
            ),
            enrolment_lifetime: self.span(
                at("enrolment_hours"),
                raw.enrolment_hours,
                (1.0, 336.0, HOUR),
                "hours (時間)",
            ),
            confirmation_lifetime: self.span(
                at("confirmation_hours"),
                raw.confirmation_hours,
                (1.0, 720.0, HOUR),
                "hours (時間)",
            ),
            grant_lifetime: self.span(
                at("grant_minutes"),
                raw.grant_minutes,
                (1.0, 120.0, MINUTE),
                "minutes (分)",
            ),
            instruction_max: self.span(
                at("instruction_max_days"),
                raw.instruction_max_days,
                (1.0, 90.0, DAY),
                "days (日)",
            ),
            second_factor_for_leads: raw.second_factor_for_leads,
            header_timeout: self.span(
                at("header_timeout_seconds"),
                raw.header_timeout_seconds,
                (1.0, 120.0, 1.0),
                "seconds (秒)",
            ),
            request_timeout: self.span(
                at("request_timeout_seconds"),
                raw.request_timeout_seconds,
                (5.0, 3600.0, 1.0),
                "seconds (秒)",
            ),
            max_connections: connections.clamp(8, 65_536) as u32,
            signin_attempts_per_minute: per_minute.clamp(3, 10_000) as u32,
            refusals_recorded_per_minute: recorded.clamp(10, 100_000) as u32,
            emergency: self.emergency(raw.emergency),
            inquiries: self.inquiries(raw.inquiries),
            trusted_proxies: self.trusted_proxies(&raw.trusted_proxies),
        }
    }

    fn trusted_proxies(&mut self, raw: &[String]) -> Vec<IpAddr> {
        let mut proxies = Vec::new();
        for (i, text) in raw.iter().enumerate() {
            match text.trim().parse::<IpAddr>() {
                Ok(ip) => proxies.push(ip),
                Err(_) => self.refuse(
                    path(&["office", "trusted_proxies"]).index(i),
                    format!(
                        "{text:?} is not an IP address such as \"127.0.0.1\" (IP アドレスの形式が不正です)"
                    ),
                ),
            }
        }
        proxies
    }

    fn inquiries(&mut self, raw: RawInquiries) -> Inquiries {
        let at = |k: &str| path(&["office", "inquiries", k]);
        let per_hour = raw.per_address_per_hour;
        if !(1..=1000).contains(&per_hour) {
            self.refuse(
                at("per_address_per_hour"),
                format!("{per_hour} is out of range: must be 1–1000 (1〜1000で指定してください)"),
            );
        }
        Inquiries {
            answer_within: self.span(
                at("answer_within_days"),
                raw.answer_within_days,
                (1.0, 90.0, DAY),
                "days (日)",
            ),
            per_address_per_hour: per_hour.clamp(1, 1000) as u32,
        }
    }

    fn emergency(&mut self, raw: RawEmergency) -> Emergency {
        let at = |k: &str| path(&["office", "emergency", k]);
        let time = |v: &mut Self, key: &str, text: &str| {
            text.parse::<Time>().unwrap_or_else(|_| {
                v.refuse(
                    at(key),
                    format!(
                        "{text:?} is not a time of day such as \"08:45\" (時刻の形式が不正です)"
                    ),
                );
                Time::midnight()
            })
        };
        let office_opens = time(self, "office_opens", &raw.office_opens);
        let office_closes = time(self, "office_closes", &raw.office_closes);
        if office_closes <= office_opens {
            self.refuse(
                at("office_closes"),
                "must be later than office_opens (終業時刻は始業時刻より後にしてください)",
            );
        }
        let mut holidays = Vec::new();
        for (i, text) in raw.holidays.iter().enumerate() {
            match text.parse::<Date>() {
                Ok(d) => holidays.push(d),
                Err(_) => self.refuse(
                    at("holidays").index(i),
                    format!("{text:?} is not a date such as \"2026-12-29\" (日付の形式が不正です)"),
                ),
            }
        }
        if !(1..=28).contains(&raw.history_due_day) {
            self.refuse(
                at("history_due_day"),
                format!(
                    "{} is out of range: must be a day 1–28 (1〜28日で指定してください)",
                    raw.history_due_day
                ),
            );
        }
        Emergency {
            office_opens,
            office_closes,
            holidays,
            history_due_day: raw.history_due_day.clamp(1, 28) as i8,
            form3_deadline: self.span(
                at("form3_deadline_hours"),
                raw.form3_deadline_hours,
                (1.0, 720.0, HOUR),
                "hours (時間)",
            ),
        }
    }
}
