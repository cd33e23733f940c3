"""The shape every export reads: one proposal (``ResultRow``) and what a file says about
the whole result (``ResultHeader``). The ranking (``forum.results.ranking``)
and the frozen snapshots (``forum.results.snapshots``) produce them; the writers in
``forum.results.exports`` only format them, one row at a time, so that a file of any
size streams with flat memory.

A row is ranked (``rank`` is a number) or, when the organizer asked for hidden or
withdrawn proposals, unranked (``rank is None``): those are in no ranking and no frozen
result, and come after the ranked rows of their forum, oldest first."""
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class ResultComment:
    """One of a proposal's main comments, as the drafting committee reads it."""

    author: str
    unit: str
    created_at: datetime
    text: str  # plain text, from the Markdown source


@dataclass(frozen=True)
class ResultRow:
    """One proposal of a result: in a forum's ranking, or after it, unranked (a hidden or
    withdrawn proposal the organizer asked for). Texts are plain (no Markdown, no HTML);
    the writers neutralise what a spreadsheet would read as a formula."""

    rank: int | None  # in its forum (or overall); None: not ranked (hidden or withdrawn)
    forum_number: int
    forum_title: str
    theme: str  # "" when the forum has no themes
    proposal_id: int
    title: str
    text: str
    author: str
    unit: str
    province: str
    supports: int | None  # None: the forum hides its tallies and has not closed
    comments: int
    status: str  # the stable code (``accepted``, a custom code…)
    status_label: str  # its title in the export's language
    answer: str  # the official answer, plain; "" when none is published
    url: str  # absolute link to the proposal
    submitted_at: datetime  # timezone-aware
    co_authors: tuple[str, ...] = ()  # authors of the proposals merged into it
    merged_ids: tuple[int, ...] = ()  # proposals merged into this one
    supports_by_province: dict[str, int] = field(default_factory=dict)
    supports_by_level: dict[str, int] = field(default_factory=dict)  # cấp công đoàn
    main_comments: tuple[ResultComment, ...] = ()  # only when the export asks for comments
    hidden: bool = False  # hidden by a moderator or by reports (only ever unranked)
    hidden_reason: str = ""  # why, for the organizer: the moderator's reason, or the reports

    @property
    def ranked(self) -> bool:
        return self.rank is not None


@dataclass(frozen=True)
class ForumSection:
    """A forum in a result file: its official name and, for a closed forum, its frozen
    result's digest."""

    number: int
    title: str
    official_name: str  # "Diễn đàn số 1: …" as the Congress documents write it
    closed_at: datetime | None
    digest: str | None  # SHA-256 of the frozen result (hex); None: live ranking, not frozen


@dataclass(frozen=True)
class ResultHeader:
    """What a file says about itself: its title, when it was made, the forums it holds
    (in order) and the filters that chose its rows, in words."""

    title: str
    generated_at: datetime
    forums: tuple[ForumSection, ...]
    filters: tuple[str, ...] = ()  # e.g. ("Trạng thái: Được tiếp thu", "Ít nhất 10 lượt ủng hộ")
    date_from: date | None = None
    date_to: date | None = None
    # Whether the organizer asked for the unranked hidden / withdrawn proposals (the
    # spreadsheets then add a column for the reason a proposal was hidden).
    include_hidden: bool = False
    include_withdrawn: bool = False
