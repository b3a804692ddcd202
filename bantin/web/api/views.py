"""`/api/v1`: schedule, publications, record summaries, campaigns (list, validate,
apply), receipts and reports, for one agency's bearer token. Every list is paged;
every read goes through `bantin.accounts.scope`; every change is audited with the token.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

from bantin.accounts import scope
from bantin.campaigns import service
from bantin.campaigns.errors import CampaignError
from bantin.campaigns.validate import validate_file
from bantin.core.models import Campaign, Publication
from bantin.records.query import GROUP_COLUMNS, Filters, list_publications, summary
from bantin.records.receipts import ReceiptError, ReceiptInput, add_receipt, parse_local
from bantin.records.reports import formats
from bantin.web import report_docs
from bantin.web.api.core import (
    Endpoint,
    Param,
    Problem,
    db,
    endpoint,
    now,
    page,
    page_args,
    principal,
)
from bantin.web.context import settings as _settings
from bantin.web.receipts import read_fields

MAX_YAML = 1_000_000
STATUS = Param("status", description="only publications in this state")
FROM = Param("from", description="ISO date or datetime (local time without an offset)")
TO = Param("to", description="ISO date or datetime, exclusive")


def _when(name: str) -> datetime | None:
    text = request.args.get(name)
    if not text:
        return None
    try:
        return parse_local(text, _settings().timezone)
    except ReceiptError:
        raise Problem(
            400, "Bad Request", f"{name} is not an ISO date or datetime", field=name
        ) from None


def _filters() -> Filters:
    status = request.args.get("status")
    return Filters(
        agency=principal().agency,
        status=(status,) if status else (),
        start=_when("from"),
        end=_when("to"),
    )


@endpoint(
    Endpoint("/schedule", "GET", "Publications by due time", "read", (FROM, TO, STATUS), paged=True)
)
def schedule() -> Any:
    """The agency's publications in due order, from `from` (default now)."""
    limit, offset = page_args()
    filters = _filters()
    if filters.start is None:
        filters = Filters(
            agency=filters.agency, status=filters.status, start=now(), end=filters.end
        )
    with db().read() as s:
        rows = list_publications(s, filters, limit=offset + limit + 1)[offset:]
    return jsonify(page(rows, limit, offset))


def _publication(pub: Publication) -> dict[str, Any]:
    return {
        "id": pub.id,
        "campaign": pub.campaign_id,
        "agency": pub.agency_code,
        "channel": pub.channel_name,
        "unit": pub.unit_code,
        "task": pub.task_code,
        "due_at": pub.due_at.isoformat(),
        "status": pub.status,
        "reason": pub.status_reason,
        "title": pub.title,
        "body": pub.body,
        "attempts": pub.attempts,
        "published_at": pub.published_at.isoformat() if pub.published_at else None,
        "external_url": pub.external_url,
    }


@endpoint(Endpoint("/publications", "GET", "Publications by id", "read", (STATUS,), paged=True))
def publications() -> Any:
    limit, offset = page_args()
    q = select(Publication).where(scope.publications(principal())).order_by(Publication.id)
    status = request.args.get("status")
    if status:
        q = q.where(Publication.status == status)
    with db().read() as s:
        rows = [_publication(p) for p in s.scalars(q.offset(offset).limit(limit + 1))]
    return jsonify(page(rows, limit, offset))


@endpoint(
    Endpoint(
        "/publications/<int:pub_id>",
        "GET",
        "One publication",
        "read",
        (Param("pub_id", "path", "integer", required=True),),
    )
)
def publication(pub_id: int) -> Any:
    with db().read() as s:
        pub = s.get(Publication, pub_id)
        if pub is None or not scope.sees_publication(principal(), pub):
            raise Problem(404, "Not Found", f"no publication {pub_id}")
        return jsonify(_publication(pub))


@endpoint(
    Endpoint(
        "/records/summary",
        "GET",
        "Counts per state",
        "read",
        (Param("by", description=f"one of {', '.join(GROUP_COLUMNS)}"), FROM, TO),
    )
)
def records_summary() -> Any:
    by = request.args.get("by", "task")
    if by not in GROUP_COLUMNS:
        raise Problem(
            400, "Bad Request", f"by must be one of {', '.join(GROUP_COLUMNS)}", field="by"
        )
    with db().read() as s:
        return jsonify({"by": by, "rows": summary(s, by, _filters())})


@endpoint(Endpoint("/campaigns", "GET", "The agency's campaigns", "read", paged=True))
def campaigns() -> Any:
    limit, offset = page_args()
    q = (
        select(Campaign)
        .where(Campaign.agency_code == principal().agency)
        .order_by(Campaign.id)
        .offset(offset)
        .limit(limit + 1)
    )
    with db().read() as s:
        rows = [
            {
                "id": c.id,
                "title": c.title,
                "task": c.task_code,
                "kind": c.kind,
                "status": c.status,
                "updated_at": c.updated_at.isoformat(),
            }
            for c in s.scalars(q)
        ]
    return jsonify(page(rows, limit, offset))


