"""Submitting and editing a proposal: every field's bad inputs, normalisation, and
user-written markup that must never become live HTML."""
import re

import pytest
import sqlalchemy as sa
from markupsafe import escape

from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Proposal
from tests.factories import make_forum
from tests.proposals.helpers import assert_no_live_markup, get_proposal, proposal_count

def free_forum_number() -> int:
    """A forum number not taken yet: the world's forum gets its number from a shared sequence."""
    taken = set(db.session.scalars(sa.select(Forum.number)))
    return min(set(range(1, 11)) - taken)


# Titles and bodies that would be published looking empty (five characters or more, so the
# title's minimum length is not what refuses them).
VISUALLY_BLANK = [
    "\u3164\u3164\u3164\u3164\u3164",  # HANGUL FILLER
    "\u2800 \u2800 \u2800",  # BRAILLE PATTERN BLANK
    "\u115f\u1160\u115f\u1160\u3164",  # Hangul choseong and jungseong fillers
    "\u3000\u3164\u3000\u2800\u3000",  # IDEOGRAPHIC SPACE among fillers
    "\u3164\u200b\ufeff\u3164\u2800",  # zero-width space and byte order mark among fillers
]
VALID = {"title": "Thành lập công đoàn cơ sở ở doanh nghiệp FDI", "body": "Nội dung **cụ thể**."}


@pytest.fixture
def author(world, login_as):
    """An open forum with the client logged in as a delegate who may submit."""
    setting = world(phase="open")
    login_as(setting, "delegate")
    return setting


def _submit(client, setting, **fields):
    data = {**VALID, "theme_id": setting.theme_ids[0], **fields}
    return client.post(setting.new_url, data=data)


def _created(app, response) -> Proposal:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.fullmatch(r"/proposals/(\d+)", response.location)
    assert match, response.location
    return get_proposal(app, int(match.group(1)))


def test_the_form_explains_formatting_and_limits(client, author):
    page = client.get(author.new_url).get_data(as_text=True)
    for example in ("**đậm**", "*nghiêng*", "- danh sách", "1. danh sách số", "[liên kết](https://...)"):
        assert example in page
    assert "20.000 ký tự" in page and 'data-char-counter="20000"' in page
    assert 'name="theme_id"' in page and "Phát triển đoàn viên" in page


def test_a_valid_proposal_is_published_and_shown(app, client, author):
    response = _submit(client, author)
    proposal = _created(app, response)
    assert proposal.title == VALID["title"]
    assert proposal.body_html == "<p>Nội dung <strong>cụ thể</strong>.</p>"
    assert proposal.theme_id == author.theme_ids[0]
    page = client.get(response.location).get_data(as_text=True)
    assert "Đã gửi hiến kế của bạn" in page
    assert "<strong>cụ thể</strong>" in page


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"title": ""}, "Vui lòng nhập tiêu đề."),
        ({"title": "   \t  "}, "Vui lòng nhập tiêu đề."),
        ({"title": "\u200b\x07"}, "Vui lòng nhập tiêu đề."),
        ({"title": "Ngắn"}, "Tiêu đề quá ngắn"),
        ({"title": "x" * 201}, "Tiêu đề dài 201 ký tự, vượt quá giới hạn 200 ký tự."),
        ({"body": ""}, "Vui lòng nhập nội dung hiến kế."),
        ({"body": " \n\n \t\n"}, "Vui lòng nhập nội dung hiến kế."),
        ({"body": "x" * 20_001}, "Nội dung dài 20.001 ký tự, vượt quá giới hạn 20.000 ký tự."),
        *[({"title": blank}, "Tiêu đề chỉ gồm khoảng trắng hoặc ký tự không hiển thị.") for blank in VISUALLY_BLANK],
        *[({"body": blank}, "Nội dung hiến kế chỉ gồm khoảng trắng hoặc ký tự không hiển thị.")
          for blank in (*VISUALLY_BLANK, "&nbsp;\n\n&nbsp;")],
        ({"theme_id": ""}, "Vui lòng chọn nhóm vấn đề."),
        ({"theme_id": "abc"}, "Vui lòng chọn nhóm vấn đề."),
        ({"theme_id": "999999"}, "Nhóm vấn đề không thuộc diễn đàn này."),
        ({"theme_id": str(2**31)}, "Vui lòng chọn nhóm vấn đề."),
        ({"theme_id": str(10**30)}, "Vui lòng chọn nhóm vấn đề."),
    ],
)
def test_bad_input_is_refused_with_a_vietnamese_message(app, client, author, fields, message):
    before = proposal_count(app)
    response = _submit(client, author, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "Vui lòng sửa các lỗi dưới đây" in page
    assert proposal_count(app) == before


def test_a_theme_of_another_forum_is_refused(app, client, author):
    with app.app_context():
        other_theme_id = make_forum(number=free_forum_number(), slug="dien-dan-khac").themes[0].id
    response = _submit(client, author, theme_id=str(other_theme_id))
    assert response.status_code == 422
    assert "Nhóm vấn đề không thuộc diễn đàn này" in response.get_data(as_text=True)


def test_the_users_text_is_kept_on_a_validation_error(client, author):
    body = "Dòng một của hiến kế dài.\n\nĐoạn hai với **chữ đậm**."
    title = "Tiêu đề " + "rất dài " * 30
    response = _submit(client, author, title=title, body=body)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert body.replace("\n", "\n") in page.replace("\r\n", "\n")
    assert f'value="{title.strip()}"' in page
    assert f'<option selected value="{author.theme_ids[0]}">' in page


def test_limits_are_inclusive(app, client, author):
    proposal = _created(app, _submit(client, author, title="T" * 200, body="b" * 20_000))
    assert len(proposal.title) == 200 and len(proposal.body) == 20_000


def test_decomposed_vietnamese_is_stored_composed(app, client, author):
    title = "Ca\u0301n bô\u0323 công đoa\u0300n cơ sơ\u0309"
    body = "Nâng cao vai tro\u0300 chu\u0309 tịch"
    proposal = _created(app, _submit(client, author, title=title, body=body))
    assert proposal.title == "Cán bộ công đoàn cơ sở"
    assert proposal.body == "Nâng cao vai trò chủ tịch"


def test_control_characters_and_line_breaks_in_the_title_are_removed(app, client, author):
    proposal = _created(
        app, _submit(client, author, title="Tăng\x00 lương\u202e tối\nthiểu\r\nvùng", body="Nội\x1b dung\r\nhai")
    )
    assert proposal.title == "Tăng lương tối thiểu vùng"
    assert proposal.body == "Nội dung\nhai"


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[bấm vào](javascript:alert(1))",
    '<a href="javascript:alert(1)">bấm</a>',
    "<svg/onload=alert(1)>",
]


