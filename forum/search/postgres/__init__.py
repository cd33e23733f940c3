"""PostgreSQL full-text search backend (``SEARCH_BACKEND=postgres``).

Documents live in ``search_entries`` (one row per contribution, see ``schema``):
``tsv_fold`` (diacritics folded) is what matches, ``tsv_exact`` ranks exact-diacritic
matches first, ``tsv_pairs`` (folded pairs of adjacent syllables) finds phrase candidates.

User text never reaches tsquery syntax: ``forum.search.query`` parses it (the language
both engines share) and ``tsquery`` translates the parsed units, each bound as a
parameter and read by ``phraseto_tsquery`` as plain text, combined with the tsquery
operators ``&&``, ``||`` and ``!!``.

Latency at a million documents comes from never touching more rows than needed:

- totals are counted up to COUNT_CAP + 1 rows (larger totals are reported as COUNT_CAP),
  and cached per process until the next write (the index generation);
- the plan shape is chosen from the lexeme statistics, not left to the planner: rare
  queries are collected through GIN (counted and ranked in one pass), queries over very
  common syllables test rows instead of reading huge posting lists;
- when the count is exact, every match is ranked (at most COUNT_CAP rows);
- beyond it, relevance ranks a bounded candidate set: the matches among the newest
  RECENT_WINDOW documents (a walk of the ``created_at`` index), plus, when they are
  rare enough, the documents that earn the exact/adjacency bonuses (found through
  their GIN index). Pages past the candidates continue with the other matches, newest
  first. (For such queries, "relevance" is thus relevance among recent documents.)
- quoted phrases are found through their rarest syllable pair, then checked on ``tsv_fold``;
- ``ts_headline`` runs only for the rows of the page;
- every search runs under ``statement_timeout``: on timeout it returns an empty page and
  logs a warning, never an error page.

The backend writes with its own connections (``engine.begin()``), never through the
request session: the indexer calls it after the request's commit.

Modules: ``backend`` (``PostgresBackend``: writes, query compilation, similar
proposals), ``tsquery`` (the translation of parsed queries), ``plans`` (plan shapes,
statistics, counting and ranking), ``snippets`` (ts_headline and snippets), ``rows``
(table names, document rows), ``rebuild`` (COPY load and table swap) and ``schema``
(the DDL).
"""
