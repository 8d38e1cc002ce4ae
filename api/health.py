"""Liveness and readiness, outside the API prefix and without auth."""

from flask import Blueprint, current_app

from catalog.monitoring import ping

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return {"status": "ok"}


@blp.get("/readyz")
def readyz():
    checks = {}
    try:
        ping()
        checks["catalog"] = "ok"
    except Exception as e:
        checks["catalog"] = f"unreachable: {type(e).__name__}"
    try:
        current_app.extensions["metacrawl_redis"].ping()
        checks["redis"] = "ok"
    except Exception as e:
        checks["redis"] = f"unreachable: {type(e).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
