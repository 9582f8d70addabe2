//! Every way a policy file can be wrong is refused with its line and field.

use super::*;

const GOOD: &str = r#"
[ward]
name = "西淀川区"
operator = "西淀川区役所 市民協働課"

[retention]
days = 10
storage_cap = "500 GiB"

[recording]
segment_seconds = 60

[[camera]]
id = "cam-001"
name = "駅前交差点"
site = "御幣島1丁目"
url = "rtsp://127.0.0.1:8554/cam1"
without_credentials = "旧型機でパスワードを設定できない（更新予定）"

[[camera]]
id = "cam-002"
name = "公園入口"
site = "姫島3丁目"
url = "rtsp://127.0.0.1:8554/cam2"
credentials = "env:CAM2_CREDENTIALS"
transport = "udp"
"#;

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(text, Path::new("policy.toml"))
}

/// Replaces `from` in the good policy with `to` and returns the single problem reported.
fn refused(from: &str, to: &str) -> Problem {
    assert!(GOOD.contains(from), "test edits a line that exists: {from}");
    let err = parse(&GOOD.replacen(from, to, 1)).expect_err("policy must be refused");
    let problems = err.problems();
    assert_eq!(problems.len(), 1, "exactly one problem: {err}");
    problems[0].clone()
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn a_good_policy_parses() {
    let p = parse(GOOD).unwrap();
    assert_eq!(p.ward.name, "西淀川区");
    assert_eq!(p.retention.days.get(), 10);
    assert_eq!(p.retention.storage_cap, Some(ByteSize(500 << 30)));
    assert_eq!(p.recording.segment_duration, Duration::from_secs(60));
    assert_eq!(p.cameras.len(), 2);
    assert_eq!(
        p.cameras[1].credentials,
        Some(CredentialsRef::Env("CAM2_CREDENTIALS".into()))
    );
    assert_eq!(p.cameras[1].transport, Transport::Udp);
    assert_eq!(p.cameras[0].transport, Transport::Tcp);
    assert_eq!(p.ward.time_zone.iana_name(), Some("Asia/Tokyo"));
    assert_eq!(p.ledger.origin, "mimamori/西淀川区");
    assert_eq!(p.ledger.checkpoint_interval, Duration::from_secs(600));
}

#[test]
fn ledger_origin_and_checkpoint_interval() {
    let edited = GOOD.replacen(
        "[recording]",
        "[ledger]\norigin = \"cameras.example/ledger\"\ncheckpoint_minutes = 5\n\n[recording]",
        1,
    );
    let p = parse(&edited).unwrap();
    assert_eq!(p.ledger.origin, "cameras.example/ledger");
    assert_eq!(p.ledger.checkpoint_interval, Duration::from_secs(300));
    for (bad, field) in [
        ("origin = \"a b\"", "ledger.origin"),
        ("origin = \"a+b\"", "ledger.origin"),
        ("checkpoint_minutes = 0", "ledger.checkpoint_minutes"),
    ] {
        let p = refused("[recording]", &format!("[ledger]\n{bad}\n\n[recording]"));
        assert_eq!(p.field, field, "{bad}");
    }
}

#[test]
fn office_defaults_and_refusals() {
    let p = parse(GOOD).unwrap();
    assert!(
        !p.office.manager_may_operate,
        "T3: apart unless the policy says otherwise"
    );
    assert_eq!(p.office.password_rotation, Duration::from_secs(90 * 86_400));
    assert_eq!(p.office.lockout_attempts, 5);
    assert_eq!(p.office.enrolment_lifetime, Duration::from_secs(72 * 3600));
    assert_eq!(
        p.office.emergency.form3_deadline,
        Duration::from_secs(72 * 3600)
    );
    assert_eq!(p.office.inquiries, crate::inquiry::Inquiries::default());
    assert!(p.office.trusted_proxies.is_empty());
    for (bad, field) in [
        (
            "password_rotation_days = 0",
            "office.password_rotation_days",
        ),
        ("lockout_attempts = 0", "office.lockout_attempts"),
        ("session_minutes = 100000", "office.session_minutes"),
        ("grant_minutes = -1", "office.grant_minutes"),
        ("enrolment_hours = 0.5", "office.enrolment_hours"),
        (
            "header_timeout_seconds = 0",
            "office.header_timeout_seconds",
        ),
        ("max_connections = 2", "office.max_connections"),
        (
            "[office.emergency]\nhistory_due_day = 31",
            "office.emergency.history_due_day",
        ),
        (
            "signin_attempts_per_minute = 1",
            "office.signin_attempts_per_minute",
        ),
        (
            "refusals_recorded_per_minute = 1",
            "office.refusals_recorded_per_minute",
        ),
        (
            "[office.emergency]\noffice_opens = \"9時\"",
            "office.emergency.office_opens",
        ),
        (
            "[office.emergency]\noffice_closes = \"08:00\"",
            "office.emergency.office_closes",
        ),
        (
            "[office.emergency]\nholidays = [\"2026-13-01\"]",
            "office.emergency.holidays[1]",
        ),
        (
            "[office.inquiries]\nanswer_within_days = 0",
            "office.inquiries.answer_within_days",
        ),
        (
            "[office.inquiries]\nper_address_per_hour = 0",
            "office.inquiries.per_address_per_hour",
        ),
        (
            "trusted_proxies = [\"127.0.0.1\", \"the proxy\"]",
            "office.trusted_proxies[2]",
        ),
    ] {
        let p = refused("[recording]", &format!("[office]\n{bad}\n\n[recording]"));
        assert_eq!(p.field, field, "{bad}");
    }
}

#[test]
fn n6_1_retention_days_zero_is_refused_at_its_line() {
    let p = refused("days = 10", "days = 0");
    assert_eq!(p.field, "retention.days");
    assert_eq!(p.line, Some(line_of(GOOD, "days = 10")));
    assert!(p.message.contains("N6.1"), "{}", p.message);
}

#[test]
fn retention_days_of_the_wrong_type() {
    let p = refused("days = 10", "days = \"ten\"");
    assert_eq!(p.field, "retention.days");
    assert_eq!(p.line, Some(line_of(GOOD, "days = 10")));
}

#[test]
fn missing_retention_section() {
    let text = GOOD.replace("[retention]\ndays = 10\nstorage_cap = \"500 GiB\"\n", "");
    let err = parse(&text).unwrap_err();
    assert!(err.to_string().contains("retention"), "{err}");
}

#[test]
fn missing_camera_field_names_the_camera() {
    let p = refused("site = \"姫島3丁目\"\n", "");
    assert!(p.message.contains("site"), "{}", p.message);
    assert!(p.field.starts_with("camera[2]"), "{}", p.field);
}

#[test]
fn unknown_field_is_a_typo_not_ignored() {
    let p = refused("segment_seconds = 60", "segment_secs = 60");
    assert!(p.message.contains("segment_secs"), "{}", p.message);
    assert_eq!(p.line, Some(line_of(GOOD, "segment_seconds")));
}

#[test]
fn bad_storage_caps() {
    for bad in ["\"lots\"", "\"5 XB\"", "-1", "0", "\"99999999999999 TiB\""] {
        let p = refused("storage_cap = \"500 GiB\"", &format!("storage_cap = {bad}"));
        assert_eq!(p.field, "retention.storage_cap", "{bad}");
    }
}

#[test]
fn byte_sizes() {
    assert_eq!(ByteSize::parse("2MB"), Ok(ByteSize(2_000_000)));
    assert_eq!(ByteSize::parse("3 KiB"), Ok(ByteSize(3072)));
    assert_eq!(ByteSize::parse("12"), Ok(ByteSize(12)));
}

#[test]
fn segment_length_out_of_range() {
    for bad in ["0", "0.5", "601", "-5"] {
        let p = refused("segment_seconds = 60", &format!("segment_seconds = {bad}"));
        assert_eq!(p.field, "recording.segment_seconds", "{bad}");
    }
}

#[test]
fn reconnect_max_below_min() {
    let p = refused(
        "segment_seconds = 60",
        "segment_seconds = 60\nreconnect_min_seconds = 10\nreconnect_max_seconds = 5",
    );
    assert_eq!(p.field, "recording.reconnect_max_seconds");
}

#[test]
fn bad_camera_ids() {
    for bad in [
        "",
        "Cam1",
        "cam 1",
        "カメラ",
        "a234567890123456789012345678901234",
    ] {
        let p = refused("id = \"cam-001\"", &format!("id = \"{bad}\""));
        assert_eq!(p.field, "camera[1].id", "{bad}");
    }
}

#[test]
fn duplicate_camera_ids() {
    let p = refused("id = \"cam-002\"", "id = \"cam-001\"");
    assert_eq!(p.field, "camera[2].id");
    assert_eq!(p.line, Some(line_of(GOOD, "id = \"cam-002\"")));
}

#[test]
fn empty_name_and_site() {
    assert_eq!(
        refused("name = \"駅前交差点\"", "name = \" \"").field,
        "camera[1].name"
    );
    assert_eq!(
        refused("site = \"御幣島1丁目\"", "site = \"\"").field,
        "camera[1].site"
    );
    assert_eq!(
        refused("name = \"西淀川区\"", "name = \"\"").field,
        "ward.name"
    );
}

#[test]
fn bad_urls() {
    for bad in ["http://x/cam", "rtsp://", "rtsp://:554/x", "cam1"] {
        let p = refused(
            "url = \"rtsp://127.0.0.1:8554/cam1\"",
            &format!("url = \"{bad}\""),
        );
        assert_eq!(p.field, "camera[1].url", "{bad}");
    }
}

#[test]
fn n3_1c_credentials_in_the_url_are_refused() {
    let p = refused(
        "url = \"rtsp://127.0.0.1:8554/cam1\"",
        "url = \"rtsp://admin:secret@127.0.0.1:8554/cam1\"",
    );
    assert!(p.message.contains("N3.1c"), "{}", p.message);
}

#[test]
fn bad_credentials_references() {
    for bad in ["CAM2", "env:", "env:A-B", "file:", "vault:x"] {
        let p = refused(
            "credentials = \"env:CAM2_CREDENTIALS\"",
            &format!("credentials = \"{bad}\""),
        );
        assert_eq!(p.field, "camera[2].credentials", "{bad}");
    }
}

#[test]
fn bad_transport() {
    let p = refused("transport = \"udp\"", "transport = \"http\"");
    assert_eq!(p.field, "camera[2].transport");
}

#[test]
fn bad_time_zone() {
    let p = refused(
        "operator = \"西淀川区役所 市民協働課\"",
        "operator = \"x\"\ntime_zone = \"Mars/Olympus\"",
    );
    assert_eq!(p.field, "ward.time_zone");
}

#[test]
fn n5_no_cameras_is_refused() {
    let cut = GOOD.find("[[camera]]").unwrap();
    let err = parse(&GOOD[..cut]).unwrap_err();
    assert_eq!(err.problems()[0].field, "camera");
    assert!(err.problems()[0].message.contains("N5"));
}

#[test]
fn syntax_errors_have_a_line() {
    let err = parse("[ward\nname = 1").unwrap_err();
    assert_eq!(err.problems()[0].line, Some(1));
}

#[test]
fn several_problems_are_all_reported() {
    let text = GOOD
        .replace("days = 10", "days = 0")
        .replace("id = \"cam-002\"", "id = \"X\"");
    let err = parse(&text).unwrap_err();
    assert_eq!(err.problems().len(), 2, "{err}");
    let shown = err.to_string();
    assert!(shown.contains("policy.toml:"), "{shown}");
}

#[test]
fn load_checks_credentials_resolve() {
    let dir = std::env::temp_dir().join(format!("mimamori-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("policy.toml");
    let text = GOOD.replace("env:CAM2_CREDENTIALS", "file:cam2.secret");
    std::fs::write(&file, &text).unwrap();
    let err = Policy::load(&file).unwrap_err();
    assert_eq!(err.problems()[0].field, "camera[2].credentials");
    assert_eq!(
        err.problems()[0].line,
        Some(line_of(&text, "credentials = \"file"))
    );

    std::fs::write(dir.join("cam2.secret"), "nopassword\n").unwrap();
    assert!(Policy::load(&file).is_err());

    std::fs::write(dir.join("cam2.secret"), "viewer:s3cret\n").unwrap();
    let policy = Policy::load(&file).unwrap();
    let creds = policy.cameras[1]
        .credentials
        .as_ref()
        .unwrap()
        .resolve()
        .unwrap();
    assert_eq!(
        (creds.username.as_str(), creds.password.as_str()),
        ("viewer", "s3cret")
    );
    assert!(!format!("{creds:?}").contains("s3cret"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unreadable_file() {
    let err = Policy::load(Path::new("/nonexistent/policy.toml")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/policy.toml"));
}

/// N3.1c (issue 11, #6): a camera has a password; one without is accepted only with the reason
/// written in the policy.
#[test]
fn n3_1c_a_camera_without_credentials_needs_a_written_reason() {
    let p = parse(GOOD).unwrap();
    assert_eq!(p.cameras[0].credentials, None);
    assert!(p.cameras[0]
        .no_credentials_reason
        .as_deref()
        .unwrap()
        .contains("旧型機"));
    let reason = "without_credentials = \"旧型機でパスワードを設定できない（更新予定）\"\n";
    let p = refused(reason, "");
    assert_eq!(p.field, "camera[1].credentials");
    assert!(p.message.starts_with("N3.1c"), "{}", p.message);
    let p = refused(reason, "without_credentials = \" \"\n");
    assert_eq!(p.field, "camera[1].without_credentials");
    let p = refused(
        "credentials = \"env:CAM2_CREDENTIALS\"\n",
        "credentials = \"env:CAM2_CREDENTIALS\"\nwithout_credentials = \"x\"\n",
    );
    assert_eq!(p.field, "camera[2].without_credentials");
}

/// Issue 11 (fuzzing): whatever the file holds, parsing answers a policy or problems; it never
/// panics. Random text, and the good policy cut and spliced at random places.
mod never_panics {
    use proptest::prelude::*;

    use super::{parse, GOOD};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn on_any_text(text in "\\PC{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn on_the_good_policy_cut_and_spliced(
            at in 0usize..GOOD.len(),
            cut in 0usize..60,
            insert in "[\\PC\\n]{0,30}",
        ) {
            let mut start = at;
            while !GOOD.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + cut).min(GOOD.len());
            while !GOOD.is_char_boundary(end) {
                end += 1;
            }
            let text = format!("{}{insert}{}", &GOOD[..start], &GOOD[end..]);
            let _ = parse(&text);
        }
    }
}

/// Issue 14: the ward's local government code (with its check digit), contact and boundary;
/// the contact defaults to the operator.
#[test]
fn n3_1b_the_wards_code_contact_and_boundary() {
    assert!(is_local_government_code("131016")); // 千代田区
    assert!(is_local_government_code("131041")); // 新宿区: 11 → 1
    assert!(is_local_government_code("271136")); // 大阪市西淀川区
    assert!(!is_local_government_code("131017"));
    assert!(!is_local_government_code("13101"));
    assert!(!is_local_government_code("13101６"));
    let p = parse(GOOD).unwrap();
    assert_eq!(p.ward.code, None);
    assert_eq!(p.ward.contact, "西淀川区役所 市民協働課");
    let text = GOOD.replacen(
        "operator = \"西淀川区役所 市民協働課\"",
        "operator = \"西淀川区役所 市民協働課\"\ncode = \"271136\"\ncontact = \"市民協働課 06-0000-0000\"\nboundary = \"n03.geojson\"",
        1,
    );
    let p = parse(&text).unwrap();
    assert_eq!(p.ward.code.as_deref(), Some("271136"));
    assert_eq!(p.ward.contact, "市民協働課 06-0000-0000");
    assert_eq!(p.ward.boundary, Some(Path::new("./n03.geojson").to_owned()));
    let problem = refused(
        "operator = \"西淀川区役所 市民協働課\"",
        "operator = \"西淀川区役所 市民協働課\"\ncode = \"271137\"",
    );
    assert!(problem.message.contains("検査数字"), "{problem:?}");
}
