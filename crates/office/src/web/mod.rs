//! The staff's screens (issue 13): server-rendered HTML in Japanese (English by a switch),
//! plain forms with post-redirect-get, no script. Every page calls the same workflow functions
//! as the JSON API; a handler here extracts, calls and renders, and decides nothing.
//!
//! Cross-site form posts are refused by `tower-http`'s CSRF layer (by `Sec-Fetch-Site` and
//! `Origin`), on top of the session cookie's SameSite=Strict; pages carry a strict Content
//! Security Policy and are never cached.

mod account;
mod cameras;
mod chain;
mod chain_pages;
mod form;
mod form1;
mod i18n;
mod inquiries;
mod inquiry_form;
mod ledger;
mod me;
mod outside;
mod pages;
mod people;
mod public;
mod register;
mod session;
mod steps;
mod table;
mod upkeep;

use axum::extract::{Form, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tower_http::csrf::CsrfLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use i18n::{Lang, Tr};
use pages::{HomePage, SignInPage};
pub use session::{lang_cookie, lang_of};
use session::{session_cookie, session_removal, WebCaller};

use crate::throttle::Peer;
use crate::wire::SignIn;
use crate::{workflow, Shared};

/// The screens' routes, with their security headers.
pub fn routes() -> Router<Shared> {
    let router = Router::new()
        .route("/", get(home))
        .route("/public", get(public::page))
        .route("/public/cameras.csv", get(public::cameras_csv))
        .route("/public/map.pdf", get(public::map_pdf))
        .route("/public/statistics.json", get(public::statistics_json))
        .route("/public/cameras.geojson", get(public::cameras_geojson))
        .route(
            "/public/inquiry",
            get(inquiry_form::form).post(inquiry_form::submit),
        )
        .route(
            "/public/inquiry/status",
            get(inquiry_form::status_form).post(inquiry_form::status),
        )
        .route("/inquiries", get(inquiries::list))
        .route("/inquiries/{receipt}", get(inquiries::show))
        .route(
            "/inquiries/{receipt}/{what}",
            get(inquiries::step_form).post(inquiries::step),
        )
        .route("/signin", get(sign_in_page).post(sign_in))
        .route("/signout", post(sign_out))
        .route("/pledge", post(pledge))
        .route(
            "/me/totp",
            get(account::totp_page).post(account::start_totp),
        )
        .route("/me/totp/confirm", post(account::confirm_totp))
        .route(
            "/me/password",
            get(me::password_form).post(me::change_password),
        )
        .route("/me/sessions", get(me::sessions))
        .route("/me/sessions/end-others", post(me::sign_out_elsewhere))
        .route("/enrol", get(me::enrol_form).post(me::enrol))
        .route("/cameras", get(cameras::page))
        .route("/register", get(register::page))
        .route(
            "/register/sites/new",
            get(register::site_form).post(register::choose_site),
        )
        .route(
            "/register/cameras/{id}/{what}",
            get(register::camera_form).post(register::camera_step),
        )
        .route(
            "/register/signs/new",
            get(register::sign_form).post(register::place_sign),
        )
        .route(
            "/register/signs/{id}/removal",
            get(register::sign_removal_form).post(register::remove_sign),
        )
        .route("/ledger", get(ledger::page))
        .route("/ledger/events/{id}", get(ledger::event))
        .route("/staff", get(people::staff))
        .route("/terminals", get(people::terminals))
        .route(
            "/staff/new",
            get(upkeep::account_form).post(upkeep::create_account),
        )
        .route(
            "/staff/appoint",
            get(upkeep::appoint_form).post(upkeep::appoint),
        )
        .route("/proposals", get(upkeep::proposals))
        .route(
            "/proposals/{id}/{what}",
            get(upkeep::decide_form).post(upkeep::decide),
        )
        .route(
            "/appointments/{id}/end",
            get(upkeep::end_form).post(upkeep::end_appointment),
        )
        .route(
            "/terminals/new",
            get(upkeep::terminal_form).post(upkeep::register_terminal),
        )
        .route(
            "/terminals/{id}/revoke",
            get(upkeep::revoke_form).post(upkeep::revoke_terminal),
        )
        .route(
            "/terminals/{id}/history",
            get(upkeep::history_form).post(upkeep::reconcile),
        )
        .route("/form1", get(form1::page))
        .route("/form1.csv", get(form1::csv))
        .route("/form1.pdf", get(form1::pdf))
        .route(
            "/form1/{serial}/correct",
            get(form1::correct_form).post(form1::correct),
        )
        .route("/requests/{id}/form2.pdf", get(chain::form2_pdf))
        .route("/requests/{id}/form3.pdf", get(chain::form3_pdf))
        .route(
            "/delegations/{id}/confirmation.pdf",
            get(outside::delegation_pdf),
        )
        .route("/orders/new", get(chain::order_form))
        .route("/orders", post(chain::order))
        .route("/requests", get(outside::requests))
        .route("/requests/{id}", get(chain::request))
        .route(
            "/requests/{id}/{step}",
            get(chain::step_form).post(chain::take_step),
        )
        .route(
            "/provisions/new",
            get(outside::provision_form).post(outside::register_provision),
        )
        .route(
            "/emergency/new",
            get(outside::emergency_form).post(outside::authorize_emergency),
        )
        .route("/holds", get(outside::holds))
        .route(
            "/holds/new",
            get(outside::hold_form).post(outside::place_hold),
        )
        .route("/delegations", get(outside::delegations))
        .route(
            "/delegations/new",
            get(outside::delegation_form).post(outside::record_delegation),
        )
        .route(
            "/delegations/{id}/withdraw",
            get(outside::withdraw_form).post(outside::withdraw_delegation),
        )
        .route("/lang", post(switch_language))
        .route("/static/style.css", get(style));
    harden(router)
}

/// The screens' stylesheet (system fonts only), shared with the terminal's own page.
pub const STYLE: &str = include_str!("../../static/style.css");

/// What every page of mimamori carries, the office's and the terminal's: cross-site form posts
/// refused, a Content Security Policy that allows no script, and no caching.
pub fn harden<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let csp = HeaderValue::from_static(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    );
    router
        .layer(CsrfLayer::new().with_rejection_response(cross_site_refused))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// A form another site made a browser send (`Sec-Fetch-Site: cross-site`, or a foreign
/// `Origin`): refused before any handler runs, in both languages (the page's language is not
/// known from a foreign request).
fn cross_site_refused(_: tower_http::csrf::ProtectionError) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"ja\"><meta charset=\"utf-8\"><title>403</title>\
         <p>{}</p><p lang=\"en\">{}</p></html>",
        Tr::new(Lang::Ja).t("error-forbidden"),
        Tr::new(Lang::En).t("error-forbidden")
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

/// `/`: what waits for a signed-in person; for everyone else the public page (N3.1b), with
/// the staff's sign-in as a link on it. A stale session cookie is dropped.
async fn home(State(office): State<Shared>, jar: CookieJar) -> Response {
    let tr = Tr::new(lang_of(&jar));
    let Some(token) = session::session_token(&jar) else {
        return public::render(&office, tr, "/").await;
    };
    let Ok(caller) = crate::auth::Caller::for_session(&office, &token).await else {
        let page = public::render(&office, tr, "/").await;
        return (jar.add(session_removal()), page).into_response();
    };
    match workflow::my_work::my_work(&office, &caller).await {
        Ok(work) => HomePage::new(tr, &caller, work).into_response(),
        Err(e) => pages::error_page(tr, &e),
    }
}

async fn sign_in_page(jar: CookieJar) -> Response {
    SignInPage::new(Tr::new(lang_of(&jar)), "", None).into_response()
}

/// The sign-in form's fields (the office's page and the terminal's page post the same).
#[derive(Deserialize)]
pub struct SignInForm {
    pub login: String,
    pub password: String,
    #[serde(default)]
    pub totp: String,
}

/// N3.3.1: the same sign-in as the API's, its session in a cookie. A refusal shows the
/// sign-in page again with the login kept and the reason in the page's language.
async fn sign_in(
    State(office): State<Shared>,
    jar: CookieJar,
    peer: Option<Extension<Peer>>,
    Form(form): Form<SignInForm>,
) -> Response {
    let tr = Tr::new(lang_of(&jar));
    let totp = Some(form.totp.trim().to_owned()).filter(|t| !t.is_empty());
    let request = SignIn {
        login: form.login.clone(),
        password: form.password,
        totp,
    };
    match workflow::signin::sign_in(&office, request, peer.map(|Extension(p)| p)).await {
        Ok(signed_in) => {
            (jar.add(session_cookie(signed_in.token)), Redirect::to("/")).into_response()
        }
        Err(e) => {
            let status = e.status;
            let page = SignInPage::new(tr, &form.login, Some(&e));
            (status, page).into_response()
        }
    }
}

async fn sign_out(State(office): State<Shared>, web: WebCaller) -> Response {
    let jar = web.jar.clone().add(session_removal());
    match workflow::signin::sign_out(&office, &web.caller).await {
        Ok(()) => (jar, Redirect::to("/signin")).into_response(),
        Err(e) => pages::error_page(Tr::new(web.lang), &e),
    }
}

#[derive(Deserialize)]
struct PledgeForm {
    sha256: String,
}

/// N12: the confidentiality pledge, acknowledged from the home page, where its text is shown;
/// the form carries the hash of the text shown, as the API's acknowledgement does.
async fn pledge(
    State(office): State<Shared>,
    web: WebCaller,
    Form(form): Form<PledgeForm>,
) -> Response {
    let ack = crate::wire::Acknowledge {
        sha256: form.sha256,
    };
    match workflow::signin::acknowledge_pledge(&office, &web.caller, ack).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => pages::error_page(Tr::new(web.lang), &e),
    }
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// The language switch: remembered in a cookie, then back to the page it was pressed on.
async fn switch_language(jar: CookieJar, Form(form): Form<LangForm>) -> Response {
    let Some(lang) = Lang::parse(&form.lang) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    // Only a path of this site: never `//host` or a full URL.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back
    } else {
        "/".to_owned()
    };
    (jar.add(lang_cookie(lang)), Redirect::to(&back)).into_response()
}
