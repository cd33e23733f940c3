"""Helpers for the integration tests of the search index (outbox, indexer, crashes, CLI).

- ``engine_app``: an app on each (database, engine) pair that must converge: SQLite with
  Whoosh always; PostgreSQL with Whoosh and PostgreSQL with its own backend when
  ``TEST_DATABASE_URL`` is set.
- ``memory_app``: the ``app`` fixture with a dictionary backend (fast, any database).
- ``assert_in_step``: the index holds exactly the database's documents, nothing pending.
- ``random_change``: one random transaction of the kinds users and moderators make.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from forum.core.errors import DomainError
from forum.core.markup import render_markup
from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Comment, Proposal
from forum.search import engines, indexer
from forum.search.documents import iter_all_documents
from forum.search.models import SearchOutbox
from forum.votes import services as votes
from tests.helpers import TEST_DATABASE_URL, build_app, destroy_app
from tests.factories import make_forum, make_user
from tests.search.memory_backend import MemoryBackend

ENGINE_PAIRS = [("sqlite", "whoosh")] + (
    [("postgresql", "whoosh"), ("postgresql", "postgres")] if TEST_DATABASE_URL else []
)


def database_url_for(request, kind: str, tmp_path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_database")


@pytest.fixture(params=ENGINE_PAIRS, ids=lambda pair: "+".join(pair))
def engine_app(request, tmp_path):
    database, engine = request.param
    app = build_app(database_url_for(request, database, tmp_path), tmp_path, SEARCH_BACKEND=engine)
    yield app
    destroy_app(app)


@pytest.fixture
def memory_app(app, tmp_path):
    """The standard ``app`` (SQLite, and PostgreSQL when configured) with a dict backend."""
    app.extensions[engines.EXTENSION_KEY] = MemoryBackend(tmp_path / "memory-index")
    return app


def backend_of(app):
    with app.app_context():
        return engines.get_backend()


def outbox_rows(app) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(SearchOutbox.entity, SearchOutbox.entity_id).order_by(SearchOutbox.id)
        ).all()
        return [tuple(row) for row in rows]


def clear_outbox(app) -> None:
    with app.app_context():
        db.session.execute(sa.delete(SearchOutbox))
        db.session.commit()


def drain(app, **kwargs) -> int:
    with app.app_context():
        return indexer.drain_outbox(engines.get_backend(), **kwargs)


def expected_fingerprints(app) -> dict[str, str]:
    with app.app_context():
        return {document.key: document.fingerprint for document in iter_all_documents()}


def drift(app) -> dict[str, list[str]]:
    """What differs between the index and the database (empty lists when in step)."""
    expected = expected_fingerprints(app)
    indexed = backend_of(app).indexed_fingerprints()
    return {
        "missing": sorted(expected.keys() - indexed.keys()),
        "extra": sorted(indexed.keys() - expected.keys()),
        "stale": sorted(k for k in expected.keys() & indexed.keys() if expected[k] != indexed[k]),
    }


def assert_in_step(app) -> None:
    assert outbox_rows(app) == []
    assert drift(app) == {"missing": [], "extra": [], "stale": []}


# A world and random changes ------------------------------------------------------------
@dataclass
class World:
    forum_ids: list[int]
    user_ids: list[int]
    moderator_id: int


def make_world(app, *, proposals: int = 6, comments: int = 6, seed: int = 1) -> World:
    with app.app_context():
        forums = [make_forum(number=1, phase="open"), make_forum(number=2, phase="voting")]
        users = [make_user() for _ in range(4)]
        moderator = make_user(role="moderator")
        world = World([f.id for f in forums], [u.id for u in users], moderator.id)
    rng = random.Random(seed)
    with app.app_context():
        for n in range(proposals):
            _add_proposal(rng, world, n)
        db.session.flush()
        ids = db.session.scalars(sa.select(Proposal.id)).all()
        for n in range(comments):
            _add_comment(rng, world, rng.choice(ids), n)
        db.session.commit()
    return world


WORDS = ("công đoàn", "đoàn viên", "người lao động", "chủ tịch", "cơ sở", "tiền lương", "nhà ở",
         "ý kiến", "doanh nghiệp", "kết nạp", "thương lượng", "an toàn")


def _text(rng, n=6) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def _add_proposal(rng, world: World, n: int) -> Proposal:
    forum = db.session.get(Forum, rng.choice(world.forum_ids))
    body = _text(rng, 12)
    proposal = Proposal(forum_id=forum.id, theme_id=rng.choice(forum.themes).id, author_id=rng.choice(world.user_ids),
                        title=f"Hiến kế {n}: {_text(rng, 3)}", body=body, body_html=render_markup(body))
    db.session.add(proposal)
    return proposal


def _add_comment(rng, world: World, proposal_id: int, n: int, parent_id: int | None = None) -> Comment:
    body = _text(rng, 8)
    comment = Comment(proposal_id=proposal_id, parent_id=parent_id, author_id=rng.choice(world.user_ids),
                      body=f"{n}. {body}", body_html=render_markup(body))
    db.session.add(comment)
    return comment


def _pick(model, rng):
    ids = db.session.scalars(sa.select(model.id)).all()
    return db.session.get(model, rng.choice(ids)) if ids else None


def random_change(app, world: World, rng: random.Random) -> str:
    """One transaction: a random change, committed (or, one time in eight, rolled back)."""
    with app.app_context():
        action = rng.choice(ACTIONS)
        try:
            action(rng, world)
            db.session.flush()
            if rng.random() < 0.125:
                db.session.rollback()
                return f"{action.__name__} (rolled back)"
            db.session.commit()
        except (DomainError, sa.exc.SQLAlchemyError):  # a race with another writer, or not allowed
            db.session.rollback()
            return f"{action.__name__} (refused)"
        return action.__name__


def create_proposal(rng, world):
    _add_proposal(rng, world, rng.randrange(10_000))


def edit_proposal(rng, world):
    if proposal := _pick(Proposal, rng):
        proposal.title = f"Sửa {rng.randrange(1000)}: {_text(rng, 3)}"
        proposal.body = _text(rng, 10)


def hide_proposal(rng, world):
    if proposal := _pick(Proposal, rng):
        proposal.is_hidden = not proposal.is_hidden


def withdraw_proposal(rng, world):
    if proposal := _pick(Proposal, rng):
        proposal.status = rng.choice(["withdrawn", "merged", "published", "accepted"])


def move_proposal(rng, world):
    if proposal := _pick(Proposal, rng):
        forum = db.session.get(Forum, rng.choice(world.forum_ids))
        proposal.forum_id = forum.id
        proposal.theme_id = rng.choice(forum.themes).id


def delete_proposal(rng, world):
    if proposal := _pick(Proposal, rng):
        db.session.delete(proposal)


def add_comment(rng, world):
    if proposal := _pick(Proposal, rng):
        parents = db.session.scalars(
            sa.select(Comment.id).where(Comment.proposal_id == proposal.id, Comment.parent_id.is_(None))
        ).all()
        parent = rng.choice(parents) if parents and rng.random() < 0.5 else None
        _add_comment(rng, world, proposal.id, rng.randrange(10_000), parent)


def edit_comment(rng, world):
    if comment := _pick(Comment, rng):
        comment.body = _text(rng, 7)


def hide_comment(rng, world):
    if comment := _pick(Comment, rng):
        comment.is_hidden = not comment.is_hidden


def delete_comment(rng, world):
    if comment := _pick(Comment, rng):
        db.session.delete(comment)


def support(rng, world):
    """Through the votes service: a raw ``UPDATE ... support_count + 1``."""
    from forum.auth.models import User

    if proposal := _pick(Proposal, rng):
        user = db.session.get(User, rng.choice(world.user_ids))
        if rng.random() < 0.7:
            votes.support_proposal(proposal, actor=user)
        else:
            votes.withdraw_support(proposal, actor=user)


def change_phase(rng, world):
    forum = db.session.get(Forum, rng.choice(world.forum_ids))
    forum.phase = rng.choice(["draft", "open", "voting", "closed", "open"])


def bulk_hide(rng, world):
    """A bulk ORM UPDATE, as a moderation tool might issue."""
    forum_id = rng.choice(world.forum_ids)
    db.session.execute(
        sa.update(Proposal).where(Proposal.forum_id == forum_id, Proposal.support_count > 0)
        .values(is_hidden=sa.not_(Proposal.is_hidden))
    )


ACTIONS = (create_proposal, create_proposal, edit_proposal, hide_proposal, withdraw_proposal, move_proposal,
           delete_proposal, add_comment, add_comment, add_comment, edit_comment, hide_comment, delete_comment,
           support, support, support, support, change_phase, bulk_hide)
