-- Issue 15: which recorder node records which camera (mimamori_policy::lease, db/leases.rs).
--
-- A node says it is alive in `recorder_node` every round; it records a camera while it holds
-- the camera's lease. `epoch` grows by one each time the camera changes hands; a segment row
-- carries the epoch it was recorded under, and one whose epoch is not the camera's current
-- lease is refused (fencing): a node that lost its lease cannot index footage over its
-- successor's. The all-in-one `serve` is the only recorder and holds no lease (NULL epoch).
CREATE TABLE recorder_node (
    id       TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
    seen_us  INTEGER NOT NULL
);

CREATE TABLE camera_lease (
    camera_id   TEXT PRIMARY KEY REFERENCES camera (id),
    node_id     TEXT NOT NULL REFERENCES recorder_node (id),
    epoch       INTEGER NOT NULL CHECK (epoch >= 1),
    expires_us  INTEGER NOT NULL
);

ALTER TABLE segment ADD COLUMN lease_epoch INTEGER;

CREATE TRIGGER segment_is_fenced BEFORE INSERT ON segment
WHEN NEW.lease_epoch IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM camera_lease WHERE camera_id = NEW.camera_id AND epoch = NEW.lease_epoch)
BEGIN
    SELECT RAISE(ABORT, 'fenced: the segment''s lease epoch is not the camera''s lease');
END;

-- A lease never goes back to an earlier epoch, nor to another camera.
CREATE TRIGGER camera_lease_moves_forward BEFORE UPDATE ON camera_lease
WHEN NEW.epoch < OLD.epoch OR NEW.camera_id != OLD.camera_id
BEGIN
    SELECT RAISE(ABORT, 'a lease moves only forward');
END;
