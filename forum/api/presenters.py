"""Rows as the API shows them to one reader: plain dicts in the shapes of
``forum.api.schemas``, with the pages' visibility rules applied here, once: support
counts only where the reader may see the forum's tallies, a hidden comment's text and
author only for those who may read it."""
from flask import url_for

from forum.core.database import as_utc
from forum.forums.models import Forum
from forum.forums.services import tallies_visible
from forum.proposals.models import Comment, Proposal


def present_forum(forum: Forum, viewer) -> dict:
    return {
        "number": forum.number,
        "slug": forum.slug,
        "title": forum.title,
        "description": forum.description or "",
        "held_on": forum.held_on,
        "time_of_day": forum.time_of_day or "",
        "venue": forum.venue or "",
        "chairs": [{"name": chair.get("name", ""), "position": chair.get("position", "")}
                   for chair in forum.chairs or ()],
        "phase": {"code": forum.current_phase.value, "label": forum.phase_label},
        "tallies_hidden": not tallies_visible(forum, viewer),
        "proposals": forum.proposal_count,
        "participants": forum.participant_count,
        "units": forum.unit_count,
        "themes": [
            {"id": theme.id, "title": theme.title, "description": theme.description or "",
             "retired": theme.is_retired, "proposals": theme.proposal_count}
            for theme in forum.themes
        ],
        "url": url_for("forums.detail", slug=forum.slug, _external=True),
    }


def _author(user) -> dict:
    return {"name": user.full_name, "unit": user.unit or "", "province": user.province or ""}


def present_proposal(proposal: Proposal, viewer, *, show_tallies: bool | None = None) -> dict:
    """``show_tallies``: whether the reader may see the forum's counts (asked once per
    forum by the caller for a list; decided here when None)."""
    if show_tallies is None:
        show_tallies = tallies_visible(proposal.forum, viewer)
    answer = None
    if proposal.answer_body:
        answer = {"body": proposal.answer_body, "html": proposal.answer_html or "",
                  "answered_at": as_utc(proposal.answered_at)}
    theme = proposal.theme
    return {
        "id": proposal.id,
        "forum": proposal.forum.number,
        "theme": {"id": theme.id, "title": theme.title} if theme is not None else None,
        "title": proposal.title,
        "body": proposal.body,
        "author": _author(proposal.author),
        "status": {"code": proposal.status, "label": proposal.status_label},
        "supports": proposal.support_count if show_tallies else None,
        "comments": proposal.comment_count,
        "pinned": proposal.is_pinned,
        "locked": proposal.is_locked,
        "hidden": proposal.is_hidden,
        "merged_into": proposal.merged_into_id,
        "official_answer": answer,
        "created_at": as_utc(proposal.created_at),
        "edited_at": as_utc(proposal.edited_at),
        "url": url_for("proposals.detail", proposal_id=proposal.id, _external=True),
    }


def present_comment(comment: Comment, viewer, replies=None) -> dict:
    """A comment of the thread; one the reader may not read keeps its place, without its
    text or author (as on the page)."""
    readable = comment.is_visible_to(viewer)
    shown = {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "hidden": comment.is_hidden,
        "body": comment.body if readable else None,
        "body_html": comment.body_html if readable else None,
        "author": _author(comment.author) if readable else None,
        "created_at": as_utc(comment.created_at),
        "edited_at": as_utc(comment.edited_at) if readable else None,
    }
    if replies is not None:
        shown["replies"] = [present_comment(reply, viewer) for reply in replies]
    return shown
