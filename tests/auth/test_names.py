"""Display names cannot pass for staff (forum/auth/names.py): staff titles, look-alike
letters and invisible characters are refused for non-staff; real names pass."""
import pytest

from forum.auth import services
from forum.auth.names import check_display_name, imitates_staff_title
from forum.core.errors import InvalidAction

REAL_NAMES = [
    "Nguyễn Văn Tổ", "Trần Thị Chức", "Bàn Văn Tổ", "Quân Trí", "Nguyễn Quân Trí", "Chu Trí",
    "Nguyễn Thị Diệu Hạnh", "Nguyen Thi Dieu Hanh", "Lê Thu Kỳ", "Nguyen Thu Ky", "Hoàng Bảo Trâm",
    "Đỗ Mạnh Hùng", "Kiều Thị Lan Phương", "Y Moan Niê", "H'Hen Niê", "Nguyễn Văn A", "Lò Văn Pọm",
    "Tô Chúc", "Nguyễn Thị Mộng Điệp", "Ban Văn Chức", "Trần Admon",
]
IMITATIONS = [
    "Ban tổ chức", "BAN TỔ CHỨC", "Ban to chuc", "ban   tổ  chức", "Ban tô chức", "BanTổChức", "Ban.Tổ.Chức",
    "BTC", "B.T.C", "B T C", "BTC Diễn đàn 1", "Quản trị", "Quan tri", "Quản Trị Viên", "Ban quản trị",
    "Điều hành viên", "Dieu hanh vien", "Điều hành Nguyễn", "Admin", "admin Hùng", "Administrator",
    "Moderator", "Thư ký Lan", "Chủ trì", "Hệ thống",
]
# Styled or foreign look-alike letters: refused for everyone, staff titles or not.
STYLED_IMITATIONS = ["Ｂａｎ tổ chức", "ＡＤＭＩＮ", "𝐀𝐝𝐦𝐢𝐧", "Вап тổ chức", "Ваn tổ chức"]
DISGUISED = [
    "Ban\u200btổ chức", "Nguyễn\u200bVăn A", "Nguyễn Văn A\u202e", "\u3164", "Nguyễn\u3164Văn", "Trần\u2800Thị",
    "Lê\u00adVăn", "Nguyễn Văn A\ufe0f", "Nguyễn\u2066Văn\u2069", "Nguyễn\u034fVăn", "Ná\u0301\u0301m",
]
MIXED_SCRIPTS = ["Вan tổ chức", "Nguyễn Vаn A", "Trần Thị Ηoa", "Đỗ Văn Ηùng"]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_pass_for_everyone(name):
    assert not imitates_staff_title(name)
    for role in ("delegate", "moderator", "organizer", "admin"):
        check_display_name(name, role)


@pytest.mark.parametrize("name", IMITATIONS)
def test_staff_titles_are_refused_for_delegates_only(name):
    assert imitates_staff_title(name)
    with pytest.raises(InvalidAction, match="chức danh"):
        check_display_name(name, "delegate")
    for role in ("moderator", "organizer", "admin"):
        check_display_name(name, role)


@pytest.mark.parametrize("name", STYLED_IMITATIONS)
def test_styled_look_alikes_are_refused_even_for_staff(name):
    assert imitates_staff_title(name) or "п" in name
    for role in ("delegate", "admin"):
        with pytest.raises(InvalidAction):
            check_display_name(name, role)


def test_an_all_cyrillic_imitation_reads_as_the_title_it_imitates():
    assert imitates_staff_title("Аdmіn")  # Cyrillic А and і
    assert imitates_staff_title("ВТС")  # Cyrillic В, Т, С
    with pytest.raises(InvalidAction, match="chức danh"):
        check_display_name("ВТС", "delegate")


@pytest.mark.parametrize("name", DISGUISED)
@pytest.mark.parametrize("role", ["delegate", "admin"])
def test_invisible_and_format_characters_are_refused(name, role):
    with pytest.raises(InvalidAction, match="ký tự ẩn"):
        check_display_name(name, role)


@pytest.mark.parametrize("name", MIXED_SCRIPTS)
def test_letters_of_two_alphabets_are_refused(name):
    with pytest.raises(InvalidAction, match="nhiều bảng chữ"):
        check_display_name(name, "delegate")


def test_a_name_typed_with_a_decomposed_keyboard_is_judged_as_composed():
    import unicodedata

    check_display_name(unicodedata.normalize("NFD", "Nguyễn Văn Tổ"), "delegate")
    with pytest.raises(InvalidAction):
        check_display_name(unicodedata.normalize("NFD", "Ban tổ chức"), "delegate")


def test_registration_refuses_an_imitating_name_and_creates_nothing(app):
    from tests.factories import make_user  # noqa: F401  (the app's tables exist)

    app.config["ALLOW_REGISTRATION"] = True
    with app.app_context():
        with pytest.raises(InvalidAction, match="chức danh"):
            services.register_user(
                email="gia@congdoan.vn", full_name="Ban Tổ Chức", unit="", province="", password="mat-khau-du-dai-1"
            )
        assert services.get_user_by_email("gia@congdoan.vn") is None


def test_the_registration_form_shows_the_refusal_and_keeps_what_was_typed(app, client):
    app.config["ALLOW_REGISTRATION"] = True
    response = client.post("/register", data={
        "email": "gia@congdoan.vn", "full_name": "Quản trị viên", "unit": "CĐ cơ sở", "province": "Hà Nội",
        "new_password": "mat-khau-du-dai-1", "confirm_password": "mat-khau-du-dai-1",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "chức danh" in html
    assert 'value="gia@congdoan.vn"' in html


def test_admins_may_create_staff_accounts_named_with_a_title(app):
    from tests.factories import make_user

    with app.app_context():
        admin = make_user(role="admin")
        user = services.create_user(
            email="btc@congdoan.vn", full_name="Ban Tổ chức Đại hội", role="organizer", password="mat-khau-du-dai-1", actor=admin
        )
        assert user.full_name == "Ban Tổ chức Đại hội"
        with pytest.raises(InvalidAction, match="chức danh"):
            services.create_user(
                email="gia@congdoan.vn", full_name="Ban Tổ chức", role="delegate", password="mat-khau-du-dai-1", actor=admin
            )
