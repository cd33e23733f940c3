"""The transactional outbox: every change that alters a search document writes a
``SearchOutbox`` row in the same transaction as the change.

A committed change therefore always leaves a row for the indexer, and a rolled-back
one leaves none. Session listeners see ORM changes, including bulk ORM statements (see
below); only textual SQL would need an explicit ``enqueue_search_update`` call.

Rows are written with ``session.execute(insert(...))`` on the session's own connection
inside ``after_flush``, never through a separate connection.

Statements that bypass the unit of work (``session.execute(update(Proposal)...)``, used for
atomic counters and bulk moderation) are caught too, by a ``do_orm_execute`` listener:
before such an UPDATE or DELETE runs, it selects the ids its WHERE clause matches and
enqueues them, in the same transaction. Only ``INSERT`` statements issued outside the ORM
(none in the application) would go unseen; ``flask search verify`` would report them.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.sql import operators

from forum.extensions import db
from forum.forums.models import Forum, Theme
from forum.proposals.models import Comment, Proposal
from forum.search.models import OutboxEntity, SearchOutbox

# Proposal attributes whose change alters the proposal's own document only...
PROPOSAL_FIELDS = ("title", "body", "author_id", "author", "created_at", "answer_body")
# ...its counters only (a support toggle: no text to analyse again)...
COUNT_FIELDS = ("support_count",)
# What the phase in force depends on (forums.models.Forum.phase_decision): a change
# re-indexes the forum, whose visibility follows it.
FORUM_PHASE_FIELDS = ("phase", "phase_set_at", "proposals_open_at", "proposals_close_at", "supports_close_at")
# ...and those that its comments inherit (visibility, status, place).
PROPOSAL_THREAD_FIELDS = ("status", "is_hidden", "theme_id", "theme", "forum_id", "forum")
COMMENT_FIELDS = ("body", "proposal_id", "proposal", "parent_id", "parent", "author_id", "author",
                  "created_at")

_PENDING = "search_outbox_pending"  # session.info: {(entity, id)} found before a flush
WROTE_ROWS = "search_outbox_wrote"  # session.info: this transaction wrote outbox rows


def enqueue_search_update(entity: str, entity_id: int, *, session: so.Session | None = None) -> None:
    """Ask the indexer to refresh ``entity`` (an ``OutboxEntity``) after this transaction commits.

    For changes the session listeners cannot see, such as raw SQL ``UPDATE`` statements.
    """
    _write(session or db.session, {(entity, entity_id)})


def _write(session: so.Session, items: set[tuple[str, int]]) -> None:
    if not items:
        return
    session.execute(
        sa.insert(SearchOutbox.__table__),
        [{"entity": entity, "entity_id": entity_id} for entity, entity_id in sorted(items)],
    )
    session.info[WROTE_ROWS] = True


def _changed(instance, names) -> bool:
    state = sa.inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in names)


def _before_flush(session: so.Session, _flush_context, _instances) -> None:
    """Rows about to vanish through ``ON DELETE CASCADE`` / ``SET NULL``: the ORM never sees
    them, and after the flush the database no longer knows them, so look them up now."""
    deleted = session.deleted
    if not deleted:
        return
    proposal_ids = [obj.id for obj in deleted if isinstance(obj, Proposal) and obj.id is not None]
    comment_ids = [obj.id for obj in deleted if isinstance(obj, Comment) and obj.id is not None]
    forum_ids = [obj.id for obj in deleted if isinstance(obj, Forum) and obj.id is not None]
    theme_ids = [obj.id for obj in deleted if isinstance(obj, Theme) and obj.id is not None]
    if not (proposal_ids or comment_ids or forum_ids or theme_ids):
        return
    pending: set[tuple[str, int]] = session.info.setdefault(_PENDING, set())
    with session.no_autoflush:
        pending |= _cascaded_deletes(session, proposal_ids=proposal_ids, comment_ids=comment_ids,
                                     forum_ids=forum_ids, theme_ids=theme_ids)


def _cascaded_deletes(session: so.Session, *, proposal_ids, comment_ids, forum_ids, theme_ids) -> set:
    """Outbox items for the rows the database will delete or change by cascade."""
    items: set[tuple[str, int]] = set()
    proposal_ids = list(proposal_ids)
    if forum_ids:
        in_forums = session.scalars(sa.select(Proposal.id).where(Proposal.forum_id.in_(forum_ids))).all()
        items.update((OutboxEntity.PROPOSAL, pid) for pid in in_forums)
        proposal_ids += in_forums
    if proposal_ids:
        cascaded = session.scalars(sa.select(Comment.id).where(Comment.proposal_id.in_(proposal_ids)))
        items.update((OutboxEntity.COMMENT, cid) for cid in cascaded)
    if comment_ids:
        replies = session.scalars(sa.select(Comment.id).where(Comment.parent_id.in_(comment_ids)))
        items.update((OutboxEntity.COMMENT, cid) for cid in replies)
    if theme_ids:  # theme_id becomes NULL on the proposals and, through them, on their comments
        themed = session.scalars(sa.select(Proposal.id).where(Proposal.theme_id.in_(theme_ids)))
        items.update((OutboxEntity.THREAD, pid) for pid in themed)
    return items


def _after_flush(session: so.Session, _flush_context) -> None:
    """Turn the flushed changes into outbox rows, in the flush's own transaction."""
    items: set[tuple[str, int]] = session.info.pop(_PENDING, set())
    for obj in session.new:
        if isinstance(obj, Proposal):
            items.add((OutboxEntity.PROPOSAL, obj.id))
        elif isinstance(obj, Comment):
            items.add((OutboxEntity.COMMENT, obj.id))
    for obj in session.deleted:
        if isinstance(obj, Proposal):
            items.add((OutboxEntity.PROPOSAL, obj.id))
        elif isinstance(obj, Comment):
            items.add((OutboxEntity.COMMENT, obj.id))
    for obj in session.dirty:
        if isinstance(obj, Proposal):
            if _changed(obj, PROPOSAL_THREAD_FIELDS):
                items.add((OutboxEntity.THREAD, obj.id))
            elif _changed(obj, PROPOSAL_FIELDS):
                items.add((OutboxEntity.PROPOSAL, obj.id))
            elif _changed(obj, COUNT_FIELDS):
                items.add((OutboxEntity.COUNTS, obj.id))
        elif isinstance(obj, Comment):
            if _changed(obj, ("is_hidden",)):
                # Replies inherit a top-level comment's hidden flag: refresh the whole thread.
                items.add((OutboxEntity.THREAD, obj.proposal_id))
            elif _changed(obj, COMMENT_FIELDS):
                items.add((OutboxEntity.COMMENT, obj.id))
        elif isinstance(obj, Forum) and _changed(obj, FORUM_PHASE_FIELDS):
            items.add((OutboxEntity.FORUM, obj.id))
    _write(session, items)


