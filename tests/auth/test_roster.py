"""The delegate roster (forum/auth/roster.py): reading messy files, the preview plan,
applying it, and the upload waiting for confirmation."""
import unicodedata
import zipfile
from datetime import timedelta
import io

import pytest
import sqlalchemy as sa

from forum.auth import roster
from forum.auth.models import RosterUpload, User
from forum.core.audit import AuditEntry
from forum.core.database import utcnow
from forum.core.errors import PermissionDenied
from forum.extensions import db
from tests.auth.roster_files import EXCEL_DATE, HEADER, csv_bytes, person, xlsx_bytes
from tests.factories import make_user


def mangled(text: str) -> str:
    """``text`` as Excel shows UTF-8 opened as Windows-1252 (bytes it has no letter for
    become the control character of the same number, as Windows does)."""
    out = []
    for byte in text.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


def refused_file(filename, data) -> str:
    with pytest.raises(roster.RosterFileError) as error:
        roster.read_roster(filename, data)
    return str(error.value)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# Reading ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bom", [False, True])
def test_utf8_csv_with_or_without_bom(app, bom):
    with app.app_context():
        parsed = roster.read_roster("ds.csv", csv_bytes([person(1)], bom=bom))
    assert parsed.columns[:2] == ["full_name", "email"]
    assert parsed.rows == [(2, person(1))]
    assert parsed.unknown_headers == []


@pytest.mark.parametrize("encoding", ["cp1258", "cp1252"])
def test_windows_encoded_csv_is_refused_with_how_to_save_it(app, encoding):
    header = HEADER if encoding == "cp1258" else ["Full name", "Email"]
    row = person(1, full_name="Lê Văn Hà") if encoding == "cp1258" else ["José Hà", "jose@congdoan.vn"]
    data = csv_bytes([row], header=header, encoding=encoding)
    with app.app_context():
        message = refused_file("ds.csv", data)
    assert "không được lưu bằng bảng mã UTF-8" in message
    assert f"dòng {1 if encoding == 'cp1258' else 2}" in message
    assert "CSV UTF-8" in message


def test_mojibake_is_refused_and_the_message_shows_the_repaired_text(app):
    data = csv_bytes([person(1, full_name=mangled("Nguyễn Thị Hường"))])
    with app.app_context():
        message = refused_file("ds.csv", data)
    assert "hỏng bảng mã" in message
    assert "Nguyễn Thị Hường" in message
    assert "dòng 2" in message


def test_mojibake_in_an_xlsx_is_refused_too(app):
    with app.app_context():
        message = refused_file("ds.xlsx", xlsx_bytes([person(1, unit=mangled("LĐLĐ tỉnh Phú Thọ"))]))
    assert "LĐLĐ tỉnh Phú Thọ" in message


def test_correct_vietnamese_is_never_taken_for_mojibake():
    text = "Nguyễn Văn Đức, Trương Thị Hường, Hà Nội, Ý Yên, ÂU Cơ, Ô Môn, ÊA H'leo, café, 1–2 “x”"
    assert roster.unmangle(text) is None
    assert roster.unmangle(unicodedata.normalize("NFD", text)) is None


def test_utf16_is_refused(app):
    data = csv_bytes([person(1)], encoding="utf-16")
    with app.app_context():
        assert "UTF-16" in refused_file("ds.csv", data)


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_the_separator_is_sniffed(app, delimiter):
    row = person(1, unit="Công đoàn Dệt May, Việt Nam; khu vực phía Bắc")
    with app.app_context():
        parsed = roster.read_roster("ds.csv", csv_bytes([row], delimiter=delimiter))
    assert parsed.rows == [(2, row)]


def test_english_headers_any_case_and_without_diacritics(app):
    header = ["FULL NAME", "e-mail", "Phone", "unit", "PROVINCE", "Sector", "Union level", "Delegation", "Role"]
    vietnamese_plain = ["ho va ten", "EMAIL", "dien thoai", "don vi", "Tinh/Thanh pho", "nganh", "cap cong doan", "doan dai bieu", "vai tro"]
    with app.app_context():
        for headers in (header, vietnamese_plain):
            parsed = roster.read_roster("ds.csv", csv_bytes([person(1)], header=headers))
            assert parsed.columns == list(roster.HEADERS)


