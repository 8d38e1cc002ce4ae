#!/usr/bin/env bash
# The typed Python client, generated from the API's OpenAPI document by
# openapi-python-client into var/client/ (ignored by git, never committed):
# the package `metacrawl_client`, importable from .venv (a .pth file).
# Generated again only when the document, the generator or its configuration
# changed (their hash in var/client/.generated-from). Needs no database.
set -euo pipefail
cd "$(dirname "$0")/.."

out=var/client
mkdir -p "$out"
doc=$(mktemp)
trap 'rm -f "$doc"' EXIT
.venv/bin/metacrawl openapi write --format json "$doc" >/dev/null
stamp=$( (cat "$doc" scripts/client-config.yml; .venv/bin/openapi-python-client --version) | sha256sum | cut -d' ' -f1)
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ "$(cat "$out/.generated-from" 2>/dev/null)" = "$stamp" ] && [ -f "$site/metacrawl_client.pth" ] \
  && [ -d "$out/metacrawl_client" ]; then
  exit 0
fi
cp "$doc" "$out/openapi.json"
.venv/bin/openapi-python-client generate --path "$out/openapi.json" --output-path "$out/metacrawl_client" \
  --config scripts/client-config.yml --meta none --overwrite --fail-on-warning >"$out/generate.log" 2>&1 || {
  cat "$out/generate.log" >&2
  exit 1
}
touch "$out/metacrawl_client/py.typed"  # typed: mypy reads it (--meta none leaves the marker out)
echo "$PWD/$out" >"$site/metacrawl_client.pth"
echo "$stamp" >"$out/.generated-from"
