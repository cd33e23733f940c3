"""What an export holds (issue 9 item 1): the ranked proposals of the chosen forums as
``ResultRow``s, streamed in batches so that a file of any size keeps a flat memory.

A closed forum's ranks, counts and breakdowns come from its frozen result (the snapshot
of its current closing, made now if the periodic freeze has not run yet); an open one's
are computed from the support rows at the moment of the export. A forum that hides its
tallies until it closes exports no count and no order derived from them before it
closes: its proposals come in submission order, with an empty supports column. Merged
proposals appear once, under the proposal they were merged into (a merged proposal is
not listed, so it is not in any ranking, and it is never a row of its own).

Hidden and withdrawn proposals are not ranked and, by default, not exported. When the
organizer asks for them (``include_hidden``, ``include_withdrawn``) they come after the
ranked rows of their forum (overall: after every ranked row), oldest first, with no rank
(``rank=None``), marked hidden (with the reason, for the organizer) or withdrawn by their
status, and with their support count only where the forum's counts may be exported (no
breakdowns: those are counted for the ranking only). The theme, date and status filters
apply to them (a withdrawn proposal asked for is kept whatever the status filter: its
status, "withdrawn", is not one of its choices); the top N and the minimum of supports
choose among the ranked rows only, since they are about the ranking, and an item left
out of it would otherwise push ranked ones out of the top or be dropped for supports it
was never ranked by.
"""
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _

from forum.core.database import utcnow
from forum.core.markup import markup_to_text
from forum.core.text import normalize_text
from forum.forums.models import Forum
from forum.forums.services import list_all_forums
from forum.proposals import services as proposals
from forum.results import snapshots
from forum.results.rows import ForumSection, ResultComment, ResultHeader, ResultRow

VIETNAM_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
BATCH = 500  # proposals read per query while streaming
MAIN_COMMENTS = 5  # per proposal, when the export asks for comments


@dataclass(frozen=True)
class ExportRequest:
    """The organizer's choices on the results page (or ``flask results export``)."""

    forum_numbers: tuple[int, ...] = ()  # empty: every forum
    theme_ids: tuple[int, ...] = ()  # empty: every theme
    statuses: tuple[str, ...] = ()  # codes; empty: every status
    date_from: date | None = None  # submitted on or after (Vietnam days)
    date_to: date | None = None  # submitted on or before
    min_supports: int = 0
    top: int | None = None  # the first N after the filters: per forum, or overall
    overall: bool = False  # rank across the chosen forums instead of per forum
    with_comments: bool = False
    with_answers: bool = True
    include_hidden: bool = False  # add the hidden proposals, unranked, after the ranked ones
    include_withdrawn: bool = False  # add the withdrawn proposals, the same way
    filters_in_words: tuple[str, ...] = field(default=())


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(VIETNAM_TIME).date()


def _official_name(forum: Forum) -> str:
    return _("Diễn đàn số %(number)s: %(title)s", number=forum.number, title=forum.title)


def _ranked_entries(forum: Forum, actor=None) -> tuple[list[dict], ForumSection, bool]:
    """The forum's ranking rows (dicts as in a snapshot's payload), its section, and
    whether its counts may be exported."""
    closed_at = snapshots.closing_moment(forum)
    if closed_at is not None:
        snapshot = snapshots.current_snapshot(forum) or snapshots.freeze_forum_result(
            forum, actor=actor, closed_at=closed_at)
        entries = snapshots.snapshot_payload(snapshot)["proposals"]
        return entries, ForumSection(forum.number, forum.title, _official_name(forum), closed_at, snapshot.digest), True
    entries = snapshots.compute_ranking(forum, None)["proposals"]
    section = ForumSection(forum.number, forum.title, _official_name(forum), None, None)
    if forum.hide_tallies_until_closed:
        # No count, and no order that would give the counts away: submission order.
        order = {proposal_id: index for index, (proposal_id, _at) in
                 enumerate(proposals.list_listed_proposal_keys(forum.id))}
        entries = sorted(entries, key=lambda entry: order.get(entry["id"], 0))
        for position, entry in enumerate(entries, start=1):
            entry.update(rank=position, supports=None, by_province={}, by_union_level={}, by_sector={})
        return entries, section, False
    return entries, section, True