def test_unknown_and_numbering_columns(app):
    header = ["STT", "Họ và tên", "Email", "Chức vụ"]
    with app.app_context():
        parsed = roster.read_roster("ds.csv", csv_bytes([["1", "Lê A", "a@congdoan.vn", "Chủ tịch"]], header=header))
    assert parsed.columns == [None, "full_name", "email", None]
    assert parsed.unknown_headers == ["Chức vụ"]


def test_missing_required_columns_refuse_the_file(app):
    with app.app_context():
        message = refused_file("ds.csv", csv_bytes([["Lê A", "LĐLĐ"]], header=["Họ và tên", "Đơn vị"]))
    assert "Thiếu cột bắt buộc: Email" in message


def test_two_columns_for_one_field_refuse_the_file(app):
    with app.app_context():
        message = refused_file("ds.csv", csv_bytes([["a@x.vn", "b@x.vn", "A"]], header=["Email", "E-mail", "Họ tên"]))
    assert "cùng là Email" in message


def test_empty_rows_are_skipped_and_row_numbers_kept(app):
    rows = [person(1), [""] * 9, ["  ", "", "", "", "", "", "", "", ""], person(2)]
    with app.app_context():
        from_csv = roster.read_roster("ds.csv", b"\r\n" + csv_bytes(rows, delimiter=";") + b";;;\r\n")
        from_xlsx = roster.read_roster("ds.xlsx", xlsx_bytes(rows))
    assert [line for line, _cells in from_csv.rows] == [3, 6]
    assert [line for line, _cells in from_xlsx.rows] == [2, 5]


def test_xlsx_dates_and_numeric_phones(app):
    row = person(1, phone=912345678, delegation=EXCEL_DATE, sector=12.0, union_level=2.5)
    with app.app_context():
        parsed = roster.read_roster("ds.xlsx", xlsx_bytes([row], second_sheet=[["ignored"]]))
        values = dict(zip(parsed.columns, parsed.rows[0][1]))
        assert values["phone"] == "912345678"
        assert values["delegation"] == "01/07/2025"
        assert values["sector"] == "12"
        assert values["union_level"] == "2.5"
        plan = roster.plan_roster(parsed, actor=None)
    assert plan.rows[0].values["phone"] == "0912345678"  # the 0 Excel dropped comes back


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("ds.xlsx", b"this is not a spreadsheet", "không phải là tệp Excel .xlsx hợp lệ"),
        ("ds.xlsx", b"PK\x03\x04broken zip", "không phải là tệp Excel .xlsx hợp lệ"),
        ("ds.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "Excel 97–2003"),
        ("ds.pdf", b"%PDF-1.4", "Chỉ nhận tệp .xlsx hoặc .csv"),
        ("ds.csv", b"   \r\n ", "Tệp trống"),
    ],
)
def test_files_that_are_not_rosters(app, filename, data, expected):
    with app.app_context():
        assert expected in refused_file(filename, data)


def test_a_zip_that_is_not_a_workbook(app):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("word/document.xml", "<w:document/>")
    with app.app_context():
        assert "không phải là tệp Excel .xlsx hợp lệ" in refused_file("ds.xlsx", archive.getvalue())


def test_oversized_files_and_too_many_rows(app, monkeypatch):
    with app.app_context():
        assert "Tệp quá lớn (tối đa 5 MB)" in refused_file("ds.csv", b"x" * (roster.MAX_FILE_BYTES + 1))
        monkeypatch.setattr(roster, "MAX_ROWS", 3)
        assert "hơn 3 dòng" in refused_file("ds.csv", csv_bytes([person(n) for n in range(4)]))
        assert len(roster.read_roster("ds.csv", csv_bytes([person(n) for n in range(3)])).rows) == 3


# Planning --------------------------------------------------------------------------------
def plan_of(rows, *, actor=None, header=HEADER):
    return roster.plan_roster(roster.read_roster("ds.csv", csv_bytes(rows, header=header)), actor=actor)


