"""The auditor's dashboard (auditor and admin, read-only): the pieces come from
`bantin.records.dashboard`, the charts from `web.svgcharts`, the downloads are the
existing `/bao-cao` routes."""

from __future__ import annotations

from flask import Response

from bantin.accounts import scope
from bantin.records import dashboard
from bantin.records.reports import FORMATS
from bantin.web import i18n
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import t
from bantin.web.pages import page
from bantin.web.svgcharts import bar_chart

i18n.register(
    {
        "dash_progress": ("Tiến độ kế hoạch theo nhiệm vụ", "Plan progress per task"),
        "dash_task": ("Nhiệm vụ", "Task"),
        "dash_planned": ("Kế hoạch", "Planned"),
        "dash_due": ("Đến hạn", "Due"),
        "dash_published": ("Đã đăng/phát", "Published"),
        "dash_share": ("Tỷ lệ", "Share"),
        "dash_coverage": ("Mức phủ sóng theo xã, phường", "Coverage per commune"),
        "dash_coverage_help": (
            "Ô: số bản tin đã xác nhận phát / số đã gửi, và tỷ lệ; màu càng đậm tỷ lệ càng cao.",
            "Cell: bulletins confirmed aired / sent, and the share; darker is higher.",
        ),
        "dash_commune": ("Xã, phường", "Commune"),
        "dash_output": ("Sản phẩm theo cơ quan và tháng", "Output per agency and month"),
        "dash_month": ("Tháng", "Month"),
        "dash_count": ("Số bài", "Items"),
        "dash_no_data": ("chưa có dữ liệu", "no data yet"),
        "dash_deadlines": ("Hạn nộp báo cáo năm", "Annual report deadlines"),
        "dash_agency": ("Cơ quan", "Agency"),
        "dash_alerts": ("Cảnh báo đang mở", "Open alerts"),
        "dash_audit": ("Chuỗi nhật ký kiểm tra", "Audit chain"),
        "dash_events": ("Số sự kiện", "Events"),
        "dash_head": ("Đầu chuỗi đã ký gần nhất", "Last signed head"),
        "dash_head_ok": ("khớp với cơ sở dữ liệu", "matches the database"),
        "dash_head_bad": ("KHÔNG khớp: chạy kiểm tra đầy đủ", "does NOT match: run a full check"),
        "dash_no_head": ("chưa có đầu chuỗi đã ký", "no signed head yet"),
        "dash_verify_hint": ("Kiểm tra toàn bộ chuỗi:", "Verify the whole chain:"),
        "dash_reports": ("Tải báo cáo", "Download reports"),
        "dash_st_not_drafted": ("chưa có dự thảo", "not drafted"),
        "dash_st_drafted": ("đã có dự thảo", "drafted"),
        "dash_st_reminded": ("đã nhắc", "reminded"),
        "dash_st_submitted": ("đã nộp", "submitted"),
        "dash_st_overdue": ("quá hạn", "overdue"),
    }
)


def home_page(p: scope.Principal) -> Response:
    """desk.home sends the auditor and the admin here."""
    assert p.sees_everything
    settings = _settings()
    now = _now()
    year = now.astimezone(settings.timezone).year
    with _db().read() as s:
        board = dashboard.build(s, year, now, settings.timezone, settings.home)
    labels = [m[5:] for m in board.months]
    charts = [
        (
            code,
            bar_chart(
                f"{code} {year}",
                labels,
                values,
                (t("dash_month"), t("dash_count")),
                t("dash_no_data"),
            ),
        )
        for code, values in board.output.items()
    ]
    return page(
        "desk/dashboard.html",
        board=board,
        charts=charts,
        year=year,
        formats=FORMATS,
    )
