//! What the paper forms say (issue 13): 様式第1号 from Form 1's rows, 様式第2号 and 様式第3号
//! prefilled from a request, and the delegation's written confirmation (N10.2), as data for
//! `mimamori_forms` to lay out. The forms are Japanese documents, so their words are Japanese
//! whatever the screen's language; dates are in the era (令和), in Japan time.
//!
//! Each document's `issued` time is a time of its record (never "now"), so printing the same
//! record again gives the same bytes (`workflow::documents` puts their hash on the ledger).

use jiff::Timestamp;
use mimamori_db::vocabulary::Document as Paper;
use mimamori_db::{from_us, Closing, DelegationRow, Origin, RequestRow};
use mimamori_forms::{reiwa_date, reiwa_date_time, Application, Delegation, Document, Register};
use mimamori_policy::chain::LegalBasis;
use mimamori_policy::Policy;

use crate::form1::Form1Row;

/// Form 1's columns as 様式第1号 heads them, in the form's order.
pub const FORM1_COLUMNS: [&str; 12] = [
    "番号",
    "指示日時",
    "指示者",
    "目的",
    "根拠",
    "カメラ（設置場所）",
    "対象の日時",
    "画像取扱員",
    "取出し",
    "提供先",
    "報告",
    "備考",
];

/// Each column's share of the landscape page.
const FORM1_WIDTHS: [f64; 12] = [0.5, 1.3, 0.8, 1.6, 0.6, 1.5, 2.0, 0.8, 1.5, 1.2, 1.3, 1.4];

/// The register's period in words: "令和8年11月1日〜令和8年11月30日" from the filter's dates
/// (`YYYY-MM-DD`, Japan), or empty when it has none.
pub fn period(from: Option<&str>, to: Option<&str>) -> String {
    let day = |text: Option<&str>| {
        let date: jiff::civil::Date = text?.trim().parse().ok()?;
        let noon = date.at(12, 0, 0, 0).in_tz("Asia/Tokyo").ok()?;
        Some(reiwa_date(noon.timestamp()))
    };
    match (day(from), day(to)) {
        (None, None) => String::new(),
        (from, to) => format!("{}〜{}", from.unwrap_or_default(), to.unwrap_or_default()),
    }
}

