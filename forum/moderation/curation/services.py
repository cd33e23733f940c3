"""Curation verbs: pin, feature, move, correct a title (issue 8, item 3).

Each verb checks that the actor moderates the proposal's forum (and, for a move, the
forum it goes to) with ``forums.moderators.can_moderate`` (moderators in their forums,
organizers and admins everywhere), changes the proposal through the proposals services
(which own its columns and keep the counts), writes one audit entry with before/after
in the same transaction, flushes, and never commits. It returns a ``CurationEvent``
(None when nothing changed): what the notifications of the author will be built from.
"""
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.core.audit import record_audit
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.text import normalize_text
from forum.extensions import db
from forum.forums.models import Forum
from forum.forums.moderators import can_moderate
from forum.forums.statuses import is_custom_status
from forum.moderation.curation.models import AnswerDraft
from forum.moderation.queue import services as moderation_queue
from forum.proposals import services as proposals
from forum.proposals.models import Proposal, ProposalStatus
from forum.votes.services import supporters_over_limit

REASON_MAX_LENGTH = 1_000


@dataclass(frozen=True)
class CurationEvent:
    """What a moderation action did to a proposal: ``action`` is the audit code
    ("proposal.moved"…), ``author_id`` whom it concerns, before/after as in the audit."""

    action: str
    proposal_id: int
    author_id: int
    actor_id: int | None
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)


def check_can_moderate(actor, forum) -> None:
    """``PermissionDenied`` unless ``actor`` moderates ``forum``."""
    if not can_moderate(actor, forum):
        raise PermissionDenied(_("Bạn không phải điều hành viên của diễn đàn này."))


def _clean_reason(reason: str | None) -> str:
    return normalize_text(reason or "", multiline=True)[:REASON_MAX_LENGTH]


def _event(action: str, proposal: Proposal, actor, before: dict, after: dict, reason: str = "") -> CurationEvent:
    record_audit(action, proposal, actor=actor, before=before, after=after, reason=_clean_reason(reason))
    return CurationEvent(action, proposal.id, proposal.author_id, getattr(actor, "id", None), before, after)


def pin_proposal(proposal: Proposal, pinned: bool, *, actor) -> CurationEvent | None:
    """Pin (first on the forum page, in every order) or unpin."""
    check_can_moderate(actor, proposal.forum)
    if not proposals.set_proposal_flag(proposal, "is_pinned", pinned):
        return None
    return _event("proposal.pin" if pinned else "proposal.unpin", proposal, actor,
                  {"is_pinned": not pinned}, {"is_pinned": bool(pinned)})


def feature_proposal(proposal: Proposal, featured: bool, *, actor) -> CurationEvent | None:
    """Feature on the home page ("Tiêu điểm") or stop featuring."""
    check_can_moderate(actor, proposal.forum)
    if not proposals.set_proposal_flag(proposal, "is_featured", featured):
        return None
    return _event("proposal.feature" if featured else "proposal.unfeature", proposal, actor,
                  {"is_featured": not featured}, {"is_featured": bool(featured)})


def correct_title(proposal: Proposal, *, title: str, actor, reason: str = "") -> CurationEvent | None:
    """Correct the title for clarity; the author's own title stays on the page."""
    check_can_moderate(actor, proposal.forum)
    previous = proposals.correct_proposal_title(proposal, title, corrector=actor)
    if previous is None:
        return None
    return _event("proposal.correct_title", proposal, actor, {"title": previous}, {"title": proposal.title}, reason)


def move_proposal(proposal: Proposal, *, forum: Forum, theme_id: int | None, actor, reason: str = "") -> CurationEvent:
    """Move the proposal to another theme of its forum, or to another forum (and theme).

    The actor must moderate both forums. Its comments and supports go with it and every
    count follows (``proposals.services.move_proposal_to``). Where the target forum
    limits how many proposals each person supports, the move is refused if it would put
    any supporter over that limit: nobody loses a support they gave, and nobody ends up
    with more than the forum allows (the same rule as merges); organizers may raise the
    limit first. A proposal with a custom status of its forum moves only to a forum that
    has that status too. Withdrawn and merged proposals stay where they are.
    """
    check_can_moderate(actor, proposal.forum)
    check_can_moderate(actor, forum)
    proposals.lock_proposals([proposal])  # serialised with a merge of it; its state as it is now
    if proposal.status in (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED):
        raise InvalidAction(_("Không thể chuyển hiến kế đã rút hoặc đã gộp."))
    if forum.id != proposal.forum_id:
        if proposal.status not in set(ProposalStatus) and not is_custom_status(forum.id, proposal.status):
            raise InvalidAction(_("Diễn đàn đích không có trạng thái «%(status)s» của hiến kế này; hãy đổi trạng "
                                  "thái trước khi chuyển.", status=proposal.status_label))
        if supporters_over_limit(proposal, forum):
            raise InvalidAction(_(
                "Không thể chuyển: một số người ủng hộ hiến kế này sẽ vượt quá giới hạn %(limit)s hiến kế mỗi người "
                "của diễn đàn đích. Ban Tổ chức có thể nâng giới hạn trước khi chuyển.",
                limit=forum.max_supports_per_user,
            ))
    old_forum, old_theme = proposals.move_proposal_to(proposal, forum, theme_id)
    # A draft answer is listed with its proposal's forum.
    db.session.execute(
        sa.update(AnswerDraft).where(AnswerDraft.proposal_id == proposal.id).values(forum_id=forum.id)
        .execution_options(synchronize_session="fetch")
    )
    moderation_queue.follow_moved_posts([proposal.id])
    before = {"forum": old_forum.number, "theme_id": old_theme.id if old_theme else None}
    after = {"forum": forum.number, "theme_id": proposal.theme_id}
    return _event("proposal.move", proposal, actor, before, after, reason)