def _keeps(request: ExportRequest, entry: dict, proposal) -> bool:
    if proposal is None:
        return False
    ranked = entry["rank"] is not None
    if not ranked and not proposals.is_unlisted_for_export(
            proposal, hidden=request.include_hidden, withdrawn=request.include_withdrawn):
        return False  # changed since its id was read (merged, unhidden…): not this row
    if request.theme_ids and proposal.theme_id not in request.theme_ids:
        return False
    if request.statuses and proposal.status not in request.statuses and (ranked or not proposal.is_withdrawn):
        return False
    day = _local_day(proposal.created_at)
    if (request.date_from and day < request.date_from) or (request.date_to and day > request.date_to):
        return False
    if ranked and request.min_supports and (entry["supports"] or 0) < request.min_supports:
        return False  # the ranking's filter: unranked rows have no place in it
    return True


def _unranked_entries(forum: Forum, request: ExportRequest, ranked: list[dict]) -> list[dict]:
    """The forum's hidden and/or withdrawn proposals the organizer asked for, oldest
    first, as entries without rank (their counts are read with the proposals). One that
    is in the ranking (a closed forum's frozen result, hidden after the close) keeps its
    frozen rank and is not listed twice."""
    ids = proposals.list_unlisted_proposal_ids(forum.id, hidden=request.include_hidden,
                                               withdrawn=request.include_withdrawn)
    in_ranking = {entry["id"] for entry in ranked}
    return [{"id": proposal_id, "rank": None} for proposal_id in ids if proposal_id not in in_ranking]


def _hidden_reason(proposal) -> str:
    """Why the proposal is hidden, as the organizer reads it (the moderator's reason;
    for reports, that they hid it until a moderator reviews it)."""
    if not proposal.is_hidden:
        return ""
    reason = normalize_text(proposal.hidden_reason or "", multiline=True)
    if proposal.hidden_for_reports:
        cause = _("Tạm ẩn vì bị nhiều người báo cáo vi phạm, chờ điều hành viên xem xét.")
        return f"{cause} {reason}" if reason else cause
    return reason


def _site_url(proposal_id: int) -> str:
    base = current_app.config.get("SITE_URL") or ""
    path = url_for("proposals.detail", proposal_id=proposal_id)
    return f"{base}{path}" if base else url_for("proposals.detail", proposal_id=proposal_id, _external=True)


def _rows_for(request: ExportRequest, forum: ForumSection, entries: list[dict], *,
              counts: bool = True) -> Iterator[ResultRow]:
    """The entries that pass the filters, as rows, reading the proposals in batches.
    Holds no database object between batches (``forum`` is plain data): a streamed
    response runs it after the request's session has been closed. An unranked entry
    (``rank`` None) takes its proposal's support count when ``counts`` allows it."""
    for start in range(0, len(entries), BATCH):
        batch = entries[start:start + BATCH]
        found = proposals.get_proposals_by_id(entry["id"] for entry in batch)
        kept = [(entry, found.get(entry["id"])) for entry in batch if _keeps(request, entry, found.get(entry["id"]))]
        ids = [entry["id"] for entry, _proposal in kept]
        merges = proposals.list_merges_into(ids)
        sources = proposals.get_proposals_by_id(merge.source_id for merge in merges)
        merged: dict[int, list] = {}
        for merge in sorted(merges, key=lambda merge: merge.source_id):
            merged.setdefault(merge.target_id, []).append(sources.get(merge.source_id))
        comments = proposals.list_main_comments(ids, per_proposal=MAIN_COMMENTS) if request.with_comments else {}
        for entry, proposal in kept:
            author = proposal.author
            into = [source for source in merged.get(proposal.id, []) if source is not None]
            ranked = entry["rank"] is not None
            if ranked:
                supports = entry["supports"]
            else:
                supports = proposal.support_count if counts else None
            yield ResultRow(
                rank=entry["rank"],
                forum_number=forum.number,
                forum_title=forum.title,
                theme=proposal.theme.title if proposal.theme else "",
                proposal_id=proposal.id,
                title=proposal.title,
                text=markup_to_text(proposal.body),
                author=author.full_name,
                unit=author.unit,
                province=author.province,
                supports=supports,
                comments=proposal.comment_count,
                status=proposal.status,
                status_label=proposal.status_label,
                answer=markup_to_text(proposal.answer_body or "") if request.with_answers else "",
                url=_site_url(proposal.id),
                submitted_at=proposal.created_at,
                co_authors=tuple(dict.fromkeys(source.author.full_name for source in into
                                               if source.author_id != proposal.author_id)),
                merged_ids=tuple(source.id for source in into),
                supports_by_province=dict(entry["by_province"]) if ranked else {},
                supports_by_level=dict(entry["by_union_level"]) if ranked else {},
                main_comments=tuple(
                    ResultComment(author=comment.author.full_name, unit=comment.author.unit,
                                  created_at=comment.created_at, text=markup_to_text(comment.body))
                    for comment in comments.get(proposal.id, [])
                ),
                hidden=not ranked and proposal.is_hidden,
                hidden_reason=_hidden_reason(proposal) if not ranked else "",
            )


