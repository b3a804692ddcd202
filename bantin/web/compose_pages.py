"""/soan-bai: the composer of a one-off post. The form becomes a campaign file
(`bantin.campaigns.compose`) applied through the campaign path; the preview per channel
is the library's (`compose_service.preview_form`), served as JSON for the page's script
(static/compose/compose.js) and rendered server-side by the "Xem trước" button."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from sqlalchemy import select

from bantin.accounts import scope
from bantin.campaigns import compose_service
from bantin.campaigns.compose import ComposeError, ComposeForm
from bantin.campaigns.preview import ChannelPreview
from bantin.channels import channel_class
from bantin.content.media_upload import MAX_IMAGE_BYTES, ImageRefused, store_image
from bantin.core.errors import ConfigError
from bantin.core.models import Agency, Channel, Task, Unit, UnitGroup
from bantin.outbound import media_dir
from bantin.web import nav
from bantin.web.auth import login_required
from bantin.web.compose_kit import WRITERS, allow_larger_bodies, page, require_role
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import register, t

bp = Blueprint("compose", __name__)
allow_larger_bodies(bp, {"form": MAX_IMAGE_BYTES + 64 * 1024})
nav.add("compose.form", "compose_menu", {"editor", "approver"}, 20)
register(
    {
        "compose_menu": ("Soạn bài", "Compose"),
        "compose_heading": ("Soạn bài đăng một lần", "Compose a one-off post"),
        "compose_title": ("Tiêu đề", "Title"),
        "compose_text": ("Nội dung", "Text"),
        "compose_image": (
            "Ảnh (PNG, JPEG, WebP; tối đa 2 MB)",
            "Image (PNG, JPEG, WebP; 2 MB max)",
        ),
        "compose_channels": ("Kênh đăng", "Channels"),
        "compose_kind": ("Loại bài", "Kind"),
        "compose_kind_post": ("Bài mạng xã hội", "Social post"),
        "compose_kind_article": ("Bài báo điện tử", "Portal article"),
        "compose_kind_radio_script": ("Bản tin loa", "Radio script"),
        "compose_task": ("Nhiệm vụ trong kế hoạch", "Plan task"),
        "compose_targets": ("Nơi phát (bản tin loa)", "Where it airs (radio)"),
        "compose_targets_none": ("— không chọn —", "— none —"),
        "compose_targets_all": ("Tất cả xã, phường", "Every commune and ward"),
        "compose_when": ("Thời gian đăng (dd/mm/yyyy HH:MM)", "When (dd/mm/yyyy HH:MM)"),
        "compose_approval": ("Cần người duyệt trước khi đăng", "Needs approval before it goes out"),
        "compose_agency": ("Cơ quan", "Agency"),
        "compose_preview": ("Xem trước", "Preview"),
        "compose_save": ("Lên lịch đăng", "Schedule"),
        "compose_previews": ("Xem trước theo kênh", "Preview per channel"),
        "compose_live": ("Bản xem trước cập nhật khi bạn gõ.", "The preview updates as you type."),
        "compose_length": ("Độ dài", "Length"),
        "compose_no_limit": ("kênh này không giới hạn độ dài", "no length limit on this channel"),
        "compose_duration": ("Thời lượng đọc ước tính", "Estimated read time"),
        "compose_slot": ("khung phát", "slot"),
        "compose_saved": ("Đã lên lịch bài đăng: chiến dịch {id}.", "Scheduled: campaign {id}."),
        "compose_fix": ("Hãy sửa các mục được đánh dấu.", "Fix the marked fields."),
        "compose_no_channels": (
            "Cơ quan của bạn chưa có kênh nào: nhờ quản trị thêm kênh.",
            "Your agency has no channel yet: ask the administrator to add one.",
        ),
    }
)


def _agency(p: scope.Principal) -> str | None:
    """The agency the post is for: the user's; an administrator picks one."""
    if p.agency:
        return p.agency
    asked = request.values.get("agency") or None
    return asked if p.role == "admin" else None


