"""The audit log viewer (/organizer/audit): filters, pages, readable changes, the CSV
download (every matching row, UTF-8 with BOM, formulas neutralised), read-only."""
import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from forum.core.audit import AuditEntry, iter_audit_entries, AuditFilters
from forum.extensions import db
from tests.factories import make_forum, make_user


def _entry(**fields):
    values = {"actor_role": "", "action": "forum.set_phase", "target_type": "", "request_id": "", "client_address": "cli"}
    values.update(fields)
    db.session.add(AuditEntry(**values))


@pytest.fixture
def log(app):
    """Entries at known times (UTC): 29/11/2023 16:59 is 23:59 in Vietnam, 29/11/2023 17:00
    is already 30/11 there."""
    with app.app_context():
        one, two = make_forum(number=1), make_forum(number=2)
        organizer = make_user(role="organizer", full_name="Kiều Thị Lan Phương", email="btc@congdoan.vn")
        admin = make_user(role="admin", full_name="Lương Minh Đức", email="quantri@congdoan.vn")
        delegate = make_user(full_name="Vũ Thị Hương", email="huong@congdoan.vn")
        _entry(actor_id=organizer.id, actor_role="organizer", action="forum.set_phase", target_type="forums",
               target_id=one.id, forum_id=one.id, before={"phase": "draft"}, after={"phase": "open"},
               reason="Khai mạc", request_id="req-one", client_address="10.0.0.1",
               created_at=datetime(2023, 11, 29, 16, 59, tzinfo=UTC))
        _entry(actor_id=admin.id, actor_role="admin", action="user.role_changed", target_type="users",
               target_id=delegate.id, before={"role": "delegate"}, after={"role": "moderator"},
               created_at=datetime(2023, 11, 29, 17, 0, tzinfo=UTC))
        _entry(actor_id=delegate.id, actor_role="delegate", action="security.forbidden", reason="GET /organizer/",
               created_at=datetime(2023, 11, 30, 3, 0, tzinfo=UTC))
        _entry(action="forum.set_phase", target_type="forums", target_id=two.id, forum_id=two.id,
               before={"phase": "open"}, after={"phase": "=cmd|' /C calc'!A0"},
               created_at=datetime(2023, 12, 1, 3, 0, tzinfo=UTC))
        _entry(actor_role="anonymous", action="security.some_future_code", client_address="203.0.113.9",
               created_at=datetime(2023, 12, 2, 3, 0, tzinfo=UTC))
        db.session.commit()
        return {"one": one.id, "two": two.id, "delegate": delegate.id}


@pytest.fixture
def organizer_client(app, client, auth, log):
    auth.login("btc@congdoan.vn")
    with app.app_context():  # the login's own security event is not part of the set-up
        db.session.execute(sa.delete(AuditEntry).where(AuditEntry.action.startswith("auth.")))
        db.session.commit()
    return client


def _rows(html: str) -> list[str]:
    import re

    return re.findall(r'<tr id="entry-\d+">.*?</tr>', html, flags=re.S)


def _get(client, **params):
    response = client.get("/organizer/audit", query_string=params)
    return response, response.get_data(as_text=True)


def test_the_log_lists_newest_first_with_labels_and_changes(organizer_client):
    response, html = _get(organizer_client)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = _rows(html)
    assert len(rows) == 5
    assert ">security.some_future_code</span>" in rows[0]  # an unknown code shows raw
    assert "Khách (chưa đăng nhập)" in rows[0] and "203.0.113.9" in rows[0]
    assert "Dòng lệnh trên máy chủ" in rows[1]
    assert "Chuyển giai đoạn diễn đàn" in rows[4] and "Kiều Thị Lan Phương" in rows[4] and "btc@congdoan.vn" in rows[4]
    assert '<dt title="phase">Giai đoạn</dt>' in rows[4]
    assert "<del>Chuẩn bị</del> → <ins>Đang nhận hiến kế</ins>" in rows[4] and "Khai mạc" in rows[4] and "req-one" in rows[4]
    assert "Đổi vai trò" in rows[3] and "<del>Đại biểu</del> → <ins>Điều hành viên</ins>" in rows[3]


@pytest.mark.parametrize(("params", "count"), [
    ({"actor": "btc@"}, 1),
    ({"actor": "Lương Minh"}, 1),
    ({"actor": "không ai"}, 0),
    ({"role": "admin"}, 1),
    ({"role": "console"}, 1),
    ({"role": "anonymous"}, 1),
    ({"action": "forum.set_phase"}, 2),
    ({"action": "security.forbidden"}, 1),
    ({"target_type": "users"}, 1),
    ({"target_type": "forums", "target_id": "1"}, 1),
    ({"date_from": "30/11/2023", "date_to": "30/11/2023"}, 2),  # Vietnam days, not UTC ones
    ({"date_to": "29/11/2023"}, 1),
    ({"date_from": "01/12/2023"}, 2),
    ({"date_from": "2023-12-02"}, 1),
])
def test_filters(organizer_client, log, params, count):
    response, html = _get(organizer_client, **params)
    assert response.status_code == 200
    assert len(_rows(html)) == count


def test_the_forum_filter(organizer_client, log):
    _response, html = _get(organizer_client, forum=str(log["two"]))
    assert len(_rows(html)) == 1 and "Diễn đàn số 2" in _rows(html)[0]