# Statements outside the unit of work ---------------------------------------------------------
_PROPOSAL_DOCUMENT_COLUMNS = frozenset({"title", "body", "author_id", "created_at", "answer_body"})
_PROPOSAL_COUNT_COLUMNS = frozenset(COUNT_FIELDS)
_PROPOSAL_THREAD_COLUMNS = frozenset({"id", "status", "is_hidden", "theme_id", "forum_id"})
_COMMENT_DOCUMENT_COLUMNS = frozenset({"id", "body", "proposal_id", "parent_id", "author_id", "created_at"})


def _set_columns(statement) -> frozenset[str] | None:
    """Names of the columns an UPDATE sets; None when they cannot be told (assume all)."""
    values = getattr(statement, "_values", None)
    if not values or getattr(statement, "_multi_values", None) or getattr(statement, "_ordered_values", None):
        return None
    names = set()
    for column in values:
        name = column if isinstance(column, str) else getattr(column, "key", None)
        if name is None:
            return None
        names.add(name)
    return frozenset(names)


def _matched_ids(state: so.ORMExecuteState, table: sa.Table, column: str = "id") -> list[int]:
    """Ids the statement's WHERE clause selects now, before the statement changes them."""
    params = state.parameters
    if isinstance(params, list | tuple) and params and all("id" in p for p in params):
        ids = [p["id"] for p in params]  # bulk UPDATE by primary key
        if column == "id":
            return ids
        return list(state.session.scalars(sa.select(table.c[column]).where(table.c.id.in_(ids))))
    where = state.statement.whereclause
    if column == "id" and _is_primary_key_equality(where, table):
        # WHERE id = <value>: that id, without a query (at worst a row that does not
        # exist, which the drain then finds missing and removes from the index: a no-op).
        value = where.right.effective_value
        if isinstance(params, dict):
            value = params.get(where.right.key, value)
        return [value] if value is not None else []
    select = sa.select(table.c[column]).distinct()
    if state.statement.whereclause is not None:
        select = select.where(state.statement.whereclause)
    return list(state.session.scalars(select, params if isinstance(params, dict) else None))


