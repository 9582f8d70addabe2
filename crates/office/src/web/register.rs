//! The camera register's screens (issue 14): the list with what needs attention, and one form
//! per step (site, details, installed, operation, removal, sign, sign removal). Every form
//! calls the same `workflow::register` step as the JSON API.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use mimamori_policy::access::Action;

use super::form::{self, may, must, FormSpec, Input, Paths, SectionSpec, Source, Values};
use super::pages::{self, Person};
use super::session::WebCaller;
use super::Tr;
use crate::error::ApiError;
use crate::wire::register::{
    DatedInput, DetailsInput, RegisterCameraOut, RemovalInput, SignInput, SignOut, SiteInput,
    ViewInput,
};
use crate::{workflow, Shared};

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: &'static str,
    pub cameras: Vec<RegisterCameraOut>,
    pub signs: Vec<SignOut>,
    pub unregistered: Vec<String>,
    pub removed_in_policy: Vec<String>,
    pub unsigned: Vec<String>,
    pub may_choose: bool,
    pub may_work: bool,
    pub may_remove: bool,
}

/// The register: every camera with its site's justification and state, every sign, and what
/// needs attention (policy cameras not in it, cameras in operation with no sign).
pub async fn page(State(office): State<Shared>, web: WebCaller) -> Response {
    let tr = Tr::new(web.lang);
    match workflow::register::register(&office, &web.caller).await {
        Ok(r) => RegisterPage {
            tr,
            me: Some(Person::of(&web.caller)),
            here: "/register",
            cameras: r.cameras,
            signs: r.signs,
            unregistered: r.unregistered,
            removed_in_policy: r.removed_in_policy,
            unsigned: r.unsigned,
            may_choose: web.caller.role_for(Action::ChooseSite).is_some(),
            may_work: web.caller.role_for(Action::RecordCameraWork).is_some(),
            may_remove: web.caller.role_for(Action::RemoveCamera).is_some(),
        }
        .into_response(),
        Err(e) => pages::error_page(tr, &e),
    }
}

const VIEW_FIELDS: [form::FieldSpec; 5] = [
    must("bearing_deg", "reg-bearing", Input::Text),
    must("fov_deg", "reg-fov", Input::Number),
    must("range_m", "reg-range", Input::Number),
    may("height_m", "reg-height", Input::Text),
    may("privacy_notes", "reg-privacy", Input::Area),
];

/// N4.1: the Manager chooses a site, with the police's crime information.
pub const SITE: FormSpec = FormSpec {
    title: "reg-site-title",
    lead: "reg-site-lead",
    submit: "reg-site-submit",
    not_yours: "form-not-yours",
    action: Some(Action::ChooseSite),
    sections: &[
        SectionSpec {
            legend: None,
            fields: &[
                must("camera", "reg-camera-id", Input::Text),
                must("name", "reg-name", Input::Text),
                must("address", "reg-address", Input::Text),
                must("lat", "reg-lat", Input::Text),
                must("lon", "reg-lon", Input::Text),
            ],
        },
        SectionSpec {
            legend: Some("reg-view"),
            fields: &VIEW_FIELDS,
        },
        SectionSpec {
            legend: Some("reg-basis"),
            fields: &[
                must("basis_document", "reg-basis-document", Input::Text),
                must("basis_date", "reg-basis-date", Input::Day),
                must("basis_summary", "reg-basis-summary", Input::Area),
            ],
        },
    ],
};

/// T2.1: a camera's name and view.
pub const DETAILS: FormSpec = FormSpec {
    title: "reg-details-title",
    lead: "reg-details-lead",
    submit: "reg-details-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RecordCameraWork),
    sections: &[
        SectionSpec {
            legend: None,
            fields: &[must("name", "reg-name", Input::Text)],
        },
        SectionSpec {
            legend: Some("reg-view"),
            fields: &VIEW_FIELDS,
        },
    ],
};

/// T2.1: installed on a date.
pub const INSTALLED: FormSpec = FormSpec {
    title: "reg-installed-title",
    lead: "reg-installed-lead",
    submit: "reg-installed-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RecordCameraWork),
    sections: &[SectionSpec {
        legend: None,
        fields: &[must("on", "reg-on", Input::Day)],
    }],
};

