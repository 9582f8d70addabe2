-- mimamori schema, upgrade 18 (issue 14): inquiries and complaints from the public (T3.3 c, T8).
--
-- The public form writes an inquiry; staff assign it, note, answer and close it; a request to
-- see footage of oneself (T6.1 d) becomes a provision request instead of an answer. The texts
-- live here and only here: the ledger keeps their SHA-256 (docs/inquiries.md), so what a
-- member of the public wrote can later be corrected or erased without breaking the ledger.
-- The person's way back to the status page is a secret printed on the receipt; only its
-- SHA-256 is stored.
CREATE TABLE inquiry (
    id                 INTEGER PRIMARY KEY,
    receipt            TEXT NOT NULL UNIQUE
                       CHECK (receipt GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9]'
                              AND receipt NOT GLOB '*-00000'),
    secret_sha256      BLOB NOT NULL CHECK (length(secret_sha256) = 32),
    category           TEXT NOT NULL
                       CHECK (category IN ('inquiry', 'complaint', 'own_footage', 'other')),
    state              TEXT NOT NULL
                       CHECK (state IN ('received', 'assigned', 'answered', 'in_provision',
                                        'closed')),
    message            TEXT NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
    contact            TEXT CHECK (contact IS NULL OR length(contact) BETWEEN 1 AND 200),
    received_us        INTEGER NOT NULL,
    assignee           TEXT CHECK (assignee IS NULL OR length(assignee) BETWEEN 1 AND 64),
    -- The ward's first answer, or the provision request it started (T6.1 d): "time to answer".
    first_answered_us  INTEGER CHECK (first_answered_us IS NULL
                                      OR first_answered_us >= received_us),
    closed_us          INTEGER CHECK (closed_us IS NULL OR closed_us >= received_us),
    request_id         INTEGER REFERENCES request (id),
    -- T8: the alert raised when no answer came by the policy's day (resolved by the answer).
    overdue_alert_id   INTEGER,
    updated_us         INTEGER NOT NULL,
    CHECK (state != 'received'
           OR (assignee IS NULL AND first_answered_us IS NULL AND closed_us IS NULL)),
    CHECK (state != 'assigned'
           OR (assignee IS NOT NULL AND first_answered_us IS NULL AND closed_us IS NULL)),
    CHECK (state != 'answered' OR (first_answered_us IS NOT NULL AND closed_us IS NULL)),
    CHECK (state != 'in_provision'
           OR (request_id IS NOT NULL AND first_answered_us IS NOT NULL AND closed_us IS NULL)),
    CHECK (state != 'closed' OR (closed_us IS NOT NULL AND first_answered_us IS NOT NULL)),
    CHECK (request_id IS NULL
           OR (category = 'own_footage' AND state IN ('in_provision', 'closed')))
);
CREATE INDEX inquiry_by_state ON inquiry (state, received_us);

CREATE TRIGGER inquiry_is_kept BEFORE DELETE ON inquiry
BEGIN SELECT RAISE(ABORT, 'inquiries are kept (T8)'); END;
CREATE TRIGGER inquiry_closed_is_final BEFORE UPDATE ON inquiry
WHEN OLD.state = 'closed'
BEGIN SELECT RAISE(ABORT, 'a closed inquiry is not changed (T8)'); END;
CREATE TRIGGER inquiry_message_is_kept BEFORE UPDATE OF receipt, secret_sha256, category,
    message, contact, received_us ON inquiry
WHEN NEW.receipt IS NOT OLD.receipt OR NEW.secret_sha256 IS NOT OLD.secret_sha256
    OR NEW.category IS NOT OLD.category OR NEW.message IS NOT OLD.message
    OR NEW.contact IS NOT OLD.contact OR NEW.received_us IS NOT OLD.received_us
BEGIN SELECT RAISE(ABORT, 'what the public sent is not changed (T8)'); END;

-- Staff's notes (internal) and answers (the person sees them on the status page).
CREATE TABLE inquiry_entry (
    id          INTEGER PRIMARY KEY,
    inquiry_id  INTEGER NOT NULL REFERENCES inquiry (id),
    kind        TEXT NOT NULL CHECK (kind IN ('note', 'answer')),
    author      TEXT NOT NULL CHECK (length(author) BETWEEN 1 AND 64),
    at_us       INTEGER NOT NULL,
    text        TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 4000)
);
CREATE INDEX inquiry_entry_by_inquiry ON inquiry_entry (inquiry_id, id);
CREATE TRIGGER inquiry_entry_is_kept BEFORE DELETE ON inquiry_entry
BEGIN SELECT RAISE(ABORT, 'inquiry notes and answers are kept (T8)'); END;
CREATE TRIGGER inquiry_entry_is_unchanged BEFORE UPDATE ON inquiry_entry
BEGIN SELECT RAISE(ABORT, 'inquiry notes and answers are not changed (T8)'); END;

INSERT INTO event_kind (kind) VALUES ('inquiry_received'), ('inquiry_assigned'),
    ('inquiry_noted'), ('inquiry_answered'), ('inquiry_provision_started'), ('inquiry_closed'),
    ('inquiry_overdue');

-- T8: an inquiry without an answer by the policy's day is an alert for the Manager.
CREATE TABLE new_alert (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'retention_below_policy', 'integrity',
                     'no_keyframes', 'emergency_retrieval', 'form3_overdue',
                     'history_mismatch', 'history_overdue', 'appointment', 'terminal',
                     'frames_lost', 'sign_missing', 'inquiry_overdue')),
    camera_id    TEXT,
    message      TEXT NOT NULL,
    raised_us    INTEGER NOT NULL,
    resolved_us  INTEGER
);
INSERT INTO new_alert SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert;
DROP TABLE alert;
ALTER TABLE new_alert RENAME TO alert;
