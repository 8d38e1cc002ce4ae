"""The Celery app (`celery -A worker.app ...`). Its configuration is read from
the environment lazily, when Celery first needs it, not at import.

Memory (issue #27, bench/worker_memory.py): engine drivers load when an
engine is first looked up (engines.ENGINES), so a process imports only what
it uses; the crawl worker's parent loads the default engine (PostgreSQL)
before its pool forks, and freezes what it holds out of the cyclic garbage
collector's reach, so the prefork children keep sharing those pages instead
of each copying them the first time the collector walks them."""

from __future__ import annotations

import gc

from celery import Celery
from celery.signals import setup_logging, worker_before_create_process, worker_init, worker_process_init

app = Celery("metacrawl", include=["worker.tasks", "worker.webhooks"])
app.config_from_object("worker.celeryconfig")

# Queues whose tasks crawl (the Procfile's `worker`; the `webhooks` worker crawls nothing).
CRAWL_QUEUES = frozenset({"celery"})


def consumes_crawls(queues) -> bool:
    """A worker consuming `queues` (None or empty: every queue) runs crawl tasks."""
    return not queues or bool(CRAWL_QUEUES & set(queues))


@worker_init.connect
def _load_before_fork(sender=None, **_kw):
    # What every crawl uses, loaded once in the parent: the children share it.
    queues = getattr(getattr(sender, "app", app).amqp.queues, "consume_from", None)
    if consumes_crawls(queues):
        import engines.postgres  # noqa: F401


@worker_before_create_process.connect
def _share_with_children(**_kw):
    # Counting references and the collector's scans write to an object's
    # header: a page of the parent's objects touched in a child is copied.
    # Frozen objects are never scanned (they are the modules and the app).
    gc.collect()
    gc.freeze()


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