@pytest.mark.parametrize(("params", "message"), [
    ({"date_from": "31/02/2023"}, "Ngày không hợp lệ"),
    ({"date_to": "hôm qua"}, "Ngày không hợp lệ"),
    ({"date_from": "31/12/9999"}, "Ngày không hợp lệ"),
    ({"date_from": "02/12/2023", "date_to": "01/12/2023"}, "phải sau"),
    ({"target_id": "-1"}, "số nguyên dương"),
    ({"target_id": "99999999999999999999"}, "số nguyên dương"),
])
def test_bad_filters_say_why_and_keep_what_was_typed(organizer_client, params, message):
    response, html = _get(organizer_client, **params)
    assert response.status_code == 400
    assert message in html
    for value in params.values():
        assert f'value="{value}"' in html


def test_unknown_select_values_match_nothing_rather_than_fail(organizer_client):
    response, html = _get(organizer_client, action="khong.co", forum="abc", role="x")
    assert response.status_code == 200 and _rows(html) == []


def test_pages_of_fifty(app, organizer_client):
    with app.app_context():
        for n in range(60):
            _entry(action="proposal.withdraw", reason=f"mục {n}")
        db.session.commit()
    _response, html = _get(organizer_client, action="proposal.withdraw")
    assert len(_rows(html)) == 50 and "mục 59" in html and "Trang 1 / 2" in html
    _response, html = _get(organizer_client, action="proposal.withdraw", page=2)
    assert len(_rows(html)) == 10 and "mục 0" in html


def test_the_page_costs_a_fixed_number_of_queries(app, organizer_client, count_queries):
    _get(organizer_client)
    with count_queries() as few:
        _get(organizer_client)
    with app.app_context():
        for n in range(40):
            _entry(action="user.role_changed", actor_id=log_actor(n), actor_role="admin")
        db.session.commit()
    with count_queries() as many:
        _get(organizer_client)
    assert many.count == few.count


def log_actor(n):
    return db.session.scalar(sa.select(sa.func.min(AuditEntry.actor_id)))


def _csv(response):
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_download_has_every_matching_row_and_is_itself_recorded(app, organizer_client):
    response = organizer_client.get("/organizer/audit.csv", query_string={"action": "forum.set_phase"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:3] == ["Thời gian (giờ Việt Nam)", "Mã mục", "Người thực hiện"]
    assert len(rows) == 3
    first_row = rows[2]  # oldest last
    assert first_row[0] == "29/11/2023 23:59:00"  # Vietnam time
    assert first_row[2:7] == ["Kiều Thị Lan Phương", "btc@congdoan.vn", "Ban Tổ chức", "Chuyển giai đoạn diễn đàn", "forum.set_phase"]
    assert first_row[9] == "1" and first_row[10] == '{"phase": "draft"}' and first_row[12] == "Khai mạc"
    assert rows[1][2] == "Dòng lệnh trên máy chủ" and rows[1][9] == "2"
    with app.app_context():
        (entry,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "audit.exported")).all()
        assert entry.after == {"filters": "action=forum.set_phase"} and entry.actor_role == "organizer"


def test_csv_cells_that_would_run_as_formulas_are_neutralised(app, organizer_client):
    with app.app_context():
        _entry(action="proposal.withdraw", reason="=HYPERLINK(\"http://x\")")
        _entry(action="proposal.withdraw", reason="+1", client_address="-2")
        db.session.commit()
    rows = _csv(organizer_client.get("/organizer/audit.csv", query_string={"action": "proposal.withdraw"}))
    assert [row[12] for row in rows[1:]] == ["'+1", "'=HYPERLINK(\"http://x\")"]
    assert rows[1][14] == "'-2"


def test_the_csv_streams_every_row_in_batches(app):
    with app.app_context():
        for n in range(25):
            _entry(action="proposal.withdraw", reason=str(n))
        db.session.commit()
        reasons = [entry.reason for entry in iter_audit_entries(AuditFilters(action="proposal.withdraw"), batch_size=10)]
    assert reasons == [str(n) for n in reversed(range(25))]


def test_nothing_in_the_app_edits_or_deletes_the_log(app):
    """The viewer has only GET routes, and no route anywhere is named for changing it."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/organizer/audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
        assert "audit" not in rule.endpoint or rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_posting_to_the_log_is_not_allowed(organizer_client, app):
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert organizer_client.open("/organizer/audit", method=method).status_code == 405
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


@pytest.mark.parametrize(("key", "value", "shown"), [
    ("trusted_device", False, "Không"),
    ("is_active", True, "Có"),
    ("expires_at", "2026-12-17T07:49:10+00:00", "17/12/2026 14:49"),  # Vietnam time
    ("proposals_open_at", "2023-11-29T17:00:00", "30/11/2023 00:00"),  # naive is UTC
    ("held_on", "2023-11-30", "30/11/2023"),
    ("purpose", "reset", "Đặt lại mật khẩu"),
    ("supporting_roles", ["delegate", "moderator"], "Đại biểu, Điều hành viên"),
    ("forums", [], "∅"),
    ("phase", "not-a-phase", "not-a-phase"),
    ("venue", "", "“”"),
    ("unknown_field", 3, "3"),
])
def test_changes_read_as_words_and_local_times(app, key, value, shown):
    from forum.admin.audit.labels import field_label, value_label

    with app.test_request_context():
        assert value_label(key, value) == shown
        assert field_label("trusted_device") == "Thiết bị đã từng đăng nhập"
        assert field_label("unknown_field") == "unknown_field"
