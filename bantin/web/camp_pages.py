"""/chien-dich: an agency's campaigns — the list, a campaign's page (its file, counts, and
pause / resume / cancel), and uploading or editing a campaign file in the browser with
errors shown at their line. Every change goes through `bantin.campaigns` (the CLI's
functions), with the logged-in user as the audit actor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for

from bantin.accounts import scope
from bantin.campaigns import service, upload, views
from bantin.campaigns.errors import CampaignError, CampaignIssue
from bantin.campaigns.yamlsource import YAMLSyntax, load_located
from bantin.core.models import Campaign
from bantin.web import nav
from bantin.web.auth import login_required
from bantin.web.compose_kit import WRITERS, allow_larger_bodies, page, principal, require_role
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import register, t

bp = Blueprint("camp", __name__)
READERS = (*WRITERS, "auditor")
allow_larger_bodies(bp, {"upload_file": upload.MAX_YAML_BYTES * 2 + 16 * 1024})
nav.add("camp.index", "camp_menu", {"editor", "approver", "auditor"}, 30)
register(
    {
        "camp_menu": ("Chiến dịch", "Campaigns"),
        "camp_heading": ("Chiến dịch của cơ quan", "Your agency's campaigns"),
        "camp_id": ("Mã", "Id"),
        "camp_status": ("Trạng thái", "Status"),
        "camp_status_active": ("Đang chạy", "Active"),
        "camp_status_paused": ("Tạm dừng", "Paused"),
        "camp_status_cancelled": ("Đã hủy", "Cancelled"),
        "camp_period": ("Thời gian", "Period"),
        "camp_counts": ("Bài theo trạng thái", "Publications by state"),
        "camp_upload": ("Tải lên hoặc soạn tệp YAML", "Upload or write a YAML file"),
        "camp_file": ("Tệp chiến dịch (YAML)", "Campaign file (YAML)"),
        "camp_text": ("Nội dung tệp YAML", "The YAML text"),
        "camp_apply": ("Kiểm tra và áp dụng", "Check and apply"),
        "camp_edit": ("Sửa tệp YAML", "Edit the YAML"),
        "camp_errors": (
            "Tệp có lỗi, chưa lưu gì. Sửa các dòng sau rồi gửi lại:",
            "The file has errors; nothing was saved. Fix these lines and send it again:",
        ),
        "camp_line": ("dòng", "line"),
        "camp_field": ("trường", "field"),
        "camp_applied": (
            "Đã áp dụng chiến dịch {id} ({action}, thêm {added} bài).",
            "Campaign {id} applied ({action}, {added} publications added).",
        ),
        "camp_pause": ("Tạm dừng", "Pause"),
        "camp_resume": ("Chạy lại", "Resume"),
        "camp_cancel": ("Hủy chiến dịch", "Cancel the campaign"),
        "camp_confirm": ("Tôi xác nhận", "I confirm"),
        "camp_reason": ("Lý do (không bắt buộc)", "Reason (optional)"),
        "camp_done_paused": ("Đã tạm dừng chiến dịch.", "The campaign is paused."),
        "camp_done_active": ("Chiến dịch chạy lại.", "The campaign is running again."),
        "camp_done_cancelled": (
            "Đã hủy chiến dịch và {n} bài chưa đăng.",
            "Campaign cancelled with {n} unsent publications.",
        ),
        "camp_need_confirm": (
            "Hãy đánh dấu ô xác nhận rồi bấm lại.",
            "Tick the confirmation box and press again.",
        ),
        "camp_source": ("Tệp chiến dịch", "Campaign file"),
        "camp_empty": ("Hãy chọn một tệp hoặc dán nội dung YAML.", "Choose a file or paste YAML."),
    }
)


@bp.app_template_filter("vndate")
def vndate(value: object) -> str:
    """2026-12-03 -> 03/12/2026, as officials write dates."""
    text = str(value or "")
    parts = text[:10].split("-")
    return "/".join(reversed(parts)) if len(parts) == 3 else text


def _campaign(campaign_id: str) -> tuple[Campaign, str, dict[str, int]]:
    """The campaign, its file's text and its counts; 404 outside the user's scope."""
    p = require_role(READERS)
    with _db().read() as s:
        c = s.get(Campaign, campaign_id)
        if c is None or not scope.sees_agency(p, c.agency_code):
            abort(404)
        s.expunge(c)
        return c, views.source_text(c), service.counts_by_status(s, campaign_id)


@bp.get("/chien-dich")
@login_required
def index() -> Any:
    p = require_role(READERS)
    with _db().read() as s:
        rows = views.desk_rows(s, None if p.sees_everything else p.agency)
    return page("desk/camp_list.html", rows=rows, writer=p.role in WRITERS)


@bp.get("/chien-dich/<campaign_id>")
@login_required
def detail(campaign_id: str) -> Any:
    c, text, counts = _campaign(campaign_id)
    writer = principal().role in WRITERS
    return page("desk/camp_detail.html", c=c, lines=text.splitlines(), counts=counts, writer=writer)


@bp.post("/chien-dich/<campaign_id>/trang-thai")
@login_required
def set_status(campaign_id: str) -> Any:
    """Pause, resume or cancel, after the confirmation box; an audit event with the user."""
    c, _, _ = _campaign(campaign_id)
    p = require_role(WRITERS)
    wanted = {"pause": "paused", "resume": "active", "cancel": "cancelled"}.get(
        request.form.get("action", "")
    )
    if wanted is None:
        abort(400)
    if request.form.get("confirm") != "1":
        flash(t("camp_need_confirm"))
        return redirect(url_for("camp.detail", campaign_id=c.id))
    reason = request.form.get("reason", "").strip()[:500] or None
    try:
        if wanted == "cancelled":
            n = service.cancel_campaign(_db(), c.id, _now(), p.actor, reason)
            flash(t("camp_done_cancelled").format(n=n))
        else:
            with _db().session() as s:
                service.set_status(s, c.id, wanted, _now(), p.actor, reason)
            flash(t(f"camp_done_{wanted}"))
    except ValueError as exc:
        flash(str(exc))
    return redirect(url_for("camp.detail", campaign_id=c.id))


@bp.get("/chien-dich/<campaign_id>/sua")
@login_required
def edit(campaign_id: str) -> Any:
    _, text, _ = _campaign(campaign_id)
    require_role(WRITERS)
    return page("desk/camp_upload.html", text=text, issues=[], bad=set(), lines=[])


def _posted_text() -> str:
    file = request.files.get("file")
    if file is not None and file.filename:
        data: bytes = file.read(upload.MAX_YAML_BYTES + 1)
        return data.decode("utf-8", errors="replace")
    return request.form.get("yaml", "").replace("\r\n", "\n")


def _agency_for(p: scope.Principal, text: str) -> str:
    """An editor's own agency; an administrator uploads for the agency the file names."""
    if p.agency or p.role != "admin":
        return p.agency or ""
    try:
        data = load_located(text).data
    except YAMLSyntax:
        return ""
    return str(data.get("agency", "")) if isinstance(data, dict) else ""


@bp.route("/chien-dich/tai-len", methods=["GET", "POST"])
@login_required
def upload_file() -> Any:
    p = require_role(WRITERS)
    if request.method == "GET":
        return page("desk/camp_upload.html", text="", issues=[], bad=set(), lines=[])
    text = _posted_text()
    if not text.strip():
        issues = [CampaignIssue(upload.DISPLAY, None, None, t("camp_empty"))]
        return page("desk/camp_upload.html", 422, text=text, issues=issues, bad=set(), lines=[])
    settings = _settings()
    try:
        applied = upload.save_and_apply(
            _db(),
            text,
            home=settings.home,
            agency=_agency_for(p, text),
            now=_now(),
            horizon=timedelta(days=settings.horizon_days),
            actor=p.actor,
        )
    except CampaignError as exc:
        bad = {i.line for i in exc.issues if i.line}
        return page(
            "desk/camp_upload.html",
            422,
            text=text,
            issues=exc.issues,
            bad=bad,
            lines=text.splitlines(),
        )
    flash(t("camp_applied").format(id=applied.campaign, action=applied.action, added=applied.added))
    return redirect(url_for("camp.detail", campaign_id=applied.campaign))
