"""Moderator controls: start early, extend, end now — each recorded with who acted.

Decisions (docs/scheduler.md):
- *Start early* keeps the programme start. The agenda, calendars and reminders
  stay as published; the actual start is the recorded transition's ``at``.
- *Extend* moves the programme end (a conflict in the room or panel is a 409,
  as for any move) and bumps the version, so a timer planned on the old end
  matches nothing and the session is re-planned.
- *End now* sets the programme end to now. A session started early and ended
  before its programme start also gets its start set to the actual start,
  so no session ever ends before it starts.

These run on a web node, not in the scheduler: they need no lease (the
``state`` condition keeps them and the timers from applying anything twice).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.transitions import Applied, Clock, add_record, utcnow
from server.api.errors import ApiError, not_found
from server.db.engine import Database
from server.db.tables import Event, Session
from server.db.tables_scheduler import SessionTransition
from server.domain.timezones import iso_utc
from server.programme.conflicts import check_candidate, slot_of
from server.programme.signups import lock_session


def _wrong_state(action: str, state: str, allowed: tuple[str, ...]) -> ApiError:
    return ApiError(
        409,
        "invalid_state",
        f"cannot {action} a session that is {state}",
        {"state": state, "allowed_from": list(allowed)},
    )


async def _locked(s: AsyncSession, session_id: int) -> Session:
    row = await lock_session(s, session_id)
    if row is None:
        raise not_found("session", session_id)
    return row


async def _actual_start(s: AsyncSession, session_id: int) -> datetime | None:
    return await s.scalar(
        select(SessionTransition.at)
        .where(SessionTransition.session_id == session_id, SessionTransition.to_state == "live")
        .where(SessionTransition.from_state != "live")
        .order_by(SessionTransition.id.desc())
        .limit(1)
    )


async def _recorded(s: AsyncSession, applied: Applied, user_id: int) -> Applied:
    record = add_record(s, applied, by_user_id=user_id)
    await s.flush()
    return replace(applied, record_id=record.id)


_START_FROM = ("scheduled", "lobby")
_EXTEND_FROM = ("scheduled", "lobby", "live")
_END_FROM = ("live",)


async def start_early(
    db: Database, session_id: int, user_id: int, clock: Clock = utcnow
) -> Applied:
    async with db.write() as s:
        row = await _locked(s, session_id)
        if row.state not in _START_FROM:
            raise _wrong_state("start", row.state, _START_FROM)
        now = clock()
        applied = Applied(
            session_id=row.id,
            from_state=row.state,
            to_state="live",
            at=now,
            cause="moderator",
            start_utc=row.start_utc,
            end_utc=row.end_utc,
            action="start_early",
            detail={"programme_start": iso_utc(row.start_utc)},
        )
        row.state = "live"
        return await _recorded(s, applied, user_id)


async def extend(
    db: Database, session_id: int, minutes: int, user_id: int, clock: Clock = utcnow
) -> Applied:
    async with db.write() as s:
        row = await _locked(s, session_id)
        if row.state not in _EXTEND_FROM:
            raise _wrong_state("extend", row.state, _EXTEND_FROM)
        event = await s.get(Event, row.event_id)
        assert event is not None
        old_end = row.end_utc
        row.end_utc = old_end + timedelta(minutes=minutes)
        await check_candidate(s, event, slot_of(row))  # 409 naming the sessions in the way
        row.version += 1
        applied = Applied(
            session_id=row.id,
            from_state=row.state,
            to_state=row.state,
            at=clock(),
            cause="moderator",
            start_utc=row.start_utc,
            end_utc=row.end_utc,
            action="extend",
            detail={
                "minutes": minutes,
                "old_end": iso_utc(old_end),
                "new_end": iso_utc(row.end_utc),
            },
        )
        return await _recorded(s, applied, user_id)


async def end_now(db: Database, session_id: int, user_id: int, clock: Clock = utcnow) -> Applied:
    async with db.write() as s:
        row = await _locked(s, session_id)
        if row.state not in _END_FROM:
            raise _wrong_state("end", row.state, _END_FROM)
        now = clock()
        detail = {"programme_end": iso_utc(row.end_utc)}
        if now < row.start_utc:
            detail["programme_start"] = iso_utc(row.start_utc)
            row.start_utc = await _actual_start(s, row.id) or now
        row.end_utc = now
        row.state = "ended"
        row.version += 1
        applied = Applied(
            session_id=row.id,
            from_state="live",
            to_state="ended",
            at=now,
            cause="moderator",
            start_utc=row.start_utc,
            end_utc=row.end_utc,
            action="end_now",
            detail=detail,
        )
        return await _recorded(s, applied, user_id)