def _is_primary_key_equality(where, table: sa.Table) -> bool:
    return (
        isinstance(where, sa.BinaryExpression)
        and where.operator is operators.eq
        and isinstance(where.left, sa.Column)
        and where.left.compare(table.c.id)
        and isinstance(where.right, sa.BindParameter)
        and not where.right.expanding
    )


def _on_orm_execute(state: so.ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in ("proposals", "comments", "forums", "themes"):
        return
    items: set[tuple[str, int]] = set()
    with state.session.no_autoflush:
        if state.is_update:
            columns = _set_columns(state.statement)
            if name == "proposals":
                if columns is None or columns & _PROPOSAL_THREAD_COLUMNS:
                    items.update((OutboxEntity.THREAD, i) for i in _matched_ids(state, table))
                elif columns & _PROPOSAL_DOCUMENT_COLUMNS:
                    items.update((OutboxEntity.PROPOSAL, i) for i in _matched_ids(state, table))
                elif columns & _PROPOSAL_COUNT_COLUMNS:
                    items.update((OutboxEntity.COUNTS, i) for i in _matched_ids(state, table))
            elif name == "comments":
                if columns is None or "is_hidden" in columns:
                    items.update((OutboxEntity.THREAD, i) for i in _matched_ids(state, table, "proposal_id"))
                if columns is None or columns & _COMMENT_DOCUMENT_COLUMNS:
                    items.update((OutboxEntity.COMMENT, i) for i in _matched_ids(state, table))
            elif name == "forums" and (columns is None or columns & {"id", *FORUM_PHASE_FIELDS}):
                items.update((OutboxEntity.FORUM, i) for i in _matched_ids(state, table))
        else:
            ids = _matched_ids(state, table)
            pending = _cascaded_deletes(
                state.session,
                proposal_ids=ids if name == "proposals" else [],
                comment_ids=ids if name == "comments" else [],
                forum_ids=ids if name == "forums" else [],
                theme_ids=ids if name == "themes" else [],
            )
            items |= pending
            if name == "proposals":
                items.update((OutboxEntity.PROPOSAL, i) for i in ids)
            elif name == "comments":
                items.update((OutboxEntity.COMMENT, i) for i in ids)
        _write(state.session, items)


def _forget(session: so.Session, *_args) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(WROTE_ROWS, None)


def register_listeners() -> None:
    """Attach the listeners to ``db.session`` (once per process, whatever the number of apps)."""
    if sa.event.contains(db.session, "after_flush", _after_flush):
        return
    sa.event.listen(db.session, "before_flush", _before_flush)
    sa.event.listen(db.session, "after_flush", _after_flush)
    sa.event.listen(db.session, "after_rollback", _forget)
    sa.event.listen(db.session, "do_orm_execute", _on_orm_execute)
