-- mimamori schema, upgrade 10 (issue 11, #20): a start with a changed policy file is on the
-- ledger, with the file's hash, its settings and what changed.
INSERT INTO event_kind (kind) VALUES ('policy_loaded');
