"""Declared endpoints: one decorator parses, authorises and documents each route.

The declaration (``EndpointSpec``) is what the OpenAPI document is built from,
so a route cannot be documented differently from how it behaves.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from server.accounts.identity import token_from_request, user_for_token
from server.api.errors import ApiError, forbidden, unauthorized
from server.api.fields import is_row_id
from server.appkeys import db_key
from server.db.tables import User

# "token": the handler checks its own Bearer credential (a join token, a stream key),
# which is never an account's, so no account is looked up.
Auth = Literal["public", "optional", "user", "moderator", "organiser", "token"]
_ROLE_RANK = {"participant": 0, "moderator": 1, "organiser": 2}


@dataclass(frozen=True)
class EndpointSpec:
    summary: str
    tag: str
    auth: Auth = "public"
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None  # a model, list[model], or None for 204
    status: int = 200
    errors: tuple[int, ...] = ()
    produces: str = "application/json"
    description: str = ""
    # A body that is not a JSON object (a CSV file, a frab schedule): the handler reads
    # it itself, within its own size limit; the decorator checks the content type.
    request_content_type: str | None = None
    request_schema: dict[str, Any] | None = None
    # Other representations of the response the handler may choose (e.g. text/csv).
    alternative_produces: tuple[str, ...] = ()

    def adapter(self) -> TypeAdapter[Any] | None:
        return None if self.response is None else _adapter(self.response)


@functools.cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


@dataclass
class Call:
    """What a handler gets: the request plus everything already parsed and checked."""

    request: web.Request
    user: User | None
    body: Any = None
    query: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def app(self) -> web.Application:
        return self.request.app

    def path_int(self, name: str, kind: str | None = None) -> int:
        raw = self.request.match_info[name]
        if not is_row_id(raw):
            raise ApiError(
                404, "not_found", f"{kind or name} {raw!r} does not exist", {"kind": kind or name}
            )
        return int(raw)

    @property
    def signed_in(self) -> User:
        if self.user is None:
            raise unauthorized()
        return self.user


EndpointHandler = Callable[[Call], Awaitable[Any]]


def _validation_details(exc: ValidationError, where: str) -> list[dict[str, Any]]:
    return [
        {
            "location": [where, *(str(p) for p in err["loc"])],
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]


async def _parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    ctype = request.content_type
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            "send the body as JSON (Content-Type: application/json)",
            {"content_type": ctype},
        )
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "malformed_json", "the request body is empty; send a JSON object")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", "the body must be a JSON object")
    try:
        # Strict JSON validation: the body is taken as the OpenAPI document types it (no
        # 0 for false, no "5" for 5); dates and times stay ISO 8601 strings, as JSON has them.
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise ApiError(
            422, "validation_error", "the body is not valid", _validation_details(exc, "body")
        ) from None


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(get_origin(a) is list for a in get_args(annotation))


@functools.cache
def _query_fields(model: type[BaseModel]) -> tuple[tuple[tuple[str, bool], ...], frozenset[str]]:
    """Each parameter's name and whether it repeats; read once per model, not per request."""
    fields = tuple(
        (info.alias or name, _is_list(info.annotation)) for name, info in model.model_fields.items()
    )
    return fields, frozenset(key for key, _ in fields)


def _parse_query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    query = request.query
    data: dict[str, Any] = {}
    if query:
        fields, known = _query_fields(model)
        unknown = query.keys() - known
        if unknown:
            raise ApiError(
                422,
                "validation_error",
                "unknown query parameters",
                [
                    {"location": ["query", k], "message": "unknown parameter", "type": "extra"}
                    for k in sorted(unknown)
                ],
            )
        for key, repeats in fields:
            if key in query:
                data[key] = query.getall(key) if repeats else query[key]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            422, "validation_error", "the query is not valid", _validation_details(exc, "query")
        ) from None


async def _identify(request: web.Request, auth: Auth) -> User | None:
    if auth == "token":
        return None
    token = token_from_request(request)
    user = await user_for_token(request.app[db_key], token) if token else None
    if auth in ("public", "optional"):
        return user
    if user is None:
        raise unauthorized("this needs a signed-in account" if not token else "session expired")
    needed = {"user": 0, "moderator": 1, "organiser": 2}[auth]
    if _ROLE_RANK.get(user.role, 0) < needed:
        raise forbidden(f"this needs the {auth} role")
    return user


def endpoint(**spec_args: Any) -> Callable[[EndpointHandler], Callable[[web.Request], Any]]:
    spec = EndpointSpec(**spec_args)
    adapter = spec.adapter()

    def wrap(fn: EndpointHandler) -> Callable[[web.Request], Any]:
        @functools.wraps(fn)
        async def handler(request: web.Request) -> web.StreamResponse:
            user = await _identify(request, spec.auth)
            call = Call(request=request, user=user)
            if spec.query is not None:
                call.query = _parse_query(request, spec.query)
            if spec.body is not None:
                call.body = await _parse_body(request, spec.body)
            elif spec.request_content_type and request.content_type != spec.request_content_type:
                raise ApiError(
                    415,
                    "unsupported_media_type",
                    f"send the body as {spec.request_content_type}",
                    {"content_type": request.content_type},
                )
            result = await fn(call)
            if isinstance(result, web.StreamResponse):
                return result
            if spec.status == 204 or adapter is None:
                return web.Response(status=204)
            return web.Response(
                status=spec.status,
                body=adapter.dump_json(result, by_alias=True),
                content_type="application/json",
            )

        handler.__api_spec__ = spec  # type: ignore[attr-defined]
        return handler

    return wrap


def spec_of(handler: Any) -> EndpointSpec | None:
    return getattr(handler, "__api_spec__", None)
