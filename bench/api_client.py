"""The bench's client of the metacrawl API over HTTP: requests timed, a user
registered and logged in, a crawl and its insights waited for."""

from __future__ import annotations

import http.client
import json
import time

from catalog.jobs import ENDED_STATES


class Api:
    """A client of the metacrawl API over one http.client connection (gunicorn's
    sync workers close each connection, so it reconnects as needed)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.token: str | None = None

    def request(self, method: str, path: str, body=None, auth: bool = True) -> tuple[int, object, float]:
        headers = {"Accept": "application/json"}
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        resp, raw, elapsed = self.exchange(method, path, data, headers)
        payload = json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith("application/json") else raw
        return resp.status, payload, elapsed

    def exchange(
        self, method: str, path: str, data: bytes | None, headers: dict
    ) -> tuple[http.client.HTTPResponse, bytes, float]:
        """One timed request and its whole body, reconnecting once if the server closed the connection."""
        for attempt in range(2):
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                elapsed = time.perf_counter() - started
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt:
                    raise
            except Exception:
                self.conn.close()
                raise
        if resp.will_close:
            self.conn.close()
        return resp, raw, elapsed

    def call(self, method: str, path: str, body=None, expect: tuple[int, ...] = (200,), auth: bool = True):
        status, payload, _ = self.request(method, path, body, auth)
        if status not in expect:
            raise RuntimeError(f"{method} {path} answered {status}: {payload!r}"[:2000])
        return payload

    def register(self, email: str, password: str) -> None:
        self.call("POST", "/api/v1/auth/register", {"email": email, "password": password}, (202,), auth=False)
        tokens = self.call("POST", "/api/v1/auth/login", {"email": email, "password": password}, auth=False)
        self.token = tokens["access_token"]

    def wait_crawl(self, url: str, timeout: float) -> dict:
        started = time.time()
        while True:
            job = self.call("GET", url)
            if job["state"] in ENDED_STATES:
                job["client_seconds"] = round(time.time() - started, 3)
                return job
            if time.time() - started > timeout:
                raise RuntimeError(f"crawl {url} did not end in {timeout} s: {job}")
            time.sleep(0.1 if time.time() - started < 5 else 0.25)

    def wait_insights(self, source_id: int, crawl_id: int, timeout: float) -> float:
        """Seconds until the source's insights show crawl `crawl_id`."""
        started = time.time()
        while True:
            body = self.call("GET", f"/api/v1/sources/{source_id}/insights?limit=1")
            if body["crawl_id"] is not None and body["crawl_id"] >= crawl_id:
                return round(time.time() - started, 3)
            if time.time() - started > timeout:
                raise RuntimeError(f"insights of source {source_id} not computed after crawl {crawl_id}")
            time.sleep(0.5)
