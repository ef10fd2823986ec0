"""The OpenAPI 3.1 document, built from the router and each route's ``EndpointSpec``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import TypeAdapter

from server.api.endpoint import Call, EndpointSpec, endpoint, spec_of

_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_PAGE_ROUTE = "__page_route__"
PageHandler = TypeVar("PageHandler", bound=Callable[[web.Request], Awaitable[web.StreamResponse]])


def page_route(handler: PageHandler) -> PageHandler:
    """Mark a handler as a browser page (HTML), which the API document leaves out.

    Only outside ``/api/``: a page-marked handler under ``/api/`` still counts as
    an undocumented API route, so the mark cannot hide one.
    """
    setattr(handler, _PAGE_ROUTE, True)
    return handler


def _is_page(handler: object, path: str) -> bool:
    return getattr(handler, _PAGE_ROUTE, False) is True and not path.startswith("/api/")


def documented_routes(
    app: web.Application,
) -> tuple[list[tuple[str, str, EndpointSpec]], list[str]]:
    """(method, path, spec) for every API route, and the routes that lack a spec."""
    found: list[tuple[str, str, EndpointSpec]] = []
    missing: list[str] = []
    for route in app.router.routes():
        if route.method == "HEAD" or isinstance(route.resource, web.StaticResource):
            continue
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path is None or path.startswith("/socket.io") or _is_page(route.handler, path):
            continue
        spec = spec_of(route.handler)
        if spec is None:
            missing.append(f"{route.method} {path}")
        else:
            found.append((route.method, path, spec))
    return found, missing


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {},
                },
            }
        },
    }


def build_openapi(app: web.Application, title: str, version: str) -> dict[str, Any]:
    routes, _missing = documented_routes(app)
    inputs: list[tuple[Any, Any, TypeAdapter[Any]]] = []
    for method, path, spec in routes:
        if spec.body is not None:
            inputs.append(((method, path, "body"), "validation", TypeAdapter(spec.body)))
        if spec.response is not None:
            inputs.append(((method, path, "response"), "serialization", TypeAdapter(spec.response)))
    schemas, defs = TypeAdapter.json_schemas(inputs, ref_template=_REF) if inputs else ({}, {})
    components: dict[str, Any] = dict(defs.get("$defs", {}))
    components["Error"] = _error_schema()

    paths: dict[str, dict[str, Any]] = {}
    for method, path, spec in routes:
        op: dict[str, Any] = {
            "operationId": f"{method.lower()}_{re.sub(r'[^a-zA-Z0-9]+', '_', path).strip('_')}",
            "summary": spec.summary,
            "tags": [spec.tag],
            "parameters": [],
            "responses": {},
        }
        if spec.description:
            op["description"] = spec.description
        for name in _PARAM.findall(path):
            kind = "integer" if name == "id" or name.endswith("_id") else "string"
            op["parameters"].append(
                {"name": name, "in": "path", "required": True, "schema": {"type": kind}}
            )
        if spec.query is not None:
            qschema = spec.query.model_json_schema(ref_template=_REF, by_alias=True)
            components.update(qschema.pop("$defs", {}))
            required = set(qschema.get("required", []))
            for name, prop in qschema.get("properties", {}).items():
                param: dict[str, Any] = {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": prop,
                }
                if "description" in prop:
                    param["description"] = prop["description"]
                op["parameters"].append(param)
        if spec.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {"schema": schemas[((method, path, "body"), "validation")]}
                },
            }
        elif spec.request_content_type is not None:
            op["requestBody"] = {
                "required": True,
                "content": {
                    spec.request_content_type: {"schema": spec.request_schema or {"type": "string"}}
                },
            }
        if spec.response is None:
            op["responses"][str(spec.status)] = {"description": "done, no content"}
        else:
            schema = schemas[((method, path, "response"), "serialization")]
            content = {spec.produces: {"schema": schema}}
            for alternative in spec.alternative_produces:
                content[alternative] = {"schema": {"type": "string"}}
            op["responses"][str(spec.status)] = {"description": "success", "content": content}
        errors = set(spec.errors)
        if spec.body is not None:
            errors |= {400, 413, 415, 422}
        if spec.request_content_type is not None:
            errors |= {400, 413, 415}
        if spec.query is not None:
            errors.add(422)
        if spec.auth not in ("public", "optional"):
            errors.add(401)
        if spec.auth in ("moderator", "organiser"):
            errors.add(403)
        for status in sorted(errors):
            op["responses"][str(status)] = {
                "description": "error",
                "content": {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}},
            }
        if spec.auth == "token":
            op["security"] = [{"bearer": []}]
        elif spec.auth not in ("public", "optional"):
            op["security"] = [{"bearer": []}, {"cookie": []}]
        paths.setdefault(path, {})[method.lower()] = op

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "forumlive_session"},
            },
        },
    }


routes = web.RouteTableDef()


@routes.get("/api/v1/openapi.json")
@endpoint(summary="This OpenAPI document", tag="meta", response=dict[str, Any])
async def openapi(call: Call) -> web.Response:
    return web.json_response(build_openapi(call.app, "forumlive", "1"))
