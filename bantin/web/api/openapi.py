"""The OpenAPI 3.1 document of `/api/v1`, generated from the `Endpoint` records that
registered the views (so a route cannot exist without being documented)."""

from __future__ import annotations

import re
from typing import Any

from bantin import __version__
from bantin.web.api.core import ENDPOINTS, Endpoint, endpoint

PREFIX = "/api/v1"
PROBLEM = {"$ref": "#/components/responses/Problem"}


def openapi_path(rule: str) -> str:
    """`/publications/<int:pub_id>` -> `/api/v1/publications/{pub_id}`."""
    return PREFIX + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _operation(ep: Endpoint) -> dict[str, Any]:
    params = [
        {
            "name": p.name,
            "in": p.where,
            "required": p.required or p.where == "path",
            "description": p.description,
            "schema": {"type": p.type},
        }
        for p in ep.params
    ]
    if ep.paged:
        params += [
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 200},
            },
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        ]
    op: dict[str, Any] = {
        "operationId": ep.rule.strip("/")
        .replace("/", "_")
        .replace("<int:", "")
        .replace("<", "")
        .replace(">", "")
        + "_"
        + ep.method.lower(),
        "summary": ep.summary,
        "parameters": params,
        "responses": {
            "200" if ep.method == "GET" else "201": {"description": "OK"},
            "400": PROBLEM,
            "401": PROBLEM,
            "403": PROBLEM,
            "404": PROBLEM,
        },
    }
    if ep.scope is not None:
        op["security"] = [{"bearer": [ep.scope]}]
    if ep.body:
        op["requestBody"] = {"required": True, "content": {ep.body: {"schema": {}}}}
    return op


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for ep in ENDPOINTS:
        paths.setdefault(openapi_path(ep.rule), {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.1.0",
        "info": {"title": "bantin API", "version": __version__},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Problem": {
                    "description": "An error (RFC 9457 problem details)",
                    "content": {"application/problem+json": {"schema": {"type": "object"}}},
                }
            },
        },
    }


@endpoint(Endpoint("/openapi.json", "GET", "This document", None))
def openapi_json() -> Any:
    """This document (public: it describes the API, not its data)."""
    return document()
