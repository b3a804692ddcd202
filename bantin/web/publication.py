"""The desk's page of one publication (/bai/<id>) and its prepared audio
(/bai/<id>/am-thanh). What is shown is gathered by `bantin.records.publication_view`;
a publication the user may not see is a 404, the same as one that does not exist."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, send_file

from bantin.accounts import scope
from bantin.content.audio import audio_dir
from bantin.records import publication_view as pv
from bantin.records.calendar import day_label
from bantin.records.calendar_ics import STATE_WORDS
from bantin.web import i18n
from bantin.web.auth import current, login_required
from bantin.web.calendar import ICONS
from bantin.web.context import database as _db
from bantin.web.context import settings as _settings
from bantin.web.i18n import lang

bp = Blueprint("publication", __name__)

i18n.register(
    {
        "pub_campaign": ("Chiến dịch", "Campaign"),
        "pub_reason": ("Lý do", "Reason"),
        "pub_preview": ("Nội dung sẽ đăng", "What will be published"),
        "pub_limits": ("Giới hạn độ dài của kênh", "The channel's length limits"),
        "pub_part": ("Phần", "Part"),
        "pub_length": ("Số ký tự", "Characters"),
        "pub_limit": ("Giới hạn", "Limit"),
        "pub_over": ("VƯỢT GIỚI HẠN", "OVER THE LIMIT"),
        "pub_ok": ("trong giới hạn", "within the limit"),
        "pub_no_render": ("Chưa tạo được nội dung:", "The content cannot be rendered:"),
        "pub_read_aloud": ("Bản đọc (số, ngày đọc thành chữ)", "Read-aloud form"),
        "pub_duration": ("Thời lượng ước tính", "Estimated duration"),
        "pub_duration_measured": ("Thời lượng (đo từ bản ghi)", "Duration (measured)"),
        "pub_slot": ("Khung giờ phát", "Slot"),
        "pub_minutes": ("phút", "minutes"),
        "pub_fits": ("vừa khung", "fits the slot"),
        "pub_too_long": ("dài hơn khung", "longer than the slot"),
        "pub_too_short": ("ngắn hơn khung", "shorter than the slot"),
        "pub_audio": ("Âm thanh đã chuẩn bị", "Prepared audio"),
        "pub_attempts": ("Các lần gửi", "Delivery attempts"),
        "pub_time": ("Thời gian", "Time"),
        "pub_result": ("Kết quả", "Result"),
        "pub_error": ("Lỗi", "Error"),
        "pub_receipts": ("Xác nhận đã phát", "Broadcast receipts"),
        "pub_who": ("Người xác nhận", "Reported by"),
        "pub_source": ("Nguồn", "Source"),
        "pub_history": ("Lịch sử (nhật ký kiểm tra)", "History (audit log)"),
        "pub_actor": ("Người thực hiện", "Actor"),
        "pub_action": ("Hành động", "Action"),
        "pub_details": ("Chi tiết", "Details"),
        "pub_back": ("Về lịch", "Back to the calendar"),
        "pub_link": ("Đường dẫn đã đăng", "Published link"),
        "pub_page_wide": ("(toàn trang)", "(page-wide)"),
    }
)


def _principal() -> scope.Principal:
    p = current()
    assert p is not None  # login_required ran first
    return p


@bp.get("/bai/<int:pub_id>")
@login_required
def show(pub_id: int) -> Any:
    p, settings = _principal(), _settings()
    tz = settings.timezone
    with _db().read() as s:
        page = pv.load(s, p, pub_id, settings.home)
        if page is None:
            abort(404)
        due = page.pub.due_at.astimezone(tz)
        body = render_template(
            "desk/publication.html",
            page=page,
            pub=page.pub,
            due_text=f"{due:%H:%M}, {day_label(due.date(), lang())}",
            day_iso=due.date().isoformat(),
            when=lambda at: pv.local_text(at, tz),
            event_data=pv.event_data,
            icons=ICONS,
            state_keys={f"cal_state_{k}" for k in STATE_WORDS},
        )
    resp = Response(body, content_type="text/html; charset=utf-8")
    resp.cache_control.no_store = True
    resp.headers["Vary"] = "Cookie"
    return resp


@bp.get("/bai/<int:pub_id>/am-thanh")
@login_required
def audio(pub_id: int) -> Any:
    """The prepared recording, with Range support (a player seeks) for whoever may see
    the publication; 404 otherwise."""
    p, settings = _principal(), _settings()
    with _db().read() as s:
        pub = pv.visible(s, p, pub_id)
        key = pub.idempotency_key if pub is not None else None
    found = pv.find_audio(audio_dir(settings.home), key) if key else None
    if found is None:
        abort(404)
    resp: Response = send_file(found.path, mimetype=found.mime, conditional=True)
    resp.cache_control.private = True
    resp.cache_control.no_store = True
    return resp
