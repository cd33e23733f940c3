"""Curation (issue 8, item 3): pin, feature, move, correct a title. Who may (the
moderators of the proposal's forum, organizers, admins), what each does to the pages,
the counts (exact after every move) and the audit log."""
import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from forum.forums.models import Forum, ForumParticipant, Theme
from forum.moderation.curation import services as curation
from forum.proposals.counts import recount_public_counts
from forum.proposals.models import Comment, Proposal
from forum.proposals.services import list_featured_proposals
from forum.search import engines, indexer
from forum.search.services import search_contributions
from forum.votes.models import Support
from forum.votes.services import withdraw_support
from tests.factories import make_proposal, make_support, make_user
from tests.moderation.helpers import (
    ACTORS, ALLOWED, DELEGATE, MODERATOR_HERE, ORGANIZER, REFUSED, actor, build_world, counters_clean, database_state,
)
from tests.search.integration import engine_app  # noqa: F401  (fixture)


def _proposal(world) -> Proposal:
    return db.session.get(Proposal, world.proposal)


def _forum(forum_id) -> Forum:
    return db.session.get(Forum, forum_id)


VERBS = {
    "pin": lambda p, w, who: curation.pin_proposal(p, True, actor=who),
    "feature": lambda p, w, who: curation.feature_proposal(p, True, actor=who),
    "title": lambda p, w, who: curation.correct_title(p, title="Nghiệp đoàn cho tài xế xe công nghệ", actor=who),
    "move theme": lambda p, w, who: curation.move_proposal(p, forum=_forum(w.here), theme_id=w.themes_here[1],
                                                           actor=who),
}


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("kind", ACTORS)
def test_who_may_curate_and_a_refusal_changes_nothing(app, verb, kind):
    world = build_world(app)
    with app.app_context():
        before = database_state()
        if kind in REFUSED:
            with pytest.raises(PermissionDenied):
                VERBS[verb](_proposal(world), world, actor(world, kind))
            db.session.rollback()
            assert database_state() == before
        else:
            event = VERBS[verb](_proposal(world), world, actor(world, kind))
            db.session.commit()
            assert event is not None and event.proposal_id == world.proposal and event.author_id == world.author
            entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == event.action))
            assert entry.actor_id == world.ids[kind] and entry.target_id == world.proposal
            assert entry.before and entry.after and entry.before != entry.after


def test_a_move_to_another_forum_needs_both_forums(app):
    world = build_world(app)
    with app.app_context():
        with pytest.raises(PermissionDenied):
            curation.move_proposal(_proposal(world), forum=_forum(world.elsewhere), theme_id=world.themes_elsewhere[0],
                                   actor=actor(world, MODERATOR_HERE))


def test_pinned_proposals_come_first_and_unpinning_restores_the_order(app, client):
    world = build_world(app)
    with app.app_context():
        newer = make_proposal(_forum(world.here), make_user(), title="Hiến kế mới nhất về đoàn viên")
        curation.pin_proposal(_proposal(world), True, actor=actor(world, MODERATOR_HERE))
        db.session.commit()
        newer_id = newer.id
    page = client.get("/forums/dien-dan-1?sort=newest").get_data(as_text=True)
    assert page.index(f"/proposals/{world.proposal}") < page.index(f"/proposals/{newer_id}")
    assert "Được ghim" in page
    with app.app_context():
        assert curation.pin_proposal(_proposal(world), True, actor=actor(world, ORGANIZER)) is None  # already
        curation.pin_proposal(_proposal(world), False, actor=actor(world, ORGANIZER))
        db.session.commit()
    page = client.get("/forums/dien-dan-1?sort=newest").get_data(as_text=True)
    assert page.index(f"/proposals/{newer_id}") < page.index(f"/proposals/{world.proposal}")


def test_featured_proposals_show_on_the_home_page(app, client):
    world = build_world(app)
    assert "Tiêu điểm" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        curation.feature_proposal(_proposal(world), True, actor=actor(world, MODERATOR_HERE))
        db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert "Tiêu điểm" in home and f"/proposals/{world.proposal}" in home
    assert "Tiêu điểm" in client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    with app.app_context():
        curation.feature_proposal(_proposal(world), False, actor=actor(world, MODERATOR_HERE))
        db.session.commit()
    assert f"/proposals/{world.proposal}" not in client.get("/").get_data(as_text=True)


