//! The chain's steps as forms (N9–N11, T6): each step's fields, once, and how what was typed
//! becomes the API's input. Nothing is decided here: the workflow step checks every field and
//! names the rule when it refuses.

use mimamori_policy::access::Action;
use mimamori_policy::chain::Step;

use super::form::{may, must, FormSpec, Input, SectionSpec, Source, Values};
use crate::error::ApiError;
use crate::wire::{
    BasisInput, CameraRangeInput, Form3Input, HandOverInput, InstructionInput, OrderInput,
    ReasonInput, ReportInput,
};
use mimamori_db::vocabulary::IdentityCheck;

/// T6.1's basis and the facts each ground asks for (law, document, urgency, consent).
pub const BASIS: SectionSpec = SectionSpec {
    legend: Some("order-basis-facts"),
    fields: &[
        must("basis.kind", "order-basis", Input::Select(Source::Bases)),
        may("basis.law", "order-law", Input::Text),
        may("basis.document", "order-document", Input::Text),
        may("basis.urgency", "order-urgency", Input::Text),
        may("basis.consent_of", "order-consent", Input::Text),
    ],
};

/// T6.2: how the recipient's identity was checked.
pub const IDENTITY: SectionSpec = SectionSpec {
    legend: Some("identity-legend"),
    fields: &[
        must(
            "identity_check.document_type",
            "identity-document-type",
            Input::Text,
        ),
        must(
            "identity_check.document_number",
            "identity-document-number",
            Input::Text,
        ),
        must(
            "identity_check.checked_by",
            "identity-checked-by",
            Input::Text,
        ),
    ],
};

/// T6.2: the identity document only, where who checked is whoever is signed in (a request for
/// one's own footage started from an inquiry).
pub const IDENTITY_DOCUMENT: SectionSpec = SectionSpec {
    legend: IDENTITY.legend,
    fields: IDENTITY.fields.split_at(2).0,
};

/// N9.1: the Manager's order.
pub const ORDER: FormSpec = FormSpec {
    title: "order-title",
    lead: "order-lead",
    submit: "order-submit",
    not_yours: "order-not-yours",
    action: Some(Action::IssueOrder),
    sections: &[
        SectionSpec {
            legend: None,
            fields: &[
                must("purpose", "order-purpose", Input::Text),
                must("reason", "order-reason", Input::Area),
            ],
        },
        BASIS,
    ],
};

pub fn order(v: &Values) -> OrderInput {
    OrderInput {
        purpose: v.text("purpose"),
        reason: v.text("reason"),
        basis: basis(v),
    }
}

/// The basis as the API takes it: its ground, and only the facts typed.
pub fn basis(v: &Values) -> BasisInput {
    let mut fields = serde_json::Map::new();
    for name in ["law", "document", "urgency", "consent_of"] {
        let value = v.text(&format!("basis.{name}"));
        if !value.is_empty() {
            fields.insert(name.into(), value.into());
        }
    }
    BasisInput {
        kind: v.text("basis.kind"),
        fields,
    }
}

pub fn identity(v: &Values) -> IdentityCheck {
    IdentityCheck {
        document_type: v.text("identity_check.document_type"),
        document_number: v.text("identity_check.document_number"),
        checked_by: v.text("identity_check.checked_by"),
    }
}

/// The form of a chain step taken on a request's page; `None` for the retrieval, which is
/// done at the dedicated terminal (N2).
pub fn spec(step: Step) -> Option<&'static FormSpec> {
    Some(match step {
        Step::Instruct => &INSTRUCT,
        Step::Report => &REPORT,
        Step::Accept => &ACCEPT,
        Step::Decline => &DECLINE,
        Step::HandOver => &HAND_OVER,
        Step::RecordForm3 => &FORM3,
        Step::Cancel => &CANCEL,
        Step::Retrieve => return None,
    })
}

/// A chain step's form: its title is also its button; its lead says what it records.
const fn chain(
    step: Step,
    title: &'static str,
    lead: &'static str,
    sections: &'static [SectionSpec],
) -> FormSpec {
    FormSpec {
        title,
        lead,
        submit: title,
        not_yours: "form-not-yours",
        action: Some(Action::Chain(step)),
        sections,
    }
}

/// N9.2: the Operations lead names the cameras, each with its range (Japan time), the handler
/// and the terminal. A case may span up to four adjacent cameras on this form (the API takes
/// up to `orders::MAX_CAMERAS`); rows left empty are ignored.
pub const INSTRUCT: FormSpec = FormSpec {
    title: "instruct-title",
    lead: "instruct-lead",
    submit: "instruct-submit",
    not_yours: "instruct-not-yours",
    action: Some(Action::Chain(Step::Instruct)),
    sections: &[
        SectionSpec {
            legend: Some("instruct-camera-1"),
            fields: &[
                must(
                    "cameras.0.camera",
                    "col-camera",
                    Input::Select(Source::Cameras),
                ),
                must("cameras.0.from", "instruct-from", Input::When),
                must("cameras.0.to", "instruct-to", Input::When),
            ],
        },
        SectionSpec {
            legend: Some("instruct-camera-2"),
            fields: &[
                may(
                    "cameras.1.camera",
                    "col-camera",
                    Input::Select(Source::Cameras),
                ),
                may("cameras.1.from", "instruct-from", Input::When),
                may("cameras.1.to", "instruct-to", Input::When),
            ],
        },
        SectionSpec {
            legend: Some("instruct-camera-3"),
            fields: &[
                may(
                    "cameras.2.camera",
                    "col-camera",
                    Input::Select(Source::Cameras),
                ),
                may("cameras.2.from", "instruct-from", Input::When),
                may("cameras.2.to", "instruct-to", Input::When),
            ],
        },
        SectionSpec {
            legend: Some("instruct-camera-4"),
            fields: &[
                may(
                    "cameras.3.camera",
                    "col-camera",
                    Input::Select(Source::Cameras),
                ),
                may("cameras.3.from", "instruct-from", Input::When),
                may("cameras.3.to", "instruct-to", Input::When),
            ],
        },
        SectionSpec {
            legend: None,
            fields: &[
                must("handler", "req-handler", Input::Select(Source::Handlers)),
                must("terminal", "req-terminal", Input::Select(Source::Terminals)),
            ],
        },
    ],
};

