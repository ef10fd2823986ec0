"""Typed keys for everything the application holds (aiohttp's "no singletons")."""

from __future__ import annotations

import socketio
from aiohttp import web
from redis.asyncio import Redis

from server.accounts.throttle import Throttle
from server.db.engine import Database
from server.live.push import Pusher
from server.mail import Mailer
from server.ops.metrics import Metrics
from server.programme.changes import ProgrammeChanges
from server.settings import Settings

settings_key = web.AppKey("settings", Settings)
db_key = web.AppKey("db", Database)
login_throttle_key = web.AppKey("login_throttle", Throttle)
programme_changes_key = web.AppKey("programme_changes", ProgrammeChanges)
redis_key = web.AppKey("redis", Redis | None)  # type: ignore[arg-type]
sio_key = web.AppKey("sio", socketio.AsyncServer)
pusher_key = web.AppKey("pusher", Pusher)
mailer_key = web.AppKey("mailer", Mailer)
metrics_key = web.AppKey("metrics", Metrics)
