"""Zalo AI text to speech.

Zalo's own API page was not found in the searchable documentation; the shape below is
the one public client code uses consistently (and is assumed): `POST
https://api.zalo.ai/v1/tts/synthesize`, header `apikey: <key>`, a form body `input` (the
text), `speaker_id` (1 southern female, 2 northern female, 3 southern male, 4 northern
male), `speed` (0.8-1.2), `encode_type` (0 wav, 1 mp3); the answer is JSON
`{"error_code": 0, "error_message": "Successful.", "data": {"url": "<audio link>"}}`, a
non-zero `error_code` being a failure; the file is then fetched from `data.url`.
"""

from __future__ import annotations

from pathlib import Path

from bantin.content.voices.base import Synthesis, VoiceError
from bantin.content.voices.http import HTTPEngine, send
from bantin.core.scrub import scrub

__all__ = ["ENDPOINT", "ZaloEngine"]

ENDPOINT = "https://api.zalo.ai/v1/tts/synthesize"
SERVICE = "Zalo AI"


class ZaloEngine(HTTPEngine):
    name = "zalo"
    service = SERVICE
    endpoint_default = ENDPOINT
    speed_range = (0.8, 1.2)

    def options(self) -> dict[str, str]:
        return {"speed": f"{self.speed:g}", "encode_type": "1"}

    def synthesise(self, text: str, voice: str, out_dir: Path) -> Synthesis:
        key = self._key()
        form = {"input": text, "speaker_id": voice, "speed": f"{self.speed:g}", "encode_type": "1"}
        response = send(
            "POST", self.endpoint, service=SERVICE, limits=self.limits,
            headers={"apikey": key}, secrets=(key,), data=form,
        )  # fmt: skip
        self.refused(response)
        try:
            doc = response.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or response.status_code != 200 or doc.get("error_code") != 0:
            code = doc.get("error_code") if isinstance(doc, dict) else None
            said = (
                scrub(str(doc.get("error_message", ""))[:200], key) if isinstance(doc, dict) else ""
            )
            raise VoiceError(
                f"{SERVICE} could not speak the text (HTTP {response.status_code}, "
                f"error_code {code}): {said}"
            )
        url = (doc.get("data") or {}).get("url") if isinstance(doc.get("data"), dict) else None
        return self.written(self.download(url), out_dir, voice)
