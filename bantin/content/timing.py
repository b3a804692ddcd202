"""Radio timing: how long a script takes to read aloud, and whether it fits its slot.

A commune loudspeaker programme has a fixed slot in the day (5:30 to 5:35, say). A script
that runs long is cut off by the next programme or the announcer rushes it; one far too
short leaves dead air. So the read time is estimated from what the announcer actually
says — the syllables of the read-aloud form (Vietnamese writes one syllable per word) —
at a configurable newsreading rate (`BANTIN_READ_RATE_SPM`, default 233 syllables a
minute), and checked against the campaign's `slot_minutes`.

The rule ("items of a programme"): a programme is one rendered radio script — what one
campaign airs in one slot for one unit; its items are the parts of that script (greeting,
topic, steps, closing), all read in that slot. The script's estimated read time must be
within ±3% of the slot, and never more than 30 s off (which only tightens slots of
17 minutes or more). Campaigns without `slot_minutes` are timed but not checked.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bantin.content.limits import ContentRuleError
from bantin.content.vietnamese import NEWSREADING_RATE_SPM, read_aloud
from bantin.content.vietnamese.unread import unread_tokens

__all__ = [
    "NEWSREADING_RATE_SPM",
    "SLOT_TOLERANCE",
    "SlotFit",
    "SlotMismatch",
    "check_rendered",
    "check_slot",
    "configured_rate",
    "duration_text",
    "estimate_seconds",
    "fit_of",
    "rate_source",
    "read_seconds",
    "script_meta",
    "script_seconds",
    "slot_fit",
    "spoken",
    "spoken_syllables",
    "voice_meta",
    "whole_seconds",
]

SLOT_TOLERANCE = 0.03
"""A programme fits when its read time is within 3% of its slot…"""
SLOT_TOLERANCE_CAP_SECONDS = 30.0
"""…and within 30 s, whichever is tighter (the design's rule for long programmes)."""


class SlotMismatch(ContentRuleError):
    """The script does not fit its broadcast slot; it must be rewritten or the slot changed."""

    def __init__(self, message: str, fit: SlotFit | None = None) -> None:
        super().__init__(message)
        self.fit = fit


@lru_cache(maxsize=8192)
def _spoken_line(line: str) -> str:
    return read_aloud(line)


def spoken(text: str) -> str:
    """`read_aloud(text)`, line by line with a cache.

    `read_aloud` works per line, and the 124 communes' scripts of one bulletin share
    almost every line (only the greeting names the commune), so caching lines makes
    rendering a morning burst cheap.
    """
    return "\n".join(_spoken_line(line) for line in text.split("\n"))


def spoken_syllables(spoken_text: str) -> int:
    """Syllables in text that is already in read-aloud form (as `count_syllables` counts)."""
    tokens = spoken_text.replace("-", " ").split()
    return sum(1 for token in tokens if any(ch.isalpha() for ch in token))


def estimate_seconds(syllables: int, rate_spm: float) -> float:
    """Seconds to read `syllables` at `rate_spm` syllables a minute."""
    if rate_spm <= 0:
        raise ValueError(f"the read rate must be positive, not {rate_spm}")
    return syllables * 60.0 / rate_spm


@lru_cache(maxsize=16)
def _rate_from_settings(_home: str | None, _cwd: str) -> float:
    from bantin.config import load_settings

    return load_settings().read_rate_spm


def configured_rate() -> float:
    """The newsreading rate of this instance (Settings.read_rate_spm).

    Renders run in worker threads without the CLI's settings at hand; this reads the same
    environment and bantin.toml, cached per BANTIN_HOME and working folder.
    """
    env = os.environ.get("BANTIN_READ_RATE_SPM")
    home = os.environ.get("BANTIN_HOME")
    rate = float(env) if env else _rate_from_settings(home, os.getcwd())
    if rate <= 0:
        raise ValueError(f"BANTIN_READ_RATE_SPM must be positive, not {rate}")
    return rate


def whole_seconds(seconds: float) -> int:
    """A read time in whole seconds, rounded up: a slot must never be under-said, and
    every surface rounds the same way (90.2 s is 91 s in `render`, on the sheet, in the
    feed and on the desk). A float's noise (90.0000001) does not add a second."""
    return max(0, math.ceil(round(seconds, 6)))


def script_seconds(body: str, rate_spm: float | None = None) -> int:
    """The one read-time estimate of a written script: its read-aloud form's syllables at
    the configured rate, in whole seconds (`whole_seconds`). `script_meta` stores this
    figure; a surface without a render's meta calls this, never its own estimator."""
    rate = rate_spm if rate_spm is not None else configured_rate()
    return whole_seconds(estimate_seconds(spoken_syllables(spoken(body)), rate))


def duration_text(seconds: float) -> str:
    """94 -> "1 phút 34 giây", as a broadcast schedule writes read times; the one formatter
    of read times (fractions round up, as `whole_seconds`)."""
    total = whole_seconds(seconds)
    minutes, rest = divmod(total, 60)
    if not minutes:
        return f"{rest} giây"
    return f"{minutes} phút {rest} giây" if rest else f"{minutes} phút"


def rate_source(rate_spm: float) -> str:
    """Where the read rate comes from, for output and docs: the estimator says its basis.

    No announcer recordings of this province have been measured yet, so unless an operator
    set `BANTIN_READ_RATE_SPM`/`read_rate_spm` from their own recordings (see
    `calibrated_rate`), the rate is the published Vietnamese newsreading figure.
    """
    if rate_spm == NEWSREADING_RATE_SPM:
        return (
            f"{NEWSREADING_RATE_SPM:g} âm tiết/phút, tốc độ đọc tin chuẩn "
            "(chưa hiệu chỉnh theo bản ghi)"
        )
    return f"{rate_spm:g} âm tiết/phút, tốc độ cấu hình (BANTIN_READ_RATE_SPM)"


def calibrated_rate(recordings: list[tuple[str, float]]) -> float:
    """Syllables a minute of real recordings: (read-aloud text, measured seconds) pairs.

    The value to put in `BANTIN_READ_RATE_SPM` once a commune's announcer has been
    recorded reading a few scripts; it replaces the newsreading figure.
    """
    syllables = sum(spoken_syllables(text) for text, _ in recordings)
    seconds = sum(s for _, s in recordings)
    if seconds <= 0 or syllables == 0:
        raise ValueError("calibration needs recordings with text and a positive length")
    return round(syllables * 60.0 / seconds, 1)


def script_meta(body: str, rate_spm: float) -> dict[str, str | int | float]:
    """What a radio script carries in `Rendered.meta`: its read-aloud form and read time.

    `estimated_seconds` is rounded up, and it is the one estimate every surface shows
    (CLI, day sheet, feed, webhook); `unread` lists tokens no rule was sure of. A pure
    function of its text, remembered: a morning burst sends each commune's bulletin on
    several channels, and this was most of a render's time.
    """
    return dict(_script_meta(body, rate_spm))


@lru_cache(maxsize=1024)
def _script_meta(body: str, rate_spm: float) -> tuple[tuple[str, str | int | float], ...]:
    text = spoken(body)
    syllables = spoken_syllables(text)
    meta: dict[str, str | int | float] = {
        "read_aloud": text,
        "syllables": syllables,
        "estimated_seconds": whole_seconds(estimate_seconds(syllables, rate_spm)),
        "read_rate_spm": rate_spm,
    }
    unread = unread_tokens(text)
    if unread:
        meta["unread"] = ", ".join(unread)
    return tuple(meta.items())


def voice_meta(campaign: dict[str, Any], unit_code: str | None) -> dict[str, str]:
    """The campaign's voice for this unit (`voice: {unit: …, default: …}`) and jingle."""
    voice = campaign.get("voice")
    if isinstance(voice, dict):
        voice = voice.get(unit_code or "", voice.get("default"))
    meta = {"voice": str(voice)} if voice else {}
    if campaign.get("jingle"):
        meta["jingle"] = str(campaign["jingle"])
    return meta


def read_seconds(meta: Mapping[str, Any]) -> tuple[int, bool] | None:
    """(seconds, measured) of a radio script: the recording's measured length when it
    exists, else the estimate; None for anything that is not a script."""
    measured = meta.get("audio_seconds")
    if isinstance(measured, int | float) and not isinstance(measured, bool) and measured > 0:
        return whole_seconds(measured), True
    given = meta.get("estimated_seconds")
    if isinstance(given, int | float) and not isinstance(given, bool):
        return whole_seconds(given), False
    return None


@dataclass(frozen=True)
class SlotFit:
    """A script's read time against its slot."""

    syllables: int
    seconds: float
    slot_seconds: float
    rate_spm: float

    @property
    def tolerance(self) -> float:
        return min(self.slot_seconds * SLOT_TOLERANCE, SLOT_TOLERANCE_CAP_SECONDS)

    @property
    def delta(self) -> float:
        """Seconds over (positive) or under (negative) the slot."""
        return self.seconds - self.slot_seconds

    @property
    def fits(self) -> bool:
        return abs(self.delta) <= self.tolerance

    @property
    def target_syllables(self) -> int:
        return round(self.slot_seconds * self.rate_spm / 60)

    def describe(self, lang: str = "en") -> str:
        """One sentence for an error, a preview or a log (`lang="vi"`: for the CLI's
        Vietnamese preview, so a line never mixes two languages)."""
        slot = f"{self.slot_seconds / 60:g}".replace(".", ",")
        if lang == "vi":
            return self._describe_vi(slot)
        if self.fits:
            state = f"fits ({self.delta:+.1f} s"
        else:
            state = f"too {'long' if self.delta > 0 else 'short'} by {abs(self.delta):.1f} s ("
        return (
            f"the script takes {duration_text(self.seconds)} to read ({self.syllables} syllables "
            f"at {self.rate_spm:g}/min) for a {slot}-minute slot: {state}"
            f"{', ' if self.fits else ''}allowed ±{self.tolerance:.1f} s, about "
            f"{self.target_syllables} syllables)"
        )

    def _describe_vi(self, slot: str) -> str:
        def sec(x: float) -> str:
            return f"{x:.1f}".replace(".", ",") + " giây"

        if self.fits:
            state = f"vừa khung ({'+' if self.delta >= 0 else '−'}{sec(abs(self.delta))}, "
        else:
            state = f"{'dài' if self.delta > 0 else 'ngắn'} hơn khung {sec(abs(self.delta))} ("
        return (
            f"kịch bản đọc hết {duration_text(self.seconds)} ({self.syllables} âm tiết, "
            f"{self.rate_spm:g} âm tiết/phút) cho khung {slot} phút: {state}"
            f"cho phép ±{sec(self.tolerance)}, khoảng {self.target_syllables} âm tiết)"
        )


def slot_fit(
    body_or_spoken: str, slot_minutes: float, rate_spm: float, *, is_spoken: bool = False
) -> SlotFit:
    """Measure a script (written, or already in read-aloud form) against a slot."""
    text = body_or_spoken if is_spoken else spoken(body_or_spoken)
    syllables = spoken_syllables(text)
    return SlotFit(syllables, estimate_seconds(syllables, rate_spm), slot_minutes * 60, rate_spm)


def check_slot(
    spoken_text: str, slot_minutes: float | None, rate_spm: float, *, where: str
) -> SlotFit | None:
    """Raise SlotMismatch when a script does not fit; None when there is no slot to fit."""
    if slot_minutes is None:
        return None
    fit = slot_fit(spoken_text, slot_minutes, rate_spm, is_spoken=True)
    if not fit.fits:
        raise SlotMismatch(f"{where}: {fit.describe()}", fit)
    return fit


def fit_of(meta: Mapping[str, Any], slot_minutes: float | None = None) -> SlotFit | None:
    """A rendered script against its slot (`slot_minutes`, else the one in `meta`), timed
    as every surface times it: the recording's measured length when there is one, else
    the estimate. None when there is no slot or no script."""
    slot = slot_minutes if slot_minutes is not None else meta.get("slot_minutes")
    syllables = meta.get("syllables")
    got = read_seconds(meta)
    if not isinstance(slot, int | float) or not isinstance(syllables, int) or got is None:
        return None
    exact = meta["audio_seconds"] if got[1] else meta["estimated_seconds"]
    rate = float(meta.get("read_rate_spm") or configured_rate())
    return SlotFit(syllables, float(exact), float(slot) * 60, rate)


def check_rendered(
    meta: Mapping[str, Any], *, where: str, slot_minutes: float | None = None
) -> SlotFit | None:
    """`check_slot` for a render that may carry its recording: the measured length decides,
    else the estimate in whole seconds, the very figure every surface shows.

    For dispatch: render with `slot=False`, attach the prepared audio, then call this, so
    a recording that fits is not refused on the estimate (nor one that overruns sent)."""
    fit = fit_of(meta, slot_minutes)
    if fit is not None and not fit.fits:
        raise SlotMismatch(f"{where}: {fit.describe()}", fit)
    return fit
