//! Checks of free-form input every step shares: identifiers and required text. A refusal names
//! the field, in Japanese and English.

use crate::error::ApiError;

/// A login name: 1–32 lower-case ASCII letters, digits, `.`, `-` or `_`.
pub fn check_login(login: &str) -> Result<(), ApiError> {
    check_id("login", login)
}

/// An identifier (login, terminal id): 1–32 lower-case ASCII letters, digits, `.`, `-`, `_`.
pub fn check_id(field: &str, value: &str) -> Result<(), ApiError> {
    let ok = (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            "use 1–32 lower-case letters, digits, '.', '-' or '_'",
            "英小文字・数字・「.」「-」「_」の1〜32文字にしてください",
        ))
    }
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
