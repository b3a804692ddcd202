"""The content commands: `bantin read-aloud`, `bantin template check`, and previews in
`bantin render` (radio scripts with their read-aloud form and read time; HTML pages)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES, Cli


def test_read_aloud_spells_out_an_argument(run_cli: Cli) -> None:
    out = run_cli("read-aloud", "Ngày 30/3/2022, 70% hộ dân dùng VNeID").output
    assert out == (
        "Ngày ba mươi tháng ba năm hai nghìn không trăm hai mươi hai, bảy mươi phần trăm hộ dân "
        "dùng vê en e ai đi\n"
    )


def test_read_aloud_gives_one_line_out_per_line_in(run_cli: Cli) -> None:
    text = "CĐS là việc của mỗi người.\n\nGọi 1022 lúc 7h30.\n"
    result = run_cli("read-aloud", "--time", input=text)
    assert result.stdout.split("\n") == [
        "Chuyển đổi số là việc của mỗi người.",
        "",
        "Gọi một không hai hai lúc bảy giờ ba mươi phút.",
        "",
    ]
    assert "syllables" in result.stderr and "233 a minute" in result.stderr


def test_template_check_passes_for_the_bundled_library(run_cli: Cli) -> None:
    result = run_cli("template", "check")
    assert result.exit_code == 0, result.stderr
    assert "loa-cds: 1,5-minute slot, scripts" in result.output
    assert "huong-dan-dvc: 1-minute slot" in result.output
    assert result.output.rstrip().endswith(": ok")
    doc = json.loads(run_cli("template", "check", "--json").output)
    assert doc["ok"] and doc["problems"] == [] and len(doc["templates"]) >= 20


def test_template_check_reports_a_misfit_and_exits_1(run_cli: Cli, tmp_path) -> None:
    text = (EXAMPLES / "loa-cds.yaml").read_text(encoding="utf-8")
    path = tmp_path / "loa-dai.yaml"
    path.write_text(text.replace("slot_minutes: 1.5", "slot_minutes: 3"), encoding="utf-8")
    result = run_cli("template", "check", str(path))
    assert result.exit_code == 1
    assert "loa-cds: 3-minute slot" in result.output and "DOES NOT FIT" in result.output


@pytest.fixture
def applied(run_cli: Cli) -> Cli:
    for name, url, agency in [
        ("baovl-fanpage", "outbox://outbox/f", "BAOVL"),
        ("baovl-portal", "outbox://outbox/p", "BAOVL"),
        ("loa-xa", "outbox://outbox/loa", "COMMUNES"),
    ]:
        run_cli("channel", "add", name, url, "--agency", agency)
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    assert run_cli("campaign", "apply", *files, "--now", "2026-11-28T08:00").exit_code == 0
    return run_cli


def test_render_shows_a_radio_script_with_its_read_aloud_form_and_time(applied: Cli) -> None:
    out = applied("render", "huong-dan-dvc", "--at", "2026-12-05T06:00", "--unit", "29641").output
    script, rest = out.split("## Bản đọc trên loa")
    assert "Bước 1: Mở ứng dụng VNeID" in script or "Bước một" in script
    assert "Mở ứng dụng vê en e ai đi" in rest
    assert "Thời lượng ước tính: " in rest and "âm tiết/phút" in rest
    assert "Khung giờ: kịch bản đọc hết" in rest and "cho khung 1 phút: vừa khung" in rest
    assert "the script" not in rest and "syllables" not in rest  # one language a sentence


def test_render_in_english_on_request(applied: Cli) -> None:
    out = applied(
        "--lang", "en", "render", "huong-dan-dvc", "--at", "2026-12-05T06:00", "--unit", "29641"
    ).output
    _, rest = out.split("## Read-aloud form")
    assert "Estimated read time: " in rest and "Slot: the script takes" in rest
    assert "Khung giờ" not in rest


def test_render_html_wraps_an_article_in_a_page(applied: Cli) -> None:
    out = applied("render", "chuyen-muc-cds", "--at", "2026-12-03T07:00", "--format", "html").output
    assert out.startswith("<!DOCTYPE html>") and '<html lang="vi">' in out
    assert "<h1>Chuyên mục Chuyển đổi số: " in out and "<p><strong>" in out


def test_render_json_carries_the_radio_meta(applied: Cli) -> None:
    out = applied("render", "loa-cds", "--at", "2026-12-03T05:30", "--unit", "29641", "--json")
    meta = json.loads(out.output)["meta"]
    assert meta["slot_minutes"] == 1.5 and 85 <= meta["estimated_seconds"] <= 95
    assert meta["read_aloud"].startswith("Kính thưa bà con nhân dân xã Cái Nhum!")
