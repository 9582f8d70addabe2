//! The canonical bytes of an event: what a leaf of the log is the hash of.
//!
//! An event is encoded as one JSON object in the JSON Canonicalization Scheme (RFC 8785): no
//! insignificant whitespace, object members sorted by their names' UTF-16 code units, strings
//! escaped minimally. So that every JCS implementation agrees byte for byte, numbers must be
//! integers of magnitude at most 2^53 (RFC 8785 formats larger and fractional numbers in ways
//! few libraries reproduce); an event carrying any other number is refused when written.
//! `docs/ledger.md` specifies the members and their types for re-implementers.

use std::fmt::Write;

use jiff::Timestamp;
use serde_json::{Map, Number, Value};

/// Version of the encoding, carried in every event as `"v"`.
pub const ENCODING_VERSION: u64 = 1;

/// The largest integer magnitude an event may carry (2^53, exactly representable in IEEE 754).
const MAX_SAFE_INTEGER: u64 = 1 << 53;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanonicalError {
    #[error("{path}: numbers in events must be integers of magnitude at most 2^53, found {found}")]
    UnsafeNumber { path: String, found: String },
    #[error("event time {0} µs is outside the range the encoding supports")]
    BadTime(i64),
}

/// One event as the log sees it. `seq` is its leaf index, counted from 0.
#[derive(Debug, Clone, Copy)]
pub struct EventFields<'a> {
    pub seq: u64,
    pub time_us: i64,
    pub actor: &'a str,
    pub role: Option<&'a str>,
    pub terminal: Option<&'a str>,
    pub kind: &'a str,
    pub rule: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: &'a Value,
}

/// The canonical bytes of `event`.
pub fn encode_event(event: &EventFields<'_>) -> Result<Vec<u8>, CanonicalError> {
    let opt = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    let mut object = Map::new();
    object.insert("v".into(), ENCODING_VERSION.into());
    object.insert("seq".into(), event.seq.into());
    object.insert("time".into(), format_time(event.time_us)?.into());
    object.insert("actor".into(), event.actor.into());
    object.insert("role".into(), opt(event.role));
    object.insert("terminal".into(), opt(event.terminal));
    object.insert("kind".into(), event.kind.into());
    object.insert("rule".into(), opt(event.rule));
    object.insert("outcome".into(), event.outcome.into());
    object.insert("detail".into(), event.detail.clone());
    Ok(canonical_json(&Value::Object(object))?.into_bytes())
}

/// RFC 3339 in UTC with exactly six fractional digits: `2026-11-23T01:02:03.000004Z`.
pub fn format_time(time_us: i64) -> Result<String, CanonicalError> {
    let t = Timestamp::from_microsecond(time_us).map_err(|_| CanonicalError::BadTime(time_us))?;
    Ok(t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string())
}

/// `value` in RFC 8785 form, refusing numbers outside the safe integer range.
pub fn canonical_json(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::new();
    write_value(&mut out, value, &mut String::from("$"))?;
    Ok(out)
}

fn write_value(out: &mut String, value: &Value, path: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n, path)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let len = path.len();
                let _ = write!(path, "[{i}]");
                write_value(out, item, path)?;
                path.truncate(len);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut names: Vec<&String> = members.keys().collect();
            // RFC 8785 §3.2.3: sort by UTF-16 code units, not by UTF-8 bytes.
            names.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, name) in names.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                let len = path.len();
                let _ = write!(path, ".{name}");
                write_value(out, &members[name], path)?;
                path.truncate(len);
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_number(out: &mut String, n: &Number, path: &str) -> Result<(), CanonicalError> {
    let safe = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => u <= MAX_SAFE_INTEGER,
        (None, Some(i)) => i.unsigned_abs() <= MAX_SAFE_INTEGER,
        _ => false,
    };
    if !safe {
        return Err(CanonicalError::UnsafeNumber {
            path: path.to_owned(),
            found: n.to_string(),
        });
    }
    let _ = write!(out, "{n}");
    Ok(())
}

/// RFC 8785 §3.2.2.2: escape `"`, `\` and control characters; everything else as UTF-8.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(detail: &Value) -> EventFields<'_> {
        EventFields {
            seq: 7,
            time_us: 1_795_000_000_000_001,
            actor: "suzuki",
            role: Some("image_handler"),
            terminal: None,
            kind: "retrieval",
            rule: Some("N9.3"),
            outcome: "done",
            detail,
        }
    }

    #[test]
    fn event_encoding_is_fixed() {
        let detail = json!({"camera": "cam1", "b": [1, -2], "a": {"z": null, "y": true}});
        let bytes = encode_event(&event(&detail)).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"actor":"suzuki","detail":{"a":{"y":true,"z":null},"b":[1,-2],"camera":"cam1"},"kind":"retrieval","outcome":"done","role":"image_handler","rule":"N9.3","seq":7,"terminal":null,"time":"2026-11-18T11:06:40.000001Z","v":1}"#
        );
    }

    #[test]
    fn strings_are_escaped_as_rfc_8785_says() {
        let v = json!({"s": "改行\n\"q\"\\\u{1}\u{7f}é"});
        assert_eq!(
            canonical_json(&v).unwrap(),
            "{\"s\":\"改行\\n\\\"q\\\"\\\\\\u0001\u{7f}é\"}"
        );
    }

    #[test]
    fn names_sort_by_utf16_code_units() {
        // U+FF61 sorts before U+1F600 in UTF-8 byte order but after it in UTF-16.
        let v = json!({"\u{1F600}": 1, "\u{FF61}": 2});
        assert_eq!(
            canonical_json(&v).unwrap(),
            "{\"\u{1F600}\":1,\"\u{FF61}\":2}"
        );
    }

    #[test]
    fn fractional_and_huge_numbers_are_refused() {
        let e = canonical_json(&json!({"a": [1.5]})).unwrap_err();
        assert!(e.to_string().starts_with("$.a[0]:"), "{e}");
        assert!(canonical_json(&json!({"a": 1u64 << 60})).is_err());
        assert!(canonical_json(&json!({"a": -(1i64 << 53)})).is_ok());
    }
}