def test_normalisation_nfd_spaces_case(app):
    nfd = unicodedata.normalize("NFD", "  Nguyễn   Thị\u00a0Hường ")
    with app.app_context():
        plan = plan_of([person(1, full_name=nfd, email="  Huong.Nguyen@CongDoan.VN ", province="tp. hồ chí minh",
                               phone="091 234-5678", role="ĐẠI BIỂU")])
    row = plan.rows[0]
    assert row.action == roster.CREATE, row.reasons
    assert row.full_name == "Nguyễn Thị Hường" and unicodedata.is_normalized("NFC", row.full_name)
    assert row.email == "huong.nguyen@congdoan.vn"
    assert row.values["province"] == "Thành phố Hồ Chí Minh"
    assert row.values["phone"] == "0912345678"
    assert row.values["role"] == "delegate"


def test_every_reason_a_row_is_refused(app):
    rows = [
        person(1, email="trung@congdoan.vn"),
        person(2, email="TRUNG@congdoan.vn"),
        person(3, email="khong-phai-email"),
        person(4, full_name="  "),
        person(5, email=""),
        person(6, province="Xứ Đoài"),
        person(7, province="Bình Dương"),
        person(8, role="Chủ tịch"),
        person(9, phone="9.12346E+08"),
        person(10, full_name="A" * 121),
    ]
    with app.app_context():
        plan = plan_of(rows)
    reasons = {row.line: " ".join(row.reasons) for row in plan.rows}
    assert all(row.action == roster.REFUSE for row in plan.rows)
    assert "có ở nhiều dòng trong tệp (cả dòng 3)" in reasons[2]
    assert "(cả dòng 2)" in reasons[3]
    assert "Email “khong-phai-email” không hợp lệ." in reasons[4]
    assert "Thiếu họ và tên." in reasons[5]
    assert "Thiếu email." in reasons[6]
    assert "Không có tỉnh, thành phố “Xứ Đoài”" in reasons[7]
    assert "Tỉnh Bình Dương đã hợp nhất vào Thành phố Hồ Chí Minh từ 01/07/2025" in reasons[8]
    assert "Vai trò “Chủ tịch” không hợp lệ" in reasons[9]
    assert "Số điện thoại “9.12346E+08” không hợp lệ" in reasons[10]
    assert "Họ và tên dài quá 120 ký tự." in reasons[11]
    assert plan.counts == {"refuse": 10, "create": 0, "update": 0, "unchanged": 0}
    assert plan.ordered()[0].line == 2


def test_existing_people_are_updated_by_email_and_empty_cells_keep_values(app):
    with app.app_context():
        same = make_user(email="daibieu1@congdoan.vn", full_name="Nguyễn Văn 1", unit="LĐLĐ tỉnh Phú Thọ",
                         province="Phú Thọ")
        same.phone, same.sector, same.union_level, same.delegation = "0900000001", "Giáo dục", "Công đoàn cấp tỉnh", "Đoàn Phú Thọ"
        moved = make_user(email="daibieu2@congdoan.vn", full_name="Nguyễn Văn Hai", role="moderator")
        moved.phone = "0988888888"
        db.session.commit()
        plan = plan_of([person(1), person(2, phone="", role=""), person(3)])
        by_line = {row.line: row for row in plan.rows}
        assert by_line[2].action == roster.UNCHANGED
        assert by_line[3].action == roster.UPDATE
        assert by_line[3].changes["full_name"] == ("Nguyễn Văn Hai", "Nguyễn Văn 2")
        assert "phone" not in by_line[3].changes  # an empty cell keeps the stored phone
        assert "role" not in by_line[3].changes  # an empty role keeps the moderator
        assert by_line[4].action == roster.CREATE


def test_planning_writes_nothing(app, count_queries):
    with app.app_context():
        make_user(email="daibieu1@congdoan.vn")
        users, audits = count(User), count(AuditEntry)
        with count_queries() as counter:
            plan = plan_of([person(1), person(2)])
        assert all(not statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for statement in counter.statements)
        assert plan.counts["create"] == 1 and plan.counts["update"] == 1
        db.session.rollback()
        assert (count(User), count(AuditEntry)) == (users, audits)


