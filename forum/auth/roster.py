"""The delegate roster: read a CSV or XLSX file, plan what importing it would do, do it.

Three steps, the same for the organizers' pages and ``flask users import``:

1. ``read_roster(filename, data)`` turns the file into rows of cell text, or refuses the
   whole file (``RosterFileError``) with a Vietnamese message: not UTF-8 (a CSV saved as
   Windows-1258/1252), text mangled by a wrong encoding ("Nguyá»…n"), not a real XLSX,
   too large, too many rows, no "Họ và tên"/"Email" column. XLSX files are read by
   openpyxl (first sheet, read-only), never by hand.
2. ``plan_roster(roster, actor=...)`` normalises and checks every row and compares it with
   the database (one query for all the emails): each row becomes *create*, *update*,
   *unchanged* or *refuse*, with the reasons in Vietnamese. It writes nothing.
3. ``apply_roster_plan(plan, actor=...)`` writes the plan in the caller's transaction.

People are matched by email, so importing the same list again updates them instead of
duplicating them. An empty cell leaves the stored value alone (clearing a field is done on
the person's page, never by accident through a half-filled list); an empty role makes a
new person a delegate and keeps an existing person's role. Imported people have no
password: they cannot log in until they activate their account.

Between preview and confirmation the rows wait in ``roster_uploads`` (``store_upload``),
bound to the organizer who uploaded them, so the confirmation needs no second upload and
trusts nothing the browser sends back.
"""
import codecs
import csv
import io
import re
import secrets
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from forum.auth.models import Role, RosterUpload, STAFF_ROLES, User, new_session_token
from forum.auth.names import check_display_name
from forum.auth.people import FIELDS, clean_person, field_label, plain_key
from forum.auth.provinces import PROVINCES
from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 60
UPLOAD_LIFETIME = timedelta(hours=2)
EXTENSIONS = (".csv", ".txt", ".xlsx")

CREATE, UPDATE, UNCHANGED, REFUSE = "create", "update", "unchanged", "refuse"
ACTIONS = (REFUSE, CREATE, UPDATE, UNCHANGED)  # the order of a preview: problems first

# Accepted headers per field, compared by ``plain_key`` (no case, no diacritics).
HEADERS = {
    "full_name": ("ho va ten", "ho ten", "ten", "ten dai bieu", "ho va ten dai bieu", "full name", "name"),
    "email": ("email", "e mail", "thu dien tu", "dia chi email", "email address"),
    "phone": ("dien thoai", "so dien thoai", "sdt", "so dt", "dien thoai di dong", "di dong", "phone",
              "phone number", "mobile"),
    "unit": ("don vi", "don vi cong tac", "co quan", "unit", "organization", "organisation"),
    "province": ("tinh thanh pho", "tinh thanh", "tinh", "tinh tp", "province", "province city"),
    "sector": ("nganh", "linh vuc", "sector"),
    "union_level": ("cap cong doan", "cap", "union level", "level"),
    "delegation": ("doan dai bieu", "doan", "delegation"),
    "role": ("vai tro", "role"),
}  # fmt: skip
# Numbering columns that lists carry and the import does not need.
IGNORED_HEADERS = frozenset({"stt", "tt", "so thu tu", "no", "number", "ghi chu", "note", "notes"})
_HEADER_FIELDS = {alias: name for name, aliases in HEADERS.items() for alias in aliases}

EXAMPLE_ROW = (
    "Nguyễn Văn An", "nguyen.van.an@congdoan.vn", "0912345678", "LĐLĐ tỉnh Phú Thọ", "Phú Thọ",
    "Giáo dục", "Công đoàn cấp tỉnh", "Đoàn Phú Thọ", "Đại biểu",
)  # fmt: skip


class RosterFileError(InvalidAction):
    """The whole file is refused; the message says why and what to do."""


# 1. Reading ----------------------------------------------------------------------------
@dataclass
class RosterFile:
    """A roster as read: the field of each column and the non-empty rows of cell text."""

    filename: str
    columns: list[str | None]  # the field of each column; None for a column left out
    unknown_headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as the spreadsheet shows it, cells)

    def to_json(self) -> dict:
        return {"columns": self.columns, "unknown": self.unknown_headers, "rows": self.rows}

    @classmethod
    def from_json(cls, filename: str, content: dict) -> "RosterFile":
        rows = [(int(line), [str(cell) for cell in cells]) for line, cells in content["rows"]]
        return cls(filename, list(content["columns"]), list(content["unknown"]), rows)