def test_the_home_page_costs_the_same_statements_with_featured_proposals(app, client, count_queries):
    world = build_world(app)
    client.get("/")
    with count_queries() as without:
        client.get("/")
    with app.app_context():
        forum = _forum(world.here)
        for n in range(6):
            proposal = make_proposal(forum, make_user(), title=f"Hiến kế tiêu điểm số {n + 1}")
            proposal.is_featured = True
        db.session.commit()
    with count_queries() as featured:
        home = client.get("/").get_data(as_text=True)
    assert home.count('class="card proposal-item') == 4  # FEATURED_SHOWN
    assert len(featured.statements) == len(without.statements)


def test_a_hidden_or_withdrawn_featured_proposal_is_not_on_the_home_page(app, client):
    world = build_world(app)
    with app.app_context():
        proposal = _proposal(world)
        proposal.is_featured = True
        proposal.is_hidden = True
        db.session.commit()
    assert f"/proposals/{world.proposal}" not in client.get("/").get_data(as_text=True)


def test_a_corrected_title_keeps_the_authors_own_in_view(app, client):
    world = build_world(app)
    with app.app_context():
        event = curation.correct_title(_proposal(world), title="Nghiệp đoàn cho tài xế xe công nghệ",
                                       reason="Rõ đối tượng", actor=actor(world, MODERATOR_HERE))
        db.session.commit()
        assert event.before == {"title": "Thành lập nghiệp đoàn xe ôm công nghệ"}
        assert curation.correct_title(_proposal(world), title="Nghiệp đoàn cho tài xế xe công nghệ",
                                      actor=actor(world, MODERATOR_HERE)) is None
        curation.correct_title(_proposal(world), title="Nghiệp đoàn cho tài xế công nghệ",
                               actor=actor(world, ORGANIZER))
        db.session.commit()
        proposal = _proposal(world)
        assert proposal.original_title == "Thành lập nghiệp đoàn xe ôm công nghệ"  # the author's, kept once
        assert proposal.title_corrected_by_id == world.ids[ORGANIZER]
    page = client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    assert "Tiêu đề đã được điều hành viên chỉnh sửa" in page
    assert "Thành lập nghiệp đoàn xe ôm công nghệ" in page and "Nghiệp đoàn cho tài xế công nghệ" in page


def test_correcting_back_to_the_authors_title_clears_the_history(app):
    world = build_world(app)
    with app.app_context():
        curation.correct_title(_proposal(world), title="Nghiệp đoàn tài xế", actor=actor(world, ORGANIZER))
        curation.correct_title(_proposal(world), title="Thành lập nghiệp đoàn xe ôm công nghệ",
                               actor=actor(world, ORGANIZER))
        proposal = _proposal(world)
        assert proposal.original_title is None and proposal.title_corrected_by_id is None


def test_a_blank_title_is_refused(app):
    world = build_world(app)
    with app.app_context():
        with pytest.raises(InvalidAction):
            curation.correct_title(_proposal(world), title=" \u200b ", actor=actor(world, ORGANIZER))


def _theme_count(theme_id) -> int:
    return db.session.scalar(sa.select(Theme.proposal_count).where(Theme.id == theme_id))


def test_a_move_between_themes_moves_the_theme_counts(app):
    world = build_world(app)
    with app.app_context():
        assert (_theme_count(world.themes_here[0]), _theme_count(world.themes_here[1])) == (1, 0)
        event = curation.move_proposal(_proposal(world), forum=_forum(world.here), theme_id=world.themes_here[1],
                                       actor=actor(world, MODERATOR_HERE))
        db.session.commit()
        assert (_theme_count(world.themes_here[0]), _theme_count(world.themes_here[1])) == (0, 1)
        assert event.before["theme_id"] == world.themes_here[0] and event.after["theme_id"] == world.themes_here[1]
        assert counters_clean()
        with pytest.raises(InvalidAction):  # already there
            curation.move_proposal(_proposal(world), forum=_forum(world.here), theme_id=world.themes_here[1],
                                   actor=actor(world, MODERATOR_HERE))


def _participants(forum_id) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(ForumParticipant.user_id, ForumParticipant.contributions)
        .where(ForumParticipant.forum_id == forum_id, ForumParticipant.contributions > 0)
    )
    return dict(rows.all())


