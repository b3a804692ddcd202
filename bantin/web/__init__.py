"""The web side of bantin: what culture staff pull (feeds, printable scripts) and report.

`create_app(settings)` builds a Flask app around one `Database`. Time comes from the
app's `CLOCK` (any object with `now() -> aware datetime`), never from the views, so
tests and `--now`-style tools see the same schedule the dispatcher does.
"""

from __future__ import annotations

from flask import Flask, Response
from sqlalchemy.exc import OperationalError

from bantin import metrics
from bantin.config import Settings
from bantin.core.clock import Clock, SystemClock
from bantin.core.db import NOT_INITIALISED, Database
from bantin.web import desk_app, security
from bantin.web.loudspeaker import bp as loudspeaker
from bantin.web.receipts import MAX_BODY
from bantin.web.receipts import bp as receipts


def create_app(
    settings: Settings, *, clock: Clock | None = None, db: Database | None = None
) -> Flask:
    """A Flask app for `settings`; pass `clock`/`db` to share them (tests, embedding)."""
    app = Flask(__name__)
    app.config.update(
        BANTIN_SETTINGS=settings,
        BANTIN_DB=db or Database(settings.db_url),
        CLOCK=clock or SystemClock(),
        MAX_CONTENT_LENGTH=MAX_BODY,  # Werkzeug refuses a longer body with 413
        MAX_FORM_PARTS=32,
    )
    # Answers carry Vietnamese names and messages: keep them readable, not escaped.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.register_blueprint(loudspeaker)
    app.register_blueprint(receipts)
    desk_app.install(app)  # logins, role pages, /api/v1, /healthz
    desk_app.protect_receipts(receipts)
    scrape = metrics.registry(app.config["BANTIN_DB"], app.config["CLOCK"], settings.timezone)

    def metrics_view() -> Response:
        """Prometheus scrape; keep it behind the proxy's rules too (docs/operations.md)."""
        body, content_type = metrics.exposition(scrape)
        return Response(body, content_type=content_type)

    app.add_url_rule("/metrics", "metrics", metrics_view)
    app.register_error_handler(OperationalError, _not_initialised)
    security.install(app)
    return app


def _not_initialised(exc: OperationalError) -> Response:
    """A database without tables is a set-up step not taken, not a server bug: 503 and the
    step to take, instead of a 500. Any other database error stays a 500."""
    if "no such table" not in str(exc.orig) and "does not exist" not in str(exc.orig):
        raise exc
    body = f"503 Service Unavailable\n\n{NOT_INITIALISED}\n"
    return Response(body, status=503, content_type="text/plain; charset=utf-8")


__all__ = ["create_app"]
