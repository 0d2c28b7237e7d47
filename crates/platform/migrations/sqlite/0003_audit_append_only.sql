-- The audit log is append-only: the service's own connections add entries
-- and can neither change nor remove one. (Whoever can drop these triggers
-- can; the hash chain, and an inspector's saved checkpoint, are what catch
-- that.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused');
END;
