-- mimamori schema, upgrade 4 (issue 10): every enumerated column names the values it takes.
-- Before this upgrade a corrupt or mistyped value in `request.kind`, `appointment.role` or
-- `event.outcome` was stored without complaint and only noticed (or silently defaulted) when
-- read. The lists below are the names of the Rust enums (RequestKind, RequestState,
-- LegalBasis, Role, Outcome, AlertKind, CameraState, ErasureTrigger, EventKind);
-- `crates/db/src/schema_tests.rs` inserts every variant and one unknown value, so a list that
-- drifts from its enum fails a test.
--
-- SQLite adds a CHECK only by rebuilding the table (https://sqlite.org/lang_altertable.html,
-- "other kinds of table schema changes"): create the new table, copy every row with its id,
-- drop the old table, rename the new one into its place, recreate its indexes and triggers.
-- The upgrade runner turns foreign keys off around the transaction and runs
-- `PRAGMA foreign_key_check` before it commits, as that procedure asks.

-- The event kinds the vocabulary knows (mimamori_ledger::vocabulary::EventKind). A new kind is
-- one INSERT in a later upgrade; `event.kind` refers here.
CREATE TABLE event_kind (
    kind TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO event_kind (kind) VALUES
    ('order_issued'),
    ('instruction_issued'),
    ('retrieval_grant_issued'),
    ('retrieval_started'),
    ('retrieval_done'),
    ('retrieval_failed'),
    ('report_filed'),
    ('request_cancelled'),
    ('form1_corrected'),
    ('provision_registered'),
    ('provision_accepted'),
    ('provision_declined'),
    ('handed_over'),
    ('delegation_recorded'),
    ('emergency_authorized'),
    ('form3_recorded'),
    ('form3_overdue'),
    ('history_reconciled'),
    ('hold_added'),
    ('staff_created'),
    ('staff_left'),
    ('appointed'),
    ('appointment_ended'),
    ('terminal_registered'),
    ('terminal_revoked'),
    ('signin_refused'),
    ('signed_in'),
    ('signed_out'),
    ('password_changed'),
    ('totp_started'),
    ('totp_enabled'),
    ('pledge_acknowledged'),
    ('refused'),
    ('ledger_key_added'),
    ('ledger_key_rotated'),
    ('evidence_package_created'),
    ('recorder_started'),
    ('recording_resumed'),
    ('store_recovery'),
    ('integrity_check'),
    ('erasure'),
    ('export_started'),
    ('export_finished');

-- ---- event ------------------------------------------------------------------------------
CREATE TABLE new_event (
    id        INTEGER PRIMARY KEY,
    time_us   INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT CHECK (role IN ('administrator', 'manager', 'operations_lead',
                                   'image_handler', 'delegated_staff', 'auditor')),
    terminal  TEXT,
    kind      TEXT NOT NULL REFERENCES event_kind (kind),
    rule      TEXT,
    outcome   TEXT NOT NULL CHECK (outcome IN ('allowed', 'refused', 'done', 'failed')),
    detail    TEXT NOT NULL CHECK (json_valid(detail))
);
INSERT INTO new_event SELECT id, time_us, actor, role, terminal, kind, rule, outcome, detail
    FROM event;
DROP TABLE event;
ALTER TABLE new_event RENAME TO event;
CREATE INDEX event_by_kind ON event (kind);
CREATE TRIGGER event_is_append_only_update BEFORE UPDATE ON event
BEGIN SELECT RAISE(ABORT, 'event is append-only'); END;
CREATE TRIGGER event_is_append_only_delete BEFORE DELETE ON event
BEGIN SELECT RAISE(ABORT, 'event is append-only'); END;

-- ---- alert ------------------------------------------------------------------------------
CREATE TABLE new_alert (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'retention_below_policy', 'integrity',
                     'no_keyframes', 'emergency_retrieval', 'form3_overdue',
                     'history_mismatch')),
    camera_id    TEXT,
    message      TEXT NOT NULL,
    raised_us    INTEGER NOT NULL,
    resolved_us  INTEGER
);
INSERT INTO new_alert SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert;
DROP TABLE alert;
ALTER TABLE new_alert RENAME TO alert;

-- ---- camera_state -----------------------------------------------------------------------
CREATE TABLE new_camera_state (
    camera_id       TEXT PRIMARY KEY REFERENCES camera (id),
    state           TEXT NOT NULL CHECK (state IN ('connecting', 'recording', 'retrying',
                                                   'stopped')),
    since_us        INTEGER NOT NULL,
    last_sample_us  INTEGER,
    last_error      TEXT,
    updated_us      INTEGER NOT NULL
);
INSERT INTO new_camera_state SELECT camera_id, state, since_us, last_sample_us, last_error,
    updated_us FROM camera_state;
DROP TABLE camera_state;
ALTER TABLE new_camera_state RENAME TO camera_state;

