"""Timers derived from the table, with a fixed clock: due times, DST, rebuild, resync."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import update

from scheduler.service import SchedulerService
from server.appkeys import db_key, pusher_key
from server.db.tables import Session
from server.settings import Settings
from tests.factories import Factory


def fixed(t: datetime):
    return lambda: t


def service_at(client: TestClient, settings: Settings, now: datetime) -> SchedulerService:
    """A scheduler whose clock stands still at ``now`` (its timers never fire in the test)."""
    return SchedulerService(
        db=client.app[db_key],
        pusher=client.app[pusher_key],
        settings=settings.model_copy(update={"reminder_minutes": 15, "lobby_lead_minutes": 15}),
        clock=fixed(now),
    )


async def test_dst_planner_due_times_follow_geneva_summer_and_winter_time(
    factory: Factory, settings: Settings
) -> None:
    prog = await factory.programme()  # Europe/Geneva; local times without an offset
    summer = await factory.session(prog, start="2021-03-30T14:00:00", duration_min=60)
    winter = await factory.session(prog, start="2021-03-10T14:00:00", duration_min=60)
    # Winter time (UTC+1): the lobby opens at 12:45 UTC; the summer session is weeks away,
    # beyond the planning horizon, so it has no timer yet.
    svc = service_at(factory.client, settings, datetime(2021, 3, 10, 9, 0, tzinfo=UTC))
    svc.aps.start(paused=True)
    try:
        report = await svc.planner.rebuild()
        assert (report.sessions, report.jobs, report.deferred) == (2, 2, 1)
        assert svc.planner.jobs() == {
            f"session:{winter['id']}:lobby": datetime(2021, 3, 10, 12, 45, tzinfo=UTC),
            f"reminder:{winter['id']}": datetime(2021, 3, 10, 12, 45, tzinfo=UTC),
        }
    finally:
        svc.aps.shutdown(wait=False)

    async with factory.client.app[db_key].write() as s:
        await s.execute(update(Session).where(Session.id == winter["id"]).values(state="ended"))
    # Summer time (UTC+2, since 28 March): 14:00 in Geneva is 12:00 UTC.
    svc = service_at(factory.client, settings, datetime(2021, 3, 30, 9, 0, tzinfo=UTC))
    svc.aps.start(paused=True)
    try:
        await svc.planner.rebuild()
        assert svc.planner.jobs() == {
            f"session:{summer['id']}:lobby": datetime(2021, 3, 30, 11, 45, tzinfo=UTC),
            f"reminder:{summer['id']}": datetime(2021, 3, 30, 11, 45, tzinfo=UTC),
        }
    finally:
        svc.aps.shutdown(wait=False)

    # In the lobby, the next timer is going live at 12:00 UTC.
    async with factory.client.app[db_key].write() as s:
        await s.execute(update(Session).where(Session.id == summer["id"]).values(state="lobby"))
    svc = service_at(factory.client, settings, datetime(2021, 3, 30, 11, 50, tzinfo=UTC))
    svc.aps.start(paused=True)
    try:
        await svc.planner.replan(summer["id"])
        jobs = svc.planner.jobs()
        assert jobs[f"session:{summer['id']}:live"] == datetime(2021, 3, 30, 12, 0, tzinfo=UTC)
        assert f"session:{summer['id']}:lobby" not in jobs
        # The reminder's moment passed while the scheduler was away: it runs now, before the start.
        assert jobs[f"reminder:{summer['id']}"] == datetime(2021, 3, 30, 11, 50, tzinfo=UTC)
    finally:
        svc.aps.shutdown(wait=False)


async def test_a_session_beyond_the_horizon_is_planned_when_a_resync_finds_it_inside(
    factory: Factory, settings: Settings
) -> None:
    prog = await factory.programme()
    s = await factory.session(prog, start="2021-05-18T10:00:00", duration_min=60)  # 08:00 UTC
    now = [datetime(2021, 5, 16, 9, 0, tzinfo=UTC)]
    svc = SchedulerService(
        db=factory.client.app[db_key],
        pusher=factory.client.app[pusher_key],
        settings=settings.model_copy(update={"reminder_minutes": 15, "lobby_lead_minutes": 15}),
        clock=lambda: now[0],
    )
    svc.aps.start(paused=True)
    try:
        report = await svc.planner.rebuild()
        assert (report.jobs, report.deferred) == (0, 1)
        assert await svc.planner.resync() == 0  # still two days away
        now[0] = datetime(2021, 5, 18, 3, 0, tzinfo=UTC)  # the lobby (07:45) is now 4 h 45 ahead
        assert await svc.planner.resync() == 1
        assert svc.planner.jobs() == {
            f"session:{s['id']}:lobby": datetime(2021, 5, 18, 7, 45, tzinfo=UTC),
            f"reminder:{s['id']}": datetime(2021, 5, 18, 7, 45, tzinfo=UTC),
        }
    finally:
        svc.aps.shutdown(wait=False)


async def test_resync_finds_what_changed_behind_the_schedulers_back(
    factory: Factory, settings: Settings
) -> None:
    prog = await factory.programme()
    a = await factory.session(prog, start="2021-05-18T10:00:00", duration_min=60)
    b = await factory.session(
        prog, start="2021-05-18T10:00:00", duration_min=60, room_id=prog["rooms"][1]["id"]
    )
    svc = service_at(factory.client, settings, datetime(2021, 5, 18, 7, 0, tzinfo=UTC))
    svc.aps.start(paused=True)
    try:
        await svc.planner.rebuild()
        assert svc.planner.jobs()[f"session:{a['id']}:lobby"] == datetime(
            2021, 5, 18, 7, 45, tzinfo=UTC
        )
        # Written without a change notice (another node, a lost message, a manual fix):
        async with factory.client.app[db_key].write() as s:
            await s.execute(
                update(Session)
                .where(Session.id == a["id"])
                .values(
                    start_utc=datetime(2021, 5, 18, 9, 0, tzinfo=UTC), version=Session.version + 1
                )
            )
            await s.execute(update(Session).where(Session.id == b["id"]).values(state="cancelled"))
        assert await svc.planner.resync() == 2
        jobs = svc.planner.jobs()
        assert jobs[f"session:{a['id']}:lobby"] == datetime(2021, 5, 18, 8, 45, tzinfo=UTC)
        assert not [j for j in jobs if j.endswith(f":{b['id']}") or f":{b['id']}:" in j]
        assert await svc.planner.resync() == 0  # nothing changed since
    finally:
        svc.aps.shutdown(wait=False)


async def test_rebuild_plans_only_the_next_step_of_each_open_session(
    factory: Factory, settings: Settings
) -> None:
    prog = await factory.programme()
    rows: list[dict[str, Any]] = []
    for i, state in enumerate(("scheduled", "lobby", "live", "ended", "cancelled")):
        rows.append(
            await factory.session(prog, start=f"2021-05-18T{10 + 2 * i:02d}:00:00", duration_min=60)
        )
        async with factory.client.app[db_key].write() as s:
            await s.execute(update(Session).where(Session.id == rows[-1]["id"]).values(state=state))
    svc = service_at(factory.client, settings, datetime(2021, 5, 18, 7, 30, tzinfo=UTC))
    svc.aps.start(paused=True)
    try:
        await svc.planner.rebuild()
        ids = [r["id"] for r in rows]
        # A session started early (live before its time) waits only for its end.
        assert set(svc.planner.jobs()) == {
            f"session:{ids[0]}:lobby",
            f"reminder:{ids[0]}",
            f"session:{ids[1]}:live",
            f"reminder:{ids[1]}",
            f"session:{ids[2]}:ended",
        }
    finally:
        svc.aps.shutdown(wait=False)
