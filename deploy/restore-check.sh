#!/usr/bin/env bash
# Prove the newest backup restores: restore it into a scratch database and compare the row count of every
# table with the counts backup.sh took in the dump's own snapshot. Any difference, a missing table or a
# failed restore ends with "RESTORE CHECK FAILED" and exit status 1. docs/DEPLOY.md, "Backups".
#
#   BACKUP_DIR, BACKUP_PREFIX   where backup.sh writes (defaults /var/backups/returnee, returnee)
#   BACKUP_DATABASE_URL         the backed-up database (default: DATABASE_URL); the scratch database is
#                               made on the same server, named after it with "_restore_check" appended
#   RESTORE_SCRATCH_URL         or name the scratch database yourself. It is DROPPED and re-created.
#   RESTORE_DUMP                check this dump instead of the newest
#   RESTORE_COMPARE_LIVE=1      compare with the live database instead of the dump's counts (exact only
#                               while nobody writes to it; for dumps made without backup.sh)
#   RESTORE_KEEP=1              keep the scratch database afterwards (to look around in it)
#   RESTORE_JOBS                parallel restore jobs (default 2)
#
# Needs a role that may create databases on that server (the postgres superuser on the database host).
set -euo pipefail
umask 077
export LC_ALL=C  # sort and join must agree on the order
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"  # no NOTICE chatter

fail() { echo "restore-check.sh: RESTORE CHECK FAILED: $*" >&2; exit 1; }

dir="${BACKUP_DIR:-/var/backups/returnee}"
prefix="${BACKUP_PREFIX:-returnee}"
source_url="${BACKUP_DATABASE_URL:-${DATABASE_URL:-}}"
jobs="${RESTORE_JOBS:-2}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
count_tables="$here/count-tables.sql"
[[ -r "$count_tables" ]] || fail "$count_tables is missing (it sits next to this script)"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || fail "RESTORE_JOBS must be a whole number, got '$jobs'"
for tool in psql pg_restore createdb dropdb; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (Debian: apt-get install postgresql-client)"
done

# The dump: the newest by its UTC timestamp, unless one is named.
dump="${RESTORE_DUMP:-}"
if [[ -z "$dump" ]]; then
    dump="$(find "$dir" -maxdepth 1 -type f -name "$prefix-*.dump" | sort | tail -n 1)"
    [[ -n "$dump" ]] || fail "no $prefix-*.dump in $dir"
fi
[[ -r "$dump" ]] || fail "cannot read $dump"

# Splits a libpq URL into the server part and the database name (keeping ?parameters).
split_url() {
    local url="$1" base query=""
    base="${url%%\?*}"
    [[ "$url" == *\?* ]] && query="?${url#*\?}"
    url_server="${base%/*}"
    url_database="${base##*/}"
    url_query="$query"
    [[ "$url_database" =~ ^[A-Za-z0-9_]+$ ]] || fail "cannot find a plain database name at the end of the URL"
}

if [[ -n "${RESTORE_SCRATCH_URL:-}" ]]; then
    split_url "$RESTORE_SCRATCH_URL"
    scratch_url="$RESTORE_SCRATCH_URL"
else
    [[ -n "$source_url" ]] || fail "set BACKUP_DATABASE_URL (or DATABASE_URL, or RESTORE_SCRATCH_URL)"
    split_url "$source_url"
    scratch_url="$url_server/${url_database}_restore_check$url_query"
    split_url "$scratch_url"
fi
scratch="$url_database"
maintenance_url="$url_server/postgres$url_query"
if [[ -n "$source_url" ]]; then
    split_url "$source_url"
    [[ "$url_database" != "$scratch" ]] || fail "the scratch database must not be the backed-up one ($scratch)"
fi

expected="$(mktemp)" restored="$(mktemp)"
cleanup() {
    rm -f "$expected" "$restored"
    if [[ "${RESTORE_KEEP:-0}" != 1 ]]; then
        dropdb --if-exists --maintenance-db="$maintenance_url" "$scratch" 2>/dev/null || true
    fi
}
trap cleanup EXIT

counts="${dump%.dump}.counts"
if [[ "${RESTORE_COMPARE_LIVE:-0}" == 1 ]]; then
    [[ -n "$source_url" ]] || fail "RESTORE_COMPARE_LIVE needs BACKUP_DATABASE_URL (or DATABASE_URL)"
    psql -X -q -A -t -v ON_ERROR_STOP=1 --dbname="$source_url" -f "$count_tables" | sort -t '|' -k 1,1 >"$expected"
    against="the live database"
else
    [[ -r "$counts" ]] || fail "no $counts next to the dump (made without backup.sh? use RESTORE_COMPARE_LIVE=1)"
    sort -t '|' -k 1,1 "$counts" >"$expected"
    against="the dump's snapshot ($(basename "$counts"))"
fi

echo "restore-check.sh: restoring $(basename "$dump") into scratch database $scratch"
started=$SECONDS
dropdb --if-exists --maintenance-db="$maintenance_url" "$scratch"
createdb --maintenance-db="$maintenance_url" "$scratch"
# Ownership and grants name roles the scratch server may not have; the rows are what is being checked.
pg_restore --no-owner --no-acl --exit-on-error --jobs="$jobs" --dbname="$scratch_url" "$dump" \
    || fail "pg_restore could not restore $dump"
psql -X -q -A -t -v ON_ERROR_STOP=1 --dbname="$scratch_url" -f "$count_tables" | sort -t '|' -k 1,1 >"$restored"

# table|expected|restored for every table on either side; MISSING where a side lacks it.
differences=0 tables=0 rows=0
printf '%-45s %12s %12s\n' "table" "expected" "restored"
while IFS='|' read -r table want got; do
    tables=$((tables + 1))
    mark=""
    if [[ "$want" != "$got" ]]; then
        differences=$((differences + 1))
        mark="   <-- DIFFERENT"
    else
        rows=$((rows + want))
    fi
    printf '%-45s %12s %12s%s\n' "$table" "$want" "$got" "$mark"
done < <(join -t '|' -a 1 -a 2 -e MISSING -o 0,1.2,2.2 "$expected" "$restored")

elapsed=$((SECONDS - started))
if ((differences > 0)); then
    fail "$differences of $tables tables differ from $against"
fi
((tables > 0)) || fail "no tables found"
echo "restore-check.sh: OK: $tables tables, $rows rows, identical to $against; restored in ${elapsed}s"