-- ---- erasure_run ------------------------------------------------------------------------
CREATE TABLE new_erasure_run (
    id           INTEGER PRIMARY KEY,
    trigger      TEXT NOT NULL CHECK (trigger IN ('retention', 'storage_cap')),
    started_us   INTEGER NOT NULL,
    finished_us  INTEGER NOT NULL,
    method       TEXT NOT NULL
);
INSERT INTO new_erasure_run SELECT id, trigger, started_us, finished_us, method
    FROM erasure_run;
DROP TABLE erasure_run;
ALTER TABLE new_erasure_run RENAME TO erasure_run;

-- ---- appointment ------------------------------------------------------------------------
CREATE TABLE new_appointment (
    id           INTEGER PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff (id),
    role         TEXT NOT NULL CHECK (role IN ('administrator', 'manager', 'operations_lead',
                                               'image_handler', 'delegated_staff', 'auditor')),
    appointed_by TEXT NOT NULL,
    from_us      INTEGER NOT NULL,
    until_us     INTEGER,
    ended_by     TEXT,
    ended_us     INTEGER,
    CHECK ((ended_by IS NULL) = (ended_us IS NULL))
);
INSERT INTO new_appointment SELECT id, staff_id, role, appointed_by, from_us, until_us,
    ended_by, ended_us FROM appointment;
DROP TABLE appointment;
ALTER TABLE new_appointment RENAME TO appointment;
CREATE INDEX appointment_by_staff ON appointment (staff_id);
CREATE TRIGGER appointment_is_kept BEFORE DELETE ON appointment
BEGIN SELECT RAISE(ABORT, 'appointments are kept (N7)'); END;

-- ---- request ----------------------------------------------------------------------------
-- The JSON columns must parse, and the basis must name one of T6.1's grounds. `provision`
-- holds the outside body's document for a provision, the delegation for an emergency, and
-- nothing for the Manager's own order.
CREATE TABLE new_request (
    id                     INTEGER PRIMARY KEY,
    kind                   TEXT NOT NULL CHECK (kind IN ('internal', 'provision', 'emergency')),
    state                  TEXT NOT NULL CHECK (state IN ('received', 'ordered', 'instructed',
                               'retrieved', 'reported', 'handed_over', 'emergency_authorized',
                               'emergency_retrieved', 'form3_recorded', 'declined',
                               'cancelled')),
    purpose                TEXT NOT NULL,
    basis                  TEXT NOT NULL CHECK (json_valid(basis) AND json_extract(basis,
                               '$.kind') IN ('t6_1_a', 't6_1_b', 't6_1_c', 't6_1_d', 't6_1_e')),
    reason                 TEXT NOT NULL,
    provision              TEXT CHECK (json_valid(provision)),
    created_by             TEXT NOT NULL,
    created_us             INTEGER NOT NULL,
    ordered_by             TEXT,
    ordered_us             INTEGER,
    camera_id              TEXT,
    start_us               INTEGER,
    end_us                 INTEGER,
    handler                TEXT,
    terminal_id            TEXT REFERENCES terminal (id),
    instruction_expires_us INTEGER,
    instructed_by          TEXT,
    instructed_us          INTEGER,
    retrieved_by           TEXT,
    retrieved_us           INTEGER,
    retrieval              TEXT CHECK (json_valid(retrieval)),
    reported_us            INTEGER,
    report                 TEXT CHECK (json_valid(report)),
    closed_us              INTEGER,
    closing                TEXT CHECK (json_valid(closing)),
    form3_alert_id         INTEGER REFERENCES alert (id),
    CHECK ((kind = 'internal') = (provision IS NULL)),
    CHECK ((ordered_by IS NULL) = (ordered_us IS NULL)),
    CHECK ((retrieved_by IS NULL) = (retrieved_us IS NULL)),
    -- An instruction is all its columns or none of them.
    CHECK ((camera_id IS NULL) + (start_us IS NULL) + (end_us IS NULL) + (handler IS NULL)
           + (terminal_id IS NULL) + (instruction_expires_us IS NULL)
           + (instructed_by IS NULL) + (instructed_us IS NULL) IN (0, 8)),
    CHECK (start_us < end_us)
);
INSERT INTO new_request SELECT id, kind, state, purpose, basis, reason, provision, created_by,
    created_us, ordered_by, ordered_us, camera_id, start_us, end_us, handler, terminal_id,
    instruction_expires_us, instructed_by, instructed_us, retrieved_by, retrieved_us,
    retrieval, reported_us, report, closed_us, closing, form3_alert_id FROM request;
DROP TABLE request;
ALTER TABLE new_request RENAME TO request;
CREATE INDEX request_by_state ON request (state);
CREATE TRIGGER request_is_kept BEFORE DELETE ON request
BEGIN SELECT RAISE(ABORT, 'requests are kept (N9.3)'); END;
