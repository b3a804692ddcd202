"""Text-to-speech engines as plug-ins: one interface, one module per engine.

A commune without an announcer at 05:30 plays a file. espeak-ng (offline, always there)
is the default; a province that pays for a natural voice names an HTTP engine (FPT.AI,
Viettel AI, Zalo AI) or points a local neural engine (Piper) at a model on disk. Every
engine returns the file and its *measured* length, which the slot check then uses instead
of the syllable estimate.

A voice is written `engine:voice`, in a campaign's `voice:` field or on the command line:

* `espeak-ng:vi-vn-x-south` (the default: southern Vietnamese for a southern province),
  `espeak-ng:vi` (northern), `espeak-ng:vi-vn-x-central`;
* `fpt:lannhi`, `viettel:hcm-minhquan`, `zalo:1` (keys from `BANTIN_TTS_<ENGINE>_KEY`,
  which holds a `secret:NAME` or `env:VAR` reference, never the key);
* `piper:/srv/voices/vi_VN-vais1000-medium.onnx` (a model file the operator installed).
"""

from bantin.content.voices.base import (
    DEFAULT_VOICE,
    Engine,
    Synthesis,
    VoiceError,
    VoiceSpec,
    parse_voice,
)
from bantin.content.voices.registry import engine_for

__all__ = [
    "DEFAULT_VOICE",
    "Engine",
    "Synthesis",
    "VoiceError",
    "VoiceSpec",
    "engine_for",
    "parse_voice",
]
