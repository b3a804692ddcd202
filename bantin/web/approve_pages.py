"""/duyet: the approval queue. Approvers (and the administrator) approve, edit then
approve (the edited text is stored on the publication and is what the channel sends), or
reject with a reason; editors and the auditor see the queue read-only. The actions are
`bantin.campaigns.approval`'s, with the logged-in user as the audit actor."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for

from bantin.accounts import scope
from bantin.campaigns import approval, views
from bantin.content.limits import plain_text
from bantin.core.models import Publication
from bantin.web import nav
from bantin.web.auth import login_required
from bantin.web.compose_kit import APPROVERS, WRITERS, page, require_role, when_text
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import register, t

bp = Blueprint("approve", __name__)
READERS = (*WRITERS, "auditor")
nav.add("approve.queue", "approve_menu", {"editor", "approver", "auditor"}, 40)
register(
    {
        "approve_menu": ("Duyệt bài", "Approval"),
        "approve_heading": ("Bài chờ duyệt", "Waiting for approval"),
        "approve_readonly": (
            "Bạn chỉ xem được hàng đợi; người duyệt của cơ quan sẽ duyệt.",
            "You can only view the queue; your agency's approvers approve.",
        ),
        "approve_do": ("Duyệt", "Approve"),
        "approve_edit": ("Sửa rồi duyệt", "Edit, then approve"),
        "approve_reject": ("Từ chối", "Reject"),
        "approve_reason": ("Lý do từ chối (bắt buộc)", "Reason for rejecting (required)"),
        "approve_need_reason": ("Hãy ghi lý do từ chối.", "Give a reason for rejecting."),
        "approve_done": ("Đã duyệt bài #{id}.", "Publication #{id} approved."),
        "approve_rejected": (
            "Đã từ chối bài #{id}: {reason}",
            "Publication #{id} rejected: {reason}",
        ),
        "approve_gone": (
            "Bài này không còn chờ duyệt.",
            "This publication no longer waits for approval.",
        ),
        "approve_edit_heading": ("Sửa bài trước khi duyệt", "Edit before approving"),
        "approve_body": ("Nội dung sẽ được đăng", "The text that will go out"),
        "approve_save": ("Lưu bản sửa và duyệt", "Save the edit and approve"),
        "approve_edit_note": (
            "Nội dung bạn duyệt ở đây chính là nội dung kênh sẽ nhận.",
            "The text you approve here is exactly what the channel receives.",
        ),
    }
)


def _pending(pub_id: int) -> Publication:
    """A publication awaiting review in the user's scope (404 otherwise), detached."""
    p = require_role(READERS)
    with _db().read() as s:
        pub = s.get(Publication, pub_id)
        if pub is None or not scope.sees_publication(p, pub):
            abort(404)
        s.expunge(pub)
    return pub


@bp.get("/duyet")
@login_required
def queue() -> Any:
    p = require_role(READERS)
    with _db().read() as s:
        groups = views.approval_queue(s, scope.publications(p))
    tz = _settings().timezone
    for group in groups:
        for item in group["items"]:
            item["when"] = when_text(item["due_at"], tz)
            item["text"] = plain_text(item["body"]) if group["kind"] == "article" else item["body"]
    return page("desk/approve_queue.html", groups=groups, approver=p.role in APPROVERS)


@bp.post("/duyet/<int:pub_id>/duyet")
@login_required
def approve(pub_id: int) -> Any:
    pub = _pending(pub_id)
    p = require_role(APPROVERS)
    with _db().session() as s:
        done = approval.approve(s, [pub.id], _now(), p.actor)
    flash(t("approve_done").format(id=pub.id) if done else t("approve_gone"))
    return redirect(url_for("approve.queue"))


@bp.route("/duyet/<int:pub_id>/sua", methods=["GET", "POST"])
@login_required
def edit(pub_id: int) -> Any:
    pub = _pending(pub_id)
    p = require_role(APPROVERS)
    title, body, error = pub.title or "", pub.body or "", None
    if request.method == "POST":
        title = request.form.get("title", "")[:1000]
        body = request.form.get("body", "")[:70_000]
        try:
            with _db().session() as s:
                approval.edit_and_approve(s, pub.id, title, body, _now(), p.actor)
        except approval.EditRefused as exc:
            error = str(exc)
        else:
            flash(t("approve_done").format(id=pub.id))
            return redirect(url_for("approve.queue"))
    when = when_text(pub.due_at, _settings().timezone)
    status = 422 if error else 200
    return page(
        "desk/approve_edit.html", status, pub=pub, title=title, body=body, error=error, when=when
    )


@bp.post("/duyet/<int:pub_id>/tu-choi")
@login_required
def reject(pub_id: int) -> Any:
    pub = _pending(pub_id)
    p = require_role(APPROVERS)
    reason = " ".join(request.form.get("reason", "").split())[:500]
    if not reason:
        flash(t("approve_need_reason"))
        return redirect(url_for("approve.queue"))
    with _db().session() as s:
        done = approval.reject(s, [pub.id], reason, _now(), p.actor)
    flash(t("approve_rejected").format(id=pub.id, reason=reason) if done else t("approve_gone"))
    return redirect(url_for("approve.queue"))
