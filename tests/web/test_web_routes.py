"""server/web.py: the client's files and page paths, served safely, kept out of the API document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from server.api.openapi import documented_routes, page_route
from server.app import create_app
from server.settings import Settings
from server.web import CONTENT_SECURITY_POLICY, DEFAULT_WEB_DIR, PAGE_PATHS


def _web_dir(tmp_path: Path) -> Path:
    root = tmp_path / "web"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>forumlive</title>", encoding="utf-8")
    (root / "js" / "main.js").write_text("export const ok = true;\n", encoding="utf-8")
    return root


async def _client(aiohttp_client: Any, settings: Settings, root: Path) -> TestClient:
    return await aiohttp_client(create_app(settings.model_copy(update={"web_dir": root})))


async def test_page_paths_answer_with_the_client_entry(client: TestClient) -> None:
    entry = (DEFAULT_WEB_DIR / "index.html").read_text(encoding="utf-8")
    for path in ("/", "/agenda", "/schedule", "/sessions/12", "/rooms/3", "/moderate/3",
                 "/organise", "/organise/reports", "/login", "/register", "/profile"):  # fmt: skip
        response = await client.get(path)
        assert response.status == 200, path
        assert response.content_type == "text/html"
        assert await response.text() == entry
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-cache"


async def test_api_routes_win_over_page_paths(client: TestClient) -> None:
    response = await client.get("/api/v1/sessions/999999")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"
    # A path that is neither a page nor an API route is a JSON 404, not the client.
    response = await client.get("/sessions/not-a-number")
    assert response.status == 404
    assert response.content_type == "application/json"


async def test_static_files_are_served_with_module_types(client: TestClient) -> None:
    response = await client.get("/static/js/main.js")
    assert response.status == 200
    assert response.content_type in ("text/javascript", "application/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    assert "ETag" in response.headers
    vendor = await client.get("/static/vendor/preact-htm.mjs")
    assert vendor.status == 200
    assert vendor.content_type in ("text/javascript", "application/javascript")
    table = await client.get("/static/i18n/fr.json")
    assert table.status == 200
    assert (await table.json())["nav.agenda"] == "Programme"


async def test_no_directory_listing(
    aiohttp_client: Any, settings: Settings, tmp_path: Path
) -> None:
    client = await _client(aiohttp_client, settings, _web_dir(tmp_path))
    for path in ("/static/", "/static/js", "/static/js/"):
        response = await client.get(path)
        assert response.status in (403, 404), path
        assert "main.js" not in await response.text()


async def test_symlinks_out_of_the_web_folder_are_not_followed(
    aiohttp_client: Any, settings: Settings, tmp_path: Path
) -> None:
    root = _web_dir(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("database password", encoding="utf-8")
    (root / "js" / "leak.txt").symlink_to(secret)
    (root / "outside").symlink_to(tmp_path)
    client = await _client(aiohttp_client, settings, root)
    for path in ("/static/js/leak.txt", "/static/outside/secret.txt"):
        response = await client.get(path)
        assert response.status == 404, path
        assert "database password" not in await response.text()
    for path in (
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/js/%2e%2e/%2e%2e/secret.txt",
    ):
        response = await client.get(path)
        assert response.status in (400, 403, 404), path
        assert "database password" not in await response.text()


async def test_page_routes_stay_out_of_the_api_document(client: TestClient) -> None:
    found, missing = documented_routes(client.app)
    assert missing == []
    paths = {path for _method, path, _spec in found}
    assert not paths & {p for p in PAGE_PATHS}
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert "/" not in document["paths"]
    assert not any(p.startswith("/static") for p in document["paths"])


def test_the_page_mark_cannot_hide_an_api_route(settings: Settings) -> None:
    app = create_app(settings)

    @page_route
    async def sneaky(request: web.Request) -> web.StreamResponse:
        return web.Response(text="not documented")

    @page_route
    async def page(request: web.Request) -> web.StreamResponse:
        return web.Response(text="a page")

    app.router.add_get("/api/v1/sneaky", sneaky)
    app.router.add_get("/somewhere", page)
    _found, missing = documented_routes(app)
    assert missing == ["GET /api/v1/sneaky"]


def test_an_unmarked_non_api_route_is_still_reported(settings: Settings) -> None:
    app = create_app(settings)

    async def plain(request: web.Request) -> web.StreamResponse:
        return web.Response(text="?")

    app.router.add_get("/plain", plain)
    _found, missing = documented_routes(app)
    assert missing == ["GET /plain"]
