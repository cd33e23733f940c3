"""Proposal and comment verbs, plus the queries the proposal page, the forum page's list
and the profile need (with ``counts``, the only modules that query this domain's tables).

Verbs check permission with the models' ``can_*`` predicates and raise
``PermissionDenied`` (with a message saying *why*, taken from the ``*_block_reason``
helpers) or ``InvalidAction``. They change rows and flush, and never commit: the view
does, once per request.
"""
import enum
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forum.core.audit import record_audit
from forum.core.database import local_day, utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.markup import render_markup
from forum.core.pagecache import version_column
from forum.core.permissions import is_active_user
from forum.auth.models import User
from forum.core.text import is_visually_blank, normalize_text
from forum.extensions import db
from forum.forums import services as forum_counts
from forum.forums.models import Forum, Phase, Theme
from forum.forums.moderators import can_moderate
from forum.forums.statuses import custom_status_label
from forum.proposals.counts import change_publicity
from forum.proposals.models import (
    PUBLISHED_CAUSES, Comment, HiddenCause, Listing, Proposal, ProposalMerge, ProposalStatus,
)


# Why an action is not allowed ------------------------------------------------------------
def _phase_reason(forum: Forum) -> str:
    """The forum's phase as the reason an action is refused: the state only (empty for an
    open forum); the caller says what is refused (``_because``), so nothing is said twice."""
    phase = forum.current_phase
    if phase == Phase.DRAFT:
        return _("Diễn đàn chưa mở.")
    if phase == Phase.VOTING:
        return _("Diễn đàn đang trong giai đoạn bình chọn.")
    if phase == Phase.CLOSED:
        return _("Diễn đàn đã kết thúc.")
    return ""


def _because(reason: str, refused: str) -> str:
    """One notice: why, then what is refused."""
    return f"{reason} {refused}".strip()


