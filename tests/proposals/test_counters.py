"""The forums' public counts are maintained counters (DESIGN §3): every verb that changes
what they count moves them in its own transaction, and ``flask proposals verify
[--repair]`` finds and fixes any drift."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.core.errors import PermissionDenied
from forum.extensions import db
from forum.core.database import local_day
from forum.forums.models import Forum, ForumDay, ForumParticipant, ForumUnit, Theme
from forum.forums.services import count_forum_days
from forum.proposals import counts as proposal_counts
from forum.proposals import services
from forum.proposals.models import Proposal
from forum.votes.services import support_proposal, withdraw_support
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user


def counts(forum_id: int) -> tuple[int, int, int, list[int]]:
    """(public proposals, participants, units, [public proposals per theme]) of a forum,
    as stored, after checking that every counter equals the rows."""
    db.session.expire_all()
    assert proposal_counts.find_counter_drift() == []
    forum = db.session.get(Forum, forum_id)
    return forum.proposal_count, forum.participant_count, forum.unit_count, [t.proposal_count for t in forum.themes]


def test_counters_follow_every_verb(app):
    with app.app_context():
        forum = make_forum(number=1, themes=("A", "B"))
        forum_id, (first, second) = forum.id, [theme.id for theme in forum.themes]
        author, fan, other = make_user(unit="Đơn vị A"), make_user(unit="Đơn vị B"), make_user(unit="Đơn vị B")
        assert counts(forum_id) == (0, 0, 0, [0, 0])

        proposal = services.create_proposal(forum, title="Một hiến kế", body="Nội dung.", theme_id=first, actor=author)
        db.session.commit()
        assert counts(forum_id) == (1, 1, 1, [1, 0])

        services.add_comment(proposal, body="Đồng ý.", actor=fan)
        services.add_comment(proposal, body="Đồng ý lần nữa.", actor=fan)
        db.session.commit()
        assert counts(forum_id) == (1, 2, 1, [1, 0])

        support_proposal(proposal, actor=fan)
        support_proposal(proposal, actor=other)
        db.session.commit()
        assert counts(forum_id) == (1, 3, 1, [1, 0])

        withdraw_support(proposal, actor=other)
        db.session.commit()
        assert counts(forum_id) == (1, 2, 1, [1, 0])

        own = services.create_proposal(forum, title="Của người ủng hộ", body="Nội dung.", theme_id=second, actor=fan)
        db.session.commit()
        assert counts(forum_id) == (2, 2, 2, [1, 1])

        services.update_proposal(own, title=own.title, body=own.body, theme_id=first, actor=fan)
        db.session.commit()
        assert counts(forum_id) == (2, 2, 2, [2, 0])

        # Withdrawing takes away the proposal and what hangs from it: the fan keeps
        # their own proposal, the author has nothing public left.
        services.withdraw_proposal(proposal, actor=author)
        db.session.commit()
        assert counts(forum_id) == (1, 1, 1, [1, 0])
        participants = db.session.execute(
            sa.select(ForumParticipant.user_id, ForumParticipant.contributions).where(ForumParticipant.contributions > 0)
        ).all()
        assert participants == [(fan.id, 1)]


def test_a_counter_never_goes_below_zero_on_drift(app):
    """A decrement that finds no contribution (counters corrupted) leaves the drift to
    the repair instead of failing the user's action."""
    with app.app_context():
        forum = make_forum(number=1)
        proposal = make_proposal(forum, make_user())
        fan = make_user()
        make_support(proposal, fan)
        db.session.execute(sa.update(ForumParticipant).values(contributions=0))
        db.session.commit()
        withdraw_support(proposal, actor=fan)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.min(ForumParticipant.contributions))) == 0


def corrupt_everything(app) -> dict:
    with app.app_context():
        forum = make_forum(number=1, themes=("A",))
        proposal = make_proposal(forum, make_user(unit="Đơn vị A"))
        make_comment(proposal, make_user())
        make_support(proposal, make_user())
        ids = {"forum": forum.id, "theme": forum.themes[0].id, "proposal": proposal.id}
        db.session.execute(sa.update(Forum).values(proposal_count=5, participant_count=9))
        db.session.execute(sa.update(Theme).values(proposal_count=4))
        db.session.execute(sa.update(Proposal).values(comment_count=0))
        db.session.execute(sa.update(ForumUnit).values(proposal_count=2))
        db.session.execute(sa.delete(ForumParticipant).where(ForumParticipant.user_id == proposal.author_id))
        db.session.commit()
        return ids


