"""Celery settings, from metacrawl's settings (environment)."""

from catalog.settings import from_env

_s = from_env()

broker_url = _s.redis_url
# A task whose worker vanished outright (SIGKILL of the whole worker, lost
# machine) is redelivered once the visibility timeout passes; the sweep that
# looks for such tasks runs often enough for that timeout to hold.
broker_transport_options = {
    "visibility_timeout": _s.visibility_timeout,
    "unacked_restore_interval": max(1, min(10, _s.visibility_timeout // 4)),
    "unacked_restore_throttle": 1,
}
broker_connection_retry_on_startup = True
task_serializer = "json"
accept_content = ["json"]
# Crawl tasks keep their result (the job's state and progress, ids and counts
# only) and report a PROGRESS state while they work, for Flower and
# AsyncResult; every other task ignores its result.
result_backend = _s.redis_url
result_expires = 86400
task_ignore_result = True
# A batch is safe to rerun, so a task whose worker died is delivered again.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
# A crawl batch takes about 45 MB whatever the target's size (bench/README.md);
# a pool child that has grown past this (KiB) anyway is replaced after its task.
worker_max_memory_per_child = 200_000
task_time_limit = _s.crawl_time_limit
# Flower and `celery events` see every task by name, with its arguments (ids only).
worker_send_task_events = True
task_send_sent_event = True
worker_hijack_root_logger = False
timezone = "UTC"
# Webhook deliveries and their sweep have a queue of their own, consumed by
# the `webhooks` worker (Procfile), so a receiver that never answers takes no
# crawl worker's slot.
task_routes = {"webhooks.*": {"queue": "webhooks"}}
beat_schedule = {
    "dispatch-due-crawls": {"task": "crawl.dispatch_due", "schedule": 60.0},
    "reap-lost-crawls": {"task": "crawl.reap", "schedule": float(_s.reap_interval)},
    "sweep-webhooks": {"task": "webhooks.sweep", "schedule": float(_s.webhook_sweep_interval)},
}
