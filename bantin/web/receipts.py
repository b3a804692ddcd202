"""`POST /loa/receipts` and its form page: a unit confirms it aired a bulletin.

Who may post (issue 8, item 7; docs/loudspeakers.md §5):
- an API client (a player, a script): `Authorization: Bearer <unit token>`, JSON or form;
  or a JSON body with a `token` field (a browser cannot send JSON across sites);
- a browser: the form page `GET /loa/receipts/form?token=…`, whose post carries the unit
  token and the page's CSRF token, and must come from this site (`Origin`/`Referer`).
The unit token alone decides the unit and the audit actor; the body's names are only
what the announcer typed (`reported_by`). Every field and the whole body are capped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from sqlalchemy import select

from bantin.config import Settings
from bantin.core.models import Campaign, Publication, Unit
from bantin.records.receipt_tokens import TokenIdentity, authenticate
from bantin.records.receipts import (
    EARLY_AIRING,
    LATE_AIRING,
    ReceiptError,
    ReceiptInput,
    add_receipt,
    parse_local,
)
from bantin.web import csrf
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.security import public_base

bp = Blueprint("receipts", __name__)
#: The whole request body; a receipt is a few hundred bytes.
MAX_BODY = 16 * 1024
#: Longest accepted text of each field (characters); other fields are ignored.
FIELD_LIMITS = {
    "token": 128,
    "csrf_token": 128,
    "publication": 12,
    "key": 128,
    "unit": 16,
    "reported_by": 128,
    "aired_at": 40,
    "duration": 16,
    "note": 1000,
}


class Unauthorized(ReceiptError):
    status = 401


class Forbidden(ReceiptError):
    status = 403


def _csrf_key() -> bytes:
    key: bytes | None = current_app.config.get("BANTIN_CSRF_KEY")
    if key is None:
        key = current_app.config["BANTIN_CSRF_KEY"] = csrf.load_key(_settings().home)
    return key


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def read_fields(data: Mapping[str, Any]) -> dict[str, str]:
    """The known fields as text, each within its limit; empty ones left out."""
    fields = {}
    for name, limit in FIELD_LIMITS.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ReceiptError(
                f"Trường {name} phải là chữ hoặc số", f"{name} must be text or a number"
            )
        text = str(value)
        if len(text) > limit:
            raise ReceiptError(
                f"Trường {name} dài quá {limit} ký tự", f"{name} is longer than {limit} characters"
            )
        if text.strip():
            fields[name] = text.strip()
    return fields


def receipt_input(
    fields: Mapping[str, str], who: TokenIdentity, source: str, settings: Settings
) -> ReceiptInput:
    """A receipt for the token's unit; bad values are 400s in both languages."""
    unit = fields.get("unit", who.unit_code)
    if unit != who.unit_code:
        raise Forbidden(
            f"Mã xác nhận này dành cho đơn vị {who.unit_code}, không dành cho {unit}",
            f"this token is for unit {who.unit_code}, not {unit}",
        )
    pub = fields.get("publication")
    if pub is not None and not pub.isdigit():
        raise ReceiptError(
            f"Mã bản tin {pub!r} phải là số", f"publication must be a number, not {pub!r}"
        )
    reported_by = fields.get("reported_by")
    if reported_by is None:
        raise ReceiptError("Cần ghi tên người phát (reported_by)", "reported_by is required")
    duration = fields.get("duration")
    try:
        seconds = float(duration) if duration is not None else None
    except ValueError:
        raise ReceiptError(
            f"Thời lượng {duration!r} phải là số giây", f"duration {duration!r} is not seconds"
        ) from None
    aired = fields.get("aired_at")
    return ReceiptInput(
        unit_code=unit,
        reported_by=reported_by,
        source=source,
        publication_id=int(pub) if pub is not None else None,
        key=fields.get("key"),
        aired_at=parse_local(aired, settings.timezone) if aired is not None else None,
        duration_seconds=seconds,
        note=fields.get("note"),
        actor=who.actor,
    )


