"""Hypothesis against the live rooms: every event of docs/protocol.md, and events that do not
exist, with payloads of every wrong shape — wrong types, huge numbers, NaN, unicode edge
cases (lone surrogates, bidi overrides, zero-width, NUL), missing and unknown fields,
several arguments, binary attachments.

Each one must be answered with an ack (``ok: true``, or ``ok: false`` with a documented
error code, never ``internal_error``) and leave the connection and the server working:
a bystander connected all along still chats, and a newcomer still gets its welcome.
Frames over the size limit close that one connection and nothing else.

The server runs in a thread with its own loop (tests/security/liveserver.py); the
Socket.IO clients run on that loop too, driven from Hypothesis' synchronous tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.live.namespace import ROUTES
from server.settings import Settings
from tests.live.conftest import GENEROUS
from tests.live.support import Peer
from tests.security.liveserver import (
    Api,
    fresh_database,
    make_accounts,
    on_loop,
    programme,
    running,
)

EXAMPLES = int(os.environ.get("FORUMLIVE_FUZZ_EXAMPLES", "4")) * 40
DOCUMENTED_ERRORS = {
    "unknown_event", "invalid_payload", "binary_not_allowed", "rate_limited", "slow_mode",
    "chat_locked", "muted", "forbidden", "not_found", "already_voted", "poll_not_open",
    "invalid_state", "invalid_target", "empty", "too_long", "not_connected",
}  # fmt: skip
# Names the Socket.IO client itself reserves; a client cannot emit them.
RESERVED = {"connect", "connect_error", "disconnect", "message", "*"}
FRAME_LIMIT = 16 * 1024

# Unicode that has broken chat systems: surrogates (Cs), format characters (bidi
# overrides, zero-width), combining marks, private use, noncharacters, NUL and C1.
weird_text = st.lists(
    st.one_of(
        st.characters(),
        st.characters(categories=["Cs", "Cf", "Mn", "Co", "Cc"]),
        st.sampled_from(["\u202e", "\u200b", "\u200d", "\ufeff", "\x00", "\x85", "\uffff", "🏳️‍🌈"]),
    ),
    max_size=64,
).map("".join)
huge_text = st.integers(min_value=500, max_value=2_000).map(lambda n: "ä" * n)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    weird_text,
    huge_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(weird_text, inner, max_size=5)
    ),
    max_leaves=12,
)


def payloads(event: str) -> st.SearchStrategy[Any]:
    """Anything; the event's own field names with wrong values; extra and missing fields;
    several arguments; binary."""
    route = ROUTES.get(event)
    names = (sorted(route.model.model_fields) if route is not None else []) or ["text"]
    fieldish = st.dictionaries(
        st.one_of(st.sampled_from(names), weird_text), json_values, max_size=len(names) + 2
    )
    return st.one_of(
        json_values,
        fieldish,
        st.binary(max_size=64),
        st.dictionaries(st.sampled_from(names), st.binary(max_size=16), min_size=1),
        st.tuples(json_values, json_values),
    )


events = st.one_of(
    st.sampled_from(sorted(ROUTES)),
    st.text(min_size=1, max_size=40).filter(lambda e: e not in ROUTES and e not in RESERVED),
)


def frame_size(payload: Any) -> int:
    """About what the client puts in the websocket frame (JSON, non-ASCII escaped)."""
    return len(json.dumps(payload, default=lambda b: "x" * len(b)))


# Within the frame limit (a bigger frame closes the connection, by design: tested below).
cases = events.flatmap(lambda event: st.tuples(st.just(event), payloads(event))).filter(
    lambda case: frame_size(case[1]) < FRAME_LIMIT - 1024
)


class Room:
    """The server, a session on now, and clients on the server's loop."""

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop, tokens: dict[str, Any]) -> None:
        self.url, self.loop, self.tokens = url, loop, tokens
        self.peers: dict[str, Peer] = {}

    def connect(self, name: str, token: str) -> Peer:
        async def go() -> Peer:
            return await Peer(self.url).connect(token)

        peer = on_loop(self.loop, go())
        self.peers[name] = peer
        return peer

    def call(self, peer: Peer, event: str, payload: Any, timeout: float = 10) -> Any:
        async def go() -> Any:
            return await peer.sio.call(event, payload, namespace="/live", timeout=timeout)

        return on_loop(self.loop, go(), timeout + 5)

    def token(self, role: str) -> str:
        api = Api(self.url)
        sid = self.tokens["session"]
        auth = {"Authorization": f"Bearer {self.tokens[role]}"}
        api.http.post(f"{self.url}/api/v1/sessions/{sid}/signup", headers=auth, timeout=30)
        return api.call("POST", f"/api/v1/sessions/{sid}/join", self.tokens[role])["token"]

    def close(self) -> None:
        for peer in self.peers.values():
            on_loop(self.loop, peer.close())


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory, migrated_database: str) -> Iterator[Room]:
    tmp = tmp_path_factory.mktemp("livefuzz")
    database_url = fresh_database(migrated_database, tmp)
    tag = uuid.uuid4().hex[:6]
    emails = {f"org-{tag}@example.org": "organiser", f"pat-{tag}@example.org": "participant",
              f"bob-{tag}@example.org": "participant"}  # fmt: skip
    make_accounts(database_url, emails)
    live_settings = Settings(
        data_dir=tmp, database_url=database_url, public_url="http://127.0.0.1:8080",
        auto_migrate=False, join_rate_per_minute=10_000,
        **{**GENEROUS, "live_max_frame_bytes": FRAME_LIMIT},
    )  # fmt: skip
    with running(live_settings) as (url, _app, loop):
        api = Api(url)
        organiser, participant, bystander = (api.login(e)["token"] for e in emails)
        prog = programme(api, organiser)
        group = Room(url, loop, {"session": prog["sessions"][0]["id"], "organiser": organiser,
                                 "participant": participant, "bystander": bystander})  # fmt: skip
        group.connect("bystander", group.token("bystander"))
        group.connect("moderator", group.token("organiser"))
        group.connect("participant", group.token("participant"))
        try:
            yield group
        finally:
            group.close()