def _edit_window_minutes(forum: Forum) -> int:
    return int(forum.edit_window().total_seconds() // 60)


def _inactive_proposal_reason(proposal: Proposal) -> str:
    if proposal.is_withdrawn:
        return _("Hiến kế này đã được tác giả rút.")
    if proposal.awaiting_approval:
        return _("Hiến kế này đang chờ điều hành viên duyệt.")
    if proposal.is_hidden:
        return _("Hiến kế này đang bị ẩn.")
    return _("Hiến kế này đã được xử lý (%(status)s).", status=proposal.status_label)


def can_submit_proposal(forum: Forum, user) -> bool:
    """Any active, logged-in user may submit while the forum accepts proposals."""
    return is_active_user(user) and forum.is_visible_to(user) and forum.accepts_proposals


def submit_block_reason(forum: Forum, user) -> str | None:
    if can_submit_proposal(forum, user):
        return None
    if not is_active_user(user):
        return _("Vui lòng đăng nhập để gửi hiến kế.")
    return _because(_phase_reason(forum), _("Không thể gửi hiến kế mới."))


def edit_block_reason(proposal: Proposal, user, now: datetime | None = None) -> str | None:
    if proposal.can_edit(user, now=now):
        return None
    if not proposal.is_author(user):
        return _("Chỉ tác giả mới được sửa hiến kế này.")
    if not proposal.is_active:
        return _inactive_proposal_reason(proposal)
    if proposal.is_locked:
        return _("Hiến kế này đã bị khóa nên không thể sửa.")
    if not proposal.forum.accepts_proposals:
        return _because(_phase_reason(proposal.forum), _("Không thể sửa hiến kế."))
    if proposal.support_count and not proposal.forum.hide_tallies_until_closed:
        return _("Hiến kế đã có người ủng hộ nên không thể sửa nữa.")
    return _(
        "Đã hết thời hạn sửa hiến kế (%(minutes)s phút sau khi gửi).",
        minutes=_edit_window_minutes(proposal.forum),
    )


def withdraw_block_reason(proposal: Proposal, user) -> str | None:
    if proposal.can_withdraw(user):
        return None
    if not proposal.is_author(user):
        return _("Chỉ tác giả mới được rút hiến kế này.")
    if not proposal.is_active:
        return _inactive_proposal_reason(proposal)
    return _because(_phase_reason(proposal.forum), _("Không thể rút hiến kế."))


def comment_block_reason(proposal: Proposal, user) -> str | None:
    if proposal.can_comment(user):
        return None
    if not is_active_user(user):
        return _("Vui lòng đăng nhập để gửi ý kiến.")
    if not proposal.is_active:
        return _because(_inactive_proposal_reason(proposal), _("Không nhận thêm ý kiến."))
    if proposal.is_locked:
        return _("Thảo luận về hiến kế này đã bị khóa.")
    if not proposal.forum.comments_open and proposal.forum.current_phase == Phase.OPEN:
        return _("Diễn đàn này không nhận ý kiến.")
    return _because(_phase_reason(proposal.forum), _("Không nhận thêm ý kiến."))


def comment_edit_block_reason(comment: Comment, user, now: datetime | None = None) -> str | None:
    if comment.can_edit(user, now=now):
        return None
    if not comment.is_author(user):
        return _("Chỉ người viết mới được sửa ý kiến này.")
    if comment.is_hidden:
        return _("Ý kiến này đang bị ẩn.")
    reason = comment_block_reason(comment.proposal, user)
    if reason:
        return reason
    return _(
        "Đã hết thời hạn sửa ý kiến (%(minutes)s phút sau khi gửi).",
        minutes=_edit_window_minutes(comment.proposal.forum),
    )


# Input checks (the forms validate first; these guard the services' other callers) -------
def _clean_text(
    value: str | None, *, max_length: int, empty: str, blank: str, too_long: str, multiline=True
) -> str:
    """Normalised text, refused when empty, visually blank or too long. Titles are
    single-line plain text; bodies (``multiline``) are Markdown."""
    text = normalize_text(value, multiline=multiline)
    if not text:
        raise InvalidAction(empty)
    if is_visually_blank(text, markdown=multiline):
        raise InvalidAction(blank)
    if len(text) > max_length:
        raise InvalidAction(too_long)
    return text


def _clean_title(title: str | None) -> str:
    return _clean_text(
        title,
        max_length=Proposal.TITLE_MAX_LENGTH,
        empty=_("Vui lòng nhập tiêu đề."),
        blank=_("Tiêu đề chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập tiêu đề có chữ."),
        too_long=_("Tiêu đề quá dài."),
        multiline=False,
    )


def _clean_body(body: str | None) -> str:
    return _clean_text(
        body,
        max_length=Proposal.BODY_MAX_LENGTH,
        empty=_("Vui lòng nhập nội dung hiến kế."),
        blank=_("Nội dung hiến kế chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập nội dung có chữ."),
        too_long=_("Nội dung quá dài."),
    )


def _clean_comment(body: str | None) -> str:
    return _clean_text(
        body,
        max_length=Comment.BODY_MAX_LENGTH,
        empty=_("Vui lòng nhập nội dung ý kiến."),
        blank=_("Ý kiến chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập ý kiến có chữ."),
        too_long=_("Ý kiến quá dài."),
    )


def _theme_for(forum: Forum, theme_id: int | None, *, current: Theme | None = None) -> Theme | None:
    """The chosen theme, which must belong to ``forum``; required when the forum has themes
    that take proposals. A retired theme takes no new proposals: only a proposal already
    in it (``current``) may stay there."""
    if theme_id is None:
        if forum.active_themes:
            raise InvalidAction(_("Vui lòng chọn nhóm vấn đề."))
        return None
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.forum_id != forum.id:
        raise InvalidAction(_("Nhóm vấn đề không thuộc diễn đàn này. Vui lòng chọn lại."))
    if theme.is_retired and theme != current:
        raise InvalidAction(_("Nhóm vấn đề «%(theme)s» đã ngừng nhận hiến kế mới. Vui lòng chọn nhóm khác.",
                              theme=theme.title))
    return theme


# Proposals -------------------------------------------------------------------------------
def create_proposal(forum: Forum, *, title: str, body: str, theme_id: int | None = None, actor) -> Proposal:
    """Publish a new proposal by ``actor`` in ``forum``."""
    reason = submit_block_reason(forum, actor)
    if reason:
        raise PermissionDenied(reason)
    theme = _theme_for(forum, theme_id)
    body = _clean_body(body)
    pending = needs_approval(forum, actor)
    proposal = Proposal(
        forum=forum,
        theme=theme,
        author_id=actor.id,
        title=_clean_title(title),
        body=body,
        body_html=render_markup(body),
        status=ProposalStatus.PUBLISHED.value,
        **(_pending_columns() if pending else {}),
    )
    db.session.add(proposal)
    db.session.flush()
    if pending:
        _announce_awaiting_approval(proposal)
        return proposal
    forum_counts.change_participation(forum.id, {actor.id: +1})
    forum_counts.change_public_proposals(forum.id, proposal.theme_id, actor.unit, +1)
    forum_counts.change_forum_days(forum.id, {(local_day(proposal.created_at), "proposals"): +1})
    return proposal


def update_proposal(
    proposal: Proposal,
    *,
    title: str,
    body: str,
    theme_id: int | None = None,
    actor,
    now: datetime | None = None,
) -> Proposal:
    """Change the author's own proposal within the edit window; marks it as edited."""
    reason = edit_block_reason(proposal, actor, now=now)
    if reason:
        raise PermissionDenied(reason)
    theme = _theme_for(proposal.forum, theme_id, current=proposal.theme)
    title, body = _clean_title(title), _clean_body(body)
    if (title, body, theme) == (proposal.title, proposal.body, proposal.theme):
        return proposal  # nothing changed: no "đã chỉnh sửa" marker
    if title != proposal.title and proposal.original_title is not None:
        # The author retitles: a moderator's earlier correction no longer describes it.
        proposal.original_title = proposal.title_corrected_by_id = proposal.title_corrected_at = None
    proposal.title = title
    proposal.body = body
    proposal.body_html = render_markup(body)
    if proposal.listing_is_public and theme != proposal.theme:
        forum_counts.move_public_proposal(proposal.theme_id, theme.id if theme else None)
    proposal.theme = theme
    proposal.edited_at = now or utcnow()
    db.session.flush()
    return proposal


def withdraw_proposal(proposal: Proposal, *, actor, reason: str = "", now: datetime | None = None) -> Proposal:
    """The author takes the proposal back; it stays readable with a "Đã rút" banner."""
    lock_proposals([proposal])  # a merge in flight ends first; then it is seen merged
    block = withdraw_block_reason(proposal, actor)
    if block:
        raise PermissionDenied(block)
    previous = proposal.status
    was_public = proposal.listing_is_public
    proposal.status = ProposalStatus.WITHDRAWN.value
    proposal.withdrawn_at = now or utcnow()
    db.session.flush()
    if was_public:
        change_publicity(proposal, -1)
    record_audit(
        "proposal.withdraw",
        proposal,
        actor=actor,
        reason=normalize_text(reason),
        before={"status": previous},
        after={"status": proposal.status},
    )
    db.session.flush()
    return proposal


def lock_proposals(proposals) -> None:
    """The first lock of every change that a merge could race (PostgreSQL): the
    proposals' rows, ``SELECT ... FOR UPDATE`` in id order, reloading their state. A
    support or a comment then waits for a merge of its proposal to end and sees it
    merged, and a merge waits for them. SQLite write transactions are serial already
    (BEGIN IMMEDIATE)."""
    if db.engine.dialect.name != "postgresql":
        return
    ids = sorted({proposal.id for proposal in proposals})
    db.session.execute(
        sa.select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.id)
        .with_for_update(of=Proposal).execution_options(populate_existing=True)
    ).all()


def lock_posts(posts) -> None:
    """``lock_proposals`` for the proposals of these proposals and comments (moderation
    acting on them), reloading the comments: a merge that ended while we waited may have
    moved them onto its target, whose row is then locked too."""
    if db.engine.dialect.name != "postgresql":
        return
    posts = list(posts)
    locked = {post.proposal_id if isinstance(post, Comment) else post.id for post in posts}
    lock_proposals([post.proposal if isinstance(post, Comment) else post for post in posts])
    comment_ids = [post.id for post in posts if isinstance(post, Comment)]
    if comment_ids:
        comments = db.session.scalars(
            sa.select(Comment).where(Comment.id.in_(comment_ids)).execution_options(populate_existing=True)
        ).all()
        moved = [comment.proposal for comment in comments if comment.proposal_id not in locked]
        if moved:
            lock_proposals(moved)


# Comments --------------------------------------------------------------------------------
def _reply_parent(proposal: Proposal, parent_id: int | None, actor) -> Comment | None:
    """The top-level comment a reply attaches to.

    A reply to a reply is attached to that reply's top-level comment (one level of
    nesting, and the conversation stays together). A parent that does not exist, sits
    on another proposal or is hidden from ``actor`` is refused.
    """
    if parent_id is None:
        return None
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.proposal_id != proposal.id or not parent.is_visible_to(actor):
        raise InvalidAction(_("Ý kiến bạn muốn trả lời không tồn tại hoặc đã bị ẩn."))
    if parent.parent_id is not None:
        parent = parent.parent
    if not parent.can_reply(actor):
        raise InvalidAction(_("Không thể trả lời ý kiến này."))
    return parent


