"""Person services: add, edit, deactivate and reactivate one person; the people list."""
import pytest
import sqlalchemy as sa

from forum.auth import services
from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from tests.auth.helpers import is_logged_in
from tests.factories import make_user

PERSON = {
    "email": " Le.Thi.Mai@CongDoan.vn ",
    "full_name": "Lê  Thị Mai",
    "phone": "912 345 678",
    "unit": "LĐLĐ tỉnh Sơn La",
    "province": "tỉnh sơn la",
    "sector": "Nông nghiệp",
    "union_level": "Công đoàn cấp tỉnh",
    "delegation": "Đoàn Sơn La",
}


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.mark.parametrize(("role", "allowed"), [("delegate", False), ("moderator", False), ("organizer", True), ("admin", True)])
def test_who_may_add_a_person(app, role, allowed):
    with app.app_context():
        actor = make_user(role=role)
        if allowed:
            person = services.create_person(actor=actor, **PERSON)
            assert (person.email, person.full_name, person.phone, person.province) == (
                "le.thi.mai@congdoan.vn", "Lê Thị Mai", "0912345678", "Sơn La")
            assert person.password_hash == "" and person.role == "delegate"
            assert audit_actions() == ["user.created"]
        else:
            with pytest.raises(PermissionDenied):
                services.create_person(actor=actor, **PERSON)
            assert audit_actions() == []
            assert db.session.scalar(sa.select(User).where(User.email == "le.thi.mai@congdoan.vn")) is None


def test_only_admins_add_staff(app):
    with app.app_context():
        organizer, admin = make_user(role="organizer"), make_user(role="admin")
        with pytest.raises(PermissionDenied):
            services.create_person(actor=organizer, role="moderator", **PERSON)
        assert services.create_person(actor=admin, role="moderator", **PERSON).role == "moderator"


def test_bad_fields_and_duplicates_are_refused(app):
    with app.app_context():
        organizer = make_user(role="organizer")
        make_user(email="co.roi@congdoan.vn")
        with pytest.raises(InvalidAction, match="Email này đã được dùng"):
            services.create_person(actor=organizer, **{**PERSON, "email": "CO.ROI@congdoan.vn"})
        with pytest.raises(InvalidAction, match="Thiếu họ và tên.*không hợp lệ"):
            services.create_person(actor=organizer, **{**PERSON, "full_name": " ", "email": "x"})
        with pytest.raises(InvalidAction, match="hợp nhất vào Đà Nẵng"):
            services.create_person(actor=organizer, **{**PERSON, "province": "Quảng Nam"})
        with pytest.raises(InvalidAction, match="chức danh của Ban Tổ chức"):
            services.create_person(actor=organizer, **{**PERSON, "full_name": "Ban Tổ Chức Đại Hội"})
        assert audit_actions() == []


def test_a_new_name_is_checked_against_the_persons_role(app):
    with app.app_context():
        admin = make_user(role="admin")
        delegate, moderator = make_user(), make_user(role="moderator")
        with pytest.raises(InvalidAction, match="chức danh của Ban Tổ chức"):
            services.update_person(delegate, actor=admin, full_name="Điều hành viên Lê Mai")
        with pytest.raises(InvalidAction, match="nhiều bảng chữ"):
            services.update_person(delegate, actor=admin, full_name="L\u0435 Mai")
        assert services.update_person(moderator, actor=admin, full_name="Điều hành viên Lê Mai") is True
        assert services.create_person(actor=admin, role="organizer", **{**PERSON, "full_name": "Ban Tổ chức"}).role == "organizer"
        assert audit_actions() == ["user.updated", "user.created"]


def test_editing_records_before_and_after_and_keeps_an_old_province(app):
    with app.app_context():
        organizer = make_user(role="organizer")
        person = make_user(province="Bình Dương", full_name="Tên Cũ")
        assert services.update_person(person, actor=organizer, full_name="Tên  Mới", province="Bình Dương") is True
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.before, entry.after) == ("user.updated", {"full_name": "Tên Cũ"}, {"full_name": "Tên Mới"})
        assert services.update_person(person, actor=organizer, full_name="Tên Mới") is False
        with pytest.raises(InvalidAction, match="hợp nhất"):
            services.update_person(person, actor=organizer, province="Bình Phước")
        make_user(email="khac@congdoan.vn")
        with pytest.raises(InvalidAction, match="đã được dùng"):
            services.update_person(person, actor=organizer, email="Khac@congdoan.vn")


@pytest.mark.parametrize(
    ("actor_role", "target_role", "allowed"),
    [
        ("organizer", "delegate", True),
        ("organizer", "moderator", True),
        ("organizer", "organizer", False),
        ("organizer", "admin", False),
        ("admin", "organizer", True),
        ("admin", "admin", True),
        ("moderator", "delegate", False),
        ("delegate", "delegate", False),
    ],
)
def test_who_may_edit_and_lock_whom(app, actor_role, target_role, allowed):
    with app.app_context():
        actor, target = make_user(role=actor_role), make_user(role=target_role, full_name="Tên Cũ")
        calls = [
            lambda: services.update_person(target, actor=actor, full_name="Tên Mới"),
            lambda: services.deactivate_user(target, actor=actor),
            lambda: services.reactivate_user(target, actor=actor),
        ]
        for call in calls:
            if allowed:
                call()
            else:
                with pytest.raises(PermissionDenied):
                    call()
        db.session.flush()
        assert audit_actions() == (["user.updated", "user.deactivated", "user.reactivated"] if allowed else [])
        assert target.full_name == ("Tên Mới" if allowed else "Tên Cũ")


