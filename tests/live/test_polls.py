"""Polls: moderators create, open and close; one vote per person; live tallies."""

from __future__ import annotations

import asyncio

from tests.live.support import Peers, Stage


async def test_a_poll_from_draft_to_closed_with_live_tallies(stage: Stage, peers: Peers) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    bob = await peers.join()
    created = (
        await mod.ok(
            "poll:create", {"question": "Which action line?", "options": ["C1", "C5", "C7"]}
        )
    )["poll"]
    assert created["state"] == "draft" and created["total"] == 0
    assert (await alice.ok("poll:list"))["polls"] == []  # drafts are for moderators
    option = created["options"][1]["id"]
    vote = {"poll_id": created["id"], "option_id": option}
    assert (await alice.error("poll:vote", vote))["code"] == "poll_not_open"

    opened = (await mod.ok("poll:open", {"poll_id": created["id"]}))["poll"]
    assert opened["state"] == "open" and opened["opened_at"]
    pushed = await alice.next("poll:updated")
    assert pushed[-1]["poll"]["id"] == created["id"]

    await alice.ok("poll:vote", vote)
    await bob.ok("poll:vote", {"poll_id": created["id"], "option_id": created["options"][0]["id"]})
    assert (await alice.error("poll:vote", vote))["code"] == "already_voted"
    await bob.wait(lambda: any(t["total"] == 2 for t in bob.events["poll:tally"]))
    tally = [t for t in bob.events["poll:tally"] if t["total"] == 2][-1]
    assert tally["counts"] == {
        str(created["options"][0]["id"]): 1,
        str(option): 1,
        str(created["options"][2]["id"]): 0,
    }

    listing = await alice.ok("poll:list")
    assert listing["my_votes"] == {str(created["id"]): option}
    assert listing["polls"][0]["total"] == 2

    closed = (await mod.ok("poll:close", {"poll_id": created["id"]}))["poll"]
    assert closed["state"] == "closed"
    carol = await peers.join()
    assert (await carol.error("poll:vote", vote))["code"] == "poll_not_open"
    assert (await mod.error("poll:close", {"poll_id": created["id"]}))["code"] == "invalid_state"


async def test_a_burst_of_votes_counts_one_per_person_and_tallies_are_throttled(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    poll = (
        await mod.ok(
            "poll:create", {"question": "Yes or no?", "options": ["Yes", "No"], "open": True}
        )
    )["poll"]
    voters = [await peers.join() for _ in range(8)]
    yes = poll["options"][0]["id"]
    acks = await asyncio.gather(
        *(
            v.call("poll:vote", {"poll_id": poll["id"], "option_id": yes})
            for v in voters
            for _ in range(2)
        )
    )
    assert sum(1 for a in acks if a["ok"]) == 8
    await mod.wait(lambda: any(t["total"] == 8 for t in mod.events["poll:tally"]))
    assert len(mod.events["poll:tally"]) < 8  # not one frame per vote


async def test_poll_payloads_are_validated_and_moderators_only(stage: Stage, peers: Peers) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    body = {"question": "Q?", "options": ["a", "b"]}
    assert (await alice.error("poll:create", body))["code"] == "forbidden"
    for bad in (
        {"question": "Q?", "options": ["only one"]},
        {"question": "Q?", "options": ["same", "Same"]},
        {"question": "Q?", "options": ["a", ""]},
        {"question": "", "options": ["a", "b"]},
        {"question": "Q?", "options": [str(i) for i in range(11)]},
    ):
        assert (await mod.error("poll:create", bad))["code"] == "invalid_payload"
    poll = (await mod.ok("poll:create", body | {"open": True}))["poll"]
    other = await stage.another_session()
    user = await stage.quick_user()
    elsewhere = await peers.new().connect(await stage.quick_token(user, session_id=other["id"]))
    vote = {"poll_id": poll["id"], "option_id": poll["options"][0]["id"]}
    assert (await elsewhere.error("poll:vote", vote))["code"] == "not_found"
    wrong_option = {"poll_id": poll["id"], "option_id": 999_999}
    assert (await alice.error("poll:vote", wrong_option))["code"] == "not_found"
