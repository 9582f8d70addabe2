//! One form page for every step that is only fields (issue 13): a step declares its fields
//! once, as data ([`FormSpec`]), and one template (`step.html`) draws them with their labels,
//! what was typed, and the refusal next to the field it names. Field names are the API's field
//! paths (`identity_check.checked_by`), so the workflow's `ApiError.field` finds its input
//! without a table of its own.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::DateTime;
use jiff::Timestamp;
use mimamori_policy::access::{Action, Role};
use serde::Deserialize;

use super::chain_pages::{basis_choices, camera_choices, Choice};
use super::pages::{Person, Problem};
use super::session::WebCaller;
use super::Tr;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::OfficeState;

/// What a form posted, in order (a multiple choice posts its name once per value).
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Values(Vec<(String, String)>);

impl Values {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The text of `name`, trimmed.
    pub fn text(&self, name: &str) -> String {
        self.get(name).trim().to_owned()
    }

    /// Whether the box `name` was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    /// A whole number of at least 1.
    pub fn count(&self, name: &str) -> Result<u32, ApiError> {
        self.get(name)
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                ApiError::invalid(
                    name,
                    "give a number of 1 or more",
                    "1以上の数を入力してください",
                )
            })
    }

    /// A `datetime-local` value (`2026-11-30T09:00`) read as Japan time.
    pub fn japan_time(&self, name: &str) -> Result<Timestamp, ApiError> {
        japan_time(name, self.get(name))
    }

    /// A whole number (which range is right is the step's to say).
    pub fn integer(&self, name: &str) -> Result<i64, ApiError> {
        self.get(name)
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::invalid(name, "give a whole number", "整数を入力してください"))
    }

    /// A decimal number such as `35.681236`.
    pub fn decimal(&self, name: &str) -> Result<f64, ApiError> {
        self.get(name)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                ApiError::invalid(
                    name,
                    "give a number such as 35.681236",
                    "35.681236 のような数値を入力してください",
                )
            })
    }

    /// A decimal number, or `None` when left empty.
    pub fn optional_decimal(&self, name: &str) -> Result<Option<f64>, ApiError> {
        if self.get(name).trim().is_empty() {
            Ok(None)
        } else {
            self.decimal(name).map(Some)
        }
    }

    /// A `date` value (`2026-11-30`).
    pub fn date(&self, name: &str) -> Result<jiff::civil::Date, ApiError> {
        self.get(name).trim().parse().map_err(|_| {
            ApiError::invalid(
                name,
                "give a date (YYYY-MM-DD)",
                "日付を入力してください（例: 2026-11-30）",
            )
        })
    }

    fn set(&mut self, name: &str, value: &str) {
        self.0.retain(|(n, _)| n != name);
        self.0.push((name.to_owned(), value.to_owned()));
    }

    /// Values a form starts with.
    pub fn with(pairs: &[(&str, &str)]) -> Values {
        let mut values = Values::default();
        for (n, v) in pairs {
            values.set(n, v);
        }
        values
    }
}

/// A `datetime-local` value (`2026-11-30T09:00`) read as Japan time.
pub fn japan_time(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    let bad = || {
        ApiError::invalid(
            field,
            "give a date and time (YYYY-MM-DDTHH:MM, Japan time)",
            "日時を入力してください（日本時間）",
        )
    };
    let civil: DateTime = text.trim().parse().map_err(|_| bad())?;
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").map_err(ApiError::internal)?;
    Ok(civil.to_zoned(tz).map_err(|_| bad())?.timestamp())
}

/// How a field is typed in.
#[derive(Clone, Copy)]
pub enum Input {
    Text,
    Area,
    Number,
    /// A password: never shown again after a refusal.
    Secret,
    /// A date and time, in Japan time.
    When,
    /// A calendar date.
    Day,
    Check,
    Select(Source),
    /// Several of a list.
    Multiple(Source),
}

