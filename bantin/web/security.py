"""What every answer of the web app carries, and how it builds absolute links.

Headers (on every response, errors and 304s included): a Content-Security-Policy that
allows only this origin, scripts only as files served from it (the desk's calendar and
previews; never inline, so an injected `<script>` does not run), and inline styles only
with the per-request nonce the templates put on their `<style>`; no framing (CSP
`frame-ancestors` and the older X-Frame-Options); no MIME sniffing; and
`Referrer-Policy: same-origin`, which keeps a receipt-form URL's token from leaking to
other sites while still letting the browser send the `Origin` the receipt endpoint
checks (`no-referrer` would make it "null").

Links: the request's `Host` header is the client's to choose, so it never goes into a
link (a cache or a feed aggregator would otherwise serve an attacker's host to every
commune). Absolute links use the configured public URL (`BANTIN_PUBLIC_URL`); without
one they are root-relative, which Atom readers and browsers resolve against the URL they
fetched.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, url_for

from bantin.config import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp_nonce() -> str:
    """This request's nonce for inline `<style>` (made on first use)."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def _headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP.format(nonce=csp_nonce())
    for name, value in HEADERS.items():
        resp.headers[name] = value
    return resp


def install(app: Flask) -> None:
    """Register the headers on every response and `csp_nonce()` in templates."""
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce


def public_base(settings: Settings) -> str | None:
    """The configured public URL without a trailing slash; None when unset or not an
    http(s) URL with a host (a `javascript:` or bare-host value never becomes a link)."""
    url = (settings.public_url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url.rstrip("/")


def link(endpoint: str, **values: Any) -> str:
    """An absolute URL under the public URL, or a root-relative one: never the Host."""
    path = url_for(endpoint, **values)
    settings: Settings = current_app.config["BANTIN_SETTINGS"]
    base = public_base(settings)
    if base is None:
        return path
    # The public URL already names any prefix a reverse proxy strips or adds.
    return base + path.removeprefix(request.script_root)
