"""The WordPress channel against a WordPress-shaped REST server on 127.0.0.1 (pytest-httpserver).

`FakeWordPress` answers `/wp-json/wp/v2/{posts,categories,tags,media,users/me}` with the JSON
shapes WordPress 6 uses (including its error bodies: `code`, `message`, `data.status`,
`data.params`, `data.details`), keeps what it was given, and appends "-2" to a taken slug as
WordPress does. `fail_next()` scripts the answer to the next call of one route; with
`commit=True` the work is done first, the way a gateway timeout can hide a post that exists.
tests/integration/test_wordpress_real.py runs the same channel against a real WordPress.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bantin.channels import open_channel
from bantin.channels.base import (
    AuthError,
    ConfigError,
    PermanentError,
    RateLimited,
    RetryableError,
)
from bantin.channels.wordpress import (
    WordPressChannel,
    as_html,
    media_slug,
    post_slug,
    safe_filename,
)
from bantin.content.render import Rendered

PASSWORD = "abcd EFGH ijkl MNOP qrst UVWX"
KEY = "3f2a9c0e5b1d4e7f8a6b2c9d0e1f2a3b"
SLUG = "bantin-3f2a9c0e5b1d4e7f"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
R = Rendered(
    kind="article",
    title="Chuyển đổi số: người dân làm thủ tục trực tuyến tại nhà",
    body="<p>Kính mời bà con <strong>cài VNeID</strong> mức 2.</p>",
    campaign_id="dvc-t12",
    channel="cong-tinh",
    due_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
)


@dataclass
class Fault:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    commit: bool = False


class FakeWordPress:
    """Just enough of WordPress's REST API, with its JSON shapes, to drive the channel."""

    def __init__(self, server: HTTPServer, user: str = "bantin") -> None:
        self.server, self.user = server, user
        self.posts: list[dict[str, Any]] = []
        self.terms: dict[str, list[dict[str, Any]]] = {"categories": [], "tags": []}
        self.media: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.uploads: list[Request] = []
        self.faults: dict[tuple[str, str], list[Fault]] = {}
        self.me: dict[str, Any] = {
            "id": 1,
            "username": user,
            "name": "Ban biên tập",
            "roles": ["editor"],
            "capabilities": {c: True for c in ("edit_posts", "publish_posts", "upload_files")}
            | {"manage_categories": True},
        }
        self._next_id = 100
        server.expect_request(re.compile(r"^/wp-json/wp/v2/.+")).respond_with_handler(self.handle)

    def url(self, extra: str = "") -> str:
        return (
            f"wordpress+http://127.0.0.1:{self.server.port}/?user={self.user}"
            f"&app_password=env:WP_APP_PASSWORD{extra}"
        )

    def fail_next(self, method: str, route: str, fault: Fault) -> None:
        self.faults.setdefault((method, route), []).append(fault)

    def count(self, method: str, route: str) -> int:
        return sum(1 for m, r, _ in self.calls if (m, r) == (method, route))

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def handle(self, req: Request) -> Response:
        route = req.path.removeprefix("/wp-json/wp/v2/")
        query = dict(req.args)
        self.calls.append((req.method, route, query))
        fault = (self.faults.get((req.method, route)) or [None]).pop(0)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and not fault.commit:
            return self._fault(fault)
        expected = base64.b64encode(f"{self.user}:{PASSWORD}".encode()).decode()
        if req.headers.get("Authorization") != f"Basic {expected}":
            answer = self._anonymous(req.method, route, query)
        else:
            answer = self._serve(req, route, query)
        return self._fault(fault) if fault else answer

    def _fault(self, fault: Fault) -> Response:
        body = fault.body if isinstance(fault.body, str) else json.dumps(fault.body)
        kind = "text/html" if isinstance(fault.body, str) else "application/json"
        return Response(body, fault.status, headers=fault.headers, content_type=kind)

    @staticmethod
    def error(code: str, message: str, status: int, **data: Any) -> Response:
        doc = {"code": code, "message": message, "data": {"status": status, **data}}
        return Response(json.dumps(doc), status, content_type="application/json")

    def _anonymous(self, method: str, route: str, query: dict[str, str]) -> Response:
        """What WordPress 6.1 answers when the login was not accepted: an anonymous caller."""
        if method == "GET" and query.get("status") == "any":
            forbidden = {"code": "rest_forbidden_status", "message": "Status is forbidden."}
            return self.error(
                "rest_invalid_param",
                "Invalid parameter(s): status",
                400,
                params={"status": "Status is forbidden."},
                details={"status": forbidden | {"data": {"status": 401}}},
            )
        if route == "users/me":
            return self.error("rest_not_logged_in", "You are not currently logged in.", 401)
        return self.error("rest_cannot_create", "Sorry, you are not allowed to do that.", 401)

    def _serve(self, req: Request, route: str, query: dict[str, str]) -> Response:
        if route == "users/me":
            return Response(json.dumps(self.me), 200, content_type="application/json")
        if route == "posts" and req.method == "GET":
            found = [p for p in self.posts if p["slug"] == query.get("slug")]
            return Response(json.dumps(found), 200, content_type="application/json")
        if route == "posts" and req.method == "POST":
            doc = json.loads(req.get_data())
            slug = doc["slug"]
            while any(p["slug"] == slug for p in self.posts):
                slug += "-2"
            pid = self._id()
            post = {
                **doc,
                "id": pid,
                "slug": slug,
                "link": f"http://localhost/{slug}/",
                "title": {"raw": doc["title"], "rendered": html.escape(doc["title"])},
                "content": {"raw": doc["content"], "rendered": doc["content"]},
            }
            self.posts.append(post)
            return Response(json.dumps(post), 201, content_type="application/json")
        if route.startswith("posts/") and req.method == "DELETE":
            post = next(p for p in self.posts if p["id"] == int(route.split("/")[1]))
            post["slug"] += "__trashed"
            return Response(json.dumps(post), 200, content_type="application/json")
        if route in self.terms:
            return self._term(req, route, query)
        if route == "media" and req.method == "GET":
            found = [m for m in self.media if m["slug"] == query.get("slug")]
            return Response(json.dumps(found), 200, content_type="application/json")
        if route == "media" and req.method == "POST":
            self.uploads.append(req)
            item = {"id": self._id(), "slug": query["slug"], "mime_type": req.content_type}
            self.media.append(item)
            return Response(json.dumps(item), 201, content_type="application/json")
        return self.error("rest_no_route", "No route was found.", 404)

    def _term(self, req: Request, route: str, query: dict[str, str]) -> Response:
        terms = self.terms[route]
        if req.method == "GET":
            needle = query["search"].casefold()
            found = [
                t | {"name": html.escape(t["name"])}  # WordPress answers names HTML-escaped
                for t in terms
                if needle in t["name"].casefold()
            ]
            return Response(json.dumps(found), 200, content_type="application/json")
        name = json.loads(req.get_data())["name"]
        same = [t for t in terms if t["name"] == name]
        if same:
            msg = "A term with the name provided already exists."
            return self.error("term_exists", msg, 400, term_id=same[0]["id"])
        term = {"id": self._id(), "name": name, "slug": name.lower().replace(" ", "-")}
        terms.append(term)
        return Response(json.dumps(term), 201, content_type="application/json")


