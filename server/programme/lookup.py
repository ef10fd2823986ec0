"""Finding the event and the rows a request names."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.errors import ApiError, not_found
from server.api.fields import is_row_id
from server.db.tables import Base, Event

T = TypeVar("T", bound=Base)


async def current_event(s: AsyncSession, ref: str | int | None = None) -> Event:
    """The event a request is about: by id or slug, else the one with the latest final week."""
    stmt = select(Event)
    if ref is not None and str(ref) != "":
        ref_s = str(ref)
        event = None
        if is_row_id(ref_s):
            event = await s.get(Event, int(ref_s))
        if event is None:  # a slug may be all digits too ("2021")
            event = (await s.execute(stmt.where(Event.slug == ref_s))).scalar_one_or_none()
        if event is None:
            raise not_found("event", ref_s)
        return event
    event = (
        await s.execute(stmt.order_by(Event.final_start.desc(), Event.id.desc()).limit(1))
    ).scalar_one_or_none()
    if event is None:
        raise ApiError(404, "no_event", "no event exists yet; an organiser must create one first")
    return event


async def get_or_404(s: AsyncSession, model: type[T], ident: int, kind: str) -> T:
    row = await s.get(model, ident)
    if row is None:
        raise not_found(kind, ident)
    return row


async def get_reference(
    s: AsyncSession, model: type[T], ident: int, field: str, event_id: int | None = None
) -> T:
    """A row named in a request body: a bad reference is the body's fault (422), not a 404."""
    row = await s.get(model, ident)
    if row is None or (event_id is not None and getattr(row, "event_id", event_id) != event_id):
        raise ApiError(
            422,
            "unknown_reference",
            f"{field} {ident} does not exist" + (" in this event" if row is not None else ""),
            [{"location": ["body", field], "message": "unknown id", "type": "reference"}],
        )
    return row


def like_pattern(text: str) -> str:
    """A LIKE pattern that matches ``text`` literally anywhere (escape character ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
