"""The organizer's journey in a real browser (issue 7 item 9): an organizer imports a
roster from an Excel file, prints the delegation's activation codes, a delegate
activates with the printed code on a phone and posts a proposal, another delegate
supports it; the organizer then hides the forum's tallies and the delegate sees no
count anywhere, while the organizer still does. No console or page error is allowed."""
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from forum.auth.models import User
from forum.extensions import db
from tests import factories
from tests.browser.helpers import DESKTOP, PHONE, collect_errors, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FORUM_TITLE = "Đổi mới công tác vận động, tập hợp người lao động vào tổ chức Công đoàn"
DELEGATION = "Đoàn đại biểu Công đoàn tỉnh Đồng Nai"
ROSTER = [
    ("Nguyễn Thị Hồng Nhung", "hongnhung@dongnai.congdoan.vn", "0912345678", "LĐLĐ tỉnh Đồng Nai", "Đồng Nai"),
    ("Trần Văn Đức", "vanduc@dongnai.congdoan.vn", "0987654321", "CĐCS Công ty Changshin", "Đồng Nai"),
    ("Lê Minh Khoa", "minhkhoa@dongnai.congdoan.vn", "0901234567", "CĐCS Công ty Pouchen", "Đồng Nai"),
]
TITLE = "Tổ chức ngày hội kết nạp đoàn viên tại các khu nhà trọ công nhân"
BODY = "Phối hợp với chủ nhà trọ tổ chức ngày hội vào cuối tuần để kết nạp đoàn viên tại chỗ."
NEW_PASSWORD = "mật khẩu mới đủ dài"
COUNT_TEXT = re.compile(r"\d[\d.,]*\s+(?:lượt\s+)?ủng hộ", re.IGNORECASE)


def roster_workbook() -> bytes:
    """The roster as the secretariat's Excel file: Vietnamese headers, one row each."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Họ và tên", "Email", "Điện thoại", "Đơn vị", "Tỉnh/thành phố", "Đoàn đại biểu"])
    for name, email, phone, unit, province in ROSTER:
        sheet.append([name, email, phone, unit, province, DELEGATION])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def world(live_app):
    with live_app.app_context():
        forum = factories.make_forum(
            number=1, slug="doi-moi-van-dong", title=FORUM_TITLE,
            themes=("Phát triển đoàn viên", "Nâng cao chất lượng cán bộ Công đoàn"),
        )
        organizer = factories.make_user(role="organizer", full_name="Phạm Thu Hà")
        return {"forum_id": forum.id, "slug": forum.slug, "organizer": organizer.email}


def test_an_organizer_imports_prints_codes_and_hides_tallies(live_app, live_server, page_factory, world, tmp_path):
    from playwright.sync_api import expect

    staff = page_factory(DESKTOP)
    staff_errors = collect_errors(staff)
    log_in(staff, live_server, world["organizer"], factories.DEFAULT_PASSWORD)

    # 1. Import the roster: a preview first, nothing written until confirmed.
    roster = tmp_path / "danh-sach-dai-bieu.xlsx"
    roster.write_bytes(roster_workbook())
    staff.get_by_role("link", name="Ban Tổ chức").first.click()
    staff.goto(live_server + "/organizer/people/import")
    staff.set_input_files("input[type=file][name=file]", str(roster))
    staff.get_by_role("button", name="Tải lên và xem trước").click()
    staff.wait_for_url("**/organizer/people/import/*")
    for name, *_rest in ROSTER:
        expect(staff.get_by_text(name).first).to_be_visible()
    screenshot(staff, "organizer-1-import-preview-desktop")
    with live_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.delegation == DELEGATION)) == 0
    staff.get_by_role("button", name="Xác nhận nhập").click()
    staff.wait_for_load_state()
    with live_app.app_context():
        imported = db.session.scalars(sa.select(User).where(User.delegation == DELEGATION)).all()
        assert sorted(user.email for user in imported) == sorted(row[1] for row in ROSTER)
        assert all(user.password_hash == "" for user in imported)

    # 2. Print the delegation's codes: the sheet is the only place they show.
    staff.goto(live_server + "/organizer/activation")
    staff.goto(live_server + "/organizer/activation/new?" + f"delegation={DELEGATION}")
    staff.get_by_role("button", name="Tạo mã và mở phiếu in").click()
    staff.wait_for_load_state()
    cards = staff.locator("article.code-card")
    expect(cards).to_have_count(len(ROSTER))
    card = cards.filter(has_text=ROSTER[0][0])
    code = card.locator(".code-card-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    screenshot(staff, "organizer-2-code-sheet-desktop")

    # 3. The delegate activates on a phone by typing the printed code, then posts.
    phone = page_factory(PHONE)
    phone_errors = collect_errors(phone)
    phone.goto(live_server + "/activate")
    phone.locator("input[name=code]").fill(code.lower().replace("-", " "))  # as typed from paper
    phone.locator("input[type=password]").nth(0).fill(NEW_PASSWORD)
    phone.locator("input[type=password]").nth(1).fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Đặt mật khẩu và đăng nhập").click()
    phone.wait_for_url(lambda url: "/activate" not in url)
    expect(phone.get_by_role("button", name="Đăng xuất")).to_be_visible()
    screenshot(phone, "organizer-3-activated-phone")

    phone.goto(f"{live_server}/forums/{world['slug']}/proposals/new")
    phone.get_by_label("Tiêu đề").fill(TITLE)
    phone.get_by_label("Nhóm vấn đề").select_option(label="Phát triển đoàn viên")
    phone.get_by_label("Nội dung hiến kế").fill(BODY)
    phone.get_by_role("button", name="Gửi hiến kế").click()
    phone.wait_for_url("**/proposals/*")
    assert phone.locator("h1").inner_text() == TITLE
    proposal_path = "/proposals/" + phone.url.split("/proposals/")[1].split("?")[0].split("#")[0]

    # Another delegate of the roster supports it (activated at the console, as tested elsewhere).
    with live_app.app_context():
        supporter = db.session.scalar(sa.select(User).where(User.email == ROSTER[1][1]))
        supporter.set_password(NEW_PASSWORD)
        db.session.commit()
    other = page_factory(PHONE)
    log_in(other, live_server, ROSTER[1][1], NEW_PASSWORD)
    other.goto(live_server + proposal_path)
    other.locator("form[data-support-form] button").click()
    expect(other.locator("[data-support-count]")).to_have_text("1")

    # 4. The organizer hides the forum's tallies.
    staff.goto(f"{live_server}/organizer/forums/{world['forum_id']}#rules")
    staff.get_by_label("Giữ kín số ủng hộ đến khi diễn đàn kết thúc").check()
    staff.get_by_role("button", name="Lưu quy định").click()
    staff.wait_for_load_state()
    expect(staff.get_by_label("Giữ kín số ủng hộ đến khi diễn đàn kết thúc")).to_be_checked()

    # 5. The delegate sees no count on the forum page, the proposal page or their profile.
    for path in (f"/forums/{world['slug']}", proposal_path, "/profile", "/"):
        phone.goto(live_server + path)
        assert phone.locator("[data-support-count]").count() == 0, path
        assert not COUNT_TEXT.search(phone.locator("main").inner_text()), path
    screenshot(phone, "organizer-4-hidden-tallies-phone")
    # ... and the organizer still does.
    staff.goto(live_server + proposal_path)
    expect(staff.locator("[data-support-count]")).to_have_text("1")

    assert staff_errors == [] and phone_errors == []
