"""The proposal page: what it shows to whom, the comment thread, and its query budget."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.core.database import utcnow
from forum.extensions import db
from forum.proposals.models import Comment, Proposal
from tests.factories import make_comment, make_proposal, make_support, make_user
from tests.proposals.helpers import set_fields


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_shows_the_proposal_and_its_context(app, client, world):
    setting = world(phase="open")
    with app.app_context():
        author = db.session.scalar(sa.select(User).where(User.email == setting.emails["author"]))
        author.unit, author.province = "Công đoàn KCN Sóng Thần", "Bình Dương"
        db.session.commit()
    page = _page(client, setting.proposal_url)
    assert "Hiến kế số" in page and "<strong>thành lập</strong>" in page
    assert "Đã đăng" in page  # status badge
    assert f'href="/forums/{setting.forum_slug}"' in page and "Diễn đàn chuyên đề số" in page
    assert "Phát triển đoàn viên" in page  # theme
    assert "Công đoàn KCN Sóng Thần" in page and "Bình Dương" in page
    assert "data-support-count" in page
    assert "đã chỉnh sửa" not in page


def test_unknown_proposal_is_404(client, world):
    world()
    assert client.get("/proposals/999999").status_code == 404


@pytest.mark.parametrize(
    "role, visible",
    [("anonymous", False), ("delegate", False), ("author", True), ("moderator", True), ("organizer", True), ("admin", True)],
)
def test_hidden_proposals_are_404_for_those_who_may_not_see_them(client, world, login_as, role, visible):
    setting = world(phase="open", is_hidden=True)
    login_as(setting, role)
    response = client.get(setting.proposal_url)
    assert response.status_code == (200 if visible else 404)
    if visible:
        assert "đang bị ẩn" in response.get_data(as_text=True)
    # Nor can they act on it.
    if not visible and role != "anonymous":
        assert client.post(f"{setting.proposal_url}/comments", data={"body": "x"}).status_code == 404
        assert client.get(f"/comments/{setting.comment_id}/edit").status_code == 404


def test_the_author_sees_edit_and_withdraw_with_the_deadline(client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    page = _page(client, setting.proposal_url)
    assert f'href="{setting.proposal_url}/edit"' in page
    assert f'href="{setting.proposal_url}/withdraw"' in page
    assert "Bạn có thể sửa đến" in page


@pytest.mark.parametrize("role", ["anonymous", "delegate", "moderator", "admin"])
def test_others_see_neither_edit_nor_withdraw(client, world, login_as, role):
    setting = world(phase="open")
    login_as(setting, role)
    page = _page(client, setting.proposal_url)
    assert f"{setting.proposal_url}/edit" not in page
    assert f"{setting.proposal_url}/withdraw" not in page


def test_support_hides_the_edit_link_but_not_withdraw(app, client, world, login_as):
    setting = world(phase="open")
    with app.app_context():
        make_support(db.session.get(Proposal, setting.proposal_id), make_user())
    login_as(setting, "author")
    page = _page(client, setting.proposal_url)
    assert f"{setting.proposal_url}/edit" not in page
    assert f"{setting.proposal_url}/withdraw" in page
    assert client.get(f"{setting.proposal_url}/edit").status_code == 403
    posted = client.post(
        f"{setting.proposal_url}/edit", data={"title": "Sửa sau khi có ủng hộ", "body": "x", "theme_id": setting.theme_ids[0]}
    )
    assert posted.status_code == 403 and "đã có người ủng hộ" in posted.get_data(as_text=True)


def test_a_withdrawn_proposal_shows_a_banner_and_takes_nothing(app, client, world, login_as):
    setting = world(phase="open", status="withdrawn", withdrawn_at=utcnow())
    login_as(setting, "delegate")
    page = _page(client, setting.proposal_url)
    assert "proposal-banner-withdrawn" in page and "Đã rút" in page
    assert 'id="comment-form"' in page and "Không nhận thêm ý kiến" in page
    assert 'action="/proposals/%d/comments"' % setting.proposal_id not in page
    assert f"/proposals/{setting.proposal_id}/support" not in page  # no support button


def test_a_delegate_can_support_from_the_page(client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "delegate")
    page = _page(client, setting.proposal_url)
    assert f'action="/proposals/{setting.proposal_id}/support"' in page


# The comment thread ----------------------------------------------------------------------
def test_thread_is_oldest_first_with_replies_under_their_parent(app, client, world):
    setting = world(phase="open")
    start = utcnow() - timedelta(hours=1)
    with app.app_context():
        proposal = db.session.get(Proposal, setting.proposal_id)
        first_top = db.session.get(Comment, setting.comment_id)
        first_top.created_at = start
        second_top = make_comment(proposal, make_user(), body="Ý kiến thứ hai.", created_at=start + timedelta(minutes=10))
        late_reply = make_comment(
            proposal, make_user(), body="Trả lời ý kiến đầu.", parent=first_top, created_at=start + timedelta(minutes=20)
        )
        make_comment(proposal, make_user(), body="Trả lời ý kiến hai.", parent=second_top, created_at=start + timedelta(minutes=5))
        db.session.commit()
        ids = (first_top.id, late_reply.id, second_top.id)
    page = _page(client, setting.proposal_url)
    order = [page.index(text) for text in ("Ý kiến đầu tiên", "Trả lời ý kiến đầu.", "Ý kiến thứ hai.", "Trả lời ý kiến hai.")]
    assert order == sorted(order)
    # The reply sits inside its parent's list item, before the next top-level comment.
    first_item = page[page.index(f'id="comment-{ids[0]}"'):page.index(f'id="comment-{ids[2]}"')]
    assert f'id="comment-{ids[1]}"' in first_item and 'class="reply-list"' in first_item
    assert "Ý kiến (4)" in page.replace('<span class="muted">(', "(").replace(")</span>", ")")


def test_reply_link_works_without_javascript(app, client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "delegate")
    page = _page(client, setting.proposal_url)
    reply_url = f"/proposals/{setting.proposal_id}?reply_to={setting.comment_id}#comment-form"
    assert f'href="{reply_url}"' in page
    form_page = _page(client, reply_url.split("#")[0])
    assert "Trả lời ý kiến của" in form_page
    assert f'name="parent_id" type="hidden" value="{setting.comment_id}"' in form_page
    response = client.post(
        f"{setting.proposal_url}/comments", data={"body": "Tôi trả lời.", "parent_id": setting.comment_id}
    )
    assert response.status_code == 302
    with app.app_context():
        reply = db.session.scalar(sa.select(Comment).where(Comment.body == "Tôi trả lời."))
        assert reply.parent_id == setting.comment_id


def test_reply_to_an_unknown_comment_shows_a_plain_comment_form(client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "delegate")
    page = _page(client, f"{setting.proposal_url}?reply_to=999999")
    assert "Trả lời ý kiến của" not in page
    assert 'name="parent_id" type="hidden" value=""' in page


def test_anonymous_visitors_get_a_login_link_back_to_the_comment_form(client, world):
    setting = world(phase="open")
    page = _page(client, setting.proposal_url)
    assert f"/login?next=/proposals/{setting.proposal_id}%23comment-form" in page
    assert "để gửi ý kiến" in page
    assert "Trả lời</a>" not in page


@pytest.mark.parametrize("phase, message", [("voting", "giai đoạn bình chọn"), ("closed", "Diễn đàn đã kết thúc")])
def test_closed_discussion_explains_why(client, world, login_as, phase, message):
    setting = world(phase=phase)
    login_as(setting, "delegate")
    page = _page(client, setting.proposal_url)
    assert message in page and "Không nhận thêm ý kiến" in page
    assert "<textarea" not in page


def test_locked_proposal_explains_why(client, world, login_as):
    setting = world(phase="open", is_locked=True)
    login_as(setting, "delegate")
    page = _page(client, setting.proposal_url)
    assert "đã bị khóa" in page and "<textarea" not in page


@pytest.mark.parametrize(
    "role, sees_it", [("anonymous", False), ("delegate", False), ("moderator", True), ("organizer", True), ("admin", True)]
)
def test_hidden_comments_are_shown_only_to_staff_with_a_badge(app, client, world, login_as, role, sees_it):
    setting = world(phase="open")
    with app.app_context():
        proposal = db.session.get(Proposal, setting.proposal_id)
        hidden = make_comment(proposal, make_user(), body="Ý kiến vi phạm bị ẩn.", is_hidden=True)
        make_comment(proposal, make_user(), body="Trả lời ý kiến bị ẩn.", parent=hidden)
    login_as(setting, role)
    page = _page(client, setting.proposal_url)
    assert ("Ý kiến vi phạm bị ẩn." in page) is sees_it
    assert ("Trả lời ý kiến bị ẩn." in page) is sees_it
    assert ('<span class="badge badge-hidden">Đã ẩn</span>' in page) is sees_it
    assert "Ý kiến đầu tiên của tác giả." in page


def test_the_writer_of_a_hidden_comment_still_sees_it(app, client, world, login_as):
    setting = world(phase="open")
    set_fields(app, Comment, setting.comment_id, is_hidden=True)
    login_as(setting, "author")
    page = _page(client, setting.proposal_url)
    assert "Ý kiến đầu tiên của tác giả." in page and "Đã ẩn" in page


def test_comment_edit_link_only_for_its_writer_within_the_window(client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    assert f'href="/comments/{setting.comment_id}/edit"' in _page(client, setting.proposal_url)
    client.post("/logout")
    login_as(setting, "delegate")
    assert f'href="/comments/{setting.comment_id}/edit"' not in _page(client, setting.proposal_url)


# Query budget ----------------------------------------------------------------------------
def _add_comments(app, proposal_id: int, total: int) -> None:
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        writers = [make_user() for _ in range(3)]
        tops = []
        for n in range(total):
            parent = tops[n % len(tops)] if tops and n % 2 else None
            comment = make_comment(proposal, writers[n % 3], body=f"Ý kiến số {n}", parent=parent)
            if parent is None:
                tops.append(comment)


@pytest.mark.parametrize("role", ["anonymous", "delegate", "author", "moderator"])
def test_query_count_does_not_grow_with_comments(app, client, world, login_as, count_queries, role):
    setting = world(phase="open")
    with app.app_context():
        first = db.session.get(Proposal, setting.proposal_id)
        second = make_proposal(first.forum, first.author)  # same author: same permissions
        few, many = first.id, second.id
    _add_comments(app, few, 5)
    _add_comments(app, many, 50)
    login_as(setting, role)

    counts = []
    for proposal_id in (few, many):
        with count_queries() as counter:
            page = _page(client, f"/proposals/{proposal_id}")
        assert "Ý kiến số 4" in page
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    # proposal (+ forum, theme, author), comments (+ authors); the user, their supports and
    # their unread notifications (the header's count); for a moderator of the forum, the
    # forums they moderate (who sees hidden comments, whether the tools show), the header's
    # count of their moderation queue and the moderator tools' four (forums and themes to
    # move to, the answer draft, the forum's statuses).
    assert counts[0] <= {"anonymous": 2, "moderator": 11}.get(role, 5), counts


def test_author_lines_name_the_province_once(app, client):
    from tests.factories import make_comment, make_forum, make_proposal, make_user

    with app.app_context():
        forum = make_forum(number=1)
        author = make_user(unit="LĐLĐ tỉnh Đồng Nai", province="Đồng Nai")
        other = make_user(unit="CĐ Công ty May 10", province="Hà Nội")
        proposal = make_proposal(forum, author)
        make_comment(proposal, author, body="Ý kiến của tác giả.")
        make_comment(proposal, other, body="Ý kiến của người khác.")
        url = f"/proposals/{proposal.id}"
    page = client.get(url).get_data(as_text=True)
    assert "LĐLĐ tỉnh Đồng Nai, Đồng Nai" not in page
    assert page.count("LĐLĐ tỉnh Đồng Nai ·") == 2  # the proposal and its author's comment
    assert "CĐ Công ty May 10, Hà Nội ·" in page


def test_a_closed_discussion_says_why_once(client, world, login_as):
    """In the voting phase the thread gives one notice, worded once (it read "…không nhận
    thêm hiến kế và ý kiến. Không nhận thêm ý kiến.")."""
    setting = world(phase="voting")
    login_as(setting, "delegate")
    page = _page(client, setting.proposal_url)
    assert page.count("Không nhận thêm ý kiến") == 1
    assert "không nhận thêm hiến kế và ý kiến" not in page
    assert "Diễn đàn đang trong giai đoạn bình chọn. Không nhận thêm ý kiến." in page
