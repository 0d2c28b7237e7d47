-- Whether a finished case was finished after its last stage's due date
-- (set by the move that finished it), for "resolved on time".
ALTER TABLE cases ADD COLUMN finished_late BIGINT NOT NULL DEFAULT 0;
