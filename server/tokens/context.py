"""The join-token machinery of one server process, opened and closed in one cleanup context.

At start: the service secret, a current signing key (created on first start), the
key ring and the blocklist loaded from the database. While running: both are
re-read every ``token_refresh_seconds`` (so every node sees a rotation or a
revocation even if a message was lost), and in cluster mode a pub/sub listener
applies revocations and key rotations the moment any node makes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from server.accounts.throttle import throttle_for
from server.appkeys import (
    blocklist_key,
    db_key,
    join_throttle_key,
    keyring_key,
    programme_changes_key,
    redis_key,
    settings_key,
)
from server.names import JOIN_RATE_PREFIX, TOKENS_CHANNEL
from server.programme.changes import SessionChange
from server.tokens.blocklist import Blocklist, Change
from server.tokens.keys import KeyRing, ensure_current_key, retire_expired
from server.tokens.revocation import on_programme_change, purge_expired, resync
from server.tokens.secret import SecretBox, load_secret

log = logging.getLogger(__name__)

KEYS_MESSAGE = b'{"kind":"keys"}'
_MAINTENANCE_SECONDS = 300.0  # retire dead keys, purge expired revocations


async def announce_keys(redis: Redis) -> None:
    """Tell every node to re-read the signing keys (after ``forumlive keys rotate``)."""
    await redis.publish(TOKENS_CHANNEL, KEYS_MESSAGE)


async def _handle(app: web.Application, data: bytes) -> None:
    if data == KEYS_MESSAGE:
        await app[keyring_key].reload()
        return
    try:
        change = Change.from_json(data)
    except (ValueError, TypeError):
        log.warning("ignored a malformed message on %s", TOKENS_CHANNEL)
        return
    app[blocklist_key].apply(change)


async def _listen(app: web.Application, pubsub: PubSub) -> None:
    while True:
        try:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        except (RedisError, OSError) as exc:
            log.warning("token channel lost (%s); resubscribing", exc)
            await asyncio.sleep(1.0)
            with contextlib.suppress(RedisError, OSError):
                await pubsub.subscribe(TOKENS_CHANNEL)
                await _refresh(app)  # whatever was published meanwhile is in the database
            continue
        if message is not None and message.get("type") == "message":
            await _handle(app, message["data"])


async def _refresh(app: web.Application) -> None:
    await app[keyring_key].reload()
    await resync(app)


async def _refresh_loop(app: web.Application) -> None:
    settings = app[settings_key]
    interval = settings.token_refresh_seconds
    last_maintenance = time.monotonic()
    while True:
        await asyncio.sleep(interval)
        try:
            if time.monotonic() - last_maintenance >= _MAINTENANCE_SECONDS:
                last_maintenance = time.monotonic()
                await retire_expired(app[db_key], leeway_seconds=settings.token_leeway_seconds)
                await purge_expired(app)
            await _refresh(app)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database hiccup must not end the loop; the next tick retries
            log.exception("refreshing join-token keys and revocations failed")


async def tokens_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, db = app[settings_key], app[db_key]
    box = SecretBox(load_secret(settings))
    await ensure_current_key(db, box)
    await retire_expired(db, leeway_seconds=settings.token_leeway_seconds)
    keyring = KeyRing(db, box)
    await keyring.reload()  # fails loudly if the current key was sealed under another secret
    app[keyring_key] = keyring
    app[blocklist_key] = Blocklist()
    await resync(app)

    redis = app[redis_key]
    app[join_throttle_key] = throttle_for(
        redis, settings.join_rate_per_minute, 60, JOIN_RATE_PREFIX
    )

    async def changed(change: SessionChange) -> None:
        await on_programme_change(app, change)

    app[programme_changes_key].subscribe(changed)
    tasks = [asyncio.create_task(_refresh_loop(app), name="tokens-refresh")]
    pubsub: PubSub | None = None
    if redis is not None:
        pubsub = redis.pubsub()
        await pubsub.subscribe(TOKENS_CHANNEL)  # before serving: no revocation slips by
        tasks.append(asyncio.create_task(_listen(app, pubsub), name="tokens-pubsub"))
    try:
        yield
    finally:
        app[programme_changes_key].unsubscribe(changed)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()
