"""FPT.AI Speech, text to speech v5 (docs.fpt.ai/docs/en/speech/api/text-to-speech).

Documented shape: `POST https://api.fpt.ai/hmi/tts/v5`, the text as the raw body (3 to
5,000 characters), headers `api_key` (the key), `voice` (banmai, lannhi, leminh, myan,
thuminh, giahuy, linhsan), `speed` (-3 … +3), `format` (mp3/wav). The answer is JSON
`{"error": 0, "async": "<url>", "message": …, "request_id": …}`; `error` other than 0 is a
failure. The file appears at the `async` URL "5 seconds to 2 minutes" later, so it is
polled. The key is also sent as `api-key` (FPT's newer examples; proxies drop header
names with underscores).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bantin.content.voices.base import Synthesis, VoiceError
from bantin.content.voices.http import HTTPEngine, Limits, send
from bantin.core.scrub import scrub

__all__ = ["ENDPOINT", "FptEngine"]

ENDPOINT = "https://api.fpt.ai/hmi/tts/v5"
SERVICE = "FPT.AI"


class FptEngine(HTTPEngine):
    name = "fpt"
    service = SERVICE
    endpoint_default = ENDPOINT
    speed_range = (-3, 3)

    def __init__(
        self,
        key: Callable[[], str],
        *,
        endpoint: str | None = None,
        speed: int = 0,
        limits: Limits | None = None,
        poll_every: float = 3.0,
        poll_for: float = 150.0,
    ) -> None:
        super().__init__(key, endpoint=endpoint, speed=speed, limits=limits)
        self.poll_every = poll_every
        self.poll_for = poll_for

    def options(self) -> dict[str, str]:
        return {"speed": f"{self.speed:g}", "format": "mp3"}

    def synthesise(self, text: str, voice: str, out_dir: Path) -> Synthesis:
        if not 3 <= len(text) <= 5000:
            raise VoiceError(f"FPT.AI takes 3 to 5000 characters a request, not {len(text)}")
        key = self._key()
        headers = {"api_key": key, "api-key": key, "voice": voice, "speed": f"{self.speed:g}"}
        headers["format"] = "mp3"
        response = send(
            "POST", self.endpoint, service=SERVICE, limits=self.limits,
            headers=headers, secrets=(key,), data=text.encode("utf-8"),
        )  # fmt: skip
        self.refused(response)
        try:
            doc = response.json()
        except ValueError:
            doc = {}
        if response.status_code >= 400 or not isinstance(doc, dict) or doc.get("error") != 0:
            said = scrub(str(doc.get("message", ""))[:200], key) if isinstance(doc, dict) else ""
            raise VoiceError(
                f"{SERVICE} could not speak the text (HTTP {response.status_code}"
                f"{', error ' + str(doc.get('error')) if isinstance(doc, dict) else ''}): {said}"
            )
        return self.written(self._fetch(str(doc.get("async", ""))), out_dir, voice)

    def _fetch(self, url: str) -> bytes:
        """The audio at the `async` link, polled until it exists or `poll_for` runs out."""
        if not url.startswith(("http://", "https://")):
            raise VoiceError(f"{SERVICE} answered without an audio link")
        deadline = time.monotonic() + self.poll_for
        while True:
            response = send("GET", url, service=SERVICE, limits=self.limits)
            if response.status_code == 200 and response.content:
                return response.content
            if response.status_code not in (403, 404) or time.monotonic() >= deadline:
                raise VoiceError(
                    f"{SERVICE}'s audio file was not ready within {self.poll_for:g} s "
                    f"(HTTP {response.status_code})"
                )
            self.limits.sleep(self.poll_every)
