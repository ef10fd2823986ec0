"""Which session a room is showing, and the per-node cache that answers it on every request."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from server.domain.lifecycle import Leads
from server.streaming.rooms import OnAir, TtlCache, pick_on_air

T0 = datetime(2021, 5, 18, 10, 0, tzinfo=UTC)
LEADS = Leads.minutes(lobby=15, green_room=30)
GRACE = timedelta(minutes=15)


def session(sid: int, start_min: int, minutes: int, state: str = "scheduled") -> OnAir:
    start = T0 + timedelta(minutes=start_min)
    return OnAir(sid, state, start, start + timedelta(minutes=minutes))


def test_the_session_whose_window_holds_now() -> None:
    morning = session(1, 0, 60)
    assert pick_on_air([morning], T0 - timedelta(minutes=31), LEADS, GRACE) is None
    assert pick_on_air([morning], T0 - timedelta(minutes=30), LEADS, GRACE) == morning  # green room
    assert pick_on_air([morning], T0 + timedelta(minutes=75), LEADS, GRACE) == morning  # grace
    assert pick_on_air([morning], T0 + timedelta(minutes=76), LEADS, GRACE) is None
    cancelled = session(2, 0, 60, "cancelled")
    assert pick_on_air([cancelled], T0, LEADS, GRACE) is None


def test_back_to_back_sessions_hand_over_by_state() -> None:
    first = session(1, 0, 60, "live")
    second = session(2, 60, 60, "lobby")
    at = T0 + timedelta(minutes=50)  # first still live, second's doors open
    assert pick_on_air([second, first], at, LEADS, GRACE) == first
    ended = session(1, 0, 60, "ended")
    assert pick_on_air([ended, second], at, LEADS, GRACE) == second
    # Without a scheduler (all still "scheduled"), the later start wins once its window opens.
    a, b = session(1, 0, 60), session(2, 60, 60)
    assert pick_on_air([a, b], T0 + timedelta(minutes=35), LEADS, GRACE) == b


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_cache_serves_stale_while_one_refresh_runs() -> None:
    clock = Clock()
    cache: TtlCache[int, str] = TtlCache(ttl=2, stale=10, clock=clock)
    loads: list[str] = []
    gate = asyncio.Event()

    async def load() -> str:
        loads.append("load")
        await gate.wait()
        return f"v{len(loads)}"

    first = [asyncio.create_task(cache.get(1, load)) for _ in range(5)]
    await asyncio.sleep(0.01)
    gate.set()
    assert await asyncio.gather(*first) == ["v1"] * 5  # five callers, one load
    gate.clear()
    clock.now = 3  # expired but within the stale window: answered at once, refreshed behind
    assert await cache.get(1, load) == "v1"
    await asyncio.sleep(0.01)
    assert await cache.get(1, load) == "v1"  # still: the refresh is under way
    assert len(loads) == 2
    gate.set()
    await asyncio.sleep(0.01)
    assert await cache.get(1, load) == "v2"
    clock.now = 100  # far too old: wait for a fresh one
    assert await cache.get(1, load) == "v3"


async def test_drop_wins_over_a_load_already_running() -> None:
    cache: TtlCache[int, str] = TtlCache(ttl=60)
    gate = asyncio.Event()
    value = "old"

    async def load() -> str:
        seen = value
        await gate.wait()
        return seen

    running = asyncio.create_task(cache.get(1, load))
    await asyncio.sleep(0.01)  # the load has read the value and waits
    value = "new"  # e.g. the key was rotated …
    cache.drop(1)  # … and this node dropped its entry
    gate.set()
    assert await running == "old"  # the caller that asked before gets what was read then
    assert await cache.get(1, load) == "new"  # but the old value was not kept
