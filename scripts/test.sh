#!/usr/bin/env bash
# The checks and the whole test suite against the real services. Each run
# creates (and drops) its own catalog database, migrated by Alembic, its own
# target databases and its own redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "checks: ruff check, ruff format --check, mypy"
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy --no-error-summary
echo "tests: pytest"
exec .venv/bin/python -m pytest "$@"
