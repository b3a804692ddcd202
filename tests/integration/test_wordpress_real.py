"""The WordPress channel against a REAL WordPress (scripts/wordpress.sh), through a lossy proxy.

The promise under test: an article is created once even when WordPress created it but the
answer never reached us. `LossyProxy` sits between the channel and WordPress on 127.0.0.1; it
forwards chosen requests, reads WordPress's whole answer (so the work is certainly done), then
resets the client's connection instead of answering. The channel sees a connection error, and
its next attempt must find the post (and the image) by slug rather than make a second one.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import threading
import unicodedata
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from bantin.channels import open_channel
from bantin.channels.base import AuthError, RetryableError
from bantin.channels.wordpress import WordPressChannel, media_slug, post_slug
from bantin.content.render import Rendered
from tests.integration.conftest import WordPressSite

pytestmark = [pytest.mark.wordpress, pytest.mark.slow]

TITLE = "Chuyển đổi số: người dân làm thủ tục trực tuyến tại nhà"
BODY = (
    "<h2>Dịch vụ công trực tuyến toàn trình</h2>\n"
    "<p>Từ ngày 01/12/2026, bà con xã Cái Nhum có thể <strong>đăng ký khai sinh</strong>, "
    "cấp phiếu lý lịch tư pháp… ngay tại nhà, qua Cổng Dịch vụ công quốc gia.</p>\n"
    '<ul>\n<li>Đăng nhập bằng tài khoản <a href="https://vneid.gov.vn/">VNeID</a> mức 2</li>\n'
    "<li>Nộp lệ phí trực tuyến, nhận kết quả qua bưu điện</li>\n</ul>"
)
CATEGORY = "Chuyển đổi số"
POST_LINE = "POST /wp-json/wp/v2/posts HTTP/1.1"
MEDIA_LINE = "POST /wp-json/wp/v2/media?"


def png(width: int, height: int) -> bytes:
    """A small RGB PNG, built with zlib and struct (no imaging library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\x00" + b"".join(bytes((200, 16 * (x % 16), 40 + y)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class LossyProxy:
    """Forwards each connection's request to WordPress; the first request whose request line
    starts with one of `drop` is carried out but answered with a TCP reset."""

    def __init__(self, upstream_port: int, drop: list[str]) -> None:
        self.upstream_port = upstream_port
        self.drop = list(drop)
        self.seen: list[str] = []  # request lines, in order
        self.dropped: list[tuple[str, bytes]] = []  # request line, WordPress's unsent answer
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def count(self, prefix: str) -> int:
        return sum(1 for line in self.seen if line.startswith(prefix))

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            client.settimeout(60)
            request = _read_request(client)
            if request is None:
                return
            line = request.split(b"\r\n", 1)[0].decode()
            with self._lock:
                self.seen.append(line)
                rule = next((d for d in self.drop if line.startswith(d)), None)
                if rule is not None:
                    self.drop.remove(rule)
            with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60) as up:
                up.sendall(_one_shot(request, self.upstream_port))
                answer = _read_to_eof(up)
            if rule is None:
                client.sendall(answer)
                return
            self.dropped.append((line, answer))
            # Linger 0: close() sends RST, as when a load balancer or NAT drops a connection.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _read_request(sock: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for header in head.split(b"\r\n")[1:]:
        name, _, value = header.partition(b":")
        assert name.strip().lower() != b"transfer-encoding", "the proxy handles Content-Length"
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


def _one_shot(request: bytes, port: int) -> bytes:
    """Point Host at WordPress and ask it to close after answering (one request each)."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    kept = [h for h in lines[1:] if h.split(b":")[0].lower() not in (b"host", b"connection")]
    extra = [b"Host: 127.0.0.1:%d" % port, b"Connection: close"]
    return b"\r\n".join([lines[0], *kept, *extra]) + b"\r\n\r\n" + body


def _read_to_eof(sock: socket.socket) -> bytes:
    parts = []
    while chunk := sock.recv(65536):
        parts.append(chunk)
    return b"".join(parts)


@pytest.fixture
def site(wordpress: WordPressSite, monkeypatch: pytest.MonkeyPatch) -> WordPressSite:
    monkeypatch.setenv("WP_APP_PASSWORD", wordpress.app_password)
    return wordpress


def rest(site: WordPressSite, path: str, **params: Any) -> Any:
    """Ask WordPress directly (not through the proxy), as its administrator."""
    resp = requests.get(
        f"{site.url}/wp-json/wp/v2/{path}",
        params=params,
        auth=(site.user, site.app_password),
        timeout=20,
    )
    resp.raise_for_status()
    return resp.json()


def channel_via(proxy: LossyProxy, site: WordPressSite, extra: str = "") -> WordPressChannel:
    url = (
        f"wordpress+http://127.0.0.1:{proxy.port}/?user={site.user}"
        f"&app_password=env:WP_APP_PASSWORD{extra}"
    )
    ch = open_channel("cong-tinh", url)
    assert isinstance(ch, WordPressChannel)
    return ch


def article(key_source: str, image: Path) -> tuple[Rendered, str]:
    # Decomposed (NFD) text on the way in: what WordPress stores must be the composed form.
    rendered = Rendered(
        kind="article",
        title=unicodedata.normalize("NFD", TITLE),
        body=unicodedata.normalize("NFD", BODY),
        campaign_id="dvc-t12",
        channel="cong-tinh",
        due_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        meta={"image_path": str(image), "image_alt": "Người dân nộp hồ sơ trực tuyến"},
    )
    return rendered, hashlib.sha256(key_source.encode()).hexdigest()[:32]


@pytest.fixture(autouse=True)
def media_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Featured images come only from the media folder (bantin.outbound.media_file)."""
    monkeypatch.setenv("BANTIN_MEDIA_DIR", str(tmp_path))


