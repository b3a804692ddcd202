"""Human labels for the CLI's tables: column headers and state words in Vietnamese (the
default) or English (`bantin --lang en …`, or BANTIN_LANG=en).

Only the table form is translated. `--json` and `--csv` keep the machine codes (column
ids such as `due_local`, states such as `pending_approval`, `true`/`false`), because
scripts and spreadsheets read them; docs/cli.md says so. The state words are those of
the calendar and its iCalendar feed (`bantin.records.calendar_ics.STATE_WORDS`).
"""

from __future__ import annotations

from typing import Any

LANGS = ("vi", "en")

#: Column id → (Vietnamese, English) header.
COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("Mã", "Id"),
    "due_local": ("Thời điểm", "Due"),
    "campaign": ("Chiến dịch", "Campaign"),
    "channel": ("Kênh", "Channel"),
    "unit": ("Đơn vị", "Unit"),
    "unit_name": ("Xã, phường", "Unit name"),
    "status": ("Trạng thái", "Status"),
    "reason": ("Lý do", "Reason"),
    "attempts": ("Lượt gửi", "Attempts"),
    "receipts": ("Xác nhận phát", "Receipts"),
    "agency": ("Cơ quan", "Agency"),
    "task": ("Nhiệm vụ", "Task"),
    "total": ("Tổng cộng", "Total"),
    "name": ("Tên", "Name"),
    "kind": ("Loại", "Kind"),
    "url": ("Địa chỉ", "URL"),
    "title": ("Tiêu đề", "Title"),
    "planned": ("Đã lên lịch", "Planned"),
    "published": ("Đã đăng", "Published"),
    "late": ("Nộp muộn", "Late"),
    "submitted_at": ("Nộp lúc", "Submitted at"),
    "submitted_by": ("Người nộp", "Submitted by"),
    "objective": ("Mục tiêu", "Objective"),
    "year": ("Năm", "Year"),
    "value": ("Giá trị", "Value"),
    "source": ("Nguồn", "Source"),
    "recorded_by": ("Người ghi", "Recorded by"),
    "created": ("Tạo lúc", "Created"),
    "updated": ("Sửa lúc", "Updated"),
    "used_by": ("Dùng bởi", "Used by"),
    "publication_id": ("Số bài", "Publication"),
    "aired_local": ("Phát lúc", "Aired"),
    "duration_seconds": ("Thời lượng (giây)", "Duration (s)"),
    "reported_by": ("Người xác nhận", "Reported by"),
    "note": ("Ghi chú", "Note"),
    "label": ("Nhãn", "Label"),
    "created_local": ("Tạo lúc", "Created"),
    "created_by": ("Người tạo", "Created by"),
    "revoked_local": ("Thu hồi lúc", "Revoked"),
    "last_used_local": ("Dùng lần cuối", "Last used"),
    "audience": ("Đối tượng", "Audience"),
    "at_local": ("Lúc", "At"),
    "message": ("Nội dung", "Message"),
    "notified": ("Đã báo", "Notified"),
    "resolved": ("Đã xử lý", "Resolved"),
    "username": ("Tên đăng nhập", "Username"),
    "role": ("Vai trò", "Role"),
    "units": ("Xã, phường", "Units"),
    "groups": ("Nhóm", "Groups"),
    "active": ("Hoạt động", "Active"),
    "demo": ("Thử nghiệm", "Demo"),
    "scopes": ("Quyền", "Scopes"),
    "created_at": ("Tạo lúc", "Created"),
    "last_used_at": ("Dùng lần cuối", "Last used"),
    "revoked_at": ("Thu hồi lúc", "Revoked"),
    "entries": ("Số tin", "Entries"),
    "last_status": ("Kết quả lần cuối", "Last status"),
    "last_error": ("Lỗi lần cuối", "Last error"),
    "last_fetched_at": ("Lấy tin lúc", "Last fetched"),
    "code": ("Mã", "Code"),
    "target": ("Chỉ tiêu", "Target"),
    "metric": ("Chỉ số", "Indicator"),
    "lead": ("Chủ trì", "Lead"),
    "coordinating": ("Phối hợp", "Coordinating"),
    "period": ("Thời gian", "Period"),
    "valid_to": ("Hiệu lực đến", "Valid to"),
    "successor": ("Cơ quan kế nhiệm", "Successor"),
    "approval": ("Phê duyệt", "Approval"),
    "priority": ("Mức ưu tiên", "Priority"),
    "materialised_until": ("Đã lập lịch đến", "Scheduled until"),
    "publications": ("Bài đăng", "Publications"),
    "pending_approval": ("Chờ duyệt", "Awaiting approval"),
    "approved": ("Đã duyệt", "Approved"),
    "retry_wait": ("Chờ gửi lại", "Retry wait"),
    "failed": ("Thất bại", "Failed"),
    "unknown": ("Chưa rõ", "Unknown"),
    "missed": ("Bị lỡ", "Missed"),
    "cancelled": ("Đã hủy", "Cancelled"),
}

