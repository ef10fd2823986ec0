"""Moderator controls and programme changes re-plan at once, are recorded and pushed.

In process (the app with its embedded scheduler), on the suite's database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from scheduler.service import SchedulerService
from server.names import EV_AGENDA_CHANGED, EV_SESSION_STATE
from tests.api.helpers import expect_error
from tests.factories import Factory
from tests.scheduler.support import Listener, eventually, iso, utcnow


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def moderator_of(factory: Factory, prog: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A participant account linked to a programme person who moderates sessions."""
    user = await factory.user("participant")
    person = await factory.post(
        "/api/v1/people",
        {
            "name": "Moderator",
            "organisation": "ITU",
            "country": "CH",
            "stakeholder_group": "international_organisation",
            "user_id": user["id"],
        },
    )
    return user, person["id"]


async def session_in(
    factory: Factory, prog: dict[str, Any], start_min: float, minutes: float, **fields: Any
) -> dict[str, Any]:
    start = utcnow() + timedelta(minutes=start_min)
    return await factory.session(
        prog, start=iso(start), end=iso(start + timedelta(minutes=minutes)), **fields
    )


async def listen(factory: Factory) -> Listener:
    return await Listener().connect(str(factory.client.make_url("")).rstrip("/"))


async def post(factory: Factory, path: str, headers: dict[str, str], body: Any = None) -> Any:
    r = await factory.client.post(path, json=body, headers=headers)
    assert r.status == 200, await r.text()
    return await r.json()


async def test_start_early_goes_live_now_keeps_the_programme_start_and_replans(
    sched_factory: Factory, live_programme: dict[str, Any], sched: SchedulerService
) -> None:
    f = sched_factory
    user, person = await moderator_of(f, live_programme)
    s = await session_in(f, live_programme, 10, 60, moderator_ids=[person])
    sid = s["id"]
    assert sched.planner.jobs() == {
        f"session:{sid}:lobby": ts(s["start_utc"]) - timedelta(seconds=2)
    }
    listener = await listen(f)
    try:
        body = await post(f, f"/api/v1/sessions/{sid}/start-early", user["headers"])
        await eventually(lambda: listener.of(EV_SESSION_STATE, sid), 5, "the push")
        await eventually(lambda: listener.of(EV_AGENDA_CHANGED, sid), 5, "the agenda push")
    finally:
        await listener.close()
    t = body["transition"]
    assert (t["from"], t["to"], t["cause"], t["action"]) == (
        "scheduled",
        "live",
        "moderator",
        "start_early",
    )
    assert t["by"] == {"public_id": user["public_id"], "name": user["name"]}
    assert body["session"]["state"] == "live"
    assert body["session"]["start_utc"] == s["start_utc"]  # the programme start stands
    assert t["detail"] == {"programme_start": s["start_utc"]}
    # The lobby and live timers are gone; the end is what comes next.
    assert sched.planner.jobs() == {f"session:{sid}:ended": ts(s["end_utc"])}
    pushed = listener.of(EV_SESSION_STATE, sid)[0]
    assert (pushed["from"], pushed["to"], pushed["cause"]) == ("scheduled", "live", "moderator")
    assert listener.of(EV_AGENDA_CHANGED, sid)[0]["session"]["state"] == "live"

    r = await f.client.post(f"/api/v1/sessions/{sid}/start-early", headers=user["headers"])
    await expect_error(r, 409, "invalid_state")


async def test_extend_moves_the_end_bumps_the_version_replans_and_pushes_the_new_end(
    sched_factory: Factory, live_programme: dict[str, Any], sched: SchedulerService
) -> None:
    f = sched_factory
    org = await f.organiser_headers()
    s = await session_in(f, live_programme, 10, 60)
    nxt = await session_in(f, live_programme, 80, 30)  # same room, 10 minutes after s ends
    sid = s["id"]
    await post(f, f"/api/v1/sessions/{sid}/start-early", org)
    old_end = ts(s["end_utc"])
    listener = await listen(f)
    try:
        body = await post(f, f"/api/v1/sessions/{sid}/extend", org, {"minutes": 10})
        await eventually(lambda: listener.of(EV_SESSION_STATE, sid), 5, "the push")
    finally:
        await listener.close()
    new_end = old_end + timedelta(minutes=10)
    assert ts(body["session"]["end_utc"]) == new_end
    t = body["transition"]
    assert (t["from"], t["to"], t["action"]) == ("live", "live", "extend")
    assert t["detail"]["minutes"] == 10
    assert sched.planner.jobs()[f"session:{sid}:ended"] == new_end
    pushed = listener.of(EV_SESSION_STATE, sid)[0]
    assert pushed["action"] == "extend" and ts(pushed["end_utc"]) == new_end

    # One minute more would run into the next session in the room: refused, nothing moved.
    r = await f.client.post(f"/api/v1/sessions/{sid}/extend", json={"minutes": 1}, headers=org)
    error = await expect_error(r, 409, "conflict")
    assert nxt["id"] in error["details"]["conflicts"][0]["session_ids"]
    assert sched.planner.jobs()[f"session:{sid}:ended"] == new_end
    r = await f.client.post(f"/api/v1/sessions/{sid}/extend", json={"minutes": 0}, headers=org)
    await expect_error(r, 422, "validation_error")


