"""From a voice name (`fpt:lannhi`) to a ready engine, with its key and settings.

Settings come from the environment, so a key never sits in a campaign file or the
database: `BANTIN_TTS_<ENGINE>_KEY` holds a reference (`secret:NAME` from the encrypted
store, or `env:VAR`), resolved by `bantin.secrets.resolve` only when a request is made.
`BANTIN_TTS_<ENGINE>_URL` points an engine elsewhere (a proxy, a test server) and
`BANTIN_TTS_<ENGINE>_SPEED` sets its speed in the service's own units.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping

from bantin.content.voices import fpt, viettel, zalo
from bantin.content.voices.base import Engine, VoiceError, VoiceSpec
from bantin.content.voices.espeak import EspeakEngine
from bantin.content.voices.fpt import FptEngine
from bantin.content.voices.neural import PiperEngine
from bantin.content.voices.viettel import ViettelEngine
from bantin.content.voices.zalo import ZaloEngine
from bantin.core.errors import ConfigError
from bantin.secrets.resolve import resolve

__all__ = ["ENGINES", "engine_for"]

ENGINES = ("espeak-ng", "fpt", "viettel", "zalo", "piper")


def _key(engine: str, env: Mapping[str, str]) -> Callable[[], str]:
    """A function that resolves the engine's key reference at request time."""
    var = f"BANTIN_TTS_{engine.upper()}_KEY"
    ref = env.get(var, "")
    if not ref:
        raise VoiceError(f"{var} is not set: give it a secret:NAME or env:VAR reference")
    if not ref.startswith(("secret:", "env:")):
        raise VoiceError(f"{var} must be a secret:NAME or env:VAR reference, never the key itself")

    def key() -> str:
        try:
            return resolve(ref)
        except ConfigError as exc:
            raise VoiceError(f"{var}: {exc}") from exc

    return key


def _number(env: Mapping[str, str], engine: str, default: float) -> float:
    var = f"BANTIN_TTS_{engine.upper()}_SPEED"
    try:
        return float(env.get(var, default))
    except ValueError as exc:
        raise VoiceError(f"{var} must be a number, not {env.get(var)!r}") from exc


def engine_for(
    spec: VoiceSpec,
    rate_spm: float,
    *,
    env: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> Engine:
    """The engine that speaks `spec`; raises VoiceError for an unknown engine or setting."""
    env = os.environ if env is None else env
    name = spec.engine
    url = env.get(f"BANTIN_TTS_{name.upper()}_URL")
    if name == "espeak-ng":
        return EspeakEngine(rate_spm, which)
    if name == "fpt":
        speed = int(_number(env, name, 0))
        return FptEngine(_key(name, env), endpoint=url or fpt.ENDPOINT, speed=speed)
    if name == "viettel":
        return ViettelEngine(
            _key(name, env), endpoint=url or viettel.ENDPOINT, speed=_number(env, name, 1)
        )
    if name == "zalo":
        return ZaloEngine(
            _key(name, env), endpoint=url or zalo.ENDPOINT, speed=_number(env, name, 1)
        )
    if name == "piper":
        return PiperEngine(length_scale=_number(env, name, 1))
    raise VoiceError(f"unknown voice engine {name!r}; use one of {', '.join(ENGINES)}")
