"""The Celery app (`celery -A worker.app ...`). Its configuration is read from
the environment lazily, when Celery first needs it, not at import."""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging, worker_process_init

app = Celery("metacrawl", include=["worker.tasks", "worker.webhooks"])
app.config_from_object("worker.celeryconfig")


@worker_process_init.connect
def _fresh_catalog_pool(**_kw):
    # A forked pool child must not share the parent's catalog connections.
    from . import runtime

    runtime.reset()


@setup_logging.connect
def _json_logs(loglevel=None, **_kw):
    # Taking this signal replaces Celery's own logging setup with ours.
    from catalog.logs import configure
    from catalog.settings import from_env

    configure(loglevel or "INFO", from_env().log_json)