/// N5, N4.2: in operation from a date.
pub const OPERATION: FormSpec = FormSpec {
    title: "reg-operation-title",
    lead: "reg-operation-lead",
    submit: "reg-operation-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RecordCameraWork),
    sections: &[SectionSpec {
        legend: None,
        fields: &[must("on", "reg-on", Input::Day)],
    }],
};

/// T7.2: the camera comes down with its signs.
pub const REMOVAL: FormSpec = FormSpec {
    title: "reg-removal-title",
    lead: "reg-removal-lead",
    submit: "reg-removal-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RemoveCamera),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("on", "reg-on", Input::Day),
            must("reason", "reason-label", Input::Area),
        ],
    }],
};

/// N4.2, T2.2: a sign placed.
pub const SIGN: FormSpec = FormSpec {
    title: "reg-sign-title",
    lead: "reg-sign-lead",
    submit: "reg-sign-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RecordCameraWork),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("text", "reg-sign-text", Input::Text),
            must(
                "cameras",
                "reg-sign-cameras",
                Input::Multiple(Source::Register),
            ),
            must("lat", "reg-lat", Input::Text),
            must("lon", "reg-lon", Input::Text),
            must("on", "reg-on", Input::Day),
        ],
    }],
};

/// T7.2: a sign taken down or found gone.
pub const SIGN_REMOVAL: FormSpec = FormSpec {
    title: "reg-sign-removal-title",
    lead: "reg-sign-removal-lead",
    submit: "reg-sign-removal-submit",
    not_yours: "form-not-yours",
    action: Some(Action::RecordCameraWork),
    sections: &[SectionSpec {
        legend: None,
        fields: &[
            must("on", "reg-on", Input::Day),
            must("reason", "reason-label", Input::Area),
        ],
    }],
};

fn view_input(values: &Values) -> Result<ViewInput, ApiError> {
    Ok(ViewInput {
        bearing_deg: values.integer("bearing_deg")?,
        fov_deg: values.integer("fov_deg")?,
        range_m: values.integer("range_m")?,
        height_m: values.optional_decimal("height_m")?,
        privacy_notes: values.text("privacy_notes"),
    })
}

fn today(office: &crate::OfficeState) -> String {
    office
        .clock
        .now()
        .to_zoned(office.policy.ward.time_zone.clone())
        .date()
        .to_string()
}

fn site_paths() -> Paths {
    Paths::at("/register/sites/new".into(), "/register")
}

pub async fn site_form(State(office): State<Shared>, web: WebCaller) -> Response {
    form::show(&office, &web, &SITE, site_paths(), &Values::default()).await
}

pub async fn choose_site(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let input = SiteInput {
            camera: values.text("camera"),
            name: values.text("name"),
            address: values.text("address"),
            lat: values.decimal("lat")?,
            lon: values.decimal("lon")?,
            view: view_input(&values)?,
            basis_document: values.text("basis_document"),
            basis_date: values.date("basis_date")?,
            basis_summary: values.text("basis_summary"),
        };
        workflow::register::choose_site(&office, &web.caller, input).await
    }
    .await;
    let done = |_| "/register".to_owned();
    form::answer(&office, &web, &SITE, site_paths(), &values, result, done).await
}

fn camera_paths(id: &str, what: &str) -> Paths {
    Paths::at(format!("/register/cameras/{id}/{what}"), "/register")
}

/// One camera's step form: which, by the path's last part.
fn camera_spec(what: &str) -> Option<&'static FormSpec> {
    match what {
        "details" => Some(&DETAILS),
        "installed" => Some(&INSTALLED),
        "operation" => Some(&OPERATION),
        "removal" => Some(&REMOVAL),
        _ => None,
    }
}

fn unknown_form() -> ApiError {
    ApiError::not_found("unknown_form", "no such form", "そのような画面はありません")
}

