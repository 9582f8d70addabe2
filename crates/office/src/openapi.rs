//! The API's OpenAPI document, generated from the code: each handler's `#[utoipa::path]` (its
//! summary and description are the handler's doc comment, its rule the `x-rule` extension)
//! and the wire types' `ToSchema`. Nothing here is written by hand that the code already says,
//! so the document cannot drift from the routes (`tests::openapi_documents_every_route`
//! checks both ways).
//!
//! The error answers every route shares (401 and 403 for a signed-in route, 400, 413, 415 and
//! 422 for a route with a body, 500 for all) are added by [`SharedErrors`] rather than
//! repeated on 46 handlers; a handler names only the ones specific to it (404, 409).

use std::sync::LazyLock;

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::ErrorBody;

/// The document as served: built once.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mimamori API",
        version = "1",
        description = "The office API of mimamori, a ward's crime-prevention camera system. It \
runs the ward's side of the guideline: staff and appointments (N7), sign-in (N3.3.1), terminals \
(N2, N8), and the request chain (N9–N11) whose retrieval grant is the only way footage leaves; \
no route streams live footage (N6.3). The ledger routes are public so anyone can hold the ward \
to its signed checkpoints.\n\nErrors are Japanese-first: every error body carries a stable \
`code`, the guideline `rule` that refused (if any), and `message` in Japanese unless \
`Accept-Language` prefers English, with `message_en` and `message_ja` alongside.\n\n`x-rule` on \
an operation names the guideline rule (or rules) it carries out.",
    ),
    servers((url = "/")),
    tags(
        (name = "public", description = "Health, metrics and this document; no authentication."),
        (name = "ledger", description = "Signed checkpoints, keys and RFC 6962 proofs (N3.2.1); no authentication."),
        (name = "account", description = "Sign-in, password and pledge (N3.3.1, N12)."),
        (name = "staff", description = "Accounts and appointments (N7)."),
        (name = "terminals", description = "Dedicated terminals (N2, N3.3, N8)."),
        (name = "requests", description = "The request chain (N9)."),
        (name = "form1", description = "様式第1号 (N9.3)."),
        (name = "outside", description = "Outside bodies: provision requests and hand-over (N10.1, T6), delegations (N10.2) and emergency retrievals with Form 3 (N11)."),
        (name = "holds", description = "Holds that keep footage beyond retention (T5.3)."),
        (name = "register", description = "The camera register: sites and their police crime information (N4.1), views, installation, operation and removal (T2.1, T7.2), and signs (N4.2, T2.2)."),
        (name = "inquiries", description = "Inquiries and complaints from the public (T3.3 c, T8): the public form and status page, and the staff's assignment, notes, answers and closing; a request to see footage of oneself becomes a provision request (T6.1 d)."),
    ),
    security(("bearerAuth" = [])),
    paths(
        crate::health,
        crate::metrics,
        crate::openapi,
        crate::ledger_api::latest_checkpoint,
        crate::ledger_api::checkpoints,
        crate::ledger_api::keys,
        crate::ledger_api::inclusion,
        crate::ledger_api::consistency,
        crate::http::auth::sign_in,
        crate::http::auth::enrol,
        crate::http::auth::sign_out,
        crate::http::auth::me,
        crate::http::auth::change_password,
        crate::http::auth::pledge_text,
        crate::http::auth::acknowledge_pledge,
        crate::http::auth::my_sessions,
        crate::http::auth::sign_out_elsewhere,
        crate::http::auth::start_totp,
        crate::http::auth::confirm_totp,
        crate::http::staff::list,
        crate::http::staff::create,
        crate::http::staff::show,
        crate::http::staff::leave,
        crate::http::staff::reissue_enrolment,
        crate::http::staff::appoint,
        crate::http::staff::appointments,
        crate::http::staff::proposals,
        crate::http::staff::confirm_proposal,
        crate::http::staff::reject_proposal,
        crate::http::staff::end_appointment,
        crate::http::terminals::list,
        crate::http::terminals::register,
        crate::http::terminals::revoke,
        crate::http::requests::order,
        crate::http::requests::list,
        crate::http::requests::show,
        crate::http::requests::instruct,
        crate::http::requests::issue_grant,
        crate::http::requests::retrieve,
        crate::http::requests::report,
        crate::http::requests::cancel,
        crate::http::outside::register_provision,
        crate::http::outside::accept,
        crate::http::outside::decline,
        crate::http::outside::hand_over,
        crate::http::outside::delegations,
        crate::http::outside::record_delegation,
        crate::http::outside::withdraw_delegation,
        crate::http::outside::authorize_emergency,
        crate::http::outside::record_form3,
        crate::http::outside::reconcile_history,
        crate::http::outside::holds,
        crate::http::outside::place_hold,
        crate::http::register::read_register,
        crate::http::register::choose_site,
        crate::http::register::record_details,
        crate::http::register::install,
        crate::http::register::start_operation,
        crate::http::register::remove_camera,
        crate::http::register::place_sign,
        crate::http::register::remove_sign,
        crate::http::inquiries::submit,
        crate::http::inquiries::status,
        crate::http::inquiries::list,
        crate::http::inquiries::show,
        crate::http::inquiries::assign,
        crate::http::inquiries::note,
        crate::http::inquiries::answer,
        crate::http::inquiries::start_provision,
        crate::http::inquiries::close,
        crate::http::inquiries::dismiss,
        crate::http::form1::list,
        crate::http::form1::correct,
        crate::http::documents::form1,
        crate::http::documents::form2,
        crate::http::documents::form3,
        crate::http::documents::delegation,
        crate::http::alerts::list,
    ),
    components(schemas(ErrorBody, PlainError)),
    modifiers(&SharedErrors),
)]
struct ApiDoc;

