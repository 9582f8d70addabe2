//! Checks of free-form input every step shares: identifiers and required text. A refusal names
//! the field, in Japanese and English.

use mimamori_policy::chain::RequestState;
use mimamori_policy::{is_identifier, Login};

use crate::error::ApiError;

/// A login name (`mimamori_policy::Login`).
pub fn parse_login(login: &str) -> Result<Login, ApiError> {
    Login::parse(login).map_err(|_| not_an_identifier("login"))
}

/// An identifier (login, terminal id): 1–32 lower-case ASCII letters, digits, `.`, `-`, `_`.
pub fn check_id(field: &str, value: &str) -> Result<(), ApiError> {
    if is_identifier(value) {
        Ok(())
    } else {
        Err(not_an_identifier(field))
    }
}

fn not_an_identifier(field: &str) -> ApiError {
    ApiError::invalid(
        field,
        "use 1–32 lower-case letters, digits, '.', '-' or '_'",
        "英小文字・数字・「.」「-」「_」の1〜32文字にしてください",
    )
}

/// A required free-text field: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid(
            field,
            "must not be empty",
            "入力してください",
        ));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters"),
            format!("{max}文字以内にしてください"),
        ));
    }
    Ok(value.to_owned())
}

/// Free text the public sends or staff write back to them: as [`required_text`], without
/// control characters (a NUL would end the text early in the database; line breaks and tabs
/// are kept) or the bidirectional controls that make text read other than it is stored.
pub fn reply_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let text = required_text(field, value, max)?;
    check_characters(field, &text)?;
    Ok(text)
}

/// Refuses control characters other than line breaks and tabs, and bidirectional controls.
pub fn check_characters(field: &str, value: &str) -> Result<(), ApiError> {
    let bad = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
    };
    if value.chars().any(bad) {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
            "制御文字は使えません",
        ));
    }
    Ok(())
}

/// A request state to filter by, as `state` in a query; empty or absent is no filter.
pub fn optional_state(value: Option<&str>) -> Result<Option<RequestState>, ApiError> {
    match value.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => RequestState::parse(s).map(Some).ok_or_else(|| {
            ApiError::invalid(
                "state",
                format!("unknown state {s:?}"),
                format!("状態 {s:?} はありません"),
            )
        }),
    }
}
