//! Every role × every action, against a table written out from the guideline by hand (not
//! derived from [`Action::permitted`], so the two must agree rather than trivially match).

use super::*;
use crate::chain::{RequestKind, RequestState, Step};
use crate::Rule;
use jiff::Timestamp;

/// (action, roles that may) — from N7, N9, N10, N11, T3–T6.
fn guideline_table() -> Vec<(Action, Vec<Role>)> {
    use Role::*;
    let wards_footage = vec![Manager, OperationsLead, ImageHandler];
    vec![
        (Action::ManageAccounts, vec![Administrator]),
        (Action::Appoint(Administrator), vec![Administrator]),
        (Action::Appoint(Manager), vec![Administrator]),
        (Action::Appoint(OperationsLead), vec![Manager]),
        (Action::Appoint(ImageHandler), vec![Manager]),
        (Action::Appoint(DelegatedStaff), vec![Manager]),
        (Action::Appoint(Auditor), vec![Administrator, Manager]),
        (Action::ConfirmAppointment, vec![Administrator, Manager]),
        (Action::RegisterTerminal, vec![OperationsLead]),
        (Action::RevokeTerminal, vec![OperationsLead]),
        (Action::IssueOrder, vec![Manager]),
        (Action::RegisterProvision, wards_footage.clone()),
        (Action::Chain(Step::Accept), vec![Manager]),
        (Action::Chain(Step::Decline), vec![Manager]),
        (Action::Chain(Step::Instruct), vec![OperationsLead]),
        (Action::Chain(Step::Retrieve), vec![ImageHandler]),
        (Action::Chain(Step::Report), vec![ImageHandler]),
        (Action::Chain(Step::HandOver), wards_footage),
        (Action::Chain(Step::RecordForm3), vec![ImageHandler]),
        (Action::Chain(Step::Cancel), vec![Manager]),
        (Action::RecordDelegation, vec![Manager]),
        (Action::EmergencyRetrieve, vec![DelegatedStaff]),
        (Action::PlaceHold, vec![Manager]),
        (
            Action::ReadRecords,
            vec![Manager, OperationsLead, ImageHandler, Auditor],
        ),
        (Action::ReconcileHistory, vec![Manager, OperationsLead]),
        (
            Action::CorrectRecord,
            vec![Manager, OperationsLead, ImageHandler],
        ),
        (Action::AcknowledgePledge, Role::ALL.to_vec()),
        (Action::ChangeOwnPassword, Role::ALL.to_vec()),
        (Action::EnrollSecondFactor, Role::ALL.to_vec()),
        (Action::ChooseSite, vec![Manager]),
        (Action::RecordCameraWork, vec![Manager, OperationsLead]),
        (Action::RemoveCamera, vec![Manager]),
        // T3.3 c: the Manager and the Operator answer the public; T8: the Manager answers for
        // it. The Auditor reads how they did.
        (
            Action::ReadInquiries,
            vec![Manager, OperationsLead, Auditor],
        ),
        (Action::HandleInquiry, vec![Manager, OperationsLead]),
        (Action::ManageInquiry, vec![Manager]),
    ]
}

fn actor(roles: &[Role]) -> Actor<'_> {
    Actor {
        login: "someone",
        roles,
        pledged: true,
        password_due: false,
        second_factor_missing: false,
    }
}

#[test]
fn n7_1_n7_2_n7_3_n7_4_t3_3_t4_every_role_times_every_action() {
    let table = guideline_table();
    assert_eq!(
        table.len(),
        Action::all().len(),
        "the table covers every action"
    );
    let mut checked = 0;
    for (action, allowed) in &table {
        for role in Role::ALL {
            let got = decide(&actor(&[role]), *action);
            let want = allowed.contains(&role);
            assert_eq!(got.is_ok(), want, "{role:?} {action:?}: {got:?}");
            if let Err(refusal) = got {
                assert_eq!(refusal.code, "role_not_permitted");
                assert!(refusal.rule.id().starts_with(['N', 'T']));
                assert!(!refusal.ja.is_empty());
            }
            checked += 1;
        }
    }
    assert_eq!(checked, Action::all().len() * Role::ALL.len());
}

