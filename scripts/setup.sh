#!/usr/bin/env bash
# Create the virtualenv, install metacrawl, and make sure PostgreSQL, MariaDB
# and Redis answer on this machine: started when installed but stopped,
# installed with apt when missing and we are root on Debian/Ubuntu. One line
# per step; the tools' own output is shown only when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "setup: $*"; }
fail() { echo "setup: $*" >&2; exit 1; }

quiet() {  # quiet CMD...: run, and show its output only if it fails
  local out
  if ! out=$("$@" 2>&1); then
    echo "$out" | tail -n 40 >&2
    fail "failed: $*"
  fi
}

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_updated=
# another setup (a second checkout) may hold the dpkg lock: wait for it
apt_install() {  # apt_install PACKAGE...: only as root on Debian/Ubuntu
  if [ -z "$apt_updated" ]; then
    quiet env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q
    apt_updated=1
  fi
  quiet env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$@"
}
need() {  # need COMMAND PACKAGE WHAT: install PACKAGE when COMMAND is missing
  local cmd=$1 pkg=$2 what=$3
  command -v "$cmd" >/dev/null && return 0
  if can_apt; then
    step "installing $what (apt-get install $pkg)"
    apt_install "$pkg"
  else
    fail "$what is missing: install the '$pkg' package (for example: sudo apt-get install $pkg), then run this again"
  fi
}

# The web UI: its browser assets come from the npm registry (package-lock.json),
# served by the app from node_modules; Graphviz draws the ER diagrams; the
# browser tests drive Debian's Chromium through Playwright (never `playwright install`).
# The export tests parse PlantUML with Debian's plantuml (`plantuml -syntax`)
# and Mermaid with Mermaid's own parser (tests/parsers, from the npm registry).
apt_missing=()
command -v dot >/dev/null || apt_missing+=(graphviz)
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
command -v plantuml >/dev/null || apt_missing+=(plantuml)
if [ ${#apt_missing[@]} -gt 0 ]; then
  if can_apt; then
    step "installing ${apt_missing[*]}"
    apt_install "${apt_missing[@]}"
  else
    step "missing ${apt_missing[*]} (install them: diagrams need graphviz, browser tests need chromium, export tests need plantuml)"
  fi
fi
# npm ci empties node_modules first: run again only when the lock file changed
# since the last install, so test.sh never takes away the htmx a running up.sh serves.
npm_install() {  # npm_install DIR WHAT
  local dir=$1 what=$2
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.metacrawl-installed-lock"; then
    echo "setup: installing $what (npm ci in $dir)"
    quiet npm ci --silent --no-audit --no-fund --prefix "$dir"
    cp "$dir/package-lock.json" "$dir/node_modules/.metacrawl-installed-lock"
  fi
}
if command -v npm >/dev/null; then
  npm_install . "UI assets"
  npm_install tests/parsers "the export tests' parsers"  # large (Mermaid)
else
  echo "setup: npm is missing: the web UI will be served without htmx, and the Mermaid export test is skipped (install nodejs and npm)"
fi

wait_for() {  # wait_for NAME CHECK-COMMAND...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  fail "$name did not come up"
}

# --- Python -------------------------------------------------------------------
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
command -v "$PYTHON" >/dev/null || fail "Python 3.11 is missing: install python3 (3.11 or newer) and python3-venv"
# A virtualenv made in another checkout runs that checkout's code: rebuild it.
if [ -x .venv/bin/python ] && ! head -n1 .venv/bin/pip 2>/dev/null | grep -qF "#!$PWD/.venv/bin/python"; then
  step "the virtualenv .venv belongs to another checkout: rebuilding it"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  step "creating the virtualenv .venv"
  quiet "$PYTHON" -m venv .venv
fi
step "installing metacrawl and its dependencies into .venv"
quiet .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip
quiet .venv/bin/python -m pip install --disable-pip-version-check -e '.[dev]'
# The typed API client (metacrawl_client), generated from the OpenAPI
# document into var/client/; again only when the document changed.
step "generating the API client (scripts/gen_client.sh)"
quiet scripts/gen_client.sh
# duckdb-sqlalchemy replaced duckdb-engine: both register the duckdb:// dialect,
# and a virtualenv holding both would load either one.
if .venv/bin/python -m pip show -q duckdb-engine >/dev/null 2>&1; then
  step "removing duckdb-engine from .venv (duckdb-sqlalchemy replaces it)"
  quiet .venv/bin/python -m pip uninstall --disable-pip-version-check -y duckdb-engine
fi

# dbt, for the dbt export's test (tests/test_export_dbt.py runs `dbt parse`):
# a virtualenv of its own, so dbt's pins never move the app's; installed again
# only when the pins below change.
DBT_PINS="dbt-core==1.11.16 dbt-postgres==1.10.0"
if [ -x .venv-dbt/bin/python ] && ! head -n1 .venv-dbt/bin/pip 2>/dev/null | grep -qF "#!$PWD/.venv-dbt/bin/python"; then
  step "the virtualenv .venv-dbt belongs to another checkout: rebuilding it"
  rm -rf .venv-dbt
fi
if [ "$(cat .venv-dbt/.metacrawl-pins 2>/dev/null)" != "$DBT_PINS" ]; then
  step "installing dbt into .venv-dbt ($DBT_PINS)"
  [ -x .venv-dbt/bin/python ] || quiet "$PYTHON" -m venv .venv-dbt
  # shellcheck disable=SC2086 # the pins are words
  quiet .venv-dbt/bin/python -m pip install --disable-pip-version-check $DBT_PINS
  echo "$DBT_PINS" > .venv-dbt/.metacrawl-pins
fi

# --- services -----------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
if ! command -v pg_ctlcluster >/dev/null && ! command -v pg_isready >/dev/null; then
  need pg_ctlcluster postgresql PostgreSQL
  # a cluster this script installed: let local connections in without a password, as the tests expect
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n1)
  sed -i -E 's/^(local|host)(\s+all\s+all\s+.*)\s(peer|md5|scram-sha-256)$/\1\2 trust/' "$hba"
  sed -i -E 's/^(local\s+all\s+postgres\s+)peer$/\1trust/' "$hba"
fi
if ! pg_up; then
  step "starting PostgreSQL"
  quiet pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for PostgreSQL pg_up
fi

maria_up() { mysqladmin -h 127.0.0.1 -u root ping; }
if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
  need mysqladmin mariadb-server MariaDB
  fresh_mariadb=1
fi
if ! maria_up >/dev/null 2>&1; then
  step "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  if [ -n "${fresh_mariadb:-}" ]; then  # Debian's root logs in by socket only; the tests use TCP with no password
    wait_for MariaDB mysqladmin -u root ping
    quiet mysql -u root -e "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"
  fi
  wait_for MariaDB maria_up
fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping; }
need redis-server redis-server Redis
if ! redis_up >/dev/null 2>&1; then
  step "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  quiet redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_up
fi
step "ready: PostgreSQL, MariaDB and Redis answer; .venv and .venv-dbt are installed"
