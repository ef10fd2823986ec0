"""Accounts, for organisers: list them and grant roles."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from server.api.auth import user_out
from server.api.endpoint import Call, endpoint
from server.api.models import UserOut
from server.appkeys import db_key
from server.db.tables import User
from server.programme.lookup import get_or_404, like_pattern

routes = web.RouteTableDef()


class UsersQuery(BaseModel):
    q: str | None = Field(default=None, max_length=200)
    role: Literal["participant", "moderator", "organiser"] | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class UsersPage(BaseModel):
    total: int
    items: list[UserOut]


class RolePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["participant", "moderator", "organiser"]


@routes.get("/api/v1/users")
@endpoint(
    summary="List accounts",
    tag="users",
    auth="organiser",
    query=UsersQuery,
    response=UsersPage,
    errors=(401, 403, 422),
)
async def list_users(call: Call) -> UsersPage:
    q = call.query
    stmt = select(User)
    if q.q:
        pattern = like_pattern(q.q)
        stmt = stmt.where(
            User.name.ilike(pattern, escape="\\") | User.email.ilike(pattern, escape="\\")
        )
    if q.role:
        stmt = stmt.where(User.role == q.role)
    async with call.app[db_key].read() as s:
        total = await s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = await s.scalars(stmt.order_by(User.id).limit(q.limit).offset(q.offset))
        return UsersPage(total=total, items=[user_out(u) for u in rows])


@routes.patch("/api/v1/users/{id}")
@endpoint(
    summary="Grant a role",
    tag="users",
    auth="organiser",
    body=RolePatch,
    response=UserOut,
    errors=(401, 403, 404, 422),
)
async def set_role(call: Call) -> UserOut:
    async with call.app[db_key].write() as s:
        user = await get_or_404(s, User, call.path_int("id", "user"), "user")
        user.role = call.body.role
        await s.flush()
        return user_out(user)