def add_comment(proposal: Proposal, *, body: str, parent_id: int | None = None, actor) -> Comment:
    """Add an opinion (or a reply) and bump the proposal's comment count atomically."""
    lock_proposals([proposal])
    reason = comment_block_reason(proposal, actor)
    if reason:
        raise PermissionDenied(reason)
    parent = _reply_parent(proposal, parent_id, actor)
    body = _clean_comment(body)
    pending = needs_approval(proposal.forum, actor)
    comment = Comment(
        proposal_id=proposal.id,
        parent_id=parent.id if parent else None,
        author_id=actor.id,
        body=body,
        body_html=render_markup(body),
        **(_pending_columns() if pending else {}),
    )
    db.session.add(comment)
    db.session.flush()
    # ``comment_count`` counts every comment row, hidden or waiting ones included.
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(comment_count=Proposal.comment_count + 1)
    )
    if pending:
        _announce_awaiting_approval(comment)
    elif proposal.listing_is_public:
        forum_counts.change_participation(proposal.forum_id, {actor.id: +1})
        forum_counts.change_forum_days(proposal.forum_id, {(local_day(comment.created_at), "comments"): +1})
    return comment


def update_comment(comment: Comment, *, body: str, actor, now: datetime | None = None) -> Comment:
    """Change the author's own comment within the edit window."""
    reason = comment_edit_block_reason(comment, actor, now=now)
    if reason:
        raise PermissionDenied(reason)
    body = _clean_comment(body)
    if body != comment.body:
        comment.body = body
        comment.body_html = render_markup(body)
        comment.edited_at = now or utcnow()
        db.session.flush()
    return comment


def comment_edit_deadline(comment: Comment) -> datetime:
    """Until when the writer may edit ``comment`` (the same window as proposals)."""
    created = comment.created_at if comment.created_at.tzinfo else comment.created_at.replace(tzinfo=UTC)
    return created + comment.proposal.forum.edit_window()


# Queries for the pages -------------------------------------------------------------------
def get_proposal(proposal_id: int) -> Proposal | None:
    """A proposal with its forum, theme and author, in one query."""
    return db.session.scalar(
        sa.select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(so.joinedload(Proposal.forum), so.joinedload(Proposal.theme), so.joinedload(Proposal.author))
    )


def get_proposal_for_page(proposal_id: int) -> tuple[Proposal | None, int | None]:
    """``get_proposal`` and the content version, in the same one query."""
    row = db.session.execute(
        sa.select(Proposal, version_column())
        .where(Proposal.id == proposal_id)
        .options(so.joinedload(Proposal.forum), so.joinedload(Proposal.theme), so.joinedload(Proposal.author))
    ).first()
    return (row[0], row[1]) if row else (None, None)


def get_visible_proposal(proposal_id: int | None, viewer) -> Proposal | None:
    """The proposal if ``viewer`` may see it; None when it is missing or hidden from them
    (the views answer 404 for both, so a hidden proposal's existence does not show)."""
    proposal = get_proposal(proposal_id) if proposal_id else None
    return proposal if proposal is not None and proposal.is_visible_to(viewer) else None


def get_visible_comment(comment_id: int, viewer) -> Comment | None:
    """The comment if ``viewer`` may see it and its proposal; None otherwise."""
    comment = get_comment(comment_id)
    if comment is None or not comment.proposal.is_visible_to(viewer) or not comment.is_visible_to(viewer):
        return None
    return comment


def get_comment(comment_id: int) -> Comment | None:
    """A comment with its author and proposal (and the proposal's forum), in one query."""
    return db.session.scalar(
        sa.select(Comment)
        .where(Comment.id == comment_id)
        .options(
            so.joinedload(Comment.author),
            so.joinedload(Comment.proposal).joinedload(Proposal.forum),
        )
    )


def _visible_comment(viewer, comment=Comment, *, forum_id: int):
    """Condition for the comments of a proposal in ``forum_id`` that ``viewer`` may read:
    all of them for its moderators, else the visible ones and the viewer's own."""
    if can_moderate(viewer, forum_id):
        return sa.true()
    visible = sa.not_(comment.is_hidden)
    if is_active_user(viewer):
        visible = sa.or_(visible, comment.author_id == viewer.id)
    return visible


def _listed_comment(viewer, comment=Comment, *, forum_id: int):
    """Condition for the comments that have a place in the thread ``viewer`` reads: the
    ones they may read, and in their place a notice for the ones a moderator or reports
    hid after they were published (a post waiting for approval, or refused, was never
    published, so it leaves no trace)."""
    if can_moderate(viewer, forum_id):
        return sa.true()
    was_published = sa.or_(comment.hidden_cause.is_(None), comment.hidden_cause.in_(PUBLISHED_CAUSES))
    return sa.or_(_visible_comment(viewer, comment, forum_id=forum_id), was_published)


def shows_hidden_comment_notice(comment: Comment, viewer) -> bool:
    """Whether ``viewer``, who may not read ``comment``, sees in its place that it was
    hidden (the Python side of ``_listed_comment``)."""
    return comment.is_hidden and comment.hidden_cause in (None, *PUBLISHED_CAUSES) and not comment.is_visible_to(viewer)


def get_listed_comment(comment_id: int, viewer) -> Comment | None:
    """The comment if it has a place in the thread ``viewer`` reads (readable, or shown
    as hidden), and for a reply under a parent they may read; None otherwise."""
    comment = get_comment(comment_id)
    if comment is None or not comment.proposal.is_visible_to(viewer):
        return None
    if not (comment.is_visible_to(viewer) or shows_hidden_comment_notice(comment, viewer)):
        return None
    if comment.parent is not None and not comment.parent.is_visible_to(viewer):
        return None
    return comment


