//! The statistics the ward publishes every year, as Japanese cities do (issue 14): footage
//! retrieved and given to outside bodies, by month and by the ground it was given on (T6.1 a–e,
//! N11.1), emergency retrievals and holds, and the inquiries and complaints the public sent and
//! the ward answered (T3.3 c, T8).
//!
//! They are counted from the ledger, not from the office's tables, and only over the events a
//! signed checkpoint covers: the page names the checkpoint (its size and root), so anyone who
//! holds the log up to it (`mimamori ledger dump`) can count the same events and get the same
//! figures. Months are the ward's calendar months. Nothing names a person or a case (N12).

use std::collections::{BTreeMap, HashMap};

use jiff::tz::TimeZone;
use mimamori_db::{from_us, EventBody, EventKind, EventRow};
use mimamori_policy::inquiry::Category;
use mimamori_policy::RequestId;

use crate::error::ApiError;
use crate::OfficeState;

/// One month's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MonthCounts {
    /// `2026-11`, in the ward's time zone.
    pub month: String,
    /// Packages of footage retrieved (`retrieval_done`, N9.3).
    pub retrievals: u64,
    /// Footage handed over to an outside body (`handed_over`, T6.2).
    pub provisions: u64,
    /// Emergency retrievals allowed to delegated staff (`emergency_authorized`, N11.1).
    pub emergencies: u64,
    /// Holds placed (`hold_added`, T5.3).
    pub holds: u64,
    /// Inquiries of every kind received (`inquiry_received`, T3.3 c).
    pub inquiries: u64,
    /// Of them, complaints (T8).
    pub complaints: u64,
    /// Inquiries given their first answer, or turned into a provision request (T6.1 d), this
    /// month (`inquiry_answered` marked first, `inquiry_provision_started`).
    pub answered: u64,
}

/// Retrievals and provisions on one ground.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BasisCounts {
    /// The rule: `T6.1a` … `T6.1e`, or `N11.1` for an emergency retrieval.
    pub basis: String,
    pub retrievals: u64,
    pub provisions: u64,
}

/// The figures over the events a signed checkpoint covers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statistics {
    /// How many events the checkpoint covers (events 0 … size − 1 of the log).
    pub checkpoint_size: u64,
    /// Its root hash, hex.
    pub checkpoint_root: String,
    pub months: Vec<MonthCounts>,
    pub bases: Vec<BasisCounts>,
}

/// The kinds the statistics read.
pub const KINDS: [EventKind; 9] = [
    EventKind::OrderIssued,
    EventKind::ProvisionRegistered,
    EventKind::EmergencyAuthorized,
    EventKind::RetrievalDone,
    EventKind::HandedOver,
    EventKind::HoldAdded,
    EventKind::InquiryReceived,
    EventKind::InquiryAnswered,
    EventKind::InquiryProvisionStarted,
];

/// The counts of the ground `request` was ordered or registered on ("?" for one the log does
/// not say: an order written before the count's first event).
fn basis_entry<'a>(
    bases: &'a mut BTreeMap<String, BasisCounts>,
    basis_of: &HashMap<RequestId, String>,
    request: RequestId,
) -> &'a mut BasisCounts {
    let name = basis_of
        .get(&request)
        .cloned()
        .unwrap_or_else(|| "?".to_owned());
    bases.entry(name.clone()).or_insert_with(|| BasisCounts {
        basis: name,
        ..BasisCounts::default()
    })
}

/// Counts `events` (time in µs and body, in log order) by month in `tz` and by ground.
pub fn count(events: &[(i64, EventBody)], tz: &TimeZone) -> (Vec<MonthCounts>, Vec<BasisCounts>) {
    let mut basis_of: HashMap<RequestId, String> = HashMap::new();
    let mut months: BTreeMap<String, MonthCounts> = BTreeMap::new();
    let mut bases: BTreeMap<String, BasisCounts> = BTreeMap::new();
    for (time_us, body) in events {
        let local = from_us(*time_us).to_zoned(tz.clone());
        let month = format!("{:04}-{:02}", local.year(), local.month());
        let m = months.entry(month.clone()).or_insert_with(|| MonthCounts {
            month,
            ..MonthCounts::default()
        });
        match body {
            EventBody::OrderIssued(o) => {
                basis_of.insert(o.request, o.basis_rule.id().to_owned());
            }
            EventBody::ProvisionRegistered(p) => {
                basis_of.insert(p.request, p.basis_rule.id().to_owned());
            }
            EventBody::EmergencyAuthorized(e) => {
                basis_of.insert(e.request, "N11.1".to_owned());
                m.emergencies += 1;
            }
            EventBody::RetrievalDone(r) => {
                m.retrievals += 1;
                basis_entry(&mut bases, &basis_of, r.request).retrievals += 1;
            }
            EventBody::HandedOver(h) => {
                m.provisions += 1;
                basis_entry(&mut bases, &basis_of, h.request).provisions += 1;
            }
            EventBody::HoldAdded(_) => m.holds += 1,
            EventBody::InquiryReceived(i) => {
                m.inquiries += 1;
                m.complaints += u64::from(i.category == Category::Complaint);
            }
            EventBody::InquiryAnswered(a) => m.answered += u64::from(a.first),
            EventBody::InquiryProvisionStarted(_) => m.answered += 1,
            _ => {}
        }
    }
    // A month with only orders in it has nothing to publish.
    let months = months
        .into_values()
        .filter(|m| {
            m.retrievals + m.provisions + m.emergencies + m.holds + m.inquiries + m.answered > 0
        })
        .collect();
    (months, bases.into_values().collect())
}

