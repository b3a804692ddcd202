"""A Graph-API-shaped server on 127.0.0.1 for channel and end-to-end tests.

It speaks the documented JSON shapes of the endpoints the Facebook channel uses (`/me`,
`/{page}`, `/{page}/photos`, `/{page}/feed`, `/{page}/posts`) and keeps the posts it accepted,
so a test can count them. Faults come three ways:

- `fail_next(endpoint, ...)` scripts the answer to the next call of one endpoint;
- `chaos=0.3` answers that fraction of calls with Graph codes 1, 2, 4, 17, 32, 613, a bare
  HTTP 500 or a late answer (longer than the client's timeout). The 1, 2, 500 and late
  answers come *after* the post was stored — the worst case, where the client cannot tell it
  went out; the throttling codes come before, as Graph refuses those calls outright;
- `revoke_token()` makes every later call fail with code 190.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug import Request, Response
from werkzeug.serving import make_server

VERSION_PATH = re.compile(r"^/(v\d+\.\d+)/(.+)$")
CHAOS_FAULTS: tuple[str, ...] = ("1", "2", "4", "17", "32", "613", "http500", "late")
AFTER_COMMIT = frozenset({"1", "2", "http500", "late"})
USER_ID = "9001"


@dataclass
class Fault:
    """One scripted answer: a Graph error, a bare HTTP status, or a late answer."""

    code: int | None = None
    subcode: int | None = None
    transient: bool | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    commit: bool = False  # do the work (store the post) before failing


@dataclass
class Call:
    method: str
    endpoint: str
    path: str
    form: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]


class GraphServer:
    def __init__(
        self,
        page_id: str = "1000200030004",
        *,
        page_token: str = "page-token-EAAB-thu",
        user_token: str = "user-token-EAAB-thu",
        page_name: str = "Báo Vĩnh Long",
        chaos: float = 0.0,
        seed: int = 618,
        late: float = 0.6,
        detect_duplicates: bool = True,
    ) -> None:
        self.page_id, self.page_name = page_id, page_name
        self.page_token, self.user_token = page_token, user_token
        self.chaos, self.late, self.detect_duplicates = chaos, late, detect_duplicates
        self.rng = random.Random(seed)
        self.posts: list[dict[str, Any]] = []
        self.photos: dict[str, dict[str, str]] = {}
        self.calls: list[Call] = []
        self.faults_served: list[str] = []
        self.usage_headers: dict[str, str] = {}
        self.revoked_subcode: int | None = None
        self._scripted: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._ids = 0
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def start(self) -> GraphServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> GraphServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ----------------------------------------------------------------
    def fail_next(self, endpoint: str, fault: Fault | None = None, **kw: Any) -> None:
        """Script the next answer of `endpoint` (me, page, photos, feed, posts or *)."""
        with self._lock:
            self._scripted.setdefault(endpoint, []).append(fault or Fault(**kw))

    def revoke_token(self, subcode: int = 460) -> None:
        """Every later call answers code 190 with this subcode (460: password changed)."""
        self.revoked_subcode = subcode

    def add_post(self, message: str) -> str:
        with self._lock:
            return self._store_post({"message": message})["id"]

    def count(self, method: str, endpoint: str) -> int:
        return sum(1 for c in self.calls if c.method == method and c.endpoint == endpoint)

    # -- the application --------------------------------------------------------------
    @Request.application  # type: ignore[misc]
    def _app(self, request: Request) -> Response:
        match = VERSION_PATH.match(request.path)
        endpoint = self._endpoint(match.group(2) if match else "")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = token or request.values.get("access_token", "")
        with self._lock:
            self.calls.append(
                Call(
                    request.method,
                    endpoint,
                    request.path,
                    dict(request.form),
                    dict(request.args),
                    dict(request.headers),
                )
            )
            fault = self._pick_fault(endpoint)
        if match is None:
            return self._error(2500, "Unknown path components", status=400)
        if self.revoked_subcode is not None or token not in (self.page_token, self.user_token):
            sub = self.revoked_subcode if self.revoked_subcode is not None else None
            return self._error(190, "Error validating access token", subcode=sub, status=400)
        if fault is not None and not fault.commit:
            return self._fault(fault, None)
        with self._lock:
            answer = self._handle(request, endpoint, token)
        return answer if fault is None else self._fault(fault, answer)

    def _endpoint(self, rest: str) -> str:
        if rest == "me":
            return "me"
        if rest == self.page_id:
            return "page"
        head, _, tail = rest.partition("/")
        return tail if head == self.page_id and tail in ("photos", "feed", "posts") else rest

    def _pick_fault(self, endpoint: str) -> Fault | None:
        for key in (endpoint, "*"):
            if self._scripted.get(key):
                return self._scripted[key].pop(0)
        if self.chaos and self.rng.random() < self.chaos:
            kind = self.rng.choice(CHAOS_FAULTS)
            self.faults_served.append(f"{endpoint}:{kind}")
            commit = kind in AFTER_COMMIT
            if kind == "late":
                return Fault(delay=self.late, commit=commit)
            if kind == "http500":
                return Fault(status=500, commit=commit)
            return Fault(code=int(kind), commit=commit)
        return None

    def _handle(self, request: Request, endpoint: str, token: str) -> Response:
        page_token = token == self.page_token
        if request.method == "GET" and endpoint == "me":
            who = {"id": self.page_id, "name": self.page_name} if page_token else None
            return self._ok(who or {"id": USER_ID, "name": "Nguyễn Văn Thử"})
        if request.method == "GET" and endpoint == "page":
            return self._ok({"id": self.page_id, "name": self.page_name})
        if request.method == "GET" and endpoint == "posts":
            limit = int(request.args.get("limit", "25"))
            return self._ok({"data": [dict(p) for p in reversed(self.posts)][:limit]})
        if request.method == "POST" and endpoint in ("photos", "feed"):
            if not page_token:
                return self._error(200, "(#200) requires pages_manage_posts", status=403)
            if endpoint == "photos":
                self._ids += 1
                photo_id = f"77{self._ids:06d}"
                self.photos[photo_id] = dict(request.form)
                return self._ok({"id": photo_id})
            message = request.form.get("message", "")
            if self.detect_duplicates and any(p["message"] == message for p in self.posts):
                return self._error(506, "Duplicate status message", status=400)
            return self._ok({"id": self._store_post(dict(request.form))["id"]})
        return self._error(100, "Unsupported request", status=400)

    def _store_post(self, form: dict[str, str]) -> dict[str, Any]:
        self._ids += 1
        post_id = f"{self.page_id}_{self._ids:06d}"
        post = {
            "id": post_id,
            "message": form.get("message", ""),
            "permalink_url": f"https://www.facebook.com/{self.page_id}/posts/{self._ids:06d}",
            "created_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        }
        if form.get("link"):
            post["link"] = form["link"]
        if form.get("attached_media"):
            post["attached_media"] = json.loads(form["attached_media"])
        self.posts.append(post)
        return post

    # -- answers ----------------------------------------------------------------------
    def _ok(self, doc: dict[str, Any]) -> Response:
        return Response(
            json.dumps(doc, ensure_ascii=False),
            200,
            headers=self.usage_headers,
            content_type="application/json; charset=UTF-8",
        )

    def _error(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        transient: bool | None = None,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> Response:
        err: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AbCdEf123",
        }
        if subcode is not None:
            err["error_subcode"] = subcode
        if transient is not None:
            err["is_transient"] = transient
        return Response(
            json.dumps({"error": err}),
            status,
            headers={**self.usage_headers, **(headers or {})},
            content_type="application/json; charset=UTF-8",
        )

    def _fault(self, fault: Fault, answer: Response | None) -> Response:
        """The scripted answer; a bare delay returns the real `answer` (or {}), only late."""
        if fault.delay:
            time.sleep(fault.delay)
            if fault.code is None and fault.status is None:
                return answer or self._ok({})
        if fault.code is None:
            return Response("<html>Server Error</html>", fault.status or 500, headers=fault.headers)
        status = fault.status or (500 if fault.code in (1, 2) else 400)
        return self._error(
            fault.code,
            f"(#{fault.code}) scripted failure",
            subcode=fault.subcode,
            transient=fault.transient,
            status=status,
            headers=fault.headers,
        )
