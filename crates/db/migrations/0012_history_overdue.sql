-- mimamori schema, upgrade 12 (issue 11, #4): a delegated terminal whose monthly history (N11.3)
-- has not arrived by the policy's day raises an alert. The alert table is rebuilt with the new
-- kind in its CHECK; ids are kept, so request.form3_alert_id still points at the same rows.
CREATE TABLE new_alert (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'retention_below_policy', 'integrity',
                     'no_keyframes', 'emergency_retrieval', 'form3_overdue',
                     'history_mismatch', 'history_overdue', 'appointment', 'terminal')),
    camera_id    TEXT,
    message      TEXT NOT NULL,
    raised_us    INTEGER NOT NULL,
    resolved_us  INTEGER
);
INSERT INTO new_alert SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert;
DROP TABLE alert;
ALTER TABLE new_alert RENAME TO alert;
