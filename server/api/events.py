"""Event settings: zone, phases, registration window, languages."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import select

from server.api.crud import patch_schema, refuse_nulls
from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.api.fields import AwareOrLocal, Day, LanguageCode, Name, Slug, ZoneName
from server.api.models import EventOut
from server.appkeys import db_key
from server.db.tables import Event, Session
from server.programme.lookup import current_event, get_or_404

routes = web.RouteTableDef()


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Name
    timezone: ZoneName
    pre_events_start: Day | None = None
    pre_events_end: Day | None = None
    final_start: Day
    final_end: Day
    registration_opens_at: AwareOrLocal | None = None
    registration_closes_at: AwareOrLocal | None = None
    languages: list[LanguageCode] = ["en"]

    @model_validator(mode="after")
    def _ordered(self) -> EventIn:
        _check_dates(self.model_dump())
        return self


class EventPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=patch_schema(Event))

    slug: Slug | None = None
    name: Name | None = None
    timezone: ZoneName | None = None
    pre_events_start: Day | None = None
    pre_events_end: Day | None = None
    final_start: Day | None = None
    final_end: Day | None = None
    registration_opens_at: AwareOrLocal | None = None
    registration_closes_at: AwareOrLocal | None = None
    languages: list[LanguageCode] | None = None


def _check_dates(d: dict[str, object]) -> None:
    pairs = [
        ("pre_events_start", "pre_events_end"),
        ("final_start", "final_end"),
        ("registration_opens_at", "registration_closes_at"),
    ]
    for first, last in pairs:
        a, b = d.get(first), d.get(last)
        if (a is None) != (b is None) and first == "pre_events_start":
            raise ValueError("give both pre_events_start and pre_events_end, or neither")
        if a is not None and b is not None and a > b:  # type: ignore[operator]
            raise ValueError(f"{first} must not be after {last}")
    for key in ("registration_opens_at", "registration_closes_at"):
        value = d.get(key)
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError(f"{key} needs a UTC offset, e.g. 2021-01-04T00:00:00Z")


def _out(e: Event) -> EventOut:
    return EventOut.model_validate(e, from_attributes=True)


@routes.get("/api/v1/events")
@endpoint(summary="List events", tag="events", response=list[EventOut])
async def list_events(call: Call) -> list[EventOut]:
    async with call.app[db_key].read() as s:
        return [_out(e) for e in await s.scalars(select(Event).order_by(Event.final_start))]


@routes.get("/api/v1/event")
@endpoint(
    summary="The current event (latest final week)", tag="events", response=EventOut, errors=(404,)
)
async def get_current_event(call: Call) -> EventOut:
    async with call.app[db_key].read() as s:
        return _out(await current_event(s))


@routes.post("/api/v1/events")
@endpoint(
    summary="Create an event",
    tag="events",
    auth="organiser",
    body=EventIn,
    response=EventOut,
    status=201,
    errors=(401, 403, 409, 422),
)
async def create_event(call: Call) -> EventOut:
    async with call.app[db_key].write() as s:
        if await s.scalar(select(Event.id).where(Event.slug == call.body.slug)):
            raise ApiError(409, "duplicate", f"an event with slug {call.body.slug!r} exists")
        event = Event(**call.body.model_dump())
        s.add(event)
        await s.flush()
        return _out(event)


@routes.get("/api/v1/events/{id}")
@endpoint(summary="Get an event", tag="events", response=EventOut, errors=(404,))
async def get_event(call: Call) -> EventOut:
    async with call.app[db_key].read() as s:
        return _out(await get_or_404(s, Event, call.path_int("id", "event"), "event"))


@routes.patch("/api/v1/events/{id}")
@endpoint(
    summary="Update event settings",
    tag="events",
    auth="organiser",
    body=EventPatch,
    response=EventOut,
    errors=(401, 403, 404, 409, 422),
)
async def update_event(call: Call) -> EventOut:
    changes = call.body.model_dump(exclude_unset=True)
    refuse_nulls(Event, changes)
    async with call.app[db_key].write() as s:
        event = await get_or_404(s, Event, call.path_int("id", "event"), "event")
        merged = {c: getattr(event, c) for c in EventIn.model_fields} | changes
        try:
            _check_dates(merged)
        except ValueError as exc:
            raise ApiError(
                422,
                "validation_error",
                str(exc),
                [{"location": ["body"], "message": str(exc), "type": "value_error"}],
            ) from None
        if (
            "slug" in changes
            and changes["slug"] != event.slug
            and await s.scalar(select(Event.id).where(Event.slug == changes["slug"]))
        ):
            raise ApiError(409, "duplicate", f"an event with slug {changes['slug']!r} exists")
        for key, value in changes.items():
            setattr(event, key, value)
        await s.flush()
        return _out(event)


@routes.delete("/api/v1/events/{id}")
@endpoint(
    summary="Delete an event without sessions",
    tag="events",
    auth="organiser",
    status=204,
    errors=(401, 403, 404, 409),
)
async def delete_event(call: Call) -> None:
    async with call.app[db_key].write() as s:
        event = await get_or_404(s, Event, call.path_int("id", "event"), "event")
        if await s.scalar(select(Session.id).where(Session.event_id == event.id).limit(1)):
            raise ApiError(409, "in_use", "the event still has sessions; delete them first")
        await s.delete(event)
