"""Revocation by jti and by (person, session), bans, and their reach across nodes."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from server.app import create_app
from server.appkeys import blocklist_key, db_key, keyring_key, redis_key
from server.db.tables_tokens import RevokedToken
from server.names import ban_key
from server.settings import Settings
from server.tokens.blocklist import Blocklist
from server.tokens.join import TokenError, verify_join_token
from server.tokens.keys import rotate
from server.tokens.revocation import ban, is_banned, is_revoked, revoke_jti, unban
from tests.factories import Factory
from tests.tokens.conftest import Live, claims_of


async def _code(app: Any, token: str, sid: int) -> str | None:
    try:
        await verify_join_token(app, token, sid)
    except TokenError as exc:
        return exc.code
    return None


async def test_ban_revokes_and_refuses_and_unban_admits_new_tokens(live: Live) -> None:
    app = live.client.app
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    user, other = await live.factory.user(), await live.factory.user()
    mod = await live.factory.user("moderator")
    token, others = await live.token(user, s["id"]), await live.token(other, s["id"])
    claims = await verify_join_token(app, token, s["id"])
    await ban(
        app,
        user_public_id=user["public_id"],
        session_id=s["id"],
        by_user_id=mod["id"],
        reason="abuse",
        until=None,
    )
    assert await is_banned(app, user["public_id"], s["id"])
    assert await is_revoked(app, claims)
    assert await _code(app, token, s["id"]) == "banned"
    assert await _code(app, others, s["id"]) is None  # only that person
    assert (await live.join(user, s["id"]))[1]["error"]["code"] == "banned"
    assert await unban(app, user_public_id=user["public_id"], session_id=s["id"])
    assert not await is_banned(app, user["public_id"], s["id"])
    assert await _code(app, token, s["id"]) == "revoked"  # what the ban revoked stays revoked
    await asyncio.sleep(1.1)  # past the revocation's one-second cutoff
    fresh = await live.token(user, s["id"])
    assert await _code(app, fresh, s["id"]) is None


async def test_cancelled_signup_revokes_when_the_signup_was_the_way_in(live: Live) -> None:
    app = live.client.app
    gated = await live.session(timedelta(minutes=5))  # sign-up required
    free = await live.session(timedelta(minutes=5), kind="broadcast")  # open to all
    user = await live.factory.user()
    await live.signup(user, gated["id"])
    await live.signup(user, free["id"])
    gated_token, free_token = (
        await live.token(user, gated["id"]),
        await live.token(user, free["id"]),
    )
    for s in (gated, free):
        r = await live.client.delete(f"/api/v1/sessions/{s['id']}/signup", headers=user["headers"])
        assert r.status == 200
    assert await _code(app, gated_token, gated["id"]) == "revoked"
    assert await _code(app, free_token, free["id"]) is None  # it never depended on the sign-up
    assert (await live.join(user, gated["id"]))[1]["error"]["code"] == "not_registered"


async def test_a_speakers_token_survives_their_cancelled_signup(live: Live) -> None:
    speaker = await live.factory.user()
    person = await live.person_for(speaker)
    s = await live.session(timedelta(minutes=5), speaker_ids=[person["id"]])
    await live.signup(speaker, s["id"])
    token = await live.token(speaker, s["id"])
    r = await live.client.delete(f"/api/v1/sessions/{s['id']}/signup", headers=speaker["headers"])
    assert r.status == 200
    assert await _code(live.client.app, token, s["id"]) is None


@pytest.mark.parametrize("how", ["cancel", "delete"])
async def test_cancelled_or_deleted_session_revokes_every_token(live: Live, how: str) -> None:
    app = live.client.app
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    tokens = [await live.token(await live.factory.user(), s["id"]) for _ in range(2)]
    tokens.append(await live.token(await live.factory.user("organiser"), s["id"]))
    headers = await live.factory.organiser_headers()
    if how == "cancel":
        r = await live.client.post(f"/api/v1/sessions/{s['id']}/cancel", headers=headers)
        assert r.status == 200
    else:
        r = await live.client.delete(f"/api/v1/sessions/{s['id']}", headers=headers)
        assert r.status == 204
    for token in tokens:
        assert await _code(app, token, s["id"]) == "revoked"


async def test_revocations_survive_a_restart(aiohttp_client: Any, settings: Settings) -> None:
    first = await aiohttp_client(create_app(settings))
    live = await Live(Factory(first)).setup()
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    user, banned = await live.factory.user(), await live.factory.user()
    token, banned_token = await live.token(user, s["id"]), await live.token(banned, s["id"])
    c = claims_of(token)
    await revoke_jti(first.app, c["jti"], c["exp"])
    await ban(
        first.app,
        user_public_id=banned["public_id"],
        session_id=s["id"],
        by_user_id=user["id"],
        reason="",
        until=None,
    )
    await first.close()
    second = await aiohttp_client(create_app(settings))  # a fresh process: only the DB remembers
    assert await _code(second.app, token, s["id"]) == "revoked"
    assert await _code(second.app, banned_token, s["id"]) == "banned"


async def test_an_erased_account_s_tokens_stop_at_once_even_after_a_restart(
    aiohttp_client: Any, settings: Settings
) -> None:
    first = await aiohttp_client(create_app(settings))
    live = await Live(Factory(first)).setup()
    one = await live.session(timedelta(minutes=5), kind="broadcast")
    two = await live.session(timedelta(minutes=5), kind="broadcast")
    user, other = await live.factory.user(), await live.factory.user()
    held = [(await live.token(user, s["id"]), s["id"]) for s in (one, two)]
    others = await live.token(other, one["id"])
    for token, sid in held:
        assert await _code(first.app, token, sid) is None
    r = await first.delete("/api/v1/me", headers=user["headers"])
    assert r.status == 200, await r.text()
    for token, sid in held:
        assert await _code(first.app, token, sid) == "revoked"
    assert await _code(first.app, others, one["id"]) is None  # only that person
    # Kept under a digest: the erased public id is stored nowhere.
    async with first.app[db_key].read() as s:
        kept = list(await s.scalars(select(RevokedToken.user_public_id)))
    assert user["public_id"] not in kept and len(kept) == 1
    await first.close()
    second = await aiohttp_client(create_app(settings))  # only the database remembers
    for token, sid in held:
        assert await _code(second.app, token, sid) == "revoked"
    assert await _code(second.app, others, one["id"]) is None


def test_blocklist_resync_keeps_changes_the_snapshot_missed() -> None:
    from server.tokens.blocklist import Change

    bl = Blocklist()
    started = time.monotonic()
    bl.apply(Change("jti", jti="late", expires=int(time.time()) + 60))
    bl.replace([Change("jti", jti="old", expires=int(time.time()) + 60)], started)
    assert bl.is_revoked("late", "s", 1, 0) and bl.is_revoked("old", "s", 1, 0)
    bl.replace([], time.monotonic() + 10)  # a snapshot newer than every change: it is the truth
    assert not bl.is_revoked("late", "s", 1, 0)


# --- cluster: two app instances, one database, a Redis of this test's own ----------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[str]:
    exe = shutil.which("redis-server")
    assert exe, "redis-server is needed for the cluster tests"
    port = _free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = Redis.from_url(url)
        for _ in range(100):
            try:
                if await client.ping():
                    break
            except (OSError, RedisError):
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        await client.aclose()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
async def two_nodes(
    own_redis: str, aiohttp_client: Any, settings: Settings, tmp_path: Path
) -> tuple[TestClient, TestClient]:
    # own_redis first: it is set up before, so torn down after, the two apps.
    common = {
        "redis_url": own_redis,
        "secret_key": "cluster-test-secret-shared-by-every-node",
        # Only pub/sub may carry a change within the test's one second: no resync.
        "token_refresh_seconds": 3600,
    }
    a = await aiohttp_client(
        create_app(settings.model_copy(update={**common, "data_dir": tmp_path / "a"}))
    )
    b = await aiohttp_client(
        create_app(settings.model_copy(update={**common, "data_dir": tmp_path / "b"}))
    )
    return a, b


async def _within(seconds: float, check: Callable[[], Awaitable[bool]]) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(0.01)
    raise AssertionError(f"not seen within {seconds} s")


async def test_revocations_reach_the_other_node_within_a_second(
    two_nodes: tuple[TestClient, TestClient],
) -> None:
    a, b = two_nodes
    live = await Live(Factory(a)).setup()
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    sid = s["id"]
    user, victim, mod = (
        await live.factory.user(),
        await live.factory.user(),
        await live.factory.user("moderator"),
    )
    token, victim_token = await live.token(user, sid), await live.token(victim, sid)
    c = await verify_join_token(b.app, token, sid)  # node B trusts node A's key
    assert await _code(b.app, victim_token, sid) is None

    await ban(
        a.app,
        user_public_id=victim["public_id"],
        session_id=sid,
        by_user_id=mod["id"],
        reason="abuse",
        until=None,
    )

    async def b_sees_ban() -> bool:
        return await is_banned(b.app, victim["public_id"], sid)  # memory only: cheap

    assert await _within(1.0, b_sees_ban) < 1.0
    assert await _code(b.app, victim_token, sid) == "banned"

    await revoke_jti(a.app, c.jti, c.exp)

    async def b_sees_jti() -> bool:
        return await is_revoked(b.app, c)

    assert await _within(1.0, b_sees_jti) < 1.0
    assert await _code(b.app, token, sid) == "revoked"

    # A cancelled session, through node A's API, reaches node B too.
    other = await live.session(timedelta(minutes=5), kind="broadcast")
    other_token = await live.token(user, other["id"])
    other_claims = await verify_join_token(b.app, other_token, other["id"])
    r = await a.post(
        f"/api/v1/sessions/{other['id']}/cancel", headers=await live.factory.organiser_headers()
    )
    assert r.status == 200

    async def b_sees_cancel() -> bool:
        return await is_revoked(b.app, other_claims)

    assert await _within(1.0, b_sees_cancel) < 1.0


async def test_a_lost_pubsub_message_is_covered_by_redis_on_connect(
    two_nodes: tuple[TestClient, TestClient],
) -> None:
    a, b = two_nodes
    live = await Live(Factory(a)).setup()
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    victim, mod = await live.factory.user(), await live.factory.user("moderator")
    token = await live.token(victim, s["id"])
    await ban(
        a.app,
        user_public_id=victim["public_id"],
        session_id=s["id"],
        by_user_id=mod["id"],
        reason="",
        until=None,
    )
    assert await b.app[redis_key].exists(ban_key(s["id"], victim["public_id"]))  # type: ignore[union-attr]
    b.app[blocklist_key].replace([], time.monotonic() + 10)  # node B "missed" every message
    assert not await is_banned(b.app, victim["public_id"], s["id"])
    assert await _code(b.app, token, s["id"]) == "banned"  # the connect check asks Redis


async def test_a_rotation_announced_on_one_node_switches_the_other(
    two_nodes: tuple[TestClient, TestClient],
) -> None:
    from server.tokens.context import announce_keys

    a, b = two_nodes
    assert a.app[keyring_key].signer.kid == b.app[keyring_key].signer.kid  # type: ignore[union-attr]
    new_kid = await rotate(a.app[keyring_key].db, a.app[keyring_key].box)
    await announce_keys(a.app[redis_key])  # type: ignore[arg-type]

    async def b_switched() -> bool:
        return b.app[keyring_key].signer.kid == new_kid  # type: ignore[union-attr]

    assert await _within(1.0, b_switched) < 1.0
    live = await Live(Factory(b)).setup()
    s = await live.session(timedelta(minutes=5), kind="broadcast")
    token = await live.token(await live.factory.user(), s["id"])
    assert jwt.get_unverified_header(token)["kid"] == new_kid
    await verify_join_token(a.app, token, s["id"])
