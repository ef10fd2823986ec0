"""Coalescing: a busy room's chat, reactions and presence go out as one ``batch`` per tick."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from server.names import EV_BATCH
from tests.live.conftest import MakeStage
from tests.live.support import Peer, Peers, Stage

ROOT = Path(__file__).resolve().parents[2]
JS = Path(__file__).parent / "js"
QUIET = {"live_presence_interval_seconds": 60.0}  # no presence pushes in the middle


def flat(peer: Peer) -> list[tuple[str, Any]]:
    """Events as the client handles them: a batch is its items, in order."""
    out: list[tuple[str, Any]] = []
    for event, data in peer.order:
        if event == EV_BATCH:
            out += [(e, d) for e, d in data]
        else:
            out.append((event, data))
    return out


def chat_seqs(peer: Peer) -> list[int]:
    return [d["seq"] for e, d in flat(peer) if e == "chat:message"]


def batches(peer: Peer) -> list[list[list[Any]]]:
    return peer.events[EV_BATCH]


async def busy_stage(make_stage: MakeStage, tick_ms: float) -> Stage:
    return await make_stage(live_coalesce_min_clients=1, live_coalesce_ms=tick_ms, **QUIET)


async def test_a_burst_goes_out_as_one_batch(make_stage: MakeStage) -> None:
    stage = await busy_stage(make_stage, 400)
    group = Peers(stage)
    try:
        sender, reader = await group.join(name="Ada"), await group.join(name="Ben")
        await asyncio.sleep(0.5)  # a quiet room: the next message goes at once
        for n in range(5):
            await sender.ok("chat:send", {"text": f"burst {n}"})
        await reader.wait(lambda: len(chat_seqs(reader)) >= 5, timeout=5)
        assert chat_seqs(reader) == [1, 2, 3, 4, 5]
        assert [m["seq"] for m in reader.events["chat:message"]][:1] == [1]  # no waiting
        (batch,) = batches(reader)  # the other four, one frame, in send order
        assert [e for e, _ in batch] == ["chat:message"] * 4
        assert [d["seq"] for _, d in batch] == [2, 3, 4, 5]
        assert all(isinstance(item, list) and len(item) == 2 for item in batch)
    finally:
        await group.close()


async def test_another_event_sends_what_is_held_first(make_stage: MakeStage) -> None:
    stage = await busy_stage(make_stage, 2000)
    group = Peers(stage)
    try:
        mod, reader = await group.moderator(), await group.join(name="Ben")
        await asyncio.sleep(0.3)
        for n in range(3):
            await mod.ok("chat:send", {"text": f"m{n}"})
        await mod.ok("mod:delete", {"seq": 1})  # not coalesced: it must come after 2 and 3
        await reader.next("chat:deleted", timeout=5)
        seen = [(e, d.get("seq")) for e, d in flat(reader) if e.startswith("chat:")]
        assert seen == [
            ("chat:message", 1),
            ("chat:message", 2),
            ("chat:message", 3),
            ("chat:deleted", 1),
        ]
        assert len(batches(reader)) == 1  # 2 and 3 were flushed together, early
    finally:
        await group.close()


async def test_a_joiner_gets_held_messages_in_its_welcome_only(make_stage: MakeStage) -> None:
    stage = await busy_stage(make_stage, 1500)
    group = Peers(stage)
    try:
        sender, early = await group.join(name="Ada"), await group.join(name="Ben")
        await asyncio.sleep(0.3)
        await sender.ok("chat:send", {"text": "sent at once"})
        await sender.ok("chat:send", {"text": "held"})
        late = await group.join(name="Cy")  # while "held" waits for the tick
        assert [m["seq"] for m in late.welcome["chat"]["messages"]] == [1, 2]
        await early.wait(lambda: len(chat_seqs(early)) >= 2)
        assert chat_seqs(early) == [1, 2]
        await asyncio.sleep(1.7)  # past the tick: nothing held is left to send
        assert chat_seqs(late) == []  # never both in the welcome and live
    finally:
        await group.close()


async def test_small_rooms_are_never_coalesced(stage: Stage, peers: Peers) -> None:
    sender, reader = await peers.join(name="Ada"), await peers.join(name="Ben")
    for n in range(10):
        await sender.ok("chat:send", {"text": f"n{n}"})
    await reader.wait(lambda: len(chat_seqs(reader)) >= 10)
    assert batches(reader) == []
    assert chat_seqs(reader) == list(range(1, 11))


async def test_the_web_client_unpacks_batches(make_stage: MakeStage, js_client: Path) -> None:
    """web/js/live/connection.js under node, on the official socket.io-client."""
    stage = await busy_stage(make_stage, 400)
    group = Peers(stage)
    try:
        sender = await group.join(name="Ada")
        reader = await stage.quick_user("Web")
        env = {
            **os.environ,
            "LIVE_URL": stage.url(),
            "SESSION_ID": str(stage.sid),
            "TOKEN": await stage.quick_token(reader),
            "EXPECT": "6",
            "SOCKET_IO_CLIENT": str(js_client.parent / "package.json"),
        }
        proc = await asyncio.create_subprocess_exec(
            "node",
            "--import",
            str(JS / "register.mjs"),
            str(JS / "web_client.mjs"),
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.strip() == b"READY", line + await proc.stderr.read()  # type: ignore[union-attr]
        await asyncio.sleep(0.5)
        for n in range(6):
            await sender.ok("chat:send", {"text": f"web {n}"})
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, stderr.decode()
        out = json.loads(stdout)
        assert out["seqs"] == [1, 2, 3, 4, 5, 6]  # what the page's store holds
        assert out["texts"][-1] == "web 5"
        assert out["batches"] >= 1, "the server coalesced and the page unpacked it"
    finally:
        await group.close()
