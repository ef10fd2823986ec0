"""Personal data: nowhere it should not be, downloadable, and gone after erasure.

A person registers, is linked to a programme entry, stars, signs up, gets a
calendar feed, chats, asks, votes, raises a hand, is muted, fails a login; then
exports everything and erases the account. Afterwards every text column of every
table, every Redis key and value, and the mail folders hold none of their name,
email, organisation or public id — while their messages are still in the room,
anonymised.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import jwt
from sqlalchemy import select

from server.accounts.erasure import ANONYMOUS_NAME
from server.appkeys import db_key, settings_key
from server.db.engine import Database, make_engine
from server.db.tables import User
from server.db.tables_live import ChatMessage, Question
from tests.api.helpers import expect_error
from tests.live.support import Peer, Peers, Stage
from tests.security.cluster import Cluster, client_ip
from tests.security.traces import database_hits, file_hits, hits, redis_hits

PASSWORD = "correct horse battery"


def zelda() -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    return {
        "name": f"Zelda Quaxley-{tag}",
        "email": f"zelda.{tag}@erasable.example.org",
        "password": PASSWORD,
        "organisation": f"Quaxley Institute {tag}",
        "country": "NO",
        "stakeholder_group": "academia",
        "gender": "woman",
    }


async def register(stage: Stage, person: dict[str, Any]) -> dict[str, Any]:
    r = await stage.client.post("/api/v1/auth/register", json=person)
    assert r.status == 201, await r.text()
    body = await r.json()
    stage.client.session.cookie_jar.clear()
    return {
        **body["user"],
        "token": body["token"],
        "headers": {"Authorization": f"Bearer {body['token']}"},
    }


async def live_footprint(stage: Stage, peers: Peers, user: dict[str, Any]) -> Any:
    """Chat, a question, a vote, a hand and a mute for ``user`` in the stage's session."""
    mod = await peers.moderator()
    token = await stage.token(user)
    me = peers.new()
    await me.connect(token)
    roster = await mod.ok("presence:roster", {})
    assert user["name"] in [p["name"] for p in roster["people"]]
    assert user["email"] not in str(roster)
    await me.ok("chat:send", {"text": f"hello, write to me at {user['email']}"})
    await me.ok("qa:ask", {"text": "Who funds this?"})
    await me.ok("hand:raise", {})
    poll = (
        await mod.ok("poll:create", {"question": "Tea?", "options": ["yes", "no"], "open": True})
    )["poll"]
    await me.ok("poll:vote", {"poll_id": poll["id"], "option_id": poll["options"][0]["id"]})
    await mod.ok("mod:mute", {"public_id": user["public_id"], "minutes": 5, "reason": "too loud"})
    return me


async def test_export_is_everything_held_about_me(stage: Stage, peers: Peers) -> None:
    person = zelda()
    me = await register(stage, person)
    client, sid = stage.client, stage.sid
    linked = await stage.factory.post(
        "/api/v1/people",
        {"name": "Dr Z. Q.", "organisation": "ITU", "country": "CH",
         "stakeholder_group": "academia", "user_id": me["id"]},
    )  # fmt: skip
    assert (await client.post(f"/api/v1/sessions/{sid}/star", headers=me["headers"])).status == 200
    assert (
        await client.post(f"/api/v1/sessions/{sid}/signup", headers=me["headers"])
    ).status == 201
    assert (await client.get("/api/v1/me/calendar", headers=me["headers"])).status == 200
    await live_footprint(stage, peers, me)

    r = await client.get("/api/v1/me/export", headers=me["headers"])
    assert r.status == 200, await r.text()
    assert r.headers["Cache-Control"] == "no-store"
    assert "attachment" in r.headers["Content-Disposition"]
    data = await r.json()
    account = data["account"]
    for key in ("name", "email", "organisation", "country", "stakeholder_group", "gender"):
        assert account[key] == person[key], key
    assert account["public_id"] == me["public_id"]
    assert len(data["logins"]) == 1
    assert data["programme_entry"]["id"] == linked["id"]
    assert [s["session_id"] for s in data["stars"]] == [sid]
    assert [(s["session_id"], s["status"]) for s in data["signups"]] == [(sid, "confirmed")]
    assert data["calendar_feed"]["url"].endswith(".ics")
    assert [m["text"] for m in data["chat_messages"]] == [
        f"hello, write to me at {person['email']}"
    ]
    assert [q["text"] for q in data["questions"]] == ["Who funds this?"]
    assert [v["kind"] for v in data["votes"]] == ["poll_vote"]
    assert [h["state"] for h in data["hands"]] == ["raised"]
    assert [(x["kind"], x["reason"]) for x in data["sanctions"]] == [("mute", "too loud")]
    # Nobody else's account is in it: not the moderator who muted, not the organiser.
    text = await r.text()
    async with client.app[db_key].read() as s:
        others = list(await s.scalars(select(User).where(User.id != me["id"])))
    for other in others:
        assert other.email not in text and other.public_id not in text


