"""The demo data set (forum/demo.py): facts, content, invariants, idempotency."""
import re
import statistics
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from forum import demo
from forum.auth.models import User
from forum.core.markup import render_markup
from forum.extensions import db
from forum.forums.models import Forum, Theme
from forum.proposals.models import Comment, Proposal
from forum.votes.models import Support

FORUM_ONE_TITLE = (
    "Đổi mới công tác vận động, tập hợp người lao động vào tổ chức Công đoàn; "
    "nâng cao chất lượng đội ngũ Chủ tịch Công đoàn cơ sở"
)
FORUM_ONE_CHAIRS = ["Nguyễn Đình Khang", "Nguyễn Kim Loan", "Nghiêm Thùy Lan"]
FORUM_ONE_THEMES = [
    "Phát triển, quản lý và nâng cao chất lượng đoàn viên; nâng cao chất lượng hoạt động các cấp Công đoàn",
    "Nâng cao chất lượng đội ngũ cán bộ Công đoàn",
    "Công đoàn tham gia xây dựng Đảng, xây dựng chính quyền nhân dân",
]
DEMO_PASSWORD = "hienke-demo-2023"
DEMO_ROLES = {
    "daibieu@demo.hienke.vn": "delegate",
    "dieuhanh@demo.hienke.vn": "moderator",
    "bantochuc@demo.hienke.vn": "organizer",
    "quantri@demo.hienke.vn": "admin",
}
FORUM_ONE_AFTERNOON = datetime(2023, 11, 30, 12, 0, tzinfo=timezone(timedelta(hours=7)))