pub async fn camera_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path((id, what)): Path<(String, String)>,
) -> Response {
    let Some(spec) = camera_spec(&what) else {
        return pages::error_page(Tr::new(web.lang), &unknown_form());
    };
    let mut start = vec![("on", today(&office))];
    if what == "details" {
        let found = workflow::register::register(&office, &web.caller)
            .await
            .ok()
            .and_then(|r| r.cameras.into_iter().find(|c| c.id == id));
        if let Some(c) = found {
            start = vec![
                ("name", c.name),
                ("bearing_deg", c.bearing_deg.to_string()),
                ("fov_deg", c.fov_deg.to_string()),
                ("range_m", c.range_m.to_string()),
                (
                    "height_m",
                    c.height_m.map(|h| h.to_string()).unwrap_or_default(),
                ),
                ("privacy_notes", c.privacy_notes),
            ];
        }
    }
    let pairs: Vec<(&str, &str)> = start.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let at = camera_paths(&id, &what);
    form::show(&office, &web, spec, at, &Values::with(&pairs)).await
}

pub async fn camera_step(
    State(office): State<Shared>,
    web: WebCaller,
    Path((id, what)): Path<(String, String)>,
    Form(values): Form<Values>,
) -> Response {
    let Some(spec) = camera_spec(&what) else {
        return pages::error_page(Tr::new(web.lang), &unknown_form());
    };
    let (o, c) = (&office, &web.caller);
    let result = async {
        match what.as_str() {
            "details" => {
                let input = DetailsInput {
                    name: values.text("name"),
                    view: view_input(&values)?,
                };
                workflow::register::record_details(o, c, &id, input).await
            }
            "installed" => {
                let input = DatedInput {
                    on: values.date("on")?,
                };
                workflow::register::install(o, c, &id, input).await
            }
            "operation" => {
                let input = DatedInput {
                    on: values.date("on")?,
                };
                workflow::register::start_operation(o, c, &id, input).await
            }
            _ => {
                let input = RemovalInput {
                    on: values.date("on")?,
                    reason: values.text("reason"),
                };
                workflow::register::remove_camera(o, c, &id, input)
                    .await
                    .map(|_| ())
            }
        }
    }
    .await;
    let at = camera_paths(&id, &what);
    let done = |_| "/register".to_owned();
    form::answer(&office, &web, spec, at, &values, result, done).await
}

fn sign_paths() -> Paths {
    Paths::at("/register/signs/new".into(), "/register")
}

pub async fn sign_form(State(office): State<Shared>, web: WebCaller) -> Response {
    let today = today(&office);
    let text = format!("防犯カメラ作動中 {}", office.policy.ward.name);
    let start = Values::with(&[("on", &today), ("text", &text)]);
    form::show(&office, &web, &SIGN, sign_paths(), &start).await
}

pub async fn place_sign(
    State(office): State<Shared>,
    web: WebCaller,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let input = SignInput {
            lat: values.decimal("lat")?,
            lon: values.decimal("lon")?,
            text: values.text("text"),
            cameras: values.all("cameras"),
            on: values.date("on")?,
        };
        workflow::register::place_sign(&office, &web.caller, input).await
    }
    .await;
    let done = |_| "/register".to_owned();
    form::answer(&office, &web, &SIGN, sign_paths(), &values, result, done).await
}

fn sign_removal_paths(id: i64) -> Paths {
    Paths::at(format!("/register/signs/{id}/removal"), "/register").about("reg-sign", id)
}

pub async fn sign_removal_form(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
) -> Response {
    let start = Values::with(&[("on", &today(&office))]);
    let at = sign_removal_paths(id);
    form::show(&office, &web, &SIGN_REMOVAL, at, &start).await
}

pub async fn remove_sign(
    State(office): State<Shared>,
    web: WebCaller,
    Path(id): Path<i64>,
    Form(values): Form<Values>,
) -> Response {
    let result = async {
        let input = RemovalInput {
            on: values.date("on")?,
            reason: values.text("reason"),
        };
        workflow::register::remove_sign(&office, &web.caller, id, input).await
    }
    .await;
    let at = sign_removal_paths(id);
    let done = |_| "/register".to_owned();
    form::answer(&office, &web, &SIGN_REMOVAL, at, &values, result, done).await
}
