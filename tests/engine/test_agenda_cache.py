"""The public agenda from pre-serialised bytes: ETag, 304, Cache-Control, invalidation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from scheduler import controls
from scheduler.transitions import push_applied
from server.api import agenda as agenda_module
from server.api.agenda import AgendaQuery
from server.api.agenda_cache import AgendaCache, cache_key, matches
from server.app import create_app
from server.appkeys import agenda_cache_key, db_key, pusher_key
from server.db.tables import Session
from server.live.push import Pusher
from server.names import SIO_CHANNEL
from server.settings import Settings
from tests.factories import Factory
from tests.live.conftest import eventually
from tests.live.support import Stage

AGENDA = "/api/v1/agenda"


async def get(client: TestClient, path: str = AGENDA, **headers: str) -> tuple[int, bytes, Any]:
    r = await client.get(path, headers=headers)
    return r.status, await r.read(), r.headers


def state_of(body: bytes, session_id: int) -> str:
    import json

    (session,) = [s for s in json.loads(body)["sessions"] if s["id"] == session_id]
    return str(session["state"])


async def test_etag_304_and_cache_control(stage: Stage) -> None:
    client = stage.client
    cache = client.app[agenda_cache_key]
    status, body, headers = await get(client)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    etag = headers["ETag"]
    assert etag.startswith('"') and headers["Cache-Control"] == "public, no-cache"
    hits = cache.hits
    status, again, headers = await get(client)
    assert (status, again, headers["ETag"]) == (200, body, etag)
    assert cache.hits == hits + 1  # served from the bytes kept, not rendered again

    for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        status, empty, headers = await get(client, **{"If-None-Match": tag})
        assert (status, empty, headers["ETag"]) == (304, b"", etag)
        assert headers["Cache-Control"] == "public, no-cache"
    status, _, _ = await get(client, **{"If-None-Match": '"stale"'})
    assert status == 200


async def test_queries_are_normalised_and_free_text_is_not_kept(stage: Stage) -> None:
    client = stage.client
    cache = client.app[agenda_cache_key]
    await get(client, f"{AGENDA}?tz=UTC&offset=0")
    await get(client, f"{AGENDA}?offset=0&tz=UTC")  # the same query, other order/defaults
    assert len(cache) == 1
    status, _, headers = await get(client, f"{AGENDA}?q=Fan")
    assert status == 200 and headers["ETag"]  # an ETag, but not kept
    assert len(cache) == 1
    assert cache_key(AgendaQuery(q="x")) is None
    assert cache_key(AgendaQuery()) == ()
    assert cache_key(AgendaQuery.model_validate({"tz": "UTC", "offset": 0})) == (("tz", "UTC"),)


async def test_a_programme_change_invalidates(stage: Stage) -> None:
    client = stage.client
    _, before, headers = await get(client)
    created = await stage.another_session()
    status, after, new = await get(client, **{"If-None-Match": headers["ETag"]})
    assert status == 200 and new["ETag"] != headers["ETag"]
    assert created["title"].encode() in after and after != before


async def test_a_lifecycle_transition_invalidates(stage: Stage) -> None:
    """The scheduler's transitions push session:state to the agenda namespace; no
    programme-change notice is published for them."""
    app = stage.client.app
    await get(stage.client)
    created = await stage.another_session()
    _, body, headers = await get(stage.client)
    assert state_of(body, created["id"]) != "live"
    generation = app[agenda_cache_key].generation
    applied = await controls.start_early(app[db_key], created["id"], stage.moderator["id"])
    await push_applied(app[pusher_key], applied)
    assert app[agenda_cache_key].generation > generation
    status, body, _ = await get(stage.client, **{"If-None-Match": headers["ETag"]})
    assert status == 200 and state_of(body, created["id"]) == "live"


async def test_a_standalone_schedulers_push_invalidates_every_node(
    aiohttp_client: Any, settings: Settings, redis_url: str
) -> None:
    """Cluster mode: a scheduler in another process pushes through Redis; a web node that
    never had a websocket client still hears it."""
    node = await aiohttp_client(create_app(settings.model_copy(update={"redis_url": redis_url})))
    stage = await Stage(Factory(node)).setup()
    created = await stage.another_session()
    _, body, headers = await get(node)
    assert state_of(body, created["id"]) != "live"
    generation = node.app[agenda_cache_key].generation
    scheduler = socketio.AsyncRedisManager(redis_url, write_only=True, channel=SIO_CHANNEL)
    try:
        applied = await controls.start_early(node.app[db_key], created["id"], stage.moderator["id"])
        await push_applied(Pusher(scheduler.emit), applied)
        await eventually(lambda: node.app[agenda_cache_key].generation > generation)
    finally:
        await scheduler.redis.aclose()
    status, body, _ = await get(node, **{"If-None-Match": headers["ETag"]})
    assert status == 200 and state_of(body, created["id"]) == "live"


async def test_the_safety_net_serves_once_more_while_it_rebuilds(stage: Stage) -> None:
    """An edit that sends no notice (a renamed session, here written straight to the
    database) shows once the entry is past its age; the request that finds it old is
    still answered at once, from the old bytes, while one render replaces them."""
    cache: AgendaCache = stage.client.app[agenda_cache_key]
    cache.max_age = 0.3
    _, before, _ = await get(stage.client)
    async with stage.client.app[db_key].write() as s:
        await s.execute(
            update(Session).where(Session.id == stage.sid).values(title="Renamed quietly")
        )
    _, body, _ = await get(stage.client)
    assert body == before  # within its age: the kept bytes
    await asyncio.sleep(0.4)
    misses, stale = cache.misses, cache.stale
    _, body, _ = await get(stage.client)
    assert body == before and cache.stale == stale + 1 and cache.misses == misses

    async def renamed() -> bool:
        return b"Renamed quietly" in (await get(stage.client))[1]

    await eventually(renamed)
    assert cache.misses == misses  # nobody waited for a render


async def test_concurrent_misses_render_once(stage: Stage, monkeypatch: pytest.MonkeyPatch) -> None:
    renders = 0
    real = agenda_module._render

    async def counted(*args: Any) -> Any:
        nonlocal renders
        renders += 1
        await asyncio.sleep(0.05)  # long enough for every request to arrive meanwhile
        return await real(*args)

    monkeypatch.setattr(agenda_module, "_render", counted)
    stage.client.app[agenda_cache_key].invalidate()
    answers = await asyncio.gather(*(get(stage.client) for _ in range(20)))
    assert renders == 1
    assert {(status, body) for status, body, _ in answers} == {(200, answers[0][1])}


async def entry_body(cache: AgendaCache, render: Any) -> bytes:
    return (await cache.fetch((("day", "2021-05-17"),), render)).body


async def test_a_change_during_a_render_is_not_joined_nor_kept() -> None:
    cache = AgendaCache(max_age=60)
    gate = asyncio.Event()

    async def old() -> bytes:
        await gate.wait()
        return b"old"

    async def new() -> bytes:
        return b"new"

    first = asyncio.create_task(entry_body(cache, old))
    await asyncio.sleep(0)
    cache.invalidate()  # the programme changed while "old" was rendering
    assert await entry_body(cache, new) == b"new"  # did not wait for, nor get, "old"
    gate.set()
    assert await first == b"old"  # who asked before the change gets what they waited for
    assert await entry_body(cache, new) == b"new"  # and "old" was not kept


async def test_a_failed_render_reaches_its_waiters_and_keeps_nothing() -> None:
    cache = AgendaCache(max_age=60)

    async def broken() -> bytes:
        await asyncio.sleep(0.01)
        raise RuntimeError("database away")

    results = await asyncio.gather(
        entry_body(cache, broken), entry_body(cache, broken), return_exceptions=True
    )
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert len(cache) == 0


async def test_a_failed_background_render_drops_the_old_entry() -> None:
    cache = AgendaCache(max_age=0.05)

    async def good() -> bytes:
        return b"v1"

    async def broken() -> bytes:
        raise RuntimeError("database away")

    assert await entry_body(cache, good) == b"v1"
    await asyncio.sleep(0.1)
    assert await entry_body(cache, broken) == b"v1"  # old, served while it is re-rendered
    await eventually(lambda: len(cache) == 0)  # the render failed: nothing old is left
    with pytest.raises(RuntimeError):
        await entry_body(cache, broken)


async def test_closing_cancels_renders_in_flight() -> None:
    cache = AgendaCache(max_age=60)
    started = asyncio.Event()

    async def endless() -> bytes:
        started.set()
        await asyncio.Event().wait()
        return b""

    waiter = asyncio.create_task(entry_body(cache, endless))
    await started.wait()
    cache.invalidate()  # no longer joinable, still running: closing must stop it too
    await cache.close()
    with pytest.raises(asyncio.CancelledError):
        await waiter


def test_if_none_match_parsing() -> None:
    assert matches('"a"', '"a"') and matches('W/"a"', '"a"') and matches('"b" , "a"', '"a"')
    assert matches("*", '"a"')
    assert not matches(None, '"a"') and not matches('"b"', '"a"') and not matches("", '"a"')
