"""Liveness, readiness and the metrics endpoint."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import text

from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.appkeys import db_key, metrics_key, redis_key
from server.ops.metrics import CONTENT_TYPE

routes = web.RouteTableDef()
_CHECK_TIMEOUT = 2.0


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    redis: str


@routes.get("/healthz")
@endpoint(summary="The process is alive", tag="operations", response=Health)
async def healthz(call: Call) -> Health:
    return Health(status="ok")


async def _database_ok(call: Call) -> bool:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT), call.app[db_key].read() as s:
            await s.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


async def _redis_state(call: Call) -> str:
    redis = call.app[redis_key]
    if redis is None:
        return "not used"
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            await redis.ping()
        return "ok"
    except Exception:
        return "unreachable"


@routes.get("/readyz")
@endpoint(
    summary="Database and Redis are reachable", tag="operations", response=Readiness, errors=(503,)
)
async def readyz(call: Call) -> Readiness:
    database = "ok" if await _database_ok(call) else "unreachable"
    redis = await _redis_state(call)
    if database != "ok" or redis == "unreachable":
        raise ApiError(
            503,
            "not_ready",
            "a dependency is unreachable",
            {"database": database, "redis": redis},
            headers={"Retry-After": "2"},
        )
    return Readiness(status="ok", database=database, redis=redis)


@routes.get("/metrics")
@endpoint(
    summary="Prometheus metrics",
    tag="operations",
    response=str,
    produces="text/plain; version=0.0.4",
)
async def metrics(call: Call) -> web.Response:
    body = call.app[metrics_key].exposition()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
