"""Helpers for the proposal tests: a forum in a given phase with one user per role, a
proposal and a comment by the author (``build_world``), rows read back as plain objects,
and the check that user-written markup never becomes live HTML."""
from dataclasses import dataclass, field
from html.parser import HTMLParser

import sqlalchemy as sa

from forum.auth.models import User
from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Comment, Proposal
from forum.forums.moderators import assign_moderator_scope
from tests.factories import make_comment, make_forum, make_proposal, make_user

ROLES = ("anonymous", "author", "delegate", "moderator", "organizer", "admin", "inactive")


PHASES = ("draft", "open", "voting", "closed")


@dataclass(frozen=True)
class World:
    """Plain ids and emails, usable after the app context that created them ends."""

    forum_id: int
    forum_slug: str
    theme_ids: tuple[int, ...]
    proposal_id: int
    comment_id: int
    emails: dict[str, str] = field(default_factory=dict)

    @property
    def proposal_url(self) -> str:
        return f"/proposals/{self.proposal_id}"

    @property
    def new_url(self) -> str:
        return f"/forums/{self.forum_slug}/proposals/new"


def build_world(app, phase="open", **proposal_fields) -> World:
    """A forum in ``phase`` with one user per role, a proposal and a comment by the author.

    The proposal and comment are written while the forum is open, then the forum moves
    to ``phase`` (as organizers do).
    """
    with app.app_context():
        forum = make_forum(phase="open")
        users = {
            "author": make_user(),
            "delegate": make_user(),
            "moderator": make_user(role="moderator"),
            "organizer": make_user(role="organizer"),
            "admin": make_user(role="admin"),
            "inactive": make_user(),
        }
        assign_moderator_scope(users["moderator"], [forum.id], actor=None)  # sees hidden content there
        proposal = make_proposal(forum, users["author"], **proposal_fields)
        comment = make_comment(proposal, users["author"], body="Ý kiến đầu tiên của tác giả.")
        forum.phase = phase
        db.session.commit()
        return World(
            forum_id=forum.id,
            forum_slug=forum.slug,
            theme_ids=tuple(theme.id for theme in forum.themes),
            proposal_id=proposal.id,
            comment_id=comment.id,
            emails={role: user.email for role, user in users.items()},
        )


def get_proposal(app, proposal_id: int) -> Proposal:
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        db.session.expunge(proposal)
        return proposal


def get_comment(app, comment_id: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.expunge(comment)
        return comment


def proposal_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Proposal))


def comment_count(app, proposal_id: int) -> tuple[int, int]:
    """(stored comment_count, comment rows) for a proposal; they must agree."""
    with app.app_context():
        stored = db.session.get(Proposal, proposal_id).comment_count
        rows = db.session.scalar(
            sa.select(sa.func.count()).select_from(Comment).where(Comment.proposal_id == proposal_id)
        )
        return stored, rows


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))


def set_fields(app, model, object_id: int, **fields) -> None:
    with app.app_context():
        row = db.session.get(model, object_id)
        for name, value in fields.items():
            setattr(row, name, value)
        db.session.commit()


def set_phase(app, forum_id: int, phase: str) -> None:
    set_fields(app, Forum, forum_id, phase=phase)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.location


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_no_live_markup(html: str) -> None:
    """User-written HTML must stay text: no script, image, event handler or script link."""
    html = html[html.find("<main"):] if "<main" in html else html
    collector = _TagCollector()
    collector.feed(html)
    for tag, attrs in collector.tags:
        assert tag not in ("script", "img", "svg", "iframe"), tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not (attrs.get("href") or "").strip().lower().startswith("javascript:"), (tag, attrs)