def test_deactivation_ends_sessions_blocks_login_and_keeps_what_was_written(app, client, auth):
    with app.app_context():
        person = make_user(email="dai.bieu@congdoan.vn")
        organizer_id = make_user(role="organizer").id
    auth.login("dai.bieu@congdoan.vn")
    assert is_logged_in(client)
    with app.app_context():
        person = db.session.scalar(sa.select(User).where(User.email == "dai.bieu@congdoan.vn"))
        token = person.session_token
        services.deactivate_user(person, actor=db.session.get(User, organizer_id), reason="Rút khỏi đoàn")
        db.session.commit()
        assert person.session_token != token
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.deactivated"))
        assert (entry.reason, entry.before, entry.after) == ("Rút khỏi đoàn", {"is_active": True}, {"is_active": False})
        with pytest.raises(InvalidAction, match="đã bị khóa"):
            services.deactivate_user(person, actor=None)
    assert not is_logged_in(client)
    assert auth.login("dai.bieu@congdoan.vn").status_code != 302
    with app.app_context():
        person = db.session.scalar(sa.select(User).where(User.email == "dai.bieu@congdoan.vn"))
        services.reactivate_user(person, actor=None)
        db.session.commit()
        with pytest.raises(InvalidAction, match="đang hoạt động"):
            services.reactivate_user(person, actor=None)
    assert auth.login("dai.bieu@congdoan.vn").status_code == 302


def test_nobody_locks_themselves_out(app):
    with app.app_context():
        admin = make_user(role="admin")
        with pytest.raises(InvalidAction, match="tự khóa"):
            services.deactivate_user(admin, actor=admin)
        assert admin.is_active_account


def test_people_list_filters_and_pages_in_two_queries(app, count_queries):
    with app.app_context():
        for n in range(1, 56):
            user = make_user(email=f"nguoi{n:02d}@congdoan.vn", full_name=f"Người {n:02d}")
            user.delegation = "Đoàn Hà Nội" if n % 2 else "Đoàn Huế"
        db.session.commit()
        make_user(email="khoa@congdoan.vn", full_name="Bị Khóa", is_active=False)
        db.session.execute(sa.update(User).where(User.email == "nguoi01@congdoan.vn").values(password_hash=""))
        db.session.commit()
        with count_queries() as counter:
            first = services.list_people()
        assert counter.count == 2
        assert (first.total, first.pages, len(first.items)) == (56, 2, 50)
        assert services.list_people(page=2).items[-1].full_name == "Người 55"
        assert services.list_people(page=99).page == 2
        assert services.list_people(query="NGUOI0").total == 9
        assert services.list_people(query="100%").total == 0
        assert services.list_people(delegation="Đoàn Huế").total == 27
        assert [row.email for row in services.list_people(status="inactive").items] == ["khoa@congdoan.vn"]
        assert services.list_people(role="admin").total == 0
        rows = {row.email: row for row in services.list_people(query="nguoi01").items}
        assert rows["nguoi01@congdoan.vn"].has_password is False
        assert services.list_delegations() == ["Đoàn Hà Nội", "Đoàn Huế"]


def test_people_are_listed_by_given_name_in_vietnamese_order(app):
    with app.app_context():
        for name in ("Đỗ Mạnh Hùng", "Lương Minh Đức", "Nguyễn Văn An", "Bùi Thị Ánh", "Lý Văn Dũng", "Trần Văn Ân", "Lê Hà"):
            make_user(full_name=name)
        names = [row.full_name for row in services.list_people().items]
    assert names == ["Nguyễn Văn An", "Bùi Thị Ánh", "Trần Văn Ân", "Lý Văn Dũng", "Lương Minh Đức", "Lê Hà", "Đỗ Mạnh Hùng"]


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("nguyen.van.an@congdoan.vn", True),
        ("a+b_c%d-e@ld-ld.phu-tho.gov.vn", True),
        ("hương@congdoan.vn", True),  # internationalised: email-validator decides
        ("a..b@congdoan.vn", False),
        (".a@congdoan.vn", False),
        ("a@-congdoan.vn", False),
        ("a@congdoan", False),
        ("a@congdoan.test", False),
        ("a@localhost", False),
        ("a b@congdoan.vn", False),
        ("@congdoan.vn", False),
    ],
)
def test_email_checks_agree_with_email_validator(app, email, valid):
    from email_validator import EmailNotValidError, validate_email

    from forum.auth.people import check_email

    with app.app_context():
        assert (check_email(email) is None) is valid
    try:
        validate_email(email, check_deliverability=False)
        validator_says = True
    except EmailNotValidError:
        validator_says = False
    assert validator_says is valid
