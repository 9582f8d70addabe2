-- mimamori schema, upgrade 8 (issue 11, #1): appointments and terminal registrations raise
-- alerts for the Manager and the Auditor, so that an appointment or a terminal nobody expected
-- is seen. The alert table is rebuilt with the two new kinds in its CHECK (SQLite cannot alter
-- a CHECK); ids are kept, so request.form3_alert_id still points at the same rows.
CREATE TABLE new_alert (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'retention_below_policy', 'integrity',
                     'no_keyframes', 'emergency_retrieval', 'form3_overdue',
                     'history_mismatch', 'appointment', 'terminal')),
    camera_id    TEXT,
    message      TEXT NOT NULL,
    raised_us    INTEGER NOT NULL,
    resolved_us  INTEGER
);
INSERT INTO new_alert SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert;
DROP TABLE alert;
ALTER TABLE new_alert RENAME TO alert;
