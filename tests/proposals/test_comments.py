"""Adding and editing comments through the pages: bad input, replies, refusals, markup."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.core.database import utcnow
from forum.extensions import db
from forum.proposals.models import Comment, Proposal
from tests.factories import make_comment, make_forum, make_proposal, make_user
from tests.proposals.helpers import assert_no_live_markup, comment_count, get_comment, set_fields


@pytest.fixture
def delegate(world, login_as):
    setting = world(phase="open")
    login_as(setting, "delegate")
    return setting


def _post(client, setting, **data):
    return client.post(f"{setting.proposal_url}/comments", data=data)


def test_a_comment_is_added_rendered_and_counted(app, client, delegate):
    response = _post(client, delegate, body="Đề nghị **bổ sung** chỉ tiêu.\n\n- một\n- hai")
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()))
        assert comment.body_html == "<p>Đề nghị <strong>bổ sung</strong> chỉ tiêu.</p>\n<ul>\n<li>một</li>\n<li>hai</li>\n</ul>"
        assert comment.parent_id is None
    assert response.location.endswith(f"#comment-{comment.id}")
    assert comment_count(app, delegate.proposal_id) == (2, 2)
    page = client.get(response.location).get_data(as_text=True)
    assert "Đã gửi ý kiến của bạn" in page and "<strong>bổ sung</strong>" in page


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "Vui lòng nhập nội dung ý kiến."),
        ("  \n\t  \n", "Vui lòng nhập nội dung ý kiến."),
        ("\x00\x07\u200b", "Vui lòng nhập nội dung ý kiến."),
        ("\u3164", "Ý kiến chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
        ("\u2800\n\n\u2800", "Ý kiến chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
        ("&nbsp;", "Ý kiến chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
        ("\u115f\u1160\u3000\ufeff", "Ý kiến chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
        ("y" * 5001, "Ý kiến dài 5.001 ký tự, vượt quá giới hạn 5.000 ký tự."),
    ],
)
def test_bad_comments_are_refused_on_the_page_with_status_422(app, client, delegate, body, message):
    response = _post(client, delegate, body=body)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert "Hiến kế số" in page  # the proposal page itself, re-shown
    assert comment_count(app, delegate.proposal_id) == (1, 1)


def test_an_invalid_comment_keeps_the_text_and_the_reply_target(client, delegate):
    text = "Ý kiến rất dài " + "x" * 5000
    response = _post(client, delegate, body=text, parent_id=delegate.comment_id)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert text in page
    assert f'name="parent_id" type="hidden" value="{delegate.comment_id}"' in page
    assert "Trả lời ý kiến của" in page


def test_five_thousand_characters_are_accepted(app, client, delegate):
    assert _post(client, delegate, body="z" * 5000).status_code == 302


def test_decomposed_text_is_stored_composed_and_controls_removed(app, client, delegate):
    _post(client, delegate, body="Co\u0302ng\x0b đoa\u0300n\u202e cơ sở")
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.body).order_by(Comment.id.desc())) == "Công đoàn cơ sở"


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "<b onclick=alert(1)>b</b>"],
)
def test_comment_markup_is_never_live(app, client, delegate, payload):
    response = _post(client, delegate, body=f"Ý kiến {payload}")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert_no_live_markup(page)
    with app.app_context():
        assert_no_live_markup(db.session.scalar(sa.select(Comment.body_html).order_by(Comment.id.desc())))


def test_comment_links_get_rel_nofollow(client, delegate):
    response = _post(client, delegate, body="Tham khảo https://congdoan.vn/tin-tuc")
    page = client.get(response.location).get_data(as_text=True)
    assert '<a href="https://congdoan.vn/tin-tuc" rel="nofollow ugc noopener">' in page


# Replies ---------------------------------------------------------------------------------
def test_a_reply_to_a_reply_is_attached_to_the_top_level_comment(app, client, delegate):
    with app.app_context():
        proposal = db.session.get(Proposal, delegate.proposal_id)
        reply = make_comment(proposal, make_user(), parent=db.session.get(Comment, delegate.comment_id))
        reply_id = reply.id
    response = _post(client, delegate, body="Trả lời một câu trả lời.", parent_id=reply_id)
    assert response.status_code == 302
    with app.app_context():
        answer = db.session.scalar(sa.select(Comment).where(Comment.body == "Trả lời một câu trả lời."))
        assert answer.parent_id == delegate.comment_id


@pytest.mark.parametrize(
    "case", ["other proposal", "hidden", "missing", "garbage", "beyond PostgreSQL integer", "beyond 64 bits", "negative"]
)
def test_replies_to_bad_parents_are_refused_with_422(app, client, delegate, case):
    with app.app_context():
        if case == "other proposal":
            forum = make_forum(number=7, slug="khac")
            parent_id = make_comment(make_proposal(forum, make_user()), make_user()).id
        elif case == "hidden":
            proposal = db.session.get(Proposal, delegate.proposal_id)
            parent_id = make_comment(proposal, make_user(), is_hidden=True).id
        elif case == "missing":
            parent_id = 999999
        elif case == "garbage":
            parent_id = "1 OR 1=1"
        elif case == "beyond PostgreSQL integer":
            parent_id = str(2**31)
        elif case == "beyond 64 bits":
            parent_id = str(10**30)
        else:
            parent_id = str(-(2**31) - 1)
    before = comment_count(app, delegate.proposal_id)
    response = _post(client, delegate, body="Trả lời không hợp lệ.", parent_id=parent_id)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ý kiến bạn muốn trả lời không tồn tại hoặc đã bị ẩn." in page
    assert "Trả lời không hợp lệ." in page  # the text is kept
    assert comment_count(app, delegate.proposal_id) == before


# Refusals --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields, message",
    [
        ({"is_locked": True}, "đã bị khóa"),
        ({"status": "withdrawn"}, "đã được tác giả rút"),
        ({"status": "merged"}, "đã được xử lý"),  # an official answer does not close it (moderation)
    ],
)
def test_no_comments_on_locked_withdrawn_or_settled_proposals(app, client, delegate, fields, message):
    set_fields(app, Proposal, delegate.proposal_id, **fields)
    response = _post(client, delegate, body="Vẫn muốn góp ý.")
    assert response.status_code == 403
    assert message in response.get_data(as_text=True)
    assert comment_count(app, delegate.proposal_id) == (1, 1)


def test_no_comments_on_a_hidden_proposal_even_for_its_author(app, client, world, login_as):
    setting = world(phase="open", is_hidden=True)
    login_as(setting, "author")
    response = _post(client, setting, body="Tôi bổ sung.")
    assert response.status_code == 403
    assert "đang bị ẩn" in response.get_data(as_text=True)
    assert comment_count(app, setting.proposal_id) == (1, 1)


# Editing ---------------------------------------------------------------------------------
@pytest.fixture
def writer(world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    return setting


def test_the_writer_edits_a_comment(app, client, writer):
    url = f"/comments/{writer.comment_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "Ý kiến đầu tiên của tác giả." in page and "Bạn có thể sửa đến" in page
    response = client.post(url, data={"body": "Ý kiến đã sửa *lại*."})
    assert response.status_code == 302 and response.location.endswith(f"#comment-{writer.comment_id}")
    comment = get_comment(app, writer.comment_id)
    assert comment.body_html == "<p>Ý kiến đã sửa <em>lại</em>.</p>" and comment.edited_at is not None
    assert "đã chỉnh sửa" in client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "Vui lòng nhập nội dung ý kiến."),
        ("   ", "Vui lòng nhập nội dung ý kiến."),
        ("\u3164 \u2800", "Ý kiến chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
        ("q" * 5001, "5.000 ký tự"),
    ],
)
def test_comment_edit_refuses_bad_input(app, client, writer, body, message):
    response = client.post(f"/comments/{writer.comment_id}/edit", data={"body": body})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert get_comment(app, writer.comment_id).edited_at is None


def test_a_hidden_comment_cannot_be_edited_by_its_writer(app, client, writer):
    set_fields(app, Comment, writer.comment_id, is_hidden=True)
    response = client.post(f"/comments/{writer.comment_id}/edit", data={"body": "Sửa lén."})
    assert response.status_code == 403
    assert get_comment(app, writer.comment_id).body != "Sửa lén."


def test_a_hidden_comment_is_404_for_other_delegates(app, client, world, login_as):
    setting = world(phase="open")
    set_fields(app, Comment, setting.comment_id, is_hidden=True)
    login_as(setting, "delegate")
    assert client.get(f"/comments/{setting.comment_id}/edit").status_code == 404


def test_comment_edit_window_expiry(app, client, writer):
    window = app.config["EDIT_WINDOW_MINUTES"]
    set_fields(app, Comment, writer.comment_id, created_at=utcnow() - timedelta(minutes=window, seconds=5))
    response = client.post(f"/comments/{writer.comment_id}/edit", data={"body": "Quá hạn."})
    assert response.status_code == 403
    assert "hết thời hạn" in response.get_data(as_text=True)
    assert f"/comments/{writer.comment_id}/edit" not in client.get(writer.proposal_url).get_data(as_text=True)