def comment_thread(proposal: Proposal, viewer, *, page: int = 1, per_page: int = 50) -> "Page":
    """One page of the thread: ``per_page`` top-level comments oldest first, each with all
    its replies oldest first (replies stay with their parent), in one query (the page's
    top-level comments through ``ix_comments_thread``, their replies, the authors, and
    the counts as columns); a page past the end costs one more and shows the last page.
    ``Page.items`` holds (comment, replies) pairs; ``Page.total`` counts top-level
    comments and ``Page.comment_total`` the comments ``viewer`` can read across the pages.

    A hidden comment that had been published keeps its place for viewers who may not
    read it (the template shows that a moderator hid it, not what it said); its replies
    stay out with it, as in search, since they answer what is hidden. Posts that were
    never published are left out.
    """
    parent = so.aliased(Comment)
    forum_id = proposal.forum_id
    listed = _listed_comment(viewer, forum_id=forum_id)
    top_level = sa.and_(Comment.proposal_id == proposal.id, Comment.parent_id.is_(None), listed)
    total = sa.select(sa.func.count()).select_from(Comment).where(top_level).scalar_subquery()
    readable_total = (
        sa.select(sa.func.count()).select_from(Comment).outerjoin(parent, Comment.parent_id == parent.id)
        .where(
            Comment.proposal_id == proposal.id,
            _visible_comment(viewer, forum_id=forum_id),
            sa.or_(Comment.parent_id.is_(None), _visible_comment(viewer, parent, forum_id=forum_id)),
        )
        .scalar_subquery()
    )
    page = max(1, page)
    page_ids = (
        sa.select(Comment.id).where(top_level).order_by(Comment.created_at, Comment.id)
        .limit(per_page).offset((page - 1) * per_page)
    )
    rows = db.session.execute(
        sa.select(Comment, total, readable_total)
        .where(
            # Redundant for the rows, but it gives both databases an index to start from:
            # without it PostgreSQL scans every comment for the OR below.
            Comment.proposal_id == proposal.id,
            sa.or_(Comment.id.in_(page_ids), sa.and_(Comment.parent_id.in_(page_ids), listed)),
        )
        .options(so.joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    if not rows:
        top_count = db.session.scalar(sa.select(total))
        last = -(-top_count // per_page)
        if page > 1 and last:
            return comment_thread(proposal, viewer, page=last, per_page=per_page)
        return Page(items=[], page=1, per_page=per_page, total=0, comment_total=0)
    readable_parents = {comment.id for comment, _t, _r in rows if comment.parent_id is None and comment.is_visible_to(viewer)}
    replies: dict[int, list[Comment]] = {}
    for comment, _total, _readable in rows:
        if comment.parent_id in readable_parents:
            replies.setdefault(comment.parent_id, []).append(comment)
    top_count, readable_count = rows[0][1], rows[0][2]
    return Page(
        items=[(comment, replies.get(comment.id, [])) for comment, _t, _r in rows if comment.parent_id is None],
        page=page,
        per_page=per_page,
        total=top_count,
        comment_total=readable_count,
    )


def comment_page_number(comment: Comment, viewer, *, per_page: int = 50) -> int:
    """The page of the thread that shows ``comment`` (a reply: its parent's page) to
    ``viewer``, by counting the top-level comments listed before it (one query)."""
    top = comment.parent if comment.parent_id is not None else comment
    earlier = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Comment)
        .where(
            Comment.proposal_id == top.proposal_id,
            Comment.parent_id.is_(None),
            _listed_comment(viewer, forum_id=comment.proposal.forum_id),
            sa.or_(
                Comment.created_at < top.created_at,
                sa.and_(Comment.created_at == top.created_at, Comment.id < top.id),
            ),
        )
    )
    return earlier // per_page + 1


# Lists for the forum pages and the profile -------------------------------------------

# Pages beyond this are not a real request (a typo or a probe); the view answers 404.
MAX_PAGE = 100_000


class ProposalSort(enum.StrEnum):
    """Orders of a forum's proposal list (``?sort=``); pinned proposals always come first."""

    SUPPORTS = "supports"
    NEWEST = "newest"
    DISCUSSED = "discussed"

    @property
    def label(self) -> str:
        return str(SORT_LABELS[self])

    @classmethod
    def parse(cls, value: str | None) -> "ProposalSort":
        """The sort named by ``value``; anything unknown falls back to most supported."""
        try:
            return cls(value)
        except ValueError:
            return cls.SUPPORTS


SORT_LABELS = {
    ProposalSort.SUPPORTS: _l("Nhiều ủng hộ nhất"),
    ProposalSort.NEWEST: _l("Mới nhất"),
    ProposalSort.DISCUSSED: _l("Nhiều ý kiến nhất"),
}


def _is_staff(user, forum: Forum) -> bool:
    """Moderators of ``forum`` (organizers and admins: every forum) list hidden proposals."""
    return can_moderate(user, forum)


def _proposal_order(sort: ProposalSort) -> list:
    newest = [Proposal.created_at.desc(), Proposal.id.desc()]
    if sort is ProposalSort.NEWEST:
        return [Proposal.is_pinned.desc(), *newest]
    if sort is ProposalSort.DISCUSSED:
        return [Proposal.is_pinned.desc(), Proposal.comment_count.desc(), *newest]
    return [Proposal.is_pinned.desc(), Proposal.support_count.desc(), *newest]


# What a proposal card shows; never the body (the heaviest columns by far).
CARD_COLUMNS = (
    Proposal.id, Proposal.forum_id, Proposal.theme_id, Proposal.author_id, Proposal.title,
    Proposal.status, Proposal.is_hidden, Proposal.is_locked, Proposal.is_pinned,
    Proposal.support_count, Proposal.comment_count, Proposal.created_at,
)
CARD_AUTHOR_COLUMNS = (User.id, User.full_name, User.unit, User.province, User.role)  # role: the staff badge


def card_loader_options() -> tuple:
    """Loader options for a short list of proposal cards in one statement: the card's
    columns (never the body), with its author and theme joined."""
    return (
        so.load_only(*CARD_COLUMNS),
        so.joinedload(Proposal.author).load_only(*CARD_AUTHOR_COLUMNS),
        so.joinedload(Proposal.theme),
    )


@dataclass(frozen=True)
class Page:
    """One page of a list, with what the pagination links need."""

    items: list
    page: int
    per_page: int
    total: int
    # Threads only: every comment shown across the pages, replies included.
    comment_total: int = 0

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


def list_proposals(
    forum: Forum,
    *,
    user,
    sort: ProposalSort = ProposalSort.SUPPORTS,
    theme_id: int | None = None,
    page: int = 1,
    per_page: int = 20,
    public_total: int | None = None,
) -> Page:
    """One page of ``forum``'s proposals as ``user`` may see them, pinned first.

    Withdrawn proposals are never listed; hidden ones only for moderators and above.
    Authors (the columns a card shows) and themes are loaded with the page, never a
    query per proposal. A page past the end shows the last page; ``page`` must be at
    most ``MAX_PAGE`` (the view checks). ``public_total``, the maintained count of the
    public proposals listed (the forum's or the theme's), saves counting them for
    readers who see only those; staff lists are counted.

    Reads only what the cards show, through the index of the chosen order
    (``ix_proposals_list_*``): the page's ids are found by walking that index, whose
    entries carry every column the filter and the order need, so the offset of a deep
    page skips index entries (about a microsecond each), never rows; then only the
    page's rows are read. This keeps ``?page=N`` links stable and cheap at the forum
    sizes of a national consultation (page 200 skips 4,000 entries), where keyset
    cursors would add a second kind of link for a cost this small.
    """
    conditions = [Proposal.forum_id == forum.id]
    staff = _is_staff(user, forum)
    if staff:
        conditions.append(Proposal.listing != Listing.NOT_LISTED)
    else:
        conditions.append(Proposal.listing == Listing.PUBLIC)
    if theme_id is not None:
        conditions.append(Proposal.theme_id == theme_id)
    if public_total is not None and not staff:
        total = public_total
    else:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(*conditions))
    pages = -(-total // per_page)
    page = max(1, min(page, MAX_PAGE, pages or 1))
    order = _proposal_order(sort)
    page_ids = (
        sa.select(Proposal.id).where(*conditions).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    )
    items = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.id.in_(page_ids))
        .options(
            so.load_only(*CARD_COLUMNS),
            so.selectinload(Proposal.author).load_only(*CARD_AUTHOR_COLUMNS),
            so.selectinload(Proposal.theme),
        )
        .order_by(*order)
    ).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)


