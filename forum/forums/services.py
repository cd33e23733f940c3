"""Read-side queries of the forums' own tables: which forums a visitor may see, one forum
with its themes, and the theme named in a URL.

Lists and counts of proposals live with the proposals (``forum.proposals.services``) and
supports (``forum.votes.services``); the views compose them with these.
"""
import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.forums.models import Forum


def list_visible_forums(user) -> list[Forum]:
    """The forums ``user`` may see, in number order (one query)."""
    forums = db.session.scalars(sa.select(Forum).order_by(Forum.number)).all()
    return [forum for forum in forums if forum.is_visible_to(user)]


def get_visible_forum(slug: str, user) -> Forum | None:
    """The forum at ``slug`` with its themes, or None when missing or not visible to ``user``."""
    forum = db.session.scalar(
        sa.select(Forum).where(Forum.slug == slug).options(so.selectinload(Forum.themes))
    )
    if forum is None or not forum.is_visible_to(user):
        return None
    return forum


def parse_theme_id(forum: Forum, value: str | None) -> int | None:
    """The id of one of ``forum``'s themes named by ``value``; None for anything else."""
    try:
        theme_id = int(value or "")
    except ValueError:
        return None
    return theme_id if any(theme.id == theme_id for theme in forum.themes) else None
