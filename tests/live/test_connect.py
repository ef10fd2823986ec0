"""Connecting to /live: the join token decides, refusals carry {code, message}."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
import socketio

from server.appkeys import live_key, settings_key, sio_key
from server.tokens.join import decode_join_token, sign_grant
from server.tokens.revocation import ban, revoke_jti
from server.tokens.rules import Grant
from tests.live.conftest import eventually
from tests.live.support import Peer, Peers, Stage, now


async def refused(peer: Peer, **kwargs: object) -> dict[str, str]:
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(wait_welcome=False, **kwargs)  # type: ignore[arg-type]
    assert peer.connect_error is not None
    data = peer.connect_error["data"]
    assert set(data) == {"code", "message"}
    assert peer.connect_error["message"] == data["message"]
    return data


async def test_a_join_token_from_the_join_endpoint_admits_and_welcomes(
    stage: Stage, peers: Peers
) -> None:
    user = await stage.factory.user(name="Ada Participant")
    token = await stage.token(user)  # POST /api/v1/sessions/{id}/join, as a browser would
    peer = await peers.new().connect(token)
    welcome = peer.welcome
    assert welcome["session_id"] == stage.sid
    assert welcome["you"] == {
        "public_id": user["public_id"],
        "name": "Ada Participant",
        "role": "participant",
    }
    assert welcome["chat"] == {
        "resumed": False,
        "recovered": False,
        "messages": [],
        "deleted": [],
        "last_seq": 0,
    }
    assert welcome["settings"] == {"slow_mode_seconds": 0, "locked": False, "pinned": None}
    assert welcome["presence"]["count"] >= 1
    assert "@" not in str(welcome)  # no email anywhere


async def test_no_token_is_refused_with_missing_token(stage: Stage, peers: Peers) -> None:
    data = await refused(peers.new(), token=None)
    assert data["code"] == "missing_token"


async def test_a_garbage_token_is_refused_with_invalid_token(stage: Stage, peers: Peers) -> None:
    assert (await refused(peers.new(), token="not.a.token"))["code"] == "invalid_token"


async def test_an_expired_token_is_refused_with_expired(stage: Stage, peers: Peers) -> None:
    user = await stage.quick_user()
    t = now()
    grant = Grant(
        stage.sid, user["public_id"], "participant", t - timedelta(hours=3), t - timedelta(hours=1)
    )
    issued = await sign_grant(stage.client.app, grant)
    assert (await refused(peers.new(), token=issued.token))["code"] == "expired"


async def test_a_revoked_token_is_refused_and_another_token_still_works(
    stage: Stage, peers: Peers
) -> None:
    user = await stage.quick_user()
    token = await stage.quick_token(user)
    claims = await decode_join_token(stage.client.app, token)
    await revoke_jti(stage.client.app, claims.jti, claims.exp)
    assert (await refused(peers.new(), token=token))["code"] == "revoked"
    await peers.new().connect(await stage.quick_token(user))


async def test_a_banned_person_is_refused_with_banned(stage: Stage, peers: Peers) -> None:
    user = await stage.quick_user()
    token = await stage.quick_token(user)
    await ban(
        stage.client.app,
        user_public_id=user["public_id"],
        session_id=stage.sid,
        by_user_id=stage.moderator["id"],
        reason="spam",
        until=None,
    )
    assert (await refused(peers.new(), token=token))["code"] == "banned"


async def test_a_token_for_another_session_is_refused_with_wrong_session(
    stage: Stage, peers: Peers
) -> None:
    other = await stage.another_session()
    user = await stage.quick_user()
    token = await stage.quick_token(user, session_id=other["id"])
    auth = {"token": token, "session_id": stage.sid}
    assert (await refused(peers.new(), token=None, auth=auth))["code"] == "wrong_session"


async def test_a_malformed_last_seq_is_refused_with_invalid_auth(
    stage: Stage, peers: Peers
) -> None:
    user = await stage.quick_user()
    auth = {"token": await stage.quick_token(user), "last_seq": "7"}
    assert (await refused(peers.new(), token=None, auth=auth))["code"] == "invalid_auth"


async def test_a_foreign_origin_is_refused_and_our_own_admitted(stage: Stage, peers: Peers) -> None:
    user = await stage.quick_user()
    token = await stage.quick_token(user)
    foreign = peers.new()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await foreign.connect(token, headers={"Origin": "https://evil.example"}, wait_welcome=False)
    assert not foreign.sio.connected
    ours = stage.client.app[settings_key].public_url
    await peers.new().connect(token, headers={"Origin": ours})


async def test_long_polling_is_not_offered_without_sticky_sessions(
    stage: Stage, peers: Peers
) -> None:
    user = await stage.quick_user()
    peer = peers.new()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(
            await stage.quick_token(user), transports=["polling"], wait_welcome=False
        )
    r = await stage.client.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert r.status == 400


async def test_one_connection_is_in_one_session_only(stage: Stage, peers: Peers) -> None:
    """The session comes from the token; a second /live connect on the same Engine.IO
    connection is refused, so one connection never holds two live rooms."""
    user = await stage.quick_user()
    peer = await peers.new().connect(await stage.quick_token(user))
    other = await stage.another_session()
    second = await stage.quick_token(user, session_id=other["id"])
    await peer.sio.eio.send('40/live,{"token":"' + second + '"}')
    ack = await peer.ok("chat:send", {"text": "still here"})
    assert ack["seq"] == 1
    conns = stage.client.app[live_key].conns
    assert {c.session_id for c in conns.all()} == {stage.sid}


async def test_programme_changes_reach_live_clients_at_once(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    r = await stage.client.patch(
        f"/api/v1/sessions/{stage.sid}",
        json={"title": "Renamed while live"},
        headers=await stage.factory.organiser_headers(),
    )
    assert r.status == 200, await r.text()
    changes = await alice.next("agenda:changed")
    assert changes[0]["session_id"] == stage.sid


async def test_a_client_gone_before_its_connect_completes_leaves_no_ghost(
    stage: Stage, peers: Peers
) -> None:
    ctx = stage.client.app[live_key]
    user = await stage.quick_user()
    token = await stage.quick_token(user)
    gate, entered = asyncio.Event(), asyncio.Event()
    lookup = ctx.directory.get

    async def slow(public_id: str) -> object:
        entered.set()
        await gate.wait()
        return await lookup(public_id)

    ctx.directory.get = slow  # type: ignore[method-assign]
    peer = peers.new()
    connecting = asyncio.create_task(peer.connect(token, wait_welcome=False))
    await entered.wait()
    await peer.sio.eio.disconnect(abort=True)
    await eventually(lambda: not stage.client.app[sio_key].eio.sockets)
    gate.set()
    with contextlib.suppress(Exception):
        await connecting
    await eventually(lambda: len(ctx.conns) == 0)
    assert ctx.rooms.get(stage.sid) is None
    assert not ctx.presence.local
    ctx.directory.get = lookup  # type: ignore[method-assign]
    await peers.join()  # the room opens again for the next one