#[test]
fn n7_no_roles_may_do_nothing_but_upkeep() {
    for action in Action::all() {
        let ok = decide(&actor(&[]), action).is_ok();
        assert_eq!(ok, action.is_account_upkeep(), "{action:?}");
    }
}

#[test]
fn n12_the_pledge_comes_before_anything_else() {
    let roles = Role::ALL;
    let unpledged = Actor {
        pledged: false,
        ..actor(&roles)
    };
    for action in Action::all() {
        match decide(&unpledged, action) {
            Ok(()) => assert!(action.is_account_upkeep(), "{action:?}"),
            Err(r) => assert_eq!((r.code, r.rule), ("pledge_required", Rule::N12)),
        }
    }
}

#[test]
fn n3_3_1_a_due_password_is_changed_first() {
    let roles = Role::ALL;
    let due = Actor {
        password_due: true,
        ..actor(&roles)
    };
    assert!(decide(&due, Action::ChangeOwnPassword).is_ok());
    let r = decide(&due, Action::IssueOrder).unwrap_err();
    assert_eq!((r.code, r.rule), ("password_change_due", Rule::N3_3_1));
}

fn office(manager_may_operate: bool) -> Office {
    let text = format!(
        "[ward]\nname = \"区\"\noperator = \"区役所\"\n[retention]\ndays = 10\n\
         [office]\nmanager_may_operate = {manager_may_operate}\n\
         [[camera]]\nid = \"c\"\nname = \"n\"\nsite = \"s\"\nurl = \"rtsp://127.0.0.1/x\"\n\
         without_credentials = \"t\"\n"
    );
    crate::Policy::parse(&text, std::path::Path::new("p.toml"))
        .unwrap()
        .office
}

#[test]
fn t3_the_manager_operates_only_where_the_policy_allows() {
    use Role::*;
    let strict = office(false);
    let r = decide_appointment(&strict, &[Manager], ImageHandler, false).unwrap_err();
    assert_eq!((r.code, r.rule), ("separation_of_duties", Rule::T3));
    let r = decide_appointment(&strict, &[OperationsLead], Manager, false).unwrap_err();
    assert_eq!(r.rule, Rule::T3);
    assert!(decide_appointment(&strict, &[OperationsLead], ImageHandler, false).is_ok());
    let lenient = office(true);
    assert!(decide_appointment(&lenient, &[Manager], ImageHandler, false).is_ok());
    assert!(decide_appointment(&lenient, &[Manager, ImageHandler], OperationsLead, false).is_ok());
}

#[test]
fn n10_3_delegated_staff_hold_no_ward_role() {
    use Role::*;
    let o = office(true);
    let r = decide_appointment(&o, &[ImageHandler], DelegatedStaff, true).unwrap_err();
    assert_eq!(r.rule, Rule::N10_3);
    let r = decide_appointment(&o, &[DelegatedStaff], ImageHandler, true).unwrap_err();
    assert_eq!(r.rule, Rule::N10_3);
    let r = decide_appointment(&o, &[], DelegatedStaff, false).unwrap_err();
    assert_eq!(r.rule, Rule::N10_3);
    let r = decide_appointment(&o, &[], ImageHandler, true).unwrap_err();
    assert_eq!(r.rule, Rule::N10_3);
    assert!(decide_appointment(&o, &[], DelegatedStaff, true).is_ok());
    let r = decide_appointment(&o, &[ImageHandler], ImageHandler, false).unwrap_err();
    assert_eq!(r.code, "already_appointed");
}

fn instructed<'a>(handler: &'a str, terminal: &'a str, now: Timestamp) -> RequestFacts<'a> {
    RequestFacts {
        kind: RequestKind::Internal,
        state: RequestState::Instructed,
        handler: Some(handler),
        terminal: Some(terminal),
        instruction_expires: Some(now + jiff::SignedDuration::from_hours(1)),
        retrieved_by: None,
        ordered_by: Some("mayor"),
        instructed_by: Some("lead"),
    }
}

const WARD_PC: TerminalFacts = TerminalFacts {
    id: "pc-1",
    revoked: false,
    delegated: false,
};

