-- mimamori schema, upgrade 7 (issue 11, #1): a person sets their own password.
--
-- An Administrator who chose new accounts' passwords could sign in as them. A new account now
-- gets a one-time enrolment code instead: only its SHA-256 is kept here, with its expiry, until
-- the holder uses it to set a password (`enrolled_us`) or an Administrator issues a new one.
-- An account that has not enrolled has no usable password (`password_hash` is not a PHC
-- string, so no password matches it).
ALTER TABLE staff ADD COLUMN enrolment_sha256 BLOB CHECK (length(enrolment_sha256) = 32);
ALTER TABLE staff ADD COLUMN enrolment_expires_us INTEGER;
ALTER TABLE staff ADD COLUMN enrolled_us INTEGER;
-- A password its holder changed: enrolled when it was changed.
UPDATE staff SET enrolled_us = password_changed_us WHERE password_changed_us > 0;
-- The first Administrator, made at the server's console by its operator: enrolled then.
UPDATE staff SET enrolled_us = created_us
    WHERE enrolled_us IS NULL AND created_by LIKE 'cli:%';
-- Any other account still on an initial password an Administrator chose: that password is
-- void. An Administrator issues it an enrolment code (`POST /api/v1/staff/{login}/enrolment`).
UPDATE staff SET password_hash = '!' WHERE enrolled_us IS NULL AND left_us IS NULL;
INSERT INTO event_kind (kind) VALUES ('enrolment_code_issued'), ('enrolled');
