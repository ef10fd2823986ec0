"""Who may do what: every HTTP route and every live event, for every role.

Roles: anonymous, participant, speaker (on the panel of session S), moderator of
another room (moderates session T in room R2, not S), moderator (of S, in room
R1) and organiser. Each row says which roles are let through; every other role
must be turned away — 401 without an account, 403 with one — and every role that
is let through must get past authorisation (its answer is the handler's own:
2xx, or 404/409/422 about the data, never 401/403).

The table is checked against the router and the OpenAPI document, and against the
live router's events: a route or event added without a row fails here.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.api.openapi import build_openapi, documented_routes
from server.live.namespace import ROUTES
from tests.factories import Factory
from tests.live.support import Peer

ROLES = ("anonymous", "participant", "speaker", "other_moderator", "moderator", "organiser")
ALL = frozenset(ROLES)
SIGNED_IN = ALL - {"anonymous"}
MODERATORS = frozenset({"moderator", "organiser"})
ORGANISER = frozenset({"organiser"})
NOBODY: frozenset[str] = frozenset()  # a credential of its own (stream key, join token)


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    body: Any = None
    # Which object the path names: "S" (session S), "R1" (its room) … or "new-…" for a
    # throwaway made just before the call, so destructive calls leave the world intact.
    target: str = ""
    params: dict[str, str] = field(default_factory=dict)
    success: bool = False  # the roles let through must also get a 2xx (not just pass authz)


ROWS: dict[tuple[str, str], Row] = {
    ("POST", "/api/v1/auth/register"): Row(ALL, body="register"),
    ("POST", "/api/v1/auth/login"): Row(ALL, body="login"),
    ("POST", "/api/v1/auth/logout"): Row(SIGNED_IN, target="own-fresh-login"),
    ("GET", "/api/v1/events"): Row(ALL),
    ("GET", "/api/v1/event"): Row(ALL),
    ("POST", "/api/v1/events"): Row(ORGANISER, body="event"),
    ("GET", "/api/v1/events/{id}"): Row(ALL, target="event"),
    ("PATCH", "/api/v1/events/{id}"): Row(ORGANISER, body={}, target="event"),
    ("DELETE", "/api/v1/events/{id}"): Row(ORGANISER, target="new-event"),
    ("GET", "/api/v1/tracks"): Row(ALL),
    ("POST", "/api/v1/tracks"): Row(ORGANISER, body="track"),
    ("GET", "/api/v1/tracks/{id}"): Row(ALL, target="track"),
    ("PATCH", "/api/v1/tracks/{id}"): Row(ORGANISER, body={}, target="track"),
    ("DELETE", "/api/v1/tracks/{id}"): Row(ORGANISER, target="new-track"),
    ("GET", "/api/v1/session-types"): Row(ALL),
    ("POST", "/api/v1/session-types"): Row(ORGANISER, body="type"),
    ("GET", "/api/v1/session-types/{id}"): Row(ALL, target="type"),
    ("PATCH", "/api/v1/session-types/{id}"): Row(ORGANISER, body={}, target="type"),
    ("DELETE", "/api/v1/session-types/{id}"): Row(ORGANISER, target="new-type"),
    ("GET", "/api/v1/rooms"): Row(ALL),
    ("POST", "/api/v1/rooms"): Row(ORGANISER, body="room"),
    ("GET", "/api/v1/rooms/{id}"): Row(ALL, target="R1"),
    ("PATCH", "/api/v1/rooms/{id}"): Row(ORGANISER, body={}, target="R1"),
    ("DELETE", "/api/v1/rooms/{id}"): Row(ORGANISER, target="new-room"),
    ("GET", "/api/v1/people"): Row(ORGANISER, success=True),
    ("POST", "/api/v1/people"): Row(ORGANISER, body="person"),
    ("GET", "/api/v1/people/{id}"): Row(ORGANISER, target="person"),
    ("PATCH", "/api/v1/people/{id}"): Row(ORGANISER, body={}, target="person"),
    ("DELETE", "/api/v1/people/{id}"): Row(ORGANISER, target="new-person"),
    ("GET", "/api/v1/agenda.ics"): Row(ALL),
    ("GET", "/api/v1/sessions/{id}.ics"): Row(ALL, target="S"),
    ("GET", "/api/v1/me/calendar"): Row(SIGNED_IN),
    ("POST", "/api/v1/me/calendar/rotate"): Row(SIGNED_IN),
    ("DELETE", "/api/v1/me/calendar"): Row(SIGNED_IN),
    ("GET", "/api/v1/calendar/{secret}.ics"): Row(ALL, target="feed"),
    ("GET", "/api/v1/schedule.json"): Row(ALL),
    ("GET", "/api/v1/schedule.xml"): Row(ALL),
    ("POST", "/api/v1/import/csv"): Row(ORGANISER, body="csv", params={"dry_run": "true"}),
    ("POST", "/api/v1/import/frab"): Row(ORGANISER, body={"schedule": {}}, params={"dry_run": "true"}),
    ("POST", "/api/v1/sessions"): Row(ORGANISER, body="session"),
    ("GET", "/api/v1/sessions/{id}"): Row(ALL, target="S"),
    ("PATCH", "/api/v1/sessions/{id}"): Row(ORGANISER, body={}, target="S"),
    ("POST", "/api/v1/sessions/{id}/cancel"): Row(ORGANISER, target="new-session"),
    ("DELETE", "/api/v1/sessions/{id}"): Row(ORGANISER, target="new-session"),
    ("GET", "/api/v1/agenda"): Row(ALL),
    ("GET", "/api/v1/conflicts"): Row(ORGANISER),
    ("GET", "/api/v1/reports/speakers"): Row(ORGANISER),
    ("GET", "/api/v1/reports/sessions-without-women"): Row(ORGANISER),
    ("GET", "/api/v1/reports/sessions-without-moderator"): Row(ORGANISER),
    ("GET", "/api/v1/reports/tags"): Row(ORGANISER),
    ("GET", "/api/v1/reports/attendance"): Row(ORGANISER, success=True),
    ("GET", "/api/v1/sessions/{id}/attendance"): Row(ORGANISER, target="S", success=True),
    ("GET", "/api/v1/me"): Row(SIGNED_IN),
    ("PATCH", "/api/v1/me"): Row(SIGNED_IN, body={}),
    ("GET", "/api/v1/me/schedule"): Row(SIGNED_IN),
    ("GET", "/api/v1/me/export"): Row(SIGNED_IN, success=True),
    ("DELETE", "/api/v1/me"): Row(SIGNED_IN, target="throwaway-account", success=True),
    ("POST", "/api/v1/sessions/{id}/star"): Row(SIGNED_IN, target="S"),
    ("DELETE", "/api/v1/sessions/{id}/star"): Row(SIGNED_IN, target="S"),
    ("POST", "/api/v1/sessions/{id}/signup"): Row(SIGNED_IN, target="S"),
    ("DELETE", "/api/v1/sessions/{id}/signup"): Row(SIGNED_IN, target="S"),
    ("GET", "/api/v1/users"): Row(ORGANISER, success=True),
    ("PATCH", "/api/v1/users/{id}"): Row(ORGANISER, body={"role": "participant"}, target="participant"),
    ("GET", "/api/v1/openapi.json"): Row(ALL),
    ("GET", "/healthz"): Row(ALL),
    ("GET", "/readyz"): Row(ALL),
    ("GET", "/metrics"): Row(ALL),
    ("GET", "/.well-known/jwks.json"): Row(ALL),
    ("POST", "/api/v1/sessions/{id}/join"): Row(SIGNED_IN, target="S", success=True),
    ("GET", "/api/v1/sessions/{id}/media"): Row(SIGNED_IN, target="S"),
    ("GET", "/api/v1/rooms/{id}/stream"): Row(MODERATORS, target="R1", success=True),
    ("PUT", "/api/v1/rooms/{id}/stream"): Row(ORGANISER, body={"provider": "relay", "channels": [{"key": "floor", "label": "Floor"}]}, target="R1"),
    ("POST", "/api/v1/rooms/{id}/stream-key"): Row(MODERATORS, target="R1", success=True),
    ("GET", "/api/v1/sessions/{id}/stream"): Row(NOBODY, target="S"),
    ("GET", "/api/v1/sessions/{id}/replay"): Row(SIGNED_IN, target="S"),
    ("GET", "/api/v1/sessions/{id}/captions.vtt"): Row(SIGNED_IN, target="S"),
    ("PUT", "/ingest/{room_id}/{channel}/{file}"): Row(NOBODY, body="segment", target="R1-file"),
    ("DELETE", "/ingest/{room_id}/{channel}/{file}"): Row(NOBODY, target="R1-file"),
    ("GET", "/hls/{room_id}/{channel}/{file}"): Row(NOBODY, target="R1-file"),
    ("GET", "/replay/{session_id}/{channel}/{file}"): Row(SIGNED_IN, target="S-file"),
    ("GET", "/api/v1/sessions/{id}/transitions"): Row(MODERATORS, target="S", success=True),
    ("POST", "/api/v1/sessions/{id}/start-early"): Row(MODERATORS, target="S"),
    ("POST", "/api/v1/sessions/{id}/extend"): Row(MODERATORS, body={"minutes": 5}, target="S", success=True),
    # Last: it ends session S for the rows after it.
    ("POST", "/api/v1/sessions/{id}/end-now"): Row(MODERATORS, target="S"),
}  # fmt: skip


class World:
    """Session S (room R1) with a speaker and a moderator, session T (room R2) with another
    moderator, both happening now; an account for every role."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self.client: TestClient = factory.client
        self.headers: dict[str, dict[str, str]] = {"anonymous": {}}
        self.users: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, Any] = {}
        self.n = 0

    async def build(self) -> World:
        f = self.factory
        organiser = await f.user("organiser")
        f._organiser = organiser["headers"]
        self.users["organiser"] = organiser
        for role in ("participant", "speaker", "other_moderator", "moderator"):
            self.users[role] = await f.user()
        today = date.today()
        event = await f.event(
            timezone="UTC", pre_events_start=None, pre_events_end=None,
            final_start=(today - timedelta(days=3)).isoformat(),
            final_end=(today + timedelta(days=3)).isoformat(),
        )  # fmt: skip
        eid = event["id"]
        track = await f.post("/api/v1/tracks", {"event_id": eid, "slug": "t", "name": "T"})
        stype = await f.post("/api/v1/session-types", {
            "event_id": eid, "key": "k", "name": "K", "default_duration_min": 60,
            "interactive": False, "default_capacity": None,
        })  # fmt: skip
        rooms = [
            await f.post("/api/v1/rooms", {"event_id": eid, "slug": f"r{i}", "name": f"R{i}", "capacity": 100})
            for i in (1, 2)
        ]  # fmt: skip
        people = {}
        for role in ("speaker", "other_moderator", "moderator"):
            people[role] = await f.post("/api/v1/people", {
                "name": f"{role} person", "organisation": "ITU", "country": "CH",
                "stakeholder_group": "academia", "user_id": self.users[role]["id"],
            })  # fmt: skip
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        window = {"start": start.isoformat(), "end": (start + timedelta(minutes=90)).isoformat()}
        prog = {"track": track, "type": stype, "rooms": rooms}
        s = await f.session(
            prog, **window, speaker_ids=[people["speaker"]["id"]],
            moderator_ids=[people["moderator"]["id"]],
        )  # fmt: skip
        t = await f.session(
            {**prog, "rooms": [rooms[1]]}, **window, moderator_ids=[people["other_moderator"]["id"]]
        )
        self.ids = {"event": eid, "track": track["id"], "type": stype["id"], "R1": rooms[0]["id"],
                    "R2": rooms[1]["id"], "S": s["id"], "T": t["id"], "person": people["speaker"]["id"],
                    "participant": self.users["participant"]["id"], "prog": prog}  # fmt: skip
        for role, user in self.users.items():
            self.headers[role] = user["headers"]
        return self

    async def target(self, row: Row, role: str) -> dict[str, Any]:
        """Path parameters (and sometimes headers) for a row, making throwaways as needed."""
        f, self.n = self.factory, self.n + 1
        kind = row.target
        if kind in ("", "own-fresh-login", "throwaway-account"):
            return {}
        if kind == "new-event":
            return {"id": (await f.event())["id"]}
        if kind in ("new-track", "new-type", "new-room", "new-person", "new-session"):
            eid = self.ids["event"]
            body = {
                "new-track": ("/api/v1/tracks", {"event_id": eid, "slug": f"x{self.n}", "name": "X"}),
                "new-type": ("/api/v1/session-types", {"event_id": eid, "key": f"x{self.n}", "name": "X",
                             "default_duration_min": 30, "interactive": False}),
                "new-room": ("/api/v1/rooms", {"event_id": eid, "slug": f"x{self.n}", "name": "X", "capacity": 9}),
                "new-person": ("/api/v1/people", {"name": "X", "country": "CH", "stakeholder_group": "other"}),
            }.get(kind)  # fmt: skip
            if body is not None:
                return {"id": (await f.post(*body))["id"]}
            room = await f.post(
                "/api/v1/rooms", {"event_id": eid, "slug": f"x{self.n}", "name": "X", "capacity": 9}
            )
            start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
            return {"id": (await f.session({**self.ids["prog"], "rooms": [room]}, start=start))["id"]}  # fmt: skip
        if kind == "feed":
            return {"secret": "0" * 43}
        if kind == "R1-file":
            return {"room_id": self.ids["R1"], "channel": "floor", "file": "index.m3u8"}
        if kind == "S-file":
            return {"session_id": self.ids["S"], "channel": "floor", "file": "index.m3u8"}
        return {"id": self.ids[kind]}

    async def auth_for(self, row: Row, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        if row.target == "own-fresh-login":  # logout revokes the token it is sent with
            r = await self.client.post(
                "/api/v1/auth/login",
                json={"email": self.users[role]["email"], "password": "correct horse battery"},
            )
            self.client.session.cookie_jar.clear()
            return {"Authorization": f"Bearer {(await r.json())['token']}"}
        if row.target == "throwaway-account":  # erasure ends the account it is sent for
            user = await self.factory.user("organiser" if role == "organiser" else "participant")
            return user["headers"]
        return self.headers[role]

    def body(self, row: Row) -> dict[str, Any]:
        self.n += 1
        n, eid, prog = self.n, self.ids["event"], self.ids["prog"]
        if row.body == "register":
            return {"json": {"name": "R", "email": f"reg{n}@example.org", "password": "long enough pw",
                             "organisation": "O", "country": "CH", "stakeholder_group": "other"}}  # fmt: skip
        if row.body == "login":
            return {
                "json": {
                    "email": self.users["participant"]["email"],
                    "password": "correct horse battery",
                }
            }
        if row.body == "event":
            return {"json": {"slug": f"e{n}", "name": "E", "timezone": "UTC", "final_start": "2030-01-01",
                             "final_end": "2030-01-02"}}  # fmt: skip
        if row.body == "track":
            return {"json": {"event_id": eid, "slug": f"t{n}", "name": "T"}}
        if row.body == "type":
            return {"json": {"event_id": eid, "key": f"k{n}", "name": "K", "default_duration_min": 30,
                             "interactive": False}}  # fmt: skip
        if row.body == "room":
            return {"json": {"event_id": eid, "slug": f"r{n}", "name": "R", "capacity": 5}}
        if row.body == "person":
            return {"json": {"name": "P", "country": "CH", "stakeholder_group": "other"}}
        if row.body == "session":
            return {"json": {"title": "New", "track_id": prog["track"]["id"], "type_id": prog["type"]["id"],
                             "room_id": self.ids["R2"], "start": "2030-01-01T10:00:00"}}  # fmt: skip
        if row.body == "csv":
            return {"data": b"title,start\n", "headers": {"Content-Type": "text/csv"}}
        if row.body == "segment":
            return {"data": b"\x47" * 188, "headers": {"Content-Type": "video/mp2t"}}
        if row.body is None:
            return {}
        return {"json": row.body}


def concrete(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: str(values[m.group(1)]), path)


async def test_every_route_has_a_row(client: TestClient) -> None:
    found, missing = documented_routes(client.app)
    assert missing == []
    routed = {(method, path) for method, path, _spec in found}
    spec = build_openapi(client.app, "t", "1")
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert routed == documented
    assert set(ROWS) == routed, {
        "routes without a row": sorted(routed - set(ROWS)),
        "rows without a route": sorted(set(ROWS) - routed),
    }


async def test_every_route_admits_exactly_its_roles(factory: Factory) -> None:
    world = await World(factory).build()
    client = world.client
    wrong: list[str] = []
    for (method, path), row in ROWS.items():
        for role in ROLES:
            values = await world.target(row, role)
            kwargs = world.body(row)
            headers = {**kwargs.pop("headers", {}), **await world.auth_for(row, role)}
            r = await client.request(
                method, concrete(path, values), headers=headers, params=row.params, **kwargs
            )
            status = r.status
            client.session.cookie_jar.clear()  # a login's cookie must not sign in the next call
            if role in row.allowed:
                ok = status < 300 if row.success else status not in (401, 403)
            else:
                ok = status == (401 if role == "anonymous" or not row.allowed else 403)
            if not ok:
                wrong.append(f"{role:16} {method} {path}: {status} {(await r.text())[:160]}")
    assert wrong == [], "\n".join(wrong)


# --- live events ---------------------------------------------------------------------------

LIVE_ANY = frozenset({"participant", "speaker", "other_moderator", "moderator", "organiser"})
LIVE_MODS = frozenset({"moderator", "organiser"})

# One valid payload per event (ids that may name nothing: "not_found" is past the role check).
EVENTS: dict[str, tuple[frozenset[str], Any]] = {
    "chat:send": (LIVE_ANY, {"text": "hello"}),
    "qa:ask": (LIVE_ANY, {"text": "why?"}),
    "qa:upvote": (LIVE_ANY, {"question_id": 999_999}),
    "qa:list": (LIVE_ANY, {}),
    "qa:answer": (LIVE_MODS, {"question_id": 999_999, "answer": "because"}),
    "qa:dismiss": (LIVE_MODS, {"question_id": 999_999}),
    "qa:pin": (LIVE_MODS, {"question_id": 999_999, "pinned": True}),
    "poll:create": (LIVE_MODS, {"question": "Tea?", "options": ["yes", "no"]}),
    "poll:open": (LIVE_MODS, {"poll_id": 999_999}),
    "poll:close": (LIVE_MODS, {"poll_id": 999_999}),
    "poll:vote": (LIVE_ANY, {"poll_id": 999_999, "option_id": 1}),
    "poll:list": (LIVE_ANY, {}),
    "hand:raise": (LIVE_ANY, {}),
    "hand:lower": (LIVE_ANY, {}),
    "hand:list": (LIVE_MODS, {}),
    "hand:grant": (LIVE_MODS, {"public_id": "0" * 32}),
    "hand:dismiss": (LIVE_MODS, {"public_id": "0" * 32}),
    "reaction:send": (LIVE_ANY, {"kind": "clap"}),
    "caption:push": (LIVE_MODS, {"text": "a caption"}),
    "mod:delete": (LIVE_MODS, {"seq": 999_999}),
    "mod:mute": (LIVE_MODS, {"public_id": "0" * 32, "minutes": 1}),
    "mod:unmute": (LIVE_MODS, {"public_id": "0" * 32}),
    "mod:ban": (LIVE_MODS, {"public_id": "0" * 32}),
    "mod:pin": (LIVE_MODS, {"seq": 999_999}),
    "mod:unpin": (LIVE_MODS, {}),
    "mod:slow_mode": (LIVE_MODS, {"seconds": 0}),
    "mod:lock": (LIVE_MODS, {"locked": False}),
    "mod:audit": (LIVE_MODS, {}),
    "presence:roster": (LIVE_MODS, {}),
}


def test_every_live_event_has_a_row() -> None:
    routed = set(ROUTES)
    assert set(EVENTS) == routed, {
        "events without a row": sorted(routed - set(EVENTS)),
        "rows without an event": sorted(set(EVENTS) - routed),
    }


@pytest.fixture
async def live_world(factory: Factory) -> World:
    return await World(factory).build()


async def test_every_live_event_admits_exactly_its_roles(live_world: World) -> None:
    world = live_world
    url = str(world.client.make_url("")).rstrip("/")
    peers: dict[str, Peer] = {}
    wrong: list[str] = []
    try:
        for role in LIVE_ANY:
            r = await world.client.post(
                f"/api/v1/sessions/{world.ids['S']}/join", headers=world.headers[role]
            )
            assert r.status == 200, (role, await r.text())
            peers[role] = await Peer(url).connect((await r.json())["token"])
        anonymous = Peer(url)
        with contextlib.suppress(Exception):  # refused: the reason arrives as connect_error
            await anonymous.connect(None, wait_welcome=False)
        assert anonymous.connect_error["data"]["code"] == "missing_token"
        for event, (allowed, payload) in EVENTS.items():
            for role, peer in peers.items():
                ack = await peer.call(event, payload)
                refused = ack.get("ok") is False and ack["error"]["code"] == "forbidden"
                if (role in allowed) == refused:
                    wrong.append(f"{role:16} {event}: {ack}")
    finally:
        for peer in peers.values():
            await peer.close()
    assert wrong == [], "\n".join(wrong)