def build_result(request: ExportRequest, *, title: str | None = None,
                 actor=None) -> tuple[ResultHeader, Iterator[ResultRow]]:
    """The header and the rows of an export. Per forum (the default): each chosen forum
    in number order, its rows in rank order, the first ``top`` after the filters, then
    its unranked rows (hidden, withdrawn) when asked for. Overall: the rows of every
    chosen forum merged by supports (then rank, forum), ranked again across them, then
    the unranked rows, forum by forum. Freezes the result of a closed forum that has none yet (as
    ``actor``, who asked for the export; None: the console)."""
    chosen = [forum for forum in list_all_forums()
              if not request.forum_numbers or forum.number in request.forum_numbers]
    # Plain data only from here on: the rows are read while the response streams.
    ranked = [(section, entries, section, counts)
              for entries, section, counts in (_ranked_entries(forum, actor) for forum in chosen)]
    unranked = [_unranked_entries(forum, request, entries)  # ids only
                for forum, (_section, entries, _same, _counts) in zip(chosen, ranked, strict=True)]
    header = ResultHeader(
        title=title or _("Kết quả hiến kế"),
        generated_at=utcnow(),
        forums=tuple(section for _forum, _entries, section, _counts in ranked),
        filters=request.filters_in_words,
        date_from=request.date_from,
        date_to=request.date_to,
        include_hidden=request.include_hidden,
        include_withdrawn=request.include_withdrawn,
    )

    def unranked_rows(index: int) -> Iterator[ResultRow]:
        forum, _entries, _section, counts = ranked[index]
        return _rows_for(request, forum, unranked[index], counts=counts)

    if not request.overall:
        def per_forum() -> Iterator[ResultRow]:
            for index, (forum, entries, _section, _counts) in enumerate(ranked):
                # Top N chooses among the ranked rows only; the unranked ones follow.
                yield from islice(_rows_for(request, forum, entries), request.top)
                yield from unranked_rows(index)

        return header, per_forum()

    def overall() -> Iterator[ResultRow]:
        # Forums that hide their counts cannot be ranked against the others: they come
        # last, in their own order.
        streams = [
            ((-(row.supports or 0), row.rank, row.forum_number, row) for row in _rows_for(request, forum, entries))
            for forum, entries, _section, counts in ranked if counts
        ]
        hidden = [_rows_for(request, forum, entries) for forum, entries, _section, counts in ranked if not counts]
        position, rank, previous = 0, 0, None
        merged = (item[3] for item in heapq.merge(*streams, key=lambda item: item[:3]))
        for row in islice(merged, request.top):
            position += 1
            if row.supports != previous:
                rank, previous = position, row.supports
            yield _with_rank(row, rank)
        remaining = None if request.top is None else max(0, request.top - position)
        for stream in hidden:
            for row in islice(stream, remaining):
                position += 1
                yield _with_rank(row, position)
                if remaining is not None:
                    remaining -= 1
        for index in range(len(ranked)):
            yield from unranked_rows(index)

    return header, overall()


def _with_rank(row: ResultRow, rank: int) -> ResultRow:
    return replace(row, rank=rank)
