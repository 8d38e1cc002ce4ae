"""Shared pieces of the webhook tests: a real HTTP receiver on loopback that
answers as a script says, the receiver's own check of a signature (written
from the README's recipe, not with metacrawl's code), and subscribing."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) in a thread, recording every
    POST (headers, body). Each request takes the next behaviour of `script`,
    then `default`: "ok" (200), "500", "hang" (never answers), "hold"
    (records, sets `held`, waits for `release`, then answers 200)."""

    def __init__(self, script=(), default: str = "ok"):
        self.script, self.default = list(script), default
        self.requests: list[tuple[dict, bytes]] = []
        self.held, self.release = threading.Event(), threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append((dict(self.headers.items()), body))
                    behaviour = receiver.script.pop(0) if receiver.script else receiver.default
                if behaviour == "hang":
                    receiver.release.wait(120)
                    return
                if behaviour == "hold":
                    receiver.held.set()
                    receiver.release.wait(120)
                status = 500 if behaviour == "500" else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook?team=data"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30) -> list[tuple[dict, bytes]]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.requests) >= count:
                return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"the receiver got {len(self.requests)} requests, not {count}, within {timeout} s")


def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check: t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>, t within 5 minutes."""
    parts = dict(p.split("=", 1) for p in headers["X-Metacrawl-Signature"].split(","))
    timestamp = int(parts["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def subscribe(user, source_id: int, url: str, **fields) -> dict:
    r = user.post(f"/api/v1/sources/{source_id}/webhooks", json={"url": url, **fields})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def delivery_log(user, source_id: int, webhook_id: int) -> list[dict]:
    r = user.get(f"/api/v1/sources/{source_id}/webhooks/{webhook_id}/deliveries")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["deliveries"]


def wait_for_delivery(user, source_id: int, webhook_id: int, state: str, timeout: float = 60) -> dict:
    """The subscription's newest delivery once it is in `state`."""
    deadline = time.time() + timeout
    log: list[dict] = []
    while time.time() < deadline:
        log = delivery_log(user, source_id, webhook_id)
        if log and log[0]["state"] == state:
            return log[0]
        time.sleep(0.2)
    raise AssertionError(f"no {state} delivery within {timeout} s: {log}")
