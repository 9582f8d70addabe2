//! The guideline's paper forms as PDF (issue 13): the image register (様式第1号), the
//! application and pledge an investigative body signs (様式第2号), the emergency application
//! and pledge (様式第3号), and the written confirmation of a delegation (N10.2).
//!
//! Why a crate of its own: typst is a large dependency (some 280 crates); kept here, the office
//! and everything else rebuild without it. Why typst: it typesets Japanese properly (line
//! breaking, kinsoku), embeds subset TrueType fonts, and writes PDF/A-2b — the archival form a
//! municipal record should have. Its API changes every minor release, so it is pinned exactly.
//!
//! What goes in is plain data ([`Document`]) already in words: the office decides what a form
//! says (and in which era); this crate only lays it out. The fonts are BIZ UD Mincho and
//! Gothic (SIL OFL 1.1, `fonts/OFL.txt`), compiled into the binary, so the output does not
//! depend on the server's fonts. The same document and the same `issued` time give the same
//! bytes, so the ledger can hold a PDF's hash and anyone can make it again.

mod era;
mod world;

use serde::Serialize;
use typst::diag::SourceDiagnostic;
use typst_layout::PagedDocument;

pub use era::{reiwa_date, reiwa_date_time};

/// A form to print.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Document {
    /// 様式第1号: the image register's rows.
    Register(Register),
    /// 様式第2号: an outside body's application and pledge, prefilled for it to sign.
    Application(Application),
    /// 様式第3号: the emergency application and pledge, prefilled for it to sign.
    EmergencyApplication(Application),
    /// N10.2: the written confirmation of a delegation.
    Delegation(Delegation),
    /// T2.1, T-map: the layout map of cameras and signs with the camera table (別添 配置図).
    LayoutMap(LayoutMap),
}

impl Document {
    fn template(&self) -> &'static str {
        match self {
            Document::Register(_) => include_str!("../templates/register.typ"),
            Document::Application(_) | Document::EmergencyApplication(_) => {
                include_str!("../templates/application.typ")
            }
            Document::Delegation(_) => include_str!("../templates/delegation.typ"),
            Document::LayoutMap(_) => include_str!("../templates/layout_map.typ"),
        }
    }
}

/// 様式第1号: a table of the register's rows over a period.
#[derive(Debug, Clone, Serialize)]
pub struct Register {
    /// The ward, as the form's title names it.
    pub ward: String,
    /// "令和8年11月1日〜令和8年11月30日", or empty for every row.
    pub period: String,
    /// When it was printed, in words.
    pub printed: String,
    pub columns: Vec<String>,
    /// Each column's share of the page's width (relative; as many as `columns`).
    pub widths: Vec<f64>,
    /// Each row's cells, in the columns' order.
    pub rows: Vec<Vec<String>>,
}

/// 様式第2号 and 様式第3号: what the body applies for, prefilled from the request; the blanks
/// are for the body to fill and sign.
#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub ward: String,
    /// To whom: the ward mayor (管理責任者).
    pub addressee: String,
    /// The request's number at the ward.
    pub request: String,
    pub body: String,
    pub applicant: String,
    /// (label, value) rows of the application, in order.
    pub rows: Vec<(String, String)>,
    /// The pledge's text.
    pub pledge: String,
    /// The ward's own notes at the foot (received, identity checked), in order.
    pub office_rows: Vec<(String, String)>,
}

/// N10.2: the written confirmation of a delegation to an investigative body.
#[derive(Debug, Clone, Serialize)]
pub struct Delegation {
    pub ward: String,
    pub number: String,
    pub dated: String,
    pub body: String,
    pub manager: String,
    pub rows: Vec<(String, String)>,
    pub text: String,
}

/// T2.1, T-map: the layout map (an SVG the office drew, text in the embedded fonts) and the
/// cameras and signs as tables.
#[derive(Debug, Clone, Serialize)]
pub struct LayoutMap {
    pub ward: String,
    pub title: String,
    pub printed: String,
    /// The map as SVG: presentation attributes only, fonts named as embedded here.
    pub map_svg: String,
    pub columns: Vec<String>,
    pub widths: Vec<f64>,
    pub rows: Vec<Vec<String>>,
    pub sign_columns: Vec<String>,
    pub sign_rows: Vec<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("the form's layout failed: {0}")]
    Layout(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("the form's data: {0}")]
    Data(#[from] serde_json::Error),
}

/// The form as PDF/A-2b, A4, fonts embedded. `issued` is the document's creation time in its
/// metadata: give the record's own time (not now) to get the same bytes again.
pub fn render(document: &Document, issued: jiff::Timestamp) -> Result<Vec<u8>, FormError> {
    let data = serde_json::to_vec(document)?;
    let world = world::FormWorld::new(document.template(), data);
    let compiled = typst::compile::<PagedDocument>(&world);
    let paged = compiled
        .output
        .map_err(|e| FormError::Layout(describe(&e)))?;
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom(format!("mimamori-{}", kind(document))),
        creator: typst::foundations::Smart::Custom(Some("mimamori".into())),
        timestamp: Some(typst_pdf::Timestamp::new_utc(world::datetime(issued))),
        standards: typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_2b])
            .map_err(|e| FormError::Pdf(e.message().to_string()))?,
        ..Default::default()
    };
    typst_pdf::pdf(&paged, &options).map_err(|e| FormError::Pdf(describe(&e)))
}

fn kind(document: &Document) -> &'static str {
    match document {
        Document::Register(_) => "form1",
        Document::Application(_) => "form2",
        Document::EmergencyApplication(_) => "form3",
        Document::Delegation(_) => "delegation",
        Document::LayoutMap(_) => "layout-map",
    }
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
