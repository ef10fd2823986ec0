"""Typed keys for everything the application holds (aiohttp's "no singletons")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import socketio
from aiohttp import web
from redis.asyncio import Redis

from scheduler.service import SchedulerService
from server.accounts.throttle import Throttle
from server.db.engine import Database
from server.live.context import LiveContext
from server.live.push import Pusher
from server.mail import Mailer
from server.ops.metrics import Metrics
from server.programme.changes import ProgrammeChanges
from server.settings import Settings
from server.streaming.relay import Relay
from server.tokens.blocklist import Blocklist
from server.tokens.keys import KeyRing

if TYPE_CHECKING:  # agenda_cache and attendance import these keys
    from server.api.agenda_cache import AgendaCache
    from server.live.attendance import Attendance

settings_key = web.AppKey("settings", Settings)
db_key = web.AppKey("db", Database)
login_throttle_key = web.AppKey("login_throttle", Throttle)
register_throttle_key = web.AppKey("register_throttle", Throttle)  # registrations per IP
programme_changes_key = web.AppKey("programme_changes", ProgrammeChanges)
redis_key = web.AppKey("redis", Redis | None)  # type: ignore[arg-type]
sio_key = web.AppKey("sio", socketio.AsyncServer)
pusher_key = web.AppKey("pusher", Pusher)
mailer_key = web.AppKey("mailer", Mailer)
scheduler_key = web.AppKey("scheduler", SchedulerService)  # embedded scheduler, when it runs
metrics_key = web.AppKey("metrics", Metrics)
keyring_key = web.AppKey("keyring", KeyRing)  # join-token signing and verification keys
blocklist_key = web.AppKey("blocklist", Blocklist)  # revocations and bans, in memory
join_throttle_key = web.AppKey("join_throttle", Throttle)  # join/media token requests
relay_key = web.AppKey("relay", Relay)  # the HLS stream relay (server/streaming)
live_key = web.AppKey("live", LiveContext)  # the /live rooms: bus, writer, presence …
# The public agenda's pre-serialised responses (server/api/agenda_cache.py).
agenda_cache_key: web.AppKey[AgendaCache] = web.AppKey("agenda_cache")
# Presence history for the attendance reports (server/live/attendance.py).
attendance_key: web.AppKey[Attendance] = web.AppKey("attendance")
