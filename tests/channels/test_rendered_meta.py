"""`Rendered.meta` is typed (`Meta`) and still reads as the mapping templates export."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime

import pytest

from bantin.content.render import Meta, Rendered


def rendered(meta: dict[str, object]) -> Rendered:
    return Rendered(
        kind="post",
        title="t",
        body="b",
        campaign_id="c",
        channel="x",
        due_at=datetime(2026, 1, 1, tzinfo=UTC),
        meta=meta,  # type: ignore[arg-type]
    )


def test_known_keys_are_typed_attributes() -> None:
    r = rendered({"image_url": "https://a.vn/i.png", "slot_minutes": 5, "region": "Tây"})
    assert isinstance(r.meta, Meta)
    assert r.meta.image_url == "https://a.vn/i.png" and r.meta.slot_minutes == 5
    assert r.meta.link is None


def test_extra_exports_stay_readable_as_a_mapping() -> None:
    r = rendered({"region": "Tây", "count": 3, "link": "https://a.vn"})
    assert r.meta["region"] == "Tây" and r.meta.get("count") == 3
    assert dict(r.meta) == {"link": "https://a.vn", "region": "Tây", "count": 3}
    assert r.meta == {"link": "https://a.vn", "region": "Tây", "count": 3}
    assert json.loads(json.dumps(r.as_dict()["meta"])) == dict(r.meta)


@pytest.mark.parametrize(("key", "value"), [("slot_minutes", "năm"), ("link", 5)])
def test_a_value_of_the_wrong_type_is_kept_as_extra_not_coerced(key: str, value: object) -> None:
    meta = rendered({key: value}).meta
    assert getattr(meta, key) is None and meta[key] == value


def test_meta_is_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        rendered({}).meta.link = "x"  # type: ignore[misc]
