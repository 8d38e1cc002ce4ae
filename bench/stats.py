"""Percentiles and the latency figures every timed request series reports."""

from __future__ import annotations

import math


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of `values` (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_figures(ms: list[float]) -> dict:
    """n, p50, p95, max and the first of request times in ms, rounded to 0.01 ms."""
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
        "first_ms": round(ms[0], 2),
    }


def ratio(a, b):
    """a / b to 2 places, or None when either is missing (or b is 0)."""
    return round(a / b, 2) if a is not None and b else None
