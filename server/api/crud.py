"""Create/read/update/delete for the small per-event catalogues (tracks, types, rooms)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.appkeys import db_key
from server.db.tables import Base, Event, Session
from server.programme.lookup import current_event, get_or_404, get_reference


class EventQuery(BaseModel):
    event: str | None = None


@dataclass(frozen=True)
class Catalogue:
    model: type[Base]
    kind: str  # singular, for messages: "track"
    path: str  # "/api/v1/tracks"
    create: type[BaseModel]
    patch: type[BaseModel]
    out: type[BaseModel]
    unique_field: str  # slug / key, unique per event
    session_fk: str  # column on sessions that points here


def refuse_nulls(model: type[Base], changes: dict[str, Any]) -> None:
    """A PATCH may clear only nullable columns; ``null`` for the others is the body's fault (422)."""
    columns = model.__table__.columns
    bad = [k for k, v in changes.items() if v is None and k in columns and not columns[k].nullable]
    if bad:
        raise ApiError(
            422,
            "validation_error",
            "these fields cannot be null: " + ", ".join(bad),
            [
                {"location": ["body", k], "message": "may not be null", "type": "null_not_allowed"}
                for k in bad
            ],
        )


def patch_schema(model: type[Base], null_allowed: tuple[str, ...] = ()) -> Any:
    """``json_schema_extra`` of a PATCH model: a field ``refuse_nulls`` refuses ``null`` for
    is documented without ``null`` (it may be left out, not cleared)."""
    columns = model.__table__.columns

    def drop_null(schema: dict[str, Any]) -> None:
        for name, prop in schema.get("properties", {}).items():
            if name not in columns or columns[name].nullable or name in null_allowed:
                continue
            branches = [b for b in prop.get("anyOf", ()) if b.get("type") != "null"]
            if branches and len(branches) < len(prop["anyOf"]):
                prop.pop("anyOf")
                prop.pop("default", None)
                if len(branches) == 1:
                    prop.update(branches[0])
                else:
                    prop["anyOf"] = branches

    return drop_null


def _dup(cat: Catalogue, value: Any) -> ApiError:
    return ApiError(
        409,
        "duplicate",
        f"a {cat.kind} with {cat.unique_field} {value!r} already exists in this event",
        {"field": cat.unique_field},
    )


def add_catalogue_routes(routes: web.RouteTableDef, cat: Catalogue) -> None:
    tag = cat.kind.replace("_", " ") + "s"
    item = cat.path + "/{id}"

    @routes.get(cat.path)
    @endpoint(
        summary=f"List {tag}", tag=tag, query=EventQuery, response=list[cat.out], errors=(404,)
    )
    async def list_all(call: Call) -> list[Any]:
        async with call.app[db_key].read() as s:
            event = await current_event(s, call.query.event)
            rows = await s.scalars(
                select(cat.model).where(cat.model.event_id == event.id).order_by(cat.model.id)
            )
            return [cat.out.model_validate(r, from_attributes=True) for r in rows]

    @routes.post(cat.path)
    @endpoint(
        summary=f"Create a {cat.kind}",
        tag=tag,
        auth="organiser",
        body=cat.create,
        response=cat.out,
        status=201,
        errors=(401, 403, 404, 409, 422),
    )
    async def create(call: Call) -> Any:
        data = call.body.model_dump()
        async with call.app[db_key].write() as s:
            event_id = data.pop("event_id", None)
            event = (
                await current_event(s)
                if event_id is None
                else await get_reference(s, Event, event_id, "event_id")
            )
            exists = await s.scalar(
                select(cat.model.id)
                .where(cat.model.event_id == event.id)
                .where(getattr(cat.model, cat.unique_field) == data[cat.unique_field])
            )
            if exists:
                raise _dup(cat, data[cat.unique_field])
            row = cat.model(event_id=event.id, **data)
            s.add(row)
            await s.flush()
            return cat.out.model_validate(row, from_attributes=True)

    @routes.get(item)
    @endpoint(summary=f"Get a {cat.kind}", tag=tag, response=cat.out, errors=(404,))
    async def get_one(call: Call) -> Any:
        async with call.app[db_key].read() as s:
            row = await get_or_404(s, cat.model, call.path_int("id", cat.kind), cat.kind)
            return cat.out.model_validate(row, from_attributes=True)

    @routes.patch(item)
    @endpoint(
        summary=f"Update a {cat.kind}",
        tag=tag,
        auth="organiser",
        body=cat.patch,
        response=cat.out,
        errors=(401, 403, 404, 409, 422),
    )
    async def update(call: Call) -> Any:
        changes = call.body.model_dump(exclude_unset=True)
        refuse_nulls(cat.model, changes)
        async with call.app[db_key].write() as s:
            row = await get_or_404(s, cat.model, call.path_int("id", cat.kind), cat.kind)
            value = changes.get(cat.unique_field)
            if value is not None and value != getattr(row, cat.unique_field):
                clash = await s.scalar(
                    select(cat.model.id)
                    .where(cat.model.event_id == row.event_id)
                    .where(getattr(cat.model, cat.unique_field) == value)
                )
                if clash:
                    raise _dup(cat, value)
            for key, val in changes.items():
                setattr(row, key, val)
            await s.flush()
            return cat.out.model_validate(row, from_attributes=True)

    @routes.delete(item)
    @endpoint(
        summary=f"Delete a {cat.kind} no session uses",
        tag=tag,
        auth="organiser",
        status=204,
        errors=(401, 403, 404, 409),
    )
    async def remove(call: Call) -> None:
        async with call.app[db_key].write() as s:
            row = await get_or_404(s, cat.model, call.path_int("id", cat.kind), cat.kind)
            users = (
                await s.scalars(
                    select(Session.id).where(getattr(Session, cat.session_fk) == row.id).limit(50)
                )
            ).all()
            if users:
                raise ApiError(
                    409,
                    "in_use",
                    f"{len(users)}+ sessions use this {cat.kind}; move them first",
                    {"session_ids": list(users)},
                )
            try:
                await s.delete(row)
                await s.flush()
            except IntegrityError:
                raise ApiError(409, "in_use", f"this {cat.kind} is still referenced") from None
