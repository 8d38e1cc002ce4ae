"""The worker's memory while it crawls: RSS and PSS of every process of its
tree, sampled on a thread, peaks kept per phase."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager


def proc_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def _proc_kb(path: str, field: str) -> int:
    """The kB figure of the line `field:` of a /proc file (0 if the process is gone)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _status_kb(pid: int, field: str) -> int:
    return _proc_kb(f"/proc/{pid}/status", field)


def _pss_kb(pid: int) -> int:
    return _proc_kb(f"/proc/{pid}/smaps_rollup", "Pss")


class RssSampler:
    """Samples the RSS of every worker process tree (main + prefork children)
    every `interval` s while a phase is open; keeps the peaks per phase."""

    def __init__(self, roots: list[int], exclude: set[int] | None = None, interval: float = 0.2):
        self.roots, self.exclude, self.interval = roots, exclude or set(), interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._current: dict | None = None

    def _sample(self) -> None:
        pids = [p for root in self.roots for p in proc_tree(root) if p not in self.exclude]
        rss = {p: _status_kb(p, "VmRSS") for p in pids}
        pss_total = sum(_pss_kb(p) for p in pids)
        with self._lock:
            cur = self._current
            if cur is None:
                return
            cur["samples"] += 1
            cur["peak_total_kb"] = max(cur["peak_total_kb"], sum(rss.values()))
            cur["peak_process_kb"] = max(cur["peak_process_kb"], max(rss.values(), default=0))
            cur["peak_pss_total_kb"] = max(cur["peak_pss_total_kb"], pss_total)
            cur["processes"] = max(cur["processes"], len(pids))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    @contextmanager
    def phase(self):
        result = {"samples": 0, "peak_total_kb": 0, "peak_process_kb": 0, "peak_pss_total_kb": 0, "processes": 0}
        with self._lock:
            self._current = result
        self._stop.clear()
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield result
        finally:
            self._stop.set()
            thread.join()
            self._sample_final(result)

    def _sample_final(self, result: dict) -> None:
        with self._lock:
            self._current = None
        for key in ("peak_total_kb", "peak_process_kb", "peak_pss_total_kb"):
            result[key.replace("_kb", "_mb")] = round(result.pop(key) / 1024, 1)


def merge_rss(*phases: dict) -> dict:
    keys = ("peak_total_mb", "peak_process_mb", "peak_pss_total_mb")
    return {k: max((p[k] for p in phases if p), default=0.0) for k in keys}