def listed_on_profile(user: User, forum_ids):
    """Proposals a profile owner may see listed: in ``forum_ids`` (the forums visible to
    them), and no hidden ones except their own."""
    return sa.and_(
        Proposal.forum_id.in_(list(forum_ids)),
        sa.or_(Proposal.is_hidden.is_(False), Proposal.author_id == user.id),
    )


def list_own_proposals(user: User, *, forum_ids) -> list[Proposal]:
    """The user's proposals in ``forum_ids``, newest first, as cards (one query).

    ``proposal.forum`` comes from the session without a query when the caller loaded the
    forums of ``forum_ids`` first (as ``forums.services.list_visible_forums`` does).
    """
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .where(Proposal.author_id == user.id, listed_on_profile(user, forum_ids))
            .options(*card_loader_options())
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        )
    )


# Staff tools -----------------------------------------------------------------------------
def count_all_proposals_by_forum() -> dict[int, int]:
    """``{forum_id: number of proposals}`` of every status and visibility (``flask forum
    list``), in one GROUP BY query."""
    rows = db.session.execute(sa.select(Proposal.forum_id, sa.func.count(Proposal.id)).group_by(Proposal.forum_id))
    return {forum_id: count for forum_id, count in rows}


# Moderation: pre-moderation, hiding and locking ---------------------------------------
# The moderation domain checks who may act (``forums.moderators.can_moderate``), writes
# the audit entries and keeps its queue; these functions change this domain's rows and
# the counts they feed, in the caller's transaction. They check no permission.
_approval_listeners: list = []


def on_awaiting_approval(listener) -> None:
    """Call ``listener(post)`` (a Proposal or Comment, flushed) for each new post that
    waits for a moderator's approval; the moderation queue registers itself at import."""
    if listener not in _approval_listeners:
        _approval_listeners.append(listener)


def _announce_awaiting_approval(post) -> None:
    for listener in _approval_listeners:
        listener(post)


def _pending_columns() -> dict:
    return {"is_hidden": True, "hidden_cause": HiddenCause.PENDING.value, "hidden_at": utcnow()}


def has_published_post(user, forum: Forum) -> bool:
    """Has ``user`` a proposal or comment in ``forum`` that was published (visible now,
    or hidden after its publication)? One query."""
    published_proposal = sa.or_(
        Proposal.is_hidden.is_(False), Proposal.hidden_cause.is_(None), Proposal.hidden_cause.in_(PUBLISHED_CAUSES)
    )
    published_comment = sa.or_(
        Comment.is_hidden.is_(False), Comment.hidden_cause.is_(None), Comment.hidden_cause.in_(PUBLISHED_CAUSES)
    )
    proposals = sa.exists().where(Proposal.forum_id == forum.id, Proposal.author_id == user.id, published_proposal)
    comments = (
        sa.exists()
        .where(Comment.author_id == user.id, published_comment, Comment.proposal_id == Proposal.id,
               Proposal.forum_id == forum.id)
    )
    return bool(db.session.scalar(sa.select(sa.or_(proposals, comments))))


def needs_approval(forum: Forum, user) -> bool:
    """Pre-moderation: where the forum's rule ``premoderate_new_accounts`` is on, the posts
    of an account that is *new in the forum* wait for a moderator's approval. New in the
    forum: no proposal or comment of theirs there was ever published (one approved post
    ends it; a rejected one does not). Staff are never new."""
    if not forum.premoderate_new_accounts or not is_active_user(user) or user.is_moderator:
        return False
    return not has_published_post(user, forum)


def shows_hidden_notice(proposal: Proposal, user) -> bool:
    """Whether a reader who may not see ``proposal`` is told that it was hidden (by a
    moderator or by reports) instead of "not found": a post waiting for approval or
    refused was never published, so nothing is said about it."""
    return (
        proposal.is_hidden
        and proposal.hidden_cause not in (HiddenCause.PENDING, HiddenCause.REJECTED)
        and proposal.forum.is_visible_to(user)
    )


def set_proposal_hidden(proposal: Proposal, *, hidden: bool, cause: str | None = None, reason: str = "",
                        by=None, now: datetime | None = None) -> bool:
    """Hide ``proposal`` (with a ``HiddenCause`` and a reason its author sees) or show it
    again; the forum's public counts follow (``change_publicity``) and search through the
    outbox. Changing only the cause or reason of a hidden proposal moves no count.
    Returns False when nothing changed."""
    was_public = proposal.listing_is_public
    values = (
        {"is_hidden": True, "hidden_cause": cause or HiddenCause.MODERATOR.value,
         "hidden_reason": normalize_text(reason or "", multiline=True)}
        if hidden else {"is_hidden": False, "hidden_cause": None, "hidden_reason": ""}
    )
    if all(getattr(proposal, key) == value for key, value in values.items()):
        return False
    for key, value in values.items():
        setattr(proposal, key, value)
    proposal.hidden_by_id = by.id if (hidden and by is not None) else None
    proposal.hidden_at = (now or utcnow()) if hidden else None
    db.session.flush()
    if was_public != proposal.listing_is_public:
        change_publicity(proposal, +1 if proposal.listing_is_public else -1)
    return True