def seed(app) -> demo.SeedReport:
    with app.app_context():
        report = demo.seed_demo()
        db.session.commit()
        return report


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every content table, in primary-key order (not the search outbox: a
    queue of pending index updates, which deleting content rightly adds to)."""
    with app.app_context():
        return {
            table.name: [
                tuple(row)
                for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
            if table.name != "search_outbox"
        }


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def forums_by_number() -> dict[int, Forum]:
    return {forum.number: forum for forum in db.session.scalars(sa.select(Forum))}


# Forums -------------------------------------------------------------------------------
def test_seed_creates_the_ten_forums(app):
    report = seed(app)
    assert report.forums_created == 10
    with app.app_context():
        assert sorted(forums_by_number()) == list(range(1, 11))


def test_forum_one_carries_the_real_facts(app):
    seed(app)
    with app.app_context():
        forum = forums_by_number()[1]
        assert forum.title == FORUM_ONE_TITLE
        assert forum.held_on == date(2023, 11, 30)
        assert forum.time_of_day == "chiều"
        assert not forum.is_sample
        assert [chair["name"] for chair in forum.chairs] == FORUM_ONE_CHAIRS
        assert all(chair["position"] for chair in forum.chairs)
        assert "Nguyễn Kim Loan" in forum.keynote
        assert "15 triệu đoàn viên" in forum.description
        assert [theme.title for theme in forum.themes] == FORUM_ONE_THEMES
        assert [theme.position for theme in forum.themes] == [0, 1, 2]
        assert all(theme.description for theme in forum.themes)


def test_sample_forums_are_flagged_and_invent_no_facts(app):
    seed(app)
    with app.app_context():
        samples = [forum for number, forum in forums_by_number().items() if number != 1]
        assert len(samples) == 9
        for forum in samples:
            assert forum.is_sample
            assert forum.held_on is None and forum.venue == "" and forum.chairs == [] and forum.keynote == ""
            assert forum.description
            assert 2 <= len(forum.themes) <= 3


def test_no_forum_is_draft_and_phases_vary(app):
    seed(app)
    with app.app_context():
        phases = {number: forum.phase for number, forum in forums_by_number().items()}
    assert phases[1] == "open"
    assert "draft" not in phases.values()
    assert list(phases.values()).count("voting") >= 2
    assert list(phases.values()).count("closed") == 1


def test_slugs_are_unique_readable_ascii(app):
    seed(app)
    with app.app_context():
        slugs = list(db.session.scalars(sa.select(Forum.slug)))
    assert len(set(slugs)) == 10
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
        assert len(slug) <= 60


def test_congress_facts_are_kept_with_the_forums():
    about = demo.load_forum_facts()["about"]
    assert about["membership_goal"] == {"members": 15_000_000, "by_year": 2028}
    assert any("02-NQ/TW" in text for text in about["legal_basis"])


# Accounts -----------------------------------------------------------------------------
def test_demo_accounts_one_per_role_sharing_one_hash(app):
    report = seed(app)
    with app.app_context():
        users = list(db.session.scalars(sa.select(User).where(User.email.like("%@demo.hienke.vn"))))
        roles = {user.email: user.role for user in users}
        for email, role in DEMO_ROLES.items():
            assert roles[email] == role
        assert sum(1 for role in roles.values() if role == "delegate") >= 20
        assert report.users_created == len(users)
        # One account is left without a password, as the roster import leaves them, to try activation.
        [unactivated] = [user for user in users if not user.password_hash]
        assert unactivated.email == demo.UNACTIVATED_DEMO_ACCOUNT["email"]
        users.remove(unactivated)
        # Hashed once: the same (valid) hash for every demo user.
        assert len({user.password_hash for user in users}) == 1
        assert users[0].check_password(DEMO_PASSWORD)
        assert all(user.unit and user.province for user in users)
        # Organizers see the roster fields filled for some people.
        assert sum(1 for user in users if user.phone and user.delegation and user.sector and user.union_level) >= 5


@pytest.mark.parametrize("email", sorted(DEMO_ROLES))
def test_demo_accounts_can_log_in(app, client, email):
    seed(app)
    assert client.get("/profile").status_code == 302  # not logged in yet
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_demo_login_with_wrong_password_fails(app, client):
    seed(app)
    client.post("/login", data={"email": "daibieu@demo.hienke.vn", "password": "sai-mat-khau"})
    assert client.get("/profile").status_code == 302


def test_demo_logins_lists_the_four_accounts():
    logins = demo.demo_logins()
    assert {login.email: login.role.value for login in logins} == DEMO_ROLES
    assert {login.password for login in logins} == {DEMO_PASSWORD}


# Content ------------------------------------------------------------------------------
def test_content_volume_and_spread(app):
    seed(app)
    with app.app_context():
        forums = forums_by_number()
        proposals = list(db.session.scalars(sa.select(Proposal)))
        comments = list(db.session.scalars(sa.select(Comment)))
        assert 30 <= len(proposals) <= 45
        in_forum_one = [p for p in proposals if p.forum_id == forums[1].id]
        assert len(in_forum_one) > len(proposals) / 2
        assert {p.theme.position for p in in_forum_one} == {0, 1, 2}
        assert len({p.forum_id for p in proposals}) >= 8
        assert all(p.theme.forum_id == p.forum_id for p in proposals)

        assert 60 <= len(comments) <= 120
        assert any(c.parent_id is not None for c in comments)
        assert len({c.author_id for c in comments}) >= 15
        assert len({p.author_id for p in proposals}) >= 15

        counts = sorted(p.support_count for p in proposals)
        assert counts[-1] >= 10  # a few popular proposals ...
        assert statistics.median(counts) <= 4  # ... most with few supports
        assert 0 in counts


def test_counters_equal_rows(app):
    seed(app)
    with app.app_context():
        supports = dict(
            db.session.execute(
                sa.select(Support.proposal_id, sa.func.count()).group_by(Support.proposal_id)
            ).all()
        )
        comments = dict(
            db.session.execute(
                sa.select(Comment.proposal_id, sa.func.count()).group_by(Comment.proposal_id)
            ).all()
        )
        for proposal in db.session.scalars(sa.select(Proposal)):
            assert proposal.support_count == supports.get(proposal.id, 0), proposal.title
            assert proposal.comment_count == comments.get(proposal.id, 0), proposal.title


def test_nobody_supports_their_own_proposal_and_supporters_are_delegates(app):
    seed(app)
    with app.app_context():
        rows = db.session.execute(
            sa.select(Support.user_id, Proposal.author_id, User.role)
            .join(Proposal, Proposal.id == Support.proposal_id)
            .join(User, User.id == Support.user_id)
        ).all()
        assert rows
        assert all(user_id != author_id for user_id, author_id, _ in rows)
        assert {role for _, _, role in rows} == {"delegate"}


def test_replies_are_one_level_deep_and_times_are_in_order(app):
    seed(app)
    with app.app_context():
        for comment in db.session.scalars(sa.select(Comment)):
            created = aware(comment.created_at)
            assert aware(comment.proposal.created_at) < created <= FORUM_ONE_AFTERNOON
            if comment.parent is not None:
                assert comment.parent.parent_id is None
                assert comment.parent.proposal_id == comment.proposal_id
                assert aware(comment.parent.created_at) <= created
        for support in db.session.scalars(sa.select(Support)):
            proposal = db.session.get(Proposal, support.proposal_id)
            assert aware(proposal.created_at) < aware(support.created_at) <= FORUM_ONE_AFTERNOON
        moments = [aware(p.created_at) for p in db.session.scalars(sa.select(Proposal))]
        assert len({moment.date() for moment in moments}) >= 7  # spread over the days before
        assert max(moments) < FORUM_ONE_AFTERNOON


def test_all_text_is_nfc_and_bodies_are_rendered(app):
    seed(app)
    with app.app_context():
        for model in (Forum, Theme, User, Proposal, Comment):
            string_columns = [
                column.key for column in sa.inspect(model).columns if isinstance(column.type, sa.String)
            ]
            for row in db.session.scalars(sa.select(model)):
                for key in string_columns:
                    value = getattr(row, key)
                    assert value is None or unicodedata.is_normalized("NFC", value), (model.__name__, key, value)
        for forum in db.session.scalars(sa.select(Forum)):
            for chair in forum.chairs:
                assert all(unicodedata.is_normalized("NFC", text) for text in chair.values())
        proposals = list(db.session.scalars(sa.select(Proposal)))
        for item in [*proposals, *db.session.scalars(sa.select(Comment))]:
            assert item.body_html == render_markup(item.body)
        answered = [p for p in proposals if p.answer_body]
        assert answered and all(p.answer_html == render_markup(p.answer_body) for p in answered)
        assert any("<strong>" in p.body_html for p in proposals)
        assert any("<li>" in p.body_html for p in proposals)
        assert any(p.body.count("\n\n") >= 2 for p in proposals)


# Idempotency ----------------------------------------------------------------------------
def test_seeding_twice_changes_nothing(app):
    seed(app)
    before = snapshot(app)
    with app.app_context():
        support_counts = dict(db.session.execute(sa.select(Proposal.id, Proposal.support_count)).all())
    second = seed(app)
    assert not second.changed_anything
    after = snapshot(app)
    assert {name: len(rows) for name, rows in after.items()} == {name: len(rows) for name, rows in before.items()}
    assert after == before  # not even updated_at or a session token moved
    with app.app_context():
        assert dict(db.session.execute(sa.select(Proposal.id, Proposal.support_count)).all()) == support_counts


def test_reseeding_recreates_only_missing_content(app):
    seed(app)
    title = "Kết nạp đoàn viên qua ứng dụng số"
    with app.app_context():
        before = {name: len(rows) for name, rows in snapshot(app).items()}
        kept_ids = set(db.session.scalars(sa.select(Proposal.id).where(Proposal.title != title)))
        db.session.execute(sa.delete(Support).where(Support.proposal_id.in_(
            sa.select(Proposal.id).where(Proposal.title == title))))
        db.session.execute(sa.delete(Comment).where(Comment.proposal_id.in_(
            sa.select(Proposal.id).where(Proposal.title == title))))
        db.session.execute(sa.delete(Proposal).where(Proposal.title == title))
        db.session.commit()
    report = seed(app)
    assert report.proposals_created == 1
    assert report.users_created == report.forums_created == 0
    assert {name: len(rows) for name, rows in snapshot(app).items()} == before
    with app.app_context():
        assert kept_ids < set(db.session.scalars(sa.select(Proposal.id)))


def test_reseeding_restores_facts_but_keeps_phase_and_passwords(app):
    seed(app)
    with app.app_context():
        forum = forums_by_number()[1]
        forum.title = "Tên đã bị sửa"
        forum.phase = "voting"
        user = db.session.scalar(sa.select(User).where(User.email == "daibieu@demo.hienke.vn"))
        user.set_password("mat-khau-moi-cua-toi")
        db.session.commit()
    report = seed(app)
    assert report.forums_updated == 1 and report.forums_created == 0
    with app.app_context():
        forum = forums_by_number()[1]
        assert forum.title == FORUM_ONE_TITLE
        assert forum.phase == "voting"
        user = db.session.scalar(sa.select(User).where(User.email == "daibieu@demo.hienke.vn"))
        assert user.check_password("mat-khau-moi-cua-toi")
        assert not user.check_password(DEMO_PASSWORD)


def test_seeding_hashes_the_password_once_with_the_production_method(app, monkeypatch):
    """One production scrypt hash takes a noticeable fraction of a second: the demo users
    share one hash (seeding stays fast), and a second run hashes nothing."""
    import forum.auth.models
    from werkzeug.security import generate_password_hash

    hashed = []

    def counting_hash(password, *args, **kwargs):
        hashed.append(password)
        return generate_password_hash(password, *args, **kwargs)

    monkeypatch.setattr(demo, "generate_password_hash", counting_hash)
    monkeypatch.setattr(forum.auth.models, "generate_password_hash", counting_hash)
    app.config["PASSWORD_HASH_METHOD"] = "scrypt:131072:8:1"
    seed(app)
    assert hashed == [DEMO_PASSWORD]
    seed(app)
    assert hashed == [DEMO_PASSWORD]
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "quantri@demo.hienke.vn"))
        assert user.password_hash.startswith("scrypt:131072:8:1$")
        assert user.check_password(DEMO_PASSWORD)


def test_the_demo_shows_the_moderators_curation(app):
    """A pinned and a featured proposal, a corrected title, a published official answer
    (one with the forum's custom status) and draft answers waiting in forum 1."""
    from forum.forums.models import ForumStatus
    from forum.moderation.curation.models import AnswerDraft

    seed(app)
    with app.app_context():
        forum_one = db.session.scalar(sa.select(Forum).where(Forum.number == 1))
        proposals = list(db.session.scalars(sa.select(Proposal).where(Proposal.forum_id == forum_one.id)))
        assert any(p.is_pinned for p in proposals) and any(p.is_featured for p in proposals)
        assert any(p.original_title and p.title_corrected_by_id for p in proposals)
        codes = set(db.session.scalars(sa.select(ForumStatus.code).where(ForumStatus.forum_id == forum_one.id)))
        answered = {p.status for p in proposals if p.answer_body}
        assert "accepted" in answered and answered & codes
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AnswerDraft)
                                 .where(AnswerDraft.forum_id == forum_one.id)) >= 1


