"""Activation codes in the organizer area: who may open and use it, the delegation
counts, the printable sheet and its XLSX twin, a new code for one person."""
import base64
import html as html_lib
import re
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask import render_template_string
from openpyxl import load_workbook

from forum.auth.activation import services as codes
from forum.auth.activation.models import ActivationCode
from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.extensions import db
from tests.auth.helpers import issue_code_for, new_unactivated_user
from tests.factories import make_user

ROLES = ("delegate", "moderator", "organizer", "admin")
CODE = re.compile(r'<strong class="code-card-code">([0-9A-Z-]{14})</strong>')
XLSX_LINK = re.compile(r'href="data:application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet;base64,([^"]+)"')


@pytest.fixture
def people(app):
    with app.app_context():
        staff = {role: make_user(role=role).email for role in ROLES}
    roster = {
        "hn1": new_unactivated_user(app, full_name="Nguyễn Văn Bình").id,
        "hn2": new_unactivated_user(app, full_name="Lê Thị An").id,
        "dn": new_unactivated_user(app, full_name="Phạm Văn Cường").id,
    }
    with app.app_context():
        for key, delegation in (("hn1", "Đoàn Hà Nội"), ("hn2", "Đoàn Hà Nội"), ("dn", "Đoàn Đà Nẵng")):
            db.session.get(User, roster[key]).delegation = delegation
        activated = make_user(full_name="Hoàng Văn Đức")
        activated.delegation = "Đoàn Hà Nội"
        roster["activated"] = activated.id
        db.session.commit()
    return staff | roster


def code_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ActivationCode))


def login(client, email):
    assert client.post("/login", data={"email": email, "password": "mat-khau-thu-nghiem"}).status_code == 302


def sheet_codes(html: str) -> list[str]:
    return CODE.findall(html)


def sheet_workbook(html: str):
    match = XLSX_LINK.search(html)
    assert match, "no XLSX download on the sheet"
    return load_workbook(BytesIO(base64.b64decode(html_lib.unescape(match.group(1)))))


# Who may -----------------------------------------------------------------------------------
def requests_for(people):
    return [
        ("GET", "/organizer/activation", None),
        ("GET", "/organizer/activation/new?scope=all", None),
        ("POST", "/organizer/activation/sheet", {"scope": "delegation", "delegation": "Đoàn Hà Nội"}),
        ("POST", "/organizer/activation/sheet", {"scope": "all"}),
        ("POST", f"/organizer/activation/people/{people['dn']}/code", {}),
    ]


