"""Full-text search over every contribution (proposals and comments).

One interface, one query language, two engines, one outbox:

- ``backend.py``: the interface every engine implements (``SearchBackend``) and the
  values that cross it; ``engines.py`` picks the app's engine (``get_backend``).
- ``query.py``: the query language (parser, cleaner, the one ``fold``, abbreviations,
  the highlight rule) that both engines translate from.
- ``whoosh/``: the embedded engine (default); ``analysis.py`` holds its analyzers at a
  path existing indexes pickle. ``postgres/``: PostgreSQL full-text search, for
  multi-server deployments. Only these import their engine.
- ``outbox.py`` / ``indexer.py`` / ``documents.py``: every committed change leaves an
  outbox row; the indexer drains them into the engine, built from the database.
- ``services.py`` / ``views.py`` / ``forms.py`` / ``cli.py``: what the app calls.
"""
