#!/usr/bin/env bash
# Set up and run the whole system locally: API (:8000), worker, beat and
# Flower (:5555), with a demo source registered and its first crawl queued.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

export METACRAWL_CATALOG_URL=${METACRAWL_CATALOG_URL:-postgresql://postgres@127.0.0.1:5432/metacrawl}
db=${METACRAWL_CATALOG_URL##*/}
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE \"$db\""
fi
.venv/bin/alembic upgrade head
.venv/bin/metacrawl seed-demo
export PATH="$PWD/.venv/bin:$PATH"  # the Procfile names celery and gunicorn
# the README's PORT, else 8000; set here because honcho would give the web process PORT=5000
export METACRAWL_WEB_PORT=${METACRAWL_WEB_PORT:-${PORT:-8000}}
exec honcho start web worker webhooks beat flower
