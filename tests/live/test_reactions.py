"""Reactions: aggregated per room per second, one frame a second at most."""

from __future__ import annotations

import asyncio

from tests.live.support import Peers, Stage


async def test_clicks_arrive_as_one_aggregate_frame_per_second(stage: Stage, peers: Peers) -> None:
    watcher = await peers.join()
    clickers = [await peers.join() for _ in range(4)]
    kinds = ["clap", "love", "clap", "like"]
    for _ in range(3):  # about 1.5 s of clicking
        await asyncio.gather(
            *(
                c.ok("reaction:send", {"kind": kinds[i]})
                for i, c in enumerate(clickers)
                for _ in range(5)
            )
        )
        await asyncio.sleep(0.5)
    await watcher.wait(lambda: sum(b["total"] for b in watcher.events["reaction:burst"]) >= 60, 5)
    bursts = watcher.events["reaction:burst"]
    assert sum(b["total"] for b in bursts) == 60
    totals: dict[str, int] = {}
    for burst in bursts:
        assert burst["total"] == sum(burst["counts"].values())
        for kind, n in burst["counts"].items():
            totals[kind] = totals.get(kind, 0) + n
    assert totals == {"clap": 30, "love": 15, "like": 15}
    windows = [b["window"] for b in bursts]
    assert windows == sorted(set(windows))  # one frame per one-second window
    assert len(bursts) <= 3


async def test_an_unknown_reaction_is_refused(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    assert (await alice.error("reaction:send", {"kind": "<script>"}))["code"] == "invalid_payload"
