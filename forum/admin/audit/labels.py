"""Vietnamese names of the audit log's codes (actions, object types, roles at the time).

A code missing here shows as the code itself: the log never hides an entry because
nobody named its action yet.
"""
from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "user.created": _l("Tạo tài khoản"),
    "user.registered": _l("Tự đăng ký tài khoản"),
    "user.password_changed": _l("Đổi mật khẩu"),
    "user.role_changed": _l("Đổi vai trò"),
    "user.activated": _l("Mở khoá tài khoản"),  # entries written before the people pages
    "user.reactivated": _l("Mở khoá tài khoản"),
    "user.updated": _l("Sửa thông tin người"),
    "user.deactivated": _l("Khoá tài khoản"),
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
    "auth.lockout": _l("Tạm khoá đăng nhập"),
    "auth.logout": _l("Đăng xuất"),
    "auth.code_issued": _l("Cấp mã kích hoạt"),
    "auth.activated": _l("Kích hoạt tài khoản"),
    "auth.password_reset": _l("Đặt lại mật khẩu bằng mã"),
    "proposal.withdraw": _l("Rút hiến kế"),
    "proposals.repair_counter": _l("Sửa bộ đếm của hiến kế"),
    "votes.repair_support_count": _l("Sửa số ủng hộ"),
    "security.forbidden": _l("Bị từ chối truy cập (403)"),
    "audit.exported": _l("Tải nhật ký kiểm tra (CSV)"),
}

TARGET_LABELS = {
    "users": _l("Tài khoản"),
    "forums": _l("Diễn đàn"),
    "themes": _l("Nhóm vấn đề"),
    "proposals": _l("Hiến kế"),
    "comments": _l("Ý kiến"),
}

CONSOLE_ROLE = "console"  # the filter's value for entries with actor_role "" (the console)
ACTOR_ROLE_LABELS = {
    "delegate": _l("Đại biểu"),
    "moderator": _l("Điều hành viên"),
    "organizer": _l("Ban tổ chức"),
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
