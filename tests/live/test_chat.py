"""Chat: plain text, sequence numbers, history, durability, lock and slow mode."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from server.appkeys import live_key
from server.db.tables_live import ChatMessage
from tests.live.support import Peers, Stage

XSS = "<script>alert(1)</script><img src=x onerror=alert('x')> &amp; &lt;b&gt; \"quoted\" {{7*7}}"


async def test_a_message_reaches_everyone_in_the_room_with_author_and_seq(
    stage: Stage, peers: Peers
) -> None:
    alice = await peers.join(name="Alice")
    bob = await peers.join(name="Bob")
    ack = await alice.ok("chat:send", {"text": "Good morning, Geneva"})
    assert ack["seq"] == 1 and ack["at"].endswith("Z")
    for peer in (alice, bob):
        [message] = await peer.next("chat:message")
        assert message == {
            "seq": 1,
            "text": "Good morning, Geneva",
            "author": {
                "public_id": alice.user["public_id"],
                "name": "Alice",
                "role": "participant",
            },
            "at": ack["at"],
        }


async def test_html_is_stored_and_echoed_as_the_exact_plain_text(
    stage: Stage, peers: Peers
) -> None:
    alice = await peers.join()
    bob = await peers.join()
    ack = await alice.ok("chat:send", {"text": XSS})
    [echo] = await bob.next("chat:message")
    assert echo["text"] == XSS  # no escaping, no stripping: the client renders text nodes
    async with stage.client.app[live_key].db.read() as s:
        stored = await s.scalar(select(ChatMessage.text).where(ChatMessage.seq == ack["seq"]))
    assert stored == XSS
    late = await peers.join()
    assert late.welcome["chat"]["messages"][0]["text"] == XSS


async def test_text_is_trimmed_and_control_characters_removed(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    raw = "\t  hello\x00\x07 \u202eworld\u202c\r\nsecond line\x1b[31m  \n\n\n\nthird  "
    await alice.ok("chat:send", {"text": raw})
    [message] = await alice.next("chat:message")
    assert message["text"] == "hello world\nsecond line[31m\n\nthird"
    emoji = "family 👨‍👩‍👧 ok"  # zero-width joiners inside emoji survive
    await alice.ok("chat:send", {"text": emoji})
    messages = await alice.next("chat:message", 2)
    assert messages[1]["text"] == emoji


async def test_empty_and_too_long_messages_are_refused(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    assert (await alice.error("chat:send", {"text": " \n\x00\t "}))["code"] == "empty"
    assert (await alice.error("chat:send", {"text": "x" * 2001}))["code"] == "too_long"
    assert (await alice.ok("chat:send", {"text": "x" * 2000}))["seq"] == 1
    # Surrounding blanks do not count against the limit.
    assert (await alice.ok("chat:send", {"text": "  " + "y" * 2000 + "  "}))["seq"] == 2


async def test_sequence_numbers_are_unique_and_increasing_under_concurrency(
    stage: Stage, peers: Peers
) -> None:
    senders = [await peers.join() for _ in range(5)]
    watcher = await peers.join()
    acks = await asyncio.gather(
        *(p.ok("chat:send", {"text": f"{i}-{n}"}) for i, p in enumerate(senders) for n in range(8))
    )
    seqs = sorted(a["seq"] for a in acks)
    assert seqs == list(range(1, 41))
    received = await watcher.next("chat:message", 40)
    assert [m["seq"] for m in received] == list(range(1, 41))  # in order, one node


async def test_history_on_join_is_the_last_100_messages(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    for n in range(105):
        await alice.ok("chat:send", {"text": f"message {n}"})
    late = await peers.join()
    chat = late.welcome["chat"]
    assert chat["recovered"] is False
    assert [m["seq"] for m in chat["messages"]] == list(range(6, 106))
    assert chat["last_seq"] == 105


async def test_an_acknowledged_message_is_already_in_the_database(
    stage: Stage, peers: Peers, database_url: str
) -> None:
    alice = await peers.join()
    engine = create_async_engine(database_url)  # another connection: sees committed rows only
    try:
        for n in range(5):
            ack = await alice.ok("chat:send", {"text": f"durable {n}"})
            async with engine.connect() as conn:
                text = await conn.scalar(
                    select(ChatMessage.text).where(
                        ChatMessage.session_id == stage.sid, ChatMessage.seq == ack["seq"]
                    )
                )
            assert text == f"durable {n}"
    finally:
        await engine.dispose()


async def test_concurrent_messages_are_written_in_few_batches(stage: Stage, peers: Peers) -> None:
    senders = [await peers.join() for _ in range(10)]
    writer = stage.client.app[live_key].writer
    before = writer.stats.batches
    await asyncio.gather(*(p.ok("chat:send", {"text": "burst"}) for p in senders for _ in range(3)))
    batches = writer.stats.batches - before
    assert 1 <= batches < 30  # not one transaction per message


async def test_a_locked_chat_refuses_participants_but_not_moderators(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    ack = await mod.ok("mod:lock", {"locked": True})
    assert ack["settings"]["locked"] is True
    settings = await alice.next("room:settings")
    assert settings[-1]["locked"] is True
    assert (await alice.error("chat:send", {"text": "hello?"}))["code"] == "chat_locked"
    await mod.ok("chat:send", {"text": "moderators may speak"})
    await mod.ok("mod:lock", {"locked": False})
    await alice.next("room:settings", 2)
    await alice.ok("chat:send", {"text": "thanks"})


async def test_slow_mode_spaces_a_persons_messages(stage: Stage, peers: Peers) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    bob = await peers.join()
    await mod.ok("mod:slow_mode", {"seconds": 2})
    await alice.next("room:settings")
    await alice.ok("chat:send", {"text": "one"})
    error = await alice.error("chat:send", {"text": "two"})
    assert error["code"] == "slow_mode"
    assert 0 < error["retry_after_ms"] <= 2000
    await bob.ok("chat:send", {"text": "bob is not slowed by alice"})
    await mod.ok("chat:send", {"text": "moderators are exempt"})
    await mod.ok("chat:send", {"text": "twice"})
    await asyncio.sleep(error["retry_after_ms"] / 1000 + 0.05)
    await alice.ok("chat:send", {"text": "two, later"})
    late = await peers.join()
    assert late.welcome["settings"]["slow_mode_seconds"] == 2