@pytest.fixture
def wp(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeWordPress:
    monkeypatch.setenv("WP_APP_PASSWORD", PASSWORD)
    return FakeWordPress(httpserver)


def channel(wp: FakeWordPress, extra: str = "", home: Path | None = None) -> WordPressChannel:
    ch = open_channel("cong-tinh", wp.url(extra), home)
    assert isinstance(ch, WordPressChannel)
    return ch


BASE = "wordpress://portal.example.vn/?user=bantin&app_password=env:WP"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (BASE, None),
        (BASE + "&status=draft&category=Chuyển đổi số&tags=a,b&timeout=5&late=2h", None),
        ("wordpress://portal.example.vn/tin-tuc/?user=bantin&app_password=secret:wp", None),
        ("wordpress+http://127.0.0.1:8089/?user=bantin&app_password=env:WP", None),
        ("wordpress://bantin:hunter2@portal.example.vn/?app_password=env:WP", "no password"),
        ("wordpress://portal.example.vn/?user=bantin&app_password=hunter2", "secret reference"),
        ("wordpress://portal.example.vn/?app_password=env:WP", "needs \\?user=LOGIN"),
        ("wordpress://portal.example.vn/?user=bantin", "needs \\?app_password=env:VAR"),
        ("wordpress://bantin@portal.example.vn/?app_password=env:WP", "no user name or password"),
        (BASE + "&status=published", "status must be one of"),
        (BASE + "&status=future", "status must be one of"),
        (BASE + "&timeout=0", "timeout must be a positive"),
        (BASE + "&timeout=soon", "timeout must be a positive"),
        (BASE + "&categroy=Tin", "unknown parameter\\(s\\) categroy"),
        ("wordpress+http://portal.example.vn/?user=u&app_password=env:WP", "only for a test site"),
        ("wordpress://portal.example.vn/wp-json/?user=u&app_password=env:WP", "without /wp-json"),
        ("wordpress:///?user=u&app_password=env:WP", "use wordpress://SITE"),
    ],
)
def test_urls(url: str, error: str | None) -> None:
    if error is None:
        assert open_channel("wp", url).kind == "wordpress"
    else:
        with pytest.raises(ConfigError, match=error):
            open_channel("wp", url)