def set_comment_hidden(comment: Comment, *, hidden: bool, cause: str | None = None, reason: str = "",
                       by=None, now: datetime | None = None) -> bool:
    """As ``set_proposal_hidden`` for a comment: its author's participation in the forum
    follows while its proposal is public (``comment_count`` counts every row)."""
    was_visible = not comment.is_hidden
    values = (
        {"is_hidden": True, "hidden_cause": cause or HiddenCause.MODERATOR.value,
         "hidden_reason": normalize_text(reason or "", multiline=True)}
        if hidden else {"is_hidden": False, "hidden_cause": None, "hidden_reason": ""}
    )
    if all(getattr(comment, key) == value for key, value in values.items()):
        return False
    for key, value in values.items():
        setattr(comment, key, value)
    comment.hidden_by_id = by.id if (hidden and by is not None) else None
    comment.hidden_at = (now or utcnow()) if hidden else None
    db.session.flush()
    if was_visible != (not comment.is_hidden) and comment.proposal.listing_is_public:
        delta = -1 if hidden else +1
        forum_counts.change_participation(comment.proposal.forum_id, {comment.author_id: delta})
        forum_counts.change_forum_days(comment.proposal.forum_id, {(local_day(comment.created_at), "comments"): delta})
    return True


def set_proposal_locked(proposal: Proposal, *, locked: bool) -> bool:
    """Lock (no comments, supports, withdrawals of support or edits) or unlock the thread;
    False when it already was."""
    if proposal.is_locked == locked:
        return False
    proposal.is_locked = locked
    db.session.flush()
    return True


def get_comments_by_id(ids) -> dict[int, Comment]:
    """Comments by id with their author and proposal (one query): the moderation queue."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Comment).where(Comment.id.in_(ids))
        .options(so.joinedload(Comment.author), so.joinedload(Comment.proposal).joinedload(Proposal.forum))
    )
    return {comment.id: comment for comment in rows}


# Curation (issue 8) ----------------------------------------------------------------------
# Column changes the moderation services make. They check nothing about the actor and
# write no audit entry: forum.moderation.curation does both, around these calls.
def set_proposal_flag(proposal: Proposal, flag: str, value: bool) -> bool:
    """Set ``is_pinned`` or ``is_featured``; False when it already had that value."""
    if flag not in ("is_pinned", "is_featured"):
        raise ValueError(flag)
    if getattr(proposal, flag) == bool(value):
        return False
    setattr(proposal, flag, bool(value))
    db.session.flush()
    return True


def clean_proposal_title(title: str | None) -> str:
    """A title as the submission form accepts it (normalised), or ``InvalidAction``."""
    return _clean_title(title)


def correct_proposal_title(proposal: Proposal, title: str, *, corrector, now: datetime | None = None) -> str | None:
    """Give the proposal ``title`` (a moderator's correction for clarity), keeping the
    author's own title the first time; returns the title it had (None: unchanged).
    Correcting back to the author's own title clears the correction."""
    title = _clean_title(title)
    previous = proposal.title
    if title == previous:
        return None
    if proposal.original_title is None:
        proposal.original_title = previous
    if title == proposal.original_title:
        proposal.original_title = proposal.title_corrected_by_id = proposal.title_corrected_at = None
    else:
        proposal.title_corrected_by_id = corrector.id
        proposal.title_corrected_at = now or utcnow()
    proposal.title = title
    db.session.flush()
    return previous


def move_proposal_to(proposal: Proposal, forum: Forum, theme_id: int | None) -> tuple[Forum, Theme | None]:
    """Put the proposal in ``forum`` (its own or another) and one of that forum's themes;
    every count it feeds moves with it in this transaction: the public proposal counts
    of the forums, themes and units, and the participation of its author, commenters and
    supporters (``change_publicity``). Its comments and supports follow it (they point
    at the proposal). Returns the forum and theme it left."""
    old_forum, old_theme = proposal.forum, proposal.theme
    theme = _theme_for(forum, theme_id, current=old_theme if forum.id == old_forum.id else None)
    if forum.id == old_forum.id and theme == old_theme:
        raise InvalidAction(_("Hiến kế đã ở diễn đàn và nhóm vấn đề này."))
    public = proposal.listing_is_public
    if forum.id == old_forum.id:
        if public:
            forum_counts.move_public_proposal(old_theme.id if old_theme else None, theme.id if theme else None)
        proposal.theme = theme
        db.session.flush()
        return old_forum, old_theme
    if public:
        change_publicity(proposal, -1)
    proposal.forum = forum
    proposal.theme = theme
    db.session.flush()
    if public:
        change_publicity(proposal, +1)
    return old_forum, old_theme


def set_official_answer(proposal: Proposal, *, status: str, body: str, responder, now: datetime | None = None) -> dict:
    """Publish the forum's official answer: the proposal takes ``status`` and the answer
    (Markdown, rendered once by the sanitizer); returns the values it had. A withdrawn
    or merged proposal keeps its state: it is not answered."""
    if proposal.status in (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED):
        raise InvalidAction(_inactive_proposal_reason(proposal) + " " + _("Không thể trả lời hiến kế này."))
    before = {"status": proposal.status, "answer": proposal.answer_body}
    proposal.status = status
    proposal.answer_body = body
    proposal.answer_html = render_markup(body)
    proposal.answered_by_id = responder.id
    proposal.answered_at = now or utcnow()
    db.session.flush()
    return before


def list_featured_proposals(forum_ids, *, limit: int = 6) -> list[Proposal]:
    """The featured public proposals of ``forum_ids`` (the forums the reader may see),
    newest first, at most ``limit``, as cards: one query through ``ix_proposals_featured``."""
    ids = list(forum_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Proposal)
        # A bare boolean column: "is_featured = 1" on SQLite, the partial index's condition.
        # "+ 0" keeps the planners off the list indexes (forum_id, listing, ...), which would
        # read every public proposal of the forums: the few featured rows are checked instead.
        .where(Proposal.is_featured, (Proposal.listing + 0) == Listing.PUBLIC.value,
               (Proposal.forum_id + 0).in_(ids))
        .options(*card_loader_options())
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        .limit(limit)
    ))