def test_html_and_script_in_title_and_body_never_become_markup(app, client, author):
    for payload in HOSTILE:
        response = _submit(client, author, title=f"Tiêu đề {payload}", body=f"Nội dung {payload}")
        proposal = _created(app, response)
        page = client.get(response.location).get_data(as_text=True)
        assert_no_live_markup(page)
        assert_no_live_markup(proposal.body_html)
        assert str(escape(proposal.title)) in page  # the title is shown as the text typed


def test_links_are_marked_nofollow(app, client, author):
    response = _submit(client, author, body="Xem [luật](https://congdoan.vn/luat) và https://vgcl.org.vn")
    _created(app, response)
    page = client.get(response.location).get_data(as_text=True)
    assert page.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://congdoan.vn/luat"' in page


def test_a_forum_without_themes_has_no_theme_field(app, client, login_as, world):
    setting = world(phase="open")
    login_as(setting, "delegate")
    with app.app_context():
        make_forum(number=free_forum_number(), slug="khong-nhom", themes=())
    assert 'name="theme_id"' not in client.get("/forums/khong-nhom/proposals/new").get_data(as_text=True)
    response = client.post("/forums/khong-nhom/proposals/new", data=VALID)
    assert _created(app, response).theme_id is None


def test_unknown_forum_is_404(client, author):
    assert client.get("/forums/khong-ton-tai/proposals/new").status_code == 404


def test_refusal_page_explains_the_phase(client, world, login_as):
    setting = world(phase="voting")
    login_as(setting, "delegate")
    response = client.get(setting.new_url)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "giai đoạn bình chọn" in page
    assert f'href="/forums/{setting.forum_slug}"' in page


# Editing uses the same form --------------------------------------------------------------
@pytest.fixture
def editing(world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    return setting


def test_edit_form_is_prefilled_and_shows_the_deadline(client, editing):
    page = client.get(f"{editing.proposal_url}/edit").get_data(as_text=True)
    assert "Đề xuất **thành lập** Công đoàn cơ sở." in page
    assert "Bạn có thể sửa đến" in page


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"title": " "}, "Vui lòng nhập tiêu đề."),
        ({"title": "y" * 201}, "vượt quá giới hạn 200 ký tự"),
        ({"body": "\t"}, "Vui lòng nhập nội dung hiến kế."),
        ({"title": "\u3164" * 8}, "Tiêu đề chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
        ({"body": "&nbsp;\u2800"}, "Nội dung hiến kế chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
        ({"body": "y" * 20_001}, "vượt quá giới hạn 20.000 ký tự"),
        ({"theme_id": "424242"}, "Nhóm vấn đề không thuộc diễn đàn này."),
    ],
)
def test_edit_refuses_bad_input_and_keeps_the_text(app, client, editing, fields, message):
    data = {"title": "Tiêu đề sau khi sửa", "body": "Nội dung sau khi sửa.", "theme_id": editing.theme_ids[1], **fields}
    response = client.post(f"{editing.proposal_url}/edit", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if "body" not in fields:
        assert "Nội dung sau khi sửa." in page
    assert get_proposal(app, editing.proposal_id).edited_at is None


def test_edit_saves_normalised_text_and_marks_it_edited(app, client, editing):
    response = client.post(
        f"{editing.proposal_url}/edit",
        data={"title": "Tie\u0302u đê\u0300 mới", "body": "<script>x</script> *mới*", "theme_id": editing.theme_ids[1]},
    )
    assert response.status_code == 302
    proposal = get_proposal(app, editing.proposal_id)
    assert proposal.title == "Tiêu đề mới" and proposal.theme_id == editing.theme_ids[1]
    assert proposal.body_html == "<p>&lt;script&gt;x&lt;/script&gt; <em>mới</em></p>"
    page = client.get(editing.proposal_url).get_data(as_text=True)
    assert "đã chỉnh sửa" in page and "Đã lưu thay đổi" in page


def test_proposal_rows_keep_exactly_what_was_stored(app, client, editing):
    """No hidden side effects: editing touches only the edited proposal."""
    client.post(
        f"{editing.proposal_url}/edit",
        data={"title": "Chỉ sửa hiến kế này", "body": "Nội dung.", "theme_id": editing.theme_ids[0]},
    )
    with app.app_context():
        titles = db.session.scalars(sa.select(Proposal.title)).all()
    assert titles == ["Chỉ sửa hiến kế này"]
