"""The search service layer: who sees what, queries with their rows, similar proposals."""
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from forum.auth.models import User
from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Comment, Proposal
from forum.search import engines, services
from tests.factories import make_comment, make_forum, make_proposal, make_user, make_user_of_role
from tests.search.integration import drain, engine_app  # noqa: F401  (fixture)

ANONYMOUS = AnonymousUserMixin()


# Who sees what --------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "active", "expected"), [
    ("delegate", True, {"public"}),
    ("delegate", False, {"public"}),
    ("moderator", False, {"public"}),
    ("moderator", True, {"public", "staff"}),
    ("organizer", True, {"public", "staff", "organizer"}),
    ("admin", True, {"public", "staff", "organizer"}),
])
def test_visibility_for_each_role(app, role, active, expected):
    with app.app_context():
        user = make_user_of_role(role, is_active=active)  # a moderator of every forum
        assert services.visibility_for(user) == expected
    assert services.visibility_for(ANONYMOUS) == {"public"}
    assert services.visibility_for(None) == {"public"}


def test_a_moderator_of_some_forums_sees_hidden_content_only_in_a_search_of_one_of_them(app):
    from forum.forums.moderators import assign_moderator_scope

    with app.app_context():
        mine, other = make_forum(), make_forum()
        moderator = make_user(role="moderator")
        assign_moderator_scope(moderator, [mine.id], actor=None)
        db.session.commit()
        assert services.visibility_for(moderator) == {"public"}
        assert services.visibility_for(moderator, mine.id) == {"public", "staff"}
        assert services.visibility_for(moderator, other.id) == {"public"}
        assert services.visibility_for(make_user(role="moderator"), mine.id) == {"public"}  # assigned nowhere


# Small pieces ---------------------------------------------------------------------------------
def test_local_days_become_utc_bounds_with_the_last_day_included():
    start, before = services.local_day_bounds(date(2023, 11, 30), date(2023, 11, 30))
    assert start == datetime(2023, 11, 29, 17, 0, tzinfo=UTC)
    assert before == datetime(2023, 11, 30, 17, 0, tzinfo=UTC)
    assert services.local_day_bounds(None, None) == (None, None)


def test_backend_is_created_once_per_app(app):
    with app.app_context():
        backend = engines.get_backend()
        assert backend.name == "whoosh"
        assert engines.get_backend() is backend


def test_postgres_backend_needs_a_postgres_database(app):
    app.config["SEARCH_BACKEND"] = "postgres"
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            assert engines.get_backend().name == "postgres"
        else:
            with pytest.raises(RuntimeError, match="PostgreSQL"):
                engines.get_backend()


# Searching through the engines ---------------------------------------------------------------
@pytest.fixture
def content(engine_app):
    """Public, hidden, withdrawn and draft-forum proposals and comments, drained."""
    app = engine_app
    with app.app_context():
        open_forum = make_forum(number=1, phase="open")
        draft = make_forum(number=2, phase="draft")
        author = make_user()
        local_evening = datetime(2023, 11, 30, 16, 30, tzinfo=UTC)  # 23:30 in Hà Nội
        public = make_proposal(open_forum, author, title="Nhà ở xã hội cho công nhân",
                               body="Xây nhà ở xã hội gần khu công nghiệp.", created_at=local_evening)
        hidden = make_proposal(open_forum, author, title="Nhà ở bị ẩn", body="Nhà ở tạm ẩn.", is_hidden=True)
        withdrawn = make_proposal(open_forum, author, title="Nhà ở đã rút", body="Nhà ở", status="withdrawn")
        drafted = make_proposal(draft, author, title="Nhà ở trong diễn đàn chuẩn bị", body="Nhà ở")
        comment = make_comment(public, make_user(), body="Tôi ủng hộ nhà ở xã hội cho công nhân")
        hidden_comment = make_comment(public, make_user(), body="Nhà ở: ý kiến bị ẩn", is_hidden=True)
        users = {role: make_user_of_role(role).id for role in ("delegate", "moderator", "organizer")}
        ids = {"public": public.id, "hidden": hidden.id, "withdrawn": withdrawn.id, "draft": drafted.id,
               "comment": comment.id, "hidden_comment": hidden_comment.id, "open_forum": open_forum.id,
               "theme": public.theme_id, **users}
    drain(app)
    return ids