def _save_as_utf8_hint() -> str:
    return _(
        "Trong Excel, chọn Tệp → Lưu thành (Save As), chọn kiểu “CSV UTF-8 (Comma delimited) (*.csv)” "
        "rồi tải tệp đó lên; hoặc tải lên tệp .xlsx."
    )


def read_roster(filename: str, data: bytes) -> RosterFile:
    """Read a roster file into rows; raise ``RosterFileError`` when it cannot be used."""
    filename = PurePath(filename or "").name
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError(
            _("Tệp quá lớn (tối đa %(max)d MB). Hãy chia danh sách thành nhiều tệp.", max=MAX_FILE_BYTES // 1024**2)
        )
    if not data.strip():
        raise RosterFileError(_("Tệp trống."))
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise RosterFileError(
            _("Tệp .xls (Excel 97–2003) không được hỗ trợ. Hãy mở trong Excel và lưu lại thành .xlsx hoặc CSV UTF-8.")
        )
    if suffix and suffix not in EXTENSIONS:
        raise RosterFileError(_("Chỉ nhận tệp .xlsx hoặc .csv (tệp đã chọn: %(name)s).", name=filename))
    if suffix == ".xlsx" or data.startswith(b"PK\x03\x04"):
        table = _xlsx_rows(data)
    else:
        table = _csv_rows(data)
    return _roster_from_table(filename, table)


def _xlsx_rows(data: bytes):
    """(row number, cell texts) of the first sheet, read by openpyxl in read-only mode."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, OSError, EOFError):
        raise RosterFileError(
            _("Tệp không phải là tệp Excel .xlsx hợp lệ (có thể bị hỏng hoặc chỉ đổi đuôi). Hãy lưu lại bằng Excel.")
        ) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some generators write a wrong <dimension>: read every cell
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            while cells and not cells[-1]:
                cells.pop()  # read-only rows are padded to ``max_col``
            yield number, cells
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError):
        raise RosterFileError(_("Không đọc được nội dung tệp Excel. Hãy mở và lưu lại bằng Excel.")) from None
    finally:
        workbook.close()


def _cell_text(value) -> str:
    """A cell as the text a person reads in Excel: dates as dd/mm/yyyy, whole numbers
    without ".0" (a phone number typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _csv_rows(data: bytes):
    """(record number, cells) of a UTF-8 CSV, comma, semicolon or tab separated."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RosterFileError(_("Tệp được lưu ở dạng UTF-16 (“Unicode Text”), không phải CSV UTF-8.") + " " + _save_as_utf8_hint())
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RosterFileError(
            _(
                "Tệp không được lưu bằng bảng mã UTF-8 (lỗi ở dòng %(line)d), có lẽ là Windows-1258 hoặc Windows-1252: "
                "chữ tiếng Việt sẽ bị sai.",
                line=line,
            )
            + " "
            + _save_as_utf8_hint()
        ) from None
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error as error:
        raise RosterFileError(_("Không đọc được tệp CSV ở dòng %(line)d: %(error)s", line=reader.line_num, error=error)) from None


def _sniff_delimiter(text: str) -> str:
    """The separator that splits the header line into the most columns (Excel writes
    ";" where the decimal separator is ",", as on Vietnamese Windows)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: len(next(csv.reader([header], delimiter=delimiter), [])) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda delimiter: (counts[delimiter], delimiter == ","))


def _roster_from_table(filename: str, table) -> RosterFile:
    header = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in table:
        if not any(cell.strip() for cell in cells):
            continue  # empty rows, wherever they are
        _refuse_mojibake(number, cells)
        if header is None:
            header = (number, cells)
            continue
        if len(rows) >= MAX_ROWS:
            raise RosterFileError(
                _("Tệp có hơn %(max)s dòng. Hãy chia danh sách thành nhiều tệp.", max=f"{MAX_ROWS:,}".replace(",", "."))
            )
        rows.append((number, cells))
    if header is None:
        raise RosterFileError(_("Tệp không có dòng tiêu đề nào."))
    columns, unknown = _map_header(header[1])
    width = len(columns)
    return RosterFile(filename, columns, unknown, [(number, (cells + [""] * width)[:width]) for number, cells in rows])


def _map_header(cells: list[str]) -> tuple[list[str | None], list[str]]:
    columns: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for cell in cells:
        key = plain_key(cell)
        name = _HEADER_FIELDS.get(key)
        if name is None:
            if key and key not in IGNORED_HEADERS:
                unknown.append(cell.strip())
        elif name in seen:
            raise RosterFileError(
                _("Hai cột “%(first)s” và “%(second)s” cùng là %(field)s; hãy giữ một cột.",
                  first=seen[name], second=cell.strip(), field=field_label(name))
            )
        else:
            seen[name] = cell.strip()
        columns.append(name)
    missing = [field_label(name) for name in ("full_name", "email") if name not in seen]
    if missing:
        raise RosterFileError(
            _(
                "Thiếu cột bắt buộc: %(missing)s. Dòng đầu tiên có dữ liệu phải là tiêu đề cột "
                "(ví dụ: Họ và tên, Email, Số điện thoại, Đơn vị, Tỉnh/thành phố, Ngành, Cấp công đoàn, "
                "Đoàn đại biểu, Vai trò).",
                missing=", ".join(missing),
            )
        )
    return columns, unknown


# Text that was UTF-8, read as Windows-1252 (or Latin-1) and saved again: every byte of
# a Vietnamese letter became a character of its own ("ễ" → "á»…").
_CP1252_BYTE = {}
for _byte in range(0x80, 0x100):
    try:
        _CP1252_BYTE[bytes([_byte]).decode("cp1252")] = _byte
    except UnicodeDecodeError:
        pass
    _CP1252_BYTE.setdefault(chr(_byte), _byte)
del _byte
_SUSPECT_RUN = re.compile("[" + re.escape("".join(_CP1252_BYTE)) + "]{2,}")


def _is_vietnamese_letter(char: str) -> bool:
    code = ord(char)
    return 0xC0 <= code <= 0x1B0 or 0x1EA0 <= code <= 0x1EF9 or 0x300 <= code <= 0x323


def unmangle(text: str) -> str | None:
    """``text`` with its mangled Vietnamese repaired, or None when nothing is mangled.

    Correct Vietnamese never matches: its letters are never UTF-8 continuation bytes."""
    found = False

    def repair(match: re.Match) -> str:
        nonlocal found
        try:
            fixed = bytes(_CP1252_BYTE[char] for char in match.group()).decode("utf-8")
        except UnicodeDecodeError:
            return match.group()
        if not any(_is_vietnamese_letter(char) for char in fixed):
            return match.group()
        found = True
        return fixed

    repaired = _SUSPECT_RUN.sub(repair, text)
    return repaired if found else None


def _refuse_mojibake(number: int, cells: list[str]) -> None:
    for cell in cells:
        if not cell.isascii() and (repaired := unmangle(cell)) is not None:
            raise RosterFileError(
                _(
                    "Chữ tiếng Việt trong tệp đã bị hỏng bảng mã (dòng %(line)d: “%(cell)s”, đúng ra là “%(fixed)s”): "
                    "tệp đã từng được mở bằng bảng mã Windows-1252 rồi lưu lại. Hãy xuất lại từ tệp gốc.",
                    line=number,
                    cell=cell.strip()[:80],
                    fixed=repaired.strip()[:80],
                )
                + " "
                + _save_as_utf8_hint()
            )


# 2. Planning ---------------------------------------------------------------------------
@dataclass
class PlannedRow:
    """What importing one row does. ``changes`` maps each changed field to
    ``(before, after)``; ``reasons`` say why a row is refused; ``notes`` are remarks."""

    line: int
    action: str
    values: dict
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: dict = field(default_factory=dict)
    user: User | None = None

    @property
    def email(self) -> str:
        return self.values.get("email", "")

    @property
    def full_name(self) -> str:
        return self.values.get("full_name", "")


@dataclass
class RosterPlan:
    filename: str
    rows: list[PlannedRow]
    unknown_headers: list[str]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(row.action for row in self.rows)
        return {action: counted.get(action, 0) for action in ACTIONS}

    @property
    def writes_anything(self) -> bool:
        counts = self.counts
        return bool(counts[CREATE] or counts[UPDATE])

    def ordered(self, action: str | None = None) -> list[PlannedRow]:
        """Rows refused first, then created, updated, unchanged; or only ``action``'s."""
        rank = {name: index for index, name in enumerate(ACTIONS)}
        rows = self.rows if action is None else [row for row in self.rows if row.action == action]
        return sorted(rows, key=lambda row: (rank[row.action], row.line))


def may_import(actor) -> bool:
    """Organizers, admins and the console (``None``) import rosters."""
    return actor is None or (actor.is_active and actor.is_organizer)


def _may_set_any_role(actor) -> bool:
    return actor is None or actor.is_admin


def plan_roster(roster: RosterFile, *, actor, progress: Callable[[int], None] | None = None) -> RosterPlan:
    """What importing ``roster`` would do, row by row; writes nothing.

    The existing accounts of every email in the file are read in one query.
    """
    if not may_import(actor):
        raise PermissionDenied(_("Chỉ Ban Tổ chức và Quản trị hệ thống mới được nhập danh sách đại biểu."))
    planned: list[PlannedRow] = []
    for line, cells in roster.rows:
        raw = {name: cell for name, cell in zip(roster.columns, cells) if name is not None}
        values, reasons = clean_person(raw)
        planned.append(PlannedRow(line, REFUSE if reasons else CREATE, values, reasons))
    _refuse_duplicates(planned)
    emails = {row.email for row in planned if row.action != REFUSE}
    existing = (
        {user.email: user for user in db.session.scalars(sa.select(User).where(User.email.in_(emails)))}
        if emails
        else {}
    )
    for index, row in enumerate(planned, start=1):
        if row.action != REFUSE:
            _decide(row, existing.get(row.email), actor)
        if progress is not None and index % 500 == 0:
            progress(500)
    if progress is not None and len(planned) % 500:
        progress(len(planned) % 500)
    return RosterPlan(roster.filename, planned, roster.unknown_headers)


def _refuse_duplicates(planned: list[PlannedRow]) -> None:
    lines: dict[str, list[int]] = {}
    for row in planned:
        if row.email:
            lines.setdefault(row.email, []).append(row.line)
    for row in planned:
        others = [line for line in lines.get(row.email, ()) if line != row.line]
        if others:
            row.action = REFUSE
            row.reasons.append(
                _("Email %(email)s có ở nhiều dòng trong tệp (cả dòng %(lines)s): không biết dòng nào đúng.",
                  email=row.email, lines=", ".join(map(str, others)))
            )


def _decide(row: PlannedRow, user: User | None, actor) -> None:
    role = row.values.get("role")
    if user is None:
        role = role or Role.DELEGATE.value
        if role in STAFF_ROLES and not _may_set_any_role(actor):
            _refuse(row, _("Chỉ Quản trị hệ thống mới được tạo tài khoản %(role)s.", role=Role(role).label))
            return
        row.values["role"] = role
        if not _name_allowed(row, row.values["full_name"], role):
            return
        row.action = CREATE
        return
    row.user = user
    if user.role in (Role.ORGANIZER, Role.ADMIN) and not _may_set_any_role(actor):
        _refuse(
            row,
            _("Email này là của tài khoản %(role)s; chỉ Quản trị hệ thống mới được sửa tài khoản đó.",
              role=user.role_label),
        )
        return
    if role is not None and role != user.role:
        if user.role == Role.ADMIN:
            _refuse(row, _("Không đổi vai trò của tài khoản Quản trị hệ thống qua nhập danh sách."))
            return
        if not _may_set_any_role(actor) and (role in STAFF_ROLES or user.role in STAFF_ROLES):
            _refuse(
                row,
                _("Chỉ Quản trị hệ thống mới được đổi vai trò %(before)s thành %(after)s.",
                  before=user.role_label, after=Role(role).label),
            )
            return
    for name, value in row.values.items():
        if value in ("", None):
            continue  # an empty cell keeps what is stored
        before = getattr(user, name)
        if value != before:
            row.changes[name] = (before, value)
    if "full_name" in row.changes or "role" in row.changes:
        final_name = row.values.get("full_name") or user.full_name
        if not _name_allowed(row, final_name, row.values.get("role") or user.role):
            row.changes.clear()
            return
    row.action = UPDATE if row.changes else UNCHANGED
    if not user.is_active_account:
        row.notes.append(_("Tài khoản đang bị khóa; nhập danh sách không mở khóa."))


def _name_allowed(row: PlannedRow, full_name: str, role: str) -> bool:
    """The name check applies with the role the person will have after the import: a
    delegate cannot be listed as “Ban Tổ chức …”, a staff member may carry a title."""
    try:
        check_display_name(full_name, role)
    except InvalidAction as refusal:
        _refuse(row, str(refusal))
        return False
    return True


def _refuse(row: PlannedRow, reason: str) -> None:
    row.action = REFUSE
    row.reasons.append(reason)


# 3. Applying ---------------------------------------------------------------------------
@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    refused: int


def apply_roster_plan(plan: RosterPlan, *, actor, progress: Callable[[int], None] | None = None) -> ImportResult:
    """Write ``plan`` (from ``plan_roster`` in this transaction); never commits.

    New accounts go in as one bulk insert. The audit log gets one ``user.updated`` entry
    per changed account, with the changed fields before and after (an update overwrites
    values nobody could otherwise recover), and one ``users.roster_imported`` entry for
    the import: who imported which file, when, with the counts. New accounts get no entry
    each: creating loses nothing (the row holds what was imported, its ``created_at``
    meets the import entry), and 5,000 entries would make the import slow on SQLite,
    where inserts returning ids cannot be batched.
    """
    if not may_import(actor):
        raise PermissionDenied(_("Chỉ Ban Tổ chức và Quản trị hệ thống mới được nhập danh sách đại biểu."))
    reason = _("Nhập danh sách: %(file)s", file=plan.filename) if plan.filename else _("Nhập danh sách")
    now = utcnow()
    created = [
        {
            **{name: row.values.get(name) or "" for name in FIELDS},
            "password_hash": "",
            "is_active_account": True,
            "session_token": new_session_token(),
            "created_at": now,
        }
        for row in plan.rows
        if row.action == CREATE
    ]
    for row in plan.rows:
        if row.action == UPDATE:
            for name, (_before, after) in row.changes.items():
                setattr(row.user, name, after)
    try:
        with db.session.begin_nested():
            if created:
                db.session.execute(sa.insert(User), created)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise InvalidAction(
            _("Một số email vừa được dùng cho tài khoản khác trong lúc nhập. Hãy tải tệp lên lại để xem trước.")
        ) from None
    for row in plan.rows:
        if row.action == UPDATE:
            record_audit(
                "user.updated",
                row.user,
                actor=actor,
                reason=reason,
                before={name: before for name, (before, _after) in row.changes.items()},
                after={name: after for name, (_before, after) in row.changes.items()},
            )
    counts = plan.counts
    result = ImportResult(counts[CREATE], counts[UPDATE], counts[UNCHANGED], counts[REFUSE])
    record_audit("users.roster_imported", None, actor=actor, reason=reason, after={"file": plan.filename, **vars(result)})
    db.session.flush()
    if progress is not None:
        progress(len(plan.rows))
    return result


# Waiting for confirmation --------------------------------------------------------------
def store_upload(roster: RosterFile, *, actor: User) -> RosterUpload:
    """Keep ``roster`` for its uploader's confirmation; drops uploads that expired."""
    if actor is None or not may_import(actor):
        raise PermissionDenied(_("Chỉ Ban Tổ chức và Quản trị hệ thống mới được nhập danh sách đại biểu."))
    now = utcnow()
    db.session.execute(sa.delete(RosterUpload).where(RosterUpload.expires_at < now))
    upload = RosterUpload(
        token=secrets.token_urlsafe(RosterUpload.TOKEN_BYTES),
        uploaded_by_id=actor.id,
        filename=roster.filename[:255],
        content=roster.to_json(),
        created_at=now,
        expires_at=now + UPLOAD_LIFETIME,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def get_upload(token: str, *, actor) -> RosterUpload | None:
    """The unexpired upload ``token`` of ``actor`` (someone else's is None, as unknown)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not token or len(token) > 64:
        return None
    return db.session.scalar(
        sa.select(RosterUpload).where(
            RosterUpload.token == token,
            RosterUpload.uploaded_by_id == actor.id,
            RosterUpload.expires_at > utcnow(),
        )
    )


def roster_of(upload: RosterUpload) -> RosterFile:
    return RosterFile.from_json(upload.filename, upload.content)


def discard_upload(upload: RosterUpload) -> None:
    db.session.delete(upload)


# The template file ----------------------------------------------------------------------
def roster_template() -> bytes:
    """An XLSX with the Vietnamese headers and one example row; a second sheet lists the
    34 provinces and the roles (the import reads the first sheet only)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Danh sách")
    sheet.append([field_label(name) for name in FIELDS])
    sheet.append(list(EXAMPLE_ROW))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGHI", (26, 32, 16, 32, 22, 18, 22, 22, 16)):
        sheet.column_dimensions[letter].width = width
    sheet.column_dimensions["C"].number_format = "@"  # phone numbers as text keep their 0
    sheet["C2"].number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet(_("Hướng dẫn"))
    guide.append([_("Tỉnh/thành phố (từ 01/07/2025)"), _("Vai trò")])
    roles = [role.label for role in Role]
    for index, province in enumerate(PROVINCES):
        guide.append([province, roles[index] if index < len(roles) else None])
    guide.column_dimensions["A"].width = 32
    guide.column_dimensions["B"].width = 22
    for cell in guide[1]:
        cell.font = Font(bold=True)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
