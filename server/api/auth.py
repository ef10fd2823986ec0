"""Register, log in, log out: a cookie for browsers, the same token as Bearer for tools."""

from __future__ import annotations

import hashlib

from aiohttp import web
from pydantic import BaseModel, ConfigDict, EmailStr
from sqlalchemy import func, select

from server.accounts.identity import issue_login, revoke_login, token_from_request
from server.accounts.passwords import DUMMY_HASH, verify_password
from server.accounts.registration import EmailTaken, create_user, normalise_email
from server.api.clientip import client_ip
from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.api.fields import Country, Gender, Name, Password, StakeholderGroup
from server.api.models import Ok, UserOut
from server.appkeys import db_key, login_throttle_key, register_throttle_key, settings_key
from server.db.tables import User
from server.exchange.mails import send_registration
from server.names import SESSION_COOKIE

routes = web.RouteTableDef()

# One address gets the configured number of failures; one IP many times more, because a
# university or conference network puts many honest people (and their typos) behind one
# address. The IP limit still stops one client spraying guesses across many accounts.
IP_FAILURE_FACTOR = 10


def login_throttle_keys(email: str, ip: str) -> tuple[str, str]:
    """The address is counted by its digest: Redis and memory never hold an email."""
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]
    return f"email:{digest}", f"ip:{ip}"


async def _limit_registrations(call: Call) -> None:
    wait = await call.app[register_throttle_key].take(f"ip:{client_ip(call.request)}")
    if wait:
        raise ApiError(
            429,
            "too_many_registrations",
            f"too many accounts registered from this network; try again in {wait} s",
            {"retry_after": wait},
            headers={"Retry-After": str(wait)},
        )


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr
    password: Password
    organisation: Name
    country: Country
    stakeholder_group: StakeholderGroup
    gender: Gender | None = None


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Password


class LoginOut(BaseModel):
    token: str
    user: UserOut


def user_out(u: User) -> UserOut:
    return UserOut.model_validate(u, from_attributes=True)


def _with_cookie(call: Call, body: LoginOut, status: int) -> web.Response:
    settings = call.app[settings_key]
    response = web.Response(
        status=status, body=body.model_dump_json(), content_type="application/json"
    )
    response.set_cookie(
        SESSION_COOKIE,
        body.token,
        max_age=settings.auth_token_days * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


@routes.post("/api/v1/auth/register")
@endpoint(
    summary="Register a participant account (signs in)",
    tag="auth",
    body=RegisterIn,
    response=LoginOut,
    status=201,
    errors=(409, 422, 429),
)
async def register(call: Call) -> web.Response:
    db = call.app[db_key]
    await _limit_registrations(call)  # also counts 409s: probing for taken emails is limited too
    try:
        user = await create_user(db, **call.body.model_dump())
    except EmailTaken:
        raise ApiError(
            409, "email_taken", "an account with this email exists; log in instead"
        ) from None
    token = await issue_login(db, user.id, call.app[settings_key].auth_token_days)
    await send_registration(call.app, user)
    return _with_cookie(call, LoginOut(token=token, user=user_out(user)), 201)


@routes.post("/api/v1/auth/login")
@endpoint(summary="Log in", tag="auth", body=LoginIn, response=LoginOut, errors=(401, 422, 429))
async def login(call: Call) -> web.Response:
    db = call.app[db_key]
    throttle = call.app[login_throttle_key]
    email = normalise_email(call.body.email)
    keys = login_throttle_keys(email, client_ip(call.request))
    ip_limit = call.app[settings_key].login_max_failures * IP_FAILURE_FACTOR
    wait = max(await throttle.retry_after(keys[0]), await throttle.retry_after(keys[1], ip_limit))
    if wait:
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed logins; try again in {wait} s",
            {"retry_after": wait},
            headers={"Retry-After": str(wait)},
        )
    async with db.read() as s:
        user = await s.scalar(select(User).where(func.lower(User.email) == email))
    ok = await verify_password(user.password_hash if user else DUMMY_HASH, call.body.password)
    if user is None or not ok:
        for key in keys:
            await throttle.failed(key)
        raise ApiError(401, "bad_credentials", "email or password is wrong")
    await throttle.reset(keys[0])
    token = await issue_login(db, user.id, call.app[settings_key].auth_token_days)
    return _with_cookie(call, LoginOut(token=token, user=user_out(user)), 200)


@routes.post("/api/v1/auth/logout")
@endpoint(
    summary="Log out (revokes this token and clears the cookie)",
    tag="auth",
    auth="user",
    response=Ok,
    errors=(401,),
)
async def logout(call: Call) -> web.Response:
    token = token_from_request(call.request)
    if token:
        await revoke_login(call.app[db_key], token)
    response = web.Response(body=Ok().model_dump_json(), content_type="application/json")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
