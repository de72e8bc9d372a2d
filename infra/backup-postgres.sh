#!/usr/bin/env bash
# Dumps the compose stack's PostgreSQL database to BACKUP_DIR (default /var/backups/glimmers),
# checks that the dump can be read, and deletes dumps older than KEEP_DAYS (default 14).
# Run from cron on the host, e.g. /etc/cron.d/glimmers-backup:
#   15 3 * * * root /srv/glimmers/infra/backup-postgres.sh >>/var/log/glimmers-backup.log 2>&1
# The dumps hold people's journal text: keep the folder private, and encrypt copies that leave
# the host. Deleted data lives on in backups until they expire, so keep KEEP_DAYS short.
set -euo pipefail
cd "$(dirname "$0")"

backup_dir=${BACKUP_DIR:-/var/backups/glimmers}
keep_days=${KEEP_DAYS:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$backup_dir/glimmers-$stamp.dump"

umask 077
mkdir -p "$backup_dir"
# Custom format (-Fc): compressed, and pg_restore can restore it selectively.
docker compose exec -T db pg_dump -U glimmers -d glimmers -Fc >"$target.partial"
# A dump pg_restore cannot list is no backup: fail loudly instead of keeping it.
docker compose exec -T db pg_restore --list >/dev/null <"$target.partial"
mv "$target.partial" "$target"
find "$backup_dir" -name 'glimmers-*.dump' -type f -mtime +"$keep_days" -delete
echo "$(date -u +%FT%TZ) backup written: $target ($(du -h "$target" | cut -f1))"
