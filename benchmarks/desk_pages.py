"""Server time of the desk's pages on a big database: with 1,000,000 publications stored
in SQLite (startup_data.py's builder, cached under benchmarks/.cache/), the calendar's
month view (auditor: every agency; and an editor of the communes' agency, whose radio
scripts are 124 communes × 2 bulletins a day), the day list of one campaign, the
iCalendar feed, a radio script's publication page, and the dashboard when the app has one.

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
from bantin.config import load_settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
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


def _people(db: Database, now: datetime) -> str:
    """An auditor and an editor of COMMUNES; returns a calendar token of COMMUNES."""
    with db.session() as s:
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
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    dash = next((e for e in endpoints if "dashboard" in e), None)
    if dash is not None:
        pages[f"dashboard ({endpoints[dash]})"] = (auditor, endpoints[dash])
    return pages


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
        token = _people(db, middle)
        app = create_app(settings, clock=FixedClock(middle), db=db)
        day = middle.astimezone(settings.timezone).date()
        pages = _pages(app, day, pub_id, token)
        for client, url in pages.values():
            _ms(client, url)  # warm caches and templates once, as a running server is
        month = next(iter(pages.values()))
        if "đơn vị" not in month[0].get(month[1]).get_data(as_text=True):
            raise RuntimeError("the month shown has no grouped bulletins: wrong data")

        def one_run(_: int) -> dict[str, float]:
            return {name: _ms(client, url) for name, (client, url) in pages.items()}

        runs = repeat(one_run, args.runs)
        db.engine.dispose()
    for name in pages:
        report.add(f"{rows} rows: {name}", "ms", runs[name], goal=GOAL)
    if not any("dashboard" in name for name in pages):
        report.notes.append("no dashboard route in this app: skipped")
    return report.finish()


if __name__ == "__main__":
    main()