def test_verify_reports_drift_and_repair_fixes_it(app, runner):
    ids = corrupt_everything(app)
    result = runner.invoke(args=["proposals", "verify"])
    assert result.exit_code == 1
    for line in (
        f"Hiến kế #{ids['proposal']}: số ý kiến lưu 0, số bản ghi thực tế 1",
        f"forum.proposal_count #{ids['forum']}: giá trị lưu 5, giá trị thực tế 1",
        f"forum.participant_count #{ids['forum']}: giá trị lưu 9, giá trị thực tế 3",
        f"theme.proposal_count #{ids['theme']}: giá trị lưu 4, giá trị thực tế 1",
        f"forum_participants #{ids['forum']}: giá trị lưu 2, giá trị thực tế 3",
        f"forum_units #{ids['forum']}: giá trị lưu 1, giá trị thực tế 1",
    ):
        assert line in result.output
    assert "Phát hiện 6 bộ đếm sai lệch" in result.output

    result = runner.invoke(args=["proposals", "verify", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Đã sửa 6 bộ đếm" in result.output
    with app.app_context():
        assert counts(ids["forum"]) == (1, 3, 1, [1])
        assert db.session.get(Proposal, ids["proposal"]).comment_count == 1
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == ["proposals.repair_counter"] * 6

    result = runner.invoke(args=["proposals", "verify"])
    assert result.exit_code == 0, result.output
    assert "Không có sai lệch" in result.output


@pytest.mark.slow  # a stress run: many threads at once
def test_participation_stays_exact_when_one_delegate_supports_many_at_once(app):
    """Six tabs of one delegate support six proposals at the same moment (their first
    contribution: the participant count must move once), then withdraw them all."""
    from tests.votes.test_concurrency import fire_at_once, logged_in_client

    with app.app_context():
        forum = make_forum(phase="voting")
        forum_id = forum.id
        proposal_ids = [make_proposal(forum, make_user()).id for _ in range(6)]
        email = make_user().email
    tabs = [logged_in_client(app, email) for _ in proposal_ids]
    answers = fire_at_once([(tab, f"/proposals/{pid}/support") for tab, pid in zip(tabs, proposal_ids)])
    assert {status for status, _ in answers} == {200}
    with app.app_context():
        assert counts(forum_id) == (6, 7, 1, [6, 0])
    answers = fire_at_once([(tab, f"/proposals/{pid}/unsupport") for tab, pid in zip(tabs, proposal_ids)])
    assert {status for status, _ in answers} == {200}
    with app.app_context():
        assert counts(forum_id) == (6, 6, 1, [6, 0])


@pytest.mark.parametrize("role", ["delegate", "moderator", "organizer"])
def test_only_admins_and_the_console_repair_counters(app, role):
    with app.app_context():
        proposal = make_proposal(make_forum(phase="open"), make_user())
        db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id).values(comment_count=7))
        db.session.commit()
        with pytest.raises(PermissionDenied):
            proposal_counts.repair_counters(actor=make_user(role=role))
        assert db.session.scalar(sa.select(Proposal.comment_count).where(Proposal.id == proposal.id)) == 7
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
        assert proposal_counts.repair_counters(actor=make_user(role="admin"))
        assert db.session.scalar(sa.select(Proposal.comment_count).where(Proposal.id == proposal.id)) == 0


def days(forum_id: int) -> list[tuple]:
    """The forum's daily tallies (day, proposals, comments, supports), after checking
    that every counter equals the rows."""
    db.session.expire_all()
    assert proposal_counts.find_counter_drift() == []
    return [tuple(row[1:]) for row in count_forum_days(forum_id)]


def test_daily_tallies_follow_every_verb(app):
    """What each day brought (the organizers' dashboard) moves with every verb, on the
    day each contribution was made, and leaves with what stops being public."""
    with app.app_context():
        forum, other_forum = make_forum(number=1), make_forum(number=2)
        author, fan, other = make_user(), make_user(), make_user()
        yesterday = datetime.now(UTC) - timedelta(days=1)
        old = make_proposal(forum, author, title="Hiến kế từ hôm qua", created_at=yesterday)
        day_before, today = local_day(yesterday), local_day(datetime.now(UTC))
        assert days(forum.id) == [(day_before, 1, 0, 0)]

        proposal = services.create_proposal(forum, title="Một hiến kế", body="Nội dung.",
                                            theme_id=forum.themes[0].id, actor=author)
        comment = services.add_comment(old, body="Đồng ý.", actor=fan)
        support_proposal(old, actor=fan)
        support_proposal(old, actor=other)
        db.session.commit()
        assert days(forum.id) == [(day_before, 1, 0, 0), (today, 1, 1, 2)]

        withdraw_support(old, actor=other)
        services.set_comment_hidden(comment, hidden=True)
        db.session.commit()
        assert days(forum.id) == [(day_before, 1, 0, 0), (today, 1, 0, 1)]

        services.set_comment_hidden(comment, hidden=False)
        services.set_proposal_hidden(old, hidden=True)  # its comment and support leave with it
        db.session.commit()
        assert days(forum.id) == [(today, 1, 0, 0)]

        services.set_proposal_hidden(old, hidden=False)
        services.move_proposal_to(old, other_forum, other_forum.themes[0].id)  # what it carries moves too
        db.session.commit()
        assert days(forum.id) == [(today, 1, 0, 0)]
        assert days(other_forum.id) == [(day_before, 1, 0, 0), (today, 0, 1, 1)]

        services.withdraw_proposal(proposal, actor=author)
        db.session.commit()
        assert days(forum.id) == []


def test_verify_finds_and_repairs_wrong_daily_tallies(app, runner):
    with app.app_context():
        forum = make_forum(number=1)
        proposal = make_proposal(forum, make_user())
        make_support(proposal, make_user())
        forum_id = forum.id
        db.session.execute(sa.update(ForumDay).values(supports=7))
        db.session.commit()
    result = runner.invoke(args=["proposals", "verify"])
    assert result.exit_code == 1 and f"forum_days #{forum_id}" in result.output
    assert runner.invoke(args=["proposals", "verify", "--repair"]).exit_code == 0
    with app.app_context():
        assert [row[4] for row in count_forum_days(forum_id)] == [1]
        assert proposal_counts.find_counter_drift() == []