@pytest.fixture
def proxies() -> Iterator[list[LossyProxy]]:
    made: list[LossyProxy] = []
    yield made
    for proxy in made:
        proxy.close()


def test_lost_answer_to_the_first_post_still_makes_exactly_one_post(
    site: WordPressSite, tmp_path: Path, proxies: list[LossyProxy]
) -> None:
    image = tmp_path / "anh-dai-dien.png"
    image.write_bytes(png(8, 6))
    rendered, key = article("dvc-t12|cong-tinh||2026-12-01T01:00:00+00:00", image)
    slug = post_slug(key)
    assert not [c for c in rest(site, "categories", search=CATEGORY) if c["name"] == CATEGORY]

    proxy = LossyProxy(site.port, drop=[POST_LINE])
    proxies.append(proxy)
    ch = channel_via(proxy, site, f"&category={quote(CATEGORY)}")
    with pytest.raises(RetryableError, match="failed: ConnectionError"):
        ch.publish(rendered, key)
    assert [line for line, _ in proxy.dropped] == [POST_LINE]
    assert b" 201 Created" in proxy.dropped[0][1].split(b"\r\n", 1)[0]  # WordPress did post it
    created = rest(site, "posts", slug=slug, status="any", context="edit")
    assert len(created) == 1

    receipt = ch.publish(rendered, key)  # the retry: finds it by slug, posts nothing
    assert receipt.external_id == str(created[0]["id"]) and receipt.http_status == 200
    assert receipt.url == created[0]["link"]
    # After a restart (a new channel, empty caches) a resend and a reconcile agree.
    again = channel_via(proxy, site, f"&category={quote(CATEGORY)}")
    assert again.publish(rendered, key).external_id == receipt.external_id
    assert again.reconcile(rendered, key) == receipt
    assert proxy.count(POST_LINE) == 1 and proxy.count(MEDIA_LINE) == 1

    everything = rest(site, "posts", status="any", context="edit", per_page=100)
    assert [p["slug"] for p in everything if p["slug"].startswith(slug)] == [slug]
    post = everything[[p["slug"] for p in everything].index(slug)]
    assert post["status"] == "publish"
    assert post["title"]["raw"] == TITLE and post["content"]["raw"] == BODY  # NFC, intact
    cats = [c for c in rest(site, "categories", search=CATEGORY) if c["name"] == CATEGORY]
    assert len(cats) == 1 and post["categories"] == [cats[0]["id"]]
    media = rest(site, f"media/{post['featured_media']}", context="edit")
    assert media["mime_type"] == "image/png"
    assert media["slug"] == media_slug("anh-dai-dien.png", image.read_bytes())
    assert media["alt_text"] == "Người dân nộp hồ sơ trực tuyến"
    assert (media["media_details"]["width"], media["media_details"]["height"]) == (8, 6)
    served = requests.get(media["source_url"], timeout=20)
    assert served.status_code == 200 and served.content == image.read_bytes()


def test_lost_answers_to_upload_and_post_leave_one_image_and_one_post(
    site: WordPressSite, tmp_path: Path, proxies: list[LossyProxy]
) -> None:
    image = tmp_path / "Ảnh tuyên truyền.png"
    image.write_bytes(png(5, 5))
    rendered, key = article("dvc-t12|cong-tinh|29641|2026-12-02T01:00:00+00:00", image)
    proxy = LossyProxy(site.port, drop=[MEDIA_LINE, POST_LINE])
    proxies.append(proxy)
    ch = channel_via(proxy, site, "&category=Đề án 06&tags=dịch vụ công,VNeID&status=draft")
    for _ in range(2):
        with pytest.raises(RetryableError):
            ch.publish(rendered, key)
    receipt = ch.publish(rendered, key)
    assert [line.split("?")[0] for line, _ in proxy.dropped] == [MEDIA_LINE[:-1], POST_LINE]
    assert proxy.count(MEDIA_LINE) == 1 and proxy.count(POST_LINE) == 1

    found = rest(site, "posts", slug=post_slug(key), status="any", context="edit")
    assert [p["id"] for p in found] == [int(receipt.external_id or 0)]
    assert found[0]["status"] == "draft" and len(found[0]["tags"]) == 2
    uploads = rest(site, "media", slug=media_slug("anh-tuyen-truyen.png", image.read_bytes()))
    assert [m["id"] for m in uploads] == [found[0]["featured_media"]]


def test_check_and_a_wrong_password_against_the_real_site(
    site: WordPressSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = site.url.replace("http://", "wordpress+http://")
    ch = open_channel("cong-tinh", f"{url}/?user={site.user}&app_password=env:WP_APP_PASSWORD")
    assert isinstance(ch, WordPressChannel)
    report = ch.check()
    assert report["ok"] is True and report["roles"] == ["administrator"]
    assert report["publish_posts"] and report["upload_files"] and report["manage_categories"]

    monkeypatch.setenv("WP_APP_PASSWORD", "aaaa bbbb cccc dddd eeee ffff")
    rendered, key = article("wrong-password", Path("unused.png"))
    with pytest.raises(AuthError, match="did not accept the login"):
        ch.publish(rendered, key)
    assert rest(site, "posts", slug=post_slug(key), status="any", context="edit") == []
