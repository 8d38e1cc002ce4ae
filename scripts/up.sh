#!/usr/bin/env bash
# Set up and run the whole system locally: API (:8000, or PORT), worker, beat
# and Flower (:5555, or PORT + 10000 when PORT is given), with a demo source
# registered and its first crawl queued. Each checkout gets its own catalog
# database, Redis database and beat schedule file (named after its path), so
# two checkouts run side by side when the second one is given another PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

say() { echo "up.sh: $*"; }
# this checkout's own suffix: the same path always gives the same names
slug=$(printf %s "$PWD" | sha256sum | cut -c1-8)

# A Redis database (1-15; 0 is the default of a bare run, 11 the benchmark's)
# claimed for this checkout in Redis itself: `metacrawl:up.sh:db:N` holds the
# path of the checkout using database N. A claim whose checkout is gone is taken over.
redis_db() {
  local start=$((16#${slug:0:4} % 15)) i n key owner
  for i in $(seq 0 14); do
    n=$(((start + i) % 15 + 1))
    [ "$n" = 11 ] && continue
    key="metacrawl:up.sh:db:$n"
    owner=$(redis-cli -h 127.0.0.1 -p 6379 -n 0 GET "$key")
    if [ -z "$owner" ]; then
      redis-cli -h 127.0.0.1 -p 6379 -n 0 SET "$key" "$PWD" NX >/dev/null
    elif [ "$owner" != "$PWD" ] && [ ! -d "$owner" ]; then
      redis-cli -h 127.0.0.1 -p 6379 -n 0 SET "$key" "$PWD" >/dev/null
    fi
    if [ "$(redis-cli -h 127.0.0.1 -p 6379 -n 0 GET "$key")" = "$PWD" ]; then
      echo "$n"
      return 0
    fi
  done
  echo "up.sh: every Redis database 1-15 is claimed by another checkout: set METACRAWL_REDIS_URL" >&2
  return 1
}

export METACRAWL_CATALOG_URL=${METACRAWL_CATALOG_URL:-postgresql://postgres@127.0.0.1:5432/metacrawl_$slug}
if [ -z "${METACRAWL_REDIS_URL:-}" ]; then
  METACRAWL_REDIS_URL="redis://127.0.0.1:6379/$(redis_db)"
  export METACRAWL_REDIS_URL
fi
mkdir -p var
export BEAT_SCHEDULE_FILE=${BEAT_SCHEDULE_FILE:-$PWD/var/celerybeat-schedule}
# the README's PORT, else 8000; set here because honcho would give the web process PORT=5000
export METACRAWL_WEB_PORT=${METACRAWL_WEB_PORT:-${PORT:-8000}}
if [ -n "${PORT:-}" ]; then
  export FLOWER_PORT=${FLOWER_PORT:-$((PORT + 10000))}
fi
export FLOWER_PORT=${FLOWER_PORT:-5555}
export METACRAWL_PUBLIC_URL=${METACRAWL_PUBLIC_URL:-http://localhost:$METACRAWL_WEB_PORT}
# gunicorn's control socket defaults to ~/.gunicorn/gunicorn.ctl, one for every checkout
export GUNICORN_CMD_ARGS="${GUNICORN_CMD_ARGS:-} --control-socket '$PWD/var/gunicorn.ctl'"

# A worker reads hostile databases: run as root, it drops to nobody (Celery's
# --uid/--gid, the Procfile's WORKER_UID/WORKER_GID), which also ends Celery's
# superuser warning. Where nobody cannot run this checkout's Python and code
# (a Python under /root, say) it stays root and Celery's warning stays: say why.
if [ "$(id -u)" = 0 ] && [ -z "${WORKER_UID:-}" ]; then
  if setpriv --reuid=nobody --regid=nogroup --clear-groups .venv/bin/python -c "import worker.tasks, worker.webhooks" \
    >/dev/null 2>&1; then
    export WORKER_UID=nobody WORKER_GID=nogroup
  else
    say "the workers run as root, so Celery warns about it: the user nobody cannot run" \
      "$(readlink -f .venv/bin/python) and this checkout's code (a Python under /root? see the README)"
  fi
fi

db=${METACRAWL_CATALOG_URL##*/}
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE \"$db\""
fi
say "catalog database $db, Redis $METACRAWL_REDIS_URL, beat schedule $BEAT_SCHEDULE_FILE"
say "web UI $METACRAWL_PUBLIC_URL, Flower http://localhost:$FLOWER_PORT"
.venv/bin/alembic upgrade head
.venv/bin/metacrawl seed-demo
export PATH="$PWD/.venv/bin:$PATH" # the Procfile names celery and gunicorn
exec honcho start web worker webhooks beat flower
