-- mimamori schema, upgrade 6 (issue 11, #7): a one-time code is used once, and setting up a
-- new second factor does not switch off the one in force.
--
-- `totp_pending_secret` holds a secret being set up until a code confirms it; the enabled
-- `totp_secret` stays in force meanwhile. `totp_last_step` is the RFC 6238 time step of the
-- last code accepted: a code of that step or an earlier one is refused (RFC 6238 §5.2).
ALTER TABLE staff ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER;
-- Set-ups begun before this upgrade were stored in totp_secret, not yet enabled.
UPDATE staff SET totp_pending_secret = totp_secret, totp_secret = NULL
    WHERE totp_enabled_us IS NULL AND totp_secret IS NOT NULL;