@pytest.mark.parametrize("index", range(5))
def test_anonymous_visitors_are_sent_to_login_and_nothing_changes(app, client, people, index):
    method, url, data = requests_for(people)[index]
    response = client.open(url, method=method, data=data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert code_count(app) == 0


@pytest.mark.parametrize("role", ["delegate", "moderator"])
@pytest.mark.parametrize("index", range(5))
def test_delegates_and_moderators_are_refused_and_nothing_changes(app, client, people, role, index):
    login(client, people[role])
    method, url, data = requests_for(people)[index]
    assert client.open(url, method=method, data=data).status_code == 403
    assert code_count(app) == 0


@pytest.mark.parametrize("role", ["organizer", "admin"])
@pytest.mark.parametrize("index", range(5))
def test_organizers_and_admins_may(app, client, people, role, index):
    login(client, people[role])
    method, url, data = requests_for(people)[index]
    response = client.open(url, method=method, data=data)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert code_count(app) == (0 if method == "GET" else {2: 2, 3: 3, 4: 1}[index])


def test_an_organizer_cannot_issue_a_code_for_an_admin(app, client, people):
    login(client, people["organizer"])
    with app.app_context():
        admin_id = db.session.scalar(sa.select(User.id).where(User.email == people["admin"]))
    assert client.post(f"/organizer/activation/people/{admin_id}/code").status_code == 403
    assert code_count(app) == 0
    admin = app.test_client()
    login(admin, people["admin"])
    assert admin.post(f"/organizer/activation/people/{admin_id}/code").status_code == 200


def test_mail_buttons_need_mail(app, client, people):
    login(client, people["organizer"])
    assert client.post("/organizer/activation/mail", data={"scope": "all"}).status_code == 404
    assert client.post(f"/organizer/activation/people/{people['dn']}/code", data={"by_mail": "y"}).status_code == 404
    assert code_count(app) == 0


def test_an_unknown_person_or_a_bad_scope_is_a_clear_4xx(app, client, people):
    login(client, people["organizer"])
    assert client.post("/organizer/activation/people/999999/code").status_code == 404
    assert client.post("/organizer/activation/sheet", data={"scope": "moon"}).status_code == 400
    assert client.get("/organizer/activation/new?scope=moon").status_code == 400
    assert code_count(app) == 0


# The pages -------------------------------------------------------------------------------
def test_the_overview_counts_each_delegation(app, client, people):
    issue_code_for(app, people["dn"])
    login(client, people["organizer"])
    html = client.get("/organizer/activation").get_data(as_text=True)
    rows = {
        cells[0]: cells[1:5]
        for cells in (
            [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
        )
        if cells
    }
    assert rows["Đoàn Hà Nội"] == ["3", "1", "2", "0"]
    assert rows["Đoàn Đà Nẵng"] == ["1", "0", "1", "1"]
    assert list(rows).index("Đoàn Đà Nẵng") < list(rows).index("Đoàn Hà Nội")  # Vietnamese order: Đ after D, before H
    assert rows["Chưa xếp đoàn"][0] == "4"  # the staff accounts


def test_the_confirmation_lists_who_gets_codes_and_warns_about_replaced_ones(app, client, people):
    issue_code_for(app, people["hn1"])
    login(client, people["organizer"])
    html = client.get("/organizer/activation/new", query_string={"delegation": "Đoàn Hà Nội"}).get_data(as_text=True)
    assert "Lê Thị An" in html and "Nguyễn Văn Bình" in html and "Hoàng Văn Đức" not in html
    assert "1 người trong số này đang có mã còn hiệu lực" in html
    html = client.get("/organizer/activation/new", query_string={"delegation": "Đoàn Hà Nội", "include_activated": 1}
                      ).get_data(as_text=True)
    assert "Hoàng Văn Đức" in html


def test_the_sheet_shows_each_code_once_and_they_work(app, client, people):
    login(client, people["organizer"])
    response = client.post("/organizer/activation/sheet", data={"scope": "delegation", "delegation": "Đoàn Hà Nội"})
    html = response.get_data(as_text=True)
    issued = sheet_codes(html)
    assert len(issued) == 2
    assert html.index("Lê Thị An") < html.index("Nguyễn Văn Bình")  # by given name: An before Bình
    assert "/activate/" + issued[0] in html
    assert "Hoàng Văn Đức" not in html
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.code_issued")).all()
        assert len(entries) == 2
    delegate = app.test_client()
    assert delegate.post("/activate", data={"code": issued[0], "new_password": "mat-khau-cua-an-1",
                                            "confirm_password": "mat-khau-cua-an-1"}).status_code == 302


def test_the_xlsx_twin_holds_the_same_batch(app, client, people):
    login(client, people["organizer"])
    html = client.post("/organizer/activation/sheet", data={"scope": "all"}).get_data(as_text=True)
    sheet = sheet_workbook(html).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("STT", "Đoàn đại biểu", "Họ và tên", "Đơn vị", "Email đăng nhập", "Mã kích hoạt",
                       "Liên kết kích hoạt", "Hết hạn")
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width >= 20
    assert [row[2] for row in rows[1:]] == ["Phạm Văn Cường", "Lê Thị An", "Nguyễn Văn Bình"]
    assert [row[5] for row in rows[1:]] == sheet_codes(html)
    assert all(row[6].endswith("/activate/" + row[5]) for row in rows[1:])


def test_spreadsheet_formulas_are_neutralised(app, client, people):
    with app.app_context():
        db.session.get(User, people["dn"]).full_name = "=HYPERLINK(\"http://evil\")"
        db.session.commit()
    login(client, people["organizer"])
    html = client.post("/organizer/activation/sheet", data={"scope": "delegation", "delegation": "Đoàn Đà Nẵng"}
                       ).get_data(as_text=True)
    assert sheet_workbook(html).active["C2"].value.startswith("'=")


def test_generating_again_replaces_the_earlier_sheet(app, client, people):
    login(client, people["organizer"])
    data = {"scope": "delegation", "delegation": "Đoàn Đà Nẵng"}
    first = sheet_codes(client.post("/organizer/activation/sheet", data=data).get_data(as_text=True))
    second = sheet_codes(client.post("/organizer/activation/sheet", data=data).get_data(as_text=True))
    assert first != second
    with app.app_context():
        assert codes.find_usable_code(first[0]) is None
        assert codes.find_usable_code(second[0]) is not None


def test_nobody_left_to_activate_gives_a_message_not_an_empty_sheet(app, client, people):
    login(client, people["organizer"])
    response = client.post("/organizer/activation/sheet", data={"scope": "delegation", "delegation": "Không có"})
    assert response.status_code == 302
    assert "Không có ai cần cấp mã" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_reset_code_for_one_person_shows_once(app, client, people):
    login(client, people["organizer"])
    response = client.post(f"/organizer/activation/people/{people['activated']}/code")
    html = response.get_data(as_text=True)
    assert "Phiếu đặt lại mật khẩu" in html and "Hoàng Văn Đức" in html
    assert len(sheet_codes(html)) == 1


def test_a_locked_account_gets_a_message_and_no_code(app, client, people):
    with app.app_context():
        db.session.get(User, people["dn"]).is_active_account = False
        db.session.commit()
    login(client, people["organizer"])
    response = client.post(f"/organizer/activation/people/{people['dn']}/code",
                           data={"next": "/organizer/activation"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizer/activation")
    assert code_count(app) == 0


# The partial the person page includes --------------------------------------------------------
def render_partial(app, person_id, email):
    with app.test_request_context("/organizer/activation"):
        from forum.auth.safety import start_session

        start_session(db.session.scalar(sa.select(User).where(User.email == email)))
        app.preprocess_request()
        return render_template_string('{% include "admin/people/_activation.html" %}',
                                      person=db.session.get(User, person_id))


def test_the_person_partial_shows_the_state_and_the_button(app, people):
    issue_code_for(app, people["dn"])
    html = render_partial(app, people["dn"], people["organizer"])
    assert "Chưa kích hoạt" in html and "Có mã còn hiệu lực đến" in html
    assert f'action="/organizer/activation/people/{people["dn"]}/code"' in html
    html = render_partial(app, people["activated"], people["organizer"])
    assert "Đã kích hoạt" in html and "Cấp mã đặt lại mật khẩu" in html


def test_the_person_partial_offers_no_button_an_organizer_may_not_use(app, people):
    with app.app_context():
        admin_id = db.session.scalar(sa.select(User.id).where(User.email == people["admin"]))
    html = render_partial(app, admin_id, people["organizer"])
    assert "Đã kích hoạt" in html and "<form" not in html


def test_the_menu_has_the_entry_for_organizers(client, people):
    login(client, people["organizer"])
    assert 'href="/organizer/activation"' in client.get("/organizer/").get_data(as_text=True)


def test_a_batch_reads_the_same_whatever_its_size(app, client, people, count_queries):
    """Statements other than the audit log's (one entry per person, written row by row
    on SQLite) do not grow with the batch: the codes go in with one INSERT and the sheet
    reads nobody again after the commit."""
    login(client, people["organizer"])
    data = {"scope": "delegation", "delegation": "Đoàn Đà Nẵng"}

    def statements() -> list[str]:
        with count_queries() as counter:
            response = client.post("/organizer/activation/sheet", data=data)
        assert response.status_code == 200
        return [s for s in counter.statements if not s.startswith("INSERT INTO audit_entries")]

    one = statements()
    for n in range(6):
        person = new_unactivated_user(app, full_name=f"Đại biểu Đà Nẵng {n}")
        with app.app_context():
            db.session.get(User, person.id).delegation = "Đoàn Đà Nẵng"
            db.session.commit()
    assert len(sheet_codes(client.post("/organizer/activation/sheet", data=data).get_data(as_text=True))) == 7
    assert len(statements()) == len(one)
