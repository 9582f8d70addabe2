-- mimamori schema, upgrade 9 (issue 11, #1): a Manager or an Administrator is appointed with a
-- second person's confirmation (N7.2).
--
-- Once the ward has had a Manager, an appointment to either role is proposed here and waits
-- until the Manager in force or another Administrator confirms it (an appointment is then
-- made, naming both), someone rejects it, its proposer withdraws it, or it expires. Proposals
-- are kept.
CREATE TABLE appointment_proposal (
    id              INTEGER PRIMARY KEY,
    staff_id        INTEGER NOT NULL REFERENCES staff (id),
    role            TEXT NOT NULL CHECK (role IN ('manager', 'administrator')),
    until_us        INTEGER,
    proposed_by     TEXT NOT NULL,
    proposed_us     INTEGER NOT NULL,
    expires_us      INTEGER NOT NULL,
    decision        TEXT CHECK (decision IN ('confirmed', 'rejected', 'withdrawn')),
    decided_by      TEXT,
    decided_us      INTEGER,
    reason          TEXT,
    appointment_id  INTEGER REFERENCES appointment (id),
    CHECK (expires_us > proposed_us),
    CHECK ((decision IS NULL) = (decided_by IS NULL)),
    CHECK ((decision IS NULL) = (decided_us IS NULL)),
    CHECK ((decision IS 'confirmed') = (appointment_id IS NOT NULL))
);
CREATE INDEX appointment_proposal_by_staff ON appointment_proposal (staff_id);
CREATE TRIGGER appointment_proposal_is_kept BEFORE DELETE ON appointment_proposal
BEGIN SELECT RAISE(ABORT, 'appointment proposals are kept (N7)'); END;
-- Who confirmed an appointment that needed it (appointed_by stays its proposer).
ALTER TABLE appointment ADD COLUMN confirmed_by TEXT;
INSERT INTO event_kind (kind) VALUES
    ('appointment_proposed'), ('appointment_confirmed'), ('appointment_rejected');
