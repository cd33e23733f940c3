"""The forums' own tables: which forums a visitor may see, one forum with its themes, the
theme named in a URL, the staff verbs on a forum (its phase), and the forums' public
counts (proposals per forum and theme, participants, units).

The counts are maintained counters (DESIGN §3): the proposals and votes services call
``change_public_proposals`` and ``change_participation`` in the transaction that changes
what they count, with atomic ``n = n + delta`` statements; ``find_counter_drift`` and
``repair_counters`` compare and rebuild them from the rows those domains describe.
Lists of proposals live with the proposals (``forum.proposals.services``) and supports
(``forum.votes.services``); the views compose them with these.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.pagecache import version_column
from forum.core.errors import InvalidAction, PermissionDenied
from forum.auth.models import Role, User
from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.core.text import normalize_text, sort_vietnamese
from forum.forums.models import Forum, ForumDay, ForumParticipant, ForumUnit, Phase, Theme


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


def get_visible_forum_for_page(slug: str, user) -> tuple[Forum | None, int | None]:
    """The forum at ``slug`` (None when missing or not visible to ``user``) and the
    content version, in one query; the themes load when first used (one more)."""
    row = db.session.execute(sa.select(Forum, version_column()).where(Forum.slug == slug)).first()
    if row is None or not row[0].is_visible_to(user):
        return None, None if row is None else row[1]
    return row[0], row[1]


def parse_theme_id(forum: Forum, value: str | None) -> int | None:
    """The id of one of ``forum``'s themes named by ``value``; None for anything else."""
    try:
        theme_id = int(value or "")
    except ValueError:
        return None
    return theme_id if any(theme.id == theme_id for theme in forum.themes) else None


# Forum administration ---------------------------------------------------------------------
def list_all_forums() -> list[Forum]:
    """Every forum in number order, drafts included; for staff tools."""
    return list(db.session.scalars(sa.select(Forum).order_by(Forum.number)))


def get_forum_by_number(number: int) -> Forum | None:
    """The forum numbered ``number`` (1–10), whatever its phase; for staff tools."""
    return db.session.scalar(sa.select(Forum).where(Forum.number == number))


# Called with (forum, actor, moment) when an organizer closes a forum by hand: the results
# domain (above this one) freezes the ranking in the same transaction.
_ON_CLOSED: list = []


def on_forum_closed(callback) -> None:
    if callback not in _ON_CLOSED:
        _ON_CLOSED.append(callback)


def set_forum_phase(forum: Forum, phase: str, *, actor, now: datetime | None = None) -> bool:
    """Put ``forum`` in ``phase`` by hand from ``now`` on and record it in the audit log;
    False when that phase is already in force (nothing changes, nothing is recorded).

    A choice by hand is the most recent change, so it applies until the next moment of
    the schedule (``Forum.phase_decision``). Organizers and admins only; ``actor=None``
    is the operator at the console.
    """
    _check_organizer(actor, _("Chỉ Ban Tổ chức mới được chuyển giai đoạn của diễn đàn."))
    if phase not in {known.value for known in Phase}:
        raise InvalidAction(_("Giai đoạn không hợp lệ: %(phase)s", phase=phase))
    now = now or utcnow()
    in_force = forum.effective_phase(now)
    if in_force == phase:
        return False
    record_audit("forum.set_phase", forum, actor=actor, before={"phase": in_force.value}, after={"phase": phase})
    forum.phase = phase
    forum.phase_set_at = now
    db.session.flush()
    if phase == Phase.CLOSED:
        for callback in _ON_CLOSED:
            callback(forum, actor=actor, closed_at=now)
    return True


def _check_organizer(actor, message: str) -> None:
    if actor is not None and not (is_active_user(actor) and actor.is_organizer):
        raise PermissionDenied(message)


# Hidden tallies -----------------------------------------------------------------------
def tallies_visible(forum: Forum, user, now: datetime | None = None) -> bool:
    """Whether ``user`` may see support counts of ``forum``'s proposals, and any order or
    figure derived from them. The one place that decides (DESIGN §6): organizers and
    admins always; everyone else unless the forum hides its tallies until it closes and
    has not closed yet."""
    if is_active_user(user) and user.is_organizer:
        return True
    return not forum.hide_tallies_until_closed or forum.effective_phase(now) == Phase.CLOSED


