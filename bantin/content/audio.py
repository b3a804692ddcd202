"""Audio of radio scripts: an engine speaks the read-aloud form, ffmpeg makes it broadcast-ready.

Communes without an announcer at 05:30 play a file. The engine is a plug-in
(`bantin.content.voices`): espeak-ng by default (offline, southern voice), an HTTP service
or a local neural model when the campaign names one (`voice:`). The engine's raw speech
is cached by sha256(text + engine + voice + options) under `$BANTIN_HOME/audio/cache/`, so
a paid service speaks a script once. The broadcast file is then made with ffmpeg:
jingle (when the campaign names one), speech, jingle; loudness normalised to EBU R128
(−23 LUFS, `BANTIN_AUDIO_LUFS`); short silences; MP3 mono at 44.1 kHz
(`BANTIN_AUDIO_SAMPLE_RATE=22050` for vendors that want it). Without ffmpeg, lame encodes
the speech as it is (no normalisation), and without either the WAV is kept.

Files live at `$BANTIN_HOME/audio/<idempotency-key>.<ext>`, the name the loudspeaker feed
looks for, with a `<key>.json` beside them recording the text's fingerprint and the
*measured* length, which replaces the syllable estimate wherever a read time is shown and
in the slot check.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import wave
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bantin.content import audio_links, timing
from bantin.content.render import Meta, Rendered
from bantin.content.voices import DEFAULT_VOICE, VoiceError, engine_for, parse_voice
from bantin.content.voices.base import cached
from bantin.content.voices.espeak import ESPEAK_WPM_PER_SPM, EspeakEngine
from bantin.content.voices.master import BroadcastFormat, master
from bantin.content.voices.measure import duration_seconds, run

__all__ = [
    "DEFAULT_VOICE",
    "ESPEAK_WPM_PER_SPM",
    "VOICES",
    "AudioResult",
    "AudioUnavailable",
    "attach_audio",
    "attach_existing_audio",
    "audio_dir",
    "espeak",
    "synthesize",
    "wav_seconds",
]

log = logging.getLogger(__name__)

VOICES = ("vi", "vi-vn-x-south", "vi-vn-x-central")
"""The espeak-ng Vietnamese voices, accepted bare (`vi`) as well as `espeak-ng:vi`."""

AudioUnavailable = VoiceError
"""A program, model, key or service audio needs is missing or failed; one sentence."""


@dataclass(frozen=True)
class AudioResult:
    path: Path
    seconds: float  # measured from the file
    estimated_seconds: float  # from syllables and the read rate
    voice: str

    def describe(self) -> str:
        return (
            f"{self.path} (đo được {timing.duration_text(self.seconds)}, "
            f"ước tính {timing.duration_text(self.estimated_seconds)}, giọng {self.voice})"
        )


def audio_dir(home: Path) -> Path:
    return home / "audio"


def _program(name: str) -> str | None:
    return shutil.which(name)


def espeak() -> str:
    """The espeak-ng program; raises AudioUnavailable naming the package to install."""
    return EspeakEngine(0, lambda name: _program(name)).program()


def wav_seconds(path: Path) -> float:
    """The length of a WAV file, from its header."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def _plain_encode(speech: Path, stem: Path) -> Path:
    """No ffmpeg: MP3 with lame when installed (not normalised), else the WAV as it is."""
    if speech.suffix != ".wav":
        target = stem.with_suffix(speech.suffix)
        shutil.copyfile(speech, target)
        return target
    if lame := _program("lame"):
        mp3 = stem.with_suffix(".mp3")
        run([lame, "--quiet", "-V", "6", str(speech), str(mp3)])
        return mp3
    target = stem.with_suffix(".wav")
    shutil.copyfile(speech, target)
    return target


def _fingerprint(
    text: str, voice: str, rate: float, fmt: BroadcastFormat, jingle: Path | None
) -> str:
    jingle_hash = hashlib.sha256(jingle.read_bytes()).hexdigest() if jingle else ""
    return hashlib.sha256(f"{voice}\0{rate:g}\0{fmt}\0{jingle_hash}\0{text}".encode()).hexdigest()


def _check_key(key: str) -> None:
    if not key or not key.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"invalid audio key {key!r}")


def synthesize(
    text: str,
    out_dir: Path,
    key: str,
    *,
    voice: str | None = None,
    rate: float | None = None,
    spoken: bool = False,
    jingle: Path | None = None,
    fmt: BroadcastFormat | None = None,
) -> AudioResult:
    """Speak `text` (normalised for reading aloud first, unless `spoken`) into
    `out_dir/<key>.mp3`, broadcast-ready; raises AudioUnavailable (one sentence)."""
    _check_key(key)
    spec = parse_voice(voice or DEFAULT_VOICE)
    rate = rate or timing.configured_rate()
    fmt = fmt or BroadcastFormat.from_env()
    if jingle is not None and not jingle.is_file():
        raise AudioUnavailable(f"the jingle {jingle} does not exist")
    said = text if spoken else timing.spoken(text)
    estimated = timing.estimate_seconds(timing.spoken_syllables(said), rate)
    out_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = _fingerprint(said, str(spec), rate, fmt, jingle)
    found = _cached(out_dir / f"{key}.json", fingerprint, out_dir)
    if found is not None:
        return found
    which = lambda name: _program(name)  # noqa: E731 - looked up at call time (tests)
    engine = engine_for(spec, rate, which=which)
    speech = cached(engine, said, spec.voice, out_dir / "cache")
    with tempfile.TemporaryDirectory(prefix=".audio-", dir=out_dir) as tmp:
        if _program("ffmpeg"):
            made = master(speech.path, Path(tmp) / f"{key}.mp3", fmt, jingle)
        else:
            log.warning("ffmpeg is not installed: %s is not loudness-normalised", key)
            made = _plain_encode(speech.path, Path(tmp) / key)
        seconds = speech.seconds if made.suffix == ".wav" else duration_seconds(made)
        target = out_dir / f"{key}{made.suffix}"
        for old in out_dir.glob(f"{key}.*"):  # a changed script may change the format
            if old.suffix in (".mp3", ".wav") and old != target:
                old.unlink()
        os.replace(made, target)  # atomic: the feed never serves half a file
    doc = {
        "fingerprint": fingerprint,
        "file": target.name,
        "seconds": seconds,
        "estimated_seconds": estimated,
        "voice": str(spec),
    }
    (out_dir / f"{key}.json").write_text(json.dumps(doc), encoding="utf-8")
    return AudioResult(target, seconds, estimated, str(spec))


