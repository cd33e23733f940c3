"""The phase in force (``Forum.phase_decision``): the most recent change wins, a manual
choice or a moment of the schedule that has passed; every check reads it, at each request.
Moments are passed explicitly: no test waits for a clock."""
from datetime import UTC, datetime, timedelta

import pytest

from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.forums import services
from forum.forums.models import Forum, Phase, PhaseSource
from forum.search import engines, indexer
from tests.factories import make_forum, make_proposal, make_user

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)


def scheduled(phase="draft", phase_set_at=None, **moments) -> Forum:
    """A forum in memory with a manual phase and a schedule in hours after T0."""
    values = {column: T0 + hours * HOUR for column, hours in moments.items()}
    return Forum(number=1, slug="x", title="x", phase=phase, phase_set_at=phase_set_at, comments_open=True, **values)


FULL = {"proposals_open_at": 0, "supports_open_at": 2, "proposals_close_at": 10, "supports_close_at": 20}


@pytest.mark.parametrize(
    "at, phase, proposals, supports",
    [
        (-SECOND, Phase.DRAFT, False, False),
        (0 * HOUR, Phase.OPEN, True, False),  # a moment counts from its first instant
        (2 * HOUR - SECOND, Phase.OPEN, True, False),
        (2 * HOUR, Phase.OPEN, True, True),
        (10 * HOUR - SECOND, Phase.OPEN, True, True),
        (10 * HOUR, Phase.VOTING, False, True),
        (20 * HOUR - SECOND, Phase.VOTING, False, True),
        (20 * HOUR, Phase.CLOSED, False, False),
    ],
)
def test_the_schedule_moves_the_phase_at_each_moment(at, phase, proposals, supports):
    forum = scheduled(**FULL)
    now = T0 + at
    assert forum.effective_phase(now) == phase
    assert forum.accepts_proposals_at(now) is proposals
    assert forum.accepts_comments_at(now) is proposals
    assert forum.accepts_supports_at(now) is supports


def test_without_a_schedule_the_manual_phase_applies():
    forum = scheduled(phase="voting")
    assert forum.phase_decision(T0) == (Phase.VOTING, PhaseSource.MANUAL, None)
    assert not forum.has_schedule


def test_a_manual_choice_after_a_moment_wins_until_the_next_moment():
    forum = scheduled(phase="closed", phase_set_at=T0 + 5 * HOUR, **FULL)
    assert forum.phase_decision(T0 + 6 * HOUR) == (Phase.CLOSED, PhaseSource.MANUAL, T0 + 5 * HOUR)
    assert forum.phase_decision(T0 + 10 * HOUR) == (Phase.VOTING, PhaseSource.SCHEDULE, T0 + 10 * HOUR)


def test_a_partial_schedule_leaves_the_rest_to_the_manual_phase():
    forum = scheduled(phase="open", supports_close_at=3)
    assert forum.effective_phase(T0) == Phase.OPEN
    assert forum.effective_phase(T0 + 3 * HOUR) == Phase.CLOSED


def test_the_next_change_is_the_nearest_moment_to_come():
    forum = scheduled(**FULL)
    assert forum.next_scheduled_change(T0 - HOUR) == ("proposals_open_at", T0)
    assert forum.next_scheduled_change(T0 + HOUR) == ("supports_open_at", T0 + 2 * HOUR)
    assert forum.next_scheduled_change(T0 + 20 * HOUR) is None


def test_comments_follow_the_phase_and_the_rule():
    forum = scheduled(**FULL)
    forum.comments_open = False
    assert not forum.accepts_comments_at(T0 + HOUR)
    assert forum.accepts_proposals_at(T0 + HOUR)


def test_set_phase_compares_with_the_phase_in_force_and_is_recorded_at_its_moment(app):
    with app.app_context():
        forum = make_forum(phase="draft", proposals_open_at=utcnow() - HOUR)
        organizer = make_user(role="organizer")
        assert forum.current_phase == Phase.OPEN
        assert services.set_forum_phase(forum, "open", actor=organizer) is False  # already in force
        now = utcnow()
        assert services.set_forum_phase(forum, "draft", actor=organizer, now=now) is True
        assert forum.phase_decision(now) == (Phase.DRAFT, PhaseSource.MANUAL, now)