async def test_export_needs_an_account(client: Any) -> None:
    await expect_error(await client.get("/api/v1/me/export"), 401, "unauthorized")
    await expect_error(await client.delete("/api/v1/me"), 401, "unauthorized")


async def test_erasure_leaves_no_trace_in_database_redis_or_mail(
    make_stage: Any, redis_url: str
) -> None:
    stage = await make_stage(redis_url=redis_url)
    peers = Peers(stage)
    try:
        await _erase_and_scan(stage, peers, redis_url)
    finally:
        await peers.close()


async def _erase_and_scan(stage: Stage, peers: Peers, redis_url: str) -> None:
    person = zelda()
    me = await register(stage, person)
    client, sid = stage.client, stage.sid
    await stage.factory.post(
        "/api/v1/people",
        {"name": "Dr Z. Q.", "organisation": "ITU", "country": "CH",
         "stakeholder_group": "academia", "user_id": me["id"]},
    )  # fmt: skip
    await client.post(f"/api/v1/sessions/{sid}/star", headers=me["headers"])
    await client.post(f"/api/v1/sessions/{sid}/signup", headers=me["headers"])
    await client.get("/api/v1/me/calendar", headers=me["headers"])
    connection = await live_footprint(stage, peers, me)
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": person["email"], "password": "not it at all"}
    )
    assert wrong.status == 401
    needles = [person["name"], person["email"], person["organisation"], me["public_id"]]
    assert await redis_hits(redis_url, [me["public_id"]]), "the footprint should reach Redis"

    r = await client.delete("/api/v1/me", headers=me["headers"])
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["erased"] is True and body["chat_messages_anonymised"] == 1
    assert body["questions_anonymised"] == 1
    # The open live connection is closed, the login is gone.
    await asyncio.wait_for(connection.disconnected.wait(), 5)
    assert connection.events["room:kicked"], connection.order
    await expect_error(await client.get("/api/v1/me", headers=me["headers"]), 401, "unauthorized")

    # What the room saw is still there, under a name that leads nowhere.
    async with client.app[db_key].read() as s:
        messages = list(await s.scalars(select(ChatMessage).where(ChatMessage.session_id == sid)))
        questions = list(await s.scalars(select(Question).where(Question.session_id == sid)))
    assert [m.author_name for m in messages] == [ANONYMOUS_NAME]
    assert messages[0].text == "hello, write to me at [removed]"
    assert [q.author_name for q in questions] == [ANONYMOUS_NAME]
    assert messages[0].author_public_id == questions[0].author_public_id != me["public_id"]
    # Someone joining now sees the kept message anonymised, in the welcome and in Q&A.
    late = await peers.join(name="Late Larry")
    shown = late.welcome["chat"]["messages"]
    assert [m["author"]["name"] for m in shown] == [ANONYMOUS_NAME], shown
    listed = await late.ok("qa:list", {})
    for needle in needles:
        assert needle not in str(late.welcome) and needle not in str(listed), needle

    assert await database_hits(client.app[db_key], needles) == []
    assert await redis_hits(redis_url, needles) == []
    assert file_hits(client.app[settings_key].data_dir / "mail", needles) == []


PUBLIC_EXPORTS = (
    "/api/v1/agenda",
    "/api/v1/agenda.ics",
    "/api/v1/schedule.json",
    "/api/v1/schedule.xml",
    "/api/v1/events",
    "/api/v1/event",
    "/api/v1/rooms",
    "/api/v1/tracks",
)


