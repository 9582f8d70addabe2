//! The account's own upkeep on screen: setting up the second factor (N3.3.1), which the
//! Manager and the Operations lead need before any step (`second_factor_for_leads`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::pages::{self, Person, Problem};
use super::session::WebCaller;
use super::Tr;
use crate::wire::Code;
use crate::{workflow, Shared};

#[derive(Template, WebTemplate)]
#[template(path = "totp.html")]
pub struct TotpPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    /// The new secret, in groups of four, and its `otpauth:` URI; none before starting.
    pub secret: Option<(String, String)>,
    /// The URI as a QR code (inline SVG, drawn here from the URI alone) for the app to scan.
    pub qr_svg: Option<String>,
    pub problem: Option<Problem>,
}

pub async fn totp_page(web: WebCaller) -> Response {
    TotpPage {
        tr: Tr::new(web.lang),
        me: Some(Person::of(&web.caller)),
        here: "/me/totp",
        secret: None,
        qr_svg: None,
        problem: None,
    }
    .into_response()
}

/// The `otpauth:` URI as an SVG QR code, without the XML declaration (it goes inside HTML).
fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Some(match svg.find("<svg") {
        Some(at) => svg[at..].to_owned(),
        None => svg,
    })
}

/// Starts setting up: a new secret for the app (it replaces one not yet confirmed).
pub async fn start_totp(State(office): State<Shared>, web: WebCaller) -> Response {
    let tr = Tr::new(web.lang);
    match workflow::signin::start_totp(&office, &web.caller).await {
        Ok(secret) => {
            let grouped = secret
                .secret
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            TotpPage {
                tr,
                me: Some(Person::of(&web.caller)),
                here: "/me/totp",
                qr_svg: qr_svg(&secret.otpauth_uri),
                secret: Some((grouped, secret.otpauth_uri)),
                problem: None,
            }
            .into_response()
        }
        Err(e) => pages::error_page(tr, &e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    #[serde(default)]
    current: String,
}

/// A code from the app switches the second factor on.
pub async fn confirm_totp(
    State(office): State<Shared>,
    web: WebCaller,
    Form(form): Form<CodeForm>,
) -> Response {
    let tr = Tr::new(web.lang);
    let code = Code {
        code: form.code.trim().to_owned(),
        current: Some(form.current.trim().to_owned()).filter(|c| !c.is_empty()),
    };
    match workflow::signin::confirm_totp(&office, &web.caller, code).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => {
            let page = TotpPage {
                tr,
                me: Some(Person::of(&web.caller)),
                here: "/me/totp",
                secret: None,
                qr_svg: None,
                problem: Some(Problem::of(&e, tr.lang)),
            };
            (e.status, page).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_qr_code_is_an_inline_svg() {
        let svg = super::qr_svg("otpauth://totp/x:sato?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(!svg.contains("<?xml") && !svg.contains("<script"));
    }
}
