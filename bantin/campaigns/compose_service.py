"""The composer's two actions on the library: preview a form per channel, and save it as a
campaign file applied through the one path every campaign file takes (`upload`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from bantin.campaigns import compose, upload
from bantin.campaigns.compose import ComposeError, ComposeForm
from bantin.campaigns.errors import CampaignError, field_path
from bantin.campaigns.preview import ChannelPreview, preview_spec
from bantin.campaigns.spec import CampaignSpec
from bantin.channels import channel_class
from bantin.core.db import Database
from bantin.core.models import Channel

PREVIEW_ID = "xem-truoc"


def _spec(form: ComposeForm) -> CampaignSpec:
    try:
        return CampaignSpec.model_validate(compose.spec_data(form, PREVIEW_ID))
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for err in exc.errors():
            key = compose.form_field(field_path(tuple(err["loc"])))
            problems.setdefault(key, str(err["msg"]).removeprefix("Value error, "))
        raise ComposeError(problems) from None


def _check_kinds(s: Session, form: ComposeForm) -> None:
    """Every chosen channel must carry the chosen kind (an SMS gateway takes no article)."""
    refused = []
    for name in form.channels:
        row = s.get(Channel, name)
        if row is not None and form.kind not in channel_class(row.url).content_kinds:
            refused.append(name)
    if refused:
        names = ", ".join(refused)
        raise ComposeError({"kind": f"kênh {names} không nhận loại bài này: chọn loại khác"})


def preview_form(s: Session, home: Path, form: ComposeForm) -> list[ChannelPreview]:
    """Each chosen channel's preview of the form (ComposeError for a form that cannot
    make a campaign yet: no text, no channel, a time not in dd/mm/yyyy HH:MM)."""
    spec = _spec(form)
    _check_kinds(s, form)
    due = compose.parse_when(form.when).replace(tzinfo=ZoneInfo(spec.timezone))
    templates = compose.template_files(form.kind)
    return [preview_spec(s, home, spec, templates, due, name) for name in spec.channels]


@dataclass(frozen=True)
class Saved:
    campaign: str
    added: int
    path: Path


def save_form(
    db: Database,
    form: ComposeForm,
    *,
    home: Path,
    now: datetime,
    horizon: timedelta,
    actor: str,
    suffix: str | None = None,
) -> Saved:
    """Write the form as a one-off campaign of `form.agency` and apply it. Raises
    ComposeError with the problems by form field (campaign validation included)."""
    spec = _spec(form)
    with db.read() as s:
        _check_kinds(s, form)
    due = compose.parse_when(form.when).replace(tzinfo=ZoneInfo(spec.timezone))
    if due <= now:
        raise ComposeError({"when": "thời gian đăng đã qua: hãy chọn một thời điểm sắp tới"})
    campaign_id = compose.new_id(form, suffix)
    text = compose.spec_text(form, campaign_id)
    try:
        applied = upload.save_and_apply(
            db,
            text,
            home=home,
            agency=form.agency,
            now=now,
            horizon=horizon,
            actor=actor,
            templates=compose.template_files(form.kind),
        )
    except CampaignError as exc:
        problems: dict[str, str] = {}
        for issue in exc.issues:
            key = compose.form_field(issue.field)
            known = problems.get(key)
            problems[key] = f"{known}; {issue.message}" if known else issue.message
        raise ComposeError(problems) from exc
    return Saved(applied.campaign, applied.added, applied.path)
