"""``WhooshBackend``: the on-disk layout of an index, its generations and atomic swap,
searching and writing (the design is in this package's docstring)."""
from __future__ import annotations

import atexit
import heapq
import logging
import math
import os
import pickle
import secrets
import shutil
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import datetime, timezone
from operator import itemgetter
from pathlib import Path

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage

from forum.search.backend import (
    DOCUMENT_COUNT_CAP,
    Kind,
    ReindexStats,
    SearchBackend,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
    SimilarProposal,
    Sort,
)
from forum.search.query import MAX_QUERY_UNITS, clean_query_text, fold_syllable, parse_query, syllables
from forum.search.whoosh.reading import (
    POSTING_CACHE,
    WEIGHT_SCALE,
    View,
    apply_filters,
    match_documents,
    rank,
)
from forum.search.whoosh.schema import build_schema, document_fields, open_index
from forum.search.whoosh.snippets import Highlighter
from forum.search.whoosh.writing import build_index

log = logging.getLogger(__name__)

CURRENT_LINK = "current"
GENERATION_PREFIX = "gen-"
REBUILD_LOCK = ".rebuild.lock"
# Documents whose support count changed since the index wrote them (see update_counts).
NEWER_COUNTS = "newer-counts.pickle"
NEWER_COUNTS_LIMIT = 64  # documents; then they are written into the index in one commit
PAGE_CACHE_SIZE = 256  # result pages kept per process, for the current index generation


class IndexBusyError(RuntimeError):
    """The index writer lock could not be had in time (another writer, or a rebuild): retry later."""


# --- per-process state -------------------------------------------------------------------------


