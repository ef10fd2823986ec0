"""The leading scheduler is SIGKILLed: the other takes over within the lease time, catches
up on what fell due meanwhile, and every transition is applied (and pushed) exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

import pytest

from server.names import EV_SESSION_STATE
from tests.cluster.clients import eventually, utcnow
from tests.cluster.conftest import Stage
from tests.cluster.topology import LEASE_SECONDS
from tests.scheduler.support import FULL_PATH, Listener, path_of, transitions

pytestmark = pytest.mark.slow


async def test_the_leader_dies_the_other_takes_over_within_the_lease(stage: Stage) -> None:
    cluster = stage.cluster
    leader = cluster.leader()
    assert leader is not None
    follower = next(s for s in cluster.schedulers if s is not leader)
    assert leader.leader_gauge() == 1.0 and follower.leader_gauge() == 0.0
    listener = await Listener().connect(cluster.url)  # the agenda page, through nginx
    try:
        t0 = utcnow()
        # Its lobby falls due while nobody leads, its start around the handover.
        gap = await stage.programme.session(t0 + timedelta(seconds=4), t0 + timedelta(seconds=10))
        # Entirely after the handover: timers of the new leader.
        later = await stage.programme.session(t0 + timedelta(seconds=8), t0 + timedelta(seconds=11))
        await asyncio.sleep(0.5)  # the leader has planned both
        await asyncio.to_thread(leader.kill_now)
        killed = time.monotonic()
        await eventually(lambda: follower.health()["leader"], 3 * LEASE_SECONDS, "a new leader")
        took = time.monotonic() - killed
        # The lease runs out, then a follower's next try (every lease/5) wins it.
        assert took <= LEASE_SECONDS + LEASE_SECONDS / 5 + 1.0, f"handover took {took:.2f} s"
        assert follower.leader_gauge() == 1.0

        async def ended() -> bool:
            rows = await transitions(cluster.db_url, later["id"])
            return len(rows) == 3

        await eventually(ended, 25, "the later session to end")
        await eventually(
            lambda: len(listener.of(EV_SESSION_STATE, later["id"])) == 3, 5, "three pushes"
        )
    finally:
        await listener.close()

    for session in (gap, later):
        rows = await transitions(cluster.db_url, session["id"])
        assert path_of(rows) == FULL_PATH
        pushed = listener.of(EV_SESSION_STATE, session["id"])
        assert [(p["from"], p["to"]) for p in pushed] == FULL_PATH, "each pushed exactly once"
    assert {r.cause for r in await transitions(cluster.db_url, later["id"])} == {"timer"}
    everything = await transitions(cluster.db_url)
    seen = Counter((r.session_id, r.from_state, r.to_state) for r in everything)
    assert all(n == 1 for n in seen.values()), f"applied twice: {seen}"
