-- mimamori schema, upgrade 5 (issue 11, #12): a request lets its footage out once.
--
-- A grant is superseded when a newer one is issued for its request (one live grant per
-- request), and marked failed when its retrieval made no package (so the handler may ask
-- again). `Db::use_grant` spends a grant only if no other grant of its request was spent
-- without failing, in the same statement, inside the single writer's IMMEDIATE transaction:
-- of two retrievals racing with two grants, one exports and the other is refused.
ALTER TABLE retrieval_grant ADD COLUMN superseded_us INTEGER;
ALTER TABLE retrieval_grant ADD COLUMN failed_us INTEGER;
CREATE INDEX retrieval_grant_by_request ON retrieval_grant (request_id);
