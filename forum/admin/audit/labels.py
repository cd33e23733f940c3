"""Vietnamese names of the audit log's codes (actions, object types, roles at the time).

A code missing here shows as the code itself: the log never hides an entry because
nobody named its action yet.
"""
import json
import re
from datetime import UTC, date, datetime

from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l

from forum.forums.models import Phase

ACTION_LABELS = {
    "user.created": _l("Tạo tài khoản"),
    "user.registered": _l("Tự đăng ký tài khoản"),
    "user.password_changed": _l("Đổi mật khẩu"),
    "user.role_changed": _l("Đổi vai trò"),
    "user.activated": _l("Mở khóa tài khoản"),  # entries written before the people pages
    "user.reactivated": _l("Mở khóa tài khoản"),
    "user.updated": _l("Sửa thông tin người"),
    "user.deactivated": _l("Khóa tài khoản"),
    "users.roster_imported": _l("Nhập danh sách đại biểu"),
    "moderator.scope_changed": _l("Phân công điều hành viên"),
    "forum.set_phase": _l("Chuyển giai đoạn diễn đàn"),
    "forum.update_details": _l("Sửa thông tin diễn đàn"),
    "forum.update_schedule": _l("Sửa lịch diễn đàn"),
    "forum.update_rules": _l("Sửa quy định diễn đàn"),
    "forum.add_theme": _l("Thêm nhóm vấn đề"),
    "forum.update_theme": _l("Sửa nhóm vấn đề"),
    "forum.retire_theme": _l("Ngừng nhóm vấn đề"),
    "forum.restore_theme": _l("Dùng lại nhóm vấn đề"),
    "forum.reorder_themes": _l("Sắp xếp nhóm vấn đề"),
    "auth.login": _l("Đăng nhập thành công"),
    "auth.login_failed": _l("Đăng nhập thất bại"),
    "auth.lockout": _l("Tạm khóa đăng nhập"),
    "auth.logout": _l("Đăng xuất"),
    "auth.code_issued": _l("Cấp mã kích hoạt"),
    "auth.activated": _l("Kích hoạt tài khoản"),
    "auth.password_reset": _l("Đặt lại mật khẩu bằng mã"),
    "proposal.withdraw": _l("Rút hiến kế"),
    "proposal.pin": _l("Ghim hiến kế"),
    "proposal.unpin": _l("Bỏ ghim hiến kế"),
    "proposal.feature": _l("Đưa hiến kế lên Tiêu điểm"),
    "proposal.unfeature": _l("Bỏ hiến kế khỏi Tiêu điểm"),
    "proposal.correct_title": _l("Sửa tiêu đề hiến kế"),
    "proposal.move": _l("Chuyển hiến kế"),
    "answer.save_draft": _l("Lưu nháp trả lời chính thức"),
    "answer.discard_draft": _l("Xóa nháp trả lời chính thức"),
    "answer.publish": _l("Công bố trả lời chính thức"),
    "forum.add_status": _l("Thêm trạng thái hiến kế"),
    "forum.update_status": _l("Sửa trạng thái hiến kế"),
    "proposals.repair_counter": _l("Sửa bộ đếm của hiến kế"),
    "votes.repair_support_count": _l("Sửa số ủng hộ"),
    "moderation.merge_proposals": _l("Gộp hiến kế trùng"),
    "moderation.undo_merge": _l("Hoàn tác gộp hiến kế"),
    "moderation.dismiss_duplicate": _l("Đánh dấu không trùng"),
    "moderation.auto_hide": _l("Tự động ẩn do nhiều báo cáo"),
    "moderation.hide": _l("Ẩn nội dung"),
    "moderation.reject": _l("Không duyệt bài chờ duyệt"),
    "moderation.unhide": _l("Hiện lại nội dung"),
    "moderation.approve": _l("Duyệt nội dung"),
    "moderation.dismiss_reports": _l("Bỏ qua báo cáo vi phạm"),
    "moderation.lock": _l("Khóa thảo luận"),
    "moderation.unlock": _l("Mở khóa thảo luận"),
    "results.freeze": _l("Chốt kết quả diễn đàn"),
    "results.publish": _l("Công bố kết quả diễn đàn"),
    "results.unpublish": _l("Ngừng công bố kết quả diễn đàn"),
    "results.export": _l("Xuất kết quả (Excel, Word, CSV, JSON)"),
    "security.forbidden": _l("Bị từ chối truy cập (403)"),
    "audit.exported": _l("Tải nhật ký kiểm tra (CSV)"),
}

TARGET_LABELS = {
    "users": _l("Tài khoản"),
    "forums": _l("Diễn đàn"),
    "themes": _l("Nhóm vấn đề"),
    "proposals": _l("Hiến kế"),
    "comments": _l("Ý kiến"),
    "duplicate_pairs": _l("Cặp hiến kế có thể trùng"),
}

