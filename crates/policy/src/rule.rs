//! The guideline's rule IDs as a type.
//!
//! Every refusal, every ledger event and every check names the rule it serves. A bare string
//! ("N9.4") compiles with any typo; a [`Rule`] does not. Each variant is one ID of
//! `../shared/GUIDELINE.md` (N = Nishiyodogawa Ward guideline, T = model ward guideline) and
//! prints exactly as the guideline writes it. `docs/conformance.md` has one row per variant, in
//! the same order; a test keeps the three in step.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident = $id:literal,)*) => {
        /// One rule of the guideline, printed as its ID (`Rule::N9_4` prints `N9.4`).
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in the guideline's order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The ID as the guideline writes it.
            pub const fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)*
                }
            }
        }
    };
}

rules! {
    N1 = "N1",
    N2 = "N2",
    N3_1a = "N3.1a",
    N3_1b = "N3.1b",
    N3_1c = "N3.1c",
    N3_2_1 = "N3.2.1",
    N3_2_2 = "N3.2.2",
    /// The dedicated PC as a whole (article 3(3)): its key and its custody, N3.3.1 and N3.3.2
    /// together. Refusals about a terminal's key or registration cite it.
    N3_3 = "N3.3",
    N3_3_1 = "N3.3.1",
    N3_3_2 = "N3.3.2",
    N4_1 = "N4.1",
    N4_2 = "N4.2",
    N5 = "N5",
    N6_1 = "N6.1",
    N6_2 = "N6.2",
    N6_3 = "N6.3",
    N7_1 = "N7.1",
    N7_2 = "N7.2",
    N7_3 = "N7.3",
    N7_4 = "N7.4",
    N8 = "N8",
    N9_1 = "N9.1",
    N9_2 = "N9.2",
    N9_3 = "N9.3",
    N9_4 = "N9.4",
    N10_1 = "N10.1",
    N10_2 = "N10.2",
    N10_3 = "N10.3",
    N10_4 = "N10.4",
    N11_1 = "N11.1",
    N11_2 = "N11.2",
    N11_3 = "N11.3",
    N12 = "N12",
    N13 = "N13",
    T1 = "T1",
    T2 = "T2",
    T2_1 = "T2.1",
    T2_2 = "T2.2",
    T3 = "T3",
    T3_3 = "T3.3",
    T3_4 = "T3.4",
    T4 = "T4",
    T5 = "T5",
    T5_1 = "T5.1",
    T5_2 = "T5.2",
    T5_3 = "T5.3",
    T5_4 = "T5.4",
    T6_1 = "T6.1",
    /// T6.1's clauses (a)–(e), the grounds a request cites (`chain::LegalBasis`).
    T6_1a = "T6.1a",
    T6_1b = "T6.1b",
    T6_1c = "T6.1c",
    T6_1d = "T6.1d",
    T6_1e = "T6.1e",
    T6_2 = "T6.2",
    T7_1 = "T7.1",
    T7_2 = "T7.2",
    T8 = "T8",
    TMap = "T-map",
}

/// Citations coarser or finer than a row of the guideline's table: the heading N3.3 over
/// N3.3.1 and N3.3.2, and T6.1's clauses (a)–(e).
const NOT_ROWS: &[Rule] = &[
    Rule::N3_3,
    Rule::T6_1a,
    Rule::T6_1b,
    Rule::T6_1c,
    Rule::T6_1d,
    Rule::T6_1e,
];

impl Rule {
    pub fn parse(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// A heading (N3.3) or a clause (T6.1a): citable, but not a row of the guideline's table.
    pub fn is_row(self) -> bool {
        !NOT_ROWS.contains(&self)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Rule::parse(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown guideline rule {id:?}")))
    }
}

/// The rules an event or a refusal cites, in order: most cite one, an erasure cites the three
/// it serves. Printed joined by commas (`N6.1,N6.2,T5.4`), as the ledger stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rules(pub &'static [Rule]);

impl fmt::Display for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rule) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(rule.id())?;
        }
        Ok(())
    }
}

/// A rule in the API's OpenAPI document: a string, one of the guideline's IDs.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Rule {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A rule of the guideline by its ID (N = the ward's guideline, T = the model guideline)."))
            .enum_values(Some(Rule::ALL.iter().map(|r| r.id())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Rule {}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Rule IDs in the first column of a Markdown table, in order.
    fn table_ids(text: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("| "))
            .filter_map(|l| l.split(" |").next())
            .map(str::trim)
            .filter(|id| id.starts_with(['N', 'T']) && id.len() <= 7 && !id.contains(' '))
            .map(str::to_owned)
            .collect()
    }

    fn ours() -> Vec<String> {
        Rule::ALL
            .iter()
            .filter(|r| r.is_row())
            .map(|r| r.id().to_owned())
            .collect()
    }

    #[test]
    fn every_rule_prints_and_parses_as_its_id() {
        assert_eq!(Rule::N9_4.to_string(), "N9.4");
        assert_eq!(Rule::TMap.to_string(), "T-map");
        for &rule in Rule::ALL {
            assert_eq!(Rule::parse(rule.id()), Some(rule));
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), rule);
        }
        assert_eq!(Rule::parse("N9.5"), None);
        assert!(serde_json::from_str::<Rule>("\"N9.5\"").is_err());
        let erasure = Rules(&[Rule::N6_1, Rule::N6_2, Rule::T5_4]);
        assert_eq!(erasure.to_string(), "N6.1,N6.2,T5.4");
    }

    /// `docs/conformance.md` has one row per rule, in the guideline's order, and nothing else.
    #[test]
    fn conformance_has_one_row_per_rule_in_order() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let text = std::fs::read_to_string(root.join("docs/conformance.md")).unwrap();
        assert_eq!(table_ids(&text), ours());
        // The citations that are not rows are explained there too.
        for rule in NOT_ROWS {
            assert!(text.contains(&format!("`{rule}`")), "{rule}");
        }
    }

    /// The guideline itself (`../shared/GUIDELINE.md`, beside the repository on a developer's
    /// machine) lists exactly these rules. The conformance test above holds the same list
    /// inside the repository, so a clone without `shared/` still checks it.
    #[test]
    fn the_guideline_has_exactly_these_rules() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let Ok(text) = std::fs::read_to_string(root.join("shared/GUIDELINE.md")) else {
            eprintln!("shared/GUIDELINE.md is not beside this checkout; conformance.md stands in");
            return;
        };
        let guideline: Vec<String> = text
            .split("## What software must make true")
            .next()
            .map(table_ids)
            .unwrap_or_default();
        assert_eq!(guideline, ours());
    }
}
