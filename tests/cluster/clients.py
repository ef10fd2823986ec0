"""Clients of the cluster: accounts and sessions set up over HTTP, and a /live client that
behaves like the browser's (reconnects by itself and resumes from the last seq it saw)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import socketio
from sqlalchemy import select

from server.accounts.identity import issue_login
from server.db.engine import Database, make_engine
from server.db.tables import User
from server.db.tables_live import ChatMessage
from server.names import EV_CHAT_MESSAGE, EV_ROOM_WELCOME, LIVE_NAMESPACE

_n = itertools.count(1)


def utcnow() -> datetime:
    return datetime.now(UTC)


async def eventually(check: Any, timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(every)


class Http:
    """JSON over HTTP with an optional bearer; the status is checked by the caller."""

    def __init__(self, base: str, bearer: str | None = None) -> None:
        self.base = base
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        self.session = aiohttp.ClientSession(headers=headers)

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(method, self.base + path, json=body) as r:
            if r.content_type == "application/json":
                return r.status, await r.json()
            return r.status, await r.text()

    async def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        got, data = await self.request(method, path, body)
        assert got == status, f"{method} {path}: {got} {data}"
        return data

    async def close(self) -> None:
        await self.session.close()


class Accounts:
    """People made straight in the database (no password hashing: these cannot log in by
    password) with a real login token, so each test can have many of them quickly."""

    def __init__(self, database_url: str) -> None:
        self.db = Database(make_engine(database_url))

    async def person(self, name: str | None = None, role: str = "participant") -> dict[str, Any]:
        n = next(_n)
        async with self.db.write() as s:
            user = User(
                email=f"cluster{n}.{uuid.uuid4().hex[:6]}@example.org",
                name=name or f"Person {n}",
                password_hash="!",
                role=role,
                stakeholder_group="civil_society",
            )
            s.add(user)
            await s.flush()
            ident = {"id": user.id, "public_id": user.public_id, "name": user.name}
        ident["bearer"] = await issue_login(self.db, ident["id"], 1)
        return ident

    async def stored_seqs(self, session_id: int) -> list[int]:
        async with self.db.read() as s:
            return list(
                await s.scalars(
                    select(ChatMessage.seq)
                    .where(ChatMessage.session_id == session_id)
                    .order_by(ChatMessage.seq)
                )
            )

    async def close(self) -> None:
        await self.db.close()


class Programme:
    """An event around today with a track and a type; every session gets a room of its own.

    ``setup()`` makes them once; ``ids`` carries them to a later ``Programme`` (each test
    has its own event loop, so its own HTTP session)."""

    def __init__(
        self, base: str, organiser: Http, accounts: Accounts, ids: dict[str, Any] | None = None
    ) -> None:
        self.base = base
        self.organiser = organiser
        self.accounts = accounts
        ids = ids or {}
        self.event: dict[str, Any] = ids.get("event", {})
        self.track: dict[str, Any] = ids.get("track", {})
        self.type: dict[str, Any] = ids.get("type", {})

    @property
    def ids(self) -> dict[str, Any]:
        return {"event": self.event, "track": self.track, "type": self.type}

    async def setup(self) -> Programme:
        today = utcnow().date()
        self.event = await self.organiser.ok("POST", "/api/v1/events", {
            "slug": f"cluster-{uuid.uuid4().hex[:6]}", "name": "WSIS Forum (cluster)",
            "timezone": "Europe/Geneva",
            "final_start": (today - timedelta(days=2)).isoformat(),
            "final_end": (today + timedelta(days=2)).isoformat(),
        }, status=201)  # fmt: skip
        eid = self.event["id"]
        self.track = await self.organiser.ok(
            "POST", "/api/v1/tracks", {"event_id": eid, "slug": "forum", "name": "Forum"}, 201
        )
        self.type = await self.organiser.ok("POST", "/api/v1/session-types", {
            "event_id": eid, "key": "high_level_dialogue", "name": "High-level dialogue",
            "default_duration_min": 60, "interactive": False, "default_capacity": None,
        }, status=201)  # fmt: skip
        return self

    async def session(
        self, start: datetime, end: datetime, moderator: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        n = next(_n)
        room = await self.organiser.ok("POST", "/api/v1/rooms", {
            "event_id": self.event["id"], "slug": f"room-{n}-{uuid.uuid4().hex[:4]}",
            "name": f"Room {n}", "capacity": 1000,
        }, status=201)  # fmt: skip
        body: dict[str, Any] = {
            "title": f"Session {n}",
            "track_id": self.track["id"],
            "type_id": self.type["id"],
            "room_id": room["id"],
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        if moderator is not None:
            person = await self.organiser.ok("POST", "/api/v1/people", {
                "name": moderator["name"], "organisation": "ITU", "country": "CH",
                "stakeholder_group": "international_organisation", "user_id": moderator["id"],
            }, status=201)  # fmt: skip
            body["moderator_ids"] = [person["id"]]
        return await self.organiser.ok("POST", "/api/v1/sessions", body, status=201)

    async def ongoing(self, moderator: dict[str, Any] | None = None) -> dict[str, Any]:
        """A session that started a minute ago: its room is open now."""
        start = utcnow().replace(microsecond=0) - timedelta(minutes=1)
        return await self.session(start, start + timedelta(minutes=90), moderator)

    async def token(self, person: dict[str, Any], session_id: int) -> str:
        http = Http(self.base, person["bearer"])
        try:
            body = await http.ok("POST", f"/api/v1/sessions/{session_id}/join")
        finally:
            await http.close()
        return str(body["token"])


class LiveClient:
    """A /live client like the browser's (docs/protocol.md): ``auth`` is a function, so every
    reconnect sends the highest ``seq`` shown; it records what it was given, and how often."""

    def __init__(self, url: str, token: str, name: str = "") -> None:
        self.url = url
        self.token = token
        self.name = name
        self.sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=1.0,
            randomization_factor=0.0,
        )
        self.deliveries: Counter[int] = Counter()  # seq -> times shown (live or in a welcome)
        self.texts: dict[int, str] = {}
        self.last_seq: int | None = None
        self.welcomes: list[dict[str, Any]] = []
        self.disconnects = 0
        self.acked: list[int] = []
        self.unacked = 0  # sends that got no ok ack (refused, timed out, or disconnected)
        self.refusals: list[dict[str, Any]] = []
        self.events: list[tuple[str, Any]] = []
        self.connect_errors: list[Any] = []
        self.sio.on(EV_ROOM_WELCOME, self._welcome, namespace=LIVE_NAMESPACE)
        self.sio.on(EV_CHAT_MESSAGE, self._message, namespace=LIVE_NAMESPACE)
        self.sio.on("*", self._other, namespace=LIVE_NAMESPACE)
        self.sio.on("disconnect", self._disconnected, namespace=LIVE_NAMESPACE)
        self.sio.on("connect_error", self._connect_error, namespace=LIVE_NAMESPACE)

    def _auth(self) -> dict[str, Any]:
        auth: dict[str, Any] = {"token": self.token}
        if self.last_seq is not None:
            auth["last_seq"] = self.last_seq
        return auth

    def _show(self, message: dict[str, Any]) -> None:
        seq = int(message["seq"])
        self.deliveries[seq] += 1
        self.texts[seq] = message["text"]
        self.last_seq = max(self.last_seq or 0, seq)

    async def _welcome(self, data: dict[str, Any]) -> None:
        self.welcomes.append(data)
        chat = data["chat"]
        if chat["resumed"] and not chat["recovered"]:
            # Told the gap is too old: the pane is replaced by a fresh history.
            self.deliveries.clear()
            self.texts.clear()
        for message in chat["messages"]:
            self._show(message)
        self.last_seq = max(self.last_seq or 0, int(chat["last_seq"]))

    async def _message(self, data: dict[str, Any]) -> None:
        self._show(data)

    async def _other(self, event: str, *args: Any) -> None:
        self.events.append((event, args[0] if args else None))

    async def _disconnected(self, *args: Any) -> None:
        self.disconnects += 1

    async def _connect_error(self, data: Any) -> None:
        self.connect_errors.append(data)

    async def connect(self) -> LiveClient:
        await self.sio.connect(
            self.url,
            namespaces=[LIVE_NAMESPACE],
            transports=["websocket"],
            auth=self._auth,
            wait_timeout=15,
        )
        await eventually(lambda: self.welcomes, 15, f"{self.name}'s room:welcome")
        return self

    async def reconnect(self) -> None:
        """Leave and come back with last_seq, as a reloaded page with the seq in storage does."""
        await self.sio.disconnect()
        welcomes = len(self.welcomes)
        await self.sio.connect(
            self.url,
            namespaces=[LIVE_NAMESPACE],
            transports=["websocket"],
            auth=self._auth,
            wait_timeout=15,
        )
        await eventually(lambda: len(self.welcomes) > welcomes, 15, f"{self.name}'s welcome")

    async def call(self, event: str, data: Any = None, timeout: float = 5) -> dict[str, Any] | None:
        """The ack, or None when none came (not connected, or timed out)."""
        try:
            return await self.sio.call(event, data or {}, namespace=LIVE_NAMESPACE, timeout=timeout)
        except (TimeoutError, socketio.exceptions.SocketIOError):
            return None

    async def send(self, text: str, timeout: float = 5) -> int | None:
        ack = await self.call("chat:send", {"text": text}, timeout)
        if ack is not None and ack.get("ok"):
            seq = int(ack["seq"])
            self.acked.append(seq)
            return seq
        self.unacked += 1
        if ack is not None:
            self.refusals.append(ack["error"])
        return None

    def of(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]

    def duplicates(self) -> list[int]:
        return sorted(seq for seq, n in self.deliveries.items() if n > 1)

    @property
    def connected(self) -> bool:
        return self.sio.connected and LIVE_NAMESPACE in self.sio.namespaces

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.shutdown()
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


async def chat_until(
    clients: list[LiveClient], stop: asyncio.Event, every: float = 0.05, tag: str = "m"
) -> None:
    """Each client sends messages in a loop until ``stop`` is set (failures are recorded)."""

    async def loop(client: LiveClient) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            await client.send(f"{tag} {client.name} #{i}", timeout=3)
            await asyncio.sleep(every)

    await asyncio.gather(*(loop(c) for c in clients))
