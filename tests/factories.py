"""Plain factory functions for test data. Each commits, so requests see the rows.

Rows go in directly, not through the services, so the counters are set from them
(``recount_public_counts``, as the demo seeder does) before each commit.

Call them inside ``with app.app_context():``.
"""
import itertools

import sqlalchemy as sa
from datetime import date

from forum.auth.models import User
from forum.core.markup import render_markup
from forum.extensions import db
from forum.forums.models import Forum, Theme
from forum.proposals.models import Comment, Proposal
from forum.proposals.counts import recount_public_counts
from forum.votes.models import Support

DEFAULT_PASSWORD = "mat-khau-thu-nghiem"
_sequence = itertools.count(1)


def make_user(*, role="delegate", email=None, full_name=None, unit="LĐLĐ tỉnh Bình Dương",
              province="Bình Dương", password=DEFAULT_PASSWORD, is_active=True) -> User:
    n = next(_sequence)
    user = User(
        email=(email or f"daibieu{n}@congdoan.vn").lower(),
        full_name=full_name or f"Nguyễn Văn {n}",
        unit=unit,
        province=province,
        role=role,
        is_active_account=is_active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_moderator_of_all_forums(**fields) -> User:
    """A moderator assigned to every forum (a new moderator moderates none)."""
    from forum.forums.moderators import ALL_FORUMS, assign_moderator_scope

    user = make_user(role="moderator", **fields)
    assign_moderator_scope(user, ALL_FORUMS, actor=None)
    db.session.commit()
    return user


def make_user_of_role(role: str, **fields) -> User:
    """``make_user(role=role)``, a moderator being assigned to every forum: a role's
    reach in tests that compare roles, not scopes."""
    return make_moderator_of_all_forums(**fields) if role == "moderator" else make_user(role=role, **fields)


def _free_forum_number() -> int:
    """The lowest forum number (1–10) not taken yet, so fixed numbers in tests never collide."""
    taken = set(db.session.scalars(sa.select(Forum.number)))
    free = [n for n in range(1, 11) if n not in taken]
    if not free:
        raise RuntimeError("all ten forum numbers are taken in this test database")
    return free[0]


def make_forum(*, number=None, phase="open", title=None, slug=None, themes=("Phát triển đoàn viên", "Cán bộ Công đoàn"),
               is_sample=False, **settings) -> Forum:
    """An open forum where delegates may support, unless ``phase`` or ``settings`` (any
    column of Forum: schedule, rules) say otherwise."""
    n = number or _free_forum_number()
    forum = Forum(
        number=n,
        slug=slug or f"dien-dan-{n}",
        title=title or f"Diễn đàn chuyên đề số {n}",
        description="Thảo luận, đề xuất sáng kiến, giải pháp đột phá.",
        held_on=date(2023, 11, 30),
        venue="Hà Nội",
        chairs=[{"name": "Nguyễn Đình Khang", "position": "Chủ tịch Tổng LĐLĐ Việt Nam"}],
        phase=phase,
        is_sample=is_sample,
        **settings,
    )
    forum.themes = [Theme(title=title_, position=i) for i, title_ in enumerate(themes)]
    db.session.add(forum)
    db.session.commit()
    return forum


def make_proposal(forum, author, *, title=None, body="Đề xuất **thành lập** Công đoàn cơ sở.",
                  theme=None, **fields) -> Proposal:
    n = next(_sequence)
    proposal = Proposal(
        forum=forum,
        author=author,
        theme=theme if theme is not None else (forum.themes[0] if forum.themes else None),
        title=title or f"Hiến kế số {n} về phát triển đoàn viên",
        body=body,
        body_html=render_markup(body),
        **fields,
    )
    db.session.add(proposal)
    db.session.flush()
    recount_public_counts()
    db.session.commit()
    return proposal


def make_comment(proposal, author, *, body="Tôi đồng ý với hiến kế này.", parent=None, **fields) -> Comment:
    comment = Comment(
        proposal=proposal, author=author, parent=parent, body=body, body_html=render_markup(body), **fields
    )
    db.session.add(comment)
    proposal.comment_count += 1
    db.session.flush()
    recount_public_counts()
    db.session.commit()
    return comment


def make_support(proposal, user) -> Support:
    support = Support(proposal_id=proposal.id, user_id=user.id)
    db.session.add(support)
    proposal.support_count += 1
    db.session.flush()
    recount_public_counts()
    db.session.commit()
    return support
