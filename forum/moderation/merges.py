"""Merging a duplicate proposal (the *source*, B) into another (the *target*, A), and
undoing it exactly (issue 8 item 4). This module decides who may and when, and puts the
domains' verbs in order; the rows change in their own domains:

- ``proposals.services.mark_merged`` / ``unmark_merged``: B's status (``merged``, not
  listed), ``merged_into``, the ``ProposalMerge`` record, B's comments moved to A
  (each remembering where it was written), the comment counts;
- ``votes.services.merge_supports`` / ``unmerge_supports``: B's supporters counted on A
  once each and never beyond A's forum limit, what happened to each written down, the
  support counts;
- ``proposals.counts``: the forums' public counts (participants, proposals per forum,
  theme and unit) moved by the difference between before and after.

Locks (PostgreSQL), in the order a support takes them: both proposals' rows in id
order, then the supporters' advisory locks, then the support rows, the counters, the
participants and the forums. A support or comment on A or B waits for the merge and then
sees B merged. SQLite write transactions are serial.

Who may: moderators of both forums (``forums.moderators.can_moderate``), organizers and
admins everywhere. The confirmation screen shows supporters' names and numbers only to
whoever may see the tallies of both forums (``forums.services.tallies_visible``).
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from forum.auth.services import get_users
from forum.core.audit import record_audit
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.permissions import is_active_user
from forum.forums.models import Phase
from forum.forums.moderators import can_moderate
from forum.forums.services import tallies_visible
from forum.moderation.queue import services as moderation_queue
from forum.proposals import counts
from forum.proposals import services as proposals
from forum.proposals.models import Proposal, ProposalMerge
from forum.votes import services as votes
from forum.extensions import db



# Who may, and when ----------------------------------------------------------------------
def may_merge_in(user, forum) -> bool:
    """May ``user`` merge proposals of ``forum`` (as source or target)? For the proposal
    page's "Gộp vào…" link."""
    return is_active_user(user) and user.is_moderator and can_moderate(user, forum)


def _check_permission(actor, *proposals_) -> None:
    if not all(may_merge_in(actor, proposal.forum) for proposal in proposals_):
        raise PermissionDenied(_("Bạn chỉ gộp được hiến kế trong các diễn đàn mình điều hành."))


def _closed(proposal: Proposal) -> bool:
    return proposal.forum.current_phase == Phase.CLOSED


def merge_refusal(source: Proposal, target: Proposal) -> str | None:
    """Why ``source`` cannot be merged into ``target`` now (None: it can)."""
    if source.id == target.id:
        return _("Không thể gộp một hiến kế vào chính nó.")
    if source.is_merged:
        return _("Hiến kế #%(id)s đã được gộp vào hiến kế #%(into)s.", id=source.id, into=source.merged_into_id)
    if source.is_withdrawn:
        return _("Hiến kế #%(id)s đã được tác giả rút nên không gộp được.", id=source.id)
    if source.is_hidden:
        return _("Hiến kế #%(id)s đang bị ẩn. Hãy bỏ ẩn trước nếu muốn gộp.", id=source.id)
    if target.is_merged:
        return _("Hiến kế #%(id)s đã được gộp vào hiến kế #%(into)s. Hãy gộp vào hiến kế đó.",
                 id=target.id, into=target.merged_into_id)
    if target.is_withdrawn:
        return _("Hiến kế #%(id)s đã được tác giả rút nên không nhận gộp.", id=target.id)
    if target.is_hidden:
        return _("Hiến kế #%(id)s đang bị ẩn nên không nhận gộp.", id=target.id)
    if target.is_locked:
        return _("Hiến kế #%(id)s đang bị khóa thảo luận. Hãy mở khóa trước khi gộp vào.", id=target.id)
    for proposal in (source, target):
        if _closed(proposal):
            return _("Diễn đàn số %(number)s đã kết thúc: không gộp hiến kế nữa.", number=proposal.forum.number)
    return None


def undo_refusal(merge: ProposalMerge) -> str | None:
    """Why ``merge`` cannot be undone now (None: it can). In a chain (C into B, then B
    into A) the later merge is undone first: C's comments and supporters are on A."""
    if not merge.in_force:
        return _("Việc gộp này đã được hoàn tác.")
    if merge.target.is_merged:
        return _("Hiến kế #%(id)s đã được gộp tiếp vào hiến kế #%(into)s. Hãy hoàn tác việc gộp đó trước.",
                 id=merge.target_id, into=merge.target.merged_into_id)
    for proposal in (merge.source, merge.target):
        if _closed(proposal):
            return _("Diễn đàn số %(number)s đã kết thúc: không hoàn tác việc gộp nữa.", number=proposal.forum.number)
    return None


# The confirmation screens ---------------------------------------------------------------
@dataclass(frozen=True)
class Preview:
    """What the confirmation screen shows. ``show_supporters`` is False for a viewer who
    may not see the tallies of both forums: the screen then names nobody and counts
    nothing, and says only the rule."""

    source: Proposal
    target: Proposal
    plan: "votes.SupportMergePlan | votes.SupportUnmergePlan"
    refusal: str | None
    show_supporters: bool
    people: dict = field(default_factory=dict)  # {user id: User} of the plan

    def names(self, user_ids) -> list:
        return [self.people[u] for u in user_ids if u in self.people]


