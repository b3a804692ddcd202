"""A campaign file that arrives as text (the desk's upload and editor, the composer):
validated where it will live, saved only when valid, then applied like any file.

The file is written under a temporary name in its agency's folder (so templates beside it
resolve as they will after saving), validated by `validate_file`, refused if it is
another agency's, then renamed to `<id>.yaml` and applied by `service.apply_files`:
the one path every campaign file takes. On any problem the temporary file is removed and
nothing is saved.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bantin.campaigns import service
from bantin.campaigns.errors import CampaignError, CampaignIssue
from bantin.campaigns.validate import ValidatedCampaign, validate_file
from bantin.campaigns.yamlsource import YAMLSyntax, load_located
from bantin.core.db import Database
from bantin.core.fileperms import secure_dir
from bantin.core.models import Campaign

MAX_YAML_BYTES = 256 * 1024
DISPLAY = "campaign.yaml"


def agency_folder(home: Path, agency: str) -> Path:
    """Where the desk keeps an agency's campaign files: $BANTIN_HOME/campaigns/web/<agency>."""
    return home / "campaigns" / "web" / agency


@dataclass(frozen=True)
class Applied:
    campaign: str
    action: str  # created | updated | unchanged
    added: int
    path: Path


def _line(text: str, field: str) -> int | None:
    try:
        return load_located(text).line_of((field,))
    except YAMLSyntax:
        return None


def _agency_issues(text: str, agency: str) -> list[CampaignIssue]:
    """An editor's file must name their agency (checked first, so it is said clearly
    even when the file has other problems)."""
    try:
        data = load_located(text).data
    except YAMLSyntax:
        return []
    named = data.get("agency") if isinstance(data, dict) else None
    if named is None or str(named) == agency:
        return []
    msg = (
        f"tệp này thuộc cơ quan {named!r}; bạn chỉ được tải lên chiến dịch của "
        f"cơ quan {agency!r} (sửa dòng agency)"
    )
    return [CampaignIssue(DISPLAY, _line(text, "agency"), "agency", msg)]


def _id_issues(db: Database, v: ValidatedCampaign, text: str, agency: str) -> list[CampaignIssue]:
    """A file must not take over another agency's campaign id."""
    with db.read() as s:
        existing = s.get(Campaign, v.spec.id)
        owner = existing.agency_code if existing is not None else agency
    if owner == agency:
        return []
    msg = f"mã chiến dịch {v.spec.id!r} đã được cơ quan khác dùng: hãy chọn mã khác"
    return [CampaignIssue(DISPLAY, _line(text, "id"), "id", msg)]


def check_and_save(
    db: Database, text: str, home: Path, agency: str, templates: dict[str, str] | None = None
) -> tuple[Path, str | None]:
    """Validate `text` as a campaign of `agency` in its folder; on success it is saved as
    `<id>.yaml` there (returns the path and the text it replaced, if any); raises
    CampaignError otherwise."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        big = f"một tệp chiến dịch tối đa {MAX_YAML_BYTES // 1024} KB"
        raise CampaignError([CampaignIssue(DISPLAY, None, None, big)])
    folder = agency_folder(home, agency)
    secure_dir(folder)
    for name, source in (templates or {}).items():
        (folder / name).write_text(source, encoding="utf-8")
    tmp = folder / f".upload-{secrets.token_hex(8)}.yaml"
    tmp.write_text(text, encoding="utf-8")
    first = _agency_issues(text, agency)
    try:
        try:
            with db.read() as s:
                v = validate_file(s, tmp, home=home, display=DISPLAY)
        except CampaignError as exc:
            raise CampaignError(first + exc.issues) from exc
        issues = first or _id_issues(db, v, text, agency)
        if issues:
            raise CampaignError(issues)
        final = folder / f"{v.spec.id}.yaml"
        previous = final.read_text(encoding="utf-8") if final.is_file() else None
        os.replace(tmp, final)
        return final, previous
    finally:
        tmp.unlink(missing_ok=True)


def save_and_apply(
    db: Database,
    text: str,
    *,
    home: Path,
    agency: str,
    now: datetime,
    horizon: timedelta,
    actor: str,
    templates: dict[str, str] | None = None,
) -> Applied:
    """Check, save and apply one campaign file for `agency`; CampaignError lists every
    problem (with its line) and then nothing is saved."""
    path, previous = check_and_save(db, text, home, agency, templates)
    try:
        (result,) = service.apply_files(db, [path], now, horizon, actor, home)
    except CampaignError as exc:  # the publication cap over the apply window
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(previous, encoding="utf-8")
        raise CampaignError(
            [CampaignIssue(DISPLAY, i.line, i.field, i.message) for i in exc.issues]
        ) from exc
    return Applied(result.campaign, result.action, result.materialised.added, path)
