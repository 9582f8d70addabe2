-- mimamori schema, upgrade 1: the recorder's tables.
-- Times are UTC microseconds since the Unix epoch (`*_us`); media durations are in 90 kHz
-- units (`*_90k`); civil days are ISO dates (YYYY-MM-DD) in the ward's time zone.

-- Cameras as recorded, kept after a camera leaves the policy so that its footage, gaps and
-- erasures stay attributable.
CREATE TABLE camera (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    site          TEXT NOT NULL,
    url           TEXT NOT NULL,
    first_seen_us INTEGER NOT NULL,
    updated_us    INTEGER NOT NULL
);

-- The live state each recorder task last reported.
CREATE TABLE camera_state (
    camera_id       TEXT PRIMARY KEY REFERENCES camera (id),
    state           TEXT NOT NULL,          -- 'connecting' | 'recording' | 'retrying' | 'stopped'
    since_us        INTEGER NOT NULL,
    last_sample_us  INTEGER,
    last_error      TEXT,
    updated_us      INTEGER NOT NULL
);

-- ISO BMFF VisualSampleEntry boxes (avc1/hvc1 with avcC/hvcC), shared by segments.
CREATE TABLE video_sample_entry (
    id             INTEGER PRIMARY KEY,
    sha256         BLOB NOT NULL UNIQUE,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    rfc6381_codec  TEXT NOT NULL,
    data           BLOB NOT NULL
);

-- Per-camera, per-day data keys, wrapped (AES-256-GCM) by the key-encryption key.
-- Deleting a row is the crypto-shredding step of erasure (T5.4); `secure_delete` is on so the
-- freed page is zeroed too.
CREATE TABLE day_key (
    id           INTEGER PRIMARY KEY,
    camera_id    TEXT NOT NULL REFERENCES camera (id),
    day          TEXT NOT NULL,
    kek_id       TEXT NOT NULL,
    wrapped_key  BLOB NOT NULL,
    created_us   INTEGER NOT NULL,
    UNIQUE (camera_id, day)
);

-- One encrypted file of samples cut at keyframes. A row exists only after its file is durable.
CREATE TABLE segment (
    id                  INTEGER PRIMARY KEY,
    camera_id           TEXT NOT NULL REFERENCES camera (id),
    day                 TEXT NOT NULL,
    day_key_id          INTEGER NOT NULL REFERENCES day_key (id),
    file_id             BLOB NOT NULL UNIQUE,   -- 16 random bytes: the file name and AEAD context
    run_id              INTEGER NOT NULL,       -- recording run (one RTSP session)
    start_us            INTEGER NOT NULL,
    end_us              INTEGER NOT NULL,
    media_start_90k     INTEGER NOT NULL,       -- RTP-derived time of the first sample in its run
    duration_90k        INTEGER NOT NULL,
    sample_count        INTEGER NOT NULL,
    keyframe_count      INTEGER NOT NULL,
    plaintext_bytes     INTEGER NOT NULL,
    file_bytes          INTEGER NOT NULL,
    sha256              BLOB NOT NULL,          -- of the plaintext samples, in order
    video_sample_entry_id INTEGER NOT NULL REFERENCES video_sample_entry (id),
    sample_index        BLOB NOT NULL           -- per sample: duration, size, keyframe flag
);
CREATE INDEX segment_camera_start ON segment (camera_id, start_us);
CREATE INDEX segment_start ON segment (start_us);
CREATE INDEX segment_day ON segment (day);
CREATE INDEX segment_day_key ON segment (day_key_id);

-- N5: every interruption of recording, from the last sample before it to the first after.
CREATE TABLE gap (
    id         INTEGER PRIMARY KEY,
    camera_id  TEXT NOT NULL REFERENCES camera (id),
    start_us   INTEGER NOT NULL,
    end_us     INTEGER,                         -- NULL while the camera is still down
    cause      TEXT NOT NULL
);
CREATE INDEX gap_camera_start ON gap (camera_id, start_us);

-- Conditions a person must look at.
CREATE TABLE alert (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,                 -- 'gap' | 'retention_below_policy' | ...
    camera_id    TEXT,
    message      TEXT NOT NULL,
    raised_us    INTEGER NOT NULL,
    resolved_us  INTEGER
);

-- T5.3: footage kept beyond the window for a stated reason, until a stated time.
CREATE TABLE hold (
    id          INTEGER PRIMARY KEY,
    camera_id   TEXT NOT NULL REFERENCES camera (id),
    start_us    INTEGER NOT NULL,
    end_us      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    held_by     TEXT NOT NULL,
    until_us    INTEGER NOT NULL,
    created_us  INTEGER NOT NULL,
    CHECK (end_us > start_us)
);

-- N6.2, T5.4: each sweep, and per camera-day what it erased and how.
CREATE TABLE erasure_run (
    id           INTEGER PRIMARY KEY,
    trigger      TEXT NOT NULL,                 -- 'retention' | 'storage_cap'
    started_us   INTEGER NOT NULL,
    finished_us  INTEGER NOT NULL,
    method       TEXT NOT NULL
);
CREATE TABLE erasure (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES erasure_run (id),
    camera_id       TEXT NOT NULL,
    day             TEXT NOT NULL,
    start_us        INTEGER NOT NULL,
    end_us          INTEGER NOT NULL,
    segment_count   INTEGER NOT NULL,
    bytes           INTEGER NOT NULL,
    segment_hashes  BLOB NOT NULL,              -- concatenated SHA-256 of the erased segments
    key_shredded    INTEGER NOT NULL,           -- 1 when the day key was destroyed
    day_key_id      INTEGER
);

-- Append-only record of everything that happened, for the tamper-evident ledger to take.
CREATE TABLE event (
    id        INTEGER PRIMARY KEY,
    time_us   INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT,
    terminal  TEXT,
    kind      TEXT NOT NULL,
    rule      TEXT,
    outcome   TEXT NOT NULL,                    -- 'allowed' | 'refused' | 'done' | 'failed'
    detail    TEXT NOT NULL                     -- JSON
);
CREATE TRIGGER event_is_append_only_update BEFORE UPDATE ON event
BEGIN SELECT RAISE(ABORT, 'event is append-only'); END;
CREATE TRIGGER event_is_append_only_delete BEFORE DELETE ON event
BEGIN SELECT RAISE(ABORT, 'event is append-only'); END;
