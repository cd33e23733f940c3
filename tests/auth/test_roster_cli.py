"""``flask users import FILE [--dry-run]``: the same services as the organizers' pages."""
import sqlalchemy as sa

from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.extensions import db
from tests.auth.roster_files import csv_bytes, person, xlsx_bytes
from tests.factories import make_user


def rows_in(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_dry_run_prints_the_row_reasons_and_writes_nothing(app, runner, tmp_path):
    path = tmp_path / "danh-sach.csv"
    path.write_bytes(csv_bytes([person(1), person(2, email="sai"), person(3, province="Hà Tây")], delimiter=";"))
    result = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dòng 3 · Từ chối · sai: Email “sai” không hợp lệ." in result.output
    assert "Dòng 4 · Từ chối · daibieu3@congdoan.vn: Không có tỉnh, thành phố “Hà Tây”" in result.output
    assert "Dòng 2 · Tạo mới · daibieu1@congdoan.vn: Nguyễn Văn 1" in result.output
    assert "Tạo mới 1, cập nhật 0, không đổi 0, từ chối 2. Chạy thử: chưa ghi gì." in result.output
    assert rows_in(app, User) == 0
    assert rows_in(app, AuditEntry) == 0


def test_import_writes_and_a_second_import_updates(app, runner, tmp_path):
    with app.app_context():
        make_user(email="daibieu2@congdoan.vn", full_name="Tên Cũ")
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx_bytes([person(1), person(2)]))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Dòng 3 · Cập nhật · daibieu2@congdoan.vn: Họ và tên: Tên Cũ → Nguyễn Văn 2" in result.output
    assert "Tạo mới 1, cập nhật 1, không đổi 0, từ chối 0. Đã ghi vào cơ sở dữ liệu." in result.output
    again = runner.invoke(args=["users", "import", str(path)])
    assert "Tạo mới 0, cập nhật 0, không đổi 2, từ chối 0." in again.output
    assert rows_in(app, User) == 2
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions == ["user.updated", "users.roster_imported", "users.roster_imported"]
        assert db.session.scalar(sa.select(AuditEntry.client_address)) == "cli"


def test_a_refused_file_exits_non_zero_with_the_reason(app, runner, tmp_path):
    path = tmp_path / "danh-sach.csv"
    path.write_bytes("Họ và tên,Email\nLê Văn Hà,ha@congdoan.vn\n".encode("utf-8").replace("à".encode(), b"\xe0"))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert "không được lưu bằng bảng mã UTF-8" in result.output
    assert rows_in(app, User) == 0
