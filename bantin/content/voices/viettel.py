"""Viettel AI text to speech (viettelgroup.ai/document/tts).

Documented shape: `POST https://viettelgroup.ai/voice/api/tts/v1/rest/syn`, headers
`Content-Type: application/json` and `token: <token>`, body `{"text", "voice", "id",
"without_filter", "speed" (0.7-1.3), "tts_return_option" (2 wav, 3 mp3)}`; success is HTTP
200 with the audio itself as the body. Voices include hcm-minhquan (southern male),
lethiyen and nguyenthithuyduyen (southern female), doanngocle (northern female).
Not documented there: the error body. Assumed: any non-audio answer is an error whose
JSON `message`/`msg` (if any) is quoted; 401/403 mean the token was refused.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bantin.content.voices.base import Synthesis, VoiceError
from bantin.content.voices.http import HTTPEngine, send
from bantin.core.scrub import scrub

__all__ = ["ENDPOINT", "ViettelEngine"]

ENDPOINT = "https://viettelgroup.ai/voice/api/tts/v1/rest/syn"
SERVICE = "Viettel AI"


def error_text(response_json: object) -> str:
    if isinstance(response_json, dict):
        for field in ("message", "msg", "error"):
            if response_json.get(field):
                return str(response_json[field])[:200]
    return ""


class ViettelEngine(HTTPEngine):
    name = "viettel"
    service = SERVICE
    endpoint_default = ENDPOINT
    speed_range = (0.7, 1.3)

    def options(self) -> dict[str, str]:
        return {"speed": f"{self.speed:g}", "format": "mp3"}

    def synthesise(self, text: str, voice: str, out_dir: Path) -> Synthesis:
        key = self._key()
        body = {
            "text": text,
            "voice": voice,
            "id": hashlib.sha256(text.encode()).hexdigest()[:16],
            "without_filter": False,
            "speed": self.speed,
            "tts_return_option": 3,
        }
        response = send(
            "POST", self.endpoint, service=SERVICE, limits=self.limits,
            headers={"token": key}, secrets=(key,), json=body,
        )  # fmt: skip
        self.refused(response, "token")
        kind = response.headers.get("Content-Type", "")
        if response.status_code != 200 or not kind.startswith("audio/") or not response.content:
            try:
                said = scrub(error_text(response.json()), key)
            except ValueError:
                said = ""
            raise VoiceError(
                f"{SERVICE} could not speak the text (HTTP {response.status_code}): {said}"
            )
        return self.written(response.content, out_dir, voice, "wav" if "wav" in kind else "mp3")
