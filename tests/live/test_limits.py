"""Limits against abuse: frame size, binary, event rate, floods, unknown and malformed events."""

from __future__ import annotations

import asyncio
import time

from tests.live.conftest import MakeStage
from tests.live.support import Peers, Stage


async def test_an_oversized_frame_closes_the_connection(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    under = await alice.error("chat:send", {"text": "x" * 15_000})  # 15 KiB frame: an answer
    assert under["code"] == "too_long"
    await alice.sio.emit("chat:send", {"text": "x" * 20_000}, namespace="/live")  # > 16 KiB
    await asyncio.wait_for(alice.disconnected.wait(), 5)
    bob = await peers.join()
    await bob.ok("chat:send", {"text": "the room is fine"})


async def test_binary_attachments_are_refused_and_the_connection_survives(
    stage: Stage, peers: Peers
) -> None:
    alice = await peers.join()
    bob = await peers.join()
    ack = await alice.call("chat:send", {"text": b"\x00binary payload"})
    assert ack == {
        "ok": False,
        "error": {"code": "binary_not_allowed", "message": "binary attachments are not accepted"},
    }
    await alice.sio.emit("chat:send", {"text": b"no ack wanted"}, namespace="/live")
    assert (await alice.ok("chat:send", {"text": "plain text still works"}))["seq"] == 1
    assert [m["text"] for m in await bob.next("chat:message")] == ["plain text still works"]


async def test_unknown_events_and_malformed_payloads_get_a_clean_error(
    stage: Stage, peers: Peers
) -> None:
    alice = await peers.join()
    unknown = await alice.error("chat:shout", {"text": "hi"})
    assert unknown["code"] == "unknown_event" and "chat:shout" in unknown["message"]
    for payload in (
        "just a string",
        ["a", "list"],
        42,
        {"text": 42},
        {},
        {"text": "x", "extra": 1},
    ):
        error = await alice.error("chat:send", payload)
        assert error["code"] == "invalid_payload", payload
    two_args = await alice.sio.call("chat:send", ({"text": "a"}, {"text": "b"}), namespace="/live")
    assert two_args["error"]["code"] == "invalid_payload"
    detail = await alice.error("qa:upvote", {"question_id": "seven"})
    assert detail["details"][0]["field"] == "question_id"
    assert (await alice.ok("chat:send", {"text": "still fine"}))["seq"] == 1


async def test_a_connection_sending_too_many_events_is_throttled(make_stage: MakeStage) -> None:
    stage = await make_stage(live_events_per_second=5.0, live_events_burst=10)
    peers = Peers(stage)
    try:
        alice = await peers.join()
        acks = await asyncio.gather(*(alice.call("qa:list") for _ in range(30)))
        refused = [a for a in acks if not a["ok"]]
        assert 15 <= len(refused) <= 20
        assert {a["error"]["code"] for a in refused} == {"rate_limited"}
        assert all(a["error"]["retry_after_ms"] > 0 for a in refused)
        bob = await peers.join()
        await bob.ok("qa:list")  # another connection has its own bucket
    finally:
        await peers.close()


async def test_a_flood_from_one_person_is_throttled_while_others_still_flow(
    make_stage: MakeStage,
) -> None:
    stage = await make_stage(
        live_chat_rate_per_second=1.0,
        live_chat_burst=5,
        live_events_per_second=20.0,
        live_events_burst=40,
    )
    peers = Peers(stage)
    try:
        flooder = await peers.join()
        speaker = await peers.join()
        watcher = await peers.join()
        started = time.monotonic()

        async def flood() -> list[dict[str, object]]:
            return list(
                await asyncio.gather(
                    *(flooder.call("chat:send", {"text": f"spam {n}"}) for n in range(200))
                )
            )

        async def talk() -> list[float]:
            delays = []
            for n in range(5):
                sent = time.monotonic()
                ack = await speaker.ok("chat:send", {"text": f"real question {n}"})
                await watcher.wait(
                    lambda seq=ack["seq"]: any(
                        m["seq"] == seq for m in watcher.events["chat:message"]
                    )
                )
                delays.append(time.monotonic() - sent)
                await asyncio.sleep(0.1)
            return delays

        flood_acks, delays = await asyncio.gather(flood(), talk())
        elapsed = time.monotonic() - started
        accepted = [a for a in flood_acks if a["ok"]]
        assert len(accepted) <= 5 + int(elapsed) + 1
        assert all(a["error"]["code"] == "rate_limited" for a in flood_acks if not a["ok"])
        assert max(delays) < 2.0  # the other person's messages kept flowing
        texts = [m["text"] for m in watcher.events["chat:message"]]
        assert [t for t in texts if t.startswith("real")] == [
            f"real question {n}" for n in range(5)
        ]
        assert sum(t.startswith("spam") for t in texts) == len(accepted)
    finally:
        await peers.close()
