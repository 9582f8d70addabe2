//! N11.3: a terminal's own retrieval history compared with the office's record.

use mimamori_db::vocabulary::{self};
use mimamori_db::{AlertKind, EventBody, EventKind, NewAlert};
use mimamori_policy::access::{decide_history, Action};
use mimamori_policy::Rule;
use mimamori_policy::TerminalId;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::SubmittedHistory;
use crate::workflow::terminals::unknown_terminal;
use crate::OfficeState;

/// N11.3, the month's retrieval history recorded on the
/// terminal, signed by its key, compared with the office's own record. Any retrieval on one
/// side only is flagged and raises an alert.
pub async fn reconcile_history(
    office: &OfficeState,
    caller: &Caller,
    id: TerminalId,
    req: SubmittedHistory,
) -> Result<vocabulary::HistoryReconciled, ApiError> {
    caller
        .may(office, Action::ReconcileHistory, "history_reconciled")
        .await?;
    let db = &office.db;
    let terminal = db
        .terminal(&id)
        .await?
        .ok_or_else(|| unknown_terminal(&id))?;
    let bytes = mimamori_ledger::canonical::canonical_json(&req.history).map_err(|e| {
        ApiError::invalid("history", e.to_string(), "履歴の形式が不正です").rule(Rule::N11_3)
    })?;
    let signed = crate::grant::terminal_signed_record(
        &terminal.public_key,
        crate::grant::HISTORY_CONTEXT,
        bytes.as_bytes(),
        &req.signature,
    );
    let verdict = decide_history(signed && req.history["terminal"] == id.as_str());
    caller
        .record_refusal(
            office,
            Action::ReconcileHistory,
            "history_reconciled",
            verdict,
        )
        .await?;
    let (month, on_terminal) = read_history(&req.history)?;
    let tz = office.policy.ward.time_zone.clone();
    let mut on_server = std::collections::BTreeSet::new();
    for e in db.events_of_kinds(&[EventKind::RetrievalDone]).await? {
        let in_month = mimamori_db::from_us(e.time_us)
            .to_zoned(tz.clone())
            .strftime("%Y-%m")
            .to_string()
            == month;
        if e.terminal.as_deref() != Some(id.as_str()) || !in_month {
            continue;
        }
        if let EventBody::RetrievalDone(done) = e.body().map_err(ApiError::internal)? {
            on_server.insert(done.grant);
        }
    }
    let only_on_terminal: Vec<String> = on_terminal.difference(&on_server).cloned().collect();
    let only_on_server: Vec<String> = on_server.difference(&on_terminal).cloned().collect();
    let result = vocabulary::HistoryReconciled {
        terminal: id.to_string(),
        month: month.clone(),
        matched: on_terminal.intersection(&on_server).count() as u64,
        consistent: only_on_terminal.is_empty() && only_on_server.is_empty(),
        only_on_terminal,
        only_on_server,
    };
    let alert = (!result.consistent).then(|| NewAlert {
        kind: AlertKind::HistoryMismatch,
        camera: None,
        message: format!(
            "端末の取り出し履歴が記録と一致しません（{month}） / a terminal's history does not match the ledger"
        ),
    });
    let now = office.clock.now();
    let event = caller.event(EventBody::HistoryReconciled(result.clone()));
    db.record_with_alert(&event.at_terminal(&id), alert.as_ref(), now)
        .await?;
    // The history has arrived: an alert that it was overdue is resolved.
    for overdue in db
        .open_alerts_with(AlertKind::HistoryOverdue, &overdue_key(id.as_str(), &month))
        .await?
    {
        db.resolve_alert(overdue.id, now).await?;
    }
    Ok(result)
}

/// A submitted history's month (`YYYY-MM`) and the grants it lists. Outside input: anything
/// else is a clear refusal, never a panic (`tests::never_panics`).
pub(crate) fn read_history(
    history: &serde_json::Value,
) -> Result<(String, std::collections::BTreeSet<String>), ApiError> {
    let month = history["month"].as_str().unwrap_or_default();
    let valid_month = month.len() == 7
        && month.as_bytes()[4] == b'-'
        && month
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_digit());
    if !valid_month {
        return Err(ApiError::invalid(
            "history.month",
            "a month such as \"2026-11\" (print it with --month)",
            "「2026-11」のような月を指定してください（--month）",
        )
        .rule(Rule::N11_3));
    }
    let grants = history["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["grant"].as_str().map(str::to_owned))
        .collect();
    Ok((month.to_owned(), grants))
}

/// What an overdue history's alert carries, so that it is raised once and resolved when the
/// history arrives.
fn overdue_key(terminal: &str, month: &str) -> String {
    format!("[{terminal} {month}]")
}

/// N11.3 (issue 11, #4): from the policy's `history_due_day` of a month, every live delegated
/// terminal registered before the month began must have had its previous month's history
/// reconciled; one that has not raises an alert for the Manager, once. Returns the terminals
/// alerted.
pub async fn check_history_deadlines(
    office: &OfficeState,
) -> Result<Vec<String>, mimamori_db::DbError> {
    let db = &office.db;
    let now = office.clock.now();
    let tz = &office.policy.ward.time_zone;
    let today = now.to_zoned(tz.clone());
    if today.day() < office.policy.office.emergency.history_due_day {
        return Ok(Vec::new());
    }
    let this_month = today.date().first_of_month();
    let (Ok(last_day), Ok(month_began)) = (this_month.yesterday(), this_month.to_zoned(tz.clone()))
    else {
        return Ok(Vec::new());
    };
    let month = last_day.strftime("%Y-%m").to_string();
    let mut reconciled = std::collections::BTreeSet::new();
    for e in db.events(Some(EventKind::HistoryReconciled)).await? {
        if let Ok(EventBody::HistoryReconciled(h)) = e.body() {
            reconciled.insert((h.terminal, h.month));
        }
    }
    let mut alerted = Vec::new();
    for t in db.terminals().await? {
        let registered = mimamori_db::from_us(t.registered_us);
        if t.delegation_id.is_none()
            || t.revoked_us.is_some()
            || registered >= month_began.timestamp()
            || reconciled.contains(&(t.id.to_string(), month.clone()))
        {
            continue;
        }
        let key = overdue_key(t.id.as_str(), &month);
        if !db
            .open_alerts_with(AlertKind::HistoryOverdue, &key)
            .await?
            .is_empty()
        {
            continue;
        }
        let message = format!(
            "委任先端末の月次取り出し履歴が未提出です {key} / a delegated terminal's monthly \
             history is overdue {key}"
        );
        db.raise_alert(AlertKind::HistoryOverdue, None, &message, now)
            .await?;
        alerted.push(t.id.to_string());
    }
    Ok(alerted)
}
