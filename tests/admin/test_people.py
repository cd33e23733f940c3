"""The people pages of the organizer area: who may open and post each of them, the
import from upload to confirmation, and adding, editing, locking one person."""
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from forum.auth import roster
from forum.auth.models import RosterUpload, User
from forum.core.audit import AuditEntry
from forum.core.database import utcnow
from forum.extensions import db
from tests.auth.roster_files import HEADER, csv_bytes, person, xlsx_bytes
from tests.factories import make_user
from tests.helpers import AuthActions

ROLES = ("delegate", "moderator", "organizer", "admin")
STAFF = ("organizer", "admin")


@pytest.fixture
def accounts(app):
    """One account per role, a delegate to act on, and an upload of the organizer."""
    with app.app_context():
        users = {role: make_user(role=role, email=f"{role}@congdoan.vn") for role in ROLES}
        target = make_user(email="target@congdoan.vn", full_name="Người Được Sửa")
        upload = roster.store_upload(roster.read_roster("ds.csv", csv_bytes([person(1)])), actor=users["organizer"])
        db.session.commit()
        return {"emails": {role: user.email for role, user in users.items()}, "target": target.id, "token": upload.token}


def snapshot(app) -> tuple:
    """Everything the people pages may change."""
    with app.app_context():
        users = db.session.execute(
            sa.select(User.email, User.full_name, User.is_active_account, User.session_token, User.role).order_by(User.id)
        ).all()
        uploads = db.session.scalars(sa.select(RosterUpload.token).order_by(RosterUpload.id)).all()
        # Refusals are themselves recorded (security.forbidden): only other entries count.
        audits = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(sa.not_(AuditEntry.action.startswith("security.")))
        )
        return users, uploads, audits


def endpoints(accounts) -> list[tuple[str, str, dict]]:
    target, token = accounts["target"], accounts["token"]
    return [
        ("GET", "/organizer/people", {}),
        ("GET", "/organizer/people/new", {}),
        ("POST", "/organizer/people/new", {"data": {"full_name": "Mới", "email": "moi@congdoan.vn"}}),
        ("GET", f"/organizer/people/{target}", {}),
        ("POST", f"/organizer/people/{target}", {"data": {"full_name": "Tên Khác", "email": "target@congdoan.vn"}}),
        ("POST", f"/organizer/people/{target}/deactivate", {"data": {"confirm": "y"}}),
        ("POST", f"/organizer/people/{target}/reactivate", {}),
        ("GET", "/organizer/people/import", {}),
        ("POST", "/organizer/people/import", {"files": ("ds.csv", csv_bytes([person(2)]))}),
        ("GET", "/organizer/people/import/template.xlsx", {}),
        ("GET", f"/organizer/people/import/{token}", {}),
        ("POST", f"/organizer/people/import/{token}/confirm", {}),
        ("POST", f"/organizer/people/import/{token}/cancel", {}),
    ]


def call(client, method, url, options):
    if "files" in options:
        return upload(client, *options["files"])
    return client.open(url, method=method, data=options.get("data"))


@pytest.mark.parametrize("who", ["anonymous", "delegate", "moderator"])
def test_everyone_but_staff_is_refused_and_nothing_changes(app, client, auth, accounts, who):
    if who != "anonymous":
        auth.login(accounts["emails"][who])
    before = snapshot(app)
    for method, url, options in endpoints(accounts):
        response = call(client, method, url, options)
        if who == "anonymous":
            assert response.status_code == 302, (method, url)
            assert "/login?next=" in response.headers["Location"]
        else:
            assert response.status_code == 403, (method, url)
    assert snapshot(app) == before