def test_listing_url_hides_the_password_reference_and_base_keeps_the_folder() -> None:
    ch = open_channel("wp", "wordpress://portal.example.vn/tin-tuc/?user=u&app_password=env:WP_PW")
    assert isinstance(ch, WordPressChannel)
    assert "WP_PW" not in ch.url(privacy=True) and "app_password=***" in ch.url(privacy=True)
    assert ch.base == "https://portal.example.vn/tin-tuc"


def test_success_creates_one_post_with_terms_found_or_created(
    wp: FakeWordPress, httpserver: HTTPServer
) -> None:
    wp.terms["categories"].append({"id": 7, "name": "Chuyển đổi số 2025"})  # substring only
    wp.terms["categories"].append({"id": 8, "name": "Chuyển đổi số & Đề án 06"})
    wp.terms["tags"].append({"id": 3, "name": "dịch vụ công"})
    ch = channel(wp, "&category=Chuyển đổi số %26 Đề án 06&tags=dịch vụ công,VNeID&status=draft")
    receipt = ch.publish(R, KEY)
    post = wp.posts[0]
    assert (receipt.external_id, receipt.url, receipt.http_status) == (
        str(post["id"]),
        f"http://localhost/{SLUG}/",
        201,
    )
    assert post["slug"] == SLUG and post["status"] == "draft"
    assert post["title"]["raw"] == R.title and post["content"]["raw"] == R.body
    assert post["categories"] == [8]
    vneid = next(t["id"] for t in wp.terms["tags"] if t["name"] == "VNeID")
    assert post["tags"] == [3, vneid] and "featured_media" not in post
    lookup = wp.calls[0]
    assert lookup[:2] == ("GET", "posts")
    assert lookup[2] | {"slug": SLUG, "status": "any", "context": "edit"} == lookup[2]
    req = next(r for r, _ in httpserver.log if r.method == "POST" and r.path.endswith("/posts"))
    assert req.headers["User-Agent"].startswith("bantin/")
    assert req.content_type == "application/json; charset=utf-8"
    assert "Chuyển đổi số" in req.get_data().decode("utf-8")  # UTF-8, not \\u escapes
    # The term ids are cached: a second publication looks up nothing but its slug.
    before = len(wp.calls)
    ch.publish(R, "0" * 32)
    assert [c[:2] for c in wp.calls[before:]] == [("GET", "posts"), ("POST", "posts")]


def test_slug_found_before_post_means_no_post(wp: FakeWordPress) -> None:
    wp.posts.append({"id": 42, "slug": SLUG, "link": "http://localhost/?p=42", "status": "draft"})
    receipt = channel(wp, "&category=Tin&tags=a").publish(R, KEY)
    assert (receipt.external_id, receipt.url, receipt.http_status) == (
        "42",
        "http://localhost/?p=42",
        200,
    )
    assert [c[:2] for c in wp.calls] == [("GET", "posts")]  # no terms, no media, no POST


def test_a_post_created_behind_an_error_is_found_by_the_retry(wp: FakeWordPress) -> None:
    """A 502 from a gateway after WordPress stored the post: the retry must not post again."""
    wp.fail_next("POST", "posts", Fault(502, {"code": "bad_gateway"}, commit=True))
    ch = channel(wp)
    with pytest.raises(RetryableError):
        ch.publish(R, KEY)
    receipt = ch.publish(R, KEY)
    assert len(wp.posts) == 1 and receipt.external_id == str(wp.posts[0]["id"])
    assert wp.count("POST", "posts") == 1
    assert ch.reconcile(R, KEY) == replace(receipt, http_status=200)


