use super::*;
use mimamori_policy::chain::LegalBasis;
use mimamori_policy::RequestId;

#[test]
fn every_kind_has_its_own_name() {
    let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), EventKind::ALL.len());
    for &kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn n9_1_an_order_reads_back_as_written_with_its_rule_and_action() {
    let body = EventBody::OrderIssued(OrderIssued {
        request: RequestId::new(7),
        purpose: "ひったくり事件の確認".into(),
        reason: "110番通報".into(),
        basis: Basis {
            kind: LegalBasis::Law,
            facts: [("law".to_owned(), "刑事訴訟法第197条第2項".to_owned())].into(),
        },
        basis_rule: Rule::T6_1a,
    });
    let (kind, detail) = body.to_parts();
    assert_eq!(kind.as_str(), "order_issued");
    assert_eq!(
        detail,
        serde_json::json!({ "request": 7, "purpose": "ひったくり事件の確認",
            "reason": "110番通報", "basis": { "kind": "t6_1_a", "law": "刑事訴訟法第197条第2項" },
            "basis_rule": "T6.1a" })
    );
    let back = EventBody::from_parts("order_issued", Some("N9.1"), detail).unwrap();
    assert_eq!(back, body);
    assert_eq!(back.rules().to_string(), "N9.1");
    assert_eq!(back.action(), Some(Action::IssueOrder));
    assert_eq!(back.outcome(), Outcome::Done);
    assert_eq!(back.request(), Some(RequestId::new(7)));
}

#[test]
fn a_refusal_keeps_its_rule_outside_its_payload() {
    let body = EventBody::Refused(Refused {
        code: "role_not_permitted".into(),
        refused: "order_issued".into(),
        rule: Rule::N9_1,
    });
    let (_, detail) = body.to_parts();
    assert_eq!(
        detail,
        serde_json::json!({ "code": "role_not_permitted", "refused": "order_issued" })
    );
    let back = EventBody::from_parts("refused", Some("N9.1"), detail.clone()).unwrap();
    assert_eq!(
        (back.rules().to_string(), back.outcome()),
        ("N9.1".into(), Outcome::Refused)
    );
    assert!(EventBody::from_parts("refused", Some("N9.9"), detail).is_err());
}

#[test]
fn unknown_kinds_and_wrong_payloads_are_errors_not_defaults() {
    assert!(EventBody::from_parts("probe", None, serde_json::json!({})).is_err());
    let bad = serde_json::json!({ "request": "seven", "grant": "g" });
    let err = EventBody::from_parts("retrieval_started", Some("N9.3"), bad).unwrap_err();
    assert_eq!(err.kind, "retrieval_started");
}

#[test]
fn an_export_ends_done_or_failed_by_its_payload() {
    let failed = serde_json::json!({ "camera": "cam1", "error": "disk full" });
    let body = EventBody::from_parts("export_finished", None, failed).unwrap();
    assert_eq!(body.outcome(), Outcome::Failed);
    assert!(body.rules().0.is_empty());
}

#[test]
fn n6_1_an_erasure_cites_the_rules_of_its_trigger() {
    let erasure = |trigger| {
        EventBody::Erasure(Erasure {
            run_id: 1,
            trigger,
            method: "crypto-shred+overwrite".into(),
            erased: vec![],
        })
    };
    assert_eq!(
        erasure(ErasureTrigger::Retention).rules().to_string(),
        "N6.1,N6.2,T5.4"
    );
    assert_eq!(
        erasure(ErasureTrigger::StorageCap).rules().to_string(),
        "N6.2,T5.4"
    );
}

/// N4.1: a site's event carries integers and dates only, so it has canonical bytes, and reads
/// back as written with the Manager's action.
#[test]
fn n4_1_a_chosen_site_reads_back_with_integers_only() {
    use mimamori_policy::register::{Position, View};
    let body = EventBody::CameraSiteChosen(CameraSiteChosen {
        camera: "cam1".into(),
        address: "見守り区本町1-1".into(),
        position: Position::from_degrees(35.681236, 139.767125).unwrap(),
        details: CameraDetails {
            name: "駅前交差点".into(),
            view: View::new(45, 90, 30).unwrap(),
            height_cm: Some(450),
            privacy_notes: "住宅の窓をマスク".into(),
        },
        basis: SiteBasis {
            document: "見守り署生安第12号".into(),
            date: "2026-10-01".parse().unwrap(),
            summary: "ひったくり多発".into(),
        },
    });
    let (kind, detail) = body.to_parts();
    assert_eq!(kind.as_str(), "camera_site_chosen");
    assert_eq!(detail["lat_udeg"], 35_681_236);
    assert_eq!(detail["bearing_deg"], 45);
    assert_eq!(detail["basis"]["date"], "2026-10-01");
    assert!(crate::canonical::canonical_json(&detail).is_ok());
    let back = EventBody::from_parts("camera_site_chosen", Some("N4.1"), detail).unwrap();
    assert_eq!(back, body);
    assert_eq!(back.action(), Some(Action::ChooseSite));
    assert_eq!(back.rules().0, &[Rule::N4_1]);
}