#[test]
fn n9_4_retrieval_needs_the_live_instruction_naming_the_handler() {
    let now = Timestamp::now();
    let roles = [Role::ImageHandler];
    let handler = Actor {
        login: "sato",
        ..actor(&roles)
    };
    let facts = instructed("sato", "pc-1", now);
    assert!(decide_step(&handler, &facts, Step::Retrieve, Some(&WARD_PC), now).is_ok());

    let other = Actor {
        login: "tanaka",
        ..handler.clone()
    };
    let r = decide_step(&other, &facts, Step::Retrieve, Some(&WARD_PC), now).unwrap_err();
    assert_eq!((r.code, r.rule), ("not_the_instructed_handler", Rule::N9_4));

    let later = now + jiff::SignedDuration::from_hours(2);
    let r = decide_step(&handler, &facts, Step::Retrieve, Some(&WARD_PC), later).unwrap_err();
    assert_eq!((r.code, r.rule), ("instruction_expired", Rule::N9_4));

    let ordered = RequestFacts {
        state: RequestState::Ordered,
        ..facts.clone()
    };
    let r = decide_step(&handler, &ordered, Step::Retrieve, Some(&WARD_PC), now).unwrap_err();
    assert_eq!((r.code, r.rule), ("illegal_transition", Rule::N9_4));
}

#[test]
fn n2_n8_retrieval_only_at_the_instructed_registered_terminal() {
    let now = Timestamp::now();
    let roles = [Role::ImageHandler];
    let handler = Actor {
        login: "sato",
        ..actor(&roles)
    };
    let facts = instructed("sato", "pc-1", now);
    let r = decide_step(&handler, &facts, Step::Retrieve, None, now).unwrap_err();
    assert_eq!((r.code, r.rule), ("unregistered_terminal", Rule::N2));
    let pc2 = TerminalFacts {
        id: "pc-2",
        ..WARD_PC
    };
    let r = decide_step(&handler, &facts, Step::Retrieve, Some(&pc2), now).unwrap_err();
    assert_eq!((r.code, r.rule), ("wrong_terminal", Rule::N8));
    let revoked = TerminalFacts {
        revoked: true,
        ..WARD_PC
    };
    let r = decide_step(&handler, &facts, Step::Retrieve, Some(&revoked), now).unwrap_err();
    assert_eq!((r.code, r.rule), ("terminal_revoked", Rule::N3_3));
}

#[test]
fn n9_3_the_retriever_reports() {
    let now = Timestamp::now();
    let roles = [Role::ImageHandler];
    let facts = RequestFacts {
        state: RequestState::Retrieved,
        retrieved_by: Some("sato"),
        ..instructed("sato", "pc-1", now)
    };
    let sato = Actor {
        login: "sato",
        ..actor(&roles)
    };
    assert!(decide_step(&sato, &facts, Step::Report, None, now).is_ok());
    let other = Actor {
        login: "suzuki",
        ..actor(&roles)
    };
    let r = decide_step(&other, &facts, Step::Report, None, now).unwrap_err();
    assert_eq!((r.code, r.rule), ("not_the_retriever", Rule::N9_3));
}

#[test]
fn n10_2_n10_4_n11_1_emergency_only_for_delegated_staff_at_night_at_their_terminal() {
    let o = office(false);
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    let roles = [Role::DelegatedStaff];
    let staff = actor(&roles);
    let police_pc = TerminalFacts {
        id: "police-1",
        revoked: false,
        delegated: true,
    };
    // Monday 2026-11-23 is a weekday (勤労感謝の日 is not in this policy's holiday list).
    let night: Timestamp = "2026-11-23T23:30:00+09:00".parse().unwrap();
    let noon: Timestamp = "2026-11-23T12:00:00+09:00".parse().unwrap();
    let saturday: Timestamp = "2026-11-21T12:00:00+09:00".parse().unwrap();
    let decide = |actor: &Actor, t: &TerminalFacts, in_force, reason, at| {
        decide_emergency(&o, &tz, actor, (Some(t), in_force), reason, at)
    };
    assert_eq!(
        decide(&staff, &police_pc, true, None, night),
        Ok(EmergencyHours::Listed)
    );
    assert_eq!(
        decide(&staff, &police_pc, true, None, saturday),
        Ok(EmergencyHours::Listed)
    );
    let r = decide(&staff, &police_pc, true, None, noon).unwrap_err();
    assert_eq!((r.code, r.rule), ("not_an_emergency_hour", Rule::N11_1));
    // Issue 11, #5: "nights, holidays and the like": in office hours with a stated reason.
    let r = decide(&staff, &police_pc, true, Some("  "), noon).unwrap_err();
    assert_eq!(r.code, "not_an_emergency_hour");
    let why = Some("逃走中の被疑者の追跡のため、区の指示を待てない");
    assert_eq!(
        decide(&staff, &police_pc, true, why, noon),
        Ok(EmergencyHours::OutsideWithReason)
    );
    let r = decide(&staff, &WARD_PC, true, None, night).unwrap_err();
    assert_eq!((r.code, r.rule), ("not_a_delegated_terminal", Rule::N10_4));
    let r = decide(&staff, &police_pc, false, why, night).unwrap_err();
    assert_eq!((r.code, r.rule), ("delegation_not_in_force", Rule::N10_2));
    let ward_roles = [Role::ImageHandler];
    let r = decide(&actor(&ward_roles), &police_pc, true, None, night).unwrap_err();
    assert_eq!(r.code, "role_not_permitted");
}

