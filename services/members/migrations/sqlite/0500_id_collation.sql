-- PostgreSQL only: id columns there move to the "C" collation (see the
-- postgres migration of the same number). SQLite compares text bytewise
-- already; nothing to do.
SELECT 1;
