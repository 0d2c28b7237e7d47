-- Review and declaration rules move into the platform's `dated_rules`
-- (one store of dated, cited rules for every service; oversight's stage
-- limits go there too). A review rule's one relevant number — the quota's
-- share for EXCELLENT_QUOTA (kind 1), the cap's grade for DISCIPLINED_CAP
-- (kind 2); the other was always 0 — becomes the value.
INSERT INTO dated_rules (family, kind, valid_from, value, citation, id, create_micros)
SELECT 'review', kind, valid_from, CASE kind WHEN 1 THEN percent ELSE cap END,
       citation, id, create_micros
FROM review_rules;

INSERT INTO dated_rules (family, kind, valid_from, value, citation, id, create_micros)
SELECT 'declaration', kind, valid_from, value, citation,
       'declaration-' || kind || '-' || valid_from, 0
FROM declaration_rules;

DROP TABLE review_rules;
DROP TABLE declaration_rules;