def test_reconcile_is_none_when_nothing_went_out(wp: FakeWordPress) -> None:
    assert channel(wp).reconcile(R, KEY) is None
    assert wp.count("POST", "posts") == 0


def test_slug_taken_between_lookup_and_post_keeps_the_first(wp: FakeWordPress) -> None:
    """Two senders of one key (a lease expired mid-send): WordPress says "-2"; trash ours."""
    ch = channel(wp)
    original = ch._find_post

    def racing_lookup(slug: str) -> dict[str, Any] | None:
        if not wp.posts:  # the other sender's post lands just after our lookup
            found = original(slug)
            wp.posts.append({"id": 7, "slug": slug, "link": "http://localhost/first/"})
            return found
        return original(slug)

    ch._find_post = racing_lookup  # type: ignore[method-assign]
    receipt = ch.publish(R, KEY)
    assert receipt.external_id == "7" and receipt.url == "http://localhost/first/"
    assert [p["slug"] for p in wp.posts] == [SLUG, f"{SLUG}-2__trashed"]


def test_featured_image_is_uploaded_once_and_found_again(wp: FakeWordPress, tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "Ảnh đại diện.png").write_bytes(PNG)
    rendered = replace(R, meta={"image_path": "Ảnh đại diện.png", "image_alt": "Người dân"})
    ch = channel(wp, home=tmp_path)
    ch.publish(rendered, KEY)
    ch.publish(rendered, "1" * 32)  # another post with the same image
    assert len(wp.uploads) == 1 and len(wp.posts) == 2
    up = wp.uploads[0]
    assert up.headers["Content-Type"] == "image/png"
    assert up.headers["Content-Disposition"] == 'attachment; filename="anh-dai-dien.png"'
    assert up.get_data() == PNG
    assert up.args["slug"] == media_slug("anh-dai-dien.png", PNG)
    assert up.args["alt_text"] == "Người dân" and up.args["title"] == R.title
    assert wp.posts[0]["featured_media"] == wp.posts[1]["featured_media"] == wp.media[0]["id"]


def test_image_url_is_fetched_without_the_wordpress_login(
    wp: FakeWordPress, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/images/banner.jpg").respond_with_data(
        b"\xff\xd8\xff\xe0" + b"\x00" * 20, content_type="image/jpeg"
    )
    ch = channel(wp)
    ch.publish(replace(R, meta={"image_url": httpserver.url_for("/images/banner.jpg")}), KEY)
    fetch = next(r for r, _ in httpserver.log if r.path == "/images/banner.jpg")
    assert "Authorization" not in fetch.headers
    assert wp.uploads[0].headers["Content-Disposition"] == 'attachment; filename="banner.jpg"'


@pytest.mark.parametrize(
    ("meta", "error"),
    [
        ({"image_path": "missing.png"}, "cannot read image"),
        ({"image_path": "notes.txt"}, "not a PNG, JPEG, GIF or WebP"),
    ],
)
def test_unusable_images_are_permanent(
    wp: FakeWordPress, tmp_path: Path, meta: dict[str, str], error: str
) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "notes.txt").write_text("không phải ảnh")
    with pytest.raises(PermanentError, match=error):
        channel(wp, home=tmp_path).publish(replace(R, meta=meta), KEY)
    assert wp.count("POST", "posts") == 0


def test_category_created_by_someone_else_meanwhile_uses_their_id(wp: FakeWordPress) -> None:
    wp.fail_next("GET", "categories", Fault(200, []))  # not there yet when we look ...
    wp.terms["categories"].append({"id": 55, "name": "Tin tức"})  # ... there when we create
    channel(wp, "&category=Tin tức").publish(R, KEY)
    assert wp.posts[0]["categories"] == [55]


def test_plain_text_kinds_become_escaped_paragraphs() -> None:
    text = replace(R, kind="radio_script", body="Dòng 1 <b>\nDòng 2\n\n\nĐoạn 2")
    assert as_html(text) == "<p>Dòng 1 &lt;b&gt;<br>\nDòng 2</p>\n<p>Đoạn 2</p>"
    assert as_html(R) == R.body