def list_visible_forums_with_themes(user) -> list[Forum]:
    """The forums ``user`` may see, in number order, with their themes loaded (two queries)."""
    forums = db.session.scalars(sa.select(Forum).options(so.selectinload(Forum.themes)).order_by(Forum.number))
    return [forum for forum in forums if forum.is_visible_to(user)]


# Public counts: reads ----------------------------------------------------------------
# The forum page lists this many units (those with the most public proposals) and says
# how many more there are: a page of a national forum stays small (its 4,500 units
# printed in full were 350 KB).
UNITS_SHOWN = 30


@dataclass(frozen=True)
class ForumSummary:
    """A forum with its public counts, as shown on the home page."""

    forum: Forum
    proposal_count: int
    participant_count: int


def list_forums_with_counts(user) -> list[ForumSummary]:
    """The forums ``user`` may see, in number order, with their public counts: one
    query, the counters being columns of the forum rows."""
    return list_forums_with_counts_for_page(user)[0]


def list_forums_with_counts_for_page(user) -> tuple[list[ForumSummary], int | None]:
    """``list_forums_with_counts`` and the content version, in the same one query."""
    rows = db.session.execute(sa.select(Forum, version_column()).order_by(Forum.number)).all()
    summaries = [
        ForumSummary(forum, forum.proposal_count, forum.participant_count)
        for forum, _version in rows
        if forum.is_visible_to(user)
    ]
    return summaries, rows[0][1] if rows else None


def count_public_proposals_by_theme(forum: Forum) -> dict[int, int]:
    """``{theme_id: number of public proposals}`` of ``forum``'s themes that have any
    (no query: the counters are on the themes loaded with the forum)."""
    return {theme.id: theme.proposal_count for theme in forum.themes if theme.proposal_count}


def list_participating_units(forum: Forum, *, limit: int | None = None) -> list[str]:
    """The units (đơn vị) of the authors of ``forum``'s public proposals, at most
    ``limit`` of them (default ``UNITS_SHOWN``; those with the most proposals), in
    Vietnamese alphabetical order. One query through ``ix_forum_units_top``;
    ``forum.unit_count`` says how many in all."""
    units = db.session.scalars(
        sa.select(ForumUnit.unit)
        .where(ForumUnit.forum_id == forum.id, ForumUnit.proposal_count > 0)
        .order_by(ForumUnit.proposal_count.desc(), ForumUnit.unit)
        .limit(UNITS_SHOWN if limit is None else limit)
    )
    return sort_vietnamese(units)


# Public counts: writes ---------------------------------------------------------------
_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _shift_tallies(model, key_column, forum_id: int, deltas: dict) -> int:
    """Add ``deltas`` ({key: delta}) to the per-forum tallies of ``model`` and return how
    many keys went from zero to positive minus how many went from positive to zero.

    Increments are one multi-row upsert, decrements one UPDATE; both return the new
    values, from which the changes of state follow (before = after - delta). Rows are
    written in key order, so concurrent transactions lock them in the same order. A
    decrement never goes below zero nor touches a zero row: such a drift is left for
    ``repair_counters`` rather than failing the user's action.
    """
    tally = model.__table__.c
    count_column = tally.contributions if model is ForumParticipant else tally.proposal_count
    key = tally[key_column]
    increments = {k: d for k, d in sorted(deltas.items()) if d > 0}
    decrements = {k: d for k, d in sorted(deltas.items()) if d < 0}
    net = 0
    if increments:
        insert = _DIALECT_INSERTS[db.engine.dialect.name](model.__table__)
        statement = insert.values(
            [{"forum_id": forum_id, key_column: k, count_column.name: d} for k, d in increments.items()]
        )
        rows = db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["forum_id", key_column],
                set_={count_column.name: count_column + statement.excluded[count_column.name]},
            ).returning(key, count_column)
        )
        net += sum(1 for k, after in rows if after == increments[k])
    if decrements:
        delta = sa.case(decrements, value=key)
        rows = db.session.execute(
            sa.update(model.__table__)
            .where(tally.forum_id == forum_id, key.in_(list(decrements)), count_column > 0)
            .values({count_column: sa.case((count_column + delta < 0, 0), else_=count_column + delta)})
            .returning(key, count_column)
        )
        net -= sum(1 for _key, after in rows if after == 0)
    return net


