"""Test a connection as a crawl would open it: the same network policy,
the same introspector, the same connect and statement timeouts; nothing is
read from the target. Used by the API's and the web UI's "test connection"."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from catalog.models import Source
from catalog.settings import Settings
from catalog.vault import VaultError

from .introspect.base import TargetError
from .targets import open_introspector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    elapsed_ms: int
    error_type: str | None = None
    message: str | None = None


def probe(source: Source, settings: Settings) -> ProbeResult:
    """Connect to `source` (saved, or built from a form and never stored) and close."""
    started = time.monotonic()

    def result(ok: bool, error_type: str | None = None, message: str | None = None) -> ProbeResult:
        return ProbeResult(ok, int((time.monotonic() - started) * 1000), error_type, message)

    try:
        with open_introspector(source, settings):
            pass
    except TargetError as e:
        return result(False, e.type, e.message)
    except VaultError:
        return result(False, "credentials_unreadable", "the stored password cannot be decrypted; set it again")
    except Exception:
        log.exception("connection test crashed")
        return result(
            False, "internal_error", "an internal error stopped the test; the operators' logs have the details"
        )
    return result(True)
