//! The account's own upkeep on screen (N3.3.1, N12): the first-time enrolment with the one-time
//! code the Administrator handed over (before any session), the periodic password change, and
//! the person's sessions with a way to end the others. The same workflow steps as the API's.

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use axum_extra::extract::cookie::CookieJar;
use mimamori_policy::access::Action;
use mimamori_policy::Rule;

use super::form::{self, must, FormSpec, Input, Paths, SectionSpec, StepPage, Values};
use super::pages::{jst, SignInPage};
use super::session::{lang_of, WebCaller};
use super::table::{Row, TablePage};
use super::Tr;
use crate::error::ApiError;
use crate::throttle::Peer;
use crate::wire::{Enrol, NewPassword};
use crate::{workflow, Shared};

/// The password typed twice must match: a slip of the finger is caught before the workflow.
fn typed_twice(v: &Values, field: &str, again: &str) -> Result<String, ApiError> {
    let password = v.get(field).to_owned();
    if password != v.get(again) {
        return Err(ApiError::invalid(
            again,
            "the two passwords differ",
            "確認のパスワードが一致しません",
        )
        .rule(Rule::N3_3_1));
    }
    Ok(password)
}

/// N3.3.1: the holder sets their own password with the enrolment code.
pub const ENROL: FormSpec = FormSpec {
    title: "enrol-title",
    lead: "enrol-lead",
    submit: "enrol-submit",
    not_yours: "form-not-yours",
    action: Some(Action::ChangeOwnPassword),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("login", "signin-login", Input::Text),
            must("code", "enrol-code", Input::Text),
            must("password", "password-new", Input::Secret),
            must("again", "password-again", Input::Secret),
        ],
    }],
};

fn enrol_paths() -> Paths {
    Paths::at("/enrol".into(), "/signin")
}

pub async fn enrol_form(State(office): State<Shared>, jar: CookieJar) -> Response {
    let who = (Tr::new(lang_of(&jar)), None);
    StepPage::new(
        &office,
        who,
        &ENROL,
        enrol_paths(),
        &Values::default(),
        None,
    )
    .await
    .into_response()
}

/// The enrolment opens no session: the person signs in next, and pledges then (N12).
pub async fn enrol(
    State(office): State<Shared>,
    jar: CookieJar,
    peer: Option<Extension<Peer>>,
    Form(values): Form<Values>,
) -> Response {
    let tr = Tr::new(lang_of(&jar));
    let login = values.text("login");
    let result = async {
        let password = typed_twice(&values, "password", "again")?;
        let request = Enrol {
            login: login.clone(),
            code: values.text("code"),
            password,
        };
        workflow::enrolment::enrol(&office, request, peer.map(|Extension(p)| p)).await
    }
    .await;
    match result {
        Ok(()) => (SignInPage::new(tr, &login, None).enrolled()).into_response(),
        Err(e) => {
            let who = (tr, None);
            let page = StepPage::new(&office, who, &ENROL, enrol_paths(), &values, Some(&e)).await;
            (e.status, page).into_response()
        }
    }
}

/// N3.3.1: the periodic change; the person's other sessions end.
pub const PASSWORD: FormSpec = FormSpec {
    title: "password-title",
    lead: "password-lead",
    submit: "password-submit",
    not_yours: "form-not-yours",
    action: Some(Action::ChangeOwnPassword),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("current", "password-current", Input::Secret),
            must("new", "password-new", Input::Secret),
            must("again", "password-again", Input::Secret),
        ],
    }],
};

fn password_paths() -> Paths {
    Paths::at("/me/password".into(), "/")
}

pub async fn password_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(
        &office,
        &web,
        &PASSWORD,
        password_paths(),
        &Values::default(),
    )
    .await
}

pub async fn change_password(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let new = typed_twice(&values, "new", "again")?;
        let request = NewPassword {
            current: values.get("current").to_owned(),
            new,
        };
        workflow::signin::change_password(&office, &web.caller, request).await
    }
    .await;
    form::answer(
        &office,
        &web,
        &PASSWORD,
        password_paths(),
        &values,
        result,
        |()| "/me/sessions".to_owned(),
    )
    .await
}

/// The person's open sessions, and a button that ends every other one.
pub async fn sessions(State(office): State<Shared>, web: WebCaller) -> Response {
    let columns = [
        "sessions-started",
        "sessions-last-used",
        "sessions-second-factor",
        "sessions-this",
    ];
    let page = TablePage::new(
        &web,
        "/me/sessions",
        "sessions-title",
        "sessions-lead",
        &columns,
    )
    .action(true, "/me/password", "password-title")
    .button("/me/sessions/end-others", "sessions-end-others");
    let tr = page.tr;
    let mark = |on: bool| {
        if on {
            tr.t("sessions-yes")
        } else {
            String::new()
        }
    };
    let rows = workflow::sessions::my_sessions(&office, &web.caller).await;
    page.answer(rows.map(|list| {
        list.into_iter()
            .map(|s| Row {
                cells: vec![
                    jst(s.started),
                    jst(s.last_used),
                    mark(s.second_factor),
                    mark(s.this),
                ],
                links: Vec::new(),
            })
            .collect()
    }))
}

pub async fn sign_out_elsewhere(State(office): State<Shared>, web: WebCaller) -> Response {
    match workflow::sessions::sign_out_elsewhere(&office, &web.caller).await {
        Ok(_) => Redirect::to("/me/sessions").into_response(),
        Err(e) => super::pages::error_page(Tr::new(web.lang), &e),
    }
}
