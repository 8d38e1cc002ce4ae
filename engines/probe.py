"""Test a connection as a crawl would open it: the same network policy,
the same introspector, the same connect and statement timeouts, then one
`SELECT 1` (a server that takes the login but answers no query fails); no
data or catalog of the target is read. Used by the API's and the web UI's
"test connection" (through crawl.source.probe_source, which holds the vault)."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass

from .base import TargetError, scrub
from .connect import Config, open_introspector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    elapsed_ms: int
    error_type: str | None = None
    message: str | None = None


def probe(engine: str, stored: Mapping, secrets: Mapping[str, str], config: Config) -> ProbeResult:
    """Connect to a source (saved, or built from a form and never stored), ask
    one `SELECT 1`, and close."""
    started = time.monotonic()
    secret_values = [v for v in secrets.values() if v]

    def result(ok: bool, error_type: str | None = None, message: str | None = None) -> ProbeResult:
        return ProbeResult(ok, int((time.monotonic() - started) * 1000), error_type, message)

    try:
        # every wait bounded by the connect timeout: the answer comes well
        # within the web server's own request timeout, whatever the target does
        with open_introspector(engine, stored, secrets, config, read_timeout=config.connect_timeout) as target:
            target.ping()
    except TargetError as e:  # engines scrub their messages; once more, in case
        return result(False, e.type, scrub(e.message, secret_values))
    except Exception as e:
        # no exc_info: a driver's message may quote a secret; the frames and a scrubbed message do not
        log.error(
            "connection test crashed: %s: %s\n%s",
            type(e).__name__,
            scrub(str(e), secret_values),
            "".join(traceback.format_tb(e.__traceback__)),
        )
        return result(
            False, "internal_error", "an internal error stopped the test; the operators' logs have the details"
        )
    return result(True)
