"""A standalone scheduler's own HTTP port: ``/healthz`` for the orchestrator, ``/metrics``.

``forumlive scheduler`` serves no API, so compose (and Prometheus) would have
nothing to ask. With ``--health-port`` it answers on two paths, from a tiny
aiohttp app inside the scheduler process (same event loop: a stalled loop
fails the health check, which is the point).
"""

from __future__ import annotations

import json
from typing import Protocol

from aiohttp import web

from server.ops.metrics import CONTENT_TYPE, Metrics


class Leading(Protocol):
    """What the health answer reports about the scheduler (``SchedulerService``)."""

    instance: str

    @property
    def is_leader(self) -> bool: ...


class SchedulerHealth:
    def __init__(self, service: Leading, metrics: Metrics, host: str, port: int) -> None:
        self._service = service
        self._metrics = metrics
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the bound port (``port`` 0 picks a free one)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics_page)
        return app

    async def _healthz(self, request: web.Request) -> web.Response:
        body = {
            "status": "ok",
            "instance": self._service.instance,
            "leader": self._service.is_leader,
        }
        return web.Response(text=json.dumps(body), content_type="application/json")

    async def _metrics_page(self, request: web.Request) -> web.Response:
        response = web.Response(body=self._metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    async def start(self) -> None:
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