def user(ids, role):
    return ANONYMOUS if role == "anonymous" else db.session.get(User, ids[role])


def found(results) -> set[str]:
    return {f"{hit.kind}:{hit.comment.id if hit.comment else hit.proposal.id}" for hit in results.hits}


@pytest.mark.parametrize(("role", "extra"), [
    ("anonymous", set()),
    ("delegate", set()),
    ("moderator", {"proposal:hidden", "proposal:withdrawn", "comment:hidden_comment"}),
    ("organizer", {"proposal:hidden", "proposal:withdrawn", "comment:hidden_comment", "proposal:draft"}),
])
def test_each_viewer_finds_exactly_what_they_may_see(engine_app, content, role, extra):
    with engine_app.app_context():
        results = services.search_contributions(user(content, role), text="nha o")
        expected = {"proposal:public", "comment:comment"} | extra
        assert found(results) == {f"{key.split(':')[0]}:{content[key.split(':')[1]]}" for key in expected}
        assert results.total == len(expected)


def test_hits_come_with_their_rows_and_snippets(engine_app, content):
    with engine_app.app_context():
        results = services.search_contributions(ANONYMOUS, text="nhà ở xã hội")
        by_kind = {hit.kind: hit for hit in results.hits}
        proposal_hit, comment_hit = by_kind["proposal"], by_kind["comment"]
        assert proposal_hit.proposal.id == content["public"] and proposal_hit.comment is None
        assert proposal_hit.forum.id == content["open_forum"]
        assert proposal_hit.proposal.theme.id == content["theme"] and proposal_hit.proposal.author.full_name
        assert "<mark>" in str(proposal_hit.title_snippet)
        assert comment_hit.comment.id == content["comment"] and comment_hit.proposal.id == content["public"]
        assert "<mark>" in str(comment_hit.body_snippet)
        assert (results.page, results.pages, results.has_next, results.has_prev) == (1, 1, False, False)


@contextmanager
def counting(app):
    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_loading_the_rows_takes_a_fixed_number_of_queries(engine_app, content):
    app = engine_app
    with app.app_context():
        forum = db.session.get(Forum, content["open_forum"])
        author = db.session.get(User, content["delegate"])
        for n in range(12):
            proposal = make_proposal(forum, author, title=f"Tiền lương tối thiểu vùng {n}", body="Tiền lương")
            make_comment(proposal, author, body=f"Tiền lương cần tăng {n}")
    drain(app)
    counts = []
    for text in ("xã hội", "tiền lương"):  # 2 hits, then 24
        with app.app_context(), counting(app) as statements:
            results = services.search_contributions(ANONYMOUS, text=text, per_page=30)
            assert all(hit.proposal.forum.title and hit.proposal.author.email for hit in results.hits)
            assert all(hit.comment.author.email for hit in results.hits if hit.comment)
        # The engine's own statements aside (PostgreSQL backend), only the loads of the rows shown.
        counts.append([s for s in statements if not s.startswith("SET ") and "search_entries" not in s
                       and "tsquery" not in s])
    assert len(results.hits) == 24
    assert len(counts[0]) == len(counts[1]) == 2, counts


def test_filters_and_local_dates(engine_app, content):
    with engine_app.app_context():
        def keys(**filters):
            return found(services.search_contributions(ANONYMOUS, text="nha o", **filters))

        public, comment = f"proposal:{content['public']}", f"comment:{content['comment']}"
        assert keys(kind="proposal") == {public}
        assert keys(kind="comment") == {comment}
        assert keys(kind="bogus") == {public, comment}  # unknown filter values are ignored
        assert keys(forum_id=content["open_forum"]) == {public, comment}
        assert keys(forum_id=content["open_forum"] + 100) == set()
        assert keys(theme_id=content["theme"], kind="proposal") == {public}
        assert keys(status="accepted") == set()
        assert public in keys(date_from=date(2023, 11, 30), date_to=date(2023, 11, 30))  # 23:30 local
        assert public not in keys(date_to=date(2023, 11, 29))
        assert public not in keys(date_from=date(2023, 12, 1))


