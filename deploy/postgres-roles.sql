-- Least-privilege PostgreSQL roles for Returnee Casework (docs/DEPLOY.md, "PostgreSQL").
--
--   owner  owns the database and its tables; runs `manage.py migrate`. Nothing else uses it.
--   app    what gunicorn and the management commands connect as: reads and writes rows, never changes
--          the schema, and may only INSERT and SELECT the audit trail (no UPDATE, DELETE or TRUNCATE).
--
-- Run as a superuser (or the cloud provider's admin role), with psql:
--
--   psql -v owner=returnee_owner -v app=returnee_app -v db=returnee -f deploy/postgres-roles.sql
--
-- Idempotent: run it once before the first `migrate` (roles, database, default privileges) and once
-- after it (the audit table exists only then); running it again at any time changes nothing. Passwords
-- are not set here (they would end up in shell history): set them with psql's \password afterwards.

\set ON_ERROR_STOP on
\if :{?owner}
\else
    DO $$ BEGIN RAISE EXCEPTION 'give -v owner=ROLE: the owner role, which runs migrations'; END $$;
\endif
\if :{?app}
\else
    DO $$ BEGIN RAISE EXCEPTION 'give -v app=ROLE: the role the application connects as'; END $$;
\endif
\if :{?db}
\else
    DO $$ BEGIN RAISE EXCEPTION 'give -v db=DATABASE'; END $$;
\endif

SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
-- Neither role may do more than its job: no superuser, no creating roles or databases.
ALTER ROLE :"owner" NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS;
ALTER ROLE :"app" NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS;

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec

-- Only these two roles may connect.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
GRANT ALL ON DATABASE :"db" TO :"owner";

\connect :"db"

-- The schema: the owner creates tables in it; the application uses them and creates nothing.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"owner";
GRANT USAGE ON SCHEMA public TO :"app";

-- Tables the owner creates from now on (each migration): rows only, for the application.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";

-- Tables that exist already (a second run, or a database migrated before this script).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";

-- The audit trail is append-only for the application. Its triggers refuse UPDATE, DELETE and TRUNCATE
-- too; the application cannot drop them, because it does not own the table.
SELECT to_regclass('public.casework_auditevent') IS NOT NULL AS audit_table_exists \gset
\if :audit_table_exists
    REVOKE ALL ON casework_auditevent FROM :"app";
    GRANT SELECT, INSERT ON casework_auditevent TO :"app";
    \echo 'casework_auditevent: the application role may INSERT and SELECT only.'
\else
    \echo 'casework_auditevent does not exist yet: run manage.py migrate as the owner, then this script again.'
\endif
