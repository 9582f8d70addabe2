//! The policy's decisions as a flat list an auditor reads (issue 11, #20): which cameras, how
//! long footage is kept, who may hold which roles, when an emergency is allowed. A changed policy
//! file used to leave no trace; now each start with a changed file is a ledger event carrying
//! the file's SHA-256, these settings, and what changed since the last one.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::camera::{CredentialsRef, Transport};
use crate::Policy;

fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

impl Policy {
    /// Every setting that decides what the office allows, by dotted name. Secrets are not here
    /// (camera credentials are named by where they live, not by value).
    pub fn settings(&self) -> BTreeMap<String, String> {
        let mut s = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            s.insert(k.to_owned(), v);
        };
        set("ward.name", self.ward.name.clone());
        set("ward.operator", self.ward.operator.clone());
        set("ward.code", self.ward.code.clone().unwrap_or("none".into()));
        set("ward.contact", self.ward.contact.clone());
        set(
            "ward.boundary",
            self.ward
                .boundary
                .as_ref()
                .map_or("none".into(), |b| b.display().to_string()),
        );
        set(
            "ward.time_zone",
            self.ward.time_zone.iana_name().unwrap_or("?").to_owned(),
        );
        set("retention.days", self.retention.days.get().to_string());
        set(
            "retention.storage_cap_bytes",
            self.retention
                .storage_cap
                .map_or("none".into(), |c| c.0.to_string()),
        );
        set("ledger.origin", self.ledger.origin.clone());
        let o = &self.office;
        set(
            "office.manager_may_operate",
            o.manager_may_operate.to_string(),
        );
        set(
            "office.second_factor_for_leads",
            o.second_factor_for_leads.to_string(),
        );
        let proxies: Vec<String> = o.trusted_proxies.iter().map(|p| p.to_string()).collect();
        set("office.trusted_proxies", proxies.join(","));
        set("office.password_rotation", secs(o.password_rotation));
        set("office.lockout_attempts", o.lockout_attempts.to_string());
        set("office.lockout", secs(o.lockout));
        set("office.session_idle", secs(o.session_idle));
        set("office.session_max", secs(o.session_max));
        set("office.enrolment_lifetime", secs(o.enrolment_lifetime));
        set(
            "office.confirmation_lifetime",
            secs(o.confirmation_lifetime),
        );
        set("office.grant_lifetime", secs(o.grant_lifetime));
        set("office.instruction_max", secs(o.instruction_max));
        set("office.header_timeout", secs(o.header_timeout));
        set("office.request_timeout", secs(o.request_timeout));
        set("office.max_connections", o.max_connections.to_string());
        set(
            "office.signin_attempts_per_minute",
            o.signin_attempts_per_minute.to_string(),
        );
        set(
            "office.refusals_recorded_per_minute",
            o.refusals_recorded_per_minute.to_string(),
        );
        let e = &o.emergency;
        set("office.emergency.office_opens", e.office_opens.to_string());
        set(
            "office.emergency.office_closes",
            e.office_closes.to_string(),
        );
        let holidays: Vec<String> = e.holidays.iter().map(|d| d.to_string()).collect();
        set("office.emergency.holidays", holidays.join(","));
        set("office.emergency.form3_deadline", secs(e.form3_deadline));
        set(
            "office.emergency.history_due_day",
            e.history_due_day.to_string(),
        );
        let q = &o.inquiries;
        set("office.inquiries.answer_within", secs(q.answer_within));
        set(
            "office.inquiries.per_address_per_hour",
            q.per_address_per_hour.to_string(),
        );
        for cam in &self.cameras {
            let credentials = match &cam.credentials {
                None => format!(
                    "none ({})",
                    cam.no_credentials_reason.as_deref().unwrap_or("?")
                ),
                Some(CredentialsRef::Env(name)) => format!("env {name}"),
                Some(CredentialsRef::File(path)) => format!("file {}", path.display()),
            };
            let transport = match cam.transport {
                Transport::Tcp => "tcp",
                Transport::Udp => "udp",
            };
            set(
                &format!("camera.{}", cam.id),
                format!(
                    "{} @ {}; {} ({transport}); credentials: {credentials}",
                    cam.name, cam.site, cam.url
                ),
            );
        }
        s
    }
}

/// What changed from `old` to `new`, one line per setting: `name: old → new`, `name: added
/// (value)`, `name: removed (value)`.
pub fn settings_changes(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            None => out.push(format!("{k}: added ({v})")),
            Some(was) if was != v => out.push(format!("{k}: {was} → {v}")),
            Some(_) => {}
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            out.push(format!("{k}: removed ({v})"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const ONE: &str = r#"
[ward]
name = "テスト区"
operator = "テスト区役所"
[retention]
days = 10
[[camera]]
id = "cam1"
name = "駅前"
site = "1丁目"
url = "rtsp://127.0.0.1:1/cam1"
without_credentials = "テスト用"
"#;

    #[test]
    fn n3_2_1_a_changed_policy_says_what_changed() {
        let a = Policy::parse(ONE, Path::new("p.toml")).unwrap();
        let b = Policy::parse(
            &ONE.replace("days = 10", "days = 30")
                .replace("駅前", "駅前広場"),
            Path::new("p.toml"),
        )
        .unwrap();
        assert_ne!(a.source_sha256, b.source_sha256);
        let changes = settings_changes(&a.settings(), &b.settings());
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(
            changes.contains(&"retention.days: 10 → 30".to_owned()),
            "{changes:?}"
        );
        assert!(
            changes[0].starts_with("camera.cam1: 駅前 @ 1丁目"),
            "{changes:?}"
        );
        assert!(settings_changes(&a.settings(), &a.settings()).is_empty());
        let none = settings_changes(&BTreeMap::new(), &a.settings());
        assert!(none.iter().all(|c| c.contains(": added (")), "{none:?}");
    }
}
