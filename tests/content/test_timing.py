"""Radio timing: read time from syllables at a configurable rate; a programme fits its slot
within ±3% (at most 30 s), checked at validation on a sample and again at render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bantin.campaigns.errors import CampaignError
from bantin.campaigns.service import validate_files
from bantin.config import Settings
from bantin.content import timing
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.dispatch import Dispatcher
from tests.conftest import T0
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply, write_campaign

# The same text whatever the unit (the template names no unit).
LINE = "Bà con nhớ mang theo căn cước khi đi làm thủ tục tại bộ phận một cửa của xã. " * 6
CAMPAIGN = """
id: loa-thu
title: Bản tin thử
task: "1.3"
agency: COMMUNES
kind: radio_script
period: {{start: 2026-11-01, end: 2027-03-31}}
schedule:
  - cron: "30 5 * * *"
targets: ["29641"]
channels: [loa-xa]
template: thu.txt.j2
slot_minutes: {slot}
"""


def campaign(folder: Path, template: str, slot: float | None) -> Path:
    (folder / "thu.txt.j2").parent.mkdir(parents=True, exist_ok=True)
    (folder / "thu.txt.j2").write_text(template, encoding="utf-8")
    text = CAMPAIGN.format(slot="null" if slot is None else slot)
    return write_campaign(folder, "loa-thu.yaml", text)


def line_minutes() -> float:
    """The slot that LINE fills exactly, at the default rate."""
    return timing.estimate_seconds(timing.spoken_syllables(timing.spoken(LINE)), 233) / 60


def test_count_reads_the_spoken_form() -> None:
    spoken = timing.spoken("Ngày 3/12, 70% hộ dân.")
    assert spoken == "Ngày mồng ba tháng mười hai, bảy mươi phần trăm hộ dân."
    assert timing.spoken_syllables(spoken) == 12
    assert timing.estimate_seconds(233, 233) == pytest.approx(60)


@pytest.mark.parametrize(
    ("slot_minutes", "tolerance"),
    [(1, 1.8), (5, 9.0), (10, 18.0), (16, 28.8), (20, 30.0), (60, 30.0)],
)
def test_tolerance_is_three_percent_and_at_most_30_seconds(
    slot_minutes: float, tolerance: float
) -> None:
    fit = timing.SlotFit(0, 0, slot_minutes * 60, 233)
    assert fit.tolerance == pytest.approx(tolerance)


def test_a_script_fits_within_the_tolerance_either_way() -> None:
    assert timing.SlotFit(0, 61.7, 60, 233).fits
    assert timing.SlotFit(0, 58.3, 60, 233).fits
    assert not timing.SlotFit(0, 61.9, 60, 233).fits
    assert not timing.SlotFit(0, 50, 60, 233).fits


@pytest.mark.parametrize(("slot", "words"), [(5, "too short"), (0.3, "too long")])
def test_a_misfit_fails_validation_naming_file_line_and_field(
    db: Database, home: Path, tmp_path: Path, slot: float, words: str
) -> None:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    path = campaign(tmp_path / "c", f'{{% set title = "Thử" %}}\n{LINE}\n', slot)
    with db.session() as s, pytest.raises(CampaignError) as err:
        validate_files(s, [path], home)
    (issue,) = err.value.issues
    assert (issue.file, issue.line, issue.field) == (str(path), 12, "slot_minutes")
    assert words in issue.message and "channel loa-xa, unit 29641" in issue.message


def test_validation_samples_every_weekly_variant(db: Database, home: Path, tmp_path: Path) -> None:
    """The first week of the period (ISO week 44) fits; every other week runs long."""
    template = (
        '{% set title = "Thử" %}\n'
        f"{LINE}\n"
        "{% if due.isocalendar().week % 2 == 1 %}Thêm một câu nữa cho dài hơn mức cho phép."
        " Và thêm một câu nữa.{% endif %}\n"
    )
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    path = campaign(tmp_path / "c", template, line_minutes())
    with db.session() as s, pytest.raises(CampaignError) as err:
        validate_files(s, [path], home)
    (issue,) = err.value.issues
    assert issue.field == "slot_minutes" and "too long" in issue.message
    # ISO weeks 44 to 52 are sampled; the odd ones (45, 47, 49, 51) do not fit.
    assert "2026-11-02 05:30; 4 of 9 sample renders do not fit" in issue.message


def test_a_script_that_stops_fitting_fails_at_render_with_the_reason(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    """Validation samples the first weeks; a script that grows later fails when it is due."""
    extra = "{% if due.month == 2 %}Tháng Hai có thêm một đoạn dài hơn khung giờ.{% endif %}"
    template = f'{{% set title = "Thử" %}}\n{LINE}\n{extra}\n'
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    path = campaign(tmp_path / "c", template, line_minutes())
    apply(db, [path], T0, home, days=70)  # the sampled weeks (November, December) fit
    due = datetime(2027, 1, 31, 22, 30, tzinfo=UTC)  # 05:30 on 1 February
    d = Dispatcher(db, settings, FixedClock(due + timedelta(seconds=5)), "t")
    try:
        d.run_pass()
    finally:
        d.close()
    with db.session() as s:
        pub = s.scalars(select(Publication).where(Publication.due_at == due)).one()
        assert pub.status == "failed"
        assert "too long" in (pub.status_reason or "")
        assert "template thu.txt.j2 on channel loa-xa" in (pub.status_reason or "")


def test_radio_renders_carry_the_read_aloud_form_and_read_time(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    template = '{% set title = "Thử" %}\nNgày 30/3/2022, UBND tỉnh ban hành kế hoạch.\n'
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    path = campaign(tmp_path / "c", template, None)
    apply(db, [path], T0, home, days=2)
    d = Dispatcher(db, settings, FixedClock(datetime(2026, 11, 28, 22, 30, 5, tzinfo=UTC)), "t")
    try:
        assert d.run_pass().published == 1
    finally:
        d.close()
    (text,) = [p.read_text(encoding="utf-8") for p in (home / "outbox").rglob("*.txt")]
    script, spoken = text.split("--- Bản đọc trên loa ---")
    assert "Ngày 30/3/2022, UBND tỉnh" in script
    assert "Ngày ba mươi tháng ba năm hai nghìn không trăm hai mươi hai, ủy ban nhân dân" in spoken


def test_render_meta_and_the_configured_rate(
    monkeypatch: pytest.MonkeyPatch, db: Database, home: Path, tmp_path: Path
) -> None:
    from bantin.campaigns.render_input import render_publication

    template = '{% set title = "Thử" %}\n' + LINE + "\n"
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    syllables = timing.spoken_syllables(timing.spoken(LINE))
    apply(db, [campaign(tmp_path / "c", template, line_minutes())], T0, home, days=2)
    with db.session() as s:
        pub = s.scalars(select(Publication)).first()
        assert pub is not None
        meta = render_publication(s, pub, "outbox").meta
        assert meta["syllables"] == syllables
        assert meta["estimated_seconds"] == pytest.approx(syllables * 60 / 233, abs=1)
        assert str(meta["read_aloud"]).startswith("Bà con nhớ mang theo căn cước")
        monkeypatch.setenv("BANTIN_READ_RATE_SPM", "180")
        assert timing.configured_rate() == 180
        with pytest.raises(timing.SlotMismatch, match="at 180/min"):
            render_publication(s, pub, "outbox")  # slower reading no longer fits the slot


def test_the_rate_is_a_setting(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    from bantin.config import load_settings

    assert load_settings().read_rate_spm == 233
    monkeypatch.setenv("BANTIN_READ_RATE_SPM", "250")
    assert load_settings().read_rate_spm == 250


def test_a_recording_that_fits_passes_the_slot_check_the_estimate_would_fail() -> None:
    from bantin.content import timing as t

    meta = {"syllables": 300, "estimated_seconds": 78, "read_rate_spm": 233.0, "slot_minutes": 1.5}
    with pytest.raises(t.SlotMismatch):
        t.check_rendered(meta, where="loa-cds")
    fit = t.check_rendered({**meta, "audio_seconds": 89.6}, where="loa-cds")
    assert fit is not None and fit.fits and fit.seconds == 89.6


def test_a_recording_that_overruns_fails_the_slot_check_the_estimate_would_pass() -> None:
    from bantin.content import timing as t

    meta = {"syllables": 350, "estimated_seconds": 91, "read_rate_spm": 233.0, "slot_minutes": 1.5}
    assert t.check_rendered(meta, where="x") is not None
    with pytest.raises(t.SlotMismatch, match="too long"):
        t.check_rendered({**meta, "audio_seconds": 100.0}, where="x")
