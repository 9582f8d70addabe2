//! What waits for the signed-in person: the requests whose next step one of their roles takes
//! (and, for the handler's steps, that name them), and the open alerts addressed to their
//! roles. The staff home page shows it; the policy decides who takes which step.

use mimamori_db::AlertRow;
use mimamori_policy::access::Role;
use mimamori_policy::access::{acting_roles, Action};
use mimamori_policy::chain::{RequestState, Step};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::RequestView;
use crate::OfficeState;

/// How many recent requests are looked through for open ones.
const RECENT_REQUESTS: i64 = 1000;

/// A request waiting for the caller, and the steps of theirs it waits for.
pub struct Waiting {
    pub request: RequestView,
    pub next: Vec<Step>,
}

/// The caller's work.
pub struct MyWork {
    pub roles: Vec<Role>,
    pub waiting: Vec<Waiting>,
    pub alerts: Vec<AlertRow>,
    /// Inquiries from the public still waiting for their first answer, for those who answer
    /// them (T3.3 c, T8).
    pub inquiries_waiting: i64,
}

pub async fn my_work(office: &OfficeState, caller: &Caller) -> Result<MyWork, ApiError> {
    let roles: Vec<Role> = acting_roles(&caller.roles).collect();
    let reads_records = Action::ReadRecords
        .permitted()
        .0
        .iter()
        .any(|r| roles.contains(r));
    if !reads_records {
        return Ok(MyWork {
            roles,
            waiting: Vec::new(),
            alerts: Vec::new(),
            inquiries_waiting: 0,
        });
    }
    let me = caller.login();
    let mut waiting = Vec::new();
    for row in office.db.requests(None, RECENT_REQUESTS).await? {
        let view = RequestView::from(&row);
        let next: Vec<Step> = view
            .state
            .next_steps(view.kind)
            .filter(|&step| {
                let permitted = action_of(&view, step).permitted().0;
                roles.iter().any(|r| permitted.contains(r)) && names_me(&view, step, me)
            })
            .collect();
        if !next.is_empty() {
            waiting.push(Waiting {
                request: view,
                next,
            });
        }
    }
    let alerts = office
        .db
        .alerts(500)
        .await?
        .into_iter()
        .filter(|a| a.resolved_us.is_none())
        .filter(|a| a.kind.addressees().iter().any(|r| roles.contains(r)))
        .collect();
    let inquiries_waiting = if caller.role_for(Action::HandleInquiry).is_some() {
        office.db.inquiries_awaiting_answer().await?
    } else {
        0
    };
    Ok(MyWork {
        roles,
        waiting,
        alerts,
        inquiries_waiting,
    })
}

/// The action a step is: an emergency's retrieval is the delegated staff's (N11.1).
fn action_of(view: &RequestView, step: Step) -> Action {
    match (view.state, step) {
        (RequestState::EmergencyAuthorized, Step::Retrieve) => Action::EmergencyRetrieve,
        _ => Action::Chain(step),
    }
}

/// The handler's steps wait for the handler the instruction names (N9.2), and the report for
/// whoever retrieved (N9.3); the other steps for anyone in the role.
fn names_me(view: &RequestView, step: Step, me: &str) -> bool {
    match step {
        Step::Retrieve => view.instruction.as_ref().is_none_or(|i| i.handler == me),
        Step::Report => view.retrieved_by.as_deref() == Some(me),
        _ => true,
    }
}