def test_draft_visibility_follows_the_schedule(app, client, auth):
    with app.app_context():
        soon = make_forum(phase="draft", proposals_open_at=utcnow() + HOUR)
        opened = make_forum(phase="draft", proposals_open_at=utcnow() - HOUR)
        delegate = make_user().email
        make_proposal(opened, make_user())
        soon_slug, opened_slug = soon.slug, opened.slug
    auth.login(delegate)
    assert client.get(f"/forums/{soon_slug}").status_code == 404
    page = client.get(f"/forums/{opened_slug}")
    assert page.status_code == 200
    assert "Đang nhận hiến kế" in page.get_data(as_text=True)
    assert client.get(f"/forums/{opened_slug}/proposals/new").status_code == 200


@pytest.mark.parametrize(
    "moments, message",
    [
        ({"proposals_open_at": 5, "proposals_close_at": 5}, "ngừng nhận hiến kế phải sau"),
        ({"supports_open_at": 5, "supports_close_at": 4}, "ngừng nhận ủng hộ phải sau"),
        ({"proposals_open_at": 5, "supports_open_at": 4}, "trước khi diễn đàn mở nhận hiến kế"),
        ({"supports_open_at": 6, "proposals_close_at": 5}, "giai đoạn bình chọn"),
        ({"proposals_close_at": 6, "supports_close_at": 5}, "không được trước thời điểm ngừng nhận hiến kế"),
        ({"proposals_open_at": 6, "supports_close_at": 5}, "không được trước thời điểm ngừng nhận hiến kế"),
    ],
)
def test_a_schedule_out_of_order_is_refused_and_nothing_changes(app, moments, message):
    with app.app_context():
        forum = make_forum()
        values = dict.fromkeys(("proposals_open_at", "proposals_close_at", "supports_open_at", "supports_close_at"))
        values.update({column: T0 + hours * HOUR for column, hours in moments.items()})
        with pytest.raises(InvalidAction, match=message):
            services.update_forum_schedule(forum, **values, actor=make_user(role="organizer"))
        assert not forum.has_schedule


def test_only_organizers_set_the_schedule(app):
    with app.app_context():
        forum = make_forum()
        with pytest.raises(PermissionDenied):
            services.update_forum_schedule(forum, proposals_open_at=T0, proposals_close_at=None, supports_open_at=None,
                                           supports_close_at=None, actor=make_user(role="moderator"))
        assert forum.proposals_open_at is None


def test_search_finds_the_proposals_of_a_forum_its_schedule_opened(app, client, auth):
    with app.app_context():
        forum = make_forum(phase="draft", proposals_open_at=utcnow() - HOUR)
        proposal = make_proposal(forum, make_user(), title="Sáng kiến nhà trọ cho công nhân")
        indexer.drain_outbox(engines.get_backend())
        email, proposal_id = make_user().email, proposal.id
    auth.login(email)
    assert f"/proposals/{proposal_id}" in client.get("/search?q=nhà trọ công nhân").get_data(as_text=True)


def test_stored_pages_follow_the_schedule_without_a_write(app, client, monkeypatch):
    """Anonymous pages are kept per content version (forum.core.pagecache); a moment of the
    schedule passing is no write, so the key holds the phase in force (Forum.page_state)."""
    from forum.forums import models

    with app.app_context():
        forum = make_forum(proposals_close_at=utcnow() + HOUR, supports_close_at=utcnow() + 3 * HOUR)
        slug = forum.slug
    assert "Đang nhận hiến kế" in client.get(f"/forums/{slug}").get_data(as_text=True)
    later = utcnow() + 2 * HOUR
    monkeypatch.setattr(models, "utcnow", lambda: later)
    html = client.get(f"/forums/{slug}").get_data(as_text=True)
    assert "Đang bình chọn" in html and "Đang nhận hiến kế" not in html
