"""The verbs on their own: permission per role and phase, the edit window with ``now``,
supports blocking edits, replies, atomic counters and the audit entry."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals import services
from forum.proposals.models import Comment, Proposal, ProposalStatus
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user
from tests.proposals.helpers import PHASES, ROLES

MATRIX = [(role, phase) for role in ROLES for phase in PHASES]


def _actor(world_emails, role):
    if role == "anonymous":
        return AnonymousUserMixin()
    user = db.session.scalar(sa.select(User).where(User.email == world_emails[role]))
    if role == "inactive":
        user.is_active_account = False
    return user


def _outcome(call):
    try:
        call()
    except PermissionDenied:
        return "denied"
    return "ok"


@pytest.mark.parametrize("role, phase", MATRIX)
def test_create_proposal(app, world, role, phase):
    setting = world(phase=phase)
    with app.app_context():
        forum = db.session.get(Forum, setting.forum_id)
        actor = _actor(setting.emails, role)
        outcome = _outcome(
            lambda: services.create_proposal(
                forum, title="Một hiến kế mới", body="Nội dung.", theme_id=setting.theme_ids[0], actor=actor
            )
        )
    allowed = phase == "open" and role not in ("anonymous", "inactive")
    assert outcome == ("ok" if allowed else "denied")


@pytest.mark.parametrize("role, phase", MATRIX)
def test_update_proposal(app, world, role, phase):
    setting = world(phase=phase)
    with app.app_context():
        proposal = db.session.get(Proposal, setting.proposal_id)
        actor = _actor(setting.emails, role)
        outcome = _outcome(
            lambda: services.update_proposal(
                proposal, title="Tiêu đề mới", body="Nội dung mới.", theme_id=setting.theme_ids[0], actor=actor
            )
        )
    assert outcome == ("ok" if (role, phase) == ("author", "open") else "denied")


@pytest.mark.parametrize("role, phase", MATRIX)
def test_withdraw_proposal(app, world, role, phase):
    setting = world(phase=phase)
    with app.app_context():
        proposal = db.session.get(Proposal, setting.proposal_id)
        actor = _actor(setting.emails, role)
        outcome = _outcome(lambda: services.withdraw_proposal(proposal, actor=actor))
    # The model allows withdrawing in a draft forum too; the pages hide draft forums.
    allowed = role == "author" and phase != "closed"
    assert outcome == ("ok" if allowed else "denied")


@pytest.mark.parametrize("role, phase", MATRIX)
def test_add_comment(app, world, role, phase):
    setting = world(phase=phase)
    with app.app_context():
        proposal = db.session.get(Proposal, setting.proposal_id)
        actor = _actor(setting.emails, role)
        outcome = _outcome(lambda: services.add_comment(proposal, body="Đồng ý.", actor=actor))
    allowed = phase == "open" and role not in ("anonymous", "inactive")
    assert outcome == ("ok" if allowed else "denied")


@pytest.mark.parametrize("role, phase", MATRIX)
def test_update_comment(app, world, role, phase):
    setting = world(phase=phase)
    with app.app_context():
        comment = db.session.get(Comment, setting.comment_id)
        actor = _actor(setting.emails, role)
        outcome = _outcome(lambda: services.update_comment(comment, body="Đã sửa.", actor=actor))
    assert outcome == ("ok" if (role, phase) == ("author", "open") else "denied")


# The edit window -------------------------------------------------------------------------
def test_proposal_edit_window_closes_after_the_configured_minutes(app):
    with app.app_context():
        author = make_user()
        proposal = make_proposal(make_forum(), author)
        deadline = proposal.edit_deadline()
        assert deadline - timedelta(minutes=app.config["EDIT_WINDOW_MINUTES"]) <= utcnow()

        services.update_proposal(
            proposal, title="Sửa ngay trước hạn", body="Nội dung.", theme_id=proposal.theme_id,
            actor=author, now=deadline,
        )
        with pytest.raises(PermissionDenied, match="hết thời hạn"):
            services.update_proposal(
                proposal, title="Sửa sau hạn một giây", body="Nội dung.", theme_id=proposal.theme_id,
                actor=author, now=deadline + timedelta(seconds=1),
            )


def test_comment_edit_window_closes_after_the_configured_minutes(app):
    with app.app_context():
        author = make_user()
        comment = make_comment(make_proposal(make_forum(), author), author)
        deadline = services.comment_edit_deadline(comment)
        services.update_comment(comment, body="Sửa trước hạn.", actor=author, now=deadline)
        with pytest.raises(PermissionDenied, match="hết thời hạn"):
            services.update_comment(comment, body="Sửa sau hạn.", actor=author, now=deadline + timedelta(seconds=1))


def test_someone_elses_support_ends_editing(app):
    with app.app_context():
        author = make_user()
        proposal = make_proposal(make_forum(), author)
        make_support(proposal, make_user())
        with pytest.raises(PermissionDenied, match="ủng hộ"):
            services.update_proposal(
                proposal, title="Tiêu đề khác", body="Nội dung.", theme_id=proposal.theme_id, actor=author
            )


def test_an_unchanged_save_does_not_mark_the_proposal_edited(app):
    with app.app_context():
        author = make_user()
        proposal = make_proposal(make_forum(), author, title="Tiêu đề giữ nguyên")
        services.update_proposal(
            proposal, title=" Tiêu đề giữ nguyên ", body=proposal.body, theme_id=proposal.theme_id, actor=author
        )
        assert proposal.edited_at is None


# Themes, text and counters ---------------------------------------------------------------
def test_a_theme_of_another_forum_is_refused(app):
    with app.app_context():
        forum, other = make_forum(number=1), make_forum(number=2)
        with pytest.raises(InvalidAction, match="không thuộc diễn đàn"):
            services.create_proposal(
                forum, title="Hiến kế lạc chỗ", body="Nội dung.", theme_id=other.themes[0].id, actor=make_user()
            )


def test_a_theme_is_required_when_the_forum_has_themes(app):
    with app.app_context():
        with pytest.raises(InvalidAction, match="nhóm vấn đề"):
            services.create_proposal(make_forum(), title="Thiếu nhóm", body="Nội dung.", actor=make_user())


def test_a_forum_without_themes_takes_proposals_without_one(app):
    with app.app_context():
        proposal = services.create_proposal(
            make_forum(themes=()), title="Không nhóm vấn đề", body="Nội dung.", actor=make_user()
        )
        assert proposal.theme_id is None


def test_services_normalise_and_render_the_text(app):
    with app.app_context():
        forum = make_forum()
        proposal = services.create_proposal(
            forum,
            title="  Ca\u0301n bô\u0323\n công\x07 đoàn  ",
            body="Đoa\u0300n viên **mới**",
            theme_id=forum.themes[0].id,
            actor=make_user(),
        )
        assert proposal.title == "Cán bộ công đoàn"
        assert proposal.body == "Đoàn viên **mới**"
        assert proposal.body_html == "<p>Đoàn viên <strong>mới</strong></p>"


@pytest.mark.parametrize("body", ["", "   \n\t ", "x" * 5001])
def test_services_refuse_empty_or_oversized_comments(app, body):
    with app.app_context():
        proposal = make_proposal(make_forum(), make_user())
        with pytest.raises(InvalidAction):
            services.add_comment(proposal, body=body, actor=make_user())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "\u3164" * 6}, "Tiêu đề chỉ gồm khoảng trắng"),
        ({"title": "\u2800\u115f\u1160\u3000\u2800"}, "Tiêu đề chỉ gồm khoảng trắng"),
        ({"body": "\u3164\n\n\u200b"}, "Nội dung hiến kế chỉ gồm khoảng trắng"),
        ({"body": "&nbsp;"}, "Nội dung hiến kế chỉ gồm khoảng trắng"),
    ],
)
def test_services_refuse_visually_blank_proposals(app, fields, message):
    with app.app_context():
        forum = make_forum()
        text = {"title": "Tiêu đề có chữ", "body": "Nội dung có chữ.", **fields}
        with pytest.raises(InvalidAction, match=message):
            services.create_proposal(forum, **text, theme_id=forum.themes[0].id, actor=make_user())
        proposal = make_proposal(forum, make_user())
        with pytest.raises(InvalidAction, match=message):
            services.update_proposal(proposal, **text, theme_id=forum.themes[0].id, actor=proposal.author)


@pytest.mark.parametrize("body", ["\u3164", "\u2800 \ufeff", "&nbsp;&nbsp;"])
def test_services_refuse_visually_blank_comments(app, body):
    with app.app_context():
        proposal = make_proposal(make_forum(), make_user())
        with pytest.raises(InvalidAction, match="Ý kiến chỉ gồm khoảng trắng"):
            services.add_comment(proposal, body=body, actor=make_user())
        comment = make_comment(proposal, proposal.author)
        with pytest.raises(InvalidAction, match="Ý kiến chỉ gồm khoảng trắng"):
            services.update_comment(comment, body=body, actor=proposal.author)


def test_add_comment_bumps_the_counter_in_sql(app):
    with app.app_context():
        proposal = make_proposal(make_forum(), make_user())
        # Another request has added a comment meanwhile: the UPDATE must not lose it.
        db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id).values(comment_count=5))
        services.add_comment(proposal, body="Một ý kiến.", actor=make_user())
        db.session.commit()
        assert db.session.scalar(sa.select(Proposal.comment_count).where(Proposal.id == proposal.id)) == 6


def test_a_reply_to_a_reply_attaches_to_the_top_level_comment(app):
    with app.app_context():
        proposal = make_proposal(make_forum(), make_user())
        top = make_comment(proposal, make_user())
        reply = make_comment(proposal, make_user(), parent=top)
        answer = services.add_comment(proposal, body="Trả lời tiếp.", parent_id=reply.id, actor=make_user())
        assert answer.parent_id == top.id


@pytest.mark.parametrize("case", ["missing", "other proposal", "hidden"])
def test_replies_need_a_visible_parent_on_the_same_proposal(app, case):
    with app.app_context():
        forum = make_forum()
        proposal = make_proposal(forum, make_user())
        if case == "missing":
            parent_id = 987654
        elif case == "other proposal":
            parent_id = make_comment(make_proposal(forum, make_user()), make_user()).id
        else:
            parent_id = make_comment(proposal, make_user(), is_hidden=True).id
        with pytest.raises(InvalidAction, match="không tồn tại hoặc đã bị ẩn"):
            services.add_comment(proposal, body="Trả lời.", parent_id=parent_id, actor=make_user())


def test_withdraw_writes_an_audit_entry(app):
    with app.app_context():
        author = make_user()
        proposal = make_proposal(make_forum(), author)
        services.withdraw_proposal(proposal, actor=author, reason="Trùng với hiến kế khác.")
        db.session.commit()
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.target_type, entry.target_id) == ("proposal.withdraw", "proposals", proposal.id)
        assert entry.actor_id == author.id and entry.reason == "Trùng với hiến kế khác."
        assert proposal.status == ProposalStatus.WITHDRAWN
        with pytest.raises(PermissionDenied, match="đã được tác giả rút"):
            services.withdraw_proposal(proposal, actor=author)


@pytest.mark.parametrize("flag", ["is_locked", "is_hidden", "withdrawn"])
def test_no_comments_on_locked_hidden_or_withdrawn_proposals(app, flag):
    with app.app_context():
        author = make_user()
        fields = {"status": "withdrawn"} if flag == "withdrawn" else {flag: True}
        proposal = make_proposal(make_forum(), author, **fields)
        with pytest.raises(PermissionDenied):
            services.add_comment(proposal, body="Ý kiến.", actor=author)
        assert proposal.comment_count == 0
