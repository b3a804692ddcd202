"""WordPress: each publication becomes one post on a WordPress site, through its REST API.

`wordpress://portal.example.vn/?user=bantin&app_password=env:WP_APP_PASSWORD`
`[&status=publish|draft|pending|private][&category=Chuyển đổi số][&tags=a,b][&timeout=20]`

The host (plus path, for a site in a folder) is the site address. `app_password` names an
Application Password of `user`, sent as HTTP Basic auth in a header of each REST call only
(never to an image host, a URL or a log). `wordpress+http://` is for loopback test sites only.

The REST API has no idempotency key, but WordPress never gives one slug to two posts: a second
post asking for a taken slug gets "-2" appended. So every post is named `bantin-<key[:16]>`, and
before every POST (first try, retry, resend after a crash) the channel asks
`GET /posts?slug=…&status=any`; a post found there *is* this publication, its receipt comes back
and nothing is posted (hence `dedupes`). The title stays out of the slug: an editor may correct
it between two tries, and a slug that moved with it would no longer find the first post.
Categories and tags are found by exact name or created; a featured image is uploaded under a
slug made from its filename and bytes, so a retry finds it instead of uploading it again.
docs/channels/wordpress.md explains the errors.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import unicodedata
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import requests

from bantin import outbound
from bantin.channels.base import (
    AuthError,
    ChannelError,
    PermanentError,
    RateLimited,
    Receipt,
    RetryableError,
)
from bantin.channels.helpers import parse_retry_after
from bantin.channels.http import RETRYABLE_STATUS, USER_AGENT, HTTPChannel
from bantin.channels.wordpress_parts import (
    _fold,
    _id,
    _items,
    _nested_denial,
    as_html,
    media_slug,
    post_slug,
    safe_filename,
    sniff_image,
)
from bantin.content.render import Rendered
from bantin.core.errors import ConfigError
from bantin.core.scrub import mask_url
from bantin.secrets.resolve import resolve

log = logging.getLogger(__name__)
STATUSES = ("publish", "draft", "pending", "private")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_IMAGE_BYTES = 20 * 1024 * 1024
CAPABILITIES = ("edit_posts", "publish_posts", "upload_files", "manage_categories")
#: What a person must change when WordPress says no, by error code. A wrong user or password
#: often does not get its own code: WordPress may just treat the call as anonymous (401).
AUTH_HINTS = {
    "invalid_username": "there is no user {user!r}: fix ?user= (the login name)",
    "invalid_email": "there is no user with the email {user!r}: fix ?user=",
    "incorrect_password": "the application password of {user} is wrong or revoked: create one "
    "(Users → Profile → Application Passwords) and put it in {ref}",
    "application_passwords_disabled": "the site has application passwords turned off (https "
    "is required; a security plugin may disable them)",
    "application_passwords_disabled_for_user": "application passwords are off for {user}",
    "rest_cannot_publish": "{user} may not publish: give it the Author role, or use ?status=draft",
    "rest_cannot_assign_term": "{user} may not assign this category or tag",
    "login": "WordPress did not accept the login: check ?user= and the application password in "
    "{ref} (revoked?), and that no proxy strips the Authorization header",
    "role": "{user} lacks the capability: posts and images need the Author role, new "
    "categories and tags need Editor",
    "": "forbidden: a firewall or security plugin may be blocking the REST API",
}


class TermExists(PermanentError):
    """Creating a category or tag raced with someone else: WordPress says which id won."""

    def __init__(self, message: str, term_id: int) -> None:
        super().__init__(message, http_status=400)
        self.term_id = term_id


class WordPressChannel(HTTPChannel):
    """The URL's host and path are the site address; `base=` replaces it for requests."""

    schemes = ("wordpress", "wordpress+http")
    kind = "wordpress"
    dedupes = True
    reconciles = True
    usual_for = ("article",)
    default_timeout = 20.0
    parameters = frozenset({"user", "app_password", "status", "category", "tags"})
    provider = "WordPress"
    #: A portal headline of more than two lines is not read: keep it to what a reader scans.
    length_limits = MappingProxyType({"title": 200})

    def default_base(self) -> str:
        parts = self.parts
        host = parts.hostname or ""
        if not host or parts.username:
            raise ConfigError(f"{self.name}: use wordpress://SITE/?user=LOGIN&app_password=env:VAR")
        if parts.scheme == "wordpress+http" and host not in LOOPBACK:
            raise ConfigError(
                f"{self.name}: wordpress+http:// is only for a test site on 127.0.0.1; use "
                "wordpress:// (https) so the application password is not sent in clear text"
            )
        path = parts.path.rstrip("/")
        if "/wp-json" in path:
            raise ConfigError(f"{self.name}: give the site address, without /wp-json")
        scheme = "http" if parts.scheme == "wordpress+http" else "https"
        return f"{scheme}://{parts.netloc}{path}"

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        super().__init__(name, url, home=home)
        self.user = self.params.pop("user", "").strip()
        if not self.user:
            raise ConfigError(f"{name}: a WordPress channel needs ?user=LOGIN (the login name)")
        self.password_ref = self.params.pop("app_password", "")
        if not self.password_ref:
            raise ConfigError(f"{name}: a WordPress channel needs ?app_password=env:VAR")
        self.status = self.params.pop("status", "publish")
        if self.status not in STATUSES:
            raise ConfigError(f"{name}: status must be one of {', '.join(STATUSES)}")
        category = unicodedata.normalize("NFC", self.params.pop("category", "")).strip()
        self.categories = [category] if category else []
        tags = unicodedata.normalize("NFC", self.params.pop("tags", ""))
        self.tags = [t.strip() for t in tags.split(",") if t.strip()]
        #: Image downloads carry no credential and may follow redirects, each hop checked.
        self.images = outbound.OutboundSession(secret=False, max_redirects=3, user_agent=USER_AGENT)
        self._terms: dict[tuple[str, str], int] = {}

    # -- the contract ---------------------------------------------------------------
    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        slug = post_slug(idempotency_key)
        found = self._find_post(slug)
        if found is not None:
            log.info("wordpress %s: %s is already post %s", self.name, slug, found.get("id"))
            return self._receipt(found, 200)
        body: dict[str, Any] = {
            "title": unicodedata.normalize("NFC", rendered.title),
            "content": as_html(rendered),
            "status": self.status,
            "slug": slug,
        }
        if self.categories:
            body["categories"] = [self._term_id("categories", c) for c in self.categories]
        if self.tags:
            body["tags"] = [self._term_id("tags", t) for t in self.tags]
        media = self._featured_media(rendered)
        if media is not None:
            body["featured_media"] = media
        try:
            post = self._call("POST", "posts", "the post", json_body=body)
        except PermanentError:
            self._terms.clear()  # a category deleted since it was cached is refused: look again
            raise
        _id(post, "the post")  # without an id the outcome is unknown: retry, which looks first
        if post.get("slug") != slug:
            return self._settle_slug_clash(post, slug)
        return self._receipt(post, 201)

    def reconcile(self, rendered: Rendered, idempotency_key: str) -> Receipt | None:
        """The post with this publication's slug, in any status but trash; None if absent."""
        found = self._find_post(post_slug(idempotency_key))
        return self._receipt(found, 200) if found is not None else None

    def check(self) -> dict[str, Any]:
        """Who the password logs in as, and whether that user can do what the channel needs."""
        try:
            me = self._call("GET", "users/me", "the user check", params={"context": "edit"})
        except (ChannelError, ConfigError) as exc:
            return {"ok": False, "error": str(exc)}
        me = me if isinstance(me, dict) else {}
        caps: dict[str, Any] = me.get("capabilities") or {}
        has = {c: bool(caps.get(c)) for c in CAPABILITIES}
        need = ["edit_posts"] + (["publish_posts"] if self.status in ("publish", "private") else [])
        missing = [c for c in need if not has[c]]
        notes: list[str] = []
        if missing:
            notes.append(f"{self.user} lacks {', '.join(missing)}: give it the Author role")
        if (self.categories or self.tags) and not has["manage_categories"]:
            notes.append("it cannot create categories or tags: create them by hand first")
        return {
            "ok": not missing,
            "user": me.get("username") or self.user,
            "name": me.get("name"),
            "roles": me.get("roles") or [],
            **has,
            "hint": "; ".join(notes) or None,
            **({"error": notes[0]} if missing else {}),
        }

    def close(self) -> None:
        self.session.close()
        self.images.close()

    # -- posts, terms, media --------------------------------------------------------
    def _find_post(self, slug: str) -> dict[str, Any] | None:
        params = {"slug": slug, "status": "any", "context": "edit", "orderby": "id", "order": "asc"}
        docs = self._call("GET", "posts", "the slug lookup", params=params)
        if not isinstance(docs, list):
            raise RetryableError("WordPress answered the slug lookup with something not a list")
        posts = [d for d in _items(docs) if d.get("slug") == slug]
        return posts[0] if posts else None

    def _settle_slug_clash(self, post: dict[str, Any], slug: str) -> Receipt:
        """WordPress renamed our slug: someone took it since the lookup. Keep theirs, trash ours."""
        first = self._find_post(slug)
        if first is None or first.get("id") == post.get("id"):
            renamed = post.get("slug")
            log.warning("wordpress %s: site renamed slug %s to %s", self.name, slug, renamed)
            return self._receipt(post, 201)
        self._call("DELETE", f"posts/{int(post['id'])}", "the duplicate post")  # to the trash
        return self._receipt(first, 200)

    def _term_id(self, taxonomy: str, name: str) -> int:
        """Exact-name match among `?search=` results (it matches substrings), else create."""
        if (taxonomy, name) in self._terms:
            return self._terms[(taxonomy, name)]
        what = "the category" if taxonomy == "categories" else "the tag"
        params = {"search": name, "per_page": "100", "context": "view"}
        found = self._call("GET", taxonomy, f"{what} lookup", params=params)
        same = [t for t in _items(found) if _fold(str(t.get("name", ""))) == _fold(name)]
        try:
            made = same[0] if same else self._call("POST", taxonomy, what, json_body={"name": name})
            term_id = _id(made, what)
        except TermExists as exc:
            term_id = exc.term_id
        self._terms[(taxonomy, name)] = term_id
        return term_id

    def _featured_media(self, rendered: Rendered) -> int | None:
        path, url = rendered.meta.image_path, rendered.meta.image_url
        if not path and not url:
            return None
        name, data = self._read_image(str(path)) if path else self._download_image(str(url))
        kind = sniff_image(data)
        if kind is None:
            raise PermanentError(f"{name} is not a PNG, JPEG, GIF or WebP image")
        mime, ext = kind
        filename = safe_filename(name, ext)
        slug = media_slug(filename, data)
        found = self._call("GET", "media", "the image lookup", params={"slug": slug})
        for item in _items(found):
            if item.get("slug") == slug:
                return _id(item, "the image lookup")
        alt = str(rendered.meta.image_alt or rendered.title)
        disposition = f'attachment; filename="{filename}"'
        headers = {"Content-Type": mime, "Content-Disposition": disposition}
        title = unicodedata.normalize("NFC", rendered.title)
        params = {"slug": slug, "title": title, "alt_text": unicodedata.normalize("NFC", alt)}
        doc = self._call(
            "POST", "media", "the image upload", params=params, data=data, headers=headers
        )
        return _id(doc, "the image upload")

    def _read_image(self, path: str) -> tuple[str, bytes]:
        """A file from the media folder only: a template must not upload the key file."""
        try:
            file = outbound.media_file(path, outbound.media_dir(self.home))
        except ConfigError as exc:
            raise PermanentError(str(exc)) from None
        try:
            if file.stat().st_size > MAX_IMAGE_BYTES:
                raise PermanentError(f"image {file} is over {MAX_IMAGE_BYTES >> 20} MB")
            return file.name, file.read_bytes()
        except OSError as exc:
            raise PermanentError(f"cannot read image {file}: {exc.strerror}") from exc

    def _download_image(self, url: str) -> tuple[str, bytes]:
        """Fetch meta.image_url without credentials (the auth header is per REST call)."""
        shown = mask_url(url)
        try:
            with self.images.get(url, timeout=self.timeout, stream=True) as resp:
                if resp.status_code != 200:
                    cls = RetryableError if resp.status_code >= 500 else PermanentError
                    raise cls(f"image {shown} answered {resp.status_code}")
                data = resp.raw.read(MAX_IMAGE_BYTES + 1, decode_content=True)
        except ConfigError as exc:  # the outbound policy: the publication, not the channel
            raise PermanentError(f"image {shown}: {exc}") from None
        except requests.RequestException as exc:
            raise RetryableError(f"image {shown}: {type(exc).__name__}") from exc
        if len(data) > MAX_IMAGE_BYTES:
            raise PermanentError(f"image {shown} is over {MAX_IMAGE_BYTES >> 20} MB")
        return PurePosixPath(urlsplit(url).path).name or "image", data

    def _receipt(self, post: dict[str, Any], status: int) -> Receipt:
        return Receipt(external_id=str(post.get("id")), url=post.get("link"), http_status=status)

    # -- HTTP -----------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One REST call with the password in a header; the answer's JSON, or a typed error."""
        secret = resolve(self.password_ref)
        token = base64.b64encode(f"{self.user}:{secret}".encode()).decode("ascii")
        sent = {"Authorization": f"Basic {token}", **(headers or {})}
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            sent["Content-Type"] = "application/json; charset=utf-8"
        url = f"{self.base}/wp-json/wp/v2/{path}"
        resp = self.request(method, url, params=params, data=data, headers=sent)
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if 200 <= resp.status_code < 300 and doc is not None:
            return doc
        err = self._error(resp, doc, what)
        log.info(
            "wordpress %s: %s %s: %s", self.name, method, path, str(err).replace(secret, "***")
        )
        raise err

    def _error(self, resp: requests.Response, doc: Any, what: str) -> ChannelError:
        """Classify by status and WordPress's `code`; the message says what a person must fix."""
        status = resp.status_code
        doc = doc if isinstance(doc, dict) else {}
        code = str(doc.get("code") or "")
        data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
        said = re.sub(r"<[^>]+>", "", html.unescape(str(doc.get("message") or "")))[:200]
        ref = f"{status} {code}".strip()
        wait = parse_retry_after(resp.headers.get("Retry-After"))
        if 200 <= status < 300:  # 2xx without JSON (a cache or plugin page): outcome unknown
            return RetryableError(f"WordPress answered {what} without JSON", http_status=status)
        if status == 429:
            return RateLimited(
                f"WordPress: slow down ({ref})", retry_after=wait, http_status=status
            )
        if code == "term_exists" and data.get("term_id"):
            return TermExists(f"{what} exists already", int(data["term_id"]))
        if code.startswith("rest_upload_"):  # often a 500, yet only a person can fix it
            return PermanentError(f"WordPress refused {what} ({ref}): {said}", http_status=status)
        denied = status if status in (401, 403) else _nested_denial(data)
        if denied:
            if code not in AUTH_HINTS:  # 401: not logged in; 403: logged in, lacks a capability
                code = "login" if denied == 401 else "role" if code.startswith("rest_") else ""
            hint = AUTH_HINTS[code].format(user=self.user, ref=self.password_ref)
            return AuthError(f"WordPress refused {what} ({ref}): {hint}", http_status=status)
        if status in RETRYABLE_STATUS or status >= 500:
            msg = f"WordPress error on {what} ({ref})"
            return RetryableError(msg, retry_after=wait, http_status=status)
        if code in ("rest_invalid_param", "rest_missing_callback_param"):
            params = data.get("params") or {}
            pairs = params.items() if isinstance(params, dict) else ((p, "missing") for p in params)
            detail = ", ".join(f"{k} ({v})" for k, v in pairs) or said
            return PermanentError(f"WordPress rejected {what}: {detail}", http_status=status)
        if status == 404:
            msg = f"no WordPress REST API at {self.base}/wp-json/ ({ref}): check the site address"
            return PermanentError(msg, http_status=status)
        return PermanentError(f"WordPress rejected {what} ({ref}): {said}", http_status=status)