CONSOLE_ROLE = "console"  # the filter's value for entries with actor_role "" (the console)
ACTOR_ROLE_LABELS = {
    "delegate": _l("Đại biểu"),
    "moderator": _l("Điều hành viên"),
    "organizer": _l("Ban Tổ chức"),
    "admin": _l("Quản trị hệ thống"),
    "anonymous": _l("Khách (chưa đăng nhập)"),
    "": _l("Dòng lệnh trên máy chủ"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def target_label(code: str) -> str:
    label = TARGET_LABELS.get(code)
    return str(label) if label is not None else code


def actor_role_label(code: str) -> str:
    label = ACTOR_ROLE_LABELS.get(code)
    return str(label) if label is not None else code


# The fields an entry's before/after may hold. An unnamed field shows as its code.
FIELD_LABELS = {
    "email": _l("Email"),
    "full_name": _l("Họ và tên"),
    "phone": _l("Số điện thoại"),
    "unit": _l("Đơn vị"),
    "province": _l("Tỉnh, thành phố"),
    "sector": _l("Ngành, lĩnh vực"),
    "union_level": _l("Cấp công đoàn"),
    "delegation": _l("Đoàn đại biểu"),
    "role": _l("Vai trò"),
    "is_active": _l("Đang hoạt động"),
    "forums": _l("Diễn đàn phụ trách"),
    "sessions_ended": _l("Kết thúc các phiên đăng nhập"),
    "trusted_device": _l("Thiết bị đã từng đăng nhập"),
    "scope": _l("Phạm vi"),
    "minutes": _l("Số phút"),
    "purpose": _l("Mục đích"),
    "expires_at": _l("Hết hạn lúc"),
    "file": _l("Tệp"),
    "created": _l("Tạo mới"),
    "updated": _l("Cập nhật"),
    "unchanged": _l("Không đổi"),
    "refused": _l("Bị từ chối"),
    "filters": _l("Bộ lọc"),
    "include_hidden": _l("Kèm hiến kế đã ẩn"),
    "include_withdrawn": _l("Kèm hiến kế đã rút"),
    "method": _l("Phương thức"),
    "path": _l("Đường dẫn"),
    "endpoint": _l("Chức năng"),
    "phase": _l("Giai đoạn"),
    "status": _l("Trạng thái"),
    "title": _l("Tên"),
    "description": _l("Giới thiệu"),
    "held_on": _l("Ngày tổ chức"),
    "time_of_day": _l("Thời gian trong ngày"),
    "venue": _l("Địa điểm"),
    "chairs": _l("Chủ trì"),
    "keynote": _l("Báo cáo đề dẫn"),
    "proposals_open_at": _l("Mở nhận hiến kế"),
    "proposals_close_at": _l("Ngừng nhận hiến kế"),
    "supports_open_at": _l("Bắt đầu nhận ủng hộ"),
    "supports_close_at": _l("Ngừng nhận ủng hộ"),
    "max_supports_per_user": _l("Số hiến kế mỗi người được ủng hộ"),
    "supports_withdrawable": _l("Cho phép rút lại lượt ủng hộ"),
    "hide_tallies_until_closed": _l("Giữ kín số ủng hộ đến khi kết thúc"),
    "edit_window_minutes": _l("Thời hạn sửa bài (phút)"),
    "comments_open": _l("Nhận ý kiến thảo luận"),
    "premoderate_new_accounts": _l("Bài đầu tiên của tài khoản mới chờ duyệt"),
    "supporting_roles": _l("Vai trò được ủng hộ"),
    "theme_id": _l("Nhóm vấn đề"),
    "theme_order": _l("Thứ tự nhóm vấn đề"),
    "support_count": _l("Số ủng hộ"),
    "is_pinned": _l("Được ghim"),
    "is_featured": _l("Tiêu điểm"),
    "forum": _l("Diễn đàn số"),
    "answer": _l("Trả lời chính thức"),
    "code": _l("Mã"),
    "title_en": _l("Tên tiếng Anh"),
    "is_retired": _l("Ngừng sử dụng"),
    "comment_count": _l("Số ý kiến"),
    "is_hidden": _l("Bị ẩn"),
    "is_locked": _l("Khóa thảo luận"),
    "reports": _l("Báo cáo vi phạm đang mở"),
}
VALUE_LABELS = {
    "purpose": {"activation": _l("Kích hoạt tài khoản"), "reset": _l("Đặt lại mật khẩu")},
    "scope": {"device": _l("Trình duyệt này"), "untrusted": _l("Thiết bị lạ")},
}


def field_label(key: str) -> str:
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def value_label(key: str, value) -> str:
    """A stored before/after value as an organizer reads it: yes/no, role and phase names,
    times in Vietnam time; anything else as it is stored."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_l("Có") if value else _l("Không"))
    if isinstance(value, list):
        return ", ".join(value_label(key, item) for item in value) if value else "∅"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if not isinstance(value, str):
        return str(value)
    if value == "":
        return "“”"
    if key in ("role", "supporting_roles") and value in ACTOR_ROLE_LABELS:
        return str(ACTOR_ROLE_LABELS[value])
    if key == "phase" and value in Phase._value2member_map_:
        return Phase(value).label
    if value in VALUE_LABELS.get(key, {}):
        return str(VALUE_LABELS[key][value])
    if _ISO_MOMENT.fullmatch(value):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(get_timezone()).strftime("%d/%m/%Y %H:%M")
    if _ISO_DAY.fullmatch(value):
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    return value


_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
