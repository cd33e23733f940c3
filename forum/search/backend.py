"""The search backend interface and the value objects that cross it.

Services build a ``SearchQuery`` (already restricted to what the viewer may see) and
get a ``SearchPage`` back. Backends never see users or roles, only visibility levels.
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from markupsafe import Markup, escape

# Highlight sentinels: control characters that normalize_text strips from every
# stored text, so they can only come from the engine's highlighter.
MARK_START = "\x02"
MARK_END = "\x03"

MAX_QUERY_LENGTH = 200  # characters after normalisation; longer queries are cut


class Visibility(StrEnum):
    """Who may see a contribution in search results."""

    PUBLIC = "public"  # everyone
    STAFF = "staff"  # moderators and above: hidden or withdrawn content
    ORGANIZER = "organizer"  # organizers and admins: content of draft forums


class Kind(StrEnum):
    PROPOSAL = "proposal"
    COMMENT = "comment"


class Sort(StrEnum):
    RELEVANCE = "relevance"
    SUPPORTS = "supports"
    NEWEST = "newest"


def document_key(kind: str, entity_id: int) -> str:
    """The stable key of a contribution in every index: ``proposal:12``, ``comment:34``."""
    return f"{kind}:{entity_id}"


@dataclass(frozen=True)
class SearchDocument:
    """What is indexed for one proposal or comment (built from the database rows)."""

    kind: str
    entity_id: int
    proposal_id: int
    forum_id: int
    theme_id: int | None
    author_id: int
    status: str  # the proposal's status code (for a comment: its proposal's)
    visibility: str
    created_at: datetime
    support_count: int  # the proposal's; 0 for comments (supports belong to proposals)
    title: str  # the proposal's title; empty for comments
    body: str

    @property
    def key(self) -> str:
        return document_key(self.kind, self.entity_id)

    @property
    def fingerprint(self) -> str:
        """Changes whenever an indexed value changes (used by ``flask search verify``)."""
        import hashlib

        parts = (
            self.kind, self.entity_id, self.proposal_id, self.forum_id, self.theme_id, self.author_id,
            self.status, self.visibility, self.created_at.replace(tzinfo=None).isoformat(timespec="seconds"),
            self.support_count, self.title, self.body,
        )
        return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class SearchQuery:
    """A user's search, already restricted to the visibility levels they may see."""

    text: str
    visibility: frozenset[str] = frozenset({Visibility.PUBLIC})
    forum_id: int | None = None
    theme_id: int | None = None
    kind: str | None = None
    status: str | None = None
    # Bounds on created_at (aware UTC datetimes): created_from <= created_at < created_before.
    # The service turns the user's local (Asia/Ho_Chi_Minh) dates into these.
    created_from: datetime | None = None
    created_before: datetime | None = None
    sort: str = Sort.RELEVANCE
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class SearchHit:
    kind: str
    entity_id: int
    proposal_id: int
    score: float
    title_snippet: Markup  # escaped text with <mark> around matches
    body_snippet: Markup

    @property
    def key(self) -> str:
        return document_key(self.kind, self.entity_id)


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class SimilarProposal:
    proposal_id: int
    score: float


@dataclass
class ReindexStats:
    documents: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def render_snippet(marked_text: str) -> Markup:
    """Escape engine output and turn the sentinels into ``<mark>``: user text never becomes markup."""
    escaped = str(escape(marked_text))
    return Markup(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


DOCUMENT_COUNT_CAP = 1000


class SearchBackend(abc.ABC):
    """What every engine provides. Methods are safe to call with any user query text."""

    name: str = ""

    @abc.abstractmethod
    def index_documents(self, documents: Iterable[SearchDocument]) -> None:
        """Add or replace these documents (idempotent)."""

    @abc.abstractmethod
    def update_counts(self, documents: Iterable[SearchDocument]) -> None:
        """These documents changed only in their support count: store the count (and the
        fingerprint) without analysing their text again. A document not in the index yet
        is added whole."""

    @abc.abstractmethod
    def remove_documents(self, keys: Iterable[str]) -> None:
        """Remove documents by key; unknown keys are ignored."""

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchPage:
        """One page of results with highlighted snippets, counted after visibility rules."""

    @abc.abstractmethod
    def similar_proposals(
        self, title: str, *, visibility: frozenset[str], limit: int = 5, exclude_ids: Iterable[int] = ()
    ) -> list[SimilarProposal]:
        """Proposals whose title or body resemble ``title`` (for "Đã có hiến kế tương tự?")."""

    @abc.abstractmethod
    def document_counts(self, syllables: list[str], pairs: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """How many documents contain each folded syllable (``doan``) and each folded pair
        of adjacent syllables (``doan vien``), whatever their visibility, counted up to
        ``DOCUMENT_COUNT_CAP`` (enough to tell a common word from a rare one): the spelling
        check's evidence (forum/search/spelling.py)."""

    @abc.abstractmethod
    def indexed_fingerprints(self) -> dict[str, str]:
        """``{key: fingerprint}`` of everything in the index (for verification)."""

    @abc.abstractmethod
    def rebuild(self, documents: Iterable[SearchDocument], *, total: int,
                progress: Callable[[int], None] | None = None) -> ReindexStats:
        """Build a fresh index from ``documents`` and swap it in atomically."""
