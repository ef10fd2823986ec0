"""Sign-ups to capacity-limited sessions: seats, the waitlist and automatic promotion."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from server.db.tables import Signup
from tests.api.helpers import count_rows, expect_error, ok_json


@pytest.fixture
async def prog(factory):
    return await factory.programme()


async def sign_up(client, session_id, user, status=201):
    return await ok_json(
        await client.post(f"/api/v1/sessions/{session_id}/signup", headers=user["headers"]),
        status,
    )


async def schedule_status(client, user, session_id):
    items = await ok_json(await client.get("/api/v1/me/schedule", headers=user["headers"]))
    return {i["session"]["id"]: i["signup"] for i in items}.get(session_id)


async def test_waitlist_and_promotion_on_cancel(factory, prog):
    c = factory.client
    s = await factory.session(prog, capacity=2)
    ann, bob, cyd, dee = [await factory.user() for _ in range(4)]

    assert await sign_up(c, s["id"], ann) == {
        "session_id": s["id"],
        "status": "confirmed",
        "waitlist_position": None,
        "promoted_user_ids": [],
    }
    assert (await sign_up(c, s["id"], bob))["status"] == "confirmed"
    third = await sign_up(c, s["id"], cyd)
    assert (third["status"], third["waitlist_position"]) == ("waitlisted", 1)
    fourth = await sign_up(c, s["id"], dee)
    assert (fourth["status"], fourth["waitlist_position"]) == ("waitlisted", 2)
    seen = await ok_json(await c.get(f"/api/v1/sessions/{s['id']}"))
    assert (seen["seats_taken"], seen["waitlisted"]) == (2, 2)
    assert await schedule_status(c, cyd, s["id"]) == "waitlisted"

    cancelled = await ok_json(
        await c.delete(f"/api/v1/sessions/{s['id']}/signup", headers=bob["headers"])
    )
    assert cancelled["status"] == "cancelled"
    assert cancelled["promoted_user_ids"] == [cyd["id"]]
    # The promotion is visible to the promoted person without doing anything.
    assert await schedule_status(c, cyd, s["id"]) == "confirmed"
    assert await schedule_status(c, bob, s["id"]) is None
    # Dee moved up the queue: signing up again tells her where she stands now.
    again = await sign_up(c, s["id"], dee)
    assert (again["status"], again["waitlist_position"]) == ("waitlisted", 1)
    seen = await ok_json(await c.get(f"/api/v1/sessions/{s['id']}"))
    assert (seen["seats_taken"], seen["waitlisted"]) == (2, 1)

    # Leaving the waitlist frees no seat and promotes nobody.
    gone = await ok_json(
        await c.delete(f"/api/v1/sessions/{s['id']}/signup", headers=dee["headers"])
    )
    assert gone["promoted_user_ids"] == []
    assert await count_rows(c, Signup, Signup.status == "confirmed") == 2
    assert await count_rows(c, Signup) == 2


async def test_sign_up_is_idempotent(factory, prog):
    c = factory.client
    s = await factory.session(prog, capacity=1)
    first, second = await factory.user(), await factory.user()
    assert (await sign_up(c, s["id"], first))["status"] == "confirmed"
    assert (await sign_up(c, s["id"], first))["status"] == "confirmed"
    assert (await sign_up(c, s["id"], second))["waitlist_position"] == 1
    assert (await sign_up(c, s["id"], second))["waitlist_position"] == 1
    assert await count_rows(c, Signup) == 2


async def test_raising_capacity_promotes_the_waitlist(factory, prog):
    c = factory.client
    s = await factory.session(prog, capacity=1)
    users = [await factory.user() for _ in range(4)]
    for u in users:
        await sign_up(c, s["id"], u)
    h = await factory.organiser_headers()
    bigger = await ok_json(
        await c.patch(f"/api/v1/sessions/{s['id']}", json={"capacity": 3}, headers=h)
    )
    assert (bigger["seats_taken"], bigger["waitlisted"]) == (3, 1)
    assert [await schedule_status(c, u, s["id"]) for u in users] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    # Lowering it does not throw anyone out.
    smaller = await ok_json(
        await c.patch(f"/api/v1/sessions/{s['id']}", json={"capacity": 1}, headers=h)
    )
    assert (smaller["seats_taken"], smaller["waitlisted"]) == (3, 1)
    # Unlimited seats everyone.
    unlimited = await ok_json(
        await c.patch(f"/api/v1/sessions/{s['id']}", json={"capacity": None}, headers=h)
    )
    assert (unlimited["seats_taken"], unlimited["waitlisted"]) == (4, 0)
    assert await schedule_status(c, users[3], s["id"]) == "confirmed"


async def test_unlimited_sessions_confirm_everyone(factory, prog):
    c = factory.client
    s = await factory.session(prog, capacity=None)
    for _ in range(3):
        assert (await sign_up(c, s["id"], await factory.user()))["status"] == "confirmed"


async def test_concurrent_sign_ups_never_overbook(factory, prog):
    c = factory.client
    s = await factory.session(prog, capacity=2)
    users = [await factory.user() for _ in range(6)]
    results = await asyncio.gather(*(sign_up(c, s["id"], u) for u in users))
    assert sorted(r["status"] for r in results) == ["confirmed"] * 2 + ["waitlisted"] * 4
    assert sorted(r["waitlist_position"] or 0 for r in results) == [0, 0, 1, 2, 3, 4]
    assert await count_rows(c, Signup, Signup.status == "confirmed") == 2


async def test_cancelled_or_ended_sessions_take_no_sign_ups(factory, prog):
    c = factory.client
    h = await factory.organiser_headers()
    s = await factory.session(prog)
    await ok_json(await c.post(f"/api/v1/sessions/{s['id']}/cancel", headers=h))
    user = await factory.user()
    error = await expect_error(
        await c.post(f"/api/v1/sessions/{s['id']}/signup", headers=user["headers"]),
        409,
        "session_closed",
    )
    assert error["details"] == {"state": "cancelled"}
    assert await count_rows(c, Signup) == 0


async def test_cancelling_without_a_sign_up_is_404(factory, prog):
    s = await factory.session(prog)
    user = await factory.user()
    await expect_error(
        await factory.client.delete(f"/api/v1/sessions/{s['id']}/signup", headers=user["headers"]),
        404,
        "not_signed_up",
    )


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        (timedelta(days=-30), timedelta(days=-1)),  # closed yesterday
        (timedelta(days=1), timedelta(days=30)),  # opens tomorrow
    ],
)
async def test_sign_up_outside_the_registration_window_is_403(factory, prog, opens, closes):
    c = factory.client
    now = datetime.now(UTC)
    await ok_json(
        await c.patch(
            f"/api/v1/events/{prog['event']['id']}",
            json={
                "registration_opens_at": (now + opens).isoformat(),
                "registration_closes_at": (now + closes).isoformat(),
            },
            headers=await factory.organiser_headers(),
        )
    )
    s = await factory.session(prog)
    user = await factory.user()
    error = await expect_error(
        await c.post(f"/api/v1/sessions/{s['id']}/signup", headers=user["headers"]),
        403,
        "registration_closed",
    )
    assert set(error["details"]) == {"opens_at", "closes_at"}
    assert await count_rows(c, Signup) == 0


async def test_sign_up_inside_the_registration_window(factory, prog):
    now = datetime.now(UTC)
    await ok_json(
        await factory.client.patch(
            f"/api/v1/events/{prog['event']['id']}",
            json={
                "registration_opens_at": (now - timedelta(days=1)).isoformat(),
                "registration_closes_at": (now + timedelta(days=1)).isoformat(),
            },
            headers=await factory.organiser_headers(),
        )
    )
    s = await factory.session(prog)
    assert (await sign_up(factory.client, s["id"], await factory.user()))["status"] == "confirmed"
