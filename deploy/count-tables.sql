-- The row count of every table of every schema but PostgreSQL's own, one "schema.table|count" line each
-- (with psql -A -t). backup.sh runs it inside the dump's snapshot; restore-check.sh on the restored copy.
SELECT format('SELECT %L, count(*) FROM %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname !~ '^pg_(toast|temp)'
 ORDER BY n.nspname, c.relname
\gexec