async def test_public_exports_rosters_tokens_and_live_events_hold_no_email(
    stage: Stage, peers: Peers
) -> None:
    """A speaker with an account: the programme shows the speaker, never the account."""
    person = zelda()
    speaker = await register(stage, person)
    entry = await stage.factory.post(
        "/api/v1/people",
        {"name": "Dr Zelda Q.", "organisation": "ITU", "country": "CH",
         "stakeholder_group": "academia", "gender": "woman", "user_id": speaker["id"]},
    )  # fmt: skip
    client, sid = stage.client, stage.sid
    r = await client.patch(
        f"/api/v1/sessions/{sid}",
        json={"speaker_ids": [entry["id"]]},
        headers=await stage.factory.organiser_headers(),
    )
    assert r.status == 200, await r.text()
    secrets = [person["email"], speaker["public_id"], person["organisation"]]
    paths = [*PUBLIC_EXPORTS, f"/api/v1/sessions/{sid}", f"/api/v1/sessions/{sid}.ics"]
    for path in paths:
        r = await client.get(path)
        assert r.status == 200, (path, r.status)
        text = await r.text()
        assert "Dr Zelda Q." in text or path in PUBLIC_EXPORTS[4:], path  # the programme is public
        for secret in secrets:
            assert secret not in text, (path, secret)
    agenda = await (await client.get(f"/api/v1/sessions/{sid}")).json()
    assert set(agenda["speakers"][0]) == {
        "id",
        "name",
        "organisation",
        "country",
        "stakeholder_group",
    }

    # The join token names the person by public id only.
    token = await stage.token(speaker)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "sub", "sid", "role", "nbf", "exp", "iat", "jti"}
    assert claims["sub"] == speaker["public_id"]
    for value in (person["email"], person["name"], person["organisation"]):
        assert value not in token and value not in str(claims)

    # Everything a moderator receives in the room — roster, chat, audit — has no email.
    mod = await peers.moderator()
    me = peers.new()
    await me.connect(token)
    await me.ok("chat:send", {"text": "hi"})
    await me.ok("hand:raise", {})
    roster = await mod.ok("presence:roster", {})
    hands = await mod.ok("hand:list", {})
    await mod.ok("mod:mute", {"public_id": speaker["public_id"], "minutes": 1})
    audit = await mod.ok("mod:audit", {})
    await mod.next("chat:message")
    received = str([roster, hands, audit, mod.order, me.order])
    assert person["name"] in received  # display names are shown in the room ...
    async with client.app[db_key].read() as s:
        emails = list(await s.scalars(select(User.email)))
    for email in emails:  # ... emails never, anybody's
        assert email not in received, email


async def test_erasure_on_real_nodes_leaves_nothing_in_database_redis_or_json_logs(
    cluster: Cluster, cluster_redis: str
) -> None:
    """Two ``forumlive serve`` processes: the person acts on both, erases through node A;
    the shared PostgreSQL database, Redis and both nodes' JSON logs then hold nothing of theirs."""
    ip = client_ip()
    person = zelda()
    fields = {k: person[k] for k in ("name", "email", "password", "organisation", "country")}
    me = await cluster.register(cluster.a, ip, **fields, gender="woman")
    sid = cluster.session_id
    status, _, _ = await cluster.request(
        cluster.b,
        "POST",
        "/api/v1/auth/login",
        ip,
        json={"email": person["email"], "password": "wrong one"},
    )
    assert status == 401
    await cluster.ok(cluster.b, "POST", f"/api/v1/sessions/{sid}/star", ip, me["token"])
    await cluster.ok(cluster.a, "GET", "/api/v1/me/calendar", ip, me["token"])
    token = (await cluster.ok(cluster.a, "POST", f"/api/v1/sessions/{sid}/join", ip, me["token"]))[
        "token"
    ]
    peer = await Peer(cluster.b.url).connect(token)
    try:
        await peer.ok("chat:send", {"text": "hello from the other node"})
        await peer.ok("qa:ask", {"text": "a question"})
        await peer.ok("hand:raise", {})
        exported = await cluster.ok(cluster.b, "GET", "/api/v1/me/export", ip, me["token"])
        assert exported["account"]["email"] == person["email"]
        erased = await cluster.ok(cluster.a, "DELETE", "/api/v1/me", ip, me["token"])
        assert erased["chat_messages_anonymised"] == 1
        await asyncio.wait_for(peer.disconnected.wait(), 5)  # kicked on node B by node A
    finally:
        await peer.close()
    status, _, _ = await cluster.request(cluster.b, "GET", "/api/v1/me", ip, me["token"])
    assert status == 401

    needles = [person["name"], person["email"], person["organisation"], me["public_id"]]
    db = Database(make_engine(cluster.database_url))
    try:
        assert await database_hits(db, needles) == []
    finally:
        await db.close()
    assert await redis_hits(cluster_redis, needles) == []
    erasures = [
        line for line in cluster.a.log_lines()
        if line.get("method") == "DELETE" and line.get("path") == "/api/v1/me"
    ]  # fmt: skip
    assert [line["status"] for line in erasures] == [200]  # the logs are there, and read
    for node in cluster.nodes:
        assert node.log_lines(), node.log_path  # every line is JSON
        assert hits(node.log_path.read_text(), needles, str(node.log_path)) == []
        assert file_hits(node.log_path.parent / "mail", needles) == []
