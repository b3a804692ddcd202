"""Logging in and out of the desk, the session cookie and CSRF for every form.

The session is Flask's signed cookie holding only the user id (and the language): it is
HttpOnly, SameSite=Lax, Secure when the public URL is https, and lasts 12 hours. Its key
is a random file in $BANTIN_HOME (0600), never the database. Each request reloads the
account, so disabling a user ends their sessions at once.

CSRF: Flask-WTF's CSRFProtect checks every POST of the app, except
- `/loa/receipts`, which carries its own HMAC token bound to the unit token plus an
  Origin check (docs/security.md) and no session cookie, and
- `/api/v1`, which authenticates only by `Authorization: Bearer`, never a cookie, so a
  forged cross-site request carries no credential.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFProtect

from bantin.accounts import scope, users
from bantin.core.account_models import UserAccount
from bantin.core.fileperms import key_file
from bantin.web import nav
from bantin.web.context import database as _db
from bantin.web.i18n import lang, t
from bantin.web.security import public_base

bp = Blueprint("auth", __name__)
SESSION_KEY_FILE = "web-session.key"
F = TypeVar("F", bound=Callable[..., Any])
protect = CSRFProtect()


def install(app: Flask) -> None:
    """Session cookie settings, the session key, CSRF, and the template helpers."""
    settings = app.config["BANTIN_SETTINGS"]
    base = public_base(settings) or ""
    key_home = settings.home
    app.secret_key = _session_key(key_home)
    app.config.update(
        SESSION_COOKIE_NAME="bantin_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=base.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        # The Referer check is for HTTPS; the Origin/Host check of the token is enough.
        WTF_CSRF_SSL_STRICT=False,
    )
    protect.init_app(app)
    app.jinja_env.globals.update(
        t=t, lang=lang, principal=current, nav_items=lambda: nav.for_principal(current())
    )
    app.register_blueprint(bp)


def _session_key(home: Path) -> bytes:
    """A random key (0600) for signing session cookies, apart from the receipt CSRF key;
    made on first use."""
    return key_file(home / SESSION_KEY_FILE)


def current() -> scope.Principal | None:
    """The logged-in user of this request (None when anonymous or disabled)."""
    if "principal" in g:
        found: scope.Principal | None = g.principal
        return found
    found = None
    uid = session.get("uid")
    if isinstance(uid, int):
        with _db().read() as s:
            user = s.get(UserAccount, uid)
            if user is not None and user.active:
                found = scope.for_user(s, user)
                g.user_demo, g.user_name = user.demo, user.display_name
    g.principal = found
    return found


def login_required(view: F) -> F:
    """Anonymous visitors go to the login page (and come back after)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current() is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _safe_next(target: str | None) -> str:
    """Only a local path: never `//evil.example` or a scheme."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("desk.home")


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> Any:
    """The login form; one answer for every failure (no user enumeration)."""
    error = None
    if request.method == "POST":
        name = request.form.get("username", "")[:64]
        password = request.form.get("password", "")[:256]
        now = current_app.config["CLOCK"].now()
        with _db().session() as s:
            user = users.login(s, name, password, request.remote_addr, now)
            uid = user.id if user is not None else None
        if uid is not None:
            keep = session.get("lang")
            session.clear()  # a fresh session: nothing carried over from before login
            session.update(uid=uid, lang=keep or "vi")
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        error = t("login_failed")
    status = 401 if error else 200
    return render_template("desk/login.html", error=error), status


@bp.post("/dang-xuat")
def logout() -> Any:
    keep = session.get("lang")
    session.clear()
    if keep:
        session["lang"] = keep
    return redirect(url_for("auth.login"))
