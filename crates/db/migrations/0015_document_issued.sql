-- mimamori schema, upgrade 15 (issue 13): a paper form printed, by its PDF's hash.
INSERT INTO event_kind (kind) VALUES ('document_issued');
