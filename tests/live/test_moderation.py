"""Moderation: delete, mute, ban, pin — for everyone at once, and every action audited."""

from __future__ import annotations

import pytest
import socketio
from sqlalchemy import select

from server.appkeys import db_key
from server.db.tables_live import ChatMessage, ModerationAction
from server.tokens.rules import JoinRefused
from tests.live.support import Peers, Stage


async def test_a_deleted_message_disappears_for_everyone_and_from_history(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    bob = await peers.join()
    for text in ("fine", "abusive", "fine too"):
        await alice.ok("chat:send", {"text": text})
    await bob.next("chat:message", 3)
    assert (await mod.ok("mod:delete", {"seq": 2}))["seq"] == 2
    for peer in (alice, bob, mod):
        assert (await peer.next("chat:deleted"))[-1] == {"seq": 2}
    late = await peers.join()
    assert [m["text"] for m in late.welcome["chat"]["messages"]] == ["fine", "fine too"]
    assert (await mod.error("mod:delete", {"seq": 2}))["code"] == "not_found"
    async with stage.client.app[db_key].read() as s:
        row = await s.scalar(select(ChatMessage).where(ChatMessage.seq == 2))
        assert row is not None and row.deleted_at is not None
        assert row.deleted_by == stage.moderator["id"]


async def test_a_muted_person_cannot_post_until_unmuted(stage: Stage, peers: Peers) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    ack = await mod.ok(
        "mod:mute", {"public_id": alice.user["public_id"], "minutes": 10, "reason": "calm down"}
    )
    [muted] = await alice.next("chat:muted")
    assert muted == {"until": ack["until"], "reason": "calm down"}
    error = await alice.error("chat:send", {"text": "but"})
    assert error["code"] == "muted" and error["until"] == ack["until"]
    assert (await alice.error("qa:ask", {"text": "but?"}))["code"] == "muted"
    # A reconnect does not shake it off: the mute is stored.
    again = await peers.join(alice.user)
    assert again.welcome["muted_until"] == ack["until"]
    assert (await again.error("chat:send", {"text": "now?"}))["code"] == "muted"
    await mod.ok("mod:unmute", {"public_id": alice.user["public_id"]})
    await alice.next("chat:unmuted")
    await alice.ok("chat:send", {"text": "thanks"})


async def test_a_banned_person_is_disconnected_everywhere_and_cannot_come_back(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    troll = await stage.quick_user("Troll")
    tab1 = await peers.join(troll)
    tab2 = await peers.join(troll)
    bystander = await peers.join()
    await mod.ok("mod:ban", {"public_id": troll["public_id"], "reason": "spam"})
    for tab in (tab1, tab2):
        [kicked] = await tab.next("room:kicked")
        assert kicked["code"] == "banned"
        await tab.disconnected.wait()
    retry = peers.new()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await retry.connect(tab1.token, wait_welcome=False)
    assert retry.connect_error["data"]["code"] == "banned"
    with pytest.raises(JoinRefused) as refusal:  # and no new token either
        await stage.quick_token(troll)
    assert refusal.value.code == "banned"
    await bystander.ok("chat:send", {"text": "peace at last"})


async def test_moderators_cannot_be_muted_or_banned_and_participants_cannot_moderate(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    target = {"public_id": stage.moderator["public_id"]}
    assert (await mod.error("mod:mute", target | {"minutes": 5}))["code"] == "invalid_target"
    assert (await mod.error("mod:ban", target))["code"] == "invalid_target"
    assert (await mod.error("mod:mute", {"public_id": "nobody", "minutes": 5}))["code"] == (
        "not_found"
    )
    for event, body in (
        ("mod:delete", {"seq": 1}),
        ("mod:mute", {"public_id": mod.user["public_id"], "minutes": 5}),
        ("mod:ban", {"public_id": mod.user["public_id"]}),
        ("mod:pin", {"seq": 1}),
        ("mod:slow_mode", {"seconds": 5}),
        ("mod:lock", {"locked": True}),
        ("mod:audit", {}),
        ("presence:roster", {}),
    ):
        assert (await alice.error(event, body))["code"] == "forbidden", event


async def test_a_pinned_message_is_shown_to_everyone_and_to_newcomers(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    await mod.ok("chat:send", {"text": "Slides: https://example.org/slides"})
    ack = await mod.ok("mod:pin", {"seq": 1})
    assert ack["settings"]["pinned"]["text"] == "Slides: https://example.org/slides"
    assert (await alice.next("room:settings"))[-1]["pinned"]["seq"] == 1
    late = await peers.join()
    assert late.welcome["settings"]["pinned"]["seq"] == 1
    await mod.ok("mod:delete", {"seq": 1})  # deleting a pinned message unpins it
    await alice.wait(lambda: alice.events["room:settings"][-1]["pinned"] is None)
    assert (await mod.error("mod:pin", {"seq": 1}))["code"] == "not_found"


async def test_every_moderator_action_is_audited(stage: Stage, peers: Peers) -> None:
    mod = await peers.moderator()
    second = await peers.moderator()
    alice = await peers.join()
    await alice.ok("chat:send", {"text": "hello"})
    q = (await alice.ok("qa:ask", {"text": "Q"}))["question"]
    await alice.ok("hand:raise")
    await mod.ok("mod:pin", {"seq": 1})
    await mod.ok("mod:unpin")
    await mod.ok("mod:slow_mode", {"seconds": 3})
    await mod.ok("mod:lock", {"locked": True})
    await mod.ok("mod:mute", {"public_id": alice.user["public_id"], "minutes": 1})
    await mod.ok("mod:unmute", {"public_id": alice.user["public_id"]})
    await mod.ok("qa:answer", {"question_id": q["id"]})
    await mod.ok("qa:pin", {"question_id": q["id"], "pinned": True})
    await mod.ok("qa:dismiss", {"question_id": q["id"]})
    poll = (await mod.ok("poll:create", {"question": "P?", "options": ["a", "b"]}))["poll"]
    await mod.ok("poll:open", {"poll_id": poll["id"]})
    await mod.ok("poll:close", {"poll_id": poll["id"]})
    await mod.ok("hand:grant", {"public_id": alice.user["public_id"]})
    await mod.ok("mod:delete", {"seq": 1})
    await mod.ok("mod:ban", {"public_id": alice.user["public_id"], "minutes": 30})
    expected = [
        "pin", "unpin", "slow_mode", "lock", "mute", "unmute", "qa_answer", "qa_pin",
        "qa_dismiss", "poll_create", "poll_open", "poll_close", "hand_grant", "chat_delete", "ban",
    ]  # fmt: skip
    log = (await mod.ok("mod:audit", {"limit": 100}))["actions"]
    assert [a["action"] for a in reversed(log)] == expected
    assert all(a["actor"]["public_id"] == stage.moderator["public_id"] for a in log)
    assert log[0]["target_public_id"] == alice.user["public_id"] and log[0]["details"]["until"]
    assert log[1]["details"]["text"] == "hello"  # what was deleted stays reviewable
    async with stage.client.app[db_key].read() as s:
        rows = list(await s.scalars(select(ModerationAction.action)))
    assert sorted(rows) == sorted(expected)
    # The other moderator watched it happen.
    await second.wait(lambda: len(second.events["mod:action"]) >= len(expected))
