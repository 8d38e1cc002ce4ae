#!/usr/bin/env bash
# The whole test suite against the real services. Each run creates (and drops)
# its own catalog database, migrated by Alembic, and its own target databases.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
