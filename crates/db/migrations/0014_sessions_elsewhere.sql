-- mimamori schema, upgrade 14 (issue 13): a person ends their other sessions from the
-- sessions page (N3.3.1).
INSERT INTO event_kind (kind) VALUES ('signed_out_elsewhere');
