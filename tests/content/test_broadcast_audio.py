"""Broadcast-ready audio of the bundled radio campaign: every weekly topic of loa-cds is
spoken by the default engine (espeak-ng, southern voice), normalised to EBU R128 −23 LUFS
(measured here with ffmpeg's ebur128 filter, ±1 LU), MP3 mono 44.1 kHz, and its measured
length fits the 1.5-minute slot by the ±3% rule."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bantin.campaigns import samples
from bantin.campaigns.validate import spec_and_templates
from bantin.content import audio, timing
from bantin.content.render import Rendered
from bantin.content.voices.master import BroadcastFormat
from bantin.content.voices.measure import duration_seconds, integrated_loudness
from bantin.core.db import Database
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng (scripts/system-deps.sh)",
)


def _stream(path: Path) -> dict[str, str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels",
         "-of", "default=noprint_wrappers=1", str(path)],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    return dict(line.split("=", 1) for line in out.stdout.split())


def weekly_scripts(db: Database) -> list[Rendered]:
    """One bulletin per topic: four consecutive Thursdays at 05:30 for xã Cái Nhum."""
    spec, templates = spec_and_templates(EXAMPLES / "loa-cds.yaml")
    channel = samples.sample_channel("loa-xa", "outbox", spec.agency)
    first = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)
    dues = [(first + timedelta(weeks=w), "29641") for w in range(4)]
    with db.session() as s:
        out = [x.rendered for x in samples.renders(s, spec, templates, channel, "outbox", dues)]
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def test_every_topic_of_the_bundled_campaign_is_broadcast_ready_and_fits_its_slot(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = weekly_scripts(db)
    assert len({r.body for r in scripts}) == 4  # four different topics
    for i, script in enumerate(scripts):
        result = audio.synthesize(
            str(script.meta["read_aloud"]), tmp_path, f"tuan-{i}", rate=233, spoken=True,
            fmt=BroadcastFormat(),
        )  # fmt: skip
        loudness = integrated_loudness(result.path)
        fit = timing.SlotFit(int(script.meta["syllables"]), result.seconds, 90, 233)
        with capsys.disabled():
            estimated = script.meta["estimated_seconds"]
            print(
                f"\nloa-cds topic {i}: {result.seconds:.1f} s measured, "
                f"{estimated} s estimated, {loudness:.1f} LUFS"
            )
        assert result.voice == "espeak-ng:vi-vn-x-south"
        assert abs(loudness - -23.0) <= 1.0
        assert _stream(result.path) == {
            "codec_name": "mp3",
            "sample_rate": "44100",
            "channels": "1",
        }
        assert fit.fits, fit.describe()


def test_a_jingle_is_played_before_and_after_at_22050_hz(tmp_path: Path) -> None:
    jingle = tmp_path / "jingle.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "sine=frequency=880:duration=2", "-ac", "1", str(jingle)], check=True,
    )  # fmt: skip
    fmt = BroadcastFormat(sample_rate=22050)
    plain = audio.synthesize("Kính thưa bà con.", tmp_path / "a", "k", fmt=fmt)
    framed = audio.synthesize("Kính thưa bà con.", tmp_path / "b", "k", fmt=fmt, jingle=jingle)
    assert framed.seconds - plain.seconds == pytest.approx(4.0, abs=0.15)
    assert _stream(framed.path)["sample_rate"] == "22050"
    assert abs(integrated_loudness(framed.path) - -23.0) <= 1.0
    # lead-in and lead-out silences frame the speech
    assert plain.seconds == pytest.approx(
        duration_seconds(next((tmp_path / "a" / "cache").glob("*.wav"))) + 1.2, abs=0.1
    )


def test_the_loudness_target_is_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_AUDIO_LUFS", "-16")
    result = audio.synthesize("Kính thưa bà con nhân dân trong xã.", tmp_path, "k")
    assert abs(integrated_loudness(result.path) - -16.0) <= 1.0


def test_a_changed_format_makes_a_new_file_but_reuses_the_speech(tmp_path: Path) -> None:
    first = audio.synthesize("Kính thưa bà con.", tmp_path, "k", fmt=BroadcastFormat())
    again = audio.synthesize(
        "Kính thưa bà con.", tmp_path, "k", fmt=BroadcastFormat(sample_rate=22050)
    )
    assert first.path == again.path and _stream(again.path)["sample_rate"] == "22050"
    assert len(list((tmp_path / "cache").glob("*.wav"))) == 1  # spoken once


def test_a_missing_jingle_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(audio.AudioUnavailable, match=r"^the jingle .*nhac\.mp3 is neither in"):
        audio.resolve_jingle("nhac.mp3", tmp_path)
