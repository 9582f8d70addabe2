-- The office (issue 4): staff, appointments, pledges, sessions, delegations, terminals, and the
-- request chain. Every change to these tables is written in the same transaction as the ledger
-- event that records it. People and their pledges are never deleted (T3.4: the duty outlives
-- the role); the rows of a person who leaves carry `left_us`.

CREATE TABLE delegation (
    id           INTEGER PRIMARY KEY,
    body         TEXT NOT NULL,      -- the investigative body (N10.2)
    document_ref TEXT NOT NULL,      -- its written confirmation
    scope        TEXT NOT NULL,
    from_us      INTEGER NOT NULL,
    until_us     INTEGER NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_us  INTEGER NOT NULL
);

CREATE TABLE staff (
    id                  INTEGER PRIMARY KEY,
    login               TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    unit                TEXT NOT NULL,       -- section, or the body's unit (N10.3)
    contact             TEXT NOT NULL,
    delegation_id       INTEGER REFERENCES delegation(id),
    password_hash       TEXT NOT NULL,       -- Argon2id, PHC string
    password_changed_us INTEGER NOT NULL,
    failed_signins      INTEGER NOT NULL DEFAULT 0,
    locked_until_us     INTEGER,
    totp_secret         TEXT,                -- base32; the second factor (N3.3.1)
    totp_enabled_us     INTEGER,             -- set once a code confirmed the enrolment
    created_by          TEXT NOT NULL,
    created_us          INTEGER NOT NULL,
    left_us             INTEGER
);
CREATE TRIGGER staff_is_kept BEFORE DELETE ON staff
BEGIN SELECT RAISE(ABORT, 'staff records are kept (T3.4)'); END;

CREATE TABLE appointment (
    id           INTEGER PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff(id),
    role         TEXT NOT NULL,
    appointed_by TEXT NOT NULL,
    from_us      INTEGER NOT NULL,
    until_us     INTEGER,                   -- the planned end, if any
    ended_by     TEXT,
    ended_us     INTEGER
);
CREATE INDEX appointment_by_staff ON appointment (staff_id);
CREATE TRIGGER appointment_is_kept BEFORE DELETE ON appointment
BEGIN SELECT RAISE(ABORT, 'appointments are kept (N7)'); END;

-- N12, T3.4: each acknowledgement of the confidentiality pledge, with the text's hash.
CREATE TABLE pledge (
    id              INTEGER PRIMARY KEY,
    staff_id        INTEGER NOT NULL REFERENCES staff(id),
    text_sha256     TEXT NOT NULL,
    acknowledged_us INTEGER NOT NULL
);
CREATE TRIGGER pledge_is_append_only_update BEFORE UPDATE ON pledge
BEGIN SELECT RAISE(ABORT, 'pledges are append-only'); END;
CREATE TRIGGER pledge_is_append_only_delete BEFORE DELETE ON pledge
BEGIN SELECT RAISE(ABORT, 'pledges are append-only'); END;

-- Only the SHA-256 of a session token is stored.
CREATE TABLE session (
    token_sha256 BLOB PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff(id),
    created_us   INTEGER NOT NULL,
    last_used_us INTEGER NOT NULL,
    second_factor INTEGER NOT NULL DEFAULT 0,  -- signed in with a TOTP code
    ended_us     INTEGER
);

-- Dedicated terminals (N2, N3.3, N8, N10.4). The private key never leaves the terminal.
CREATE TABLE terminal (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    location      TEXT NOT NULL,
    custodian     TEXT NOT NULL,
    public_key    TEXT NOT NULL UNIQUE,     -- Ed25519, base64
    delegation_id INTEGER REFERENCES delegation(id),
    registered_by TEXT NOT NULL,
    registered_us INTEGER NOT NULL,
    revoked_by    TEXT,
    revoked_us    INTEGER
);
CREATE TRIGGER terminal_is_kept BEFORE DELETE ON terminal
BEGIN SELECT RAISE(ABORT, 'terminals are kept'); END;

-- One request of the chain: order (or provision request), its instruction, its retrieval and
-- its report. `state` follows mimamori_policy::chain; JSON columns hold the form fields.
CREATE TABLE request (
    id                     INTEGER PRIMARY KEY,
    kind                   TEXT NOT NULL,
    state                  TEXT NOT NULL,
    purpose                TEXT NOT NULL,
    basis                  TEXT NOT NULL,   -- T6.1 a–e
    reason                 TEXT NOT NULL,
    provision              TEXT,            -- JSON: document, recipient, identity check (N10.1)
    created_by             TEXT NOT NULL,
    created_us             INTEGER NOT NULL,
    ordered_by             TEXT,
    ordered_us             INTEGER,
    camera_id              TEXT,
    start_us               INTEGER,
    end_us                 INTEGER,
    handler                TEXT,
    terminal_id            TEXT REFERENCES terminal(id),
    instruction_expires_us INTEGER,
    instructed_by          TEXT,
    instructed_us          INTEGER,
    retrieved_by           TEXT,
    retrieved_us           INTEGER,
    retrieval              TEXT,            -- JSON: clip and manifest hashes, events
    reported_us            INTEGER,
    report                 TEXT,            -- JSON: media, copies, recipient, remarks
    closed_us              INTEGER,
    closing                TEXT,            -- JSON: hand-over (T6.2), Form 3 (N11.2), reason
    form3_alert_id         INTEGER          -- N11.2: the open alert while Form 3 is overdue
);
CREATE INDEX request_by_state ON request (state);
CREATE TRIGGER request_is_kept BEFORE DELETE ON request
BEGIN SELECT RAISE(ABORT, 'requests are kept (N9.3)'); END;

-- Form 1 and other views read events by kind.
CREATE INDEX event_by_kind ON event (kind);

-- Single-use retrieval grants (N9.4): bound to a request, and so to its camera, range,
-- handler and terminal.
CREATE TABLE retrieval_grant (
    id         TEXT PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES request(id),
    issued_us  INTEGER NOT NULL,
    expires_us INTEGER NOT NULL,
    used_us    INTEGER
);
