"""A campaign's templates, and everything they include, import or extend, come only from
the campaign file's folder or the bundled library: never from elsewhere on the machine.
A template that fails while rendering is a clear validation message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bantin.core.db import Database
from tests.campaigns.test_broken_files import BASE, GOOD_TEMPLATE
from tests.conftest import T0, Cli
from tests.helpers import OUTBOX_CHANNELS, add_channels

SECRET = "bí mật của máy chủ"


@pytest.fixture
def folder(tmp_path: Path, db: Database, home: Path) -> Path:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    (tmp_path / "ngoai.j2").write_text(SECRET, encoding="utf-8")  # outside the folder
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "t.j2").write_text(GOOD_TEMPLATE, encoding="utf-8")
    return folder


def campaign(folder: Path, template: str) -> Path:
    path = folder / "x.yaml"
    path.write_text(BASE.replace("template: t.j2", f"template: {template}"), encoding="utf-8")
    return path


def refused(run_cli: Cli, path: Path, name: str) -> str:
    result = run_cli("campaign", "validate", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert SECRET not in result.output
    expected = f"{path}:11: template: template {name!r} is outside the campaign folder"
    assert expected in result.stderr, result.stderr
    return result.stderr


def test_an_absolute_template_path_is_refused(folder: Path, run_cli: Cli) -> None:
    name = str(folder.parent / "ngoai.j2")
    refused(run_cli, campaign(folder, name), name)


def test_a_template_path_climbing_out_is_refused(folder: Path, run_cli: Cli) -> None:
    refused(run_cli, campaign(folder, "../ngoai.j2"), "../ngoai.j2")


def test_an_include_climbing_out_is_refused(folder: Path, run_cli: Cli) -> None:
    (folder / "t.j2").write_text('{% include "../ngoai.j2" %}', encoding="utf-8")
    refused(run_cli, campaign(folder, "t.j2"), "../ngoai.j2")


def test_an_include_of_a_system_file_is_refused(folder: Path, run_cli: Cli) -> None:
    (folder / "t.j2").write_text('{% include "../../../../../../etc/hostname" %}', "utf-8")
    refused(run_cli, campaign(folder, "t.j2"), "../../../../../../etc/hostname")


def test_a_symlink_pointing_outside_is_refused(folder: Path, run_cli: Cli) -> None:
    (folder / "lien-ket.j2").symlink_to(folder.parent / "ngoai.j2")
    refused(run_cli, campaign(folder, "lien-ket.j2"), "lien-ket.j2")


def test_a_symlinked_folder_pointing_outside_is_refused(folder: Path, run_cli: Cli) -> None:
    (folder / "chung").symlink_to(folder.parent)
    refused(run_cli, campaign(folder, "chung/ngoai.j2"), "chung/ngoai.j2")


def test_a_template_in_a_subfolder_and_a_bundled_include_are_fine(
    folder: Path, run_cli: Cli
) -> None:
    (folder / "con").mkdir()
    (folder / "con" / "a.j2").write_text(GOOD_TEMPLATE, encoding="utf-8")
    (folder / "t.j2").write_text('{% include "con/a.j2" %}', encoding="utf-8")
    result = run_cli("campaign", "validate", str(campaign(folder, "t.j2")))
    assert result.exit_code == 0, result.output


def test_template_check_refuses_an_escaping_template(folder: Path, run_cli: Cli) -> None:
    path = campaign(folder, "../ngoai.j2")
    result = run_cli("template", "check", str(path))
    assert result.exit_code == 1
    assert "is outside the campaign folder" in result.output
    assert SECRET not in result.output


def test_an_unreadable_template_is_a_clear_message(folder: Path, run_cli: Cli) -> None:
    (folder / "nhi-phan.j2").write_bytes(b"\xff\xfe\x00")
    result = run_cli("campaign", "validate", str(campaign(folder, "nhi-phan.j2")))
    assert result.exit_code == 1
    assert f"{folder / 'x.yaml'}:11: template: template 'nhi-phan.j2' cannot be read" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("source", "cause"),
    [
        ("{{ 1.5 ** 100000 }}", "OverflowError"),
        ("{{ 1 // 0 }}", "ZeroDivisionError"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "RecursionError"),
        ("{{ 10 ** (10 ** 9) }}", "power"),
    ],
)
def test_a_render_failure_is_a_validation_message_not_a_traceback(
    folder: Path, run_cli: Cli, source: str, cause: str
) -> None:
    (folder / "t.j2").write_text("Dòng một\n" + source, encoding="utf-8")
    path = campaign(folder, "t.j2")
    result = run_cli("campaign", "validate", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = next(ln for ln in result.stderr.splitlines() if ln.startswith(f"{path}:11: template:"))
    assert cause in line and "t.j2 line 2" in line, line
