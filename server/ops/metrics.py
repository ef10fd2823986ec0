"""Prometheus metrics, one registry per application (no process-global registry)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from server.api.errors import Handler

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "forumlive_http_requests", "HTTP requests", ["route", "method", "status"], registry=r
        )
        self.http_seconds = Histogram(
            "forumlive_http_request_seconds",
            "HTTP request duration",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.live_clients = Gauge(
            "forumlive_live_clients",
            "Connected live-room clients on this node",
            ["room"],
            registry=r,
        )
        self.live_events_in = Counter(
            "forumlive_live_events_in", "Client-to-server live events", ["event"], registry=r
        )
        self.live_events_out = Counter(
            "forumlive_live_events_out",
            "Server-to-client live events emitted",
            ["event"],
            registry=r,
        )
        self.broadcast_seconds = Histogram(
            "forumlive_broadcast_seconds",
            "Time to hand one room broadcast to every recipient",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.join_tokens = Counter(
            "forumlive_join_tokens_issued", "Join tokens issued", ["role"], registry=r
        )
        self.scheduler_lag = Histogram(
            "forumlive_scheduler_lag_seconds",
            "Transition lateness (applied minus due)",
            buckets=(*_LATENCY_BUCKETS, 10.0, 60.0),
            registry=r,
        )
        self.scheduler_leader = Gauge(
            "forumlive_scheduler_leader",
            "1 while this process holds the scheduler lease",
            registry=r,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def middleware(self) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
        # The labelled children, found once per (route, method, status): labels() validates
        # and locks on every call, a measurable share of a cached agenda request.
        children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

        @web.middleware
        async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                # The route template, not the path: /api/v1/sessions/{id}, never one row per id.
                resource = request.match_info.route.resource
                route = resource.canonical if resource is not None else "unmatched"
                key = (route, request.method, status)
                pair = children.get(key)
                if pair is None:
                    pair = children[key] = (
                        self.http_requests.labels(route, request.method, str(status)),
                        self.http_seconds.labels(route),
                    )
                pair[0].inc()
                pair[1].observe(time.perf_counter() - started)

        return count_requests


CONTENT_TYPE = CONTENT_TYPE_LATEST