def test_sorting_and_paging(engine_app, content):
    with engine_app.app_context():
        first = services.search_contributions(ANONYMOUS, text="nha o", per_page=1, sort="newest")
        second = services.search_contributions(ANONYMOUS, text="nha o", per_page=1, page=2, sort="newest")
        assert (first.total, first.pages, second.page) == (2, 2, 2)
        assert first.has_next and second.has_prev
        assert found(first) | found(second) == {f"proposal:{content['public']}", f"comment:{content['comment']}"}
        past_the_end = services.search_contributions(ANONYMOUS, text="nha o", page=99)
        assert past_the_end.hits == [] and past_the_end.total == 2
        assert services.search_contributions(ANONYMOUS, text="nha o", sort="nonsense", page=-3).page == 1


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", None])
def test_empty_queries_give_an_empty_page(engine_app, text):
    with engine_app.app_context():
        results = services.search_contributions(ANONYMOUS, text=text)
    assert (results.hits, results.total, results.unavailable) == ([], 0, False)


@pytest.mark.parametrize("text", ["hidden:true", '"nhà ở', "nhà ở " * 2000, "🏠 nhà *", "OR -", "-nhà"])
def test_odd_queries_never_fail(engine_app, content, text):
    with engine_app.app_context():
        results = services.search_contributions(ANONYMOUS, text=text)
    assert results.unavailable is False
    assert f"proposal:{content['hidden']}" not in found(results)


def test_a_stale_index_never_shows_what_the_viewer_may_not_see(engine_app, content):
    """Hidden in the database but not yet in the index: dropped, and the total follows."""
    app = engine_app
    with app.app_context():
        db.session.get(Proposal, content["public"]).is_hidden = True
        db.session.get(Comment, content["comment"]).is_hidden = True
        db.session.commit()
        results = services.search_contributions(ANONYMOUS, text="nha o")
    assert (results.hits, results.total) == ([], 0)


def test_an_engine_failure_is_reported_not_raised(engine_app, content, monkeypatch):
    with engine_app.app_context():
        backend = engines.get_backend()

        def broken(query):
            raise OSError("index unreadable")

        monkeypatch.setattr(backend, "search", broken)
        results = services.search_contributions(ANONYMOUS, text="nhà ở")
        assert (results.unavailable, results.hits, results.total) == (True, [], 0)
        monkeypatch.setattr(backend, "similar_proposals", broken)
        assert services.similar_proposals_for(ANONYMOUS, "Nhà ở xã hội") == []


# Similar proposals ------------------------------------------------------------------------------
def test_similar_proposals_respect_visibility_and_exclusions(engine_app, content):
    with engine_app.app_context():
        title = "Xây nhà ở xã hội cho công nhân khu công nghiệp"
        for_delegate = services.similar_proposals_for(user(content, "delegate"), title)
        assert [p.id for p in for_delegate] == [content["public"]]
        assert for_delegate[0].forum.title and for_delegate[0].support_count == 0
        assert services.similar_proposals_for(user(content, "delegate"), title, exclude_ids=[content["public"]]) == []
        organizer_sees = {p.id for p in services.similar_proposals_for(user(content, "organizer"), "nhà ở")}
        assert content["hidden"] not in {p.id for p in services.similar_proposals_for(ANONYMOUS, "nhà ở bị ẩn")}
        assert organizer_sees <= {content[k] for k in ("public", "hidden", "withdrawn", "draft")}
        assert services.similar_proposals_for(ANONYMOUS, "   ") == []
        assert len(services.similar_proposals_for(user(content, "organizer"), "nhà ở", limit=2)) <= 2