def _choices(agency: str | None) -> dict[str, Any]:
    """Channels of the agency (with the kinds each carries), tasks, unit groups, units."""
    with _db().read() as s:
        query = select(Channel).where(Channel.agency_code == agency).order_by(Channel.name)
        rows = s.scalars(query)
        channels = []
        for row in rows:
            try:
                kinds = sorted(channel_class(row.url).content_kinds)
            except ConfigError:
                continue
            channels.append({"name": row.name, "kind": row.kind, "kinds": kinds})
        return {
            "channels": channels,
            "tasks": list(s.execute(select(Task.code, Task.title).order_by(Task.code))),
            "groups": list(
                s.execute(select(UnitGroup.name, UnitGroup.title).order_by(UnitGroup.name))
            ),
            "units": list(s.execute(select(Unit.code, Unit.name).order_by(Unit.sort_key))),
            "agencies": list(s.scalars(select(Agency.code).order_by(Agency.code))),
        }


def _read_form(agency: str, allowed: set[str]) -> ComposeForm:
    f = request.form
    target = f.get("target", "")
    return ComposeForm(
        title=f.get("title", "")[:1000],
        text=f.get("text", "")[:70_000],
        agency=agency,
        task=f.get("task", ""),
        kind=f.get("kind", "post"),
        when=f.get("when", "")[:40],
        channels=[c for c in f.getlist("channels") if c in allowed],
        targets=[target] if target else [],
        approval=f.get("approval") == "1",
    )


def _store_upload(form: ComposeForm) -> ComposeForm:
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return form
    data = upload.read(MAX_IMAGE_BYTES + 1)
    try:
        path = store_image(data, media_dir(_settings().home), _now())
    except ImageRefused as exc:
        raise ComposeError({"image": str(exc)}) from exc
    return ComposeForm(**{**form.__dict__, "image": path})


def _previews(form: ComposeForm) -> tuple[list[ChannelPreview], dict[str, str]]:
    try:
        with _db().read() as s:
            return compose_service.preview_form(s, _settings().home, form), {}
    except ComposeError as exc:
        return [], exc.problems


@bp.route("/soan-bai", methods=["GET", "POST"])
@login_required
def form() -> Any:
    p = require_role(WRITERS)
    agency = _agency(p)
    choices = _choices(agency)
    allowed = {c["name"] for c in choices["channels"]}
    context: dict[str, Any] = {"agency": agency, "values": request.form, **choices}
    if request.method == "GET" or agency is None:
        return page("desk/compose.html", values={}, previews=None, problems={}, **_rest(context))
    composed = _read_form(agency, allowed)
    if request.form.get("action") == "preview":
        previews, problems = _previews(composed)
        return page("desk/compose.html", previews=previews, problems=problems, **context)
    settings = _settings()
    try:
        saved = compose_service.save_form(
            _db(),
            _store_upload(composed),
            home=settings.home,
            now=_now(),
            horizon=timedelta(days=settings.horizon_days),
            actor=p.actor,
        )
    except ComposeError as exc:
        flash(t("compose_fix"))
        return page("desk/compose.html", 422, previews=None, problems=exc.problems, **context)
    flash(t("compose_saved").format(id=saved.campaign))
    return redirect(url_for("camp.detail", campaign_id=saved.campaign))


def _rest(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k != "values"}


@bp.post("/soan-bai/xem-truoc")
@login_required
def preview() -> Any:
    """The live preview's JSON: per channel, the text, its lengths against the limits and
    a radio script's read time; `problems` by field while the form is incomplete."""
    p = require_role(WRITERS)
    agency = _agency(p)
    if agency is None:
        abort(404)
    allowed = {c["name"] for c in _choices(agency)["channels"]}
    previews, problems = _previews(_read_form(agency, allowed))
    resp = jsonify({"problems": problems, "channels": [_as_json(x) for x in previews]})
    resp.cache_control.no_store = True
    return resp


def _as_json(x: ChannelPreview) -> dict[str, Any]:
    return {
        "channel": x.channel,
        "kind": x.channel_kind,
        "title": x.title,
        "text": x.text,
        "measures": [
            {"part": m.part, "length": m.length, "limit": m.limit, "ok": m.ok} for m in x.measures
        ],
        "duration": x.duration,
        "seconds": x.seconds,
        "slot_seconds": x.slot_minutes * 60 if x.slot_minutes else None,
        "ok": x.ok,
        "problem": x.problem,
    }
