"""Test data made through the public API, the way organisers and participants make it."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from aiohttp.test_utils import TestClient

from server.accounts.registration import create_user
from server.appkeys import db_key

_seq = itertools.count(1)


class Factory:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._organiser: dict[str, str] | None = None

    async def user(self, role: str = "participant", **fields: Any) -> dict[str, Any]:
        """An account with ``role``; returns its JSON plus ``token`` and ``headers``."""
        n = next(_seq)
        email = fields.pop("email", f"user{n}@example.org")
        password = fields.pop("password", "correct horse battery")
        await create_user(
            self.client.app[db_key],
            email=email,
            name=fields.pop("name", f"User {n}"),
            password=password,
            role=role,
            organisation=fields.pop("organisation", "Org"),
            country=fields.pop("country", "CH"),
            stakeholder_group=fields.pop("stakeholder_group", "civil_society"),
            **fields,
        )
        r = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert r.status == 200, await r.text()
        body = await r.json()
        self.client.session.cookie_jar.clear()  # tests pass tokens explicitly
        return {
            **body["user"],
            "token": body["token"],
            "headers": {"Authorization": f"Bearer {body['token']}"},
        }

    async def organiser_headers(self) -> dict[str, str]:
        if self._organiser is None:
            self._organiser = (await self.user("organiser"))["headers"]
        return self._organiser

    async def post(self, path: str, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        r = await self.client.post(path, json=body, headers=await self.organiser_headers())
        assert r.status == expect, f"{path}: {r.status} {await r.text()}"
        return await r.json()

    async def event(self, **fields: Any) -> dict[str, Any]:
        body = {
            "slug": f"forum-{next(_seq)}",
            "name": "WSIS Forum 2021",
            "timezone": "Europe/Geneva",
            "pre_events_start": "2021-01-11",
            "pre_events_end": "2021-05-14",
            "final_start": "2021-05-17",
            "final_end": "2021-05-21",
            "languages": ["en", "fr"],
        } | fields
        return await self.post("/api/v1/events", body)

    async def programme(self) -> dict[str, Any]:
        """An event with a track, a type, two rooms and four people."""
        event = await self.event()
        eid = event["id"]
        track = await self.post(
            "/api/v1/tracks", {"event_id": eid, "slug": "forum", "name": "Forum Track"}
        )
        stype = await self.post(
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
        rooms = [
            await self.post(
                "/api/v1/rooms",
                {"event_id": eid, "slug": f"room-{i}", "name": f"Room {i}", "capacity": 500},
            )
            for i in (1, 2)
        ]
        people = [
            await self.post(
                "/api/v1/people",
                {
                    "name": f"Speaker {i}",
                    "organisation": "ITU",
                    "country": "CH",
                    "stakeholder_group": "international_organisation",
                    "gender": "woman" if i % 2 else "man",
                },
            )
            for i in range(4)
        ]
        return {"event": event, "track": track, "type": stype, "rooms": rooms, "people": people}

    async def session(
        self, prog: dict[str, Any], expect: int = 201, **fields: Any
    ) -> dict[str, Any]:
        body = {
            "title": f"Session {next(_seq)}",
            "track_id": prog["track"]["id"],
            "type_id": prog["type"]["id"],
            "room_id": prog["rooms"][0]["id"],
            "start": "2021-05-18T10:00:00",
        } | fields
        return await self.post("/api/v1/sessions", body, expect=expect)


def day(iso: str) -> date:
    return date.fromisoformat(iso)
