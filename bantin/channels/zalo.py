"""Zalo Official Account: each publication becomes an article on the OA, via the OA API v2.0.

`zalo://OA_ID?token=env:ZALO_TOKEN&refresh_token=env:ZALO_REFRESH&app_id=APP_ID
&app_secret=env:ZALO_SECRET[&author=…][&cover=https://…][&base=URL][&oauth_base=URL][&timeout=10]`

Publishing is two steps on Zalo's side: `article/create` answers with a *token*, and
`article/verify` with that token answers "still processing" (-214) until the article has an
id. The channel keeps the token per idempotency key, so a retry after -214 verifies again
instead of creating a second article. The map lives in the process: after a crash there is
no token to verify and `reconcile` answers "unknown" (None).

Access tokens expire after about a day; the refresh token that renews one can be used only
once and is replaced with every renewal. Both live behind `TokenStore`, whose `lock()` makes
sure only one worker renews at a time (the others then read the new pair). On -216 or -124
the channel renews once and repeats the call once; a second refusal is an AuthError.

Limits: the title must be at most 150 characters (a longer one is refused, for a press
officer to shorten, never cut); the description is cut to 300 on a word boundary.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import requests

from bantin.channels.base import (
    AuthError,
    ChannelError,
    PermanentError,
    Receipt,
    RetryableError,
)
from bantin.channels.helpers import plain_text, shorten
from bantin.channels.http import HTTPChannel
from bantin.content.render import Rendered
from bantin.core.errors import ConfigError
from bantin.secrets.resolve import resolve
from bantin.secrets.tokens import MemoryTokenStore as MemoryTokenStore  # for callers
from bantin.secrets.tokens import TokenStore, shared_store
from bantin.secrets.tokens import install_store_factory as install_store_factory

log = logging.getLogger(__name__)
OPENAPI_BASE = "https://openapi.zalo.me"
OAUTH_BASE = "https://oauth.zaloapp.com"
TITLE_MAX, DESCRIPTION_MAX, AUTHOR_MAX = 150, 300, 50
STILL_PROCESSING = -214
TOKEN_REFUSED = frozenset({-216, -124})
MEDIA_REJECTED = -200
#: Seconds before verifying again an article Zalo is still processing.
VERIFY_AGAIN_AFTER = 30.0


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (a blank line separates them; a newline becomes <br>)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )


class ZaloOAChannel(HTTPChannel):
    schemes = ("zalo",)
    kind = "zalo"
    dedupes = False
    usual_for = ("post", "article")
    api_base = OPENAPI_BASE
    parameters = frozenset(
        {"token", "refresh_token", "app_id", "app_secret", "author", "cover", "oauth_base"}
    )
    secret_params = frozenset({"token", "refresh_token", "app_secret"})
    provider = "Zalo API"
    #: The API refuses longer titles; the description is cut to its limit by `article`.
    length_limits = MappingProxyType({"title": TITLE_MAX, "description": DESCRIPTION_MAX})

    def __init__(
        self,
        name: str,
        url: str,
        *,
        home: Path | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        super().__init__(name, url, home=home)
        self.oa_id = self.parts.netloc
        if not self.oa_id.isdigit() or self.parts.path not in ("", "/"):
            raise ConfigError(f"{name}: use zalo://OA_ID with the numeric Official Account ID")
        self.token_ref = self.params.pop("token", "")
        self.refresh_ref = self.params.pop("refresh_token", "")
        self.secret_ref = self.params.pop("app_secret", "")
        refs = {"token": self.token_ref, "refresh_token": self.refresh_ref}
        for key, ref in {**refs, "app_secret": self.secret_ref}.items():
            if not ref.startswith(("env:", "secret:")):
                raise ConfigError(
                    f"{name}: {key} must be a secret reference such as env:VAR"
                    + (", never the secret itself" if ref else "")
                )
        self.app_id = self.params.pop("app_id", "")
        if not self.app_id.isdigit():
            raise ConfigError(f"{name}: app_id must be the numeric ID of the Zalo app")
        self.oauth_base = self.check_base(self.params.pop("oauth_base", OAUTH_BASE), "oauth_base")
        self.cover = self._cover(self.params.pop("cover")) if "cover" in self.params else None
        self.author = self.params.pop("author", "Ban biên tập").strip()
        if not self.author or len(self.author) > AUTHOR_MAX:
            raise ConfigError(f"{name}: author must be 1 to {AUTHOR_MAX} characters")
        self._store = token_store
        #: idempotency key -> create token of an article Zalo has not finished processing.
        self._pending: dict[str, str] = {}

    def _cover(self, value: str) -> str:
        """A cover image address: Zalo fetches it, no credential goes there."""
        value = value.rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{self.name}: cover must be an http(s) URL")
        return value

    @property
    def store(self) -> TokenStore:
        if self._store is None:
            self._store = shared_store(self.oa_id, self.token_ref, self.refresh_ref)
        return self._store

    # -- the contract ---------------------------------------------------------------
    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        token = self._pending.get(idempotency_key)
        if token is None:
            data = self._call("/v2.0/article/create", self.article(rendered))
            token = str(data.get("token") or "")
            if not token:
                raise PermanentError(
                    "Zalo accepted the article without a token; check the OA's articles "
                    "before sending it again"
                )
            self._pending[idempotency_key] = token
        try:
            receipt = self._verify(token)
        except ChannelError as exc:
            if isinstance(exc, PermanentError) and not isinstance(exc, AuthError):
                self._pending.pop(idempotency_key, None)
            raise
        self._pending.pop(idempotency_key, None)
        return receipt

    def reconcile(self, rendered: Rendered, idempotency_key: str) -> Receipt | None:
        """Verify the article this process created for the key; None when there is none
        (or it is still processing)."""
        token = self._pending.get(idempotency_key)
        if token is None:
            return None
        try:
            receipt = self._verify(token)
        except RetryableError:
            return None
        self._pending.pop(idempotency_key, None)
        return receipt

    # -- the article ----------------------------------------------------------------
    def article(self, rendered: Rendered) -> dict[str, Any]:
        """The create request: a 'normal' article with a photo cover and one HTML block."""
        title = " ".join(rendered.title.split())
        if not title:
            raise PermanentError("a Zalo article needs a title")
        if len(title) > TITLE_MAX:
            raise PermanentError(
                f"the title is {len(title)} characters and Zalo allows {TITLE_MAX}: shorten it"
            )
        cover = rendered.meta.image_url or self.cover
        if not cover:
            raise PermanentError(
                "a Zalo article needs a cover image: export image_url from the template "
                "or set &cover= on the channel"
            )
        body = rendered.body if rendered.kind == "article" else text_to_html(rendered.body)
        description = str(rendered.meta.description or plain_text(body))
        return {
            "type": "normal",
            "title": title,
            "author": self.author,
            "cover": {"cover_type": "photo", "photo_url": str(cover), "status": "show"},
            "description": shorten(description, DESCRIPTION_MAX),
            "body": [{"type": "text", "content": body}],
            "status": "show",
            "comment": "show",
        }

    def _verify(self, token: str) -> Receipt:
        data = self._call("/v2.0/article/verify", {"token": token})
        article_id = data.get("id") or data.get("article_id")
        if not article_id:
            raise RetryableError(
                "Zalo has not given the article an id yet", retry_after=VERIFY_AGAIN_AFTER
            )
        link = data.get("link") or data.get("url")
        return Receipt(
            external_id=str(article_id), url=str(link) if link else None, http_status=200
        )

    # -- HTTP -----------------------------------------------------------------------
    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to the OA API; on a refused token renew once and repeat the call once."""
        access, _ = self.store.get()
        doc = self._post(path, body, access)
        if doc.get("error") in TOKEN_REFUSED:
            doc = self._post(path, body, self.refresh(access))
            if doc.get("error") in TOKEN_REFUSED:
                raise AuthError(
                    f"Zalo refused a freshly renewed access token (error {doc.get('error')}): "
                    f"check that app {self.app_id} is still linked to OA {self.oa_id}"
                )
        code = doc.get("error")
        if code == 0:
            data = doc.get("data")
            return data if isinstance(data, dict) else {}
        said = str(doc.get("message") or "")[:200]
        if code == STILL_PROCESSING:
            raise RetryableError(
                "Zalo is still processing the article; it will be verified again, not re-sent",
                retry_after=VERIFY_AGAIN_AFTER,
            )
        if code == MEDIA_REJECTED:
            raise PermanentError(f"Zalo rejected the cover or an image (error -200): {said}")
        raise PermanentError(f"Zalo refused the request (error {code}): {said}")

    def refresh(self, stale_access: str) -> str:
        """Renew the access token with the single-use refresh token; returns the new one.

        Under the store's lock: a worker that waited finds a new pair already there and uses
        it, instead of spending the (now replaced) refresh token a second time.
        """
        with self.store.lock():
            access, refresh = self.store.get()
            if access != stale_access:
                return access
            resp = self.request(
                "POST",
                f"{self.oauth_base}/v4/oa/access_token",
                headers={"secret_key": resolve(self.secret_ref)},
                data={
                    "refresh_token": refresh,
                    "app_id": self.app_id,
                    "grant_type": "refresh_token",
                },
            )
            doc = self._json(resp, (access, refresh))
            new_access, new_refresh = doc.get("access_token"), doc.get("refresh_token")
            if not (isinstance(new_access, str) and isinstance(new_refresh, str)):
                raise AuthError(
                    f"Zalo refused the refresh token (error {doc.get('error')}, "
                    f"{doc.get('error_name') or 'no reason given'}): authorise app {self.app_id} "
                    f"for OA {self.oa_id} again and store the new tokens in {self.token_ref} "
                    f"and {self.refresh_ref}",
                    http_status=resp.status_code,
                )
            self.store.put(new_access, new_refresh)
            log.info("zalo %s: access token renewed", self.name)
            return new_access

    def _post(self, path: str, body: dict[str, Any], access: str) -> dict[str, Any]:
        resp = self.request("POST", self.base + path, json=body, headers={"access_token": access})
        return self._json(resp, (access,))

    def _json(self, resp: requests.Response, secrets: tuple[str, ...]) -> dict[str, Any]:
        """The JSON answer; HTTP-level failures classified; logs only a redacted snippet."""
        status = resp.status_code
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if status < 400 and isinstance(doc, dict) and doc.get("error") in (0, None):
            return doc
        error = self.status_error(resp, resp.url.split("?")[0], *secrets)
        if isinstance(error, RetryableError):
            raise error
        if isinstance(doc, dict):
            return doc
        raise PermanentError(f"Zalo answered {status} without JSON", http_status=status)