@pytest.mark.parametrize("hidden", [False, True])
def test_a_move_to_another_forum_takes_every_count_with_it(app, hidden):
    world = build_world(app)
    with app.app_context():
        here, elsewhere = _forum(world.here), _forum(world.elsewhere)
        # Someone who also takes part in forum 2, so that a participant stays counted once.
        make_proposal(elsewhere, db.session.get(User, world.supporters[0]))
        if hidden:
            _proposal(world).is_hidden = True
            db.session.commit()
            recount_public_counts()
            db.session.commit()
        before_here = (here.proposal_count, here.participant_count, here.unit_count)
        before_elsewhere = (elsewhere.proposal_count, elsewhere.participant_count, elsewhere.unit_count)
        contributors = {world.author, world.commenter, *world.supporters}
        curation.move_proposal(_proposal(world), forum=elsewhere, theme_id=world.themes_elsewhere[2],
                               reason="Đúng chủ đề của diễn đàn 2", actor=actor(world, ORGANIZER))
        db.session.commit()
        db.session.expire_all()
        here, elsewhere = _forum(world.here), _forum(world.elsewhere)
        assert counters_clean()
        proposal = _proposal(world)
        assert (proposal.forum_id, proposal.theme_id) == (world.elsewhere, world.themes_elsewhere[2])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Support)
                                 .where(Support.proposal_id == world.proposal)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)
                                 .where(Comment.proposal_id == world.proposal)) == 1
        if hidden:
            assert (here.proposal_count, here.participant_count) == before_here[:2]
            assert (elsewhere.proposal_count, elsewhere.participant_count) == before_elsewhere[:2]
        else:
            assert (here.proposal_count, here.participant_count, here.unit_count) == (0, 0, 0)
            assert elsewhere.proposal_count == before_elsewhere[0] + 1
            assert elsewhere.participant_count == before_elsewhere[1] + len(contributors) - 1  # supporter 0 was there
            assert set(_participants(world.elsewhere)) >= contributors
            assert _participants(world.here) == {}
            assert _theme_count(world.themes_elsewhere[2]) == 1 and _theme_count(world.themes_here[0]) == 0
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "proposal.move"))
        assert entry.before["forum"] == 1 and entry.after["forum"] == 2 and entry.reason == "Đúng chủ đề của diễn đàn 2"


def test_the_support_limit_of_the_target_forum_is_never_exceeded(app):
    """Forum 2 lets each person support 1 proposal: a supporter who already supports one
    there would hold 2 after the move, so the move is refused and nothing changes;
    once that support is gone, the move goes through with every support."""
    world = build_world(app, max_supports_per_user=1)
    with app.app_context():
        elsewhere = _forum(world.elsewhere)
        other = make_proposal(elsewhere, make_user())
        supporter = db.session.get(User, world.supporters[1])
        make_support(other, supporter)
        before = database_state()
        with pytest.raises(InvalidAction, match="giới hạn 1"):
            curation.move_proposal(_proposal(world), forum=elsewhere, theme_id=world.themes_elsewhere[0],
                                   actor=actor(world, ORGANIZER))
        db.session.rollback()
        assert database_state() == before
        withdraw_support(other, actor=supporter)
        db.session.commit()
        curation.move_proposal(_proposal(world), forum=_forum(world.elsewhere), theme_id=world.themes_elsewhere[0],
                               actor=actor(world, ORGANIZER))
        db.session.commit()
        assert counters_clean()
        assert _proposal(world).support_count == 3


def test_withdrawn_proposals_are_not_moved(app):
    world = build_world(app)
    with app.app_context():
        _proposal(world).status = "withdrawn"
        db.session.commit()
        with pytest.raises(InvalidAction):
            curation.move_proposal(_proposal(world), forum=_forum(world.here), theme_id=world.themes_here[1],
                                   actor=actor(world, ORGANIZER))


def test_the_move_form_on_the_page_moves_and_a_bad_target_keeps_the_page(app, client, auth):
    world = build_world(app)
    auth.login(world.emails[ORGANIZER])
    page = client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    assert 'id="moderation-tools"' in page and f"{world.elsewhere}:{world.themes_elsewhere[1]}" in page
    response = client.post(f"/moderation/proposals/{world.proposal}/move",
                           data={"move-place": f"{world.elsewhere}:{world.themes_here[0]}", "move-reason": "Nhầm"})
    assert response.status_code == 422  # a theme of another forum
    assert "Nhầm" in response.get_data(as_text=True)
    response = client.post(f"/moderation/proposals/{world.proposal}/move",
                           data={"move-place": f"{world.elsewhere}:{world.themes_elsewhere[1]}"})
    assert response.status_code == 302
    with app.app_context():
        assert _proposal(world).forum_id == world.elsewhere
        assert counters_clean()


def test_the_tools_panel_shows_only_to_moderators_of_the_forum(app, client, auth):
    world = build_world(app)
    assert 'id="moderation-tools"' not in client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    for kind, shown in (("delegate", False), ("moderator elsewhere", False), (MODERATOR_HERE, True),
                        (ORGANIZER, True), ("admin", True)):
        auth.login(world.emails[kind])
        page = client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
        assert ('id="moderation-tools"' in page) is shown, kind
        auth.logout()


