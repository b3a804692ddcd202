"""The web app on a database `bantin init` never made: 503 and the one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from bantin.config import load_settings
from bantin.core.db import NOT_INITIALISED
from bantin.web import create_app


def test_a_page_before_init_is_a_503_that_says_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BANTIN_DB", raising=False)
    client = create_app(load_settings()).test_client()
    answer = client.get("/loa/nhom/thi-diem/feed.atom?token=doc_x")  # the token is looked up
    assert answer.status_code == 503
    assert NOT_INITIALISED in answer.get_data(as_text=True)
