"""Live-room test support: a session happening now, join tokens, and a recording client."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import socketio
from aiohttp.test_utils import TestClient

from server.appkeys import db_key
from server.db.tables import User
from server.tokens.join import issue_join_token
from tests.factories import Factory

LIVE = "/live"
_n = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Stage:
    """An event around today and a session that started a minute ago, with a moderator."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self.client: TestClient = factory.client
        self.session: dict[str, Any] = {}
        self.moderator: dict[str, Any] = {}
        self.prog: dict[str, Any] = {}

    @property
    def sid(self) -> int:
        return int(self.session["id"])

    async def setup(self, capacity: int | None = None) -> Stage:
        today = date.today()
        post = self.factory.post
        event = await self.factory.event(
            timezone="UTC",
            pre_events_start=None,
            pre_events_end=None,
            final_start=(today - timedelta(days=3)).isoformat(),
            final_end=(today + timedelta(days=3)).isoformat(),
        )
        eid = event["id"]
        track = await post("/api/v1/tracks", {"event_id": eid, "slug": "forum", "name": "Forum"})
        stype = await post(
            "/api/v1/session-types",
            {
                "event_id": eid,
                "key": "high_level_dialogue",
                "name": "High-level dialogue",
                "default_duration_min": 60,
                "interactive": False,
                "default_capacity": None,
            },
        )
        room = await post(
            "/api/v1/rooms",
            {"event_id": eid, "slug": f"stage-{next(_n)}", "name": "Stage", "capacity": 5000},
        )
        self.moderator = await self.quick_user("Mona Moderator")
        person = await post(
            "/api/v1/people",
            {
                "name": "Mona Moderator",
                "organisation": "ITU",
                "country": "CH",
                "stakeholder_group": "international_organisation",
                "user_id": self.moderator["id"],
            },
        )
        start = now() - timedelta(minutes=1)
        self.prog = {"event": event, "track": track, "type": stype, "rooms": [room]}
        self.session = await self.factory.session(
            self.prog,
            start=start.isoformat(),
            end=(start + timedelta(minutes=90)).isoformat(),
            moderator_ids=[person["id"]],
            capacity=capacity,
        )
        return self

    async def another_session(self) -> dict[str, Any]:
        room = await self.factory.post(
            "/api/v1/rooms",
            {
                "event_id": self.prog["event"]["id"],
                "slug": f"stage-{next(_n)}",
                "name": "Side stage",
                "capacity": 100,
            },
        )
        start = now() - timedelta(minutes=1)
        return await self.factory.session(
            {**self.prog, "rooms": [room]},
            start=start.isoformat(),
            end=(start + timedelta(minutes=60)).isoformat(),
        )

    async def token(
        self, user: dict[str, Any], role: str | None = None, session_id: int | None = None
    ) -> str:
        params = {"role": role} if role else {}
        r = await self.client.post(
            f"/api/v1/sessions/{session_id or self.sid}/join",
            headers=user["headers"],
            params=params,
        )
        assert r.status == 200, await r.text()
        return str((await r.json())["token"])

    async def quick_user(self, name: str | None = None) -> dict[str, Any]:
        """An account written straight to the database: no password hashing, no login.

        Tokens for it are issued by ``server.tokens`` exactly as the join endpoint does."""
        n = next(_n)
        async with self.client.app[db_key].write() as s:
            user = User(
                email=f"live{n}@example.org",
                name=name or f"Person {n}",
                password_hash="!",  # no password: this account cannot log in
                stakeholder_group="civil_society",
            )
            s.add(user)
            await s.flush()
            return {"id": user.id, "public_id": user.public_id, "name": user.name}

    async def quick_token(
        self, user: dict[str, Any], role: str | None = None, session_id: int | None = None
    ) -> str:
        async with self.client.app[db_key].read() as s:
            row = await s.get(User, user["id"])
        assert row is not None
        issued = await issue_join_token(self.client.app, row, session_id or self.sid, role)
        return issued.token

    def url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")


class Peer:
    """A real python-socketio client on /live that records every event it receives."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.order: list[tuple[str, Any]] = []
        self._arrived = asyncio.Condition()
        self.connect_error: Any = None
        self.disconnected = asyncio.Event()

        @self.sio.on("*", namespace=LIVE)
        async def any_event(event: str, *args: Any) -> None:
            data = args[0] if args else None
            self.events[event].append(data)
            self.order.append((event, data))
            async with self._arrived:
                self._arrived.notify_all()

        @self.sio.on("connect_error", namespace=LIVE)
        async def on_error(data: Any) -> None:
            self.connect_error = data

        @self.sio.on("disconnect", namespace=LIVE)
        async def on_disconnect(*args: Any) -> None:
            self.disconnected.set()

    async def connect(
        self,
        token: str | None,
        last_seq: int | None = None,
        headers: dict[str, str] | None = None,
        auth: dict[str, Any] | None = None,
        transports: list[str] | None = None,
        wait_welcome: bool = True,
    ) -> Peer:
        if auth is None:
            auth = {} if token is None else {"token": token}
            if last_seq is not None:
                auth["last_seq"] = last_seq
        await self.sio.connect(
            self.url,
            namespaces=[LIVE],
            auth=auth,
            headers=headers or {},
            transports=transports or ["websocket"],
            wait_timeout=10,
        )
        if wait_welcome:
            await self.next("room:welcome")
        return self

    @property
    def welcome(self) -> dict[str, Any]:
        return self.events["room:welcome"][-1]

    async def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        if data is None:
            return await self.sio.call(event, namespace=LIVE, timeout=timeout)
        return await self.sio.call(event, data, namespace=LIVE, timeout=timeout)

    async def ok(self, event: str, data: Any = None) -> dict[str, Any]:
        ack = await self.call(event, data)
        assert ack["ok"] is True, ack
        return ack

    async def error(self, event: str, data: Any = None) -> dict[str, Any]:
        ack = await self.call(event, data)
        assert ack["ok"] is False, ack
        return ack["error"]

    async def wait(self, predicate: Any, timeout: float = 5) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(predicate), timeout)

    async def next(self, event: str, count: int = 1, timeout: float = 5) -> list[Any]:
        await self.wait(lambda: len(self.events[event]) >= count, timeout)
        return self.events[event]

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
        else:
            await self.sio.shutdown()


class Peers:
    """Opens peers and closes every one of them at the end of the test."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.open: list[Peer] = []

    def new(self, url: str | None = None) -> Peer:
        peer = Peer(url or self.stage.url())
        self.open.append(peer)
        return peer

    async def join(
        self,
        user: dict[str, Any] | None = None,
        role: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Peer:
        if user is None:
            user = await self.stage.quick_user(name)
        token = await self.stage.quick_token(user, role)
        peer = self.new()
        peer.user = user  # type: ignore[attr-defined]
        peer.token = token  # type: ignore[attr-defined]
        return await peer.connect(token, **kwargs)

    async def moderator(self, **kwargs: Any) -> Peer:
        return await self.join(self.stage.moderator, **kwargs)

    async def close(self) -> None:
        for peer in self.open:
            with contextlib.suppress(Exception):
                await peer.close()
