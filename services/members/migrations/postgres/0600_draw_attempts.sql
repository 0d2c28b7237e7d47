-- One verification draw per organisation and year; a redraw is a new
-- attempt with its reason, the earlier ones kept.
ALTER TABLE verification_draws ADD COLUMN attempt BIGINT NOT NULL DEFAULT 1;
ALTER TABLE verification_draws ADD COLUMN redraw_reason TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX verification_draws_attempt ON verification_draws (org_id, year, attempt);
