"""A small fixed set of records whose report figures are computed by hand below.

Two years. STTTT runs a page until February 2025 (then SKHCN, its successor), the
Báo Vĩnh Long portal publishes articles in 2026, and four communes get loudspeaker
bulletins in January and February 2026. Times are local (Asia/Ho_Chi_Minh); two rows
sit just after midnight of the 1st, which is still the previous month in UTC, so a
report that grouped by UTC month would put them in the wrong column.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bantin.core.db import Database
from bantin.core.models import (
    BroadcastReceipt,
    Campaign,
    Channel,
    Feed,
    FeedEntry,
    Publication,
)
from bantin.records.indicators import record_indicator

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 07:00 on 20/11/2026 in Vĩnh Long

# Units, named so that Vietnamese order (An, Bến, Cái, Sơn) differs from code order.
A, B, C, D = "28777", "28789", "28783", "29641"
NAMES = {A: "Phường An Hội", B: "Phường Bến Tre", C: "Phường Sơn Đông", D: "Xã Cái Nhum"}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(UTC)


CHANNELS = [
    ("trang-sttt", "STTTT"),
    ("trang-skhcn", "SKHCN"),
    ("baovl-portal", "BAOVL"),
    ("loa-xa", "COMMUNES"),
]
CAMPAIGNS = [
    ("sttt-page", "1.1", "STTTT", "post", "2025-01-01", "2025-02-28", "Trang Sở TTTT"),
    ("skhcn-page", "1.1", "SKHCN", "post", "2025-03-01", "2030-12-31", "Trang Sở KH&CN"),
    ("baovl-bai", "1.2", "BAOVL", "article", "2026-01-01", "2026-12-31", "Chuyên mục CĐS"),
    ("loa-test", "1.3", "COMMUNES", "radio_script", "2026-01-01", "2026-12-31", "Bản tin loa"),
]
# (campaign, channel, unit, agency, task, local due, status, lateness seconds, approved)
PUBLICATIONS = [
    ("sttt-page", "trang-sttt", None, "STTTT", "1.1", "2025-01-10T08:00", "published", 0, False),
    ("sttt-page", "trang-sttt", None, "STTTT", "1.1", "2025-01-11T08:00", "published", 120, False),
    ("sttt-page", "trang-sttt", None, "STTTT", "1.1", "2025-01-12T08:00", "published", 30, False),
    ("sttt-page", "trang-sttt", None, "STTTT", "1.1", "2025-02-01T06:00", "published", 0, False),
    ("sttt-page", "trang-sttt", None, "STTTT", "1.1", "2025-02-11T08:00", "failed", None, False),
    ("sttt-page", "trang-sttt", None, "STTTT", "1.1", "2025-02-12T08:00", "cancelled", None, False),
    ("skhcn-page", "trang-skhcn", None, "SKHCN", "1.1", "2025-03-05T08:00", "published", 0, False),
    ("skhcn-page", "trang-skhcn", None, "SKHCN", "1.1", "2025-03-06T08:00", "published", 0, False),
    ("skhcn-page", "trang-skhcn", None, "SKHCN", "1.1", "2025-03-07T08:00", "missed", None, False),
    ("skhcn-page", "trang-skhcn", None, "SKHCN", "1.1", "2026-01-05T08:00", "published", 0, False),
    ("skhcn-page", "trang-skhcn", None, "SKHCN", "1.1", "2026-01-06T08:00", "unknown", None, False),
    (
        "baovl-bai",
        "baovl-portal",
        None,
        "BAOVL",
        "1.2",
        "2026-01-08T07:00",
        "published",
        3600,
        True,
    ),
    ("baovl-bai", "baovl-portal", None, "BAOVL", "1.2", "2026-01-15T07:00", "unknown", None, True),
    ("baovl-bai", "baovl-portal", None, "BAOVL", "1.2", "2026-12-31T07:00", "planned", None, False),
    ("loa-test", "loa-xa", A, "COMMUNES", "1.3", "2026-01-10T05:30", "published", 5, False),
    ("loa-test", "loa-xa", A, "COMMUNES", "1.3", "2026-01-11T05:30", "published", 5, False),
    ("loa-test", "loa-xa", B, "COMMUNES", "1.3", "2026-01-10T05:30", "published", 5, False),
    ("loa-test", "loa-xa", B, "COMMUNES", "1.3", "2026-01-11T05:30", "missed", None, False),
    ("loa-test", "loa-xa", C, "COMMUNES", "1.3", "2026-01-10T05:30", "failed", None, False),
    ("loa-test", "loa-xa", C, "COMMUNES", "1.3", "2026-01-11T05:30", "failed", None, False),
    ("loa-test", "loa-xa", A, "COMMUNES", "1.3", "2026-02-01T05:30", "published", 5, False),
    ("loa-test", "loa-xa", D, "COMMUNES", "1.3", "2026-02-10T05:30", "published", 5, False),
]
ATTEMPTS = {"published": 1, "failed": 3, "unknown": 1}
# (unit, local due of the bulletin, local airing time)
RECEIPTS = [
    (A, "2026-01-10T05:30", "2026-01-10T05:35"),
    (A, "2026-02-01T05:30", "2026-02-01T05:35"),
    (D, "2026-02-10T05:30", "2026-02-10T05:40"),
]

# -- figures computed by hand -----------------------------------------------------------
# Output 2025, rolled up: STTTT's rows appear under SKHCN, the agency of record kept.
OUTPUT_2025 = {
    ("SKHCN", "STTTT", "2025-01"): {"planned": 3, "published": 3, "late": 1, "failed": 0},
    ("SKHCN", "STTTT", "2025-02"): {"planned": 2, "published": 1, "late": 0, "failed": 1},
    ("SKHCN", "SKHCN", "2025-03"): {"planned": 3, "published": 2, "missed": 1},
}
TOTAL_2026 = {
    "planned": 13,
    "published": 7,
    "late": 1,
    "missed": 1,
    "failed": 2,
    "unknown": 2,
    "pending": 1,
}
# Coverage 2026: (units reached, units confirmed) per month; the other months are 0.
COVERAGE_2026 = {"2026-01": (2, 1), "2026-02": (2, 2)}
COVERAGE_UNITS = {
    A: {"published": 3, "months_reached": 2, "receipts": 2, "months_confirmed": 2},
    B: {"published": 1, "months_reached": 1, "receipts": 0, "months_confirmed": 0},
    C: {"published": 0, "months_reached": 0, "receipts": 0, "months_confirmed": 0},
    D: {"published": 1, "months_reached": 1, "receipts": 1, "months_confirmed": 1},
}
# Annual report of SKHCN for 2025: task 1.1 with STTTT's January and February.
SKHCN_2025_TASK_11 = {
    "planned": 8,
    "published": 6,
    "late": 1,
    "missed": 1,
    "failed": 1,
    "unknown": 0,
    "pending": 0,
}
RESPONSIBLE_2026 = ["BAOVL", "COMMUNES", "DEPARTMENTS", "PRESS", "SKHCN"]


def build(db: Database, *, indicators: bool = True) -> None:
    """Write the records above into a migrated database with the plan loaded."""
    created = local("2024-12-01T08:00")
    with db.session() as s:
        for name, agency in CHANNELS:
            s.add(
                Channel(
                    name=name,
                    agency_code=agency,
                    kind="outbox",
                    url=f"outbox://outbox/{name}",
                    created_at=created,
                )
            )
        for cid, task, agency, kind, start, end, title in CAMPAIGNS:
            s.add(
                Campaign(
                    id=cid,
                    title=title,
                    task_code=task,
                    agency_code=agency,
                    approval="none",
                    priority="normal",
                    kind=kind,
                    spec={"period": {"start": start, "end": end}},
                    templates={},
                    source_path=f"{cid}.yaml",
                    content_hash="0" * 64,
                    created_at=created,
                    updated_at=created,
                )
            )
        s.flush()
        ids: dict[tuple[str | None, str], int] = {}
        for i, (cid, chan, unit, agency, task, due, status, late, approved) in enumerate(
            PUBLICATIONS
        ):
            due_at = local(due)
            pub = Publication(
                campaign_id=cid,
                channel_name=chan,
                unit_code=unit,
                agency_code=agency,
                task_code=task,
                due_at=due_at,
                priority="normal",
                status=status,
                idempotency_key=f"{i:064d}",
                needs_approval=approved,
                attempts=ATTEMPTS.get(status, 0),
                approved_by="bientap" if approved else None,
                approved_at=due_at - timedelta(hours=20) if approved else None,
                published_at=due_at + timedelta(seconds=late) if late is not None else None,
                lateness_seconds=late,
            )
            s.add(pub)
            s.flush()
            ids[(unit, due)] = pub.id
        for unit, due, aired in RECEIPTS:
            s.add(
                BroadcastReceipt(
                    publication_id=ids[(unit, due)],
                    unit_code=unit,
                    agency_code="COMMUNES",
                    aired_at=local(aired),
                    reported_by="van-hoa",
                    source="cli",
                    recorded_at=local(aired),
                )
            )
        s.add(
            Feed(
                name="cds-quoc-gia",
                url="https://example.vn/rss",
                agency_code="BAOVL",
                created_at=created,
            )
        )
        s.flush()
        for n in range(2):
            s.add(
                FeedEntry(
                    feed_name="cds-quoc-gia",
                    guid=f"g{n}",
                    title=f"Tin {n}",
                    fetched_at=local(f"2026-03-0{n + 1}T09:00"),
                )
            )
        if indicators:
            record_indicator(
                s, "schools-stem", 2025, "SGDDT", 55, "Báo cáo số 125/BC-SGDĐT", "t", NOW
            )
            record_indicator(
                s, "officials-trained", 2025, "SKHCN", 95, "Báo cáo số 88/BC-SKHCN", "t", NOW
            )
            record_indicator(
                s,
                "citizens-digital-services",
                2026,
                "SKHCN",
                91,
                "Báo cáo số 90/BC-SKHCN",
                "t",
                NOW,
            )
