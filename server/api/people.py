"""People on the programme: speakers and moderators (organisers only)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from server.api.crud import patch_schema, refuse_nulls
from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.api.fields import Country, Gender, Id, LongText, Name, StakeholderGroup
from server.api.models import PersonOut
from server.appkeys import db_key
from server.db.tables import Person, User
from server.programme.lookup import get_or_404, get_reference, like_pattern

routes = web.RouteTableDef()


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    organisation: Name | None = None
    country: Country
    stakeholder_group: StakeholderGroup
    gender: Gender | None = None
    bio: LongText = ""
    user_id: Id | None = Field(default=None, description="link to a participant account")


class PersonPatch(BaseModel):
    # null clears the organisation (update_person), so it stays nullable in the spec.
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=patch_schema(Person, null_allowed=("organisation",))
    )

    name: Name | None = None
    organisation: Name | None = None
    country: Country | None = None
    stakeholder_group: StakeholderGroup | None = None
    gender: Gender | None = None
    bio: LongText | None = None
    user_id: Id | None = None


class PeopleQuery(BaseModel):
    q: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class PeoplePage(BaseModel):
    total: int
    items: list[PersonOut]


def _out(p: Person) -> PersonOut:
    return PersonOut.model_validate(p, from_attributes=True)


async def _check_user_link(s: object, user_id: int | None, person_id: int | None) -> None:
    if user_id is None:
        return
    await get_reference(s, User, user_id, "user_id")  # type: ignore[arg-type]
    other = await s.scalar(  # type: ignore[attr-defined]
        select(Person.id).where(Person.user_id == user_id).where(Person.id != (person_id or 0))
    )
    if other:
        raise ApiError(409, "duplicate", f"account {user_id} is already linked to person {other}")


@routes.get("/api/v1/people")
@endpoint(
    summary="List people",
    tag="people",
    auth="organiser",
    query=PeopleQuery,
    response=PeoplePage,
    errors=(401, 403, 422),
)
async def list_people(call: Call) -> PeoplePage:
    q = call.query
    stmt = select(Person)
    if q.q:
        like = like_pattern(q.q)
        stmt = stmt.where(
            Person.name.ilike(like, escape="\\") | Person.organisation.ilike(like, escape="\\")
        )
    async with call.app[db_key].read() as s:
        total = await s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = await s.scalars(
            stmt.order_by(Person.name, Person.id).limit(q.limit).offset(q.offset)
        )
        return PeoplePage(total=total, items=[_out(p) for p in rows])


@routes.post("/api/v1/people")
@endpoint(
    summary="Create a person",
    tag="people",
    auth="organiser",
    body=PersonIn,
    response=PersonOut,
    status=201,
    errors=(401, 403, 409, 422),
)
async def create_person(call: Call) -> PersonOut:
    data = call.body.model_dump()
    data["organisation"] = data["organisation"] or ""
    async with call.app[db_key].write() as s:
        await _check_user_link(s, data["user_id"], None)
        person = Person(**data)
        s.add(person)
        await s.flush()
        return _out(person)


@routes.get("/api/v1/people/{id}")
@endpoint(
    summary="Get a person",
    tag="people",
    auth="organiser",
    response=PersonOut,
    errors=(401, 403, 404),
)
async def get_person(call: Call) -> PersonOut:
    async with call.app[db_key].read() as s:
        return _out(await get_or_404(s, Person, call.path_int("id", "person"), "person"))


@routes.patch("/api/v1/people/{id}")
@endpoint(
    summary="Update a person",
    tag="people",
    auth="organiser",
    body=PersonPatch,
    response=PersonOut,
    errors=(401, 403, 404, 409, 422),
)
async def update_person(call: Call) -> PersonOut:
    changes = call.body.model_dump(exclude_unset=True)
    if "organisation" in changes and changes["organisation"] is None:
        changes["organisation"] = ""  # null clears it, as on create
    refuse_nulls(Person, changes)
    async with call.app[db_key].write() as s:
        person = await get_or_404(s, Person, call.path_int("id", "person"), "person")
        if "user_id" in changes:
            await _check_user_link(s, changes["user_id"], person.id)
        for key, value in changes.items():
            setattr(person, key, value)
        await s.flush()
        return _out(person)


@routes.delete("/api/v1/people/{id}")
@endpoint(
    summary="Delete a person (they leave every panel)",
    tag="people",
    auth="organiser",
    status=204,
    errors=(401, 403, 404),
)
async def delete_person(call: Call) -> None:
    async with call.app[db_key].write() as s:
        person = await get_or_404(s, Person, call.path_int("id", "person"), "person")
        await s.delete(person)
