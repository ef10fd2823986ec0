"""Programmes happening *now* (join windows are about the clock), and token helpers."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from server.appkeys import db_key, keyring_key, settings_key
from server.db.tables import Room
from tests.factories import Factory

_rooms = itertools.count(1)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Live:
    """Builds an event around today and sessions at instants relative to the clock."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self.client: TestClient = factory.client
        self.prog: dict[str, Any] = {}

    async def setup(self) -> Live:
        today = date.today()
        event = await self.factory.event(
            timezone="UTC",
            pre_events_start=None,
            pre_events_end=None,
            final_start=(today - timedelta(days=10)).isoformat(),
            final_end=(today + timedelta(days=10)).isoformat(),
        )
        eid = event["id"]
        post = self.factory.post
        track = await post("/api/v1/tracks", {"event_id": eid, "slug": "forum", "name": "Forum"})
        workshop = await post(
            "/api/v1/session-types",
            {
                "event_id": eid,
                "key": "thematic_workshop",
                "name": "Thematic workshop",
                "default_duration_min": 60,
                "interactive": True,
                "default_capacity": 2,
            },
        )
        statements = await post(
            "/api/v1/session-types",
            {
                "event_id": eid,
                "key": "policy_statements",
                "name": "Policy statements",
                "default_duration_min": 60,
                "interactive": False,
                "default_capacity": None,
            },
        )
        self.prog = {"event": event, "track": track, "workshop": workshop, "broadcast": statements}
        return self

    async def room(self, stream: dict[str, Any] | None = None) -> dict[str, Any]:
        n = next(_rooms)
        room = await self.factory.post(
            "/api/v1/rooms",
            {
                "event_id": self.prog["event"]["id"],
                "slug": f"room-{n}",
                "name": f"Room {n}",
                "capacity": 500,
            },
        )
        if stream is not None:
            async with self.client.app[db_key].write() as s:
                await s.execute(update(Room).where(Room.id == room["id"]).values(stream=stream))
        return room

    async def session(
        self,
        starts_in: timedelta,
        minutes: int = 60,
        kind: str = "workshop",
        stream: dict[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A session starting ``starts_in`` from now, alone in a fresh room (no conflicts)."""
        start = now() + starts_in
        room = await self.room(stream)
        return await self.factory.session(
            {"track": self.prog["track"], "type": self.prog[kind], "rooms": [room]},
            start=start.isoformat(),
            end=(start + timedelta(minutes=minutes)).isoformat(),
            **fields,
        )

    async def person_for(self, user: dict[str, Any]) -> dict[str, Any]:
        return await self.factory.post(
            "/api/v1/people",
            {
                "name": user["name"],
                "organisation": "ITU",
                "country": "CH",
                "stakeholder_group": "international_organisation",
                "user_id": user["id"],
            },
        )

    async def join(
        self, user: dict[str, Any], session_id: int, role: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        params = {"role": role} if role else {}
        r = await self.client.post(
            f"/api/v1/sessions/{session_id}/join", headers=user["headers"], params=params
        )
        return r.status, await r.json()

    async def token(self, user: dict[str, Any], session_id: int, role: str | None = None) -> str:
        status, body = await self.join(user, session_id, role)
        assert status == 200, body
        return str(body["token"])

    async def signup(self, user: dict[str, Any], session_id: int) -> dict[str, Any]:
        r = await self.client.post(f"/api/v1/sessions/{session_id}/signup", headers=user["headers"])
        assert r.status == 201, await r.text()
        return await r.json()


@pytest.fixture
async def live(factory: Factory) -> Live:
    return await Live(factory).setup()


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj: Any) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def forge(client: TestClient, payload: dict[str, Any], **headers: Any) -> str:
    """Any payload and header, signed with *our* current private key (PyJWT would refuse to
    encode some of these): for claim-level attacks. A header value of None drops it."""
    signer = client.app[keyring_key].signer
    assert signer is not None
    header = {"alg": "EdDSA", "typ": "JWT", "kid": signer.kid} | headers
    signing_input = b64json({k: v for k, v in header.items() if v is not None}) + "."
    signing_input += b64json(payload)
    return signing_input + "." + b64(signer.private.sign(signing_input.encode()))


def good_payload(client: TestClient, session_id: int, **overrides: Any) -> dict[str, Any]:
    t = int(now().timestamp())
    base = {
        "iss": client.app[settings_key].token_issuer,
        "aud": f"forumlive:session:{session_id}",
        "sub": "0123456789abcdef0123456789abcdef",
        "sid": session_id,
        "role": "participant",
        "nbf": t - 60,
        "exp": t + 3600,
        "iat": t - 60,
        "jti": "jti-" + str(next(_rooms)),
    }
    return base | overrides