def _people(plan) -> dict:
    ids = [u for part in vars(plan).values() if isinstance(part, tuple) for u in part]
    return get_users(ids)


def _may_see_supporters(viewer, *proposals_) -> bool:
    return all(tallies_visible(proposal.forum, viewer) for proposal in proposals_)


def preview_merge(source: Proposal, target: Proposal, *, viewer) -> Preview:
    """The merge as it would happen now, for the confirmation screen (reads only)."""
    _check_permission(viewer, source, target)
    plan = votes.plan_support_merge(source, target)
    show = _may_see_supporters(viewer, source, target)
    return Preview(source, target, plan, merge_refusal(source, target), show, _people(plan) if show else {})


def preview_undo(merge: ProposalMerge, *, viewer) -> Preview:
    _check_permission(viewer, merge.source, merge.target)
    plan = votes.plan_support_unmerge(merge.source, merge.target, merge_id=merge.id)
    show = _may_see_supporters(viewer, merge.source, merge.target)
    return Preview(merge.source, merge.target, plan, undo_refusal(merge), show, _people(plan) if show else {})


# The actions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MergeResult:
    """What a merge or an undo did; the events a notification would tell: the source's
    and the target's authors, and the supporters (ids) by what happened to them."""

    merge: ProposalMerge
    plan: "votes.SupportMergePlan | votes.SupportUnmergePlan"
    comments_moved: int
    source_author_id: int
    target_author_id: int


def _state(proposal: Proposal) -> dict:
    db.session.refresh(proposal, ["status", "merged_into_id", "support_count", "comment_count"])
    return {"status": proposal.status, "merged_into": proposal.merged_into_id,
            "support_count": proposal.support_count, "comment_count": proposal.comment_count}


def _audit_values(source: Proposal, target: Proposal) -> dict:
    return {f"source.{key}": value for key, value in _state(source).items()} | {
        f"target.{key}": value for key, value in _state(target).items()
    }


def merge_proposals(source: Proposal, target: Proposal, *, actor, expected: str | None = None,
                    reason: str = "") -> MergeResult:
    """Merge ``source`` into ``target`` (see the module's docstring). ``expected``: the
    plan's fingerprint the moderator confirmed; if the supports changed since, nothing
    happens and ``votes.StalePlan`` asks to look again."""
    _check_permission(actor, source, target)
    proposals.lock_proposals([source, target])
    refusal = merge_refusal(source, target)
    if refusal:
        raise InvalidAction(refusal)
    ids = [source.id, target.id]
    before_counts = counts.snapshot_public_counts(ids)
    before = _audit_values(source, target)
    merge = proposals.mark_merged(source, target, actor=actor)
    plan = votes.merge_supports(source, target, merge_id=merge.id, expected=expected)
    db.session.flush()
    counts.apply_public_count_changes(before_counts, counts.snapshot_public_counts(ids))
    moderation_queue.follow_moved_posts(ids)
    after = _audit_values(source, target)
    moved_comments = after["target.comment_count"] - before["target.comment_count"]
    record_audit(
        "moderation.merge_proposals", source, actor=actor, reason=reason, before=before,
        after=after | {"merge": merge.id, "supporters.moved": len(plan.moved),
                       "supporters.already": len(plan.already), "supporters.over_limit": len(plan.over_limit),
                       "supporters.target_author": len(plan.target_author),
                       "supporters.not_counted": len(plan.not_counted)},
    )
    db.session.flush()
    return MergeResult(merge, plan, moved_comments, source.author_id, target.author_id)


def undo_merge(merge: ProposalMerge, *, actor, expected: str | None = None, reason: str = "") -> MergeResult:
    """Undo ``merge``: the source is listed again with its comments and the supporters
    whose support of the target still stands (``votes.plan_support_unmerge``)."""
    source, target = merge.source, merge.target
    _check_permission(actor, source, target)
    proposals.lock_proposals([source, target])
    db.session.refresh(merge)
    refusal = undo_refusal(merge)
    if refusal:
        raise InvalidAction(refusal)
    ids = [source.id, target.id]
    before_counts = counts.snapshot_public_counts(ids)
    before = _audit_values(source, target)
    plan = votes.unmerge_supports(source, target, merge_id=merge.id, expected=expected)
    moved = proposals.unmark_merged(merge, actor=actor)
    db.session.flush()
    counts.apply_public_count_changes(before_counts, counts.snapshot_public_counts(ids))
    moderation_queue.follow_moved_posts(ids)
    after = _audit_values(source, target)
    record_audit(
        "moderation.undo_merge", source, actor=actor, reason=reason, before=before,
        after=after | {"merge": merge.id, "supporters.back": len(plan.back_to_source),
                       "supporters.both": len(plan.both), "supporters.withdrawn": len(plan.withdrawn),
                       "supporters.over_limit": len(plan.over_limit)},
    )
    db.session.flush()
    return MergeResult(merge, plan, moved, source.author_id, target.author_id)


def merges_to_undo(proposal: Proposal) -> list[ProposalMerge]:
    """The merges in force into ``proposal``, or the one that merged it (for the undo
    links on the confirmation and proposal pages)."""
    found = proposals.list_merges_into([proposal.id])
    own = proposals.merge_in_force(proposal)
    return ([own] if own else []) + found