# Merges of duplicates (called by forum/moderation/merges.py, which checks permission) ---
@dataclass(frozen=True)
class MergeCredits:
    """What a proposal page says about merges: the proposal it was merged into, the
    proposals merged into it, and the authors credited with it through them."""

    merged_into: Proposal | None
    includes: list[Proposal]
    coauthors: list[User]
    merge_id: int | None = None  # the merge in force of a merged proposal (for its undo link)


def merged_family_ids(proposal_id: int) -> list[int]:
    """``proposal_id`` and every proposal merged into it, directly or through a chain of
    merges in force (one query per level of the chain)."""
    family, frontier = [proposal_id], [proposal_id]
    while frontier:
        frontier = list(db.session.scalars(
            sa.select(ProposalMerge.source_id)
            .where(ProposalMerge.target_id.in_(frontier), ProposalMerge.undone_at.is_(None))
            .order_by(ProposalMerge.source_id)
        ))
        frontier = [pid for pid in frontier if pid not in family]
        family += frontier
    return family


def merge_credits(proposal: Proposal) -> MergeCredits:
    """``MergeCredits`` for the proposal page: no query for a proposal no merge touched
    (``merge_count``), two for one that includes others, two for a merged one."""
    merged_into, merge_id = None, None
    if proposal.merged_into_id is not None:
        merged_into = db.session.get(Proposal, proposal.merged_into_id)
        merge = merge_in_force(proposal)
        merge_id = merge.id if merge else None
    if not proposal.merge_count:
        return MergeCredits(merged_into=merged_into, includes=[], coauthors=[], merge_id=merge_id)
    includes = list(db.session.scalars(
        sa.select(Proposal).join(ProposalMerge, ProposalMerge.source_id == Proposal.id)
        .where(ProposalMerge.target_id == proposal.id, ProposalMerge.undone_at.is_(None))
        .options(so.joinedload(Proposal.author))
        .order_by(ProposalMerge.created_at, ProposalMerge.id)
    ))
    coauthors: list[User] = []
    if includes:
        family = merged_family_ids(proposal.id)[1:]
        authors = db.session.scalars(
            sa.select(User).join(Proposal, Proposal.author_id == User.id)
            .where(Proposal.id.in_(family), User.id != proposal.author_id).distinct().order_by(User.id)
        )
        coauthors = list(authors)
    return MergeCredits(merged_into=merged_into, includes=includes, coauthors=coauthors, merge_id=merge_id)


def get_merge(merge_id: int) -> ProposalMerge | None:
    return db.session.scalar(
        sa.select(ProposalMerge).where(ProposalMerge.id == merge_id)
        .options(so.joinedload(ProposalMerge.source).joinedload(Proposal.forum),
                 so.joinedload(ProposalMerge.target).joinedload(Proposal.forum))
    )


def merge_in_force(source: Proposal) -> ProposalMerge | None:
    """The merge that made ``source`` merged, if it is."""
    return db.session.scalar(
        sa.select(ProposalMerge).where(ProposalMerge.source_id == source.id, ProposalMerge.undone_at.is_(None))
    )


def list_merges_into(proposal_ids) -> list[ProposalMerge]:
    """Merges in force whose target is one of ``proposal_ids``, newest first."""
    return list(db.session.scalars(
        sa.select(ProposalMerge)
        .where(ProposalMerge.target_id.in_(list(proposal_ids)), ProposalMerge.undone_at.is_(None))
        .options(so.joinedload(ProposalMerge.source))
        .order_by(ProposalMerge.created_at.desc(), ProposalMerge.id.desc())
    ))


def _shift_comment_count(proposal_id: int, delta: int) -> None:
    if delta:
        db.session.execute(
            sa.update(Proposal).where(Proposal.id == proposal_id)
            .values(comment_count=Proposal.comment_count + delta, updated_at=Proposal.updated_at)
            .execution_options(synchronize_session=False)
        )


def _shift_merge_count(proposal_id: int, delta: int) -> None:
    db.session.execute(
        sa.update(Proposal).where(Proposal.id == proposal_id)
        .values(merge_count=Proposal.merge_count + delta, updated_at=Proposal.updated_at)
        .execution_options(synchronize_session="fetch")
    )


def mark_merged(source: Proposal, target: Proposal, *, actor) -> ProposalMerge:
    """The proposal columns of a merge: ``source`` becomes ``merged`` into ``target``
    (no longer listed), and its comments move to ``target``, each remembering the
    proposal it was written on. Counters of comments move here; the forum's public
    counts are the caller's (``counts.snapshot_public_counts``)."""
    merge = ProposalMerge(source_id=source.id, target_id=target.id, source_status=source.status,
                          actor_id=getattr(actor, "id", None))
    db.session.add(merge)
    source.status = ProposalStatus.MERGED.value
    source.merged_into_id = target.id
    db.session.flush()
    moved = db.session.execute(
        sa.update(Comment).where(Comment.proposal_id == source.id)
        .values(proposal_id=target.id, origin_proposal_id=sa.func.coalesce(Comment.origin_proposal_id, source.id))
        .execution_options(synchronize_session="fetch")
    ).rowcount
    _shift_comment_count(source.id, -moved)
    _shift_comment_count(target.id, moved)
    _shift_merge_count(target.id, +1)
    db.session.flush()
    return merge


def unmark_merged(merge: ProposalMerge, *, actor, now: datetime | None = None) -> int:
    """Undo ``mark_merged``: the source gets its status back and the comments that came
    from it (and from whatever was merged into it in turn), with the replies written to
    them since; returns the number of comments moved back."""
    source, target = merge.source, merge.target
    family = merged_family_ids(source.id)
    came = sa.select(Comment.id).where(Comment.proposal_id == target.id, Comment.origin_proposal_id.in_(family))
    came_ids = list(db.session.scalars(came))
    moved = 0
    if came_ids:
        moved += db.session.execute(
            sa.update(Comment).where(Comment.proposal_id == target.id, Comment.parent_id.in_(came_ids),
                                     Comment.id.not_in(came_ids))
            .values(proposal_id=source.id, origin_proposal_id=sa.func.coalesce(Comment.origin_proposal_id, target.id))
            .execution_options(synchronize_session="fetch")
        ).rowcount
        moved += db.session.execute(
            sa.update(Comment).where(Comment.id.in_(came_ids))
            .values(proposal_id=source.id,
                    origin_proposal_id=sa.case((Comment.origin_proposal_id == source.id, None),
                                               else_=Comment.origin_proposal_id))
            .execution_options(synchronize_session="fetch")
        ).rowcount
    _shift_comment_count(target.id, -moved)
    _shift_comment_count(source.id, moved)
    _shift_merge_count(target.id, -1)
    source.status = merge.source_status
    source.merged_into_id = None
    merge.undone_at = now or utcnow()
    merge.undone_by_id = getattr(actor, "id", None)
    db.session.flush()
    return moved


