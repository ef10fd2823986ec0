"""Hand raising: moderators see a queue; a grant makes the person a speaker, with tokens."""

from __future__ import annotations

from livekit.api import TokenVerifier
from sqlalchemy import update

from server.appkeys import db_key
from server.db.tables import Room
from server.tokens.join import verify_join_token
from tests.live.support import Peers, Stage

LIVEKIT = {
    "provider": "livekit",
    "url": "wss://livekit.example.org",
    "api_key": "APIforumlive",
    "api_secret": "livekit-secret-0123456789abcdef-32b",
}


async def test_raised_hands_queue_for_moderators_and_lowering_leaves_it(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    alice = await peers.join(name="Alice")
    bob = await peers.join(name="Bob")
    assert (await alice.ok("hand:raise"))["state"] == "raised"
    assert (await bob.ok("hand:raise"))["state"] == "raised"
    queues = await mod.next("hand:queue", 2)
    assert [h["name"] for h in queues[-1]["hands"]] == ["Alice", "Bob"]
    assert "hand:queue" not in alice.events  # the queue is for moderators
    await alice.ok("hand:lower")
    await mod.next("hand:queue", 3)
    listing = await mod.ok("hand:list")
    assert [h["public_id"] for h in listing["hands"]] == [bob.user["public_id"]]
    assert (await alice.error("hand:list"))["code"] == "forbidden"


async def test_granting_the_floor_makes_a_speaker_with_new_join_and_media_tokens(
    stage: Stage, peers: Peers
) -> None:
    async with stage.client.app[db_key].write() as s:
        await s.execute(
            update(Room).where(Room.id == stage.prog["rooms"][0]["id"]).values(stream=LIVEKIT)
        )
    mod = await peers.moderator()
    alice = await peers.join(name="Alice")
    await alice.ok("hand:raise")
    ack = await mod.ok("hand:grant", {"public_id": alice.user["public_id"]})
    assert ack["role"] == "speaker"
    [granted] = await alice.next("hand:granted")
    assert granted["session_id"] == stage.sid and granted["role"] == "speaker"
    claims = await verify_join_token(stage.client.app, granted["token"], stage.sid)
    assert (claims.sub, claims.role) == (alice.user["public_id"], "speaker")
    media = granted["media"]
    assert media["provider"] == "livekit" and media["role"] == "speaker"
    verified = TokenVerifier(LIVEKIT["api_key"], LIVEKIT["api_secret"]).verify(media["token"])
    assert verified.video.can_publish is True
    queue = (await mod.ok("hand:list"))["hands"]
    assert queue[0]["state"] == "granted"
    # The person now speaks as a speaker in the room, too.
    await alice.ok("chat:send", {"text": "thank you"})
    [message] = await mod.next("chat:message")
    assert message["author"]["role"] == "speaker"
    roster = (await mod.ok("presence:roster"))["people"]
    assert {p["public_id"]: p["role"] for p in roster}[alice.user["public_id"]] == "speaker"
    # The new token admits them as a speaker.
    again = await peers.new().connect(granted["token"])
    assert again.welcome["you"]["role"] == "speaker"


async def test_a_dismissed_hand_is_told_and_gone(stage: Stage, peers: Peers) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    await alice.ok("hand:raise")
    await mod.ok("hand:dismiss", {"public_id": alice.user["public_id"]})
    [dismissed] = await alice.next("hand:dismissed")
    assert dismissed == {"session_id": stage.sid}
    assert (await mod.ok("hand:list"))["hands"] == []
    missing = await mod.error("hand:grant", {"public_id": alice.user["public_id"]})
    assert missing["code"] == "not_found"
    assert (await alice.error("hand:grant", {"public_id": "x"}))["code"] == "forbidden"
