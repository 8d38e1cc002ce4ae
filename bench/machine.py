"""What a bench run ran on: cores, memory, the servers' versions, the git commit."""

from __future__ import annotations

import os
import platform
import subprocess

import redis as redis_lib

from bench.common import ROOT
from bench.databases import mariadb_scalar, pg_admin


def machine_info(pg_url: str, mariadb_url: str, redis: redis_lib.Redis) -> dict:
    """Each figure is left out if it cannot be read: a missing one must not fail the run."""
    info: dict = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        with open("/proc/meminfo") as f:
            info["mem_total_gib"] = round(int(f.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    try:
        info["postgresql"] = pg_admin(pg_url, "SHOW server_version", fetch=True)[0][0]
    except Exception:
        pass
    try:
        info["postgresql_autovacuum"] = pg_admin(pg_url, "SHOW autovacuum", fetch=True)[0][0]
    except Exception:
        pass
    try:
        info["mariadb"] = mariadb_scalar(mariadb_url, "SELECT VERSION()")
    except Exception:
        pass
    try:
        info["redis"] = redis.info("server")["redis_version"]
    except Exception:
        pass
    git = git_commit()
    if git is not None:
        info["git"] = git
    return info


def git_commit() -> str | None:
    """The short HEAD commit, "+dirty" if tracked files changed; None without git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return None
    return commit + ("+dirty" if dirty else "")