def test_slugs_and_filenames() -> None:
    assert post_slug(KEY) == SLUG
    assert post_slug("Loa-CDS|29641") == post_slug("Loa-CDS|29641")
    assert re.fullmatch(r"bantin-[0-9a-f]{16}", post_slug("Loa-CDS|29641"))
    assert safe_filename("Đường về Cái Nhum!.PNG", "png") == "duong-ve-cai-nhum.png"
    assert safe_filename("ảnh", "jpg") == "anh.jpg" and safe_filename("***", "gif") == "image.gif"


LOGIN = "did not accept the login"
ROLE = "lacks the capability"


def err(code: str, status: int, message: str = "", **data: Any) -> dict[str, Any]:
    return {"code": code, "message": message or code, "data": {"status": status, **data}}


@pytest.mark.parametrize(
    ("fault", "error", "retry_after", "says"),
    [
        (Fault(401, err("incorrect_password", 401)), AuthError, None, "Application Passwords"),
        (Fault(401, err("invalid_username", 401)), AuthError, None, "no user 'bantin'"),
        (Fault(401, err("rest_cannot_create", 401)), AuthError, None, LOGIN),
        (Fault(403, err("rest_cannot_create", 403)), AuthError, None, "Author role"),
        (Fault(403, err("rest_cannot_publish", 403)), AuthError, None, "status=draft"),
        (Fault(403, "<html>Access denied</html>"), AuthError, None, "firewall"),
        (Fault(429, err("too_many", 429), {"Retry-After": "120"}), RateLimited, 120.0, "slow"),
        (Fault(503, "<h1>Maintenance</h1>", {"Retry-After": "600"}), RetryableError, 600.0, "503"),
        (Fault(500, err("db_insert_error", 500)), RetryableError, None, "db_insert_error"),
        (Fault(502, "Bad gateway"), RetryableError, None, "502"),
        (
            Fault(
                400,
                err(
                    "rest_invalid_param",
                    400,
                    "Invalid parameter(s): categories",
                    params={"categories": "categories[0] is not of type integer."},
                ),
            ),
            PermanentError,
            None,
            "categories \\(categories\\[0\\] is not",
        ),
        (
            Fault(400, err("rest_missing_callback_param", 400, params=["title"])),
            PermanentError,
            None,
            "title \\(missing\\)",
        ),
        (Fault(404, err("rest_no_route", 404)), PermanentError, None, "check the site address"),
        (Fault(200, "<html>cached page</html>"), RetryableError, None, "without JSON"),
    ],
)
def test_post_errors_are_classified(
    wp: FakeWordPress,
    fault: Fault,
    error: type[Exception],
    retry_after: float | None,
    says: str,
) -> None:
    wp.fail_next("POST", "posts", fault)
    with pytest.raises(error, match=says) as info:
        channel(wp).publish(R, KEY)
    assert type(info.value) is error
    assert getattr(info.value, "retry_after", None) == retry_after
    assert getattr(info.value, "http_status", None) == fault.status
    assert len(wp.posts) == 0


def test_upload_refusal_with_500_is_permanent(wp: FakeWordPress, tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "a.png").write_bytes(PNG)
    msg = "Sorry, you are not allowed to upload this file type."
    wp.fail_next("POST", "media", Fault(500, err("rest_upload_sideload_error", 500, msg)))
    with pytest.raises(PermanentError, match="not allowed to upload"):
        channel(wp, home=tmp_path).publish(replace(R, meta={"image_path": "a.png"}), KEY)


def test_wrong_password_is_an_auth_error_even_when_wordpress_calls_it_a_param(
    wp: FakeWordPress, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """WordPress 6.1 treats a bad login as anonymous: `status=any` is then a 400 param error."""
    monkeypatch.setenv("WP_APP_PASSWORD", "wxyz wxyz wxyz wxyz wxyz wxyz")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError, match=LOGIN) as info:
        channel(wp).publish(R, KEY)
    assert "env:WP_APP_PASSWORD" in str(info.value)
    assert "wxyz" not in caplog.text and "wxyz" not in str(info.value)
    token = base64.b64encode(b"bantin:wxyz wxyz wxyz wxyz wxyz wxyz").decode()
    assert token not in caplog.text