/// The body of a 500 from `/api/v1/health` and `/metrics`, which predate the shared
/// `ErrorBody` shape.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema: the handlers write the same shape with `internal_error`
pub struct PlainError {
    /// What failed.
    error: String,
}

/// The shared error answers, by status: the component's name and when it is given.
const SHARED: [(&str, &str, &str); 9] = [
    ("400", "BadRequest", "`invalid_input` (a field is missing or wrong; `message` names it), `malformed_json`, or a route-specific code. A path or query parameter that does not parse (e.g. a non-numeric id) is refused by the framework with a plain-text 400."),
    ("401", "Unauthorized", "`unauthenticated` (no or unknown bearer token), `session_ended` (idle, signed out, or the person left), or `bad_credentials` (N3.3.1)."),
    ("403", "Forbidden", "A policy refusal: `password_change_due` (N3.3.1), `pledge_required` (N12), `role_not_permitted`, `separation_of_duties` (T3), or a step-specific code; `rule` names the rule. Every refusal is recorded in the ledger."),
    ("404", "NotFound", "`unknown_*` or another route-specific code."),
    ("409", "Conflict", "`conflict`: another operation got there first (already taken, already ended, already used, or the request moved on)."),
    ("413", "PayloadTooLarge", "`body_too_large`: request bodies are at most 64 KiB."),
    ("415", "UnsupportedMediaType", "`not_json`: send `Content-Type: application/json`."),
    ("422", "UnprocessableEntity", "`malformed_json`: the JSON does not have the fields or types this route takes."),
    ("500", "InternalError", "`internal`, with an incident number; the cause is in the office's log."),
];

/// Adds the bearer scheme, the shared error responses as components, and each operation's
/// share of them.
struct SharedErrors;

impl Modify for SharedErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token from POST /api/v1/sessions. Sessions end when idle (N3.3.1).",
                    ))
                    .build(),
            ),
        );
        for (_, name, description) in SHARED {
            components
                .responses
                .insert(name.to_owned(), RefOr::T(error_response(description)));
        }
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_shared(op);
            }
        }
    }
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "ErrorBody",
            )))),
        )
        .build()
}

/// Gives an operation the shared answers it can get and does not already describe.
fn add_shared(op: &mut Operation) {
    // `security(())` on a handler (an empty requirement) marks a route open to anyone.
    let open = op
        .security
        .as_ref()
        .is_some_and(|s| s.iter().all(|r| *r == SecurityRequirement::default()));
    let mut statuses = vec!["500"];
    if !open {
        statuses.extend(["401", "403"]);
    }
    if op.request_body.is_some() {
        statuses.extend(["400", "413", "415", "422"]);
    }
    for status in statuses {
        let (_, name, _) = SHARED
            .iter()
            .find(|(s, _, _)| *s == status)
            .expect("a shared status");
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                RefOr::Ref(utoipa::openapi::Ref::new(format!(
                    "#/components/responses/{name}"
                )))
            });
    }
}

/// A handler's own use of a shared answer: `(status = 404, response = shared::NotFound)`.
pub mod shared {
    macro_rules! shared_response {
        ($($name:ident,)*) => {$(
            pub struct $name;

            impl<'a> utoipa::ToResponse<'a> for $name {
                fn response() -> (&'a str, utoipa::openapi::RefOr<utoipa::openapi::Response>) {
                    let (_, name, description) = super::SHARED
                        .iter()
                        .find(|(_, name, _)| *name == stringify!($name))
                        .expect("a shared response");
                    (name, utoipa::openapi::RefOr::T(super::error_response(description)))
                }
            }
        )*};
    }

    shared_response! {
        BadRequest,
        NotFound,
        Conflict,
        Forbidden,
        Unauthorized,
    }
}