#[test]
fn n11_1_an_emergency_request_is_retrieved_by_its_delegated_staff_at_their_terminal() {
    let now = Timestamp::now();
    let police_pc = TerminalFacts {
        id: "police-1",
        revoked: false,
        delegated: true,
    };
    let facts = RequestFacts {
        kind: RequestKind::Emergency,
        state: RequestState::EmergencyAuthorized,
        ..instructed("yamada", "police-1", now)
    };
    let staff_roles = [Role::DelegatedStaff];
    let yamada = Actor {
        login: "yamada",
        ..actor(&staff_roles)
    };
    assert!(decide_step(&yamada, &facts, Step::Retrieve, Some(&police_pc), now).is_ok());
    let r = decide_step(&yamada, &facts, Step::Retrieve, Some(&WARD_PC), now).unwrap_err();
    assert_eq!((r.code, r.rule), ("wrong_terminal", Rule::N8));
    let handler_roles = [Role::ImageHandler];
    let handler = Actor {
        login: "yamada",
        ..actor(&handler_roles)
    };
    let r = decide_step(&handler, &facts, Step::Retrieve, Some(&police_pc), now).unwrap_err();
    assert_eq!((r.code, r.rule), ("role_not_permitted", Rule::N11_1));
    // And a ward request is never retrieved at a police terminal.
    let ward = instructed("yamada", "police-1", now);
    let r = decide_step(&handler, &ward, Step::Retrieve, Some(&police_pc), now).unwrap_err();
    assert_eq!(r.code, "wrong_terminal");
}

#[test]
fn n9_4_a_grant_is_used_once_before_it_expires_by_its_terminal() {
    let now = Timestamp::now();
    let good = GrantFacts {
        used: false,
        superseded: false,
        request_retrieved: false,
        expires: now + jiff::SignedDuration::from_mins(10),
        matches_request: true,
        terminal_signed: true,
    };
    assert!(decide_grant(&good, now).is_ok());
    let cases = [
        (
            GrantFacts {
                used: true,
                ..good.clone()
            },
            "grant_used",
            Rule::N9_4,
        ),
        (
            GrantFacts {
                superseded: true,
                ..good.clone()
            },
            "grant_superseded",
            Rule::N9_4,
        ),
        (
            GrantFacts {
                request_retrieved: true,
                ..good.clone()
            },
            "request_already_retrieved",
            Rule::N9_4,
        ),
        (
            GrantFacts {
                expires: now,
                ..good.clone()
            },
            "grant_expired",
            Rule::N9_4,
        ),
        (
            GrantFacts {
                matches_request: false,
                ..good.clone()
            },
            "grant_mismatch",
            Rule::N9_4,
        ),
        (
            GrantFacts {
                terminal_signed: false,
                ..good.clone()
            },
            "terminal_signature_invalid",
            Rule::N3_3,
        ),
    ];
    for (facts, code, rule) in cases {
        let r = decide_grant(&facts, now).unwrap_err();
        assert_eq!((r.code, r.rule), (code, rule));
    }
    assert_eq!(decide_history(false).unwrap_err().rule, Rule::N11_3);
}