@pytest.mark.parametrize("who", STAFF)
def test_organizers_and_admins_use_every_page(app, client, auth, accounts, who):
    auth.login(accounts["emails"][who])
    statuses = {}
    for method, url, options in endpoints(accounts):
        response = call(client, method, url, options)
        statuses[(method, url)] = response.status_code
        assert response.headers["Cache-Control"] == "no-store"
    target, token = accounts["target"], accounts["token"]
    assert statuses[("GET", "/organizer/people")] == 200, statuses
    assert statuses[("POST", "/organizer/people/new")] == 302
    assert statuses[("POST", f"/organizer/people/{target}")] == 302
    assert statuses[("POST", f"/organizer/people/{target}/deactivate")] == 302
    assert statuses[("POST", f"/organizer/people/{target}/reactivate")] == 302
    assert statuses[("POST", "/organizer/people/import")] == 302
    assert statuses[("GET", "/organizer/people/import/template.xlsx")] == 200
    # The upload is the organizer's own: an admin sees it as unknown, like an expired one.
    assert statuses[("GET", f"/organizer/people/import/{token}")] == (200 if who == "organizer" else 302)
    with app.app_context():
        emails = set(db.session.scalars(sa.select(User.email)))
        assert {"moi@congdoan.vn"} <= emails
        assert ("daibieu1@congdoan.vn" in emails) is (who == "organizer")  # confirmed only by its uploader
        assert db.session.scalar(sa.select(User.full_name).where(User.id == target)) == "Tên Khác"


