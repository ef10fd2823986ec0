"""Everything a live handler may use, built once per application (``app[live_key]``)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from server.db.engine import Database
from server.live.broadcast import Broadcaster
from server.live.bus import Bus
from server.live.conn import Connections
from server.live.directory import Directory
from server.live.fanout import Fanout
from server.live.polls import Tallies
from server.live.presence import Presence
from server.live.ratelimit import RateLimiter
from server.live.reactions import Reactions
from server.live.rooms import Rooms
from server.live.store import WriteBehind
from server.settings import Settings


@dataclass(eq=False)
class LiveContext:
    app: web.Application
    settings: Settings
    db: Database
    node_id: str
    bus: Bus
    fanout: Fanout
    conns: Connections
    directory: Directory
    rooms: Rooms
    broadcast: Broadcaster
    writer: WriteBehind
    limiter: RateLimiter
    presence: Presence
    reactions: Reactions
    tallies: Tallies
