"""A dictionary standing in for a search engine, for the outbox and indexer tests.

Only what the indexer needs is real (upsert, remove, fingerprints, rebuild); ``search``
is a naive folded substring match, enough to exercise the service layer.
"""
import threading

from forum.search.backend import (
    ReindexStats,
    SearchBackend,
    SearchHit,
    SearchPage,
    SimilarProposal,
    Sort,
    render_snippet,
)
from forum.search.query import fold


class MemoryBackend(SearchBackend):
    name = "memory"

    def __init__(self, index_dir):
        self.index_dir = index_dir  # the drain lock file lives next to it
        self.documents = {}
        self.calls = []
        self._lock = threading.Lock()

    def index_documents(self, documents):
        documents = list(documents)
        with self._lock:
            self.calls.append(("index", sorted(d.key for d in documents)))
            for document in documents:
                self.documents[document.key] = document

    def update_counts(self, documents):
        documents = list(documents)
        with self._lock:
            self.calls.append(("counts", sorted(d.key for d in documents)))
            for document in documents:
                self.documents[document.key] = document

    def remove_documents(self, keys):
        keys = list(keys)
        with self._lock:
            self.calls.append(("remove", sorted(keys)))
            for key in keys:
                self.documents.pop(key, None)

    def search(self, query):
        words = fold(query.text.lower()).split()
        found = [
            d for d in self.documents.values()
            if d.visibility in query.visibility
            and all(w in fold((d.title + " " + d.body).lower()) for w in words)
            and (query.forum_id is None or d.forum_id == query.forum_id)
            and (query.theme_id is None or d.theme_id == query.theme_id)
            and (query.kind is None or d.kind == query.kind)
            and (query.status is None or d.status == query.status)
            and (query.created_from is None or d.created_at >= query.created_from)
            and (query.created_before is None or d.created_at < query.created_before)
        ] if words else []
        if query.sort == Sort.SUPPORTS:
            found.sort(key=lambda d: (d.support_count, d.created_at), reverse=True)
        else:
            found.sort(key=lambda d: d.created_at, reverse=True)
        start = (query.page - 1) * query.per_page
        hits = [
            SearchHit(kind=d.kind, entity_id=d.entity_id, proposal_id=d.proposal_id, score=1.0,
                      title_snippet=render_snippet(d.title), body_snippet=render_snippet(d.body[:240]))
            for d in found[start:start + query.per_page]
        ]
        return SearchPage(hits=hits, total=len(found), page=query.page, per_page=query.per_page)

    def document_counts(self, syllables, pairs):
        texts = [fold((d.title + " " + d.body).lower()).split() for d in self.documents.values()]
        syllable_sets = [set(words) for words in texts]
        pair_sets = [{f"{a} {b}" for a, b in zip(words, words[1:])} for words in texts]
        return ({s: sum(s in found for found in syllable_sets) for s in syllables},
                {p: sum(p in found for found in pair_sets) for p in pairs})

    def similar_proposals(self, title, *, visibility, limit=5, exclude_ids=()):
        words = set(fold(title.lower()).split())
        scored = []
        for d in self.documents.values():
            if d.kind != "proposal" or d.visibility not in visibility or d.entity_id in exclude_ids:
                continue
            shared = len(words & set(fold(d.title.lower()).split()))
            if shared >= max(1, len(words) // 2):
                scored.append(SimilarProposal(proposal_id=d.entity_id, score=float(shared)))
        scored.sort(key=lambda s: -s.score)
        return scored[:limit]

    def indexed_fingerprints(self):
        with self._lock:
            return {key: d.fingerprint for key, d in self.documents.items()}

    def rebuild(self, documents, *, total, progress=None):
        fresh = {}
        for n, document in enumerate(documents, 1):
            fresh[document.key] = document
            if progress:
                progress(n)
        with self._lock:
            self.documents = fresh
        return ReindexStats(documents=len(fresh))
