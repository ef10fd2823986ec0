"""The OpenAPI 3.1 document covers every route the app registers, with its schemas."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
from aiohttp import web
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from pydantic import RootModel

from server.api.openapi import build_openapi, documented_routes
from tests.api.helpers import expect_error, ok_json

# Browser pages (HTML, outside /api/) are marked by ``server.api.openapi.page_route``.
PAGE_MARK = "__page_route__"


def router_routes(app: web.Application) -> list[tuple[str, str, Any]]:
    """(method, path template, handler) for every route, read straight off the router."""
    out = []
    for route in app.router.routes():
        resource = route.resource
        if route.method == "HEAD" or resource is None or isinstance(resource, web.StaticResource):
            continue
        path = resource.canonical
        if path.startswith("/socket.io"):
            continue
        out.append((route.method, path, route.handler))
    return out


def undocumented(app: web.Application, doc: dict[str, Any]) -> list[str]:
    """Routes the document does not list, walking the router independently of openapi.py."""
    missing = []
    for method, path, handler in router_routes(app):
        if method.lower() in doc["paths"].get(path, {}):
            continue
        is_page = getattr(handler, PAGE_MARK, False) is True and not path.startswith("/api/")
        if not is_page:
            missing.append(f"{method} {path}")
    return missing


async def test_document_is_valid_openapi_3_1(client):
    doc = await ok_json(await client.get("/api/v1/openapi.json"))
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] == "forumlive"
    validate(doc)  # raises on the first problem
    assert list(OpenAPIV31SpecValidator(doc).iter_errors()) == []


async def test_every_registered_route_is_documented(client):
    doc = await ok_json(await client.get("/api/v1/openapi.json"))
    _found, missing = documented_routes(client.app)
    assert missing == []
    assert undocumented(client.app, doc) == []
    # And the other way round: every documented operation is a real route.
    real = {(m.lower(), p) for m, p, _h in router_routes(client.app)}
    listed = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert listed <= real
    # Everything under /api/ is in the document, whatever marks a handler carries.
    api_routes = {(m.lower(), p) for m, p, _h in router_routes(client.app) if p.startswith("/api/")}
    assert api_routes <= listed
    assert len(api_routes) >= 40


async def test_a_route_without_a_declaration_is_caught(settings):
    """The check above can fail: add a bare handler and both walks report it."""
    from server.app import create_app

    app = create_app(settings)

    async def bare(request: web.Request) -> web.Response:
        return web.json_response({})

    async def bare_page(request: web.Request) -> web.Response:
        return web.Response(text="<html></html>", content_type="text/html")

    setattr(bare_page, PAGE_MARK, True)
    app.router.add_post("/api/v1/undeclared/{id}", bare)
    app.router.add_get("/somewhere-new", bare)
    app.router.add_get("/api/v1/sneaky-page", bare_page)  # a page mark cannot hide an API route
    _found, missing = documented_routes(app)
    expected = {
        "POST /api/v1/undeclared/{id}",
        "GET /somewhere-new",
        "GET /api/v1/sneaky-page",
    }
    assert set(missing) == expected
    doc = build_openapi(app, "forumlive", "1")
    assert set(undocumented(app, doc)) == expected


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


async def test_each_operation_has_its_schemas(client):
    doc = await ok_json(await client.get("/api/v1/openapi.json"))
    found, _missing = documented_routes(client.app)
    assert found
    op_ids = set()
    for method, path, spec in found:
        op = doc["paths"][path][method.lower()]
        op_ids.add(op["operationId"])
        assert op["summary"] == spec.summary
        assert op["tags"] == [spec.tag]
        for name in re.findall(r"\{(\w+)\}", path):
            assert any(p["in"] == "path" and p["name"] == name for p in op["parameters"]), path
        if spec.body is not None:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            assert schema, f"{method} {path}: empty request schema"
            resolved = _resolve(doc, schema)
            if issubclass(spec.body, RootModel):  # e.g. a discriminated union of configs
                assert resolved.get("oneOf") or resolved.get("anyOf"), f"{method} {path}"
            else:
                body_fields = {f.alias or n for n, f in spec.body.model_fields.items()}
                assert set(resolved["properties"]) == body_fields, f"{method} {path}"
        if spec.query is not None:
            names = {p["name"] for p in op["parameters"] if p["in"] == "query"}
            assert names == {f.alias or n for n, f in spec.query.model_fields.items()}
        success = op["responses"][str(spec.status)]
        if spec.response is not None:
            assert success["content"][spec.produces]["schema"], f"{method} {path}"
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
        if spec.auth not in ("public", "optional"):
            assert "401" in op["responses"], f"{method} {path}"
            assert op["security"]
        if spec.auth in ("moderator", "organiser"):
            assert "403" in op["responses"], f"{method} {path}"
        if spec.body is not None:
            assert {"400", "413", "415", "422"} <= set(op["responses"]), f"{method} {path}"
    assert len(op_ids) == len(found)  # operation ids are unique
    components = doc["components"]["schemas"]
    for ref in _refs(doc["paths"]):
        assert ref.removeprefix("#/components/schemas/") in components, ref


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    # Refs point at #/components/schemas/...: validate inside a copy of the whole document.
    root = {**schema, "components": doc["components"]}
    return jsonschema.Draft202012Validator(root)


async def test_real_responses_match_their_documented_schemas(factory):
    c = factory.client
    prog = await factory.programme()
    s = await factory.session(
        prog, speaker_ids=[prog["people"][0]["id"]], action_lines=["C1"], sdgs=[5]
    )
    user = await factory.user()
    doc = await ok_json(await c.get("/api/v1/openapi.json"))

    def schema(path: str, method: str = "get", status: str = "200") -> dict[str, Any]:
        return doc["paths"][path][method]["responses"][status]["content"]["application/json"][
            "schema"
        ]

    for path, url, headers in (
        ("/api/v1/agenda", "/api/v1/agenda?tz=Asia/Tokyo", {}),
        ("/api/v1/sessions/{id}", f"/api/v1/sessions/{s['id']}", {}),
        ("/api/v1/me", "/api/v1/me", user["headers"]),
        ("/api/v1/events", "/api/v1/events", {}),
        ("/api/v1/people", "/api/v1/people", await factory.organiser_headers()),
        ("/api/v1/conflicts", "/api/v1/conflicts", await factory.organiser_headers()),
    ):
        body = await ok_json(await c.get(url, headers=headers))
        errors = list(_validator(doc, schema(path)).iter_errors(body))
        assert errors == [], (path, errors[:3])
    r = await c.get("/api/v1/sessions/999")
    error = await expect_error(r, 404, "not_found")
    error_schema = schema("/api/v1/sessions/{id}", status="404")
    assert list(_validator(doc, error_schema).iter_errors({"error": error})) == []
    # The documented request schema refuses what the API refuses.
    request = doc["paths"]["/api/v1/sessions"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert not _validator(doc, request).is_valid({"title": "x"})
    assert _validator(doc, request).is_valid(
        {"title": "x", "track_id": 1, "type_id": 1, "room_id": 1, "start": "2021-05-18T10:00:00"}
    )