async def test_end_now_ends_the_session_and_leaves_no_timer(
    sched_factory: Factory, live_programme: dict[str, Any], sched: SchedulerService
) -> None:
    f = sched_factory
    org = await f.organiser_headers()
    s = await session_in(f, live_programme, 10, 60)
    sid = s["id"]
    r = await f.client.post(f"/api/v1/sessions/{sid}/end-now", headers=org)
    await expect_error(r, 409, "invalid_state")  # only a live session can be ended
    await post(f, f"/api/v1/sessions/{sid}/start-early", org)
    before = utcnow()
    body = await post(f, f"/api/v1/sessions/{sid}/end-now", org)
    assert body["session"]["state"] == "ended"
    assert before <= ts(body["session"]["end_utc"]) <= utcnow()
    # Started early and ended before the programme start: the start becomes the actual one.
    history = await f.client.get(f"/api/v1/sessions/{sid}/transitions", headers=org)
    rows = await history.json()
    assert [(x["from"], x["to"], x["action"]) for x in rows] == [
        ("scheduled", "live", "start_early"),
        ("live", "ended", "end_now"),
    ]
    assert body["session"]["start_utc"] == rows[0]["at"].replace("+00:00", "Z")
    assert rows[1]["detail"]["programme_start"] == s["start_utc"]
    assert not [j for j in sched.planner.jobs() if j.startswith(f"session:{sid}:")]


async def test_programme_changes_replan_at_once(
    sched_factory: Factory, live_programme: dict[str, Any], sched: SchedulerService
) -> None:
    f = sched_factory
    org = await f.organiser_headers()
    s = await session_in(f, live_programme, 10, 60)
    sid = s["id"]
    lobby = f"session:{sid}:lobby"
    listener = await listen(f)
    try:
        # Move: the lobby timer follows the new start.
        later = ts(s["start_utc"]) + timedelta(minutes=30)
        r = await f.client.patch(f"/api/v1/sessions/{sid}", json={"start": iso(later)}, headers=org)
        assert r.status == 200, await r.text()
        assert sched.planner.jobs()[lobby] == later - timedelta(seconds=2)
        # Move into the past: caught up at once, through every missed state.
        r = await f.client.patch(
            f"/api/v1/sessions/{sid}",
            json={"start": iso(utcnow() - timedelta(minutes=1))},
            headers=org,
        )
        assert r.status == 200, await r.text()
        assert (await (await f.client.get(f"/api/v1/sessions/{sid}")).json())["state"] == "live"
        assert list(sched.planner.jobs()) == [f"session:{sid}:ended"]
        # Cancel: no timer left, and clients hear of it.
        r = await f.client.post(f"/api/v1/sessions/{sid}/cancel", headers=org)
        assert r.status == 200, await r.text()
        assert sched.planner.jobs() == {}
        await eventually(
            lambda: [d for d in listener.of(EV_AGENDA_CHANGED, sid) if d["kind"] == "cancelled"],
            5,
            "the cancellation push",
        )
        # Delete: the same for a session that had timers.
        other = await session_in(
            f, live_programme, 20, 30, room_id=live_programme["rooms"][1]["id"]
        )
        assert f"session:{other['id']}:lobby" in sched.planner.jobs()
        r = await f.client.delete(f"/api/v1/sessions/{other['id']}", headers=org)
        assert r.status == 204
        assert sched.planner.jobs() == {}
    finally:
        await listener.close()
    states = [(d["from"], d["to"], d["cause"]) for d in listener.of(EV_SESSION_STATE, sid)]
    assert states == [("scheduled", "lobby", "catch-up"), ("lobby", "live", "catch-up")]


async def test_only_organisers_and_the_sessions_moderators_may_act(
    sched_factory: Factory, live_programme: dict[str, Any]
) -> None:
    f = sched_factory
    moderator, person = await moderator_of(f, live_programme)
    s = await session_in(f, live_programme, 10, 60, moderator_ids=[person])
    other = await session_in(f, live_programme, 10, 60, room_id=live_programme["rooms"][1]["id"])
    participant = await f.user("participant")
    site_moderator = await f.user("moderator")  # a moderator role, but not of this session
    for path in ("start-early", "end-now", "transitions"):
        method = f.client.get if path == "transitions" else f.client.post
        url = f"/api/v1/sessions/{s['id']}/{path}"
        await expect_error(await method(url), 401, "unauthorized")
        for who in (participant, site_moderator):
            await expect_error(await method(url, headers=who["headers"]), 403, "not_moderator")
        await expect_error(
            await method(f"/api/v1/sessions/99999/{path}", headers=moderator["headers"]),
            404,
            "not_found",
        )
    # The session's own moderator may, but not on a session they do not moderate.
    r = await f.client.post(
        f"/api/v1/sessions/{other['id']}/start-early", headers=moderator["headers"]
    )
    await expect_error(r, 403, "not_moderator")
    await post(f, f"/api/v1/sessions/{s['id']}/start-early", moderator["headers"])
    r = await f.client.get(f"/api/v1/sessions/{s['id']}/transitions", headers=moderator["headers"])
    assert [x["by"]["public_id"] for x in await r.json()] == [moderator["public_id"]]
