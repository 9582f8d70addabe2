//! Errors as the API returns them: a stable code, the rule that refused (if one did), and the
//! message in English and Japanese.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, machine-readable: clients branch on this, never on the message.
    pub code: &'static str,
    pub rule: Option<&'static str>,
    pub en: String,
    pub ja: String,
}

impl ApiError {
    pub fn bad_request(code: &'static str, en: impl Into<String>, ja: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code,
            rule: None,
            en: en.into(),
            ja: ja.into(),
        }
    }

    pub fn not_found(code: &'static str, en: impl Into<String>, ja: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            ..Self::bad_request(code, en, ja)
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "request failed");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            ..Self::bad_request("internal", e.to_string(), "内部エラーが発生しました")
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": {
            "code": self.code,
            "rule": self.rule,
            "message": self.en,
            "message_ja": self.ja,
        }});
        (self.status, Json(body)).into_response()
    }
}