/// The camera rows of [`INSTRUCT`]: those with anything typed, in order. A row keeps its
/// number, so a refusal lands by its inputs.
pub fn instruction(v: &Values) -> Result<InstructionInput, ApiError> {
    let mut cameras = Vec::new();
    for n in 0..4 {
        let [camera, from, to] = ["camera", "from", "to"].map(|f| format!("cameras.{n}.{f}"));
        if [&camera, &from, &to].iter().all(|f| v.text(f).is_empty()) {
            continue;
        }
        if v.text(&camera).is_empty() {
            return Err(ApiError::invalid(
                &camera,
                "choose a camera",
                "カメラを選んでください",
            ));
        }
        cameras.push(CameraRangeInput {
            camera: v.text(&camera),
            from: v.japan_time(&from)?,
            to: v.japan_time(&to)?,
        });
    }
    Ok(InstructionInput {
        cameras,
        handler: v.text("handler"),
        terminal: v.text("terminal").into(),
        camera: None,
        from: None,
        to: None,
        expires: None,
    })
}

/// N9.3: the handler reports what the footage was written to.
pub const REPORT: FormSpec = chain(
    Step::Report,
    "report-title",
    "report-lead",
    &[SectionSpec {
        legend: None,
        fields: &[
            must("media", "report-media", Input::Text),
            must("copies", "report-copies", Input::Number),
            may("remarks", "report-remarks", Input::Area),
        ],
    }],
);

pub fn report(v: &Values) -> Result<ReportInput, ApiError> {
    Ok(ReportInput {
        media: v.text("media"),
        copies: v.count("copies")?,
        recipient: String::new(),
        remarks: v.text("remarks"),
    })
}

/// N10.1: the Manager accepts an outside body's request; nothing to type.
pub const ACCEPT: FormSpec = chain(Step::Accept, "accept-title", "accept-lead", &[]);

/// T6.1: the Manager declines, with the reason.
pub const DECLINE: FormSpec = chain(
    Step::Decline,
    "decline-title",
    "decline-lead",
    &[SectionSpec {
        legend: None,
        fields: &[must("reason", "reason-label", Input::Area)],
    }],
);

/// A request cancelled before its footage is out, with the reason.
pub const CANCEL: FormSpec = chain(
    Step::Cancel,
    "cancel-title",
    "cancel-lead",
    &[SectionSpec {
        legend: None,
        fields: &[must("reason", "reason-label", Input::Area)],
    }],
);

pub fn reason(v: &Values) -> ReasonInput {
    ReasonInput {
        reason: v.text("reason"),
    }
}

/// T6.2: the footage handed to the outside body's recipient, identity checked.
pub const HAND_OVER: FormSpec = FormSpec {
    title: "handover-title",
    lead: "handover-lead",
    submit: "handover-title",
    not_yours: "form-not-yours",
    action: Some(Action::Chain(Step::HandOver)),
    sections: &[
        SectionSpec {
            legend: None,
            fields: &[
                must("recipient", "handover-recipient", Input::Text),
                must("purpose", "col-purpose", Input::Text),
                must("content", "handover-content", Input::Area),
            ],
        },
        IDENTITY,
    ],
};

pub fn hand_over(v: &Values) -> HandOverInput {
    HandOverInput {
        recipient: v.text("recipient"),
        purpose: v.text("purpose"),
        content: v.text("content"),
        identity_check: identity(v),
    }
}

/// N11.2: the Form 3 the investigative body sent after an emergency retrieval.
pub const FORM3: FormSpec = chain(
    Step::RecordForm3,
    "form3-title",
    "form3-lead",
    &[SectionSpec {
        legend: None,
        fields: &[
            must("document", "form3-document", Input::Text),
            must("purpose", "col-purpose", Input::Text),
            must("camera_site", "form3-camera-site", Input::Text),
            must("retrieval_date", "form3-retrieval-date", Input::Text),
            must("urgency", "form3-urgency", Input::Area),
            must("pledged", "form3-pledged", Input::Check),
        ],
    }],
);

pub fn form3(v: &Values) -> Form3Input {
    Form3Input {
        purpose: v.text("purpose"),
        camera_site: v.text("camera_site"),
        retrieval_date: v.text("retrieval_date"),
        urgency: v.text("urgency"),
        pledged: v.ticked("pledged"),
        document: v.text("document"),
    }
}