def get_proposals_by_id(proposal_ids) -> dict[int, Proposal]:
    """``{id: proposal}`` with forum, theme and author, in one query (the moderation
    queue, the duplicates view and finder)."""
    ids = sorted(set(proposal_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Proposal).where(Proposal.id.in_(ids))
        .options(so.joinedload(Proposal.forum), so.joinedload(Proposal.theme), so.joinedload(Proposal.author))
    )
    return {proposal.id: proposal for proposal in rows}


def public_proposal_ids(*, after_id: int = 0, limit: int = 200) -> list[int]:
    """Ids of listed proposals after ``after_id``, in id order (for batch jobs)."""
    return list(db.session.scalars(
        sa.select(Proposal.id).where(Proposal.id > after_id, Proposal.listing == Listing.PUBLIC)
        .order_by(Proposal.id).limit(limit)
    ))


def list_listed_proposal_keys(forum_id: int) -> list[tuple[int, datetime]]:
    """(id, created_at) of every listed proposal of the forum, oldest first: what a
    result ranks (one query, two columns)."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Proposal.id, Proposal.created_at)
        .where(Proposal.forum_id == forum_id, Proposal.listing == Listing.PUBLIC)
        .order_by(Proposal.created_at, Proposal.id)
    )]


def is_unlisted_for_export(proposal: Proposal, *, hidden: bool, withdrawn: bool) -> bool:
    """Whether ``proposal`` is one that ``list_unlisted_proposal_ids`` finds with these
    choices (the loaded row, checked again when an export reads it: it may have changed
    since its id was listed)."""
    if proposal.listing_is_public or proposal.is_merged:
        return False
    if proposal.is_hidden and not (hidden and (proposal.hidden_cause is None
                                               or proposal.hidden_cause in PUBLISHED_CAUSES)):
        return False
    return withdrawn or not proposal.is_withdrawn


def list_unlisted_proposal_ids(forum_id: int, *, hidden: bool, withdrawn: bool) -> list[int]:
    """Ids of the forum's proposals that are not listed but that an organizer's export
    may ask for, oldest first (one query, one column): with ``hidden``, those a moderator
    or the readers' reports hid after they were published (a new account's post waiting
    for approval, or refused, was never published: never); with ``withdrawn``, those
    their authors withdrew. A proposal both withdrawn and hidden needs both. Merged
    proposals never: they are read under the proposal they were merged into."""
    if not (hidden or withdrawn):
        return []
    stmt = (
        sa.select(Proposal.id)
        .where(Proposal.forum_id == forum_id, Proposal.listing != Listing.PUBLIC,
               Proposal.status != ProposalStatus.MERGED.value)
        .order_by(Proposal.created_at, Proposal.id)
    )
    if hidden:
        stmt = stmt.where(sa.or_(Proposal.is_hidden.is_(False), Proposal.hidden_cause.is_(None),
                                 Proposal.hidden_cause.in_(PUBLISHED_CAUSES)))
    else:
        stmt = stmt.where(Proposal.is_hidden.is_(False))
    if not withdrawn:
        stmt = stmt.where(Proposal.status != ProposalStatus.WITHDRAWN.value)
    return list(db.session.scalars(stmt))


def list_main_comments(proposal_ids, *, per_proposal: int = 5) -> dict[int, list[Comment]]:
    """{proposal id: its first ``per_proposal`` visible top-level comments, oldest
    first, with their authors} for the exports' "main comments" (one query)."""
    ids = sorted(set(proposal_ids))
    if not ids:
        return {}
    position = sa.func.row_number().over(
        partition_by=Comment.proposal_id, order_by=(Comment.created_at, Comment.id)
    ).label("position")
    ranked = (
        sa.select(Comment.id, position)
        .where(Comment.proposal_id.in_(ids), Comment.parent_id.is_(None), Comment.is_hidden.is_(False))
        .subquery()
    )
    found: dict[int, list[Comment]] = {}
    for comment in db.session.scalars(
        sa.select(Comment).join(ranked, ranked.c.id == Comment.id).where(ranked.c.position <= per_proposal)
        .options(so.joinedload(Comment.author)).order_by(Comment.proposal_id, Comment.created_at, Comment.id)
    ):
        found.setdefault(comment.proposal_id, []).append(comment)
    return found


# The organizers' dashboard (forum.results.dashboard): its top proposals, one query.
@dataclass(frozen=True)
class TopProposal:
    """One of a forum's most supported public proposals, as the dashboard lists it."""

    forum_id: int
    rank: int
    proposal_id: int
    title: str
    author: str
    unit: str
    support_count: int
    comment_count: int
    status: str

    @property
    def status_label(self) -> str:
        """As ``Proposal.status_label``: a built-in status or the forum's custom one."""
        try:
            return ProposalStatus(self.status).label
        except ValueError:
            return custom_status_label(self.forum_id, self.status)


def list_top_public_proposals(*, per_forum: int = 5, forum_id: int | None = None) -> list[TopProposal]:
    """The ``per_forum`` public proposals with the most supports in each forum (or in
    ``forum_id``), by forum then rank; ties go to the earlier proposal. One query: a
    window function numbers each forum's proposals, whatever their number."""
    rank = sa.func.row_number().over(
        partition_by=Proposal.forum_id,
        order_by=(Proposal.support_count.desc(), Proposal.created_at, Proposal.id),
    ).label("rank")
    ranked = sa.select(
        Proposal.forum_id, rank, Proposal.id, Proposal.title, Proposal.author_id,
        Proposal.support_count, Proposal.comment_count, Proposal.status,
    ).where(Proposal.listing == Listing.PUBLIC)
    if forum_id is not None:
        ranked = ranked.where(Proposal.forum_id == forum_id)
    ranked = ranked.subquery()
    rows = db.session.execute(
        sa.select(
            ranked.c.forum_id, ranked.c.rank, ranked.c.id, ranked.c.title, User.full_name, User.unit,
            ranked.c.support_count, ranked.c.comment_count, ranked.c.status,
        )
        .join(User, User.id == ranked.c.author_id)
        .where(ranked.c.rank <= per_forum)
        .order_by(ranked.c.forum_id, ranked.c.rank)
    )
    return [TopProposal(*row) for row in rows]
