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
    let month = req.history["month"].as_str().unwrap_or_default().to_owned();
    let valid_month = month.len() == 7
        && month.as_bytes()[4] == b'-'
        && month
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_digit());
    let verdict = decide_history(signed && req.history["terminal"] == id.as_str());
    caller
        .record_refusal(
            office,
            Action::ReconcileHistory,
            "history_reconciled",
            verdict,
        )
        .await?;
    if !valid_month {
        return Err(ApiError::invalid(
            "history.month",
            "a month such as \"2026-11\" (print it with --month)",
            "「2026-11」のような月を指定してください（--month）",
        )
        .rule(Rule::N11_3));
    }
    let on_terminal: std::collections::BTreeSet<String> = req.history["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["grant"].as_str().map(str::to_owned))
        .collect();
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
    Ok(result)
}
