"""The desk's words in Vietnamese (the default) and English (`?lang=en`, kept in the
session). Report documents have their own texts (records/reports/i18n.py)."""

from __future__ import annotations

from flask import request, session

LANGS = ("vi", "en")
TEXTS: dict[str, tuple[str, str]] = {
    "app": ("Bàn làm việc bantin", "bantin desk"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "login_failed": (
        "Tên đăng nhập hoặc mật khẩu không đúng, hoặc đã thử quá nhiều lần: hãy thử lại sau.",
        "Wrong user name or password, or too many attempts: try again later.",
    ),
    "hello": ("Xin chào", "Hello"),
    "role_editor": ("Biên tập viên", "Editor"),
    "role_approver": ("Người duyệt", "Approver"),
    "role_culture": ("Cán bộ văn hóa", "Culture staff"),
    "role_auditor": ("Kiểm tra (chỉ xem)", "Auditor (read-only)"),
    "role_admin": ("Quản trị", "Administrator"),
    "demo": ("TÀI KHOẢN THỬ NGHIỆM", "DEMO ACCOUNT"),
    "publications": ("Bài đăng sắp tới của cơ quan", "Your agency's upcoming publications"),
    "due": ("Thời gian", "Due"),
    "channel": ("Kênh", "Channel"),
    "state": ("Trạng thái", "State"),
    "title": ("Tiêu đề", "Title"),
    "unit": ("Đơn vị", "Unit"),
    "none": ("Không có gì.", "Nothing."),
    "today_scripts": ("Bản tin hôm nay", "Today's scripts"),
    "aired": ("Đã phát lúc", "Aired at"),
    "confirm": ("Xác nhận đã phát", "Confirm aired"),
    "confirmed": ("Đã xác nhận", "Confirmed"),
    "receipt_saved": ("Đã ghi nhận xác nhận phát.", "The receipt is recorded."),
    "dashboard": ("Bảng theo dõi", "Dashboard"),
    "dashboard_soon": (
        "Bảng theo dõi đầy đủ sẽ có ở phiên bản sau. Tải các báo cáo:",
        "The full dashboard comes in a later version. Download the reports:",
    ),
    "reports": ("Báo cáo", "Reports"),
    "forbidden": ("Bạn không có quyền xem trang này.", "You may not see this page."),
    "language": ("English", "Tiếng Việt"),
    "menu": ("Danh mục chức năng", "Menu"),
    "home": ("Trang chính", "Home"),
}


def register(texts: dict[str, tuple[str, str]]) -> None:
    """Add a page module's words (Vietnamese, English). Each desk module registers its
    own at import, so modules never edit one shared table; a key used twice is a bug."""
    for key, pair in texts.items():
        if key in TEXTS and TEXTS[key] != pair:
            raise ValueError(f"desk text {key!r} registered twice with different words")
        TEXTS[key] = pair


def lang() -> str:
    """`?lang=` wins and is remembered in the session; Vietnamese otherwise."""
    asked = request.args.get("lang")
    if asked in LANGS:
        session["lang"] = asked
        return asked
    kept = session.get("lang")
    return kept if kept in LANGS else "vi"


def t(key: str) -> str:
    vi, en = TEXTS[key]
    return en if lang() == "en" else vi