def _campaign_errors(exc: CampaignError) -> Problem:
    errors = [{"line": i.line, "field": i.field, "detail": i.message} for i in exc.issues]
    first = exc.issues[0] if exc.issues else None
    detail = f"line {first.line}: {first.field}: {first.message}" if first else "invalid"
    return Problem(422, "Invalid campaign file", detail, errors=errors)


def _validated(folder: Path) -> Any:
    """The posted YAML (text/yaml body), validated, and for this token's agency."""
    text = request.get_data(cache=False, as_text=True)
    if len(text.encode()) > MAX_YAML:
        raise Problem(413, "Content Too Large", f"a campaign file is at most {MAX_YAML} bytes")
    path = folder / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    with db().read() as s:
        try:
            v = validate_file(s, path, home=_settings().home, display="campaign.yaml")
        except CampaignError as exc:
            raise _campaign_errors(exc) from None
    if v.spec.agency != principal().agency:
        raise Problem(
            403,
            "Forbidden",
            f"this token is for agency {principal().agency}, not {v.spec.agency}",
            errors=[{"line": None, "field": "agency", "detail": "another agency's campaign"}],
        )
    return v


@endpoint(
    Endpoint(
        "/campaigns/validate", "POST", "Validate a campaign file", "read", body="application/yaml"
    )
)
def campaign_validate() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        v = _validated(Path(tmp))
    return jsonify({"id": v.spec.id, "valid": True, "warnings": v.warnings})


@endpoint(
    Endpoint("/campaigns/apply", "POST", "Apply a campaign file", "write", body="application/yaml")
)
def campaign_apply() -> Any:
    settings = _settings()
    with tempfile.TemporaryDirectory() as tmp:
        v = _validated(Path(tmp))
        folder = settings.home / "campaigns" / "api" / str(principal().agency)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{v.spec.id}.yaml"
        path.write_bytes((Path(tmp) / "campaign.yaml").read_bytes())
    try:
        (result,) = service.apply_files(
            db(),
            [path],
            now(),
            timedelta(days=settings.horizon_days),
            principal().actor,
            settings.home,
        )
    except CampaignError as exc:
        raise _campaign_errors(exc) from None
    return jsonify(
        {"id": result.campaign, "action": result.action, "added": result.materialised.added}
    ), 201


@endpoint(
    Endpoint(
        "/receipts", "POST", "Confirm a bulletin was aired", "receipts", body="application/json"
    )
)
def receipts() -> Any:
    """A loudspeaker vendor confirms an airing of one of this agency's publications."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(400, "Bad Request", "the body must be a JSON object")
    try:
        fields = read_fields(data)
        pub_id = fields.get("publication", "")
        if not pub_id.isdigit():
            raise Problem(
                400, "Bad Request", "publication (a number) is required", field="publication"
            )
        with db().session() as s:
            pub = s.get(Publication, int(pub_id))
            if pub is None or not scope.sees_publication(principal(), pub):
                raise Problem(404, "Not Found", f"no publication {pub_id}")
            aired = fields.get("aired_at")
            inp = ReceiptInput(
                unit_code=pub.unit_code or "",
                reported_by=fields.get("reported_by") or principal().actor,
                source="api",
                publication_id=pub.id,
                aired_at=parse_local(aired, _settings().timezone) if aired else None,
                duration_seconds=float(fields["duration"]) if "duration" in fields else None,
                note=fields.get("note"),
                actor=principal().actor,
            )
            doc = add_receipt(s, inp, now(), _settings().timezone)
    except ReceiptError as exc:
        raise Problem(exc.status, "Receipt refused", exc.en) from None
    except ValueError:
        raise Problem(400, "Bad Request", "duration must be seconds", field="duration") from None
    return jsonify(doc), 201


@endpoint(
    Endpoint(
        "/reports/<kind>",
        "GET",
        "A report as JSON",
        "read",
        (
            Param("kind", "path", required=True, description=", ".join(report_docs.KINDS)),
            Param("year", type="integer", required=True),
            Param("agency", description="required for annual; this token's agency"),
        ),
    )
)
def reports(kind: str) -> Any:
    try:
        year = int(request.args.get("year", ""))
    except ValueError:
        raise Problem(400, "Bad Request", "year must be a number", field="year") from None
    agency = request.args.get("agency") or principal().agency
    with db().read() as s:
        try:
            doc = report_docs.build(
                s, principal(), kind, year, agency, tz=_settings().timezone, now=now()
            )
        except report_docs.NotAllowed:
            raise Problem(404, "Not Found", f"no report {kind!r} for this token") from None
        body = formats.to_json(doc)
    return Response(body, content_type="application/json")
