-- Run once by the postgres image on a new data volume
-- (/docker-entrypoint-initdb.d), in the database POSTGRES_DB (`probity`):
-- each service gets its own login role and a schema it owns, and nothing
-- in the others'. The passwords are for development: set your own (and
-- the services' PROBITY_DATABASE_URL) for anything else.

CREATE ROLE members LOGIN PASSWORD 'members-dev-password';
CREATE ROLE study LOGIN PASSWORD 'study-dev-password';
CREATE ROLE oversight LOGIN PASSWORD 'oversight-dev-password';
CREATE ROLE reports LOGIN PASSWORD 'reports-dev-password';

CREATE SCHEMA members AUTHORIZATION members;
CREATE SCHEMA study AUTHORIZATION study;
CREATE SCHEMA oversight AUTHORIZATION oversight;
CREATE SCHEMA reports AUTHORIZATION reports;

-- No role may create objects in `public`; each works in its own schema
-- (Probity sets search_path to it).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
