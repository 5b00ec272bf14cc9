#!/usr/bin/env bash
# Back up the Returnee Casework database: one pg_dump (custom format) with a UTC timestamp in its name,
# plus the row count of every table taken in the very snapshot the dump was made from (restore-check.sh
# compares a restore with it), then remove backups older than BACKUP_KEEP_DAYS. docs/DEPLOY.md, "Backups".
#
#   BACKUP_DATABASE_URL  the database to dump (default: DATABASE_URL), e.g. postgresql:///returnee for the
#                        local server over its Unix socket. Put a password in ~/.pgpass, not in the URL:
#                        a URL on the command line is visible to every user of the machine.
#   BACKUP_DIR           where the dumps go (default /var/backups/returnee); created mode 700
#   BACKUP_KEEP_DAYS     how many days of dumps to keep (default 14)
#   BACKUP_PREFIX        file-name prefix (default returnee)
#
# Exit status 0 only when the dump is complete and readable. Run it from cron or a systemd timer.
set -euo pipefail
umask 077

url="${BACKUP_DATABASE_URL:-${DATABASE_URL:-}}"
dir="${BACKUP_DIR:-/var/backups/returnee}"
keep="${BACKUP_KEEP_DAYS:-14}"
prefix="${BACKUP_PREFIX:-returnee}"

fail() { echo "backup.sh: $*" >&2; exit 1; }
[[ -n "$url" ]] || fail "set BACKUP_DATABASE_URL (or DATABASE_URL) to the database to back up"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || fail "BACKUP_KEEP_DAYS must be a whole number of days (1 or more), got '$keep'"
[[ "$prefix" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "BACKUP_PREFIX may hold letters, digits, '.', '_' and '-' only"
for tool in psql pg_dump pg_restore; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (Debian: apt-get install postgresql-client)"
done
mkdir -p "$dir"
chmod 700 "$dir"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dump="$dir/$prefix-$stamp.dump"
counts="$dir/$prefix-$stamp.counts"
partial="$dir/.$prefix-$stamp.partial"
trap 'rm -f "$partial" "$partial.counts"' EXIT

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
count_tables="$here/count-tables.sql"
[[ -r "$count_tables" ]] || fail "$count_tables is missing (it sits next to this script)"

# One transaction holds a snapshot open; pg_dump dumps exactly that snapshot and the counts are taken in
# it too, so they describe the dump even while the application keeps writing.
coproc SNAPSHOT { psql -X -q -A -t -v ON_ERROR_STOP=1 --dbname="$url"; }
snapshot_pid=$SNAPSHOT_PID
exec {to_psql}>&"${SNAPSHOT[1]}" {from_psql}<&"${SNAPSHOT[0]}"
printf '%s\n' 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;' 'SELECT pg_export_snapshot();' >&"$to_psql"
read -r -t 60 snapshot <&"$from_psql" || fail "could not open a snapshot of the database"

pg_dump --format=custom --compress=6 --snapshot="$snapshot" --file="$partial" --dbname="$url"

printf '%s\n' "\\i '$count_tables'" "SELECT '--end--';" >&"$to_psql"
: >"$partial.counts"
while read -r -t 3600 line <&"$from_psql"; do
    [[ "$line" == "--end--" ]] && break
    printf '%s\n' "$line" >>"$partial.counts"
done
[[ "${line:-}" == "--end--" ]] || fail "counting the tables did not finish"
printf '%s\n' 'COMMIT;' '\q' >&"$to_psql"
exec {to_psql}>&-
wait "$snapshot_pid" || fail "the snapshot session ended with an error"

# A dump pg_restore cannot read is no backup.
pg_restore --list "$partial" >/dev/null || fail "pg_restore cannot read the new dump"
mv "$partial.counts" "$counts"
mv "$partial" "$dump"
echo "backup.sh: wrote $dump ($(du -h "$dump" | cut -f1), $(wc -l <"$counts") tables counted)"

# Retention: dumps (and their counts) older than BACKUP_KEEP_DAYS days go; today's never does.
find "$dir" -maxdepth 1 -type f \( -name "$prefix-*.dump" -o -name "$prefix-*.counts" \) \
    -mmin +$((keep * 24 * 60)) -print -delete | sed 's/^/backup.sh: removed old /'
