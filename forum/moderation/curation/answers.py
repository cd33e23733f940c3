"""Official answers (issue 8, item 6): a moderator answers a proposal with a status and a
text, at once or as a draft; the drafts of a forum are published together.

Statuses: the built-in ``under_review``, ``accepted``, ``rejected``
(``proposals.models.ANSWER_STATUSES``) and the custom statuses the organizers define
per forum (``forums.statuses``), always by code. An answer keeps the proposal open for
supports and comments (``proposals.models.ACTIVE_STATUSES``); withdrawn and merged
proposals are not answered. The published answer lives on the proposal (the proposals
domain owns it, and the search document includes it); drafts live here
(``AnswerDraft``). Every verb checks ``can_moderate``, writes its audit entry, flushes
and never commits; publishing returns ``CurationEvent``s (the author is to be told).
"""
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction
from forum.core.text import is_visually_blank, normalize_text
from forum.extensions import db
from forum.forums.models import Forum
from forum.forums.statuses import is_offered_status, list_forum_statuses, status_title
from forum.moderation.curation.models import AnswerDraft
from forum.moderation.curation.services import CurationEvent, check_can_moderate
from forum.proposals import services as proposals
from forum.proposals.models import ANSWER_STATUSES, Proposal, ProposalStatus


def status_choices(forum: Forum) -> list[tuple[str, str]]:
    """(code, title in the reader's language) of the statuses an answer may give in
    ``forum``: the built-in ones, then the forum's custom ones that are not retired."""
    return [(status.value, status.label) for status in ANSWER_STATUSES] + [
        (status.code, status_title(status)) for status in list_forum_statuses(forum) if not status.is_retired
    ]


def _clean_status(proposal: Proposal, status: str | None) -> str:
    status = (status or "").strip()
    if status in {known.value for known in ANSWER_STATUSES} or is_offered_status(proposal.forum_id, status):
        return status
    raise InvalidAction(_("Vui lòng chọn một trạng thái của diễn đàn này."))


def _clean_body(body: str | None) -> str:
    text = normalize_text(body, multiline=True)
    if not text or is_visually_blank(text, markdown=True):
        raise InvalidAction(_("Vui lòng nhập nội dung trả lời."))
    if len(text) > AnswerDraft.BODY_MAX_LENGTH:
        raise InvalidAction(_("Nội dung trả lời quá dài (tối đa %(max)s ký tự).", max=AnswerDraft.BODY_MAX_LENGTH))
    return text


def _check_answerable(proposal: Proposal) -> None:
    if proposal.status in (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED):
        raise InvalidAction(_("Hiến kế đã rút hoặc đã gộp không nhận trả lời chính thức."))


def get_draft(proposal: Proposal) -> AnswerDraft | None:
    return db.session.scalar(sa.select(AnswerDraft).where(AnswerDraft.proposal_id == proposal.id))


def save_draft(proposal: Proposal, *, status: str, body: str, actor) -> AnswerDraft:
    """Keep an answer as a draft (replacing the proposal's earlier draft); nobody but
    the forum's moderators sees it until it is published."""
    check_can_moderate(actor, proposal.forum)
    _check_answerable(proposal)
    status, body = _clean_status(proposal, status), _clean_body(body)
    draft = get_draft(proposal)
    if draft is None:
        draft = AnswerDraft(proposal_id=proposal.id, forum_id=proposal.forum_id, status=status, body=body,
                            author_id=actor.id)
        db.session.add(draft)
    else:
        draft.status, draft.body, draft.author_id, draft.forum_id = status, body, actor.id, proposal.forum_id
    db.session.flush()
    record_audit("answer.save_draft", proposal, actor=actor, after={"status": status, "answer": body})
    return draft


def discard_draft(proposal: Proposal, *, actor) -> bool:
    """Delete the proposal's draft; False when it had none."""
    check_can_moderate(actor, proposal.forum)
    draft = get_draft(proposal)
    if draft is None:
        return False
    record_audit("answer.discard_draft", proposal, actor=actor, before={"status": draft.status, "answer": draft.body})
    db.session.delete(draft)
    db.session.flush()
    return True


def publish_answer(proposal: Proposal, *, status: str, body: str, actor) -> CurationEvent:
    """Publish the forum's official answer now (and drop the proposal's draft)."""
    check_can_moderate(actor, proposal.forum)
    _check_answerable(proposal)
    status, body = _clean_status(proposal, status), _clean_body(body)
    return _publish(proposal, status, body, actor, draft=get_draft(proposal))


def _publish(proposal: Proposal, status: str, body: str, actor, *, draft: AnswerDraft | None) -> CurationEvent:
    before = proposals.set_official_answer(proposal, status=status, body=body, responder=actor, now=utcnow())
    if draft is not None:
        db.session.delete(draft)
        db.session.flush()
    after = {"status": status, "answer": body}
    record_audit("answer.publish", proposal, actor=actor, before=before, after=after)
    return CurationEvent("answer.publish", proposal.id, proposal.author_id, actor.id, before, after)


@dataclass(frozen=True)
class DraftRow:
    draft: AnswerDraft
    proposal: Proposal
    status_label: str


def list_drafts(forum: Forum, *, actor) -> list[DraftRow]:
    """The forum's drafts, oldest proposal first, with their proposals and authors (one
    query)."""
    check_can_moderate(actor, forum)
    drafts = db.session.scalars(
        sa.select(AnswerDraft)
        .where(AnswerDraft.forum_id == forum.id)
        .options(so.joinedload(AnswerDraft.proposal).joinedload(Proposal.author), so.joinedload(AnswerDraft.author))
        .order_by(AnswerDraft.proposal_id)
    ).all()
    labels = dict(status_choices(forum))
    return [DraftRow(draft, draft.proposal, labels.get(draft.status, draft.status)) for draft in drafts]


def count_drafts_by_forum(forum_ids) -> dict[int, int]:
    """{forum id: number of drafts} for ``forum_ids`` (one GROUP BY query)."""
    ids = list(forum_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(AnswerDraft.forum_id, sa.func.count()).where(AnswerDraft.forum_id.in_(ids))
        .group_by(AnswerDraft.forum_id)
    )
    return dict(rows.all())


def publish_forum_drafts(forum: Forum, *, actor) -> list[CurationEvent]:
    """Publish every draft of the forum at once, each as its proposal's official answer
    with its own status. A draft that can no longer be published (its proposal withdrawn
    or merged since, or its custom status retired) is refused: nothing is published and
    the message names the proposal, so the moderator fixes or discards that draft."""
    check_can_moderate(actor, forum)
    drafts = db.session.scalars(
        sa.select(AnswerDraft).where(AnswerDraft.forum_id == forum.id)
        .options(so.joinedload(AnswerDraft.proposal)).order_by(AnswerDraft.proposal_id)
    ).all()
    events = []
    for draft in drafts:
        proposal = draft.proposal
        try:
            _check_answerable(proposal)
            status = _clean_status(proposal, draft.status)
        except InvalidAction as error:
            raise InvalidAction(_("Hiến kế «%(title)s»: %(error)s", title=proposal.title, error=str(error))) from None
        events.append(_publish(proposal, status, draft.body, actor, draft=draft))
    return events

