#!/usr/bin/env bash
# Everything `make run` and `make test` need, on a fresh Debian 12 machine with PostgreSQL 15 and Redis.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
# A development machine: DEBUG is off unless set (production), so say so here.
export DEBUG="${DEBUG:-1}"

say() { printf '\033[1;34m==> %s\033[0m\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PG_VERSION="${PG_VERSION:-15}"
DB_HOST="${DB_HOST:-127.0.0.1}"
DB_NAME="${DB_NAME:-wenjiang_ops}"
PYTHON="${PYTHON:-python3}"

# 1. System packages: PostGIS for the running PostgreSQL, GDAL/GEOS for GeoDjango, gettext for translations;
# postgresql-common (pg_ctlcluster, and pg_createcluster for the private cluster of tests/test_faults.py)
# and redis-server (the fault tests start throw-away ones on free ports); fonts-noto-cjk, the Chinese
# fonts that dispute documents embed (disputes.documents, DOCUMENT_FONT).
packages=("postgresql-${PG_VERSION}-postgis-3" postgresql-common redis-server gdal-bin gettext fonts-noto-cjk)
# The media server (nginx-light with libnginx-mod-rtmp: video.runtime) and ffmpeg (the demo's test-pattern
# cameras, snapshots).
packages+=(nginx-light libnginx-mod-rtmp ffmpeg)
if [ -n "${EXTRA_APT_PACKAGES:-}" ]; then read -r -a extra <<<"$EXTRA_APT_PACKAGES"; packages+=("${extra[@]}"); fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Services: start PostgreSQL and Redis when they are not running.
if ! pg_isready -q -h "$DB_HOST"; then
  say "Starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
  for _ in $(seq 30); do pg_isready -q -h "$DB_HOST" && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  say "Starting Redis"
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi

# 3. The virtualenv, reinstalled only when requirements.txt changes.
if [ ! -x .venv/bin/python ]; then
  say "Creating the virtualenv"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.requirements.sha256"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "Installing Python requirements"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi

# 4. The database and its PostGIS extension (tests create their own database the same way).
if [ -z "${DATABASE_URL:-}" ]; then
  if ! psql -h "$DB_HOST" -U postgres -tAc "select 1 from pg_database where datname='$DB_NAME'" | grep -q 1; then
    say "Creating database $DB_NAME"
    createdb -h "$DB_HOST" -U postgres "$DB_NAME"
  fi
  PGOPTIONS="-c client_min_messages=warning" psql -q -h "$DB_HOST" -U postgres -d "$DB_NAME" \
    -c "create extension if not exists postgis" >/dev/null
fi

# 5. Schema, translations, static files.
say "Migrating, compiling translations, collecting static files"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py compilemessages -v0 --ignore=.venv
.venv/bin/python manage.py collectstatic --noinput -v0
