"""Serving the web app with waitress (a production WSGI server, not Werkzeug's
development server), with an access log that never shows a `token=` value."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("bantin.web.access")
#: A receipt token in a query string (the form page's link) is kept out of the access log.
TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s]*")
THREADS = 8


def redact(line: str) -> str:
    """The request line as logged: `token=` values replaced by `***`."""
    return TOKEN_IN_QUERY.sub(r"\1***", line)


def access_log(app: Callable[..., Any]) -> Callable[..., Any]:
    """WSGI middleware logging `METHOD /path?query STATUS` for each request."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            query = environ.get("QUERY_STRING", "")
            line = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
            log.info("%s %s %s", environ.get("REQUEST_METHOD"), redact(line), status.split(" ")[0])
            return start_response(status, headers, exc_info)

        body: Iterable[bytes] = app(environ, start)
        return body

    return logged


def make_server(app: Callable[..., Any], host: str, port: int) -> Any:
    """A waitress server (not yet running); `.run()` serves, `.close()` stops."""
    from waitress.server import create_server

    return create_server(access_log(app), host=host, port=port, threads=THREADS, ident="bantin")
