-- Issue 15: which recorder node records which camera; SQLite's upgrade 19 in PostgreSQL's
-- dialect (see migrations/0019_leases.sql for the why).
CREATE TABLE recorder_node (
    id       TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    seen_us  BIGINT NOT NULL
);

CREATE TABLE camera_lease (
    camera_id   TEXT PRIMARY KEY REFERENCES camera (id),
    node_id     TEXT NOT NULL REFERENCES recorder_node (id),
    epoch       BIGINT NOT NULL CHECK (epoch >= 1),
    expires_us  BIGINT NOT NULL
);

ALTER TABLE segment ADD COLUMN lease_epoch BIGINT;

-- The lease row is read FOR SHARE: a claim by another node waits for this insert's commit,
-- or this insert sees the claim's new epoch and is refused.
CREATE FUNCTION mimamori_segment_fenced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.lease_epoch IS NOT NULL THEN
        PERFORM 1 FROM camera_lease
            WHERE camera_id = NEW.camera_id AND epoch = NEW.lease_epoch FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'fenced: the segment''s lease epoch is not the camera''s lease';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER segment_is_fenced BEFORE INSERT ON segment
FOR EACH ROW EXECUTE FUNCTION mimamori_segment_fenced();

CREATE TRIGGER camera_lease_moves_forward BEFORE UPDATE ON camera_lease
FOR EACH ROW WHEN (NEW.epoch < OLD.epoch OR NEW.camera_id != OLD.camera_id)
EXECUTE FUNCTION mimamori_refuse('a lease moves only forward');
