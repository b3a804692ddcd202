"""Script and attribute payloads planted in every user-controlled field the desk shows,
and a check of an answer: no payload unescaped, no tag with an on* attribute, no link
or source starting with `javascript:` (parsed with html.parser, not searched for)."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from sqlalchemy import select, update

from bantin.accounts import api_tokens
from bantin.accounts.users import NewUser, add_user
from bantin.core.account_models import UserAccount
from bantin.core.audit import append as audit_append
from bantin.core.db import Database
from bantin.core.feed_token_models import FeedToken
from bantin.core.models import (
    Alert,
    BroadcastReceipt,
    Campaign,
    Channel,
    DeliveryAttempt,
    Feed,
    FeedEntry,
    Publication,
    ReceiptToken,
)
from bantin.core.plan_tables import Agency, Task, Unit, UnitGroup
from tests.web.compose_support import pending_article
from tests.web.conftest import APPLIED_AT, NOW
from tests.web.desk_support import PASSWORD, add_people

SCRIPT = "<script>alert(1)</script>"
ATTR = '"><img src=x onerror=alert(1)>'
LINK = "javascript:alert(1)"
P = f"X{SCRIPT}{ATTR}"  # text fields
EVIL_CHANNEL = 'kenh"><img src=x onerror=alert(1)>'
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "xlink:href"}


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            text = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if name in URL_ATTRS and text.startswith(("javascript:", "data:text", "vbscript:")):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x> parsed as a tag")

    def handle_data(self, data: str) -> None:
        if self.lasttag == "script" and "alert(1)" in data:
            self.found.append("a <script> with the payload")


def problems(body: str, content_type: str) -> list[str]:
    """What in this answer would run the payload in a browser."""
    if "html" not in content_type and "xml" not in content_type:
        return []  # JSON, CSV, ICS, PDF: not parsed as markup (nosniff is set)
    found = [f"raw {SCRIPT[:8]}…" for _ in range(1) if "<script>alert(1)" in body]
    scan = _Scan()
    scan.feed(body)
    scan.close()
    return found + scan.found


def add_admin(db: Database) -> None:
    """The admin `quan.tri` (tests/web/desk_support.py has none)."""
    with db.session() as s:
        add_user(s, NewUser("quan.tri", "Quản Trị", "admin"), PASSWORD, "test", APPLIED_AT)


def plant(db: Database, people: bool = True) -> dict[str, int]:
    """Payloads in every field the desk shows; returns publication ids to open.
    `people=False` when the browser fixture has added the accounts already."""
    if people:
        add_people(db)
    add_admin(db)
    pending = pending_article(db)
    with db.session() as s:
        s.execute(update(UserAccount).values(display_name=P))
        s.execute(update(Publication).values(title=P, body=P))
        s.execute(update(Campaign).values(title=P))
        s.execute(update(Agency).values(name=P, name_en=P))
        s.execute(update(Unit).where(Unit.code.in_(["29641", "29821"])).values(name=P))
        s.execute(update(UnitGroup).values(title=P))
        s.execute(update(Task).values(title=P))
        fanpage = s.get_one(Channel, "baovl-fanpage")
        fanpage.status, fanpage.status_reason = "broken", P
        s.add(
            Channel(
                name=EVIL_CHANNEL,
                agency_code="BAOVL",
                kind=fanpage.kind,
                url=fanpage.url,
                created_at=APPLIED_AT,
            )
        )
        s.add(Alert(at=NOW, agency_code="BAOVL", kind="broken", message=P))
        s.add(Alert(at=NOW, agency_code="COMMUNES", kind="broken", message=P))
        ids = _publications(s, pending)
        s.add(
            FeedToken(
                audience_kind="don-vi",
                audience_key="29641",
                label=P,
                token_hash="a" * 64,
                created_at=APPLIED_AT,
                created_by=P,
            )
        )
        s.add(
            ReceiptToken(
                unit_code="29641", label=P, token_hash="b" * 64, created_at=APPLIED_AT, created_by=P
            )
        )
        s.add(Feed(name="nguon", url=LINK, agency_code="BAOVL", created_at=APPLIED_AT))
        s.flush()
        s.add(
            FeedEntry(
                feed_name="nguon", guid=P, link=LINK, title=P, summary_html=P, fetched_at=APPLIED_AT
            )
        )
        audit_append(s, NOW, P, "publication.note", "publication", str(ids["failed"]), {"x": P})
        api_tokens.create(s, "BAOVL", P, ["calendar"], P, APPLIED_AT)
    return {**ids, "pending": pending}


def _publications(s: object, pending: int) -> dict[str, int]:
    """A failed post with a reason and a link, a rejected one, and a radio script of
    29641 that aired (a receipt with the reporter's name and note)."""
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    agency = s.scalars(
        select(Publication).where(Publication.agency_code == "BAOVL", Publication.id != pending)
    ).all()
    failed, rejected = agency[0], agency[1]
    failed.status, failed.status_reason, failed.external_url = "failed", P, LINK
    rejected.status, rejected.status_reason = "cancelled", P  # a reject reason
    aired = s.scalars(
        select(Publication).where(
            Publication.unit_code == "29641", Publication.status == "published"
        )
    ).first()
    assert aired is not None
    aired.external_url = LINK
    s.add(
        DeliveryAttempt(
            publication_id=failed.id,
            number=1,
            runner=P,
            started_at=NOW - timedelta(hours=1),
            outcome="failed",
            error=P,
            external_url=LINK,
        )
    )
    s.add(
        BroadcastReceipt(
            publication_id=aired.id,
            unit_code="29641",
            agency_code="COMMUNES",
            aired_at=aired.published_at or NOW,
            recorded_at=NOW,
            reported_by=P,
            source="web",
            note=P,
        )
    )
    s.flush()
    return {"failed": failed.id, "rejected": rejected.id, "aired": aired.id}
