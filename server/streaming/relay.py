"""The relay as one object on the app: store, health, rooms, replays, and their background loop.

No app keys here (``server.appkeys`` names this class); ``context.py`` builds it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from redis.exceptions import RedisError

from server.domain.timezones import iso_utc
from server.live.push import Pusher
from server.names import EV_STREAM_HEALTH
from server.programme.changes import SessionChange
from server.settings import Settings
from server.streaming.health import HealthBoard, HealthChange
from server.streaming.hls import Rewriter
from server.streaming.replay import ReplayRecorder
from server.streaming.rooms import RoomDirectory
from server.streaming.signing import PlaybackSigner
from server.streaming.store import SegmentStore
from server.streaming.viewers import VerifiedTokens

log = logging.getLogger(__name__)

# Ended sessions' replays are looked for this often (seconds).
_REPLAY_EVERY = 5.0
_OUTAGE_RETRY = 2.0


class Relay:
    def __init__(
        self,
        settings: Settings,
        store: SegmentStore,
        health: HealthBoard,
        rooms: RoomDirectory,
        signer: PlaybackSigner,
        replays: ReplayRecorder,
        tokens: VerifiedTokens,
        pusher: Pusher,
    ) -> None:
        self.settings = settings
        self.store = store
        self.health = health
        self.rooms = rooms
        self.signer = signer
        self.replays = replays
        self.tokens = tokens
        self.rewriter = Rewriter()
        self._pusher = pusher

    async def announce(self, change: HealthChange) -> None:
        """Tell the clients of the session now in the room (nobody, if none is)."""
        on_air = await self.rooms.on_air(change.room_id)
        if on_air is None:
            return
        at = datetime.fromtimestamp(change.at, UTC)
        await self._pusher.session(
            on_air.session_id,
            EV_STREAM_HEALTH,
            {
                "room_id": change.room_id,
                "channel": change.channel,
                "status": change.status,
                "at": iso_utc(at),
            },
        )

    async def tick(self, now: float, last_replay_run: float) -> float:
        """One round of the background loop; returns when replays were last handled."""
        for change in await self.health.judge():
            await self.announce(change)
        self.store.sweep()
        if now - last_replay_run >= _REPLAY_EVERY:
            await self.replays.publish_due()
            return now
        return last_replay_run

    async def run(self) -> None:
        last_replay = 0.0
        interval = self.settings.stream_health_interval_seconds
        outage = False
        while True:
            pause = interval
            try:
                last_replay = await self.tick(time.monotonic(), last_replay)
                if outage:
                    log.info("stream relay: Redis answers again; health judging resumed")
                    outage = False
            except (RedisError, OSError) as exc:
                # Redis is down (cluster mode): say so once, then retry calmly until it is back.
                if not outage:
                    log.warning("stream relay: Redis unavailable (%s); retrying", exc)
                    outage = True
                pause = max(interval, _OUTAGE_RETRY)
            except Exception:
                log.exception("stream relay background round failed; retrying")
            await asyncio.sleep(pause)

    async def on_programme_change(self, changes: Sequence[SessionChange]) -> None:
        # A moved, cancelled or new session may change what a room is showing (once a batch).
        self.rooms.forget()
