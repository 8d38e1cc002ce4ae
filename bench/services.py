"""The processes a bench run starts: gunicorn serving the API and the Celery
workers (optionally under py-spy), each in its own process group logging to a
file, and the wait until they are ready."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.api_client import Api
from bench.common import ROOT, rand


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_path: Path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_for_log(self, needle: bytes, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.log_path.read_bytes():
                return
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not log {needle!r} in {timeout} s:\n{self.tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.log_file.close()


def service_env(catalog_url: str, redis_url: str, batch_size: int) -> dict:
    """The environment of the web and worker processes."""
    return {
        **os.environ,
        "METACRAWL_CATALOG_URL": catalog_url,
        "METACRAWL_REDIS_URL": redis_url,
        "METACRAWL_BATCH_SIZE": str(batch_size),
        "METACRAWL_LOG_JSON": "1",
        "METACRAWL_ACCESS_TOKEN_MINUTES": "1440",
        "PYTHONUNBUFFERED": "1",
    }


def find_pyspy() -> str | None:
    """py-spy on PATH or beside this interpreter (a virtualenv's bin/)."""
    return shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))


def start_web(port: int, web_workers: int, env: dict, logdir: Path) -> Proc:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(web_workers),
        "--access-logfile",
        "-",
        "api:create_app()",
    ]
    return Proc("web", argv, env, logdir / "web.log").start()


def worker_argv(number: int, pool: str, concurrency: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker.app",
        "worker",
        "-P",
        pool,
        "-c",
        str(concurrency),
        "-n",
        f"bench{number}-{rand()}@%h",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "INFO",
    ]


def under_pyspy(pyspy: str, out: Path, argv: list[str]) -> list[str]:
    """`argv` recorded by py-spy (its child processes too) into a speedscope file."""
    return [
        pyspy,
        "record",
        "--subprocesses",
        "--format",
        "speedscope",
        "--rate",
        "50",
        "-o",
        str(out),
        "--",
    ] + argv


def wait_web_ready(api: Api, web: Proc, timeout: float = 60) -> None:
    """Poll /readyz until it answers 200; fail early if gunicorn exited."""
    deadline = time.time() + timeout
    while True:
        try:
            status, body, _ = api.request("GET", "/readyz", auth=False)
            if status == 200:
                return
        except OSError:
            pass
        if not web.alive():
            raise RuntimeError(f"gunicorn exited:\n{web.tail()}")
        if time.time() > deadline:
            raise RuntimeError(f"/readyz not ready in {timeout} s:\n{web.tail()}")
        time.sleep(0.2)
