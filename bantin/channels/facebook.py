"""Facebook Page: each publication becomes one post on a Page's feed, through the Graph API.

`facebook://PAGE_ID?token=env:FB_TOKEN_BAOVL[&version=v21.0][&base=URL][&timeout=10]`

`token` names a Page access token (not a user token) with `pages_manage_posts` and
`pages_read_engagement`; `base` replaces https://graph.facebook.com so tests and staging can
point the channel at a local server. The token travels in an `Authorization` header, never in
a URL, so no exception text, proxy log or access log can carry it.

Graph has no idempotency key, so the channel makes its own: every post ends with the line
`Mã tin: bt-<first 10 characters of the idempotency key>` ("bulletin code"). A press officer
reads it as a reference number, like the number on an official letter; `reconcile` looks for
it among the Page's latest 50 posts. After any failure that might have posted anyway (timeout,
5xx, Graph codes 1 and 2) the next `publish` of that key looks first and posts only if nothing
is there; a 506 "duplicate post" answer is settled the same way, never by posting again.

Errors are classified from the parsed `error.code`, `error.error_subcode` and
`error.is_transient` fields, never from message text (docs/channels/facebook.md has the
table). The `X-App-Usage`, `X-Page-Usage` and `X-Business-Use-Case-Usage` headers of every
answer are read; at 95 % of any quota the channel stops sending and raises RateLimited
*before* the call that would get the Page throttled.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import requests

from bantin.channels.base import (
    AuthError,
    ChannelError,
    PermanentError,
    RateLimited,
    Receipt,
    RetryableError,
)
from bantin.channels.helpers import parse_retry_after, plain_text, redact
from bantin.channels.http import HTTPChannel
from bantin.content.render import Rendered
from bantin.core.errors import ConfigError
from bantin.secrets.resolve import resolve

log = logging.getLogger(__name__)
GRAPH_BASE = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
VERSION_RE = re.compile(r"v\d{1,3}\.\d{1,2}")
MARKER_PREFIX = "Mã tin: bt-"
RECONCILE_WINDOW = 50

RETRYABLE_CODES = frozenset({1, 2})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
AUTH_CODES = frozenset({102, 190})
DUPLICATE_POST = 506
POLICY_BLOCK = 368
THROTTLE_PERCENT = 95.0
#: Seconds to hold off when Graph says "slow down" without saying for how long.
DEFAULT_RATE_WAIT = 600.0
USAGE_FIELDS = ("call_count", "total_time", "total_cputime")
SUBCODE_MEANINGS = {
    458: "the app was removed from the account that issued the token",
    459: "the account is checkpointed: its owner must log in at facebook.com and clear it",
    460: "the password of the account that issued the token was changed",
    463: "the token has expired",
    464: "the account that issued the token is not confirmed",
    467: "the token is no longer valid (the user logged out or it was revoked)",
    492: "the account that issued the token no longer has a role on the Page",
}


def marker(idempotency_key: str) -> str:
    """The reference line that ties a post to its publication (see the module docstring)."""
    return MARKER_PREFIX + idempotency_key[:10]


def permalink(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _json_header(value: str | None) -> Any:
    try:
        return json.loads(value or "null")
    except ValueError:
        return None


def usage_from_headers(headers: Mapping[str, str]) -> tuple[float | None, float | None]:
    """(highest quota use in percent, seconds until access returns) from Graph's usage headers.

    `X-App-Usage`/`X-Page-Usage` hold {"call_count": %, "total_time": %, "total_cputime": %};
    `X-Business-Use-Case-Usage` holds {object_id: [{...same..., "type": ...,
    "estimated_time_to_regain_access": minutes}]}. (None, None) when none is present.
    """
    seen: list[float] = []
    regain: float | None = None
    for name in ("X-App-Usage", "X-Page-Usage"):
        doc = _json_header(headers.get(name))
        if isinstance(doc, dict):
            seen.extend(_number(doc.get(f)) for f in USAGE_FIELDS)
    buc = _json_header(headers.get("X-Business-Use-Case-Usage"))
    for entries in buc.values() if isinstance(buc, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict):
                seen.extend(_number(entry.get(f)) for f in USAGE_FIELDS)
                minutes = _number(entry.get("estimated_time_to_regain_access"))
                if minutes > 0:
                    regain = max(regain or 0.0, minutes * 60)
    return (max(seen) if seen else None), regain


class DuplicatePost(PermanentError):
    """Graph code 506: the same message is already on the Page. `publish` reconciles it."""


#: Facebook's limit on the length of a post's text.
POST_MAXLEN = 63_206
#: Characters the channel adds after the text (blank line and the reference line).
MARKER_RESERVE = 40


class FacebookPageChannel(HTTPChannel):
    schemes = ("facebook",)
    kind = "facebook"
    dedupes = False
    reconciles = True
    usual_for = ("post", "article")
    api_base = GRAPH_BASE
    parameters = frozenset({"token", "version"})
    provider = "Graph API"
    body_maxlen: ClassVar[int] = POST_MAXLEN
    #: The whole message (first line, blank line, body) leaves room for the marker line;
    #: the first line is what a reader sees before "Xem thêm": one strong sentence.
    length_limits = MappingProxyType({"post": POST_MAXLEN - MARKER_RESERVE, "first_line": 150})

    @classmethod
    def measure(cls, rendered: Rendered) -> dict[str, int]:
        """The post as composed (articles as plain text) and its first line."""
        title = " ".join(rendered.title.split())
        body = plain_text(rendered.body) if rendered.kind == "article" else rendered.body
        return {"post": len(f"{title}\n\n{body.strip()}"), "first_line": len(title)}

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        super().__init__(name, url, home=home)
        self.page_id = self.parts.netloc
        if not self.page_id.isdigit() or self.parts.path not in ("", "/"):
            raise ConfigError(
                f"{name}: use facebook://PAGE_ID with the numeric Page ID "
                "(Page → About → Page transparency)"
            )
        self.token_ref = self.params.pop("token", "")
        if not self.token_ref:
            raise ConfigError(f"{name}: a Facebook channel needs ?token=env:VAR (a Page token)")
        self.version = self.params.pop("version", DEFAULT_VERSION)
        if not VERSION_RE.fullmatch(self.version):
            raise ConfigError(f"{name}: version must look like v21.0, not {self.version!r}")
        #: Monotonic clock, replaceable in tests.
        self.clock: Callable[[], float] = time.monotonic
        #: Highest quota use seen in the last answer that carried usage headers, in percent.
        self.usage: float | None = None
        self._paused_until = 0.0
        #: Keys whose last attempt may have posted although it failed: look before posting.
        self._uncertain: set[str] = set()

    # -- the contract ---------------------------------------------------------------
    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        self._gate()
        if idempotency_key in self._uncertain:
            found = self.reconcile(rendered, idempotency_key)
            if found is not None:
                self._uncertain.discard(idempotency_key)
                return found
        link = rendered.meta.link
        image = rendered.meta.image_url
        data = {"message": self.compose(rendered, idempotency_key, link if image else None)}
        if image:
            photo = self._call(
                "POST", f"{self.page_id}/photos", data={"url": str(image), "published": "false"}
            )
            data["attached_media"] = json.dumps([{"media_fbid": str(photo.get("id"))}])
        elif link:
            data["link"] = str(link)
        self._uncertain.add(idempotency_key)
        try:
            doc = self._call("POST", f"{self.page_id}/feed", data=data)
        except DuplicatePost:
            found = self.reconcile(rendered, idempotency_key)
            if found is None:
                raise RetryableError(
                    "Facebook reports this post as a duplicate, but it is not among the Page's "
                    f"latest {RECONCILE_WINDOW} posts yet; looking again later",
                    retry_after=60,
                ) from None
            self._uncertain.discard(idempotency_key)
            return found
        except ChannelError as exc:
            if not isinstance(exc, RetryableError) or isinstance(exc, RateLimited):
                self._uncertain.discard(idempotency_key)  # refused outright: nothing went out
            raise
        self._uncertain.discard(idempotency_key)
        post_id = str(doc.get("id") or doc.get("post_id") or "")
        if not post_id:
            raise PermanentError("Facebook accepted the post but returned no id; check the Page")
        return Receipt(
            external_id=post_id,
            url=doc.get("permalink_url") or permalink(post_id),
            http_status=200,
        )

    def reconcile(self, rendered: Rendered, idempotency_key: str) -> Receipt | None:
        """Find the post by its marker among the Page's latest posts; None if it is not there."""
        fields = {"fields": "id,message,permalink_url,created_time", "limit": str(RECONCILE_WINDOW)}
        doc = self._call("GET", f"{self.page_id}/posts", params=fields)
        tag = marker(idempotency_key)
        for post in doc.get("data") or ():
            if isinstance(post, dict) and tag in str(post.get("message") or ""):
                post_id = str(post.get("id"))
                return Receipt(
                    external_id=post_id,
                    url=post.get("permalink_url") or permalink(post_id),
                    http_status=200,
                )
        return None

    def check(self) -> dict[str, Any]:
        """What the token is and whether it can post to the Page (for `bantin channel test`).

        A Page token answers /me with the Page itself; anything else is a user or system-user
        token, which cannot post as the Page.
        """
        try:
            me = self._call("GET", "me", params={"fields": "id,name"})
            page = self._call("GET", self.page_id, params={"fields": "id,name"})
        except (ChannelError, ConfigError) as exc:
            return {"ok": False, "error": str(exc)}
        page_token = str(me.get("id")) == self.page_id
        hint = f"this is not a Page token for {self.page_id}: get one from /me/accounts"
        return {
            "ok": page_token,
            "token_of": me.get("name"),
            "page": page.get("name"),
            "page_token": page_token,
            "usage_percent": self.usage,
            "hint": None if page_token else hint + " with pages_manage_posts granted",
        }

    # -- composing ------------------------------------------------------------------
    def compose(self, rendered: Rendered, idempotency_key: str, link: Any = None) -> str:
        """Title as its own first line, a blank line, the body, then the marker line."""
        body = plain_text(rendered.body) if rendered.kind == "article" else rendered.body
        parts = [rendered.title.strip(), body.strip(), str(link or "").strip()]
        message = "\n\n".join([p for p in parts if p] + [marker(idempotency_key)])
        if len(message) > self.body_maxlen:
            raise PermanentError(
                f"the post is {len(message)} characters and Facebook allows {self.body_maxlen}: "
                "shorten the text"
            )
        return message

    # -- HTTP -----------------------------------------------------------------------
    def _gate(self) -> None:
        wait = self._paused_until - self.clock()
        if wait > 0:
            raise RateLimited(
                f"Facebook quota at {self.usage or 0:.0f} %; holding posts for {wait:.0f} s",
                retry_after=wait,
            )

    def _note_usage(self, headers: Mapping[str, str]) -> None:
        peak, regain = usage_from_headers(headers)
        if peak is None:
            return
        self.usage = peak
        pause = (regain or DEFAULT_RATE_WAIT) if peak >= THROTTLE_PERCENT else None
        self._paused_until = self.clock() + pause if pause else 0.0

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        token = resolve(self.token_ref)
        url, auth = f"{self.base}/{self.version}/{path}", {"Authorization": f"Bearer {token}"}
        resp = self.request(method, url, params=params, data=data, headers=auth)
        self._note_usage(resp.headers)
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if 200 <= resp.status_code < 300 and isinstance(doc, dict) and "error" not in doc:
            return doc
        snippet = redact(resp.text, token)
        log.info("facebook %s: %s %s: %s %s", self.name, method, path, resp.status_code, snippet)
        raise self._error(resp, doc, token)

    def _error(self, resp: requests.Response, doc: Any, token: str) -> ChannelError:
        status = resp.status_code
        err = doc.get("error") if isinstance(doc, dict) else None
        if not isinstance(err, dict):
            if status == 429:
                wait = parse_retry_after(resp.headers.get("Retry-After")) or DEFAULT_RATE_WAIT
                return RateLimited(
                    "Graph API rate limited (429)", retry_after=wait, http_status=status
                )
            if status >= 500 or status == 408 or 200 <= status < 300:
                return RetryableError(f"Graph API error {status}", http_status=status)
            return PermanentError(
                f"Graph API answered {status} without an error", http_status=status
            )
        code = int(_number(err.get("code")))
        sub = int(_number(err.get("error_subcode")))
        ref = f"code {code}" + (f", subcode {sub}" if sub else "")
        if err.get("fbtrace_id"):
            ref += f", fbtrace_id {err['fbtrace_id']}"
        page = self.page_id
        if code in AUTH_CODES:
            meaning = SUBCODE_MEANINGS.get(sub, "the token is invalid, expired or revoked")
            return AuthError(
                f"Facebook refused the token ({ref}): {meaning}; issue a new Page token for "
                f"{page} and put it in {self.token_ref}",
                http_status=status,
            )
        if code in RATE_LIMIT_CODES:
            return RateLimited(
                f"Facebook asks to slow down ({ref})",
                retry_after=usage_from_headers(resp.headers)[1] or DEFAULT_RATE_WAIT,
                http_status=status,
            )
        if code in RETRYABLE_CODES or err.get("is_transient") is True:
            return RetryableError(f"Facebook had a passing failure ({ref})", http_status=status)
        if code == DUPLICATE_POST:
            return DuplicatePost(
                f"Facebook says this post is a duplicate ({ref})", http_status=status
            )
        if code == POLICY_BLOCK:
            return PermanentError(
                f"Facebook has blocked the Page from posting for a policy reason ({ref}): an "
                "admin must check Page quality and the Support Inbox before posting again",
                http_status=status,
            )
        if code == 10 or 200 <= code <= 299:
            return PermanentError(
                f"Facebook refused permission ({ref}): use a Page access token for {page} (not a "
                "user token), from an account with the CREATE_CONTENT task, with "
                "pages_manage_posts and pages_read_engagement granted",
                http_status=status,
            )
        if status >= 500:
            return RetryableError(f"Facebook server error ({ref})", http_status=status)
        said = redact(str(err.get("error_user_msg") or err.get("message") or ""), token, limit=200)
        return PermanentError(f"Facebook rejected the post ({ref}): {said}", http_status=status)