def _shift_forum(forum_id: int, **deltas: int) -> None:
    values = {name: getattr(Forum, name) + delta for name, delta in deltas.items() if delta}
    if values:
        db.session.execute(
            sa.update(Forum)
            .where(Forum.id == forum_id)
            # updated_at set to itself: a count is not an edit of the forum.
            .values(updated_at=Forum.updated_at, **values)
            .execution_options(synchronize_session=False)
        )


def _shift_theme(theme_id: int | None, delta: int) -> None:
    if theme_id is not None:
        db.session.execute(
            sa.update(Theme).where(Theme.id == theme_id).values(proposal_count=Theme.proposal_count + delta)
            .execution_options(synchronize_session=False)
        )


def change_public_proposals(forum_id: int, theme_id: int | None, unit: str | None, delta: int) -> None:
    """A public proposal (by an author of ``unit``) appeared (+1) or left (-1): move the
    forum's and the theme's proposal counts and the unit's tally.

    Rows are locked in one order by every writer (participants, forum, theme, unit), so
    concurrent transactions wait for each other instead of deadlocking: call
    ``change_participation`` first when both change.
    """
    _shift_forum(forum_id, proposal_count=delta)
    _shift_theme(theme_id, delta)
    units = _shift_tallies(ForumUnit, "unit", forum_id, {unit: delta}) if unit else 0
    _shift_forum(forum_id, unit_count=units)


def move_public_proposal(old_theme_id: int | None, new_theme_id: int | None) -> None:
    """A public proposal moved from one theme to another (the rows in id order, so two
    opposite moves do not deadlock)."""
    if old_theme_id != new_theme_id:
        moves = {old_theme_id: -1, new_theme_id: +1}
        for theme_id in sorted((t for t in moves if t is not None)):
            _shift_theme(theme_id, moves[theme_id])


def change_participation(forum_id: int, deltas: dict[int, int]) -> None:
    """Add ``deltas`` ({user id: change in public contributions}) to ``forum_id``'s
    participation; the participant count moves for users whose count leaves or reaches
    zero."""
    net = _shift_tallies(ForumParticipant, "user_id", forum_id, {u: d for u, d in deltas.items() if d})
    _shift_forum(forum_id, participant_count=net)


# What each day brought (``ForumDay``): contributions are proposals, comments, supports.
DAY_MEASURES = ("proposals", "comments", "supports")


def change_forum_days(forum_id: int, deltas: dict[tuple[date, str], int]) -> None:
    """Add ``deltas`` ({(day in Vietnam, measure): change}) to ``forum_id``'s daily
    tallies: one upsert per day, in day order (the last rows every writer locks). A
    decrement never takes a count below zero (such a drift is left for the repair)."""
    days: dict[date, dict[str, int]] = {}
    for (day, measure), delta in deltas.items():
        if delta:
            days.setdefault(day, dict.fromkeys(DAY_MEASURES, 0))[measure] += delta
    table = ForumDay.__table__
    for day in sorted(days):
        changes = days[day]
        insert = _DIALECT_INSERTS[db.engine.dialect.name](table).values(
            forum_id=forum_id, day=day, **{name: max(0, delta) for name, delta in changes.items()})
        db.session.execute(insert.on_conflict_do_update(
            index_elements=["forum_id", "day"],
            set_={name: sa.case((table.c[name] + delta < 0, 0), else_=table.c[name] + delta)
                  for name, delta in changes.items() if delta},
        ))


def count_forum_days(forum_id: int | None = None) -> list[tuple[int, date, int, int, int]]:
    """(forum_id, day, proposals, comments, supports) for every day with any, of every
    forum or ``forum_id``'s, by forum and day: the rows of the daily tallies."""
    stmt = sa.select(ForumDay.forum_id, ForumDay.day, ForumDay.proposals, ForumDay.comments, ForumDay.supports)
    if forum_id is not None:
        stmt = stmt.where(ForumDay.forum_id == forum_id)
    stmt = stmt.where(sa.or_(ForumDay.proposals > 0, ForumDay.comments > 0, ForumDay.supports > 0))
    return [tuple(row) for row in db.session.execute(stmt.order_by(ForumDay.forum_id, ForumDay.day))]


