"""Hostile database servers on loopback, for the security tests: they speak
just enough of the PostgreSQL or MySQL protocol to accept a login, then do
what an attacker's server would (never answer; ask for a local file).

Each runs in threads of the test process on a free port of 127.0.0.1 and
records what clients sent, so a test can assert that no file reached it."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


class FakeServer:
    """Accepts connections on 127.0.0.1:<free port> and hands each to `serve`."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.received = bytearray()  # everything any client sent after logging in
        self.queries: list[bytes] = []
        self.logins = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve_quietly, args=(conn,), daemon=True).start()

    def _serve_quietly(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ConnectionError, EOFError):
            self.serve(conn)

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _record(self, data: bytes) -> None:
        with self._lock:
            self.received += data

    def stall(self, conn: socket.socket) -> None:
        """Never answer again; keep reading so the client's writes succeed."""
        while not self._stopped.is_set():
            data = conn.recv(65536)
            if not data:
                return
            self._record(data)


def _exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


# --- PostgreSQL ---------------------------------------------------------------------


def _pg_message(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


class StalledPostgres(FakeServer):
    """Accepts any login (no password asked), then never answers a query;
    or, with `stall_on` (e.g. "ROLLBACK"), answers every simple query with
    one row of `1` until one starts with `stall_on`, and never answers that."""

    def __init__(self, stall_on: str | None = None):
        self.stall_on = stall_on
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        while True:
            length = struct.unpack("!I", _exact(conn, 4))[0]
            body = _exact(conn, length - 4)
            code = struct.unpack("!I", body[:4])[0]
            if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: no
                conn.sendall(b"N")
                continue
            if code == 80877102:  # CancelRequest: a stalled server ignores it
                conn.close()
                return
            break
        params = [
            ("server_version", "16.4"),
            ("server_encoding", "UTF8"),
            ("client_encoding", "UTF8"),
            ("DateStyle", "ISO, MDY"),
            ("integer_datetimes", "on"),
            ("standard_conforming_strings", "on"),
            ("TimeZone", "UTC"),
        ]
        out = _pg_message(b"R", struct.pack("!I", 0))
        for name, value in params:
            out += _pg_message(b"S", name.encode() + b"\0" + value.encode() + b"\0")
        out += _pg_message(b"K", struct.pack("!II", 4242, 4242)) + _pg_message(b"Z", b"I")
        conn.sendall(out)
        with self._lock:
            self.logins += 1
        if self.stall_on is not None:
            self._answer_until_stall(conn)
        self.stall(conn)

    def _answer_until_stall(self, conn: socket.socket) -> None:
        while True:
            kind = _exact(conn, 1)
            body = _exact(conn, struct.unpack("!I", _exact(conn, 4))[0] - 4)
            if kind == b"X":  # Terminate
                raise EOFError
            query = body.rstrip(b"\0").decode(errors="replace")
            with self._lock:
                self.queries.append(body)
            if query.lstrip().upper().startswith(self.stall_on.upper()):
                return
            conn.sendall(self._one_row(query))

    @staticmethod
    def _one_row(query: str) -> bytes:
        """A command's answer: one int4 column holding 1 for a SELECT, the
        command tag for anything else, then ReadyForQuery in a transaction."""
        word = query.split(None, 1)[0].upper() if query.strip() else "EMPTY"
        if word != "SELECT":
            return _pg_message(b"C", word.encode() + b"\0") + _pg_message(b"Z", b"T")
        column = b"?column?\0" + struct.pack("!IhIhih", 0, 0, 23, 4, -1, 0)
        return (
            _pg_message(b"T", struct.pack("!h", 1) + column)
            + _pg_message(b"D", struct.pack("!hI", 1, 1) + b"1")
            + _pg_message(b"C", b"SELECT 1\0")
            + _pg_message(b"Z", b"T")
        )


# --- MySQL --------------------------------------------------------------------------

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_LOCAL_FILES = 0x80
CLIENT_PROTOCOL_41 = 0x200
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PLUGIN_AUTH = 0x80000
SERVER_CAPABILITIES = (
    CLIENT_LONG_PASSWORD
    | CLIENT_CONNECT_WITH_DB
    | CLIENT_LOCAL_FILES
    | CLIENT_PROTOCOL_41
    | CLIENT_TRANSACTIONS
    | CLIENT_SECURE_CONNECTION
    | CLIENT_MULTI_RESULTS
    | CLIENT_PLUGIN_AUTH
)


def _mysql_packet(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload


def _read_mysql_packet(conn: socket.socket) -> tuple[int, bytes]:
    header = _exact(conn, 4)
    length = int.from_bytes(header[:3], "little")
    return header[3], _exact(conn, length)


class FakeMySQL(FakeServer):
    """A MariaDB-looking server that accepts any login. `mode`:
    - "stall": never answers a query;
    - "trickle": sends its greeting one byte a second, for ever (each byte
      arrives within any per-read timeout);
    - "infile": answers every query with a LOCAL INFILE request for `path`
      and records whatever the client sends back."""

    def __init__(self, mode: str, path: str = "/proc/self/environ"):
        self.mode, self.path = mode, path
        self.file_requests = 0
        super().__init__()

    def _greeting(self) -> bytes:
        salt = b"abcdefgh" + b"ijklmnopqrst"
        return (
            b"\x0a"
            + b"10.11.6-MariaDB\0"
            + struct.pack("<I", 7)
            + salt[:8]
            + b"\0"
            + struct.pack("<H", SERVER_CAPABILITIES & 0xFFFF)
            + b"\x2d"  # utf8mb4_general_ci
            + struct.pack("<H", 2)  # autocommit
            + struct.pack("<H", SERVER_CAPABILITIES >> 16)
            + bytes([21])
            + b"\0" * 10
            + salt[8:]
            + b"\0"
            + b"mysql_native_password\0"
        )

    @staticmethod
    def _ok(seq: int) -> bytes:
        return _mysql_packet(seq, b"\x00\x00\x00\x02\x00\x00\x00")

    def serve(self, conn: socket.socket) -> None:
        if self.mode == "trickle":
            greeting = _mysql_packet(0, self._greeting())
            while not self._stopped.is_set():
                conn.sendall(greeting[:1])
                greeting = greeting[1:] or greeting
                self._stopped.wait(1)
            return
        conn.sendall(_mysql_packet(0, self._greeting()))
        seq, _response = _read_mysql_packet(conn)
        conn.sendall(self._ok(seq + 1))
        with self._lock:
            self.logins += 1
        if self.mode == "stall":
            self.stall(conn)
            return
        while True:
            _seq, packet = _read_mysql_packet(conn)
            if not packet or packet[0] == 0x01:  # COM_QUIT
                return
            with self._lock:
                self.queries.append(packet[1:])
            if packet[0] != 0x03 or packet[1:4].upper() == b"SET":
                # a ping, an init_db, the session's SET statements: fine (a
                # client reads only an OK there); every other query asks for the file
                conn.sendall(self._ok(1))
                continue
            conn.sendall(_mysql_packet(1, b"\xfb" + self.path.encode()))
            with self._lock:
                self.file_requests += 1
            # A client that honours the request sends the file (packets 2, 3...),
            # then an empty packet; one that refuses sends a new command (packet 0).
            expected = 2
            while True:
                seq, data = _read_mysql_packet(conn)
                if seq != expected:
                    return
                self._record(data)
                if not data:
                    break
                expected += 1
            conn.sendall(self._ok(expected + 1))
