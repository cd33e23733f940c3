"""The embedded search engine: Whoosh (``whoosh-reloaded``), tuned for Vietnamese forum text.

On-disk layout (``index_dir``, by default ``instance/search-index``)::

    index_dir/
        current -> gen-20261123T101500-3f9a1c    relative symlink to the live index
        gen-20261123T101500-3f9a1c/              a Whoosh index (TOC, segments, WRITELOCK)
        .rebuild.lock                            flock held while creating or swapping an index

``rebuild()`` writes a brand-new index into a fresh ``gen-*`` sibling (several processes,
one segment each), then points ``current`` at it with ``os.replace`` of a temporary
symlink — atomic — and deletes the old directory. Processes that still hold a searcher
on the old index keep reading it (every file it needs is already open; Linux keeps
unlinked open files alive); each search first checks where ``current`` points and
reopens when it moved. While a rebuild runs it holds the old index's writer lock, so
incremental updates wait (and fail after ``writer_timeout``, to be retried from the
outbox) instead of landing in an index that is about to be thrown away.

Fields: ``key`` (unique), ``kind``, ``proposal_id``, ``forum_id``, ``theme_id``, ``status``,
``visibility`` (IDs, for filters); ``created_at`` (µs since the epoch) and ``support_count``
(sortable NUMERIC columns); stored ``entity_id``, ``author_id``, ``title``, ``body``,
``fingerprint``; and three analysed, unstored fields over "title FIELD_SEPARATOR body":

* ``text``: folded syllables (``đoàn`` → ``doan``), every query searches it;
* ``text_exact``: the syllables that carry diacritics, as written; searched only when
  the query has diacritics, to rank exact matches first (``đoán`` before ``đoàn``);
* ``bigrams``: folded adjacent syllable pairs with positions: a quoted phrase of n
  syllables is n-1 pairs at consecutive positions, and pairs of adjacent query
  syllables give the proximity boost — much shorter posting lists than positional
  phrase queries over common syllables.

Posting weights are BM25 impacts computed at index time (``analysis.VietnameseAnalyzer``),
so a document's score is a sum of ``idf × stored weight``. In relevance order a document
holding a query of several words as a phrase (its folded pairs at consecutive positions)
comes before one holding them apart, then the score decides (``reading.rank``). Queries never go through
Whoosh's query parser (no field syntax, wildcards, fuzzy or range can be reached): the
user's text is parsed by ``forum.search.query`` (the language both engines share),
then evaluated term-at-a-time on posting lists read in bulk from the segments, with
set operations for AND/OR/NOT and filters, one segment at a time. Decoded posting lists
are cached per (immutable) segment, so common domain syllables are decoded once per
process and segment, not once per query (``POSTING_CACHE``; the ``SEARCH_POSTING_CACHE``
setting sets its size in postings, default 3,000,000 ≈ 120 MB).

Result counts are exact. Each process keeps the result pages of the current index
generation (``PAGE_CACHE_SIZE``): a popular query is computed once per generation, not
once per request. Sorting: relevance (ties newest first), supports (ties newest
first), newest (ties by key).

Processes and threads: each process keeps one searcher per index directory, reopened
when the index's generation changes, and serialises its searches on it (segment files
are read with plain file reads, which are not thread-safe). Writers take Whoosh's
writer lock with ``ix.writer(timeout=writer_timeout)``: a second process waits for the
first to commit; after the timeout ``IndexBusyError`` tells the caller to retry later.
Never AsyncWriter/BufferedWriter (they lose updates or hold the lock forever).

Whoosh 2.7 defects worked around here: ``Searcher.refresh()`` reuses segment readers
with stale deletions (deleted documents stay visible), so views are reopened instead;
mmap-ed compound segments are copied whole into memory on every open, so segments are
read without mmap; W3's ``inlinelimit`` crashes (a misspelled method), so the bulk
writer inlines short posting lists itself.

Modules: ``backend`` (the backend, the on-disk layout and the swap), ``schema`` (schema,
document fields), ``reading`` (segment views, ``POSTING_CACHE``, and the translation of
a ``query.ParsedQuery`` into matching and ranking), ``writing`` (the bulk segment writer
and the multiprocess rebuild) and ``snippets`` (highlighting).
"""
