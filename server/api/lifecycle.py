"""Moderator controls of a session's lifecycle, and its recorded history.

Allowed for organisers and the session's own moderators
(``server.programme.roles.may_moderate``). Each action is recorded with who
acted, pushed to the agenda channel and the session's room, and announced as
a programme change so the scheduler re-plans the session at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from scheduler import controls
from scheduler.transitions import Applied, push_applied
from server.api.endpoint import Call, endpoint
from server.api.errors import forbidden
from server.api.models import SessionOut
from server.api.sessions import render_one
from server.appkeys import db_key, programme_changes_key, pusher_key
from server.db.tables import Session, User
from server.db.tables_scheduler import SessionTransition
from server.programme.changes import SessionChange
from server.programme.lookup import get_or_404
from server.programme.roles import may_moderate

routes = web.RouteTableDef()


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(ge=1, le=24 * 60, description="moves the end this much later")


class ActorOut(BaseModel):
    public_id: str
    name: str


class TransitionOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    session_id: int
    from_state: str = Field(alias="from")
    to_state: str = Field(alias="to")
    at: datetime
    due_at: datetime | None = Field(description="when the programme said it was due (timers)")
    cause: str = Field(description="timer | catch-up | moderator")
    action: str = Field(description="advance | start_early | extend | end_now | cancel")
    by: ActorOut | None = Field(description="the moderator or organiser who acted")
    fencing_token: int | None = Field(description="the scheduler leader's token (cluster mode)")
    detail: dict[str, Any]


class LifecycleOut(BaseModel):
    transition: TransitionOut
    session: SessionOut


async def _authorise(call: Call, session_id: int) -> None:
    async with call.app[db_key].read() as s:
        await get_or_404(s, Session, session_id, "session")
        if not await may_moderate(s, call.signed_in, session_id):
            raise forbidden(
                "only organisers and this session's moderators may do this", "not_moderator"
            )


def _transition_out(row: SessionTransition, by: User | None) -> TransitionOut:
    return TransitionOut(
        id=row.id,
        session_id=row.session_id,
        from_state=row.from_state,
        to_state=row.to_state,
        at=row.at,
        due_at=row.due_at,
        cause=row.cause,
        action=row.action,
        by=ActorOut(public_id=by.public_id, name=by.name) if by is not None else None,
        fencing_token=row.fencing_token,
        detail=row.detail or {},
    )


async def _announce(call: Call, applied: Applied) -> LifecycleOut:
    """Push the action, let the scheduler re-plan, and answer with the new state."""
    await push_applied(call.app[pusher_key], applied)
    async with call.app[db_key].read() as s:
        row = await get_or_404(s, Session, applied.session_id, "session")
        event_id = row.event_id
        session = await render_one(s, row)
        record = (
            await s.execute(
                select(SessionTransition, User)
                .outerjoin(User, User.id == SessionTransition.by_user_id)
                .where(SessionTransition.id == applied.record_id)
            )
        ).one()
    await call.app[programme_changes_key].publish(
        SessionChange("updated", applied.session_id, event_id)
    )
    return LifecycleOut(transition=_transition_out(*record), session=session)


_ERRORS = (401, 403, 404, 409)


@routes.post("/api/v1/sessions/{id}/start-early")
@endpoint(
    summary="Go live now (from scheduled or lobby); the programme start stays as published",
    tag="lifecycle",
    auth="user",
    response=LifecycleOut,
    errors=_ERRORS,
)
async def start_early(call: Call) -> LifecycleOut:
    session_id = call.path_int("id", "session")
    await _authorise(call, session_id)
    applied = await controls.start_early(call.app[db_key], session_id, call.signed_in.id)
    return await _announce(call, applied)


@routes.post("/api/v1/sessions/{id}/extend")
@endpoint(
    summary="Move the end later by N minutes (409 when the room or panel is taken)",
    tag="lifecycle",
    auth="user",
    body=ExtendIn,
    response=LifecycleOut,
    errors=(*_ERRORS, 422),
)
async def extend(call: Call) -> LifecycleOut:
    session_id = call.path_int("id", "session")
    await _authorise(call, session_id)
    applied = await controls.extend(
        call.app[db_key], session_id, call.body.minutes, call.signed_in.id
    )
    return await _announce(call, applied)


@routes.post("/api/v1/sessions/{id}/end-now")
@endpoint(
    summary="End a live session now; its programme end becomes now",
    tag="lifecycle",
    auth="user",
    response=LifecycleOut,
    errors=_ERRORS,
)
async def end_now(call: Call) -> LifecycleOut:
    session_id = call.path_int("id", "session")
    await _authorise(call, session_id)
    applied = await controls.end_now(call.app[db_key], session_id, call.signed_in.id)
    return await _announce(call, applied)


@routes.get("/api/v1/sessions/{id}/transitions")
@endpoint(
    summary="A session's lifecycle history: every transition and moderator action, in order",
    tag="lifecycle",
    auth="user",
    response=list[TransitionOut],
    errors=(401, 403, 404),
)
async def transitions(call: Call) -> list[TransitionOut]:
    session_id = call.path_int("id", "session")
    await _authorise(call, session_id)
    async with call.app[db_key].read() as s:
        rows = await s.execute(
            select(SessionTransition, User)
            .outerjoin(User, User.id == SessionTransition.by_user_id)
            .where(SessionTransition.session_id == session_id)
            .order_by(SessionTransition.id)
        )
        return [_transition_out(t, u) for t, u in rows]