#: A code in a table cell → (Vietnamese, English) words. Publication states as the calendar
#: says them; campaign, channel, report and alert states; roles.
VALUES: dict[str, tuple[str, str]] = {
    "planned": ("đã lên lịch", "planned"),
    "pending_approval": ("chờ duyệt", "awaiting approval"),
    "approved": ("đã duyệt", "approved"),
    "claimed": ("đã nhận xử lý", "claimed"),
    "sending": ("đang gửi", "sending"),
    "published": ("đã đăng", "published"),
    "retry_wait": ("chờ gửi lại", "waiting to retry"),
    "failed": ("thất bại", "failed"),
    "unknown": ("chưa rõ", "unknown"),
    "missed": ("bị lỡ", "missed"),
    "cancelled": ("đã hủy", "cancelled"),
    "active": ("đang chạy", "active"),
    "paused": ("tạm dừng", "paused"),
    "ended": ("đã kết thúc", "ended"),
    "ok": ("bình thường", "ok"),
    "broken": ("hỏng", "broken"),
    "not_drafted": ("chưa soạn", "not drafted"),
    "drafted": ("đã soạn", "drafted"),
    "draft": ("bản nháp", "draft"),
    "reminded": ("đã nhắc", "reminded"),
    "submitted": ("đã nộp", "submitted"),
    "overdue": ("quá hạn", "overdue"),
    "channel_broken": ("kênh hỏng", "channel broken"),
    "publication_failed": ("đăng thất bại", "publication failed"),
    "report_overdue": ("báo cáo quá hạn", "report overdue"),
    "report_reminder": ("nhắc nộp báo cáo", "report reminder"),
    "article": ("bài viết", "article"),
    "post": ("bài mạng xã hội", "post"),
    "radio_script": ("kịch bản phát thanh", "radio script"),
    "required": ("cần duyệt", "required"),
    "none": ("không cần", "none"),
    "normal": ("thường", "normal"),
    "priority": ("ưu tiên", "priority"),
    "emergency": ("khẩn cấp", "emergency"),
    "admin": ("quản trị", "administrator"),
    "editor": ("biên tập", "editor"),
    "approver": ("phê duyệt", "approver"),
    "culture": ("cán bộ văn hóa", "culture officer"),
    "auditor": ("kiểm tra", "auditor"),
}

#: Columns whose cells are codes to put in words (other text, such as a title that
#: happens to read "published", is left alone). A feed's `last_status` stays a code:
#: `bantin feeds list --help` explains each one by that code.
CODE_COLUMNS = frozenset({"status", "role", "kind", "approval", "priority"})

_BOOL = {True: ("có", "yes"), False: ("không", "no")}


def pick(lang: str) -> int:
    """Index into a (vi, en) pair; anything but "en" reads Vietnamese."""
    return 1 if lang == "en" else 0


def header(column: str, lang: str) -> str:
    """A column's header; an id without a label is shown as words, never as `snake_case`."""
    pair = COLUMNS.get(column)
    return pair[pick(lang)] if pair else column.replace("_", " ")


def cell(column: str, value: Any, lang: str) -> str:
    """A cell as a person reads it: yes/no for booleans, words for codes in code columns."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _BOOL[value][pick(lang)]
    text = str(value)
    if column in CODE_COLUMNS and text in VALUES:
        return VALUES[text][pick(lang)]
    return text


def word(code: str, lang: str) -> str:
    """One code in words (a state in a sentence), or the code itself when it has none."""
    pair = VALUES.get(code)
    return pair[pick(lang)] if pair else code