/// Where a choice's options come from.
#[derive(Clone, Copy)]
pub enum Source {
    Cameras,
    /// The terminals in service, as the caller may see them.
    Terminals,
    /// T6.1's grounds.
    Bases,
    /// N10.1's documents: an inquiry or Form 2.
    Documents,
    /// The roles a person may be appointed to.
    Roles,
    /// The Form 1 fields a correction may change.
    Form1Fields,
    /// The appointed image handlers an instruction may name (N9.2).
    Handlers,
    /// Who may be given an inquiry to answer (T3.3 c: Manager, Operations lead).
    Assignees,
    /// The register's cameras not removed (a sign's cameras).
    Register,
}

/// One field of a step's form: its name (the API's field path), its label's key, how it is
/// typed, and whether it must be filled.
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
    pub required: bool,
}

/// A required field.
pub const fn must(name: &'static str, label: &'static str, input: Input) -> FieldSpec {
    FieldSpec {
        name,
        label,
        input,
        required: true,
    }
}

/// A field that may stay empty.
pub const fn may(name: &'static str, label: &'static str, input: Input) -> FieldSpec {
    FieldSpec {
        name,
        label,
        input,
        required: false,
    }
}

/// Fields shown together, under a legend if it has one.
pub struct SectionSpec {
    pub legend: Option<&'static str>,
    pub fields: &'static [FieldSpec],
}

/// A step's form: its words (keys) and its fields; who may use it is the policy's `action`.
pub struct FormSpec {
    pub title: &'static str,
    pub lead: &'static str,
    pub submit: &'static str,
    /// What the form says to someone whose roles do not include the step.
    pub not_yours: &'static str,
    /// The policy's action the form takes, to say `not_yours` before anything is typed; `None`
    /// when it depends on what is chosen (an appointment's role).
    pub action: Option<Action>,
    pub sections: &'static [SectionSpec],
}

/// A field as drawn.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    /// `text`, `textarea`, `number`, `password`, `datetime-local`, `checkbox`, `select` or
    /// `multiple`.
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
}

pub struct Section {
    pub legend: Option<String>,
    pub fields: Vec<Field>,
}

#[derive(Template, WebTemplate)]
#[template(path = "step.html")]
pub struct StepPage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: String,
    pub title: String,
    pub lead: String,
    /// The caller holds no role for this step: said before they type.
    pub not_yours: Option<String>,
    pub problem: Option<Problem>,
    /// Where the form posts.
    pub action: String,
    pub sections: Vec<Section>,
    pub submit: String,
    /// Where "back" goes.
    pub back: String,
}

impl StepPage {
    /// The form of `spec` at `here`, posting to `action`, filled with `values`, with the
    /// refusal `error` shown at the top and by its field. `caller` is `None` before signing in
    /// (the enrolment).
    pub async fn new(
        office: &OfficeState,
        (tr, caller): (Tr, Option<&Caller>),
        spec: &FormSpec,
        at: Paths,
        values: &Values,
        error: Option<&ApiError>,
    ) -> StepPage {
        let problem = error.map(|e| Problem::of(e, tr.lang));
        let at_field = error.and_then(|e| e.field.clone()).unwrap_or_default();
        let mut sections = Vec::new();
        for s in spec.sections {
            let mut fields = Vec::new();
            for f in s.fields {
                let value = match f.input {
                    Input::Secret => "",
                    _ => values.get(f.name),
                };
                let (kind, choices) = match f.input {
                    Input::Text => ("text", Vec::new()),
                    Input::Secret => ("password", Vec::new()),
                    Input::Area => ("textarea", Vec::new()),
                    Input::Number => ("number", Vec::new()),
                    Input::When => ("datetime-local", Vec::new()),
                    Input::Day => ("date", Vec::new()),
                    Input::Check => ("checkbox", Vec::new()),
                    Input::Select(source) => {
                        let chosen = [value.to_owned()];
                        ("select", choices(office, caller, tr, source, &chosen).await)
                    }
                    Input::Multiple(source) => {
                        let chosen = values.all(f.name);
                        (
                            "multiple",
                            choices(office, caller, tr, source, &chosen).await,
                        )
                    }
                };
                fields.push(Field {
                    name: f.name,
                    label: tr.t(f.label),
                    kind,
                    value: value.to_owned(),
                    required: f.required,
                    choices,
                    error: problem
                        .as_ref()
                        .filter(|_| at_field == f.name)
                        .map(|p| p.message.clone()),
                });
            }
            sections.push(Section {
                legend: s.legend.map(|k| tr.t(k)),
                fields,
            });
        }
        let mut title = tr.t(spec.title);
        if let Some((kind, number)) = at.subject {
            title = format!("{title}（{} {number}）", tr.t(kind));
        }
        StepPage {
            tr,
            me: caller.map(Person::of),
            here: at.here,
            title,
            lead: tr.t(spec.lead),
            not_yours: caller
                .zip(spec.action)
                .filter(|(c, action)| c.role_for(*action).is_none())
                .map(|_| tr.t(spec.not_yours)),
            problem,
            action: at.action,
            sections,
            submit: tr.t(spec.submit),
            back: at.back,
        }
    }
}