def _allowed_origin() -> str | None:
    base = public_base(_settings())
    return csrf.origin_of(base if base else request.host_url)


def _check_browser(who: TokenIdentity, fields: Mapping[str, str]) -> None:
    """A browser's post must come from this site, through the form page."""
    origin, referer = request.headers.get("Origin"), request.headers.get("Referer")
    if not csrf.same_origin(origin, referer, _allowed_origin()):
        raise Forbidden(
            "Biểu mẫu không được gửi từ trang xác nhận của bantin",
            "the form was not posted from this site (Origin/Referer)",
        )
    if not csrf.valid(_csrf_key(), fields.get("csrf_token"), who.id, _now()):
        raise Forbidden(
            "Biểu mẫu đã hết hạn hoặc không hợp lệ: hãy mở lại trang xác nhận",
            "missing, expired or foreign csrf_token: reload the form page",
        )


def _unauthorized() -> Unauthorized:
    return Unauthorized(
        "Cần mã xác nhận của đơn vị (token) còn hiệu lực",
        "a live unit token is required (Authorization: Bearer <token>, or the token field)",
    )


def _answer(exc: ReceiptError) -> tuple[Response, int]:
    resp = jsonify(exc.as_dict())
    if exc.status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="bantin"'
    return resp, exc.status


@bp.post("/loa/receipts")
def post() -> Any:
    """Confirm an airing: 201 with the receipt, 409 if this unit already confirmed it."""
    if (request.content_length or 0) > MAX_BODY:
        return _answer(TooLarge())
    bearer = _bearer()
    if request.is_json:
        data, browser = request.get_json(silent=True), False
    else:
        data, browser = request.form, bearer is None
    if not isinstance(data, Mapping):
        return _answer(
            ReceiptError("Nội dung gửi lên không hợp lệ", "the body must be a JSON object")
        )
    settings = _settings()
    try:
        fields = read_fields(data)
        with _db().session() as s:
            who = authenticate(s, bearer or fields.get("token"))
            if who is None:
                raise _unauthorized()
            if browser:
                _check_browser(who, fields)
            inp = receipt_input(fields, who, "web" if browser else "api", settings)
            doc = add_receipt(s, inp, _now(), settings.timezone)
    except ReceiptError as exc:
        return _answer(exc)
    return jsonify(doc), 201


class TooLarge(ReceiptError):
    status = 413

    def __init__(self) -> None:
        super().__init__(
            f"Nội dung gửi lên quá lớn (tối đa {MAX_BODY} byte)",
            f"the request body is larger than {MAX_BODY} bytes",
        )


def _bulletins(session: Any, unit: str, now: datetime) -> list[tuple[Publication, str]]:
    """The unit's published radio bulletins a receipt could be for now (the slot rule)."""
    rows = session.execute(
        select(Publication, Campaign.title)
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(
            Campaign.kind == "radio_script",
            Publication.status == "published",
            Publication.unit_code == unit,
            Publication.due_at >= now - LATE_AIRING,
            Publication.due_at <= now + EARLY_AIRING,
        )
        .order_by(Publication.due_at, Publication.id)
    ).all()
    return [(pub, pub.title or title) for pub, title in rows]


@bp.get("/loa/receipts/form")
def form() -> Any:
    """The receipt form for the unit of a live token (in the query or a Bearer header)."""
    token = request.args.get("token") or _bearer()
    now, tz = _now(), _settings().timezone
    with _db().session() as s:
        who = authenticate(s, token)
        if who is None:
            return _answer(_unauthorized())
        unit = s.get_one(Unit, who.unit_code)
        items = [
            (pub.id, pub.due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y"), title)
            for pub, title in _bulletins(s, who.unit_code, now)
        ]
    html = render_template(
        "loa/receipt_form.html",
        unit=unit,
        items=items,
        token=token,
        csrf_token=csrf.issue(_csrf_key(), who.id, now),
        action=url_for("receipts.post"),
    )
    resp = Response(html, content_type="text/html; charset=utf-8")
    resp.cache_control.no_store = True  # the page holds the unit token
    return resp