def test_organizers_cannot_hand_out_or_touch_staff_roles(app):
    with app.app_context():
        organizer = make_user(role="organizer")
        make_user(email="bantochuc@congdoan.vn", role="organizer")
        make_user(email="dieuhanh@congdoan.vn", role="moderator")
        rows = [
            person(1, role="Điều hành viên"),
            person(2, email="bantochuc@congdoan.vn"),
            person(3, email="dieuhanh@congdoan.vn", role="Đại biểu"),
            person(4, email="dieuhanh@congdoan.vn".replace("dieuhanh", "dh2"), role="Đại biểu"),
        ]
        plan = plan_of(rows, actor=organizer)
        reasons = {row.line: " ".join(row.reasons) for row in plan.rows}
        assert [row.action for row in plan.rows] == ["refuse", "refuse", "refuse", "create"]
        assert "Chỉ Quản trị hệ thống mới được tạo tài khoản Điều hành viên." in reasons[2]
        assert "tài khoản Ban Tổ chức; chỉ Quản trị hệ thống mới được sửa" in reasons[3]
        assert "đổi vai trò Điều hành viên thành Đại biểu" in reasons[4]


def test_admins_hand_out_roles_but_never_change_an_admin_by_import(app):
    with app.app_context():
        admin = make_user(role="admin")
        make_user(email="quantri@congdoan.vn", role="admin", full_name="Quản Trị")
        plan = plan_of(
            [person(1, role="Ban tổ chức"), person(2, email="quantri@congdoan.vn", role="Đại biểu"),
             person(3, email="quantri@congdoan.vn".replace("quantri", "qt"), role="admin")],
            actor=admin,
        )
        assert [row.action for row in plan.rows] == ["create", "refuse", "create"]
        assert "Không đổi vai trò của tài khoản Quản trị hệ thống" in plan.rows[1].reasons[0]
        console = plan_of([person(2, email="quantri@congdoan.vn", role="moderator")])
        assert console.rows[0].action == roster.REFUSE
        keeps_role = plan_of([person(2, email="quantri@congdoan.vn")])
        assert keeps_role.rows[0].action == roster.UPDATE and "role" not in keeps_role.rows[0].changes


@pytest.mark.parametrize("role", ["delegate", "moderator"])
def test_only_organizers_admins_and_the_console_import(app, role):
    with app.app_context():
        actor = make_user(role=role)
        parsed = roster.read_roster("ds.csv", csv_bytes([person(1)]))
        with pytest.raises(PermissionDenied):
            roster.plan_roster(parsed, actor=actor)
        with pytest.raises(PermissionDenied):
            roster.store_upload(parsed, actor=actor)
        inactive = make_user(role="organizer", is_active=False)
        with pytest.raises(PermissionDenied):
            roster.plan_roster(parsed, actor=inactive)


# Applying --------------------------------------------------------------------------------
def test_applying_creates_passwordless_accounts_updates_and_audits(app, client, auth):
    with app.app_context():
        organizer = make_user(role="organizer")
        make_user(email="daibieu2@congdoan.vn", full_name="Tên Cũ")
        plan = plan_of([person(1), person(2), person(3, email="sai")], actor=organizer)
        result = roster.apply_roster_plan(plan, actor=organizer)
        db.session.commit()
        assert (result.created, result.updated, result.unchanged, result.refused) == (1, 1, 0, 1)
        created = db.session.scalar(sa.select(User).where(User.email == "daibieu1@congdoan.vn"))
        assert created.password_hash == "" and created.role == "delegate" and created.is_active_account
        assert created.province == "Phú Thọ" and created.phone == "0900000001"
        entries = {entry.action: entry for entry in db.session.scalars(sa.select(AuditEntry))}
        assert entries["user.updated"].before == {"full_name": "Tên Cũ", "phone": "", "unit": "LĐLĐ tỉnh Bình Dương",
                                                  "province": "Bình Dương", "sector": "", "union_level": "",
                                                  "delegation": ""}
        assert entries["user.updated"].after["full_name"] == "Nguyễn Văn 2"
        assert "user.created" not in entries  # the import entry stands for the new accounts
        assert entries["users.roster_imported"].after == {"file": "ds.csv", "created": 1, "updated": 1,
                                                          "unchanged": 0, "refused": 1}
        assert all(entry.actor_id == organizer.id and entry.reason == "Nhập danh sách: ds.csv" for entry in entries.values())
    # No password: the imported account cannot log in.
    assert auth.login("daibieu1@congdoan.vn", "").status_code != 302
    assert auth.login("daibieu1@congdoan.vn", "bat-ky-mat-khau").status_code != 302


