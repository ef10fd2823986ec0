"""Presence: a pushed count for everyone, a roster (no emails) for moderators."""

from __future__ import annotations

from tests.live.support import Peers, Stage


def last_count(peer: object) -> int | None:
    counts = peer.events["presence:count"]  # type: ignore[attr-defined]
    return counts[-1]["count"] if counts else None


async def test_the_count_follows_people_in_and_out(stage: Stage, peers: Peers) -> None:
    alice = await peers.join()
    await alice.wait(lambda: last_count(alice) == 1)
    bob_user = await stage.quick_user()
    bob = await peers.join(bob_user)
    await alice.wait(lambda: last_count(alice) == 2)
    assert bob.welcome["presence"]["count"] == 2
    second_tab = await peers.join(bob_user)  # one person, two tabs: still two people
    assert second_tab.welcome["presence"]["count"] == 2
    await bob.close()
    await second_tab.close()
    await alice.wait(lambda: last_count(alice) == 1)


async def test_moderators_get_the_roster_and_participants_do_not(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    alice = await peers.join(name="Alice")
    await peers.join(name="Bob", role=None)
    await mod.wait(lambda: any(r["count"] == 3 for r in mod.events["presence:roster"]), timeout=5)
    roster = [r for r in mod.events["presence:roster"] if r["count"] == 3][-1]
    names = {p["name"]: p for p in roster["people"]}
    assert set(names) == {"Alice", "Bob", "Mona Moderator"}
    assert names["Alice"] == {
        "public_id": alice.user["public_id"],
        "name": "Alice",
        "role": "participant",
    }
    assert names["Mona Moderator"]["role"] == "moderator"
    asked = await mod.ok("presence:roster")
    assert asked["count"] == 3
    assert "@" not in str(asked) and "email" not in str(asked)
    assert "presence:roster" not in alice.events
