"""Helpers for the curation tests: two forums, one account per kind of actor (with the
scoped moderators), a proposal with a comment and supports (``build_world``), the
actors' users (``actor``), the counter checks and a snapshot of the database."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from forum.auth.models import User
from forum.extensions import db
from forum.forums.moderators import assign_moderator_scope
from forum.proposals.counts import find_counter_drift
from forum.votes.services import find_support_count_drift
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user

ANONYMOUS = "anonymous"
DELEGATE = "delegate"
MODERATOR_HERE = "moderator here"
MODERATOR_ELSEWHERE = "moderator elsewhere"
ORGANIZER = "organizer"
ADMIN = "admin"
ACTORS = (ANONYMOUS, DELEGATE, MODERATOR_HERE, MODERATOR_ELSEWHERE, ORGANIZER, ADMIN)
ALLOWED = (MODERATOR_HERE, ORGANIZER, ADMIN)
REFUSED = (ANONYMOUS, DELEGATE, MODERATOR_ELSEWHERE)


@dataclass(frozen=True)
class World:
    here: int  # forum 1's id: the proposal's forum, moderated by MODERATOR_HERE
    elsewhere: int  # forum 2's id, moderated by MODERATOR_ELSEWHERE
    themes_here: tuple[int, ...]
    themes_elsewhere: tuple[int, ...]
    proposal: int
    author: int
    supporters: tuple[int, ...]
    commenter: int
    emails: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)


def build_world(app, **forum_two_settings) -> World:
    with app.app_context():
        here = make_forum(number=1, slug="dien-dan-1")
        elsewhere = make_forum(number=2, slug="dien-dan-2", themes=("Chính sách", "Pháp luật", "Văn hóa"),
                               **forum_two_settings)
        users = {
            DELEGATE: make_user(),
            MODERATOR_HERE: make_user(role="moderator", full_name="Đỗ Mạnh Hùng"),
            MODERATOR_ELSEWHERE: make_user(role="moderator"),
            ORGANIZER: make_user(role="organizer"),
            ADMIN: make_user(role="admin"),
        }
        assign_moderator_scope(users[MODERATOR_HERE], [here.id], actor=None)
        assign_moderator_scope(users[MODERATOR_ELSEWHERE], [elsewhere.id], actor=None)
        author = make_user(unit="Công đoàn KCN Bắc Thăng Long")
        proposal = make_proposal(here, author, title="Thành lập nghiệp đoàn xe ôm công nghệ",
                                 body="Tập hợp tài xế công nghệ vào **nghiệp đoàn** theo địa bàn.")
        supporters = [make_user() for _ in range(3)]
        for supporter in supporters:
            make_support(proposal, supporter)
        commenter = make_user()
        make_comment(proposal, commenter, body="Cần làm rõ mức đoàn phí cho tài xế.")
        db.session.commit()
        return World(
            here=here.id, elsewhere=elsewhere.id,
            themes_here=tuple(t.id for t in here.themes), themes_elsewhere=tuple(t.id for t in elsewhere.themes),
            proposal=proposal.id, author=author.id, supporters=tuple(s.id for s in supporters),
            commenter=commenter.id, emails={k: u.email for k, u in users.items()},
            ids={k: u.id for k, u in users.items()},
        )


def actor(world: World, kind: str):
    """The user of ``kind`` (inside an app context), or an anonymous visitor."""
    if kind == ANONYMOUS:
        return AnonymousUserMixin()
    return db.session.get(User, world.ids[kind])


def counters_clean() -> bool:
    """``flask proposals verify`` and ``flask votes verify`` find nothing."""
    return find_counter_drift() == [] and find_support_count_drift() == []


def database_state() -> dict:
    """Every row of every table but the search outbox, in primary-key order."""
    return {
        table.name: [tuple(row) for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))]
        for table in db.metadata.sorted_tables
        if table.name != "search_outbox"
    }
