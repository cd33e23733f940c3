"""The organizers' participation dashboard (issue 9 item 3): what the forums received,
per forum and per day (Vietnam time), participation measured against the delegate
roster, each forum's most supported proposals and the moderation backlog.

Every figure is an aggregate computed by the database (GROUP BY, a window function),
each by the service of the domain that owns the table; this module only composes them.
The page costs a fixed number of queries whatever the number of proposals, comments and
supports (tests/results/dashboard/test_dashboard.py counts them):

- the forums (their maintained participant counts): 1;
- proposals, comments, supports per forum and per day: 1, from the forums' daily tallies
  (``forums.models.ForumDay``, kept with the rows, so it reads one row per forum and day
  whatever the number of contributions); per-forum totals are the sums of the per-day
  rows, so the two views of the data always agree;
- the roster by province, by unit and by union level: 1 each, read from the
  participation counters (one row per delegate and forum), never from the contributions;
- the top proposals of every forum: 1 (a window function);
- the moderation backlog: 1.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from forum.core.text import sort_vietnamese
from forum.forums import services as forums
from forum.forums.models import Forum
from forum.forums.services import RosterParticipation
from forum.moderation.queue import services as queue
from forum.moderation.queue.services import ForumBacklog
from forum.proposals import services as proposals
from forum.proposals.services import TopProposal

TOP_PER_FORUM = 5
MEASURES = ("proposals", "comments", "supports")


@dataclass(frozen=True)
class ForumTotals:
    """One forum's row: public proposals, visible comments, supports, participants (users
    with a public contribution there), and what waits for its moderators."""

    forum: Forum
    proposals: int
    comments: int
    supports: int
    participants: int
    backlog: ForumBacklog | None

    @property
    def hides_tallies(self) -> bool:
        """Delegates do not see this forum's tallies yet (the dashboard shows them all)."""
        return bool(self.forum.hide_tallies_until_closed) and self.forum.current_phase != "closed"

    @property
    def waiting(self) -> int:
        return self.backlog.waiting if self.backlog else 0


@dataclass(frozen=True)
class DayTotals:
    day: date  # in Vietnam (Asia/Ho_Chi_Minh)
    proposals: int
    comments: int
    supports: int


@dataclass(frozen=True)
class RosterSummary:
    delegates: int
    took_part: int

    @property
    def share(self) -> float:
        return self.took_part / self.delegates if self.delegates else 0.0


@dataclass
class Dashboard:
    forum: Forum | None  # the forum the page is filtered to; None: every forum
    forums: list[ForumTotals]
    days: list[DayTotals]
    provinces: list[RosterParticipation]
    units: list[RosterParticipation]
    levels: list[RosterParticipation]
    top: dict[int, list[TopProposal]] = field(default_factory=dict)  # forum id -> ranked

    @property
    def roster(self) -> RosterSummary:
        return RosterSummary(
            sum(group.delegates for group in self.provinces), sum(group.took_part for group in self.provinces)
        )

    @property
    def units_not_taking_part(self) -> list[RosterParticipation]:
        """The units none of whose delegates has taken part yet: the list organizers chase."""
        return [unit for unit in self.units if unit.delegates and not unit.took_part]

    @property
    def backlog(self) -> list[ForumTotals]:
        return [totals for totals in self.forums if totals.backlog]

    def total(self, measure: str) -> int:
        """``measure`` (one of MEASURES) summed over the forums shown."""
        return sum(getattr(row, measure) for row in self.forums)


def list_forums() -> list[Forum]:
    """Every forum, drafts included, in number order (the filter's choices)."""
    return forums.list_all_forums()


def _per_forum_and_day(forum_id: int | None) -> dict[str, list[tuple[int, date, int]]]:
    """{measure: [(forum_id, day, count)]} from the forums' daily tallies (one query)."""
    rows: dict[str, list[tuple[int, date, int]]] = {measure: [] for measure in MEASURES}
    for row_forum_id, day, *counts in forums.count_forum_days(forum_id):
        for measure, count in zip(MEASURES, counts):
            if count:
                rows[measure].append((row_forum_id, day, count))
    return rows


def daily_series(rows: dict[str, list[tuple[int, date, int]]]) -> list[DayTotals]:
    """Per-day totals over the forums, every day from the first to the last with any
    contribution (days without any included, at zero), oldest first."""
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for measure, measure_rows in rows.items():
        for _forum_id, day, count in measure_rows:
            by_day[day][measure] += count
    if not by_day:
        return []
    first, last = min(by_day), max(by_day)
    days = []
    day = first
    while day <= last:
        counts = by_day.get(day) or dict.fromkeys(MEASURES, 0)
        days.append(DayTotals(day, counts["proposals"], counts["comments"], counts["supports"]))
        day += timedelta(days=1)
    return days


def _in_list_order(groups: list[RosterParticipation]) -> list[RosterParticipation]:
    """Groups in Vietnamese alphabetical order, the one without a value last."""
    named = sort_vietnamese([group for group in groups if group.key], key=lambda group: group.key)
    return named + [group for group in groups if not group.key]


def build_dashboard(forum: Forum | None = None, *, all_forums: list[Forum] | None = None) -> Dashboard:
    """Everything the dashboard shows, for every forum or for ``forum`` alone, in a fixed
    number of queries (see the module's docstring); ``all_forums`` saves the forums'
    query when the caller has them already."""
    forum_id = forum.id if forum is not None else None
    shown = [forum] if forum is not None else (all_forums if all_forums is not None else list_forums())
    rows = _per_forum_and_day(forum_id)
    per_forum: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for measure, measure_rows in rows.items():
        for row_forum_id, _day, count in measure_rows:
            per_forum[row_forum_id][measure] += count
    backlog = queue.count_waiting_by_forum()
    totals = [
        ForumTotals(
            item,
            per_forum[item.id]["proposals"],
            per_forum[item.id]["comments"],
            per_forum[item.id]["supports"],
            item.participant_count,
            backlog.get(item.id),
        )
        for item in shown
    ]
    top: dict[int, list[TopProposal]] = defaultdict(list)
    for proposal in proposals.list_top_public_proposals(per_forum=TOP_PER_FORUM, forum_id=forum_id):
        top[proposal.forum_id].append(proposal)
    return Dashboard(
        forum=forum,
        forums=totals,
        days=daily_series(rows),
        provinces=_in_list_order(forums.roster_participation("province", forum_id=forum_id)),
        units=_in_list_order(forums.roster_participation("unit", forum_id=forum_id)),
        levels=_in_list_order(forums.roster_participation("union_level", forum_id=forum_id)),
        top=dict(top),
    )
