"""Per-forum rules, each enforced once in the services with its Vietnamese message:
supports per user, withdrawable supports, who may support, the supports' opening time,
comments, the edit window, retired themes."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from forum.forums import services as forums
from forum.proposals import services as proposals
from forum.votes import services as votes
from forum.votes.models import Support
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user


def supports_of(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Support).where(Support.user_id == user.id))


def test_the_limit_of_supports_per_user_counts_this_forum_only(app):
    with app.app_context():
        forum, other = make_forum(max_supports_per_user=2), make_forum()
        author, delegate = make_user(), make_user()
        first, second, third = (make_proposal(forum, author) for _ in range(3))
        elsewhere = make_proposal(other, author)
        votes.support_proposal(first, actor=delegate)
        votes.support_proposal(elsewhere, actor=delegate)
        votes.support_proposal(second, actor=delegate)
        with pytest.raises(InvalidAction) as refused:
            votes.support_proposal(third, actor=delegate)
        assert str(refused.value) == (
            "Bạn đã ủng hộ đủ 2 hiến kế trong diễn đàn này. Hãy rút một lượt ủng hộ nếu muốn ủng hộ hiến kế khác."
        )
        assert supports_of(delegate) == 3
        # A repeated click on a proposal already supported is not a new support.
        assert votes.support_proposal(second, actor=delegate).changed is False
        votes.withdraw_support(first, actor=delegate)
        assert votes.support_proposal(third, actor=delegate).changed is True


def test_supports_on_withdrawn_proposals_do_not_use_the_quota(app):
    with app.app_context():
        forum = make_forum(max_supports_per_user=1)
        author, delegate = make_user(), make_user()
        gone = make_proposal(forum, author)
        make_support(gone, delegate)
        proposals.withdraw_proposal(gone, actor=author)
        assert votes.support_proposal(make_proposal(forum, author), actor=delegate).changed


def test_supports_can_be_kept_once_given(app, client, auth):
    with app.app_context():
        forum = make_forum(supports_withdrawable=False)
        delegate = make_user()
        proposal = make_proposal(forum, make_user())
        votes.support_proposal(proposal, actor=delegate)
        with pytest.raises(InvalidAction, match="^Diễn đàn này không cho rút lại lượt ủng hộ đã gửi.$"):
            votes.withdraw_support(proposal, actor=delegate)
        db.session.commit()
        assert supports_of(delegate) == 1
        email, proposal_id, slug = delegate.email, proposal.id, forum.slug
    auth.login(email)
    html = client.get(f"/forums/{slug}").get_data(as_text=True)
    assert f"/proposals/{proposal_id}/unsupport" not in html  # no button that cannot work
    assert "Bạn đã ủng hộ" in html


@pytest.mark.parametrize("role", ["moderator", "organizer", "admin"])
def test_other_roles_support_only_where_the_forum_allows(app, role):
    with app.app_context():
        default, allowing = make_forum(), make_forum(supporting_roles=["delegate", role])
        user = make_user(role=role)
        with pytest.raises(PermissionDenied, match="^Trong diễn đàn này, chỉ đại biểu được ủng hộ hiến kế.$"):
            votes.support_proposal(make_proposal(default, make_user()), actor=user)
        assert votes.support_proposal(make_proposal(allowing, make_user()), actor=user).changed


def test_a_forum_for_moderators_only_refuses_delegates(app):
    with app.app_context():
        forum = make_forum(supporting_roles=["moderator"])
        with pytest.raises(PermissionDenied, match="chỉ điều hành viên được ủng hộ"):
            votes.support_proposal(make_proposal(forum, make_user()), actor=make_user())


def test_supports_wait_for_their_opening_time(app):
    with app.app_context():
        forum = make_forum(supports_open_at=utcnow() + timedelta(hours=2))
        with pytest.raises(InvalidAction, match="^Diễn đàn nhận ủng hộ từ "):
            votes.support_proposal(make_proposal(forum, make_user()), actor=make_user())


def test_comments_closed_by_the_rule(app):
    with app.app_context():
        forum = make_forum(comments_open=False)
        proposal = make_proposal(forum, make_user())
        with pytest.raises(PermissionDenied, match="^Diễn đàn này không nhận ý kiến.$"):
            proposals.add_comment(proposal, body="Ý kiến", actor=make_user())
        # Proposals and supports go on.
        assert votes.support_proposal(proposal, actor=make_user()).changed


def test_the_edit_window_is_per_forum_with_the_site_setting_as_default(app):
    with app.app_context():
        author = make_user()
        short = make_proposal(make_forum(edit_window_minutes=5), author)
        default = make_proposal(make_forum(), author)
        later = utcnow() + timedelta(minutes=10)
        assert proposals.edit_block_reason(short, author, now=later) == (
            "Đã hết thời hạn sửa hiến kế (5 phút sau khi gửi)."
        )
        assert app.config["EDIT_WINDOW_MINUTES"] > 10
        assert proposals.edit_block_reason(default, author, now=later) is None
        comment = make_comment(short, author)
        assert proposals.comment_edit_block_reason(comment, author, now=later) == (
            "Đã hết thời hạn sửa ý kiến (5 phút sau khi gửi)."
        )


def test_a_retired_theme_takes_no_new_proposals_and_keeps_its_own(app):
    with app.app_context():
        forum = make_forum()
        author, organizer = make_user(), make_user(role="organizer")
        retired, active = forum.themes
        kept = make_proposal(forum, author, theme=retired)
        count = retired.proposal_count
        assert forums.set_theme_retired(retired, True, actor=organizer)
        with pytest.raises(InvalidAction, match="đã ngừng nhận hiến kế mới"):
            proposals.create_proposal(forum, title="Một hiến kế mới", body="Nội dung", theme_id=retired.id, actor=author)
        # Its proposal stays, counted, and may be edited in place, not moved back in later.
        proposals.update_proposal(kept, title="Tiêu đề đã sửa", body=kept.body, theme_id=retired.id, actor=author)
        assert (kept.theme_id, retired.proposal_count) == (retired.id, count)
        moved = proposals.create_proposal(forum, title="Hiến kế khác", body="Nội dung", theme_id=active.id,
                                          actor=author)
        with pytest.raises(InvalidAction, match="đã ngừng nhận hiến kế mới"):
            proposals.update_proposal(moved, title=moved.title, body=moved.body, theme_id=retired.id, actor=author)


def test_the_proposal_form_offers_only_themes_taking_proposals(app, client, auth):
    with app.app_context():
        forum = make_forum(themes=("Nhóm còn nhận", "Nhóm đã ngừng"))
        forum.themes[1].is_retired = True
        db.session.commit()
        email, slug = make_user().email, forum.slug
    auth.login(email)
    html = client.get(f"/forums/{slug}/proposals/new").get_data(as_text=True)
    assert "Nhóm còn nhận" in html and "Nhóm đã ngừng" not in html
    forum_page = client.get(f"/forums/{slug}").get_data(as_text=True)
    assert "Nhóm đã ngừng" in forum_page and "Đã ngừng nhận hiến kế" in forum_page
