"""The public agenda from pre-serialised bytes: ETag, 304, Cache-Control, invalidation."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from aiohttp.test_utils import TestClient

from scheduler import controls
from scheduler.transitions import push_applied
from server.api.agenda import AgendaQuery
from server.api.agenda_cache import AgendaCache, cache_key, matches
from server.app import create_app
from server.appkeys import agenda_cache_key, db_key, pusher_key
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


async def test_the_safety_net_rebuilds_after_max_age(stage: Stage) -> None:
    cache: AgendaCache = stage.client.app[agenda_cache_key]
    cache.max_age = 0.2
    await get(stage.client)
    misses = cache.misses
    await get(stage.client)
    assert cache.misses == misses
    await asyncio.sleep(0.3)
    await get(stage.client)
    assert cache.misses == misses + 1


def test_if_none_match_parsing() -> None:
    assert matches('"a"', '"a"') and matches('W/"a"', '"a"') and matches('"b" , "a"', '"a"')
    assert matches("*", '"a"')
    assert not matches(None, '"a"') and not matches('"b"', '"a"') and not matches("", '"a"')
