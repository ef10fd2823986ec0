"""A participant's own things: profile, stars (personal schedule) and sign-ups."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from server.api.auth import user_out
from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.api.fields import Country, Gender, Name, StakeholderGroup, ZoneName
from server.api.models import SessionOut, UserOut
from server.appkeys import db_key
from server.db.tables import Event, Session, Signup, Star, User
from server.exchange.mails import send_promotions, send_signup
from server.programme.lookup import get_or_404
from server.programme.render import Renderer
from server.programme.signups import cancel, lock_session, sign_up
from server.tokens.revocation import revoke_cancelled_signup

routes = web.RouteTableDef()


class StarOut(BaseModel):
    session_id: int
    starred: bool


class SignupOut(BaseModel):
    session_id: int
    status: str = Field(description="confirmed | waitlisted | cancelled")
    waitlist_position: int | None = None
    promoted_user_ids: list[int] = Field(default_factory=list)


class ProfilePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    organisation: Name | None = None
    country: Country | None = None
    stakeholder_group: StakeholderGroup | None = None
    gender: Gender | None = None


class ScheduleItem(BaseModel):
    session: SessionOut
    starred: bool
    signup: str | None


class ScheduleQuery(BaseModel):
    tz: ZoneName | None = None


@routes.get("/api/v1/me")
@endpoint(summary="My account", tag="me", auth="user", response=UserOut, errors=(401,))
async def me(call: Call) -> UserOut:
    return user_out(call.signed_in)


@routes.patch("/api/v1/me")
@endpoint(
    summary="Update my profile",
    tag="me",
    auth="user",
    body=ProfilePatch,
    response=UserOut,
    errors=(401, 422),
)
async def update_me(call: Call) -> UserOut:
    async with call.app[db_key].write() as s:
        user = await get_or_404(s, User, call.signed_in.id, "user")
        for key, value in call.body.model_dump(exclude_unset=True).items():
            if value is None and key != "gender":
                continue
            setattr(user, key, value)
        await s.flush()
        return user_out(user)


@routes.get("/api/v1/me/schedule")
@endpoint(
    summary="My personal schedule: starred and signed-up sessions",
    tag="me",
    auth="user",
    query=ScheduleQuery,
    response=list[ScheduleItem],
    errors=(401, 422),
)
async def my_schedule(call: Call) -> list[ScheduleItem]:
    uid = call.signed_in.id
    async with call.app[db_key].read() as s:
        starred = set(await s.scalars(select(Star.session_id).where(Star.user_id == uid)))
        signups: dict[int, str] = {
            session_id: status
            for session_id, status in await s.execute(
                select(Signup.session_id, Signup.status).where(Signup.user_id == uid)
            )
        }
        ids = starred | set(signups)
        rows = (
            (
                await s.scalars(
                    select(Session).where(Session.id.in_(ids)).order_by(Session.start_utc)
                )
            ).all()
            if ids
            else []
        )
        items: list[ScheduleItem] = []
        renderers: dict[int, Renderer] = {}
        for row in rows:
            if row.event_id not in renderers:
                event = await s.get(Event, row.event_id)
                assert event is not None
                renderers[row.event_id] = await Renderer.load(
                    s, event, [r for r in rows if r.event_id == row.event_id]
                )
            items.append(
                ScheduleItem(
                    session=renderers[row.event_id].session(row, call.query.tz),
                    starred=row.id in starred,
                    signup=signups.get(row.id),
                )
            )
        return items


@routes.post("/api/v1/sessions/{id}/star")
@endpoint(
    summary="Star a session (personal schedule)",
    tag="me",
    auth="user",
    response=StarOut,
    errors=(401, 404),
)
async def star(call: Call) -> StarOut:
    session_id = call.path_int("id", "session")
    async with call.app[db_key].write() as s:
        await get_or_404(s, Session, session_id, "session")
        if await s.get(Star, (call.signed_in.id, session_id)) is None:
            s.add(Star(user_id=call.signed_in.id, session_id=session_id))
    return StarOut(session_id=session_id, starred=True)


@routes.delete("/api/v1/sessions/{id}/star")
@endpoint(summary="Unstar a session", tag="me", auth="user", response=StarOut, errors=(401, 404))
async def unstar(call: Call) -> StarOut:
    session_id = call.path_int("id", "session")
    async with call.app[db_key].write() as s:
        await get_or_404(s, Session, session_id, "session")
        existing = await s.get(Star, (call.signed_in.id, session_id))
        if existing is not None:
            await s.delete(existing)
    return StarOut(session_id=session_id, starred=False)


def _registration_open(event: Event, now: datetime) -> bool:
    opens, closes = event.registration_opens_at, event.registration_closes_at
    return (opens is None or opens <= now) and (closes is None or now <= closes)


@routes.post("/api/v1/sessions/{id}/signup")
@endpoint(
    summary="Sign up (waitlisted when full)",
    tag="me",
    auth="user",
    response=SignupOut,
    status=201,
    errors=(401, 403, 404, 409),
)
async def signup(call: Call) -> SignupOut:
    session_id = call.path_int("id", "session")
    async with call.app[db_key].write() as s:
        row = await lock_session(s, session_id)
        if row is None:
            raise ApiError(404, "not_found", f"session {session_id} does not exist")
        if row.state in ("cancelled", "ended"):
            raise ApiError(
                409, "session_closed", f"the session is {row.state}", {"state": row.state}
            )
        event = await s.get(Event, row.event_id)
        assert event is not None
        if not _registration_open(event, datetime.now(UTC)):
            raise ApiError(
                403,
                "registration_closed",
                "registration for this event is not open",
                {
                    "opens_at": event.registration_opens_at
                    and event.registration_opens_at.isoformat(),
                    "closes_at": event.registration_closes_at
                    and event.registration_closes_at.isoformat(),
                },
            )
        result = await sign_up(s, row, call.signed_in.id)
    if result.created:
        await send_signup(
            call.app, call.signed_in.id, session_id, result.status, result.waitlist_position
        )
    return SignupOut(
        session_id=session_id, status=result.status, waitlist_position=result.waitlist_position
    )


@routes.delete("/api/v1/sessions/{id}/signup")
@endpoint(
    summary="Cancel my sign-up (the next on the waitlist takes the seat)",
    tag="me",
    auth="user",
    response=SignupOut,
    errors=(401, 404),
)
async def cancel_signup(call: Call) -> SignupOut:
    session_id = call.path_int("id", "session")
    async with call.app[db_key].write() as s:
        row = await lock_session(s, session_id)
        if row is None:
            raise ApiError(404, "not_found", f"session {session_id} does not exist")
        removed, promoted = await cancel(s, row, call.signed_in.id)
    await send_promotions(call.app, session_id, [p.user_id for p in promoted])
    if not removed:
        raise ApiError(404, "not_signed_up", "you are not signed up to this session")
    await revoke_cancelled_signup(call.app, call.signed_in, session_id)
    return SignupOut(
        session_id=session_id,
        status="cancelled",
        promoted_user_ids=[p.user_id for p in promoted],
    )
