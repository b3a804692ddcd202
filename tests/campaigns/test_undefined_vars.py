"""A template reading a value the campaign does not give: the message names it as the
author writes it (`vars.chu_de`), with the template's line and the campaign's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli

CAMPAIGN_WITHOUT_VARS = """\
id: loa-cds
title: Bản tin Chuyển đổi số
task: "1.3"
agency: COMMUNES
kind: radio_script
period: {start: 2026-01-01, end: 2030-12-31}
schedule:
  - cron: "30 5 * * *"
targets: all
channels: [loa-xa]
template: radio/ban-tin-cds.txt.j2
"""


def test_a_missing_var_is_named_with_template_and_campaign_lines(
    run_cli: Cli, tmp_path: Path
) -> None:
    run_cli("channel", "add", "loa-xa", "outbox://outbox/loa-xa", "--agency", "COMMUNES")
    path = tmp_path / "c.yaml"
    path.write_text(CAMPAIGN_WITHOUT_VARS, encoding="utf-8")
    result = run_cli("campaign", "validate", str(path))
    assert result.exit_code == 1
    assert f"{path}:11: template: template needs `vars.chu_de`" in result.output
    assert "radio/ban-tin-cds.txt.j2 line 6" in result.output
    assert "dict object" not in result.output


def test_an_undefined_top_level_name_and_a_missing_key_are_named() -> None:
    from jinja2 import Environment, StrictUndefined, UndefinedError

    from bantin.content.undefined import needs

    env = Environment(undefined=StrictUndefined)
    with pytest.raises(UndefinedError) as top:
        env.from_string("{{ chu_de }}").render()
    assert needs(top.value, "{{ chu_de }}") == "template needs `chu_de`"
    with pytest.raises(UndefinedError) as key:
        env.from_string("{{ vars['loi_nhac'] }}").render(vars={})
    assert needs(key.value, "{{ vars['loi_nhac'] }}") == "template needs `vars.loi_nhac`"