def test_a_subscriber_is_told_about_the_role(wp: FakeWordPress) -> None:
    forbidden = {"code": "rest_forbidden_status", "data": {"status": 403}}
    body = err("rest_invalid_param", 400, params={"status": "x"}, details={"status": forbidden})
    wp.fail_next("GET", "posts", Fault(400, body))
    with pytest.raises(AuthError, match=ROLE):
        channel(wp).publish(R, KEY)


def test_timeout_is_retryable(wp: FakeWordPress) -> None:
    wp.fail_next("POST", "posts", Fault(201, {}, delay=1.0, commit=True))
    with pytest.raises(RetryableError, match=r"timed out after 0\.3 s"):
        channel(wp, "&timeout=0.3").publish(R, KEY)


def test_connection_reset_is_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WP_APP_PASSWORD", PASSWORD)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def reset_once() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    thread = threading.Thread(target=reset_once, daemon=True)
    thread.start()
    url = f"wordpress+http://127.0.0.1:{port}/?user=bantin&app_password=env:WP_APP_PASSWORD"
    try:
        with pytest.raises(RetryableError, match="failed: ConnectionError"):
            open_channel("wp", url).publish(R, KEY)
    finally:
        thread.join(timeout=5)
        srv.close()


def test_missing_password_variable_names_it(
    wp: FakeWordPress, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WP_APP_PASSWORD")
    with pytest.raises(ConfigError, match="WP_APP_PASSWORD is not set"):
        channel(wp).publish(R, KEY)


def test_check_reports_user_roles_and_capabilities(wp: FakeWordPress) -> None:
    assert channel(wp, "&category=Tin").check() == {
        "ok": True,
        "user": "bantin",
        "name": "Ban biên tập",
        "roles": ["editor"],
        "edit_posts": True,
        "publish_posts": True,
        "upload_files": True,
        "manage_categories": True,
        "hint": None,
    }
    wp.me |= {"roles": ["contributor"], "capabilities": {"edit_posts": True}}
    report = channel(wp, "&category=Tin").check()
    assert report["ok"] is False and report["publish_posts"] is False
    assert "lacks publish_posts" in report["hint"] and "create them by hand" in report["hint"]
    assert report["error"] == "bantin lacks publish_posts: give it the Author role"
    assert channel(wp, "&status=pending").check()["ok"] is True


def test_check_with_a_bad_password_says_so(
    wp: FakeWordPress, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WP_APP_PASSWORD", "nope")
    report = channel(wp).check()
    assert report["ok"] is False and LOGIN in report["error"]


def test_an_image_url_on_an_internal_address_is_never_fetched(
    wp: FakeWordPress, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.channels.recording_server import recording_server

    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "127.0.0.1/32")  # the fake site, not .2
    with recording_server("127.0.0.2") as internal:
        meta = {"image_url": internal.url("/admin/secret.png")}
        with pytest.raises(PermanentError, match="loopback address"):
            channel(wp).publish(replace(R, meta=meta), KEY)
        assert internal.requests == []
    assert wp.uploads == [] and wp.count("POST", "posts") == 0


@pytest.mark.parametrize("where", ["../secret.key", "ABSOLUTE", "media/../../secret.key"])
def test_an_image_path_outside_the_media_folder_is_refused(
    wp: FakeWordPress, tmp_path: Path, where: str
) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "secret.key").write_bytes(PNG)  # even a real image: the place is wrong
    path = str(tmp_path / "secret.key") if where == "ABSOLUTE" else where
    with pytest.raises(PermanentError, match="outside the media folder"):
        channel(wp, home=tmp_path).publish(replace(R, meta={"image_path": path}), KEY)
    assert wp.uploads == []


def test_the_media_folder_is_a_setting(
    wp: FakeWordPress, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "anh").mkdir()
    (tmp_path / "anh" / "a.png").write_bytes(PNG)
    monkeypatch.setenv("BANTIN_MEDIA_DIR", str(tmp_path / "anh"))
    channel(wp, home=tmp_path).publish(replace(R, meta={"image_path": "a.png"}), KEY)
    assert len(wp.uploads) == 1


def test_a_wordpress_site_on_a_metadata_address_is_refused_when_added() -> None:
    with pytest.raises(ConfigError, match="cloud metadata"):
        open_channel("c", "wordpress://169.254.169.254/?user=u&app_password=env:WP")