def test_the_demo_moderator_has_a_queue_and_readers_see_a_hidden_comments_place(app, client):
    """Reports and a post waiting for approval in the demo moderator's queue; a comment
    the moderator hid shows its place to readers and its reason to its author."""
    from forum.moderation.queue.models import ItemState, QueueItem
    from forum.proposals.models import Comment

    seed(app)
    with app.app_context():
        waiting = db.session.scalars(sa.select(QueueItem).where(QueueItem.state == ItemState.WAITING)).all()
        assert len(waiting) >= 3 and any(item.awaiting_approval for item in waiting)
        hidden = db.session.scalar(sa.select(Comment).where(Comment.hidden_cause == "moderator"))
        assert hidden is not None and hidden.hidden_reason
        proposal_id, hidden_id, reason = hidden.proposal_id, hidden.id, hidden.hidden_reason
    page = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert f'id="comment-{hidden_id}"' in page and "Ý kiến này đã bị điều hành viên ẩn." in page
    assert reason not in page


def test_the_demo_has_a_frozen_published_result(app, client):
    """The closed demo forum's result is frozen and published: the organizers have a
    result to export, the public page shows it with its digest."""
    from forum.results.models import ResultSnapshot

    seed(app)
    with app.app_context():
        snapshot = db.session.scalar(sa.select(ResultSnapshot))
        assert snapshot is not None and snapshot.published_at is not None and snapshot.support_count > 0
        digest = snapshot.digest
    assert digest in client.get("/results").get_data(as_text=True)