#[test]
fn n3_3_1_leads_need_a_second_factor_when_the_policy_says_so() {
    use Role::*;
    let mut o = office(false);
    assert!(
        !needs_second_factor(&o, &[Manager], false),
        "off by default"
    );
    o.second_factor_for_leads = true;
    assert!(needs_second_factor(&o, &[Manager], false));
    assert!(needs_second_factor(&o, &[OperationsLead], false));
    assert!(!needs_second_factor(&o, &[Manager], true));
    assert!(!needs_second_factor(&o, &[ImageHandler], false));
    let roles = [Manager];
    let missing = Actor {
        second_factor_missing: true,
        ..actor(&roles)
    };
    let r = decide(&missing, Action::IssueOrder).unwrap_err();
    assert_eq!((r.code, r.rule), ("second_factor_required", Rule::N3_3_1));
    assert!(decide(&missing, Action::EnrollSecondFactor).is_ok());
}

#[test]
fn n9_3_a_form1_field_is_corrected_by_who_recorded_it_or_the_manager() {
    fn actor<'a>(login: &'a str, roles: &'a [Role]) -> Actor<'a> {
        Actor {
            login,
            roles,
            pledged: true,
            password_due: false,
            second_factor_missing: false,
        }
    }
    let lead = [Role::OperationsLead];
    assert!(decide_correction(&actor("lead", &lead), "lead").is_ok());
    let r = decide_correction(&actor("lead", &lead), "mayor").unwrap_err();
    assert_eq!((r.code, r.rule), ("not_your_record", Rule::N9_3));
    assert!(decide_correction(&actor("mayor", &[Role::Manager]), "sato").is_ok());
    let r = decide_correction(&actor("auditor", &[Role::Auditor]), "auditor").unwrap_err();
    assert_eq!(r.code, "role_not_permitted");
}

#[test]
fn n7_1_the_administrator_and_the_auditor_hold_no_chain_role() {
    use Role::*;
    let o = office(false);
    for role in [Manager, OperationsLead, ImageHandler, Auditor] {
        let r = decide_appointment(&o, &[Administrator], role, false).unwrap_err();
        assert_eq!(
            (r.code, r.rule),
            ("administrator_separate", Rule::N7_1),
            "{role:?}"
        );
    }
    let r = decide_appointment(&o, &[Administrator], DelegatedStaff, true).unwrap_err();
    assert_eq!(r.code, "administrator_separate");
    for current in [Manager, OperationsLead, ImageHandler, Auditor] {
        let r = decide_appointment(&o, &[current], Administrator, false).unwrap_err();
        assert_eq!(r.code, "administrator_separate", "{current:?}");
    }
    assert!(decide_appointment(&o, &[], Administrator, false).is_ok());
    for role in [Manager, OperationsLead, ImageHandler] {
        let r = decide_appointment(&o, &[Auditor], role, false).unwrap_err();
        assert_eq!(
            (r.code, r.rule),
            ("auditor_separate", Rule::N7_1),
            "{role:?}"
        );
        let r = decide_appointment(&o, &[role], Auditor, false).unwrap_err();
        assert_eq!(r.code, "auditor_separate", "{role:?}");
    }
}

#[test]
fn n7_1_an_administrator_acts_in_no_chain_role() {
    use Role::*;
    let both = [Administrator, Manager];
    let r = decide(&actor(&both), Action::IssueOrder).unwrap_err();
    assert_eq!((r.code, r.rule), ("administrator_not_in_chain", Rule::N7_1));
    assert!(!r.ja.is_empty());
    // Its Administrator actions stay: it can end the appointment that should not be.
    assert!(decide(&actor(&both), Action::Appoint(Manager)).is_ok());
    assert!(decide(&actor(&both), Action::ManageAccounts).is_ok());
    assert_eq!(acting_roles(&both).collect::<Vec<_>>(), vec![Administrator]);
    assert_eq!(
        acting_roles(&[Manager, Auditor]).collect::<Vec<_>>(),
        vec![Manager, Auditor]
    );
}

