-- mimamori schema, upgrade 13 (issue 12): no loss is silent.
-- camera_state.open_since_us is the start of the segment being written (NULL when none), so
-- health counts the seconds of the open segment as recorded; the recorder updates it with
-- last_sample_us every few seconds. The alert table is rebuilt with the kind 'frames_lost'
-- (pictures received or sent that are not in the footage); ids are kept.
ALTER TABLE camera_state ADD COLUMN open_since_us INTEGER;
CREATE TABLE new_alert (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'retention_below_policy', 'integrity',
                     'no_keyframes', 'emergency_retrieval', 'form3_overdue',
                     'history_mismatch', 'history_overdue', 'appointment', 'terminal',
                     'frames_lost')),
    camera_id    TEXT,
    message      TEXT NOT NULL,
    raised_us    INTEGER NOT NULL,
    resolved_us  INTEGER
);
INSERT INTO new_alert SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert;
DROP TABLE alert;
ALTER TABLE new_alert RENAME TO alert;