/// The statistics at the latest signed checkpoint; `None` before the first.
pub async fn statistics(office: &OfficeState) -> Result<Option<Statistics>, ApiError> {
    let Some(checkpoint) = office.db.latest_checkpoint().await? else {
        return Ok(None);
    };
    let size = checkpoint.size;
    let rows: Vec<EventRow> = office.db.events_of_kinds(&KINDS).await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows.into_iter().filter(|r| r.id <= size) {
        let body = row.body().map_err(ApiError::internal)?;
        events.push((row.time_us, body));
    }
    let (months, bases) = count(&events, &office.policy.ward.time_zone);
    Ok(Some(Statistics {
        checkpoint_size: size as u64,
        checkpoint_root: hex::encode(&checkpoint.root),
        months,
        bases,
    }))
}

#[cfg(test)]
mod tests {
    use mimamori_db::vocabulary::{Basis, Closed, HoldAdded};
    use mimamori_policy::chain::LegalBasis;
    use mimamori_policy::Rule;

    use super::*;

    fn at(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_microsecond()
    }

    fn order(request: i64, rule: Rule) -> EventBody {
        EventBody::OrderIssued(mimamori_db::vocabulary::OrderIssued {
            request: RequestId::new(request),
            purpose: "p".into(),
            reason: "r".into(),
            basis: Basis {
                kind: LegalBasis::Law,
                facts: Default::default(),
            },
            basis_rule: rule,
        })
    }

    fn done(request: i64) -> EventBody {
        let clip = mimamori_db::vocabulary::ClipRecord {
            range: mimamori_db::vocabulary::CameraRange {
                camera: "cam1".into(),
                site: None,
                from: "2026-11-01T00:00:00Z".parse().unwrap(),
                to: "2026-11-01T00:10:00Z".parse().unwrap(),
            },
            clip_sha256: "0".repeat(64),
            clip_bytes: 1,
            export_started_event: 1,
            export_finished_event: 2,
        };
        let r = mimamori_db::vocabulary::RetrievalDone::new(
            RequestId::new(request),
            "g".into(),
            "pc-1".into(),
            "m".into(),
            vec![clip],
        )
        .unwrap();
        EventBody::RetrievalDone(r)
    }

    /// Months are the ward's: 2026-11-30T15:30Z is already December in Tokyo. A retrieval
    /// counts under its order's ground; a cancelled order counts nothing.
    #[test]
    fn retrievals_count_by_the_wards_month_and_their_orders_ground() {
        let hold = EventBody::HoldAdded(HoldAdded {
            hold_id: 1,
            camera: "cam1".into(),
            from: None,
            to: None,
            until: None,
            reason: "r".into(),
            decided_by: None,
        });
        let cancelled = EventBody::RequestCancelled(Closed {
            request: RequestId::new(3),
            reason: "取り下げ".into(),
        });
        let events = vec![
            (at("2026-11-10T01:00:00Z"), order(1, Rule::T6_1b)),
            (at("2026-11-10T02:00:00Z"), done(1)),
            (at("2026-11-30T15:00:00Z"), order(2, Rule::T6_1a)),
            (at("2026-11-30T15:30:00Z"), done(2)),
            (at("2026-11-30T16:00:00Z"), order(3, Rule::T6_1b)),
            (at("2026-11-30T16:10:00Z"), cancelled),
            (at("2026-12-02T00:00:00Z"), hold),
        ];
        let tz = TimeZone::get("Asia/Tokyo").unwrap();
        let (months, bases) = count(&events, &tz);
        let by_month: Vec<(&str, u64, u64)> = months
            .iter()
            .map(|m| (m.month.as_str(), m.retrievals, m.holds))
            .collect();
        assert_eq!(by_month, vec![("2026-11", 1, 0), ("2026-12", 1, 1)]);
        let by_basis: Vec<(&str, u64)> = bases
            .iter()
            .map(|b| (b.basis.as_str(), b.retrievals))
            .collect();
        assert_eq!(by_basis, vec![("T6.1a", 1), ("T6.1b", 1)]);
    }
}
