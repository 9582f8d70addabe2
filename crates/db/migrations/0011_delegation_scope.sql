-- mimamori schema, upgrade 11 (issue 11, #4): a delegation's scope is data. `cameras` is the
-- JSON array of the camera ids it covers (a delegation recorded before has none and covers no
-- camera until the Manager records it again); the Manager may withdraw it before its end.
ALTER TABLE delegation ADD COLUMN cameras TEXT
    CHECK (cameras IS NULL OR (json_valid(cameras) AND json_type(cameras) = 'array'));
ALTER TABLE delegation ADD COLUMN withdrawn_us INTEGER;
ALTER TABLE delegation ADD COLUMN withdrawn_by TEXT;
ALTER TABLE delegation ADD COLUMN withdrawal_reason TEXT;
INSERT INTO event_kind (kind) VALUES ('delegation_withdrawn');
