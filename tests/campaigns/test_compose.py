"""The composer's form -> campaign file conversion (pure), and the composed file passing
the same validation and apply path as any campaign file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bantin.campaigns import compose, compose_service
from bantin.campaigns.compose import ComposeError, ComposeForm
from bantin.core.db import Database
from bantin.core.models import Publication
from tests.helpers import OUTBOX_CHANNELS, add_channels

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def form(**changes: object) -> ComposeForm:
    base: dict[str, object] = {
        "title": "Mưa lớn chiều nay",
        "text": "Bà con chú ý {{ agency.name }} an toàn.",
        "agency": "BAOVL",
        "task": "1.1",
        "kind": "post",
        "when": "03/12/2026 08:00",
        "channels": ["baovl-fanpage", "baovl-portal"],
    }
    base.update(changes)
    return ComposeForm(**base)  # type: ignore[arg-type]


def test_officials_date_is_read_day_first() -> None:
    assert compose.parse_when("03/12/2026 08:05") == datetime(2026, 12, 3, 8, 5)


def test_browser_datetime_local_is_accepted_too() -> None:
    assert compose.parse_when("2026-12-03T08:05") == datetime(2026, 12, 3, 8, 5)


def test_a_wrong_date_names_the_when_field() -> None:
    with pytest.raises(ComposeError) as exc:
        compose.parse_when("12/2026")
    assert set(exc.value.problems) == {"when"}


def test_spec_is_a_one_off_campaign_with_the_text_as_a_variable() -> None:
    data = yaml.safe_load(compose.spec_text(form(), "bai-x"))
    assert data["schedule"] == [{"at": "2026-12-03T08:00"}]
    assert data["period"] == {"start": "2026-12-03", "end": "2026-12-03"}
    assert data["channels"] == ["baovl-fanpage", "baovl-portal"]
    # typed braces stay text: they are a variable, never template source
    assert data["vars"]["noi_dung"] == "Bà con chú ý {{ agency.name }} an toàn."
    assert data["template"] == compose.TEMPLATES["post"][0]


def test_every_missing_field_is_reported_at_once() -> None:
    with pytest.raises(ComposeError) as exc:
        compose.spec_text(form(title=" ", text="", channels=[], when="mai"), "bai-x")
    assert set(exc.value.problems) == {"title", "text", "channels", "when"}


def test_radio_needs_targets() -> None:
    with pytest.raises(ComposeError) as exc:
        compose.spec_text(form(kind="radio_script"), "bai-x")
    assert "targets" in exc.value.problems


def test_a_group_target_is_written_as_one_word() -> None:
    data = compose.spec_data(form(kind="radio_script", targets=["group:thi-diem"]), "bai-x")
    assert data["targets"] == "group:thi-diem"


def test_id_is_readable_ascii_from_the_vietnamese_title() -> None:
    assert compose.new_id(form(), "ab12") == "bai-20261203-0800-mua-lon-chieu-nay-ab12"


def test_issue_fields_map_to_form_fields() -> None:
    assert compose.form_field("schedule[0].at") == "when"
    assert compose.form_field("template.facebook") == "text"
    assert compose.form_field(None) == "text"


@pytest.fixture
def outbox_db(db: Database, home: Path) -> Database:
    add_channels(db, NOW, OUTBOX_CHANNELS, home)
    return db


def test_saved_form_is_applied_with_one_publication_per_channel(
    outbox_db: Database, home: Path
) -> None:
    saved = compose_service.save_form(
        outbox_db,
        form(),
        home=home,
        now=NOW,
        horizon=timedelta(days=35),
        actor="user a",
        suffix="0001",
    )
    assert saved.path == home / "campaigns" / "web" / "BAOVL" / f"{saved.campaign}.yaml"
    with outbox_db.read() as s:
        pubs = s.query(Publication).filter_by(campaign_id=saved.campaign).all()
    assert sorted(p.channel_name for p in pubs) == ["baovl-fanpage", "baovl-portal"]


def test_a_channel_of_another_agency_is_refused_by_validation(
    outbox_db: Database, home: Path
) -> None:
    with pytest.raises(ComposeError) as exc:
        compose_service.save_form(
            outbox_db,
            form(channels=["loa-xa"]),
            home=home,
            now=NOW,
            horizon=timedelta(days=35),
            actor="user a",
        )
    assert "channels" in exc.value.problems
    assert not list((home / "campaigns" / "web" / "BAOVL").glob("*.yaml"))


def test_a_time_already_past_is_refused(outbox_db: Database, home: Path) -> None:
    with pytest.raises(ComposeError) as exc:
        compose_service.save_form(
            outbox_db,
            form(when="01/12/2026 08:00"),
            home=home,
            now=NOW,
            horizon=timedelta(days=35),
            actor="user a",
        )
    assert set(exc.value.problems) == {"when"}


def test_preview_gives_each_channel_its_text_and_lengths(outbox_db: Database, home: Path) -> None:
    with outbox_db.read() as s:
        previews = compose_service.preview_form(s, home, form())
    assert [p.channel for p in previews] == ["baovl-fanpage", "baovl-portal"]
    assert all("{{ agency.name }}" in p.text for p in previews)


def test_radio_preview_estimates_the_read_time(outbox_db: Database, home: Path) -> None:
    radio = form(kind="radio_script", channels=["loa-xa"], targets=["29641"], agency="COMMUNES")
    with outbox_db.read() as s:
        (p,) = compose_service.preview_form(s, home, radio)
    assert p.seconds is not None and p.seconds > 0
    assert p.duration and "giây" in p.duration


def test_a_kind_a_chosen_channel_cannot_carry_is_refused(outbox_db: Database, home: Path) -> None:
    from tests.helpers import add_channels as add

    add(
        outbox_db,
        NOW,
        [("baovl-sms", "esms://BAOVL?to=0901234567&api_key=env:K&secret_key=env:S", "BAOVL")],
        home,
    )
    with pytest.raises(ComposeError) as exc:
        compose_service.save_form(
            outbox_db,
            form(kind="article", channels=["baovl-portal", "baovl-sms"]),
            home=home,
            now=NOW,
            horizon=timedelta(days=35),
            actor="user a",
        )
    assert set(exc.value.problems) == {"kind"} and "baovl-sms" in exc.value.problems["kind"]
