"""Which failures the API reports as ``503 database_unavailable`` and which stay a 500."""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web
from sqlalchemy import text

from server.api.errors import error_middleware
from server.db.availability import database_unavailable
from server.db.engine import Database, make_engine


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


async def _app(aiohttp_client: Any) -> Any:
    db = Database(make_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/test"))

    async def query(request: web.Request) -> web.Response:
        async with db.read() as s:
            await s.execute(text("SELECT 1"))
        return web.json_response({})

    async def file_error(request: web.Request) -> web.Response:
        open("/nonexistent/forumlive/file").close()
        return web.json_response({})

    async def socket_error(request: web.Request) -> web.Response:
        socket.create_connection(("127.0.0.1", _closed_port()), timeout=1)
        return web.json_response({})

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/query", query)
    app.router.add_get("/file", file_error)
    app.router.add_get("/socket", socket_error)

    async def close_db(app: web.Application) -> None:
        await db.close()

    app.on_cleanup.append(close_db)
    return await aiohttp_client(app)


async def test_a_refused_database_connection_is_a_503_with_retry_after(aiohttp_client: Any) -> None:
    client = await _app(aiohttp_client)
    r = await client.get("/query")
    assert r.status == 503
    assert r.headers["Retry-After"] == "2"
    body = await r.json()
    assert body["error"]["code"] == "database_unavailable"
    assert body["error"]["message"]


async def test_other_os_errors_stay_internal_errors(aiohttp_client: Any) -> None:
    client = await _app(aiohttp_client)
    for path in ("/file", "/socket"):  # a refused connection, but not to the database
        r = await client.get(path)
        assert r.status == 500, path
        assert (await r.json())["error"]["code"] == "internal_error"


async def test_the_classification_itself() -> None:
    db = Database(make_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/test"))
    try:
        async with db.read() as s:
            await s.execute(text("SELECT 1"))
    except Exception as exc:  # ConnectionRefusedError, raw, from inside the pool
        assert isinstance(exc, OSError)
        assert database_unavailable(exc)
    else:
        raise AssertionError("connected to a closed port")
    finally:
        await db.close()
    assert not database_unavailable(ConnectionRefusedError("not from the database"))
    assert not database_unavailable(TimeoutError())
    assert not database_unavailable(ValueError())
