//! The browser's session: the same server-side session as the API's bearer token, carried in
//! a `__Host-` cookie (HttpOnly, Secure, SameSite=Strict, path /), so scripts cannot read it,
//! no other site's request carries it, and no subdomain can set it. The language choice is a
//! cookie of its own, remembered for a year.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::i18n::Lang;
use crate::auth::Caller;
use crate::Shared;

pub const SESSION_COOKIE: &str = "__Host-mimamori-session";
pub const LANG_COOKIE: &str = "mimamori-lang";

/// The cookie that carries a session token.
pub fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .build()
}

/// The cookie that ends one.
pub fn session_removal() -> Cookie<'static> {
    let mut c = session_cookie(String::new());
    c.make_removal();
    c
}

pub fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .build()
}

/// The language: Japanese, unless the person chose English with the switch (the cookie).
/// The browser's own preference is not asked: ward PCs are set up in many ways, and the
/// screens are Japanese first.
pub fn lang_of(jar: &CookieJar) -> Lang {
    jar.get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .unwrap_or_default()
}

/// The session token a browser sent, if any.
pub fn session_token(jar: &CookieJar) -> Option<String> {
    jar.get(SESSION_COOKIE).map(|c| c.value().to_owned())
}

/// A signed-in person at a browser, with their language. Without a live session the request
/// goes to the sign-in page.
pub struct WebCaller {
    pub caller: Caller,
    pub lang: Lang,
    pub jar: CookieJar,
}

impl FromRequestParts<Shared> for WebCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, office: &Shared) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = lang_of(&jar);
        let Some(token) = session_token(&jar) else {
            return Err(Redirect::to("/signin").into_response());
        };
        match Caller::for_session(office, &token).await {
            Ok(caller) => Ok(WebCaller { caller, lang, jar }),
            Err(_) => Err((jar.add(session_removal()), Redirect::to("/signin")).into_response()),
        }
    }
}
