//! Errors as the API returns them: a stable code, the rule that refused (if one did), and the
//! message in the caller's language (`Accept-Language`, Japanese unless English is preferred),
//! with both languages alongside.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mimamori_policy::access::Refusal;
use mimamori_policy::Rule;
use serde::de::DeserializeOwned;

use crate::web::Lang;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, machine-readable: clients branch on this, never on the message.
    pub code: &'static str,
    pub rule: Option<Rule>,
    /// The input field at fault, for a form to show the message next to it.
    pub field: Option<String>,
    pub en: String,
    pub ja: String,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        en: impl Into<String>,
        ja: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            rule: None,
            field: None,
            en: en.into(),
            ja: ja.into(),
        }
    }

    pub fn bad_request(code: &'static str, en: impl Into<String>, ja: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, en, ja)
    }

    pub fn not_found(code: &'static str, en: impl Into<String>, ja: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, en, ja)
    }

    pub fn conflict(en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict",
            en,
            "他の操作と競合しました。最新の状態を確認してください",
        )
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first (Authorization: Bearer <token>)",
            "先にサインインしてください",
        )
        .rule(Rule::N3_3_1)
    }

    /// Something failed inside the office. The cause goes to the log under an incident
    /// number; the caller gets the number, never the cause (issue 11, #11: database paths and
    /// messages reached clients).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        let incident = format!("{:08x}", rand::random::<u32>());
        tracing::error!(error = %e, incident, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("an internal error occurred (incident {incident}); it was logged"),
            format!("内部エラーが発生しました（記録番号 {incident}）"),
        )
    }

    pub fn rule(mut self, rule: Rule) -> Self {
        self.rule = Some(rule);
        self
    }

    /// A field of the request body or query is missing or wrong.
    pub fn invalid(field: &str, en: impl std::fmt::Display, ja: impl std::fmt::Display) -> Self {
        let mut e = Self::bad_request(
            "invalid_input",
            format!("{field}: {en}"),
            format!("{field}: {ja}"),
        );
        e.field = Some(field.to_owned());
        e
    }

    /// The input field at fault is `field`, for an error made without one.
    pub fn at_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    /// The same error about the `n`th item (from 0) of the list `list` in the body: its field
    /// `f` becomes `list.n.f`, in the messages too, so a form shows it by that item's input.
    pub fn within(mut self, list: &str, n: usize) -> Self {
        let path = match self.field.as_deref() {
            Some(f) => format!("{list}.{n}.{f}"),
            None => format!("{list}.{n}"),
        };
        let old = self.field.as_deref().map(|f| format!("{f}: "));
        for text in [&mut self.en, &mut self.ja] {
            let rest = old
                .as_deref()
                .and_then(|p| text.strip_prefix(p))
                .unwrap_or(text.as_str());
            *text = format!("{path}: {rest}");
        }
        self.field = Some(path);
        self
    }

    fn message(&self, lang: Lang) -> String {
        let text = match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        };
        match self.rule {
            Some(rule) => format!("{rule}: {text}"),
            None => text.clone(),
        }
    }

    fn body(&self, lang: Lang) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                rule: self.rule,
                field: self.field.clone(),
                message: self.message(lang),
                message_en: self.message(Lang::En),
                message_ja: self.message(Lang::Ja),
            },
        }
    }
}

/// Every error the API itself answers. `message` follows `Accept-Language` (Japanese by
/// default); both languages are always included.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable: clients branch on this, never on the message.
    #[schema(value_type = String)]
    pub code: &'static str,
    /// The guideline rule that refused, e.g. `N9.4`, or null.
    pub rule: Option<Rule>,
    /// The input field at fault (`purpose`, `basis.document`, …), for bad input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// In the caller's language: Japanese unless `Accept-Language` prefers English. Prefixed
    /// with the rule when there is one.
    pub message: String,
    /// The message in English.
    pub message_en: String,
    /// The message in Japanese.
    pub message_ja: String,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: r.code,
            rule: Some(r.rule),
            field: None,
            en: r.en,
            ja: r.ja,
        }
    }
}

impl From<mimamori_db::DbError> for ApiError {
    fn from(e: mimamori_db::DbError) -> Self {
        match e {
            mimamori_db::DbError::Conflict(what) => Self::conflict(what),
            e => Self::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body(Lang::Ja))).into_response();
        // `localize` re-renders the body in the caller's language.
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware: errors speak the caller's language, and no answer is stored by a cache on the
/// way (`Cache-Control: no-store`): they carry session tokens, TOTP secrets and personal
/// records (issue 11, #11).
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let response = next.run(request).await;
    let mut response = match (lang, response.extensions().get::<ApiError>()) {
        (Lang::En, Some(error)) => {
            let error = error.clone();
            (error.status, Json(error.body(Lang::En))).into_response()
        }
        _ => response,
    };
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// A JSON request body whose rejections (malformed, wrong type, too large) are [`ApiError`]s.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(json_rejection(e)),
        }
    }
}

fn json_rejection(e: JsonRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is too large",
            "リクエスト本文が大きすぎます",
        );
    }
    let code = match e {
        JsonRejection::MissingJsonContentType(_) => "not_json",
        _ => "malformed_json",
    };
    ApiError::new(
        e.status(),
        code,
        format!(
            "the body is not the JSON this route takes: {}",
            e.body_text()
        ),
        "リクエスト本文のJSONが不正です",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderMap};

    fn lang(value: &str) -> Lang {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
        Lang::from_headers(&h)
    }

    #[test]
    fn accept_language_picks_japanese_or_english() {
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Ja);
        assert_eq!(lang("en-US,en;q=0.9"), Lang::En);
        assert_eq!(lang("ja,en;q=0.5"), Lang::Ja);
        assert_eq!(lang("fr, en;q=0.3, ja;q=0.8"), Lang::Ja);
        assert_eq!(lang("de"), Lang::Ja);
    }
}
