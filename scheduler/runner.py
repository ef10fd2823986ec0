"""``forumlive scheduler``: the standalone scheduler process of cluster mode.

It owns its resources: a database engine, a Redis client for the lease and
the change feed, a write-only ``AsyncRedisManager`` to push through the web
nodes' Socket.IO, and a mailer when SMTP is configured. Any number may run;
the lease lets one act. SIGTERM or SIGINT releases the lease (a follower
takes over at once) and exits cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import socketio
from redis.asyncio import Redis

from scheduler.service import SchedulerService
from server.db.engine import Database, make_engine
from server.db.migrate import upgrade
from server.live.push import Pusher
from server.mail import Mailer, mailer_from_settings
from server.names import SIO_CHANNEL
from server.ops.metrics import Metrics
from server.ops.scheduler_health import SchedulerHealth
from server.settings import Settings

log = logging.getLogger(__name__)

NEEDS_REDIS = (
    "forumlive scheduler runs beside web nodes in cluster mode and needs FORUMLIVE_REDIS_URL; "
    "without Redis, `forumlive serve` runs the scheduler itself"
)


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(make_engine(settings.resolved_database_url))
    redis = Redis.from_url(settings.redis_url)
    manager = socketio.AsyncRedisManager(settings.redis_url, write_only=True, channel=SIO_CHANNEL)
    mailer: Mailer | None = None
    service: SchedulerService | None = None
    health: SchedulerHealth | None = None
    try:
        if settings.auto_migrate:
            await upgrade(db.engine)
        if settings.smtp_host:
            mailer = mailer_from_settings(settings)
            mailer.start()
        metrics = Metrics()
        service = SchedulerService(
            db=db,
            pusher=Pusher(manager.emit),
            settings=settings,
            redis=redis,
            mailer=mailer,
            metrics=metrics,
        )
        if settings.scheduler_health_port is not None:
            health = SchedulerHealth(
                service, metrics, settings.host, settings.scheduler_health_port
            )
            await health.start()
            log.info("scheduler health and metrics on %s:%s", settings.host, health.port)
        await service.start()
        log.info("scheduler %s running; waiting for the lease", service.instance)
        await stop.wait()
        log.info("scheduler %s stopping", service.instance)
    finally:
        if service is not None:
            await service.stop()
        if health is not None:
            await health.stop()
        if mailer is not None:
            await mailer.stop()
        if manager.redis is not None:
            with contextlib.suppress(Exception):
                await manager.redis.aclose()
        await redis.aclose()
        await db.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def main(settings: Settings) -> int:
    if not settings.redis_url:
        print(NEEDS_REDIS, file=sys.stderr)
        return 2
    asyncio.run(run(settings))
    return 0