/// A Form 1 row's cells, in [`FORM1_COLUMNS`]' order, times written by `time`.
pub fn form1_cells(row: &Form1Row, time: impl Fn(Timestamp) -> String) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let basis = row
        .basis
        .as_ref()
        .and_then(|b| b.get("kind"))
        .and_then(|k| k.as_str())
        .and_then(LegalBasis::parse)
        .map(|b| b.rule().id().to_owned())
        .unwrap_or_default();
    // The cameras and their ranges, one per line (issue 13: a case may span several).
    let camera = row
        .cameras
        .iter()
        .map(|c| match &c.site {
            Some(s) => format!("{}（{s}）", c.camera),
            None => c.camera.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let range = row
        .cameras
        .iter()
        .map(|c| format!("{} 〜 {}", time(c.from), time(c.to)))
        .collect::<Vec<_>>()
        .join("\n");
    let retrieved = match (&row.retrieved_by, row.retrieved) {
        (Some(by), Some(at)) => format!("{} {by}", time(at)),
        _ => String::new(),
    };
    let media = match (&row.media, row.copies) {
        (Some(m), Some(n)) => format!("{m} × {n}"),
        _ => String::new(),
    };
    let remarks = [media, opt(&row.remarks)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("／");
    vec![
        row.serial.to_string(),
        row.ordered.map(&time).unwrap_or_default(),
        opt(&row.ordered_by),
        opt(&row.purpose),
        basis,
        camera,
        range,
        opt(&row.handler),
        retrieved,
        opt(&row.recipient),
        row.reported.map(&time).unwrap_or_default(),
        remarks,
    ]
}

/// 様式第1号 over `rows` (already filtered), headed by the period in words. Issued at the
/// latest moment the rows record.
pub fn register(policy: &Policy, rows: &[Form1Row], period: String) -> (Document, Timestamp) {
    let issued = rows
        .iter()
        .flat_map(|r| [r.ordered, r.retrieved, r.reported])
        .flatten()
        .max()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let document = Document::Register(Register {
        ward: policy.ward.name.clone(),
        period,
        printed: format!("記録の時点 {}", reiwa_date_time(issued)),
        columns: FORM1_COLUMNS.iter().map(|c| c.to_string()).collect(),
        widths: FORM1_WIDTHS.to_vec(),
        rows: rows
            .iter()
            .map(|r| form1_cells(r, reiwa_date_time))
            .collect(),
    });
    (document, issued)
}

fn pair(label: &str, value: impl Into<String>) -> (String, String) {
    (label.to_owned(), value.into())
}

/// The cameras of a request's instruction, with their sites, one per line.
fn camera_of(policy: &Policy, row: &RequestRow) -> Option<String> {
    let i = row.instruction.as_ref()?;
    let lines: Vec<String> = i
        .cameras
        .iter()
        .map(|s| match policy.camera(&s.camera) {
            Some(c) => format!("{} {}（{}）", s.camera, c.name, c.site),
            None => s.camera.to_string(),
        })
        .collect();
    Some(lines.join("\n"))
}

/// The ranges of a request's instruction, one per line; with several cameras, each line names
/// its camera.
fn range_of(row: &RequestRow) -> Option<String> {
    let i = row.instruction.as_ref()?;
    let several = i.cameras.len() > 1;
    let lines: Vec<String> = i
        .cameras
        .iter()
        .map(|s| {
            let range = format!("{} 〜 {}", reiwa_date_time(s.start), reiwa_date_time(s.end));
            match several {
                true => format!("{}: {range}", s.camera),
                false => range,
            }
        })
        .collect();
    Some(lines.join("\n"))
}

const PLEDGE: &str = "提供を受けた画像は、上記の利用目的以外には使用せず、第三者に提供しません。\
     また、利用の目的を達したときは、速やかに消去又は廃棄します。";

/// 様式第2号 for a provision request, prefilled from what the counter recorded (N10.1).
/// `None` for a request of another kind.
pub fn application(policy: &Policy, row: &RequestRow) -> Option<(Document, Timestamp)> {
    let Origin::Provision(p) = &row.origin else {
        return None;
    };
    let unknown = || "（記入してください）".to_owned();
    let (case, offence, cameras, range) = match &p.document {
        Paper::Form2 {
            case,
            offence,
            cameras,
            range,
            ..
        } => (
            case.clone(),
            offence.clone(),
            cameras.clone(),
            range.clone(),
        ),
        Paper::Inquiry { .. } => (unknown(), unknown(), unknown(), unknown()),
        // T6.1 d: the person asks for footage of themselves; there is no case.
        Paper::OwnRequest { .. } => {
            let none = || "該当なし（本人からの申出）".to_owned();
            (none(), none(), unknown(), unknown())
        }
    };
    let document_line = match &p.document {
        Paper::Inquiry { number, dated } => format!("捜査関係事項照会書 {number}（{dated}）"),
        Paper::Form2 { .. } => "様式第2号".to_owned(),
        Paper::OwnRequest { receipt } => format!("本人からの申出 受付番号 {receipt}（T6.1 d）"),
    };
    let received = from_us(row.created_us);
    let mut rows = vec![
        pair("事件名", case),
        pair("罪名", offence),
        pair("利用目的", row.purpose.clone()),
        pair(
            "対象の防犯カメラ",
            camera_of(policy, row).unwrap_or(cameras),
        ),
        pair("対象の日時", range_of(row).unwrap_or(range)),
    ];
    if let Some(Closing::HandedOver(h)) = &row.closing {
        rows.push(pair("受領者", h.recipient.clone()));
    }
    let check = &p.identity_check;
    let application = Application {
        ward: policy.ward.name.clone(),
        addressee: format!("{}長", policy.ward.name),
        request: row.id.to_string(),
        body: p.body.clone(),
        applicant: p.applicant.clone(),
        rows,
        pledge: PLEDGE.to_owned(),
        office_rows: vec![
            pair("受付日", reiwa_date(received)),
            pair("依頼の書類", document_line),
            pair(
                "本人確認",
                format!(
                    "{} {}（確認者 {}）",
                    check.document_type, check.document_number, check.checked_by
                ),
            ),
        ],
    };
    Some((Document::Application(application), received))
}

/// 様式第3号 for an emergency retrieval (N11.1), prefilled for the body to sign and send.
/// `None` for a request of another kind.
pub fn emergency_application(
    policy: &Policy,
    row: &RequestRow,
    body: &str,
) -> Option<(Document, Timestamp)> {
    let Origin::Emergency(_) = &row.origin else {
        return None;
    };
    let site = row
        .instruction
        .iter()
        .flat_map(|i| &i.cameras)
        .filter_map(|s| policy.camera(&s.camera))
        .map(|c| format!("{}（{}）", c.site, c.name))
        .collect::<Vec<_>>()
        .join("\n");
    let retrieved = row.retrieved_us.map(from_us);
    let application = Application {
        ward: policy.ward.name.clone(),
        addressee: format!("{}長", policy.ward.name),
        request: row.id.to_string(),
        body: body.to_owned(),
        applicant: String::new(),
        rows: vec![
            pair("利用目的", row.purpose.clone()),
            pair("防犯カメラの設置場所", site),
            pair("対象の日時", range_of(row).unwrap_or_default()),
            pair(
                "画像の取出日",
                retrieved.map(reiwa_date).unwrap_or_default(),
            ),
            pair("取り出した者", row.retrieved_by.clone().unwrap_or_default()),
            pair("緊急を要した事情", row.reason.clone()),
        ],
        pledge: PLEDGE.to_owned(),
        office_rows: vec![
            pair(
                "取出しの記録",
                retrieved.map(reiwa_date_time).unwrap_or_default(),
            ),
            pair("様式第3号の受領日", String::new()),
        ],
    };
    let issued = retrieved.unwrap_or(from_us(row.created_us));
    Some((Document::EmergencyApplication(application), issued))
}

/// N10.2: the written confirmation of a delegation, from its record.
pub fn delegation(policy: &Policy, d: &DelegationRow, manager: &str) -> (Document, Timestamp) {
    let recorded = from_us(d.recorded_us);
    let cameras = d
        .cameras
        .as_ref()
        .map(|c| {
            c.0.iter()
                .map(|id| match policy.camera(id) {
                    Some(cam) => format!("{id} {}（{}）", cam.name, cam.site),
                    None => id.to_string(),
                })
                .collect::<Vec<_>>()
                .join("、")
        })
        .unwrap_or_default();
    let note = Delegation {
        ward: policy.ward.name.clone(),
        number: d.document_ref.clone(),
        dated: reiwa_date(recorded),
        body: d.body.clone(),
        manager: manager.to_owned(),
        rows: vec![
            pair("委任する事務", d.scope.clone()),
            pair("対象の防犯カメラ", cameras),
            pair(
                "期間",
                format!(
                    "{} 〜 {}",
                    reiwa_date_time(from_us(d.from_us)),
                    reiwa_date_time(from_us(d.until_us))
                ),
            ),
            pair(
                "届出",
                "事務を行う職員の氏名・所属は、別途届け出てください（要領第10条第3項）。",
            ),
        ],
        text: format!(
            "{}防犯カメラの設置及び運用に関する要領第10条第2項の規定により、下記の事務を貴機関の\
             職員に行わせることを確認します。",
            policy.ward.name
        ),
    };
    (Document::Delegation(note), recorded)
}