/// Where a form is: its own page, where it posts, where "back" and a success go, and what it
/// is about (shown after the title).
pub struct Paths {
    pub here: String,
    pub action: String,
    pub back: String,
    /// What the form is about: a record's kind (a key) and its number.
    pub subject: Option<(&'static str, String)>,
}

impl Paths {
    /// A form at `here` that posts to itself.
    pub fn at(here: String, back: &str) -> Paths {
        Paths {
            action: here.clone(),
            here,
            back: back.to_owned(),
            subject: None,
        }
    }

    pub fn about(mut self, kind: &'static str, number: impl std::fmt::Display) -> Paths {
        self.subject = Some((kind, number.to_string()));
        self
    }
}

/// After a step: on success to `done` (post-redirect-get); on a refusal the form again, with
/// what was typed, and the error's status.
pub async fn answer<T>(
    office: &OfficeState,
    web: &WebCaller,
    spec: &FormSpec,
    at: Paths,
    values: &Values,
    result: Result<T, ApiError>,
    done: impl FnOnce(T) -> String,
) -> Response {
    match result {
        Ok(value) => Redirect::to(&done(value)).into_response(),
        Err(e) => {
            let who = (Tr::new(web.lang), Some(&web.caller));
            let page = StepPage::new(office, who, spec, at, values, Some(&e)).await;
            (e.status, page).into_response()
        }
    }
}

/// A form, empty or prefilled.
pub async fn show(
    office: &OfficeState,
    web: &WebCaller,
    spec: &FormSpec,
    at: Paths,
    values: &Values,
) -> Response {
    let who = (Tr::new(web.lang), Some(&web.caller));
    StepPage::new(office, who, spec, at, values, None)
        .await
        .into_response()
}

async fn choices(
    office: &OfficeState,
    caller: Option<&Caller>,
    tr: Tr,
    source: Source,
    chosen: &[String],
) -> Vec<Choice> {
    let is = |v: &str| chosen.iter().any(|c| c == v);
    match source {
        Source::Cameras => {
            let mut list = camera_choices(office, "");
            list.iter_mut().for_each(|c| c.selected = is(&c.value));
            list
        }
        Source::Bases => basis_choices(chosen.first().map(String::as_str).unwrap_or("")),
        Source::Terminals => match caller {
            Some(caller) => crate::workflow::terminals::list_terminals(office, caller)
                .await
                .unwrap_or_default(),
            None => Vec::new(),
        }
        .into_iter()
        .filter(|t| t.revoked_us.is_none())
        .map(|t| Choice {
            selected: is(t.id.as_str()),
            label: format!("{} {}（{}）", t.id, t.name, t.location),
            value: t.id.to_string(),
        })
        .collect(),
        Source::Handlers => match caller {
            Some(caller) => crate::workflow::staff::image_handlers(office, caller)
                .await
                .unwrap_or_default(),
            None => Vec::new(),
        }
        .into_iter()
        .map(|(login, name)| Choice {
            selected: is(&login),
            label: format!("{name}（{login}）"),
            value: login,
        })
        .collect(),
        Source::Assignees => crate::workflow::inquiries::assignees(office)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|login| Choice {
                selected: is(&login),
                label: login.clone(),
                value: login,
            })
            .collect(),
        Source::Register => match caller {
            Some(caller) => crate::workflow::register::register(office, caller)
                .await
                .map(|r| r.cameras)
                .unwrap_or_default(),
            None => Vec::new(),
        }
        .into_iter()
        .filter(|c| c.state != "removed")
        .map(|c| Choice {
            selected: is(&c.id),
            label: format!("{} {}（{}）", c.id, c.name, c.address),
            value: c.id,
        })
        .collect(),
        Source::Roles => Role::ALL
            .into_iter()
            .map(|r| Choice {
                selected: is(r.as_str()),
                label: tr.t(super::pages::role_key(r)),
                value: r.as_str().to_owned(),
            })
            .collect(),
        Source::Form1Fields => mimamori_db::vocabulary::Form1Field::ALL
            .into_iter()
            .map(|f| Choice {
                selected: is(f.as_str()),
                label: tr.t(&format!("correct-field-{}", f.as_str())),
                value: f.as_str().to_owned(),
            })
            .collect(),
        Source::Documents => ["inquiry", "form2"]
            .into_iter()
            .map(|d| Choice {
                selected: is(d),
                label: tr.t(&format!("document-{d}")),
                value: d.to_owned(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{me, outside, steps, upkeep, Lang};
    use super::*;

    /// Every form's words and every field's label are in both languages.
    #[test]
    fn every_form_speaks_both_languages() {
        let forms = [
            &steps::ORDER,
            &steps::INSTRUCT,
            &steps::REPORT,
            &steps::ACCEPT,
            &steps::DECLINE,
            &steps::CANCEL,
            &steps::HAND_OVER,
            &steps::FORM3,
            &outside::PROVISION,
            &outside::EMERGENCY,
            &outside::HOLD,
            &outside::DELEGATION,
            &outside::WITHDRAW,
            &me::ENROL,
            &me::PASSWORD,
            &upkeep::ACCOUNT,
            &upkeep::APPOINT,
            &upkeep::TERMINAL,
            &upkeep::REVOKE,
            &upkeep::HISTORY,
            &super::super::form1::CORRECT,
            &upkeep::CONFIRM,
            &upkeep::REJECT,
            &upkeep::END,
            &super::super::register::SITE,
            &super::super::register::DETAILS,
            &super::super::register::INSTALLED,
            &super::super::register::OPERATION,
            &super::super::register::REMOVAL,
            &super::super::register::SIGN,
            &super::super::register::SIGN_REMOVAL,
            &super::super::inquiries::ASSIGN,
            &super::super::inquiries::NOTE,
            &super::super::inquiries::ANSWER,
            &super::super::inquiries::PROVISION,
            &super::super::inquiries::CLOSE,
            &super::super::inquiries::DISMISS,
        ];
        for spec in forms {
            let mut keys = vec![spec.title, spec.lead, spec.submit, spec.not_yours];
            for section in spec.sections {
                keys.extend(section.legend);
                keys.extend(section.fields.iter().map(|f| f.label));
            }
            for key in keys {
                for lang in [Lang::Ja, Lang::En] {
                    assert!(Tr::new(lang).knows(key), "{key} in {}", lang.code());
                }
            }
        }
    }

    #[test]
    fn japan_time_is_read_in_asia_tokyo_and_a_bad_one_names_its_field() {
        let t = japan_time("from", "2026-11-30T09:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-30T00:00:00Z");
        let e = japan_time("from", "30/11 9時").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("from"));
    }
}