# Public counts: verification and repair ----------------------------------------------
@dataclass(frozen=True)
class CounterDrift:
    """A stored count that differs from the rows: ``counter`` names it, ``object_id`` is
    the forum's or the theme's id."""

    counter: str
    object_id: int
    stored: int
    actual: int


def _participation_rows(contributions: sa.Select):
    rows = contributions.subquery()
    return sa.select(rows.c.forum_id, rows.c.user_id, sa.func.count().label("contributions")).group_by(
        rows.c.forum_id, rows.c.user_id
    )


def _unit_rows(public_proposals: sa.Select):
    rows = public_proposals.subquery()
    return (
        sa.select(rows.c.forum_id, rows.c.unit, sa.func.count().label("proposal_count"))
        .where(rows.c.unit.is_not(None), rows.c.unit != "")
        .group_by(rows.c.forum_id, rows.c.unit)
    )


def _mismatches(stored: sa.Select, actual: sa.Select) -> dict[int, tuple[int, int]]:
    """{forum id: (stored rows, actual rows)} of forums where the two selects, whose first
    column is the forum id, differ in any row."""
    forum_ids = set()
    for differing in (sa.except_(stored, actual).subquery(), sa.except_(actual, stored).subquery()):
        forum_ids.update(db.session.scalars(sa.select(differing.c.forum_id).distinct()))
    if not forum_ids:
        return {}

    def rows_per_forum(select: sa.Select) -> dict[int, int]:
        rows = select.subquery()
        return dict(db.session.execute(
            sa.select(rows.c.forum_id, sa.func.count()).where(rows.c.forum_id.in_(forum_ids)).group_by(rows.c.forum_id)
        ).all())

    stored_rows, actual_rows = rows_per_forum(stored), rows_per_forum(actual)
    return {forum_id: (stored_rows.get(forum_id, 0), actual_rows.get(forum_id, 0)) for forum_id in sorted(forum_ids)}


def _tally_mismatches(model, key_column: str, actual: sa.Select) -> dict[int, tuple[int, int]]:
    """{forum id: (stored rows, actual rows)} of forums whose positive tallies differ
    from ``actual`` (forum_id, key, count) in any row."""
    table = model.__table__
    count_column = table.c.contributions if model is ForumParticipant else table.c.proposal_count
    stored = sa.select(table.c.forum_id, table.c[key_column], count_column).where(count_column > 0)
    return _mismatches(stored, actual)


def _day_rows(contributions: sa.Select):
    """(forum_id, day, proposals, comments, supports) per forum and day, from the
    contributions' ``day`` and ``kind`` (a ``DAY_MEASURES`` name)."""
    rows = contributions.subquery()
    counts = [sa.func.sum(sa.case((rows.c.kind == name, 1), else_=0)).label(name) for name in DAY_MEASURES]
    return sa.select(rows.c.forum_id, rows.c.day, *counts).group_by(rows.c.forum_id, rows.c.day)


def _day_mismatches(contributions: sa.Select) -> dict[int, tuple[int, int]]:
    """{forum id: (stored days, actual days)} of forums whose daily tallies differ from
    the contributions on any day (days at zero everywhere are as good as absent)."""
    table = ForumDay.__table__
    stored = sa.select(table.c.forum_id, table.c.day, *(table.c[name] for name in DAY_MEASURES)).where(
        sa.or_(*(table.c[name] > 0 for name in DAY_MEASURES)))
    return _mismatches(stored, _day_rows(contributions))