def test_importing_the_same_file_again_changes_nothing(app):
    data = xlsx_bytes([person(n) for n in range(1, 6)])
    with app.app_context():
        first = roster.plan_roster(roster.read_roster("ds.xlsx", data), actor=None)
        roster.apply_roster_plan(first, actor=None)
        db.session.commit()
        again = roster.plan_roster(roster.read_roster("ds.xlsx", data), actor=None)
        assert again.counts == {"refuse": 0, "create": 0, "update": 0, "unchanged": 5}
        roster.apply_roster_plan(again, actor=None)
        db.session.commit()
        assert count(User) == 5


def test_five_thousand_rows_in_a_bounded_number_of_statements(app, count_queries):
    data = xlsx_bytes([person(n) for n in range(1, 5001)])
    with app.app_context():
        for n in range(1, 51):
            make_user(email=f"daibieu{n}@congdoan.vn", full_name="Cũ")
        parsed = roster.read_roster("ds.xlsx", data)
        with count_queries() as planning:
            plan = roster.plan_roster(parsed, actor=None)
        assert planning.count == 1  # one query for every email of the file
        assert plan.counts == {"refuse": 0, "create": 4950, "update": 50, "unchanged": 0}
        with count_queries() as applying:
            roster.apply_roster_plan(plan, actor=None)
            db.session.commit()
        # One bulk insert for the new accounts; each update has its audit entry (batched
        # on PostgreSQL, one statement each on SQLite).
        assert applying.count <= 10 + 50, applying.count
        assert count(User) == 5000
        assert count(AuditEntry) == 51


# Waiting for confirmation ------------------------------------------------------------------
def test_an_upload_belongs_to_its_uploader_until_it_expires(app):
    with app.app_context():
        organizer, other = make_user(role="organizer"), make_user(role="organizer")
        upload = roster.store_upload(roster.read_roster("ds.csv", csv_bytes([person(1)])), actor=organizer)
        db.session.commit()
        token = upload.token
        assert roster.get_upload(token, actor=organizer) is upload
        assert roster.get_upload(token, actor=other) is None
        assert roster.get_upload("x" * 65, actor=organizer) is None
        assert roster.roster_of(upload).rows == [(2, person(1))]
        upload.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert roster.get_upload(token, actor=organizer) is None
        roster.store_upload(roster.read_roster("ds.csv", csv_bytes([person(2)])), actor=other)
        db.session.commit()
        assert count(RosterUpload) == 1  # the expired one is gone


def test_the_template_file_reads_back_as_one_valid_person(app):
    with app.app_context():
        data = roster.roster_template()
        plan = roster.plan_roster(roster.read_roster("mau.xlsx", data), actor=None)
    assert plan.counts["create"] == 1, plan.rows[0].reasons
    assert plan.rows[0].values["phone"] == "0912345678"
    assert plan.unknown_headers == []


def test_names_that_pass_as_staff_are_refused_by_the_role_they_will_have(app):
    with app.app_context():
        admin = make_user(role="admin")
        make_user(email="daibieu5@congdoan.vn", full_name="Trần Văn Năm", role="moderator")
        make_user(email="daibieu6@congdoan.vn", full_name="Ban tổ chức Nguyễn Sáu", role="organizer")
        plan = plan_of(
            [
                person(1, full_name="Ban tổ chức Nguyễn Văn Một"),  # a new delegate
                person(2, full_name="Điều hành viên Hai", role="Điều hành viên"),  # new staff may
                person(3, full_name="Nguyễn V\u0430n Ba"),  # Cyrillic а
                person(5, full_name="Quản trị Năm"),  # a moderator renamed
                person(6, full_name="Ban tổ chức Nguyễn Sáu", role="Đại biểu"),  # becomes a delegate
            ],
            actor=admin,
        )
        by_line = {row.line: row for row in plan.rows}
        assert [row.action for row in plan.rows] == ["refuse", "create", "refuse", "update", "refuse"]
        assert "chức danh của Ban Tổ chức" in by_line[2].reasons[0]
        assert "nhiều bảng chữ" in by_line[4].reasons[0]
        assert "chức danh của Ban Tổ chức" in by_line[6].reasons[0]
        assert by_line[6].changes == {}
