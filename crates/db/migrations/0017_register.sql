-- mimamori schema, upgrade 17 (issue 14): the camera register and the signs.
--
-- The register holds what the public is told about each camera (N3.1b, T2.1): where it stands,
-- which way it looks, how far it sees, its state from planned to removed, and why its site was
-- chosen (N4.1: the police station's crime information). How to reach the camera (its RTSP URL
-- and credentials reference) stays in the policy file, where the recorder reads it; the two
-- meet by camera id (docs/register.md). A register row may exist before the policy names the
-- camera (planned) and stays after it is removed, so a removed camera's footage and erasures
-- stay traceable to it (T7.2). Every change is an event written in the same transaction.
CREATE TABLE register_camera (
    id               TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 32),
    name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    address          TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 200),
    -- Millionths of a degree (WGS 84); whole degrees and metres; centimetres.
    lat_udeg         INTEGER NOT NULL CHECK (lat_udeg BETWEEN -90000000 AND 90000000),
    lon_udeg         INTEGER NOT NULL CHECK (lon_udeg BETWEEN -180000000 AND 180000000),
    bearing_deg      INTEGER NOT NULL CHECK (bearing_deg BETWEEN 0 AND 359),
    fov_deg          INTEGER NOT NULL CHECK (fov_deg BETWEEN 1 AND 360),
    range_m          INTEGER NOT NULL CHECK (range_m BETWEEN 1 AND 2000),
    height_cm        INTEGER CHECK (height_cm IS NULL OR height_cm BETWEEN 1 AND 3000),
    privacy_notes    TEXT NOT NULL CHECK (length(privacy_notes) <= 2000),
    state            TEXT NOT NULL
                     CHECK (state IN ('planned', 'installed', 'in_operation', 'removed')),
    -- N4.1: the police station's crime information the site rests on.
    basis_document   TEXT NOT NULL CHECK (length(basis_document) BETWEEN 1 AND 200),
    basis_date       TEXT NOT NULL CHECK (date(basis_date) IS basis_date),
    basis_summary    TEXT NOT NULL CHECK (length(basis_summary) BETWEEN 1 AND 2000),
    chosen_by        TEXT NOT NULL,
    chosen_us        INTEGER NOT NULL,
    installed_on     TEXT CHECK (installed_on IS NULL OR date(installed_on) IS installed_on),
    operating_since  TEXT CHECK (operating_since IS NULL
                                 OR date(operating_since) IS operating_since),
    removed_on       TEXT CHECK (removed_on IS NULL OR date(removed_on) IS removed_on),
    updated_us       INTEGER NOT NULL,
    -- Each state has exactly the dates it has reached.
    CHECK (state != 'planned'
           OR (installed_on IS NULL AND operating_since IS NULL AND removed_on IS NULL)),
    CHECK (state != 'installed'
           OR (installed_on IS NOT NULL AND operating_since IS NULL AND removed_on IS NULL)),
    CHECK (state != 'in_operation'
           OR (installed_on IS NOT NULL AND operating_since IS NOT NULL AND removed_on IS NULL)),
    CHECK (state != 'removed' OR removed_on IS NOT NULL),
    CHECK (operating_since IS NULL OR operating_since >= installed_on),
    CHECK (removed_on IS NULL OR installed_on IS NULL OR removed_on >= installed_on),
    CHECK (removed_on IS NULL OR operating_since IS NULL OR removed_on >= operating_since)
) WITHOUT ROWID;

-- A register row is never deleted (T7.2: a removed camera stays on record).
CREATE TRIGGER register_camera_is_kept BEFORE DELETE ON register_camera
BEGIN SELECT RAISE(ABORT, 'the register keeps removed cameras (T7.2)'); END;
-- Removal is final.
CREATE TRIGGER register_camera_removal_is_final BEFORE UPDATE ON register_camera
WHEN OLD.state = 'removed'
BEGIN SELECT RAISE(ABORT, 'a removed camera is not changed (T7.2)'); END;

-- N4.2, T2.2: a sign where a camera records, naming the ward and saying recording is going on.
CREATE TABLE register_sign (
    id          INTEGER PRIMARY KEY,
    lat_udeg    INTEGER NOT NULL CHECK (lat_udeg BETWEEN -90000000 AND 90000000),
    lon_udeg    INTEGER NOT NULL CHECK (lon_udeg BETWEEN -180000000 AND 180000000),
    text        TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 200),
    placed_on   TEXT NOT NULL CHECK (date(placed_on) IS placed_on),
    removed_on  TEXT CHECK (removed_on IS NULL
                            OR (date(removed_on) IS removed_on AND removed_on >= placed_on)),
    created_us  INTEGER NOT NULL
);
CREATE TRIGGER register_sign_is_kept BEFORE DELETE ON register_sign
BEGIN SELECT RAISE(ABORT, 'the register keeps removed signs (T7.2)'); END;
CREATE TRIGGER register_sign_removal_is_final BEFORE UPDATE ON register_sign
WHEN OLD.removed_on IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a removed sign is not changed (T7.2)'); END;

-- Which cameras a sign tells the public about.
CREATE TABLE register_sign_camera (
    sign_id    INTEGER NOT NULL REFERENCES register_sign (id),
    camera_id  TEXT NOT NULL REFERENCES register_camera (id),
    PRIMARY KEY (sign_id, camera_id)
) WITHOUT ROWID;
CREATE TRIGGER register_sign_camera_is_kept BEFORE DELETE ON register_sign_camera
BEGIN SELECT RAISE(ABORT, 'the register keeps removed signs (T7.2)'); END;

INSERT INTO event_kind (kind) VALUES ('camera_site_chosen'), ('camera_details_recorded'),
    ('camera_installed'), ('camera_operation_started'), ('camera_removed'), ('sign_placed'),
    ('sign_removed');

-- N4.2: a camera in operation with no sign standing is an alert until a sign covers it.
CREATE TABLE new_alert (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'retention_below_policy', 'integrity',
                     'no_keyframes', 'emergency_retrieval', 'form3_overdue',
                     'history_mismatch', 'history_overdue', 'appointment', 'terminal',
                     'frames_lost', 'sign_missing')),
    camera_id    TEXT,
    message      TEXT NOT NULL,
    raised_us    INTEGER NOT NULL,
    resolved_us  INTEGER
);
INSERT INTO new_alert SELECT id, kind, camera_id, message, raised_us, resolved_us FROM alert;
DROP TABLE alert;
ALTER TABLE new_alert RENAME TO alert;