def _cached(sidecar: Path, fingerprint: str, out_dir: Path) -> AudioResult | None:
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = out_dir / str(doc.get("file", ""))
    if doc.get("fingerprint") != fingerprint or not path.is_file():
        return None
    return AudioResult(path, float(doc["seconds"]), float(doc["estimated_seconds"]), doc["voice"])


def _voice_of(rendered: Rendered, voice: str | None) -> str:
    return voice or str(rendered.meta.get("voice") or DEFAULT_VOICE)


BUNDLE = Path(__file__).resolve().parent.parent / "data"


def resolve_jingle(name: str | None, home: Path) -> Path | None:
    """A campaign's `jingle:` (a relative path): in $BANTIN_HOME first, then in the bundle
    (`bantin/data/`); raises AudioUnavailable when it is in neither."""
    if not name:
        return None
    for base in (home, BUNDLE):
        path = (base / name).resolve()
        if path.is_relative_to(base.resolve()) and path.is_file():
            return path
    raise AudioUnavailable(f"the jingle {name} is neither in {home} nor in the bundle")


def _jingle_of(rendered: Rendered, home: Path) -> Path | None:
    value = rendered.meta.get("jingle")
    return resolve_jingle(str(value), home) if value else None


def attach_audio(
    rendered: Rendered,
    key: str,
    home: Path,
    *,
    base_url: str | None = None,
    voice: str | None = None,
    now: datetime | None = None,
) -> Rendered:
    """The dispatcher's hook: for a radio script, make (or reuse) its audio and say so in
    `meta` (`audio_file`, `audio_seconds`, and `audio_url` when `base_url` is given).

    Anything else, or a machine that cannot speak, gets `rendered` back unchanged: audio
    is a convenience and must never stop a bulletin from going out as text.
    """
    if rendered.kind != "radio_script":
        return rendered
    spoken = rendered.meta.get("read_aloud")
    try:
        jingle = _jingle_of(rendered, home)
        result = synthesize(
            str(spoken) if spoken else rendered.body,
            audio_dir(home),
            key,
            voice=_voice_of(rendered, voice),
            rate=float(rendered.meta.get("read_rate_spm") or timing.configured_rate()),
            spoken=bool(spoken),
            jingle=jingle,
        )
    except AudioUnavailable as exc:
        log.warning("no audio for %s: %s", key, exc)
        return rendered
    return with_audio(rendered, result, _url(base_url, result, home, now))


def _url(base_url: str | None, result: AudioResult, home: Path, now: datetime | None) -> str | None:
    """The signed recording URL a vendor may fetch until it expires (None without a base)."""
    if not base_url:
        return None
    try:
        return audio_links.signed_url(base_url, result.path.name, home, now or datetime.now(UTC))
    except audio_links.KEY_ERRORS as exc:  # no link rather than no bulletin
        log.warning("no recording URL for %s: %s", result.path.name, exc)
        return None


def attach_existing_audio(
    rendered: Rendered,
    key: str,
    home: Path,
    *,
    base_url: str | None = None,
    voice: str | None = None,
    now: datetime | None = None,
) -> Rendered:
    """Like `attach_audio`, but only when the recording already exists for exactly this text.

    The dispatch hot path calls this: synthesis happens ahead of time in the runner's
    pre-synthesis job, never while a 05:30 burst is going out.
    """
    if rendered.kind != "radio_script":
        return rendered
    spoken = rendered.meta.get("read_aloud")
    said = str(spoken) if spoken else timing.spoken(rendered.body)
    rate = float(rendered.meta.get("read_rate_spm") or timing.configured_rate())
    out_dir = audio_dir(home)
    try:
        spec = str(parse_voice(_voice_of(rendered, voice)))
        jingle = _jingle_of(rendered, home)
        fingerprint = _fingerprint(said, spec, rate, BroadcastFormat.from_env(), jingle)
    except (VoiceError, OSError):
        return rendered
    found = _cached(out_dir / f"{key}.json", fingerprint, out_dir)
    if found is None:
        return rendered
    return with_audio(rendered, found, _url(base_url, found, home, now))


def with_audio(rendered: Rendered, result: AudioResult, url: str | None) -> Rendered:
    """`rendered` with its recording in `meta`; the measured length replaces the estimate.
    `url` is the signed address for vendors (`audio_links.signed_url`), if any."""
    meta = {
        **rendered.meta,
        "audio_file": result.path.name,
        "audio_seconds": round(result.seconds, 1),
        "audio_voice": result.voice,
    }
    if url:
        meta["audio_url"] = url
    return replace(rendered, meta=Meta.of(meta))
