"""GET /metrics in Prometheus text format, computed from the catalog and the
broker at scrape time (so every web process answers the same)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from catalog.jobs import CrawlState
from catalog.monitoring import crawl_figures

blp = Blueprint("metrics", __name__)


class CatalogCollector:
    def __init__(self, queue_length: int | None):
        self.queue_length = queue_length

    def collect(self):
        figures = crawl_figures()
        by_state, durations, ages, never = figures.by_state, figures.durations, figures.ages, figures.never
        g = GaugeMetricFamily("metacrawl_crawls", "Crawl jobs by state", labels=["state"])
        states: dict[str, int] = dict(by_state)
        for state in CrawlState:
            g.add_metric([state], states.get(state, 0))
        yield g
        count, total, longest, tables = durations
        yield GaugeMetricFamily(
            "metacrawl_crawl_duration_seconds_sum",
            "Total wall time of succeeded crawls (queued to finished)",
            value=float(total),
        )
        yield GaugeMetricFamily("metacrawl_crawl_duration_seconds_count", "Succeeded crawls", value=count)
        yield GaugeMetricFamily("metacrawl_crawl_duration_seconds_max", "Longest succeeded crawl", value=float(longest))
        yield GaugeMetricFamily("metacrawl_tables_crawled", "Tables described by succeeded crawls", value=int(tables))
        age = GaugeMetricFamily(
            "metacrawl_source_last_success_age_seconds",
            "Seconds since each source's last successful crawl",
            labels=["source_id"],
        )
        for source_id, _name, seconds in ages:
            age.add_metric([str(source_id)], float(seconds))
        yield age
        yield GaugeMetricFamily("metacrawl_sources_never_crawled", "Sources without a successful crawl", value=never)
        yield GaugeMetricFamily(
            "metacrawl_oldest_success_age_seconds",
            "Age of the oldest last-successful crawl over all sources",
            value=max((float(a[2]) for a in ages), default=0.0),
        )
        if self.queue_length is not None:
            yield GaugeMetricFamily(
                "metacrawl_queue_length", "Tasks waiting in the broker queue", value=self.queue_length
            )


@blp.get("/metrics")
def metrics():
    try:
        queue_length = current_app.extensions["metacrawl_redis"].llen("celery")
    except Exception:
        queue_length = None
    registry = CollectorRegistry()
    registry.register(CatalogCollector(queue_length))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
