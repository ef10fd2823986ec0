"""A web node dies (SIGKILL) or is stopped (SIGTERM) mid-chat: its clients reconnect through
nginx to the other node and resume from their last seq — no acknowledged message lost,
none shown twice."""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
import time
from collections.abc import Callable

import aiohttp
import pytest

from tests.cluster.clients import LiveClient, chat_until, eventually
from tests.cluster.conftest import Stage
from tests.cluster.topology import SHUTDOWN_TIMEOUT, Node

pytestmark = pytest.mark.slow


async def _crowd(stage: Stage, n: int) -> tuple[int, list[LiveClient]]:
    """A session going on, and ``n`` people connected through nginx (both nodes get some)."""
    cluster = stage.cluster
    moderator = await stage.accounts.person("Mona Moderator")
    session = await stage.programme.ongoing(moderator)
    sid = session["id"]
    people = [moderator] + [await stage.accounts.person(f"P{i}") for i in range(n - 1)]
    tokens = [await stage.programme.token(p, sid) for p in people]
    # Connected one after the other with nothing in between: nginx's round robin alternates.
    clients = [
        await stage.connect(cluster.url, t, p["name"]) for p, t in zip(people, tokens, strict=True)
    ]
    per_node = [node.clients_in(sid) for node in cluster.nodes]
    assert sum(per_node) == n and min(per_node) >= 1, f"round robin gave {per_node}"
    return sid, clients


async def _chat_across(
    clients: list[LiveClient], victim: Node, stop_it: Callable[[Node], None], sid: int
) -> tuple[list[LiveClient], float]:
    """Chat from every client; once some messages are through, ``stop_it(victim)``; keep
    chatting until every client of the victim is back, then a little more."""
    on_victim = victim.clients_in(sid)
    stop = asyncio.Event()
    chatting = asyncio.create_task(chat_until(clients, stop))
    try:
        await eventually(lambda: sum(len(c.acked) for c in clients) >= 30, 20, "chat to flow")
        stopped_at = time.monotonic()
        await asyncio.to_thread(stop_it, victim)

        def moved() -> list[LiveClient]:
            return [c for c in clients if c.disconnects and c.connected and len(c.welcomes) > 1]

        await eventually(lambda: len(moved()) >= on_victim, 30, "the victim's clients to be back")
        back_after = time.monotonic() - stopped_at
        assert len(moved()) == on_victim, "a client of the other node was disconnected too"
        before = sum(len(c.acked) for c in clients)
        await eventually(lambda: sum(len(c.acked) for c in clients) >= before + 20, 20, "more chat")
    finally:
        stop.set()
        await chatting
    return moved(), back_after


async def _nothing_lost_nothing_twice(stage: Stage, sid: int, clients: list[LiveClient]) -> None:
    acked = [seq for c in clients for seq in c.acked]
    assert len(acked) == len(set(acked)), "one seq acknowledged twice"
    for c in clients:
        await eventually(lambda c=c: set(acked) <= set(c.deliveries), 15, f"{c.name} to catch up")
    for c in clients:
        assert c.duplicates() == [], f"{c.name} was shown {c.duplicates()} twice"
        for welcome in c.welcomes[1:]:
            chat = welcome["chat"]
            assert chat["resumed"] and chat["recovered"], f"{c.name} did not resume: {chat}"
    stored = await stage.accounts.stored_seqs(sid)
    assert set(acked) <= set(stored), "an acknowledged message is not in the database"
    assert stored == list(range(1, len(stored) + 1)), "sequence numbers have a gap"


async def test_sigkill_a_node_mid_chat_its_clients_resume_on_the_other(stage: Stage) -> None:
    sid, clients = await _crowd(stage, 6)
    victim = stage.cluster.node("node-b")
    _, back_after = await _chat_across(clients, victim, Node.kill, sid)
    assert victim.proc.returncode == -signal.SIGKILL
    await _nothing_lost_nothing_twice(stage, sid, clients)
    assert stage.cluster.node("node-a").clients_in(sid) == len(clients)
    assert back_after < 10, f"clients took {back_after:.1f} s to come back"


async def _get(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        await r.read()
        return r.status


async def test_sigterm_drains_a_node_clients_move_and_requests_finish(stage: Stage) -> None:
    sid, clients = await _crowd(stage, 6)
    cluster = stage.cluster
    victim = cluster.node("node-b")
    loop = asyncio.get_running_loop()
    exit_took: list[float] = []
    in_flight: list[concurrent.futures.Future[int]] = []

    def terminate(node: Node) -> None:
        # A request in flight when the signal comes: the database answers slowly for a moment.
        cluster.pg_proxy.delay = 0.4
        try:
            agenda = f"{node.url}/api/v1/agenda?event={stage.programme.event['slug']}"
            in_flight.append(asyncio.run_coroutine_threadsafe(_get(agenda), loop))
            time.sleep(0.3)
            assert not in_flight[0].done()
            signalled = time.monotonic()
            node.signal(signal.SIGTERM)
            time.sleep(0.5)
        finally:
            cluster.pg_proxy.delay = 0.0
        node.proc.wait(SHUTDOWN_TIMEOUT + 5)
        exit_took.append(time.monotonic() - signalled)

    moved, back_after = await _chat_across(clients, victim, terminate, sid)
    assert victim.proc.returncode == 0, victim.log()[-3000:]
    assert await asyncio.wrap_future(in_flight[0]) == 200, "the in-flight request was cut"
    # Clients are sent away at once: nothing waits for them until the timeout.
    assert exit_took[0] < SHUTDOWN_TIMEOUT / 2, f"took {exit_took[0]:.1f} s to exit"
    await _nothing_lost_nothing_twice(stage, sid, clients)
    assert back_after < 10, f"clients took {back_after:.1f} s to come back"
    for c in moved:
        assert c.connect_errors == [], c.connect_errors