def check_ack(room: Room, who: str, event: str, payload: Any) -> None:
    peer = room.peers[who]
    assert peer.sio.connected, "disconnected by an earlier case"
    try:
        ack = room.call(peer, event, payload)
    except Exception as exc:
        raise AssertionError(f"no ack for {event!r} {payload!r:.300}: {exc!r}") from exc
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, payload, ack)
    if not ack["ok"]:
        error = ack["error"]
        assert error["code"] in DOCUMENTED_ERRORS, (event, payload, ack)
        assert isinstance(error["message"], str) and error["message"], ack
    assert peer.sio.connected, (event, payload, "the server dropped the connection")


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(case=cases)
def test_participant_events_are_answered(room: Room, case: tuple[str, Any]) -> None:
    check_ack(room, "participant", *case)


@FUZZ
@given(case=cases)
def test_moderator_events_are_answered(room: Room, case: tuple[str, Any]) -> None:
    check_ack(room, "moderator", *case)


def test_every_documented_event_is_routed_and_so_fuzzed() -> None:
    """The fuzzer draws from the router; the router has every event docs/protocol.md lists."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    section = doc.split("## Client → server events", 1)[1].split("## Server → client events", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+:[a-z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == set(ROUTES)


def test_oversized_frames_close_only_that_connection(room: Room) -> None:
    victim = room.connect("oversized", room.token("participant"))
    with pytest.raises(Exception):  # noqa: B017  (a timeout or a closed connection)
        room.call(victim, "chat:send", {"text": "x" * (FRAME_LIMIT * 2)}, timeout=3)

    async def gone() -> bool:
        await asyncio.wait_for(victim.disconnected.wait(), 5)
        return True

    assert on_loop(room.loop, gone())
    check_ack(room, "bystander", "chat:send", {"text": "still here"})


NASTY = [
    ("chat:send", {"text": "\ud800 lone surrogate"}),
    ("chat:send", {"text": "\udfff"}),
    ("chat:send", {"text": "\x00\x01\x1f\x7f"}),
    ("chat:send", {"text": "\u202e\u200b\ufeff"}),
    ("chat:send", {"text": "x" * 2001}),
    ("chat:send", {"text": ["not", "a", "string"]}),
    ("chat:send", {"text": b"\x00binary"}),
    ("chat:send", b"\xff\xfe"),
    ("chat:send", None),
    ("chat:send", {}),
    ("chat:send", {"text": "ok", "extra": 1}),
    ("chat:send", ({"text": "a"}, {"text": "b"})),
    ("qa:upvote", {"question_id": 2**70}),
    ("qa:upvote", {"question_id": -1}),
    ("qa:upvote", {"question_id": float("nan")}),
    ("qa:upvote", {"question_id": float("inf")}),
    ("qa:upvote", {"question_id": "1"}),
    ("qa:upvote", {"question_id": True}),
    ("poll:vote", {"poll_id": 2**63, "option_id": -(2**63)}),
    ("poll:create", {"question": "\ud800?", "options": ["\ud800", "\udbff"]}),
    ("poll:create", {"question": "Q", "options": ["same", "same"]}),
    ("poll:create", {"question": "Q", "options": ["x"] * 11}),
    ("caption:push", {"text": "\ud800", "lang": "\u202e", "duration_ms": 10**12}),
    ("mod:mute", {"public_id": "\ud800" * 32, "minutes": 10**9}),
    ("mod:ban", {"public_id": "' OR 1=1 --", "minutes": -5}),
    ("mod:audit", {"limit": 10**9}),
    ("mod:slow_mode", {"seconds": 2**40}),
    ("reaction:send", {"kind": "<script>"}),
    ("hand:grant", {"public_id": "../../etc/passwd"}),
    ("no:such:event", {"text": "hi"}),
    ("\ud800", {}),
    ("x" * 40, None),
]


@pytest.mark.parametrize("who", ["participant", "moderator"])
@pytest.mark.parametrize("case", NASTY, ids=[f"{e[:12]}-{i}" for i, (e, _p) in enumerate(NASTY)])
def test_known_nasty_payloads_are_answered(room: Room, who: str, case: tuple[str, Any]) -> None:
    check_ack(room, who, *case)


def test_the_room_still_serves_after_the_fuzzing(room: Room) -> None:
    """Runs after the fuzz tests (file order): undo what a fuzzed moderator may have set,
    then a bystander connected all along chats and a newcomer gets its welcome."""
    mod = room.peers["moderator"]
    for event, payload in (("mod:lock", {"locked": False}), ("mod:slow_mode", {"seconds": 0})):
        assert room.call(mod, event, payload)["ok"] is True
    bystander = room.peers["bystander"]
    ack = room.call(bystander, "chat:send", {"text": "the room still works"})
    assert ack["ok"] is True, ack
    newcomer = room.connect("newcomer", room.token("participant"))
    assert newcomer.welcome["session_id"] == room.tokens["session"]
    assert ack["seq"] in [m["seq"] for m in newcomer.welcome["chat"]["messages"]]