class _ProcessState:
    """The searcher of one index directory in this process (guarded by ``lock``)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.view: View | None = None
        self.ix = None
        self.counts: tuple[tuple, dict[str, SearchDocument]] = ((), {})  # (file signature, documents)
        # Result pages of the view they were computed on: a popular query is answered once
        # per index generation, not once per request.
        self.pages: OrderedDict[tuple, SearchPage] = OrderedDict()
        self.pages_view: tuple | None = None

    def _pages_of(self, view: View) -> OrderedDict:
        identity = (view.target, view.reader.generation())
        if self.pages_view != identity:
            self.pages.clear()
            self.pages_view = identity
        return self.pages

    def cached_page(self, view: View, key: tuple) -> SearchPage | None:
        pages = self._pages_of(view)
        page = pages.get(key)
        if page is not None:
            pages.move_to_end(key)
        return page

    def cache_page(self, view: View, key: tuple, page: SearchPage, size: int) -> None:
        if self.view is not view or size <= 0:  # the index moved on while the page was highlighted
            return
        pages = self._pages_of(view)
        pages[key] = page
        while len(pages) > size:
            pages.popitem(last=False)

    def close(self) -> None:
        with self.lock:
            if self.view is not None:
                self.view.close()
            self.view = None
            self.ix = None
            self.pages.clear()
            self.pages_view = None


# One state per index directory and process. Bounded: a process normally uses one index;
# tests use many, and each open view keeps file descriptors.
_STATES: OrderedDict[tuple[int, str], _ProcessState] = OrderedDict()
_STATES_LOCK = threading.Lock()
_MAX_STATES = 8


def _state_for(index_dir: Path) -> _ProcessState:
    key = (os.getpid(), str(index_dir))
    evicted = []
    with _STATES_LOCK:
        state = _STATES.get(key)
        if state is None:
            state = _STATES[key] = _ProcessState()
            while len(_STATES) > _MAX_STATES:
                evicted.append(_STATES.popitem(last=False)[1])
        else:
            _STATES.move_to_end(key)
    for old in evicted:
        old.close()  # a backend still holding it reopens on its next call
    return state


@atexit.register
def _close_states() -> None:
    with _STATES_LOCK:
        states = [state for (pid, _), state in _STATES.items() if pid == os.getpid()]
    for state in states:
        state.close()


@contextmanager
def _flock(path: Path, timeout: float):
    """An exclusive flock on ``path`` (released by the kernel if the process dies)."""
    import fcntl

    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(f"{path} is locked") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


# How long an index update waits for another process's writer lock before IndexBusyError.
DEFAULT_WRITER_TIMEOUT_SECONDS = 10.0


class WhooshBackend(SearchBackend):
    """Search over a Whoosh index in ``index_dir`` (see the module docstring)."""

    name = "whoosh"

    def __init__(self, index_dir: str | Path, *, writer_timeout: float = DEFAULT_WRITER_TIMEOUT_SECONDS,
                 procs: int | None = None, limitmb: int = 256, posting_cache_size: int | None = None,
                 page_cache_size: int = PAGE_CACHE_SIZE):
        if posting_cache_size is not None:
            POSTING_CACHE.max_size = posting_cache_size  # one cache per process, shared by indexes
        self.index_dir = Path(index_dir).absolute()
        self.writer_timeout = writer_timeout
        self.procs = procs if procs is not None else min(2, os.cpu_count() or 1)
        self.limitmb = limitmb
        self.page_cache_size = page_cache_size  # 0: every search is computed (benchmarks)
        self._state = _state_for(self.index_dir)

    def close(self) -> None:
        """Close this process's searcher on the index (reopened by the next call if any)."""
        self._state.close()

    # Layout ------------------------------------------------------------------------------

    @property
    def _link(self) -> Path:
        return self.index_dir / CURRENT_LINK

    def _current_target(self) -> str | None:
        try:
            return os.readlink(self._link)
        except FileNotFoundError:
            return None

    def _swap_to(self, target: str) -> None:
        tmp = self.index_dir / f".{CURRENT_LINK}.{secrets.token_hex(4)}"
        os.symlink(target, tmp)
        os.replace(tmp, self._link)

    def _new_generation_dir(self) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        path = self.index_dir / f"{GENERATION_PREFIX}{stamp}-{secrets.token_hex(3)}"
        path.mkdir(parents=True)
        return path

    def _ensure_index(self) -> None:
        """Create an empty index if there is none (under the rebuild lock)."""
        if self._current_target() is not None:
            return
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with _flock(self.index_dir / REBUILD_LOCK, timeout=max(self.writer_timeout, 30.0)):
            if self._current_target() is not None:
                return
            path = self._new_generation_dir()
            FileStorage(str(path), supports_mmap=False).create_index(build_schema())
            self._swap_to(path.name)

    # Reading -----------------------------------------------------------------------------

    def _view(self) -> View | None:
        """The current view of the index (refreshed); None if there is no index. Hold the state lock."""
        state = self._state
        for _attempt in range(5):
            target = self._current_target()
            if target is None:
                if state.view is not None:
                    state.view.close()
                    state.view = None
                return None
            view = state.view
            try:
                if view is not None and view.target == target:
                    if state.ix.latest_generation() == view.reader.generation():
                        return view
                    # Not Searcher.refresh(): it reuses the open reader of every segment
                    # whose id did not change, and so misses deletions committed since.
                    ix = state.ix
                else:
                    ix = open_index(self.index_dir / target)
                searcher = ix.searcher()
                try:
                    new_view = View(searcher, target)
                except BaseException:
                    searcher.close()
                    raise
            except (FileNotFoundError, windex.EmptyIndexError, OSError):
                time.sleep(0.05)  # swapped and deleted under our feet: look again
                continue
            if view is not None:
                view.close()
            state.ix = ix
            state.view = new_view
            return new_view
        raise IndexBusyError(f"cannot open the search index in {self.index_dir}")

    def document_counts(self, syllables: list[str], pairs: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        with self._state.lock:
            view = self._view()
            if view is None:
                return {}, {}
            frequency = view.reader.doc_frequency
            return ({syllable: min(int(frequency("text", syllable)), DOCUMENT_COUNT_CAP) for syllable in syllables},
                    {pair: min(int(frequency("bigrams", pair)), DOCUMENT_COUNT_CAP) for pair in pairs})

    def search(self, query: SearchQuery) -> SearchPage:
        page = max(1, int(query.page or 1))
        per_page = max(1, int(query.per_page or 20))
        parsed = parse_query(query.text)
        if parsed.is_empty:
            return SearchPage(hits=[], total=0, page=page, per_page=per_page)
        with self._state.lock:
            view = self._view()
            if view is None:
                return SearchPage(hits=[], total=0, page=page, per_page=per_page)
            counts = None
            if query.sort == Sort.SUPPORTS:
                counts = {key: doc.support_count for key, doc in self._newer_counts(view.target).items()}
            cache_key = (query, self._state.counts[0] if counts else None)
            cached = self._state.cached_page(view, cache_key)
            if cached is not None:
                return cached
            matches = []
            total = 0
            for leaf in view.leaves:
                docs = apply_filters(view, leaf, match_documents(leaf, parsed), query)
                total += len(docs)
                matches.append((leaf, docs))
            start = (page - 1) * per_page
            stored = []
            if start < total:
                ranked = rank(view, parsed, matches, query.sort, start + per_page, counts)
                stored = [(score, leaf.reader.stored_fields(docnum))
                          for leaf, docnum, score in ranked[start:start + per_page]]
        highlighter = Highlighter(parsed)
        hits = []
        for score, fields in stored:
            title_snippet, body_snippet = highlighter.snippets(fields.get("title", ""), fields.get("body", ""))
            hits.append(SearchHit(
                kind=fields["kind"],
                entity_id=int(fields["entity_id"]),
                proposal_id=int(fields["proposal_id"]),
                score=float(score),
                title_snippet=title_snippet,
                body_snippet=body_snippet,
            ))
        result = SearchPage(hits=hits, total=total, page=page, per_page=per_page)
        with self._state.lock:
            self._state.cache_page(view, cache_key, result, self.page_cache_size)
        return result

    # Similar proposals -----------------------------------------------------------------------

    def similar_proposals(self, title: str, *, visibility: frozenset[str], limit: int = 5,
                          exclude_ids: Iterable[int] = ()) -> list[SimilarProposal]:
        words = list(dict.fromkeys(fold_syllable(s) for s in syllables(clean_query_text(title))))
        words = words[:MAX_QUERY_UNITS]
        if not words or limit <= 0:
            return []
        needed = max(math.ceil(len(words) * 0.5), 2 if len(words) >= 2 else 1)
        exclude_keys = [f"{Kind.PROPOSAL}:{int(i)}" for i in exclude_ids]
        with self._state.lock:
            view = self._view()
            if view is None:
                return []
            idfs = [view.idf("text", w) for w in words]
            scale = 3.0 * (sum(idfs) or 1.0)
            scored = []
            for leaf in view.leaves:
                allowed = set(leaf.docs("kind", Kind.PROPOSAL))
                allowed.intersection_update(leaf.any_of("visibility", [str(v) for v in visibility]))
                allowed -= leaf.deleted
                for key in exclude_keys:
                    allowed.difference_update(leaf.docs("key", key))
                if not allowed:
                    continue
                postings = [leaf.postings("text", w) for w in words]
                counts: Counter = Counter()
                for docs in postings:
                    counts.update(allowed.intersection(docs.keys()))
                for docnum, count in counts.items():
                    if count >= needed:
                        bm25 = sum(p.get(docnum, 0) * idf for p, idf in zip(postings, idfs)) / WEIGHT_SCALE
                        # How many syllables are shared decides; BM25 orders equal counts.
                        scored.append((count + min(bm25 / scale, 0.99), leaf.segid, docnum, leaf))
            best = heapq.nlargest(limit, scored, key=itemgetter(0, 1, 2))
            stored = [(score, leaf.reader.stored_fields(docnum)) for score, _segid, docnum, leaf in best]
        return [SimilarProposal(proposal_id=int(fields["proposal_id"]), score=score) for score, fields in stored]

    # Verification --------------------------------------------------------------------------------

    def indexed_fingerprints(self) -> dict[str, str]:
        with self._state.lock:
            view = self._view()
            if view is None:
                return {}
            fingerprints = {f["key"]: f["fingerprint"] for f in view.reader.all_stored_fields()}
            newer = self._newer_counts(view.target)
        fingerprints.update((key, doc.fingerprint) for key, doc in newer.items() if key in fingerprints)
        return fingerprints

    # Counts newer than the index ----------------------------------------------------------

    def _newer_counts_path(self, target: str) -> Path:
        return self.index_dir / target / NEWER_COUNTS

    def _newer_counts(self, target: str) -> dict[str, SearchDocument]:
        """This generation's documents with a newer support count (re-read when the file changes)."""
        path = self._newer_counts_path(target)
        try:
            status = os.stat(path)
        except FileNotFoundError:
            return {}
        signature = (str(path), status.st_mtime_ns, status.st_size, status.st_ino)
        with self._state.lock:
            cached_signature, documents = self._state.counts
            if cached_signature != signature:
                try:
                    with open(path, "rb") as file:
                        documents = pickle.load(file)
                except FileNotFoundError:  # replaced or swapped away: the next call reads again
                    return {}
                self._state.counts = (signature, documents)
            return documents

    def _store_newer_counts(self, target: str, documents: dict[str, SearchDocument]) -> None:
        """Replace the file atomically (readers see the old one or the new one, never a part)."""
        path = self._newer_counts_path(target)
        if not documents:
            path.unlink(missing_ok=True)
            return
        tmp = path.with_name(f".{NEWER_COUNTS}.{secrets.token_hex(4)}")
        with open(tmp, "wb") as file:
            pickle.dump(documents, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    def _forget_newer_counts(self, keys) -> None:
        """After the index committed these documents whole: their newer counts are in it."""
        target = self._current_target()
        if target is None:
            return
        newer = self._newer_counts(target)
        if newer and not newer.keys().isdisjoint(keys):
            self._store_newer_counts(target, {k: d for k, d in newer.items() if k not in keys})

    # Writing ----------------------------------------------------------------------------------

    @contextmanager
    def _writer(self):
        """A writer on the current index; waits up to writer_timeout for the lock."""
        self._ensure_index()
        deadline = time.monotonic() + self.writer_timeout
        while True:
            target = self._current_target()
            remaining = max(0.0, deadline - time.monotonic())
            try:
                ix = open_index(self.index_dir / target)
                writer = ix.writer(timeout=remaining, delay=0.02)
            except windex.LockError:
                raise IndexBusyError(f"the search index writer lock is busy ({self.index_dir})") from None
            except (FileNotFoundError, windex.EmptyIndexError, TypeError, OSError):
                if time.monotonic() >= deadline:
                    raise IndexBusyError(f"the search index moved while opening it ({self.index_dir})") from None
                time.sleep(0.02)
                continue
            if self._current_target() != target:  # swapped while we waited for the lock
                writer.cancel()
                continue
            break
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        else:
            writer.commit()

    def index_documents(self, documents: Iterable[SearchDocument]) -> None:
        latest: dict[str, SearchDocument] = {}
        for doc in documents:
            latest[doc.key] = doc
        if not latest:
            return
        with self._writer() as writer:
            for doc in latest.values():
                writer.update_document(**document_fields(doc))
        self._forget_newer_counts(latest.keys())

    def update_counts(self, documents: Iterable[SearchDocument]) -> None:
        """Whoosh cannot update a field in place, and a commit costs tens of milliseconds
        (hundreds when it merges segments): newer counts go to a small file of the
        generation (NEWER_COUNTS) that searches sorted by supports and the fingerprints
        read, and into the index only once NEWER_COUNTS_LIMIT documents have gathered,
        in one commit. Called by the drainer only (the drain lock serialises the writes)."""
        latest = {document.key: document for document in documents}
        if not latest:
            return
        self._ensure_index()
        with self._state.lock:
            view = self._view()
            target = view.target if view is not None else self._current_target()
            indexed = {key for key in latest if view is not None and view.reader.doc_frequency("key", key)}
        absent = [document for key, document in latest.items() if key not in indexed]
        if absent:
            self.index_documents(absent)
        newer = dict(self._newer_counts(target))
        newer.update((key, latest[key]) for key in indexed)
        if len(newer) >= NEWER_COUNTS_LIMIT:
            self.index_documents(newer.values())  # then forgets them
        else:
            self._store_newer_counts(target, newer)

    def remove_documents(self, keys: Iterable[str]) -> None:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        with self._state.lock:
            view = self._view()
            present = [k for k in keys if view is not None and view.reader.doc_frequency("key", k)]
        if not present:
            return
        with self._writer() as writer:
            for key in present:
                writer.delete_by_term("key", key)
        self._forget_newer_counts(present)

    def rebuild(self, documents: Iterable[SearchDocument], *, total: int,
                progress: Callable[[int], None] | None = None) -> ReindexStats:
        started = time.perf_counter()
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with _flock(self.index_dir / REBUILD_LOCK, timeout=max(self.writer_timeout, 30.0)):
            old_target = self._current_target()
            self._remove_stale_generations(keep={old_target})
            old_lock = None
            if old_target is not None and (self.index_dir / old_target).is_dir():
                # Hold the old index's writer lock for the whole rebuild: incremental
                # updates wait (and are retried later) instead of being lost on the swap.
                old_lock = FileStorage(str(self.index_dir / old_target)).lock(f"{windex._DEF_INDEX_NAME}_WRITELOCK")
                deadline = time.monotonic() + max(self.writer_timeout, 30.0)
                while not old_lock.acquire():
                    if time.monotonic() >= deadline:
                        raise IndexBusyError("an index writer kept the lock; rebuild not started")
                    time.sleep(0.05)
            new_dir = self._new_generation_dir()
            try:
                count, duplicates, procs = build_index(new_dir, documents, total, progress,
                                                  procs=self.procs, limitmb=self.limitmb)
                self._swap_to(new_dir.name)
            except BaseException:
                shutil.rmtree(new_dir, ignore_errors=True)
                raise
            finally:
                if old_lock is not None:
                    old_lock.release()
            if old_target is not None:
                shutil.rmtree(self.index_dir / old_target, ignore_errors=True)
        seconds = time.perf_counter() - started
        extra = {"index_dir": str(new_dir), "procs": procs, "duplicates": duplicates,
                 "docs_per_second": round(count / seconds, 1) if seconds else None}
        return ReindexStats(documents=count, seconds=seconds, extra=extra)

    def _remove_stale_generations(self, keep: set) -> None:
        """Delete leftovers of interrupted rebuilds (called under the rebuild lock)."""
        for entry in self.index_dir.iterdir():
            if entry.name.startswith(GENERATION_PREFIX) and entry.name not in keep and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(f".{CURRENT_LINK}.") and entry.is_symlink():
                entry.unlink(missing_ok=True)