def test_the_menu_lists_the_people_pages_for_staff_only(client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    assert "Đại biểu và tài khoản" in client.get("/organizer/").get_data(as_text=True)


def test_organizers_may_look_at_but_not_change_staff_accounts(app, client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    with app.app_context():
        admin_id = db.session.scalar(sa.select(User.id).where(User.email == "admin@congdoan.vn"))
    page = client.get(f"/organizer/people/{admin_id}")
    assert page.status_code == 200
    assert "chỉ do Quản trị hệ thống sửa" in page.get_data(as_text=True)
    before = snapshot(app)
    assert client.post(f"/organizer/people/{admin_id}", data={"full_name": "X", "email": "admin@congdoan.vn"}).status_code == 403
    assert client.post(f"/organizer/people/{admin_id}/deactivate", data={"confirm": "y"}).status_code == 403
    assert snapshot(app) == before


def test_unknown_people_are_404(client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    assert client.get("/organizer/people/999999").status_code == 404
    assert client.post("/organizer/people/999999/deactivate", data={"confirm": "y"}).status_code == 404
    assert client.get("/organizer/people/99999999999").status_code == 404


# The list ---------------------------------------------------------------------------------
def test_the_list_filters_and_shows_whether_accounts_are_activated(app, client, auth, accounts):
    with app.app_context():
        imported = make_user(email="chua.kich.hoat@congdoan.vn", full_name="Chưa Kích Hoạt")
        imported.password_hash = ""
        imported.delegation = "Đoàn Huế"
        db.session.commit()
    auth.login(accounts["emails"]["organizer"])
    html = client.get("/organizer/people?delegation=Đoàn Huế").get_data(as_text=True)
    assert "Chưa Kích Hoạt" in html and "Chưa kích hoạt" in html
    assert "Người Được Sửa" not in html
    html = client.get("/organizer/people?q=target&role=delegate&status=active&page=abc").get_data(as_text=True)
    assert "Người Được Sửa" in html and "Chưa Kích Hoạt" not in html
    assert client.get("/organizer/people?role=boss&status=%00").status_code == 200


# One person -----------------------------------------------------------------------------
def test_adding_a_person_keeps_what_was_typed_on_error(app, client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    response = client.post("/organizer/people/new", data={"full_name": "Lê Thị Mai", "email": "TARGET@congdoan.vn",
                                                         "phone": "0912 345 678"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Email này đã được dùng cho một tài khoản khác." in html
    assert 'value="Lê Thị Mai"' in html and 'value="0912 345 678"' in html
    response = client.post("/organizer/people/new", data={"full_name": "Lê Thị Mai", "email": "mai@congdoan.vn",
                                                         "province": "Không Có"})
    assert response.status_code == 422
    assert "Hãy chọn một tỉnh, thành phố trong danh sách." in response.get_data(as_text=True)
    response = client.post("/organizer/people/new", data={"full_name": "Lê Thị Mai", "email": "mai@congdoan.vn",
                                                         "province": "Sơn La", "phone": "0912 345 678", "role": "admin"})
    assert response.status_code == 302
    with app.app_context():
        mai = db.session.scalar(sa.select(User).where(User.email == "mai@congdoan.vn"))
        assert (mai.role, mai.password_hash, mai.phone, mai.province) == ("delegate", "", "0912345678", "Sơn La")
    assert f"/organizer/people/{mai.id}" in response.headers["Location"]


def test_admins_choose_the_role_of_a_new_person(app, client, auth, accounts):
    auth.login(accounts["emails"]["admin"])
    assert 'name="role"' in client.get("/organizer/people/new").get_data(as_text=True)
    client.post("/organizer/people/new", data={"full_name": "Điều Hành", "email": "dh@congdoan.vn", "role": "moderator"})
    with app.app_context():
        assert db.session.scalar(sa.select(User.role).where(User.email == "dh@congdoan.vn")) == "moderator"


def test_the_person_page_includes_the_partials_of_activation_and_roles(app, client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    loader = app.jinja_env.loader
    from jinja2 import ChoiceLoader, DictLoader

    app.jinja_env.loader = ChoiceLoader([
        DictLoader({
            "admin/people/_activation.html": "<p>ACTIVATION {{ person.email }}</p>",
            "admin/people/_roles.html": "<p>ROLES {{ person.email }}</p>",
        }),
        loader,
    ])
    try:
        html = client.get(f"/organizer/people/{accounts['target']}").get_data(as_text=True)
    finally:
        app.jinja_env.loader = loader
    assert "ACTIVATION target@congdoan.vn" in html and "ROLES target@congdoan.vn" in html


def test_locking_needs_the_confirmation_box_and_ends_the_sessions(app, client, auth, accounts):
    victim = app.test_client()
    assert AuthActions(victim).login("target@congdoan.vn").status_code == 302
    assert victim.get("/account/password").status_code == 200
    auth.login(accounts["emails"]["organizer"])
    url = f"/organizer/people/{accounts['target']}/deactivate"
    refused = client.post(url, data={"reason": "Rút tên"})
    assert refused.status_code == 422
    assert "Hãy đánh dấu ô xác nhận để khóa tài khoản." in refused.get_data(as_text=True)
    assert _user(app, "target@congdoan.vn").is_active_account
    assert client.post(url, data={"reason": "Rút tên", "confirm": "y"}).status_code == 302
    assert not _user(app, "target@congdoan.vn").is_active_account
    assert victim.get("/account/password").status_code == 302
    again = client.post(url, data={"confirm": "y"}, follow_redirects=True)
    assert "Tài khoản đã bị khóa từ trước." in again.get_data(as_text=True)
    client.post(f"/organizer/people/{accounts['target']}/reactivate")
    assert _user(app, "target@congdoan.vn").is_active_account


def test_nobody_locks_themselves_from_the_page(app, client, auth, accounts):
    auth.login(accounts["emails"]["admin"])
    admin = _user(app, "admin@congdoan.vn")
    assert "Khóa tài khoản" not in client.get(f"/organizer/people/{admin.id}").get_data(as_text=True)
    client.post(f"/organizer/people/{admin.id}/deactivate", data={"confirm": "y"})
    assert _user(app, "admin@congdoan.vn").is_active_account


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge(user)
        return user


# Importing ------------------------------------------------------------------------------
def upload(client, name, data):
    """Post ``data`` as the file ``name``; the body is encoded in memory (the test client
    would spool a large one to a temporary file that it never closes)."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name)})
    return client.post("/organizer/people/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_upload_preview_confirm(app, client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    rows = [person(1), person(2, email="sai"), person(3, email="target@congdoan.vn", full_name="Người Đã Đổi Tên")]
    response = upload(client, "danh-sach.xlsx", xlsx_bytes(rows))
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    before = snapshot(app)
    preview = client.get(preview_url).get_data(as_text=True)
    assert "Email “sai” không hợp lệ." in preview  # refused rows are shown first
    assert "Xác nhận sẽ thêm 1 người và cập nhật 1 người." in preview
    everything = client.get(preview_url + "?show=all").get_data(as_text=True)
    assert "Người Được Sửa" in everything and "Người Đã Đổi Tên" in everything
    assert snapshot(app) == before  # nothing written before the confirmation
    done = client.post(preview_url + "/confirm")
    assert done.status_code == 302 and done.headers["Location"].endswith("/organizer/people")
    with app.app_context():
        assert db.session.scalar(sa.select(User.full_name).where(User.email == "target@congdoan.vn")) == "Người Đã Đổi Tên"
        assert db.session.scalar(sa.select(User.password_hash).where(User.email == "daibieu1@congdoan.vn")) == ""
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterUpload)) == 1  # the fixture's own
    # Confirmed once: a second confirmation finds nothing to import.
    assert client.post(preview_url + "/confirm").headers["Location"].endswith("/organizer/people/import")


def test_confirmation_checks_the_database_again(app, client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    preview_url = upload(client, "ds.csv", csv_bytes([person(7)])).headers["Location"]
    with app.app_context():  # someone makes the person an organizer after the preview
        make_user(email="daibieu7@congdoan.vn", role="organizer", full_name="Đã Là Ban Tổ Chức")
    response = client.post(preview_url + "/confirm", follow_redirects=True)
    assert "Tệp không có ai để thêm hoặc cập nhật." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(User.full_name).where(User.email == "daibieu7@congdoan.vn")) == "Đã Là Ban Tổ Chức"


def test_an_upload_is_only_its_uploaders_and_expires(app, client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    token = accounts["token"]
    with app.app_context():
        other = make_user(role="organizer", email="khac@congdoan.vn")
        others = roster.store_upload(roster.read_roster("ds.csv", csv_bytes([person(9)])), actor=other)
        db.session.commit()
        others_token = others.token
    response = client.post(f"/organizer/people/import/{others_token}/confirm", follow_redirects=True)
    assert "Bản xem trước không còn" in response.get_data(as_text=True)
    with app.app_context():
        db.session.execute(sa.update(RosterUpload).where(RosterUpload.token == token).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert client.get(f"/organizer/people/import/{token}").headers["Location"].endswith("/organizer/people/import")
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email.in_(["daibieu1@congdoan.vn", "daibieu9@congdoan.vn"]))) is None


def test_cancelling_drops_the_upload(app, client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    token = accounts["token"]
    assert client.post(f"/organizer/people/import/{token}/cancel").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterUpload)) == 0


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("ds.csv", "Họ và tên,Email\nLê Văn Hà,ha@x.vn\n".encode("utf-8").replace("à".encode(), b"\xe0"), "CSV UTF-8"),
        ("ds.xlsx", b"not a workbook", "không phải là tệp Excel .xlsx hợp lệ"),
        ("ds.csv", csv_bytes([["x"]], header=["Tên đơn vị"]), "Thiếu cột bắt buộc"),
    ],
)
def test_refused_files_are_explained_and_nothing_is_stored(app, client, auth, accounts, name, data, message):
    auth.login(accounts["emails"]["organizer"])
    before = snapshot(app)
    response = upload(client, name, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_no_file_and_oversized_files(app, client, auth, accounts, monkeypatch):
    auth.login(accounts["emails"]["organizer"])
    response = client.post("/organizer/people/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Hãy chọn tệp danh sách." in response.get_data(as_text=True)
    big = upload(client, "ds.csv", b"x" * (roster.MAX_FILE_BYTES + 200 * 1024))
    assert big.status_code == 413
    assert "Tệp quá lớn (tối đa 5 MB)" in big.get_data(as_text=True)
    # Above the site's 1 MB form limit but within the roster's 5 MB: accepted.
    rows = [person(n, unit="Công đoàn cơ sở " + "x" * 150) for n in range(1, 6001)]
    data = csv_bytes(rows)
    assert 1024 * 1024 < len(data) < roster.MAX_FILE_BYTES
    assert upload(client, "ds.csv", data).status_code == 302


def test_the_preview_of_five_thousand_rows_is_paged(app, client, auth, accounts, count_queries):
    auth.login(accounts["emails"]["organizer"])
    rows = [person(n) for n in range(1, 5001)] + [person(5001, email="sai")]
    preview_url = upload(client, "ds.xlsx", xlsx_bytes(rows)).headers["Location"]
    with count_queries() as counter:
        page = client.get(preview_url + "?show=create&page=50")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Trang 50 / 50" in html and "daibieu5000@congdoan.vn" in html and "daibieu4900@congdoan.vn" not in html
    assert counter.count <= 6  # session user, upload, one query for all emails of the file
    assert client.post(preview_url + "/confirm").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.password_hash == "")) == 5000


def test_the_template_file(client, auth, accounts):
    auth.login(accounts["emails"]["organizer"])
    response = client.get("/organizer/people/import/template.xlsx")
    assert response.headers["Content-Disposition"] == "attachment; filename=mau-danh-sach-dai-bieu.xlsx"
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert rows[1][1] == "nguyen.van.an@congdoan.vn"