def find_counter_drift(public_proposals: sa.Select, contributions: sa.Select) -> list[CounterDrift]:
    """Every public count that differs from the rows.

    ``public_proposals`` selects (forum_id, theme_id, unit) once per public proposal, the
    unit being its author's; ``contributions`` selects (forum_id, user_id, day, kind) once
    per public contribution (``kind``: a ``DAY_MEASURES`` name). The domains that own
    those rows build them (the proposals services compose the whole set), so this domain
    reads only its own tables.
    """
    proposals = public_proposals.subquery()
    participation = _participation_rows(contributions).subquery()
    units = _unit_rows(public_proposals).subquery()

    def count_of(table, column, owner):
        return sa.select(sa.func.count()).select_from(table).where(column == owner.id).correlate(owner).scalar_subquery()

    drift = []
    forums = db.session.execute(
        sa.select(
            Forum.id, Forum.proposal_count, count_of(proposals, proposals.c.forum_id, Forum),
            Forum.participant_count, count_of(participation, participation.c.forum_id, Forum),
            Forum.unit_count, count_of(units, units.c.forum_id, Forum),
        ).order_by(Forum.id)
    )
    for forum_id, *pairs in forums:
        for name, (stored, actual) in zip(
            ("proposal_count", "participant_count", "unit_count"), zip(pairs[0::2], pairs[1::2])
        ):
            if stored != actual:
                drift.append(CounterDrift(f"forum.{name}", forum_id, stored, actual))
    themes = db.session.execute(
        sa.select(Theme.id, Theme.proposal_count, count_of(proposals, proposals.c.theme_id, Theme)).order_by(Theme.id)
    )
    drift += [
        CounterDrift("theme.proposal_count", theme_id, stored, actual)
        for theme_id, stored, actual in themes
        if stored != actual
    ]
    for counter, model, key, actual in (
        ("forum_participants", ForumParticipant, "user_id", _participation_rows(contributions)),
        ("forum_units", ForumUnit, "unit", _unit_rows(public_proposals)),
    ):
        drift += [
            CounterDrift(counter, forum_id, stored, actual)
            for forum_id, (stored, actual) in _tally_mismatches(model, key, actual).items()
        ]
    drift += [CounterDrift("forum_days", forum_id, stored, actual)
              for forum_id, (stored, actual) in _day_mismatches(contributions).items()]
    return drift


