"""Counters for `GET /metrics`, in Prometheus' text format: requests by route and status, a
latency histogram, and the release being served.

Under `streamconf serve` the worker processes share one set of metrics through prometheus_client's
multiprocess mode (its files in the directory PROMETHEUS_MULTIPROC_DIR names, which `serve`
creates): any worker answering a scrape reports the sums over every worker, so successive scrapes
of one server never see a counter go back. Without that directory (the application run
in-process) the metrics are this process's own.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
SHARED_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    def __init__(self, release: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("streamconf_requests", "Requests answered, by route and HTTP status.",
                                ["route", "status"], registry=self.registry)
        self.counters: dict[tuple[str, int], Counter] = {}
        self.latency = Histogram("streamconf_request_duration_seconds", "Time to answer a request.",
                                 buckets=BUCKETS, registry=self.registry)
        self.reload_failures = Counter("streamconf_release_reload_failures",
                                       "New releases that did not verify and were not served.", registry=self.registry)
        self.release_info = Gauge("streamconf_release_info", "Worker processes answering from each release.",
                                  ["release"], multiprocess_mode="livesum", registry=self.registry)
        self.release = release
        self.release_info.labels(release).set(1)

    def observe(self, route: str, status: int, seconds: float) -> None:
        counter = self.counters.get((route, status))
        if counter is None:  # labels() validates and locks: a third of the cost of counting
            counter = self.counters[route, status] = self.requests.labels(route, str(status))
        counter.inc()
        self.latency.observe(seconds)

    def serving(self, release: str) -> None:
        self.release_info.labels(self.release).set(0)
        self.release = release
        self.release_info.labels(release).set(1)

    def reload_failed(self) -> None:
        self.reload_failures.inc()

    def render(self) -> bytes:
        if SHARED_DIRECTORY not in os.environ:
            return generate_latest(self.registry)
        every_worker = CollectorRegistry()
        multiprocess.MultiProcessCollector(every_worker)
        return generate_latest(every_worker)

    @staticmethod
    def stopped() -> None:
        """This worker no longer answers: its `streamconf_release_info` leaves the sum."""
        if SHARED_DIRECTORY in os.environ:
            multiprocess.mark_process_dead(os.getpid())
