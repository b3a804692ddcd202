"""Local voices: espeak-ng runs (the default, southern), and Piper fails in one sentence
when its package or its model is missing, or reaches the engine with a model file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bantin.campaigns.spec import CampaignSpec
from bantin.content.voices import DEFAULT_VOICE, VoiceError, engine_for, neural, parse_voice
from bantin.content.voices.base import cached

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


@needs_espeak
def test_espeak_speaks_the_southern_voice_by_default(tmp_path: Path) -> None:
    engine = engine_for(parse_voice(None), 233)
    result = engine.synthesise("Kính thưa bà con.", parse_voice(None).voice, tmp_path)
    assert DEFAULT_VOICE == "espeak-ng:vi-vn-x-south" == result.voice
    assert result.path.suffix == ".wav" and 0.5 < result.seconds < 5


@needs_espeak
def test_espeak_is_cached_by_text_voice_and_options(tmp_path: Path) -> None:
    engine = engine_for(parse_voice("espeak-ng:vi"), 233)
    first = cached(engine, "Xin chào.", "vi", tmp_path)
    assert cached(engine, "Xin chào.", "vi", tmp_path) == first
    faster = engine_for(parse_voice("espeak-ng:vi"), 300)
    assert cached(faster, "Xin chào.", "vi", tmp_path).path != first.path


def test_an_unknown_espeak_voice_is_named(tmp_path: Path) -> None:
    engine = engine_for(parse_voice("espeak-ng:en"), 233, which=lambda name: "/bin/true")
    with pytest.raises(VoiceError, match="espeak-ng has no voice 'en'"):
        engine.synthesise("x", "en", tmp_path)


def test_a_voice_must_name_its_engine() -> None:
    with pytest.raises(VoiceError, match="must be written engine:voice"):
        parse_voice("lannhi")


def test_an_absent_piper_model_is_one_clear_sentence(tmp_path: Path) -> None:
    engine = engine_for(parse_voice(f"piper:{tmp_path}/vi.onnx"), 233)
    with pytest.raises(VoiceError) as err:
        engine.synthesise("Kính thưa bà con.", f"{tmp_path}/vi.onnx", tmp_path)
    assert str(err.value) == (
        f"no Piper voice model at {tmp_path}/vi.onnx: install a .onnx model and its "
        ".onnx.json there"
    )


def _model(tmp_path: Path) -> Path:
    model = tmp_path / "vi.onnx"
    model.write_bytes(b"not an onnx graph")
    config = {"audio": {"sample_rate": 22050}, "espeak": {"voice": "vi"}, "num_symbols": 10,
              "num_speakers": 1, "phoneme_id_map": {"_": [0]}}  # fmt: skip
    (tmp_path / "vi.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return model


def test_an_absent_piper_engine_is_one_clear_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr(neural.importlib, "import_module", missing)
    model = _model(tmp_path)
    with pytest.raises(VoiceError) as err:
        neural.PiperEngine().synthesise("Kính thưa bà con.", str(model), tmp_path)
    assert str(err.value) == (
        "the Piper engine is not installed: pip install 'piper-tts>=1.2' (or bantin[neural])"
    )


def test_the_piper_wiring_reaches_the_engine(tmp_path: Path) -> None:
    pytest.importorskip("piper")
    model = _model(tmp_path)
    with pytest.raises(VoiceError, match=rf"^Piper could not load the voice model {model}: \w+$"):
        neural.PiperEngine().synthesise("Kính thưa bà con.", str(model), tmp_path)


def _spec(**extra: object) -> dict[str, object]:
    return {
        "id": "loa-thu", "title": "Loa", "task": "1.3", "agency": "COMMUNES",
        "kind": "radio_script", "period": {"start": "2026-01-01", "end": "2026-12-31"},
        "schedule": [{"cron": "30 5 * * *"}], "channels": ["loa"], "template": "x.j2", **extra,
    }  # fmt: skip


def test_a_campaign_names_its_voice_per_unit_and_its_jingle() -> None:
    spec = CampaignSpec.model_validate(
        _spec(
            voice={"default": "espeak-ng:vi-vn-x-south", "29641": "fpt:lannhi"},
            jingle="jingles/nhac-hieu.mp3",
        )
    )
    assert spec.voice == {"default": "espeak-ng:vi-vn-x-south", "29641": "fpt:lannhi"}
    assert spec.jingle == "jingles/nhac-hieu.mp3"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("voice", "lannhi", "must be written engine:voice"),
        ("jingle", "/etc/passwd", "jingle must be a relative path"),
        ("jingle", "../nhac.mp3", "jingle must be a relative path"),
    ],
)
def test_a_bad_voice_or_jingle_is_refused(field: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CampaignSpec.model_validate(_spec(**{field: value}))
