"""Q&A: ask, upvote once, moderators answer, dismiss and pin; sorted by votes."""

from __future__ import annotations

import asyncio

from tests.live.support import Peers, Stage


async def test_questions_are_asked_upvoted_once_and_listed_by_votes(
    stage: Stage, peers: Peers
) -> None:
    alice = await peers.join(name="Alice")
    bob = await peers.join(name="Bob")
    carol = await peers.join(name="Carol")
    q1 = (await alice.ok("qa:ask", {"text": "  What about <b>C5</b>?  "}))["question"]
    assert q1["text"] == "What about <b>C5</b>?"
    assert q1["author"] == {"public_id": alice.user["public_id"], "name": "Alice"}
    assert (q1["votes"], q1["state"], q1["pinned"]) == (0, "open", False)
    q2 = (await bob.ok("qa:ask", {"text": "And SDG 4?"}))["question"]
    pushed = await carol.next("qa:question", 2)
    assert [p["question"]["id"] for p in pushed] == [q1["id"], q2["id"]]

    voted = await carol.ok("qa:upvote", {"question_id": q2["id"]})
    assert voted["question"]["votes"] == 1
    await alice.ok("qa:upvote", {"question_id": q2["id"]})
    again = await carol.error("qa:upvote", {"question_id": q2["id"]})
    assert again["code"] == "already_voted"
    await bob.wait(lambda: any(p["question"]["votes"] == 2 for p in bob.events["qa:question"]))

    listing = await carol.ok("qa:list")
    assert [q["id"] for q in listing["questions"]] == [q2["id"], q1["id"]]
    assert [q["votes"] for q in listing["questions"]] == [2, 0]
    assert listing["voted"] == [q2["id"]]


async def test_concurrent_upvotes_count_once_per_person(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    voters = [await peers.join() for _ in range(6)]
    q = (await alice.ok("qa:ask", {"text": "Popular?"}))["question"]
    acks = await asyncio.gather(
        *(v.call("qa:upvote", {"question_id": q["id"]}) for v in voters for _ in range(3))
    )
    assert sum(1 for a in acks if a["ok"]) == 6
    assert {a["error"]["code"] for a in acks if not a["ok"]} == {"already_voted"}
    listing = await alice.ok("qa:list")
    assert listing["questions"][0]["votes"] == 6


async def test_moderators_answer_pin_and_dismiss(stage: Stage, peers: Peers) -> None:
    mod = await peers.moderator()
    alice = await peers.join()
    q1 = (await alice.ok("qa:ask", {"text": "First"}))["question"]
    q2 = (await alice.ok("qa:ask", {"text": "Second"}))["question"]
    q3 = (await alice.ok("qa:ask", {"text": "Off topic"}))["question"]
    await mod.ok("qa:upvote", {"question_id": q1["id"]})

    answered = (await mod.ok("qa:answer", {"question_id": q1["id"], "answer": "Yes."}))["question"]
    assert (answered["state"], answered["answer"]) == ("answered", "Yes.")
    assert answered["v"] > q1["v"]
    pinned = (await mod.ok("qa:pin", {"question_id": q2["id"], "pinned": True}))["question"]
    assert pinned["pinned"] is True
    await mod.ok("qa:dismiss", {"question_id": q3["id"]})
    await alice.wait(
        lambda: any(p["question"]["state"] == "dismissed" for p in alice.events["qa:question"])
    )

    listing = await alice.ok("qa:list")
    assert [q["id"] for q in listing["questions"]] == [q2["id"], q1["id"]]  # pinned first
    everything = await mod.ok("qa:list", {"include_dismissed": True})
    assert {q["id"] for q in everything["questions"]} == {q1["id"], q2["id"], q3["id"]}
    assert (await alice.error("qa:upvote", {"question_id": q3["id"]}))["code"] == "not_found"


async def test_participants_cannot_moderate_questions(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    q = (await alice.ok("qa:ask", {"text": "Mine"}))["question"]
    for event, body in (
        ("qa:answer", {"question_id": q["id"]}),
        ("qa:dismiss", {"question_id": q["id"]}),
        ("qa:pin", {"question_id": q["id"], "pinned": True}),
    ):
        assert (await alice.error(event, body))["code"] == "forbidden"


async def test_a_question_of_another_room_is_not_found(stage: Stage, peers: Peers) -> None:
    other = await stage.another_session()
    user = await stage.quick_user()
    elsewhere = await peers.new().connect(await stage.quick_token(user, session_id=other["id"]))
    q = (await elsewhere.ok("qa:ask", {"text": "Side stage question"}))["question"]
    alice = await peers.join()
    assert (await alice.error("qa:upvote", {"question_id": q["id"]}))["code"] == "not_found"
    assert (await alice.ok("qa:list"))["questions"] == []
