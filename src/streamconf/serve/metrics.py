"""Counters for `GET /metrics`, in Prometheus' text format: requests by route and status, a
latency histogram, and the release being served. Each worker process keeps its own."""

from __future__ import annotations

import bisect
import os

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Metrics:
    def __init__(self, release: str) -> None:
        self.release = release
        self.requests: dict[tuple[str, int], int] = {}
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.latency_sum = 0.0
        self.reload_failures = 0

    def observe(self, route: str, status: int, seconds: float) -> None:
        key = (route, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        self.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.latency_sum += seconds

    def serving(self, release: str) -> None:
        self.release = release

    def reload_failed(self) -> None:
        self.reload_failures += 1

    def render(self) -> bytes:
        lines = [
            "# HELP streamconf_release_info The release this worker answers from.",
            "# TYPE streamconf_release_info gauge",
            f'streamconf_release_info{{release="{self.release}",pid="{os.getpid()}"}} 1',
            "# HELP streamconf_release_reload_failures_total New releases that did not verify and were not served.",
            "# TYPE streamconf_release_reload_failures_total counter",
            f"streamconf_release_reload_failures_total {self.reload_failures}",
            "# HELP streamconf_requests_total Requests answered, by route and HTTP status.",
            "# TYPE streamconf_requests_total counter",
        ]
        lines += [f'streamconf_requests_total{{route="{route}",status="{status}"}} {count}'
                  for (route, status), count in sorted(self.requests.items())]
        lines += ["# HELP streamconf_request_duration_seconds Time to answer a request.",
                  "# TYPE streamconf_request_duration_seconds histogram"]
        cumulative = 0
        for bound, count in zip((*map(str, BUCKETS), "+Inf"), self.buckets):
            cumulative += count
            lines.append(f'streamconf_request_duration_seconds_bucket{{le="{bound}"}} {cumulative}')
        lines += [f"streamconf_request_duration_seconds_sum {self.latency_sum:.6f}",
                  f"streamconf_request_duration_seconds_count {cumulative}"]
        return ("\n".join(lines) + "\n").encode("utf-8")
