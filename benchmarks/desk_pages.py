"""Server time of the desk's pages on a big database: with 1,000,000 publications stored
in SQLite (startup_data.py's builder, cached under benchmarks/.cache/), the calendar's
month view (auditor: every agency; and an editor of the communes' agency, whose radio
scripts are 124 communes × 2 bulletins a day), the day list of one campaign, the
iCalendar feed, a radio script's publication page, the auditor's dashboard (the home page
of auditor and admin), the channels page (last success and failure per channel), the
campaign list, the approval queue and the open alerts.

Before timing, the copy gets a history as a running desk would have one at that moment:
every row due before the middle time published (one in 50 failed), one in three aired
radio scripts confirmed by a receipt, a week of rows after it awaiting approval, 20,000
alerts (30 still open) and a channel that never sent anything (the worst case for a
"last success" lookup).

Measured through Flask's test client in this process (no network, no browser): the
time from request to the full response body, which is what the server spends.

Usage: python benchmarks/desk_pages.py [--runs 5] [--quick] [--rows 1000000]
Goal (issue 10): each page < 300 ms. Quick mode uses 50,000 rows.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import startup_data
from common import Goal, Report, parser, repeat, size
from reports_data import STAMP

from bantin.accounts import api_tokens
from bantin.accounts.users import NewUser, add_user
from bantin.channels.service import add_channel
from bantin.config import load_settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.migrate import upgrade
from bantin.web import create_app

GOAL = Goal("< 300 ms", "le", 300)
PASSWORD = "mat-khau-dai-bench"


def _middle(db: Path) -> tuple[datetime, int]:
    """A due time in the middle of the stored rows and a radio script due then."""
    conn = sqlite3.connect(db)
    try:
        (n,) = conn.execute("SELECT count(*) FROM publication").fetchone()
        (due,) = conn.execute(
            "SELECT due_at FROM publication ORDER BY due_at LIMIT 1 OFFSET ?", (n // 2,)
        ).fetchone()
        (pid,) = conn.execute(
            "SELECT id FROM publication WHERE channel_name = 'loa-xa' AND due_at >= ? "
            "ORDER BY due_at LIMIT 1",
            (due,),
        ).fetchone()
    finally:
        conn.close()
    return datetime.strptime(due, STAMP).replace(tzinfo=UTC), int(pid)


def _history(db: Path, middle: datetime) -> None:
    """Rows due before `middle` sent (1 in 50 failed), receipts, an approval week, alerts."""
    at, week = middle.strftime(STAMP), (middle + timedelta(days=7)).strftime(STAMP)
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(
            "UPDATE publication SET status = CASE WHEN id % 50 = 0 THEN 'failed' "
            "ELSE 'published' END, published_at = CASE WHEN id % 50 = 0 THEN NULL "
            "ELSE due_at END, status_reason = CASE WHEN id % 50 = 0 THEN 'HTTP 503' END, "
            "attempts = 1 WHERE due_at < ?",
            (at,),
        )
        conn.execute(
            "UPDATE publication SET status = 'pending_approval' "
            "WHERE due_at >= ? AND due_at < ? AND id % 10 = 0",
            (at, week),
        )
        conn.execute(
            "INSERT INTO broadcast_receipt (publication_id, unit_code, agency_code, aired_at,"
            " reported_by, source, recorded_at) SELECT id, unit_code, agency_code, due_at,"
            " 'bench', 'web', due_at FROM publication WHERE status = 'published'"
            " AND unit_code IS NOT NULL AND id % 3 = 0"
        )
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
            "INSERT INTO alert (at, agency_code, kind, message, channel_name, resolved_at) "
            "SELECT ?, 'COMMUNES', 'send_failed', 'bench alert ' || i, 'loa-xa', "
            "CASE WHEN i > 30 THEN ? END FROM n",
            (at, at),
        )
        conn.commit()
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _people(db: Database, now: datetime, home: Path) -> str:
    """An auditor and an editor of COMMUNES and a channel that never sent anything;
    returns a calendar token of COMMUNES."""
    with db.session() as s:
        add_channel(s, "kenh-moi", "outbox://outbox/kenh-moi", "SKHCN", now, "bench", home=home)
        add_user(s, NewUser("kiem.tra", "Kiểm Tra", "auditor"), PASSWORD, "bench", now)
        add_user(s, NewUser("bien.tap", "Biên Tập", "editor", agency="COMMUNES"),
                 PASSWORD, "bench", now)  # fmt: skip
        _, token = api_tokens.create(s, "COMMUNES", "bench", ["calendar"], "bench", now)
    return token


def _client(app: Any, username: str) -> Any:
    client = app.test_client()
    with app.app_context():
        db = app.config["BANTIN_DB"]
        with db.read() as s:
            from sqlalchemy import select

            from bantin.core.account_models import UserAccount

            uid = s.scalar(select(UserAccount.id).where(UserAccount.username == username))
    with client.session_transaction() as sess:
        sess["uid"] = uid
    return client


def _ms(client: Any, url: str) -> float:
    t0 = time.perf_counter()
    resp = client.get(url)
    body = resp.get_data()
    took = (time.perf_counter() - t0) * 1000
    if resp.status_code != 200 or not body:
        raise RuntimeError(f"{url}: HTTP {resp.status_code}")
    return took


def _pages(app: Any, day: date, pub_id: int, token: str) -> dict[str, tuple[Any, str]]:
    auditor, editor = _client(app, "kiem.tra"), _client(app, "bien.tap")
    pages = {
        "calendar month (auditor, all agencies)": (auditor, f"/lich?day={day}"),
        "calendar month (editor of the communes)": (editor, f"/lich?day={day}"),
        "calendar week (auditor)": (auditor, f"/lich?view=week&day={day}"),
        "day list of one campaign (248 rows)": (
            editor,
            f"/lich?view=agenda&day={day}&campaign=loa-cds&channel=loa-xa",
        ),
        "iCalendar feed (120 days)": (auditor, f"/lich/{token}.ics"),
        "publication page (radio script)": (editor, f"/bai/{pub_id}"),
    }
    pages.update(
        {
            "auditor's dashboard (/, the auditor's home)": (auditor, "/"),
            "channels (/kenh, auditor: every channel)": (auditor, "/kenh"),
            "channels (/kenh, editor of the communes)": (editor, "/kenh"),
            "campaign list (/chien-dich, auditor)": (auditor, "/chien-dich"),
            "approval queue (/duyet, auditor)": (auditor, "/duyet"),
            "approval queue (/duyet, editor of the communes)": (editor, "/duyet"),
            "open alerts (/canh-bao, auditor)": (auditor, "/canh-bao"),
        }
    )
    return pages


def _check_home(pages: dict[str, tuple[Any, str]]) -> None:
    """The auditor's home must be the dashboard, or the figure times something else."""
    client, url = next(v for k, v in pages.items() if k.startswith("auditor's dashboard"))
    html = client.get(url).get_data(as_text=True)
    if "Tiến độ kế hoạch theo nhiệm vụ" not in html:
        raise RuntimeError("the auditor's home page is not the dashboard")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = parser(__doc__, rows=1_000_000)
    p.set_defaults(runs=5)  # min/median/max of 5 (issue 10)
    args = p.parse_args(argv)
    harness.prepare_env()
    rows = size(args, "rows", 1_000_000, 50_000)
    report = Report("desk_pages", args, {"rows": rows})
    first = (datetime.now(UTC) + timedelta(days=1)).date()
    t0 = time.perf_counter()
    big = startup_data.cached(args.cache, rows, first)
    report.notes.append(f"{big.name}: ready in {time.perf_counter() - t0:.1f} s (built or cached)")
    middle, pub_id = _middle(big)
    with tempfile.TemporaryDirectory() as tmp:
        home = startup_data.copy_home(big, Path(tmp) / "home")
        settings = load_settings(f"sqlite:///{home / 'bantin.db'}", home=home)
        db = Database(settings.db_url)
        t0 = time.perf_counter()
        upgrade(db)  # the cache may predate this code's migrations (its indexes)
        _history(home / "bantin.db", middle)
        report.notes.append(f"migrated and history written in {time.perf_counter() - t0:.1f} s")
        token = _people(db, middle, home)
        app = create_app(settings, clock=FixedClock(middle), db=db)
        day = middle.astimezone(settings.timezone).date()
        pages = _pages(app, day, pub_id, token)
        for client, url in pages.values():
            _ms(client, url)  # warm caches and templates once, as a running server is
        month = next(iter(pages.values()))
        if "đơn vị" not in month[0].get(month[1]).get_data(as_text=True):
            raise RuntimeError("the month shown has no grouped bulletins: wrong data")
        _check_home(pages)

        def one_run(_: int) -> dict[str, float]:
            return {name: _ms(client, url) for name, (client, url) in pages.items()}

        runs = repeat(one_run, args.runs)
        db.engine.dispose()
    for name in pages:
        report.add(f"{rows} rows: {name}", "ms", runs[name], goal=GOAL)
    return report.finish()


if __name__ == "__main__":
    main()
