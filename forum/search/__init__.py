"""Full-text search over every contribution (proposals and comments).

One small backend interface (``backend.SearchBackend``) with two engines: Whoosh, the
embedded default, and PostgreSQL full-text search for multi-server deployments. Only
the backend modules import their engine.
"""
