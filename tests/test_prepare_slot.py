"""Dispatch judges a radio script's slot after the recording is attached: the measured
length decides when there is one (issue 12, item 6: one duration everywhere)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bantin.content.render import Meta, Rendered
from bantin.prepare import judge_slot

DUE = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)
# 300 syllables at 233 a minute: estimated 78 s, over a 1-minute slot (±3%) by far.
LONG = {"syllables": 300, "estimated_seconds": 78, "read_rate_spm": 233.0, "slot_minutes": 1}


def _script(**meta: Any) -> Rendered:
    return Rendered("radio_script", "Bản tin", "…", "loa-cds", "loa-xa", DUE, meta=Meta.of(meta))


def test_a_script_over_its_slot_without_a_recording_fails_with_the_reason() -> None:
    verdict = judge_slot(_script(**LONG), 1, "ban-tin.txt.j2")
    assert verdict is not None and verdict.to == "failed"
    assert "ban-tin.txt.j2" in verdict.why and verdict.why.startswith("render failed")


def test_a_recording_that_fits_the_slot_lets_the_long_estimate_go() -> None:
    assert judge_slot(_script(**LONG, audio_seconds=60.0), 1, "ban-tin.txt.j2") is None


def test_a_recording_that_overruns_fails_although_the_estimate_fits() -> None:
    short = {**LONG, "syllables": 200, "estimated_seconds": 52}
    verdict = judge_slot(_script(**short, audio_seconds=75.0), 1, "ban-tin.txt.j2")
    assert verdict is not None and verdict.to == "failed"


def test_a_post_or_a_script_without_a_slot_is_not_judged() -> None:
    post = Rendered("social_post", "T", "…", "c", "fb", DUE, meta=Meta.of(LONG))
    assert judge_slot(post, 1, "t.j2") is None
    assert judge_slot(_script(**LONG), None, "t.j2") is None
