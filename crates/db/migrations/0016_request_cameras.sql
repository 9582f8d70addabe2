-- mimamori schema, upgrade 16 (issue 13): an instruction may name several cameras, each with
-- its own range (N9.2 「対象となる防犯カメラ及び画像の日時」).
--
-- The request row keeps the first camera and its range, as before; the others are here, in
-- the order the instruction named them (position 2, 3, …). A request with one camera has no
-- rows here, so every request written before this upgrade reads as it did.
CREATE TABLE request_camera (
    request_id INTEGER NOT NULL REFERENCES request (id),
    position   INTEGER NOT NULL CHECK (position >= 2),
    camera_id  TEXT NOT NULL CHECK (length(camera_id) > 0),
    start_us   INTEGER NOT NULL,
    end_us     INTEGER NOT NULL,
    CHECK (start_us < end_us),
    PRIMARY KEY (request_id, position)
) WITHOUT ROWID;

-- Further cameras belong to an instructed request (its first camera is on the row).
CREATE TRIGGER request_camera_needs_instruction BEFORE INSERT ON request_camera
WHEN (SELECT camera_id FROM request WHERE id = NEW.request_id) IS NULL
BEGIN SELECT RAISE(ABORT, 'a further camera needs an instructed request (N9.2)'); END;

CREATE TRIGGER request_camera_is_kept BEFORE DELETE ON request_camera
BEGIN SELECT RAISE(ABORT, 'requests are kept (N9.3)'); END;
CREATE TRIGGER request_camera_is_fixed BEFORE UPDATE ON request_camera
BEGIN SELECT RAISE(ABORT, 'an instruction is not changed once given (N9.2)'); END;
