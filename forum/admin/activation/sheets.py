"""The XLSX copy of a batch of activation codes (the printable sheet's twin)."""
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from forum.auth.activation.services import IssuedCode

# A cell starting with one of these is a formula (or becomes one) in spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_text(value: str) -> str:
    """Typed text stays text: a leading apostrophe keeps ``=cmd|...`` from running."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass(frozen=True)
class CodeCard:
    """What a card (and an XLSX row) shows, as plain values: taken before the commit,
    after which the accounts would be read again one by one."""

    full_name: str
    unit: str
    email: str
    delegation: str
    code: str
    purpose: str
    expires_at: datetime

    @classmethod
    def of(cls, issued: IssuedCode) -> "CodeCard":
        user = issued.user
        return cls(user.full_name, user.unit, user.email, user.delegation, issued.code, issued.purpose,
                   issued.expires_at)


def codes_workbook(issued: list[CodeCard], *, link_for, local_time) -> bytes:
    """One row per code: delegation, name, unit, login email, code, link, expiry."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Mã kích hoạt")[:31]
    headers = [_("STT"), _("Đoàn đại biểu"), _("Họ và tên"), _("Đơn vị"), _("Email đăng nhập"),
               _("Mã kích hoạt"), _("Liên kết kích hoạt"), _("Hết hạn")]
    widths = [6, 28, 28, 36, 32, 18, 58, 18]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B3131B")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for number, item in enumerate(issued, start=1):
        sheet.append([
            number,
            spreadsheet_text(item.delegation),
            spreadsheet_text(item.full_name),
            spreadsheet_text(item.unit),
            spreadsheet_text(item.email),
            item.code,
            link_for(item.code),
            local_time(item.expires_at),
        ])
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    for row in sheet.iter_rows(min_row=2, min_col=6, max_col=6):
        for cell in row:
            cell.font = Font(name="Courier New", bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