@pytest.mark.parametrize("kind", ALLOWED)
def test_pin_through_the_page(app, client, auth, kind):
    world = build_world(app)
    auth.login(world.emails[kind])
    response = client.post(f"/moderation/proposals/{world.proposal}/pin", data={"value": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#moderation-tools")
    with app.app_context():
        assert _proposal(world).is_pinned
    assert client.post(f"/moderation/proposals/{world.proposal}/pin", data={"value": "x"}).status_code == 422


def test_search_follows_a_corrected_title_and_a_move(engine_app):  # noqa: F811
    app = engine_app
    world = build_world(app)
    with app.app_context():
        backend = engines.get_backend()
        indexer.drain_outbox(backend)
        reader = actor(world, DELEGATE)
        curation.correct_title(_proposal(world), title="Nghiệp đoàn cho tài xế giao hàng", actor=actor(world, ORGANIZER))
        curation.move_proposal(_proposal(world), forum=_forum(world.elsewhere), theme_id=world.themes_elsewhere[1],
                               actor=actor(world, ORGANIZER))
        db.session.commit()
        indexer.drain_outbox(backend)
        found = search_contributions(reader, text="tai xe giao hang", forum_id=world.elsewhere)
        assert [hit.proposal.id for hit in found.hits] == [world.proposal]
        assert search_contributions(reader, text="tai xe giao hang", forum_id=world.here).hits == []
        # The comment follows its proposal to the other forum.
        comments = search_contributions(reader, text="doan phi tai xe", kind="comment", forum_id=world.elsewhere)
        assert [hit.proposal.id for hit in comments.hits] == [world.proposal]


def test_the_featured_query_reads_the_small_featured_index(app):
    """Not the forums' list indexes, which hold every public proposal of the forums."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's plan; PostgreSQL plans by its statistics")
    world = build_world(app)
    with app.app_context():
        sent = []

        def record(conn, cursor, statement, parameters, context, executemany):
            sent.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            list_featured_proposals([world.here, world.elsewhere])
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        statement, parameters = next((s, p) for s, p in sent if "is_featured" in s)
        cursor = db.session.connection().connection.driver_connection.cursor()
        plan = " ".join(str(row[-1]) for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters))
        assert "ix_proposals_featured" in plan and "ix_proposals_list" not in plan, plan


def test_a_custom_status_moves_only_to_a_forum_that_has_it(app):
    world = build_world(app)
    with app.app_context():
        from forum.forums.statuses import add_forum_status

        add_forum_status(_forum(world.here), code="chuyen_bo", title="Chuyển Bộ", actor=None)
        _proposal(world).status = "chuyen_bo"
        db.session.commit()
        with pytest.raises(InvalidAction, match="Chuyển Bộ"):
            curation.move_proposal(_proposal(world), forum=_forum(world.elsewhere),
                                   theme_id=world.themes_elsewhere[0], actor=actor(world, ORGANIZER))
        db.session.rollback()
        add_forum_status(_forum(world.elsewhere), code="chuyen_bo", title="Chuyển Bộ ngành", actor=None)
        curation.move_proposal(_proposal(world), forum=_forum(world.elsewhere), theme_id=world.themes_elsewhere[0],
                               actor=actor(world, ORGANIZER))
        db.session.commit()
        assert _proposal(world).status_label == "Chuyển Bộ ngành" and counters_clean()


def test_a_refused_title_keeps_what_was_typed(app, client, auth):
    world = build_world(app)
    auth.login(world.emails[MODERATOR_HERE])
    response = client.post(f"/moderation/proposals/{world.proposal}/title",
                           data={"title-title": "Ngắn", "title-reason": "Lý do đã gõ"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Ngắn"' in page and "Lý do đã gõ" in page
    with app.app_context():
        assert _proposal(world).original_title is None


def test_the_author_retitling_ends_the_correction_note(app):
    from datetime import timedelta

    from forum.proposals.services import update_proposal

    world = build_world(app)
    with app.app_context():
        curation.correct_title(_proposal(world), title="Nghiệp đoàn cho tài xế công nghệ", actor=actor(world, ORGANIZER))
        db.session.commit()
        proposal, author = _proposal(world), db.session.get(User, world.author)
        proposal.forum.hide_tallies_until_closed = True  # the window alone decides: supports do not lock it
        update_proposal(proposal, title="Nghiệp đoàn tài xế theo địa bàn", body=proposal.body,
                        theme_id=proposal.theme_id, actor=author, now=proposal.edit_deadline() - timedelta(minutes=1))
        assert proposal.original_title is None and proposal.title_corrected_by_id is None
