-- PostgreSQL only: a finer histogram on organization_placements.path for
-- the planner (see the postgres migration of the same number). SQLite's
-- planner uses the path index for a subtree range without statistics.
SELECT 1;
