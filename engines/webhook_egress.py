"""A webhook's target URL under the egress policy (netpolicy.py), and one
bounded POST to it.

`check_url` is the check of a URL as written (no DNS lookup): the API runs it
when a subscription is created or changed (a refusal is a 422 naming `url`).
`post` runs it again at every attempt, then resolves the name once, checks
every address it resolves to, and connects to the checked address (TLS
still verifies the certificate against the name, and the Host header carries
it), so a name that answers differently the second time (DNS rebinding)
cannot reach a refused address. Redirects are not followed, connect and read
are bounded, and at most `MAX_ANSWER` bytes of the answer are read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from .netpolicy import AddressRefused, Policy, normalise_host, resolve_allowed

MAX_URL = 2000
MAX_ANSWER = 4096  # bytes of a receiver's answer read (kept for the log: 200 characters)


class BadURL(ValueError):
    """Not a URL a webhook can have (scheme, form, credentials)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query


@dataclass(frozen=True)
class Answer:
    """One attempt's outcome: the HTTP status (None: no answer), an error in
    words (None: a 2xx), and how long it took."""

    status: int | None
    error: str | None
    ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def webhook_policy(settings) -> Policy:
    """The policy of webhook targets: the operator's loopback and private
    choices (METACRAWL_WEBHOOK_ALLOW_*); the always-refused ranges as for
    databases."""
    return Policy(allow_loopback=settings.webhook_allow_loopback, allow_private=settings.webhook_allow_private)


def check_url(url: str, policy: Policy) -> Target:
    """The URL's parts, or BadURL / AddressRefused saying why not."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL or not url.isascii() or url != url.strip():
        raise BadURL(f"must be an http or https URL of at most {MAX_URL} ASCII characters, without spaces")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise BadURL("must not hold spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BadURL("the scheme must be https or http")
    if parts.username is not None or parts.password is not None:
        raise BadURL("must not carry a user name or password (put a token in the path or query)")
    if parts.fragment:
        raise BadURL("must not have a fragment (#...)")
    try:
        explicit = parts.port
    except ValueError:
        explicit = 0
    if explicit == 0:
        raise BadURL("the port must be a number from 1 to 65535")
    port = explicit or (443 if parts.scheme == "https" else 80)
    host = parts.hostname
    if not host:
        raise BadURL("must name a host")
    try:
        host = normalise_host(host, policy)
    except AddressRefused as e:
        raise AddressRefused(_reworded(e)) from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate against the name."""

    def __init__(self, name: str, address: str, port: int, timeout: float):
        super().__init__(name, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, name: str, address: str, port: int, timeout: float):
        super().__init__(name, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str], policy: Policy, timeout: float) -> Answer:
    """POST `body` to `url` once. AddressRefused when the policy refuses the
    URL or an address its name resolves to (nothing is sent then)."""
    target = check_url(url, policy)
    try:
        address = resolve_allowed(target.host, target.port, policy)
    except AddressRefused as e:
        raise AddressRefused(_reworded(e)) from None
    started = time.monotonic()
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = kind(target.host, address, target.port, timeout)
    try:
        conn.request("POST", target.path, body=body, headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        response.read(MAX_ANSWER)
        status = response.status
    except (OSError, http.client.HTTPException) as e:
        return Answer(None, _words(e, timeout), _ms(started))
    finally:
        conn.close()
    if 200 <= status < 300:
        return Answer(status, None, _ms(started))
    redirect = " (a redirect: redirects are not followed)" if 300 <= status < 400 else ""
    return Answer(status, f"the receiver answered {status}{redirect}", _ms(started))


def _reworded(e: AddressRefused) -> str:
    """netpolicy's words are the crawl's: say them of a webhook."""
    return str(e).replace("is never crawled", "is never sent to").replace("does not crawl", "does not send to")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _words(e: BaseException, timeout: float) -> str:
    if isinstance(e, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(e, ssl.SSLError):
        return f"TLS failed: {e.reason or type(e).__name__}"
    if isinstance(e, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(e, http.client.HTTPException):
        return f"not an HTTP answer ({type(e).__name__})"
    return f"could not connect ({type(e).__name__})"


__all__ = ["MAX_URL", "AddressRefused", "Answer", "BadURL", "Target", "check_url", "post", "webhook_policy"]
