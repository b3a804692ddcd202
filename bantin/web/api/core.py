"""The API's plumbing: the blueprint, bearer authentication, problem details (RFC 9457),
pagination, and `endpoint`, which registers a view together with what the OpenAPI
document says about it — so the document is generated from the code that serves."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException

from bantin.accounts import api_tokens, scope
from bantin.core.db import Database

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])
MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Param:
    name: str
    where: str = "query"  # query | path
    type: str = "string"
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    """One route as the OpenAPI document describes it."""

    rule: str  # Flask rule under the prefix, e.g. "/publications/<int:pub_id>"
    method: str
    summary: str
    scope: str | None  # token scope needed; None for public
    params: tuple[Param, ...] = ()
    body: str | None = None  # media type of the request body
    paged: bool = False
    responses: dict[int, str] = field(default_factory=dict)


ENDPOINTS: list[Endpoint] = []


class Problem(Exception):
    """An error answered as application/problem+json."""

    def __init__(self, status: int, title: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem_response(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    doc: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        doc["detail"] = detail
    doc["instance"] = request.path
    doc.update(extra)
    resp = Response(
        json.dumps(doc, ensure_ascii=False), status=status, content_type="application/problem+json"
    )
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="bantin"'
    resp.cache_control.no_store = True
    return resp


@bp.errorhandler(Problem)
def _problem(exc: Problem) -> Response:
    return problem_response(exc.status, exc.title, exc.detail, **exc.extra)


def http_problem(exc: HTTPException) -> Response:
    """Werkzeug's errors (404, 405, 413…) under /api/ as problem details too."""
    return problem_response(exc.code or 500, exc.name, exc.description or "")


def db() -> Database:
    database: Database = current_app.config["BANTIN_DB"]
    return database


def now() -> datetime:
    value: datetime = current_app.config["CLOCK"].now()
    return value


def principal() -> scope.Principal:
    found: scope.Principal = g.api_principal
    return found


def _authenticate(needed: str) -> None:
    kind, _, text = request.headers.get("Authorization", "").partition(" ")
    with db().session() as s:
        row = api_tokens.authenticate(s, text.strip() if kind.lower() == "bearer" else None, now())
        p = scope.for_token(row) if row is not None else None
    if p is None:
        raise Problem(401, "Unauthorized", "a live API token is required (Authorization: Bearer)")
    if needed not in p.scopes:
        raise Problem(403, "Forbidden", f"this token lacks the {needed!r} scope")
    g.api_principal = p


def endpoint(ep: Endpoint) -> Callable[[F], F]:
    """Register `view` at `ep.rule` and record `ep` for the OpenAPI document."""

    def register(view: F) -> F:
        def wrapper(**kwargs: Any) -> Any:
            if ep.scope is not None:
                _authenticate(ep.scope)
            return view(**kwargs)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        bp.add_url_rule(ep.rule, view.__name__, wrapper, methods=[ep.method])
        ENDPOINTS.append(ep)
        return view

    return register


def page_args() -> tuple[int, int]:
    """`limit` (1..200, default 50) and the opaque `cursor` (an offset) of a list."""
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise Problem(400, "Bad Request", "limit must be a number", field="limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise Problem(400, "Bad Request", f"limit must be 1..{MAX_LIMIT}", field="limit")
    cursor = request.args.get("cursor")
    if not cursor:
        return limit, 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(
            400, "Bad Request", "cursor is not one this API gave", field="cursor"
        ) from None
    if offset < 0:
        raise Problem(400, "Bad Request", "cursor is not one this API gave", field="cursor")
    return limit, offset


def page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """A page from `limit + 1` fetched items: the extra one says a next page exists."""
    more = len(items) > limit
    nxt = base64.urlsafe_b64encode(str(offset + limit).encode()).decode().rstrip("=")
    return {"items": items[:limit], "next_cursor": nxt if more else None}
