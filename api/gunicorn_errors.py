"""gunicorn answers some requests itself, before the app sees them (a request
line over `limit_request_line`: 414; a malformed request: 400), with an HTML
page. `install()` makes those answers JSON shaped like every other error of
the API. gunicorn.conf.py calls it in the master, before workers fork."""

from __future__ import annotations

import http
import json


def write_json_error(sock, status_int, reason, mesg) -> None:
    from gunicorn import util

    try:
        phrase = http.HTTPStatus(int(status_int)).phrase
    except ValueError:
        phrase = str(reason)
    body = json.dumps({"code": int(status_int), "status": phrase, "message": str(reason).lower()}).encode()
    head = (
        f"HTTP/1.1 {int(status_int)} {phrase}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin1")
    util.write_nonblock(sock, head + body)


def install() -> None:
    from gunicorn import util

    util.write_error = write_json_error
