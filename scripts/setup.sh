#!/usr/bin/env bash
# Create the virtualenv, install metacrawl, and make sure PostgreSQL, MariaDB
# and Redis answer on this machine (starting them when they do not).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'

# The web UI: its browser assets come from the npm registry (package-lock.json),
# served by the app from node_modules; Graphviz draws the ER diagrams; the
# browser tests drive Debian's Chromium through Playwright (never `playwright install`).
apt_missing=()
command -v dot >/dev/null || apt_missing+=(graphviz)
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
if [ ${#apt_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${apt_missing[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}") >/tmp/metacrawl-apt.log 2>&1 \
      || { cat /tmp/metacrawl-apt.log >&2; exit 1; }
  else
    echo "setup: missing ${apt_missing[*]} (install them: diagrams need graphviz, browser tests need chromium)"
  fi
fi
if command -v npm >/dev/null; then
  echo "setup: installing UI assets (npm ci)"
  npm ci --silent --no-audit --no-fund >/tmp/metacrawl-npm.log 2>&1 || { cat /tmp/metacrawl-npm.log >&2; exit 1; }
else
  echo "setup: npm is missing: the web UI will be served without htmx (install nodejs and npm)"
fi

wait_for() {  # wait_for NAME CHECK-COMMAND...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "setup: $name did not come up" >&2
  return 1
}

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "setup: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
fi
if ! mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  echo "setup: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for MariaDB mysqladmin -h 127.0.0.1 -u root ping
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "setup: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
fi
