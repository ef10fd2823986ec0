"""Assertions shared by the API tests: the one error shape and direct database reads."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from server.appkeys import db_key


async def expect_error(r: ClientResponse, status: int, code: str) -> dict[str, Any]:
    """The response is ``status`` with exactly ``{"error": {"code", "message", "details"}}``."""
    text = await r.text()
    assert r.status == status, f"expected {status} {code}, got {r.status}: {text}"
    assert r.content_type == "application/json", r.content_type
    body = await r.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    return error


def locations(error: dict[str, Any]) -> set[tuple[str, ...]]:
    """The validation detail locations, e.g. ``{("body", "title")}``."""
    assert isinstance(error["details"], list) and error["details"], error
    for item in error["details"]:
        assert set(item) == {"location", "message", "type"}, item
    return {tuple(str(p) for p in item["location"]) for item in error["details"]}


async def count_rows(client: TestClient, model: Any, *where: Any) -> int:
    """Rows in a table as the app's own database sees them (no API in between)."""
    async with client.app[db_key].read() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def ok_json(r: ClientResponse, status: int = 200) -> Any:
    text = await r.text()
    assert r.status == status, f"expected {status}, got {r.status}: {text}"
    return await r.json()