def repair_counters(public_proposals: sa.Select, contributions: sa.Select) -> None:
    """Rebuild every public count from the rows (arguments as for ``find_counter_drift``):
    the tallies are rewritten, then the counts on forums and themes set from them. The
    caller holds off concurrent writers of the rows (``flask proposals verify --repair``
    does)."""
    db.session.execute(sa.delete(ForumParticipant))
    db.session.execute(sa.delete(ForumUnit))
    db.session.execute(sa.delete(ForumDay))
    db.session.execute(sa.insert(ForumDay).from_select(["forum_id", "day", *DAY_MEASURES], _day_rows(contributions)))
    db.session.execute(
        sa.insert(ForumParticipant).from_select(
            ["forum_id", "user_id", "contributions"], _participation_rows(contributions)
        )
    )
    db.session.execute(
        sa.insert(ForumUnit).from_select(["forum_id", "unit", "proposal_count"], _unit_rows(public_proposals))
    )
    proposals = public_proposals.subquery()

    def count_of(select_from, column, owner):
        return sa.select(sa.func.count()).select_from(select_from).where(column == owner.id).correlate(owner).scalar_subquery()

    db.session.execute(
        sa.update(Forum)
        .values(
            proposal_count=count_of(proposals, proposals.c.forum_id, Forum),
            participant_count=count_of(ForumParticipant, ForumParticipant.forum_id, Forum),
            unit_count=count_of(ForumUnit, ForumUnit.forum_id, Forum),
            updated_at=Forum.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Theme)
        .values(proposal_count=count_of(proposals, proposals.c.theme_id, Theme))
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


# Forum settings (the organizer area and ``flask forum ...``) --------------------------------
# Each verb changes the fields given, records only those that changed (before/after) in one
# audit entry, and returns the names of the changed fields (empty: nothing was recorded).
DETAIL_FIELDS = ("title", "description", "held_on", "time_of_day", "venue", "chairs", "keynote")
RULE_FIELDS = (
    "max_supports_per_user", "supports_withdrawable", "hide_tallies_until_closed", "edit_window_minutes",
    "comments_open", "premoderate_new_accounts", "supporting_roles",
)
TITLE_MAX_LENGTH = 300
# Longer windows are typos (a week is already generous for correcting a text).
EDIT_WINDOW_MAX_MINUTES = 7 * 24 * 60
MAX_SUPPORTS_LIMIT = 10_000


def _audit_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _apply_changes(target, action: str, values: dict, *, actor, audit_target=None) -> list[str]:
    """Set ``values`` on ``target``; one audit entry with the changed fields only."""
    changed = {name: value for name, value in values.items() if _comparable(getattr(target, name)) != _comparable(value)}
    if not changed:
        return []
    record_audit(
        action,
        audit_target or target,
        actor=actor,
        before={name: _audit_value(getattr(target, name)) for name in changed},
        after={name: _audit_value(value) for name, value in changed.items()},
    )
    for name, value in changed.items():
        setattr(target, name, value)
    db.session.flush()
    return list(changed)


def _comparable(value):
    if isinstance(value, datetime) and value.tzinfo is None:  # SQLite hands back naive UTC
        return value.replace(tzinfo=UTC)
    return value


def _required_text(value: str | None, *, max_length: int, empty: str, too_long: str, multiline=False) -> str:
    text = normalize_text(value, multiline=multiline)
    if not text:
        raise InvalidAction(empty)
    if len(text) > max_length:
        raise InvalidAction(too_long)
    return text


def _clean_chairs(chairs) -> list[dict]:
    rows = []
    for chair in chairs or ():
        name = normalize_text(chair.get("name"), multiline=False)
        position = normalize_text(chair.get("position"), multiline=False)
        if not name and not position:
            continue
        if not name:
            raise InvalidAction(_("Vui lòng nhập họ tên người chủ trì có chức vụ «%(position)s».", position=position))
        if len(name) > 200 or len(position) > 300:
            raise InvalidAction(_("Họ tên hoặc chức vụ của người chủ trì quá dài."))
        rows.append({"name": name, "position": position})
    return rows


def update_forum_details(forum: Forum, *, title: str, description: str, held_on: date | None, time_of_day: str,
                         venue: str, chairs, keynote: str, actor) -> list[str]:
    """Title, description, date, time of day, venue, chairs ([{"name", "position"}]) and
    keynote. A new title replaces a sample one: the forum is no longer a sample."""
    _check_organizer(actor, _("Chỉ Ban Tổ chức mới được sửa thông tin diễn đàn."))
    values = {
        "title": _required_text(title, max_length=TITLE_MAX_LENGTH, empty=_("Vui lòng nhập tên diễn đàn."),
                                too_long=_("Tên diễn đàn quá dài (tối đa %(max)s ký tự).", max=TITLE_MAX_LENGTH)),
        "description": normalize_text(description, multiline=True),
        "held_on": held_on,
        "time_of_day": normalize_text(time_of_day, multiline=False)[:50],
        "venue": normalize_text(venue, multiline=False)[:300],
        "chairs": _clean_chairs(chairs),
        "keynote": normalize_text(keynote, multiline=False)[:500],
    }
    if forum.is_sample and values["title"] != forum.title:
        values["is_sample"] = False
    return _apply_changes(forum, "forum.update_details", values, actor=actor)


def check_schedule(*, proposals_open_at, proposals_close_at, supports_open_at, supports_close_at) -> None:
    """Refuse a schedule whose moments are out of order (each one is optional)."""
    def before(first, second):
        return first is None or second is None or first < second

    def not_after(first, second):
        return first is None or second is None or first <= second

    if not before(proposals_open_at, proposals_close_at):
        raise InvalidAction(_("Thời điểm ngừng nhận hiến kế phải sau thời điểm mở nhận hiến kế."))
    if not before(supports_open_at, supports_close_at):
        raise InvalidAction(_("Thời điểm ngừng nhận ủng hộ phải sau thời điểm bắt đầu nhận ủng hộ."))
    if not not_after(proposals_open_at, supports_open_at):
        raise InvalidAction(_("Không thể nhận ủng hộ trước khi diễn đàn mở nhận hiến kế."))
    if not not_after(supports_open_at, proposals_close_at):
        raise InvalidAction(_("Phải bắt đầu nhận ủng hộ trước hoặc đúng lúc ngừng nhận hiến kế, để giai đoạn bình "
                              "chọn luôn nhận ủng hộ."))
    if not before(proposals_open_at, supports_close_at) or not not_after(proposals_close_at, supports_close_at):
        raise InvalidAction(_("Thời điểm ngừng nhận ủng hộ không được trước thời điểm ngừng nhận hiến kế."))


def update_forum_schedule(forum: Forum, *, proposals_open_at: datetime | None, proposals_close_at: datetime | None,
                          supports_open_at: datetime | None, supports_close_at: datetime | None, actor) -> list[str]:
    """The opening and closing moments (timezone-aware; None: no such moment). From then
    on the phase follows them (``Forum.phase_decision``)."""
    _check_organizer(actor, _("Chỉ Ban Tổ chức mới được đặt lịch cho diễn đàn."))
    values = {
        "proposals_open_at": proposals_open_at, "proposals_close_at": proposals_close_at,
        "supports_open_at": supports_open_at, "supports_close_at": supports_close_at,
    }
    for value in values.values():
        if value is not None and value.tzinfo is None:
            raise InvalidAction(_("Thời điểm trong lịch phải kèm múi giờ."))
    check_schedule(**values)
    return _apply_changes(forum, "forum.update_schedule", {k: v and v.astimezone(UTC) for k, v in values.items()},
                          actor=actor)


def update_forum_rules(forum: Forum, *, max_supports_per_user: int | None, supports_withdrawable: bool,
                       hide_tallies_until_closed: bool, edit_window_minutes: int | None, comments_open: bool,
                       premoderate_new_accounts: bool, supporting_roles, actor) -> list[str]:
    """The forum's rules; the services of each domain enforce them."""
    _check_organizer(actor, _("Chỉ Ban Tổ chức mới được đặt quy định của diễn đàn."))
    if max_supports_per_user is not None and not 1 <= max_supports_per_user <= MAX_SUPPORTS_LIMIT:
        raise InvalidAction(_("Số hiến kế mỗi người được ủng hộ phải từ 1 đến %(max)s, hoặc để trống nếu không giới "
                              "hạn.", max=MAX_SUPPORTS_LIMIT))
    if edit_window_minutes is not None and not 0 <= edit_window_minutes <= EDIT_WINDOW_MAX_MINUTES:
        raise InvalidAction(_("Thời hạn sửa phải từ 0 đến %(max)s phút, hoặc để trống để dùng mặc định.",
                              max=EDIT_WINDOW_MAX_MINUTES))
    roles = [role.value for role in Role if role.value in set(supporting_roles or ())]
    if not roles:
        raise InvalidAction(_("Vui lòng chọn ít nhất một vai trò được ủng hộ hiến kế."))
    values = {
        "max_supports_per_user": max_supports_per_user,
        "supports_withdrawable": bool(supports_withdrawable),
        "hide_tallies_until_closed": bool(hide_tallies_until_closed),
        "edit_window_minutes": edit_window_minutes,
        "comments_open": bool(comments_open),
        "premoderate_new_accounts": bool(premoderate_new_accounts),
        "supporting_roles": roles,
    }
    return _apply_changes(forum, "forum.update_rules", values, actor=actor)


# Themes -----------------------------------------------------------------------------------
def get_forum_theme(forum: Forum, theme_id: int) -> Theme | None:
    """One of ``forum``'s themes (retired ones included), or None."""
    return next((theme for theme in forum.themes if theme.id == theme_id), None)


def _clean_theme(title: str | None, description: str | None) -> dict:
    return {
        "title": _required_text(title, max_length=300, empty=_("Vui lòng nhập tên nhóm vấn đề."),
                                too_long=_("Tên nhóm vấn đề quá dài (tối đa %(max)s ký tự).", max=300)),
        "description": normalize_text(description, multiline=True),
    }


def add_theme(forum: Forum, *, title: str, description: str = "", actor) -> Theme:
    """A new theme, last in the forum's order."""
    _check_organizer(actor, _("Chỉ Ban Tổ chức mới được sửa nhóm vấn đề."))
    values = _clean_theme(title, description)
    theme = Theme(forum=forum, position=max((t.position for t in forum.themes), default=-1) + 1, **values)
    db.session.add(theme)
    db.session.flush()
    record_audit("forum.add_theme", forum, actor=actor, after={"theme_id": theme.id, **values})
    return theme


def update_theme(theme: Theme, *, title: str, description: str = "", actor) -> list[str]:
    """Rename a theme or change its description; its proposals stay with it."""
    _check_organizer(actor, _("Chỉ Ban Tổ chức mới được sửa nhóm vấn đề."))
    return _apply_changes(theme, "forum.update_theme", _clean_theme(title, description), actor=actor)


def set_theme_retired(theme: Theme, retired: bool, *, actor) -> bool:
    """Retire a theme (it takes no new proposals, keeps those it has) or restore it."""
    _check_organizer(actor, _("Chỉ Ban Tổ chức mới được sửa nhóm vấn đề."))
    return bool(_apply_changes(theme, "forum.retire_theme" if retired else "forum.restore_theme",
                               {"is_retired": bool(retired)}, actor=actor))


def move_theme(theme: Theme, offset: int, *, actor) -> bool:
    """Move a theme one place up (-1) or down (+1) in its forum's order; False at an end."""
    _check_organizer(actor, _("Chỉ Ban Tổ chức mới được sửa nhóm vấn đề."))
    if offset not in (-1, 1):
        raise InvalidAction(_("Hướng di chuyển không hợp lệ."))
    themes = sorted(theme.forum.themes, key=lambda t: (t.position, t.id))
    index = themes.index(theme)
    other = index + offset
    if not 0 <= other < len(themes):
        return False
    before = [t.id for t in themes]
    themes[index], themes[other] = themes[other], themes[index]
    for position, item in enumerate(themes):
        item.position = position
    record_audit("forum.reorder_themes", theme.forum, actor=actor, before={"theme_order": before},
                 after={"theme_order": [t.id for t in themes]})
    db.session.flush()
    theme.forum.themes.sort(key=lambda t: t.position)
    return True


def get_forum_for_staff(forum_id: int) -> Forum | None:
    """The forum with id ``forum_id`` and its themes, whatever its phase; for staff tools."""
    return db.session.scalar(
        sa.select(Forum).where(Forum.id == forum_id).options(so.selectinload(Forum.themes))
    )


# Participation against the roster (the organizers' dashboard) ------------------------------
@dataclass(frozen=True)
class RosterParticipation:
    """One group of the delegate roster (a province, a unit, a union level): how many
    delegates it has and how many of them took part. ``province`` is set when grouping by
    unit (the province of the unit's delegates; the first in order if they differ)."""

    key: str  # "" for delegates with the field empty
    delegates: int
    took_part: int
    province: str = ""

    @property
    def share(self) -> float:
        return self.took_part / self.delegates if self.delegates else 0.0


ROSTER_GROUPS = ("province", "unit", "union_level")


def roster_participation(group: str, *, forum_id: int | None = None) -> list[RosterParticipation]:
    """The roster (active delegate accounts) grouped by ``group`` (one of ROSTER_GROUPS),
    with how many delegates took part: have a public contribution (a listed proposal, a
    visible comment on one, a support of one) in any forum, or in ``forum_id``. Read
    from the participation counters, one GROUP BY query whatever the number of
    contributions; groups in the database's order of their key."""
    if group not in ROSTER_GROUPS:
        raise ValueError(group)
    participants = sa.select(ForumParticipant.user_id).where(ForumParticipant.contributions > 0)
    if forum_id is not None:
        participants = participants.where(ForumParticipant.forum_id == forum_id)
    participants = participants.distinct().subquery()
    key = sa.func.coalesce(getattr(User, group), "")
    columns = [key, sa.func.count(User.id), sa.func.count(participants.c.user_id)]
    if group == "unit":
        columns.append(sa.func.min(sa.func.coalesce(User.province, "")))
    rows = db.session.execute(
        sa.select(*columns)
        .outerjoin(participants, participants.c.user_id == User.id)
        .where(User.role == Role.DELEGATE.value, User.is_active_account.is_(True))
        .group_by(key)
        .order_by(key)
    )
    return [RosterParticipation(*row) for row in rows]