#[test]
fn n9_2_n9_4_one_request_passes_through_two_people() {
    let now = Timestamp::now();
    let roles = [Role::OperationsLead, Role::ImageHandler];
    let lead = Actor {
        login: "lead",
        ..actor(&roles)
    };
    let r = decide_handler(&lead, Some("mayor"), "lead").unwrap_err();
    assert_eq!((r.code, r.rule), ("second_person_required", Rule::N9_2));
    let r = decide_handler(&lead, Some("mayor"), "mayor").unwrap_err();
    assert_eq!(r.code, "second_person_required");
    assert!(decide_handler(&lead, Some("mayor"), "sato").is_ok());
    // An instruction that names its own author (made before this rule) still lets nothing out.
    let own = instructed("lead", "pc-1", now);
    let r = decide_step(&lead, &own, Step::Retrieve, Some(&WARD_PC), now).unwrap_err();
    assert_eq!((r.code, r.rule), ("second_person_required", Rule::N9_4));
    let mayor_roles = [Role::Manager, Role::ImageHandler];
    let mayor = Actor {
        login: "mayor",
        ..actor(&mayor_roles)
    };
    let r = decide_step(
        &mayor,
        &instructed("mayor", "pc-1", now),
        Step::Retrieve,
        Some(&WARD_PC),
        now,
    )
    .unwrap_err();
    assert_eq!(r.code, "second_person_required");
}

#[test]
fn n3_3_1_the_holder_sets_the_password_and_is_appointed_after() {
    let r = decide_account_password(true).unwrap_err();
    assert_eq!((r.code, r.rule), ("password_set_by_holder", Rule::N3_3_1));
    assert!(decide_account_password(false).is_ok());
    let r = decide_appointee(false).unwrap_err();
    assert_eq!((r.code, r.rule), ("not_enrolled", Rule::N3_3_1));
    assert!(decide_appointee(true).is_ok());
}

#[test]
fn n7_2_a_manager_or_administrator_is_confirmed_by_a_second_person() {
    use Role::*;
    assert!(needs_confirmation(Manager, true));
    assert!(needs_confirmation(Administrator, true));
    assert!(!needs_confirmation(Manager, false), "a ward being set up");
    assert!(!needs_confirmation(OperationsLead, true));
    let now = Timestamp::now();
    let p = ProposalFacts {
        role: Manager,
        appointee: "p1",
        proposed_by: "admin",
        open: true,
        expires: now + jiff::SignedDuration::from_hours(1),
        manager_in_force: true,
        actor_was_administrator: true,
    };
    let person = |login: &'static str, roles: &'static [Role]| Actor {
        login,
        ..actor(roles)
    };
    let code = |a: &Actor, p: &ProposalFacts| decide_confirmation(a, p, now).err().map(|r| r.code);
    let admin = person("admin", &[Administrator]);
    let admin2 = person("admin2", &[Administrator]);
    let mayor = person("mayor", &[Manager]);
    assert_eq!(code(&admin, &p), Some("own_proposal"));
    assert_eq!(code(&person("p1", &[Manager]), &p), Some("own_appointment"));
    assert_eq!(code(&person("p1", &[]), &p), Some("role_not_permitted"));
    assert_eq!(code(&mayor, &p), None);
    assert_eq!(code(&admin2, &p), None);
    let late = ProposalFacts {
        actor_was_administrator: false,
        ..p.clone()
    };
    assert_eq!(code(&admin2, &late), Some("administrator_too_recent"));
    let new_admin = ProposalFacts {
        role: Administrator,
        ..p.clone()
    };
    assert_eq!(code(&admin2, &new_admin), Some("manager_confirms"));
    assert_eq!(code(&mayor, &new_admin), None);
    let closed = ProposalFacts {
        open: false,
        ..p.clone()
    };
    assert_eq!(code(&mayor, &closed), Some("proposal_closed"));
    let expired = ProposalFacts {
        expires: now,
        ..p.clone()
    };
    assert_eq!(code(&mayor, &expired), Some("proposal_expired"));
    let r = decide_confirmation(&admin, &p, now).unwrap_err();
    assert_eq!(r.rule, Rule::N7_2);
    assert!(
        decide_rejection(&admin, &p, now).is_ok(),
        "the proposer withdraws"
    );
}

#[test]
fn n10_1_a_report_names_no_outside_recipient() {
    let r = decide_report_recipient(true).unwrap_err();
    assert_eq!((r.code, r.rule), ("recipient_needs_provision", Rule::N10_1));
    assert!(decide_report_recipient(false).is_ok());
}
