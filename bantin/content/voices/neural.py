"""Piper: a local neural voice, when the operator points it at a model file on disk.

bantin never downloads voice weights: the operator installs the `piper-tts` package
(`pip install 'bantin[neural]'`) and a Vietnamese model (`<name>.onnx` with its
`<name>.onnx.json` beside it), then names it as `piper:/path/to/<name>.onnx`.
"""

from __future__ import annotations

import importlib
import wave
from pathlib import Path
from typing import Any

from bantin.content.voices.base import Synthesis, VoiceError
from bantin.content.voices.measure import duration_seconds

__all__ = ["PiperEngine"]


def _load_piper() -> Any:
    try:
        return importlib.import_module("piper")
    except ImportError as exc:
        raise VoiceError(
            "the Piper engine is not installed: pip install 'piper-tts>=1.2' (or bantin[neural])"
        ) from exc


class PiperEngine:
    name = "piper"

    def __init__(self, length_scale: float = 1.0) -> None:
        self.length_scale = length_scale
        self._voices: dict[str, Any] = {}

    def options(self) -> dict[str, str]:
        return {"length_scale": f"{self.length_scale:g}"}

    def _voice(self, model: str) -> Any:
        path = Path(model)
        if not path.is_file():
            raise VoiceError(
                f"no Piper voice model at {path}: install a .onnx model and its .onnx.json there"
            )
        config = path.with_name(path.name + ".json")
        if not config.is_file():
            raise VoiceError(f"the Piper voice model {path} has no {config.name} beside it")
        if model not in self._voices:
            piper = _load_piper()
            try:
                self._voices[model] = piper.PiperVoice.load(path, config_path=config)
            except Exception as exc:  # onnxruntime raises its own types
                raise VoiceError(
                    f"Piper could not load the voice model {path}: {type(exc).__name__}"
                ) from exc
        return self._voices[model]

    def synthesise(self, text: str, voice: str, out_dir: Path) -> Synthesis:
        model = self._voice(voice)
        target = out_dir / "speech.wav"
        piper = _load_piper()
        config = piper.SynthesisConfig(length_scale=self.length_scale)
        try:
            with wave.open(str(target), "wb") as wav:
                model.synthesize_wav(text, wav, syn_config=config)
        except Exception as exc:
            raise VoiceError(f"Piper could not speak the text: {type(exc).__name__}") from exc
        return Synthesis(target, duration_seconds(target), f"{self.name}:{voice}")
