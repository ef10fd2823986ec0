"""The public agenda as pre-serialised bytes: ETag, ``If-None-Match`` → 304, ``Cache-Control``.

Most agenda requests are the same few queries (the whole programme, a day, a track),
asked by every visitor and again by every open page after each push. The response
for such a query is rendered once, kept as the JSON bytes with a strong ETag, and
served from memory until something changes:

- a programme change on this node (``app[programme_changes_key]``),
- any push to the ``/agenda`` namespace, which every node's Socket.IO manager sees
  (programme changes made on another node, lifecycle transitions by any scheduler,
  over Redis in cluster mode),
- at the latest ``agenda_cache_seconds`` after rendering, a safety net for edits that
  send no notice (renaming a person or a room, a new event).

The key is the normalised query (the validated fields that differ from their
defaults). Free-text searches (``q``, ``speaker``) are not kept.

A miss renders once however many requests are waiting for it (one render in flight
per key: when the cache is emptied under load, twenty open connections must not
start twenty renders of the whole programme). An entry past its age is served once
more while one render replaces it in the background (stale-while-revalidate), so the
safety net costs visitors no wait; an invalidation, by contrast, drops the entries,
and nobody is served what a notice said has changed. Every response —
cached or not — carries an ETag, so a browser revalidates with a 304 and no body.
``Cache-Control: no-cache`` lets browsers and proxies store it but ask every time:
the agenda must never be shown stale after a push said it changed.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from server.appkeys import agenda_cache_key, programme_changes_key, settings_key, sio_key
from server.live.engine.manager import FrameManager
from server.live.engine.wire import start_manager
from server.names import AGENDA_NAMESPACE, EV_AGENDA_CHANGED, EV_SESSION_STATE
from server.programme.changes import SessionChange

log = logging.getLogger(__name__)

CACHE_CONTROL = "public, no-cache"
_UNCACHED_FIELDS = frozenset({"q", "speaker"})  # free text: too many distinct values
_MAX_ENTRIES = 256
AGENDA_EVENTS = frozenset({EV_AGENDA_CHANGED, EV_SESSION_STATE})  # what changes the agenda

Key = tuple[tuple[str, str], ...]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, a list of tags, or ``*``."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def respond(request: web.Request, body: bytes, etag: str) -> web.Response:
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


def cache_key(query: BaseModel) -> Key | None:
    """The normalised query, or None when this query is not worth keeping."""
    fields: dict[str, Any] = query.model_dump(exclude_defaults=True)
    if _UNCACHED_FIELDS & fields.keys():
        return None
    return tuple(sorted((name, str(value)) for name, value in fields.items()))


@dataclass(frozen=True)
class Entry:
    body: bytes
    etag: str
    made_at: float


Render = Callable[[], Awaitable[bytes]]


class AgendaCache:
    def __init__(self, max_age: float, max_entries: int = _MAX_ENTRIES) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.generation = 0  # bumped by every invalidation
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._renders: dict[Key, asyncio.Task[Entry]] = {}  # one in flight per key
        self._running: set[asyncio.Task[Entry]] = set()  # every render, for close()
        self.hits = 0
        self.misses = 0
        self.stale = 0  # served past their age while a fresh render was made

    async def fetch(self, key: Key, render: Render) -> Entry:
        """The entry for ``key``, rendering it with ``render`` only when none is kept."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            if time.monotonic() - entry.made_at <= self.max_age:
                self.hits += 1
                return entry
            self.stale += 1
            if key not in self._renders:
                self._render(key, render, replacing=entry)
            return entry
        self.misses += 1
        # shield: a waiter that goes away must not cancel the render the others wait for.
        return await asyncio.shield(self._render(key, render))

    def _render(
        self, key: Key, render: Render, replacing: Entry | None = None
    ) -> asyncio.Task[Entry]:
        task = self._renders.get(key)
        if task is None:
            # The generation is read now, not when the task first runs: a change in
            # between must keep this render's result out of the cache.
            task = asyncio.get_running_loop().create_task(self._keep(key, render, self.generation))
            task.add_done_callback(functools.partial(self._rendered, key, replacing))
            self._renders[key] = task
            self._running.add(task)
        return task

    async def _keep(self, key: Key, render: Render, generation: int) -> Entry:
        try:
            body = await render()
        finally:
            if self._renders.get(key) is asyncio.current_task():
                del self._renders[key]
        return self.put(key, body, generation)

    def _rendered(self, key: Key, replacing: Entry | None, task: asyncio.Task[Entry]) -> None:
        self._running.discard(task)
        if task.cancelled() or (error := task.exception()) is None:
            return
        if replacing is not None:
            # Nobody waits for a background render: its failure (database away, event
            # gone) is logged, and the old entry goes, so the next request renders itself
            # and gets the error instead of old bytes for ever.
            log.warning("agenda render failed: %r", error)
            if self._entries.get(key) is replacing:
                del self._entries[key]

    def put(self, key: Key, body: bytes, generation: int) -> Entry:
        """Keep ``body`` unless the agenda changed while it was being rendered."""
        entry = Entry(body, etag_of(body), time.monotonic())
        if generation == self.generation:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def invalidate(self, *_: Any) -> None:
        self.generation += 1
        self._entries.clear()
        # Renders begun before the change still answer those already waiting for them,
        # but are not kept, and nobody who asks from now on joins them.
        self._renders.clear()

    async def close(self) -> None:
        tasks = list(self._running)  # those an invalidation left running too
        self._renders.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._entries)


async def agenda_cache_ctx(app: web.Application) -> AsyncIterator[None]:
    max_age = app[settings_key].agenda_cache_seconds
    cache = AgendaCache(max_age)
    app[agenda_cache_key] = cache

    async def on_change(changes: Sequence[SessionChange]) -> None:
        cache.invalidate()  # once per batch: an import of 300 sessions is one invalidation

    def on_push(event: str, room: Any) -> None:
        if event in AGENDA_EVENTS:
            cache.invalidate()

    changes = app[programme_changes_key]
    changes.subscribe_many(on_change)
    manager = app[sio_key].manager
    if isinstance(manager, FrameManager):
        manager.watch(AGENDA_NAMESPACE, on_push)
        start_manager(app[sio_key])  # listening to Redis before the first websocket arrives
    try:
        yield
    finally:
        await cache.close()
        changes.unsubscribe(on_change)
        if isinstance(manager, FrameManager):
            manager.unwatch(AGENDA_NAMESPACE, on_push)
