"""Search relevance you can measure: a judged Vietnamese query set, four systems, one table.

    .venv/bin/python bench/relevance.py                       # ~10,000 contributions, 4 systems
    .venv/bin/python bench/relevance.py --json relevance.json
    .venv/bin/python bench/relevance.py --docs 400 --no-postgres   # tiny: Whoosh only, seconds

Builds a corpus of about ``--docs`` contributions: ``bench/corpus.py`` plus the PLANTED
documents of ``bench/relevance_set.py`` (each wrapped in filler sentences), fixed seed.
Every query is judged by the WRITTEN RULE of ``judge`` (bench/README.md), which reads
only the documents' text and the query's intent, never a system's output.

Systems, each loaded with the same rows (ids included):

- ``whoosh``: the app on SQLite with ``SEARCH_BACKEND=whoosh``;
- ``postgres``: the app on a throw-away PostgreSQL database with ``SEARCH_BACKEND=postgres``;
- ``pg-unaccent-cd``: a Discourse-style search over the same rows in SQL: ``simple``
  configuration over ``unaccent`` text (title weight A, body B), ``websearch_to_tsquery``,
  ranked by ``ts_rank_cd``;
- ``pg-simple``: plain ``simple`` (no folding), ranked by ``ts_rank``.

The engines are the product's: rows go into the app's tables, ``flask search reindex``
builds the index, and ``search.services.search_contributions`` answers as the search page
does (an anonymous visitor, page 1 of 20). The PostgreSQL database (``--postgres-url``,
the server; a database ``hienke_relevance_*`` is created on it) is dropped afterwards.

Prints nDCG@10, MRR and recall@20 per class and overall for each system, the typo
queries' recall@20 as a share of the same queries typed correctly, and for each
full-diacritics query whether the first page is exact-before-folded. ``--json PATH``
writes everything (per query too) for a test or a later session to compare.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import CorpusGenerator, generate  # noqa: E402
from bench.relevance_set import CLASSES, PLANTED, QUERIES, Query  # noqa: E402

SYSTEMS = ("whoosh", "postgres", "pg-unaccent-cd", "pg-simple")
DEFAULT_POSTGRES_URL = os.environ.get("RELEVANCE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RELEVANT = 2  # a grade at least this is "relevant" (MRR, recall@20)
PAGE = 20
GOALS = {"overall_ndcg10": 0.92, "lead_over_cd": 0.10, "class_ndcg10": 0.85, "typo_share": 0.80}


# The text model of the judgments (independent of the engines' own analysis) ------------------
TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
WORD = re.compile(r"\w+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(syllable: str) -> str:
    """No diacritics at all: 'thoả' → 'thoa', 'đoàn' → 'doan'."""
    decomposed = unicodedata.normalize("NFD", syllable.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def canon(syllable: str) -> str:
    """The spelling with the tone mark taken off and put after the letters: old- and
    new-style tone placement become the same ('thỏa' and 'thoả' → 'thoa\u0309')."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    tones = [c for c in decomposed if c in TONES]
    letters = nfc("".join(c for c in decomposed if c not in TONES))
    return letters + "".join(tones[:1])


def syllables(text: str) -> list[str]:
    return WORD.findall(nfc(text).lower())


def is_marked(syllable: str) -> bool:
    return fold(syllable) != syllable


# The corpus ------------------------------------------------------------------------------------
@dataclass
class Doc:
    kind: str  # proposal | comment
    id: int
    proposal_id: int
    title: str
    body: str
    created_at: datetime
    # judgments' view: (canon, folded) syllables per field; whether no syllable carries a mark
    fields: list[tuple[list[str], list[str]]] = field(default_factory=list)
    unaccented: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def build_corpus(size: int, seed: int) -> list[Doc]:
    """About ``size`` documents: the generated corpus plus every planted document."""
    rng = random.Random(seed)
    filler = CorpusGenerator(seed + 7)
    generated = generate(max(size - len(PLANTED), 60), seed=seed)
    docs = [Doc(d.kind, d.entity_id, d.proposal_id, nfc(d.title), nfc(d.body), d.created_at) for d in generated]
    proposals = [d for d in docs if d.kind == "proposal"]
    next_id = {"proposal": max(d.id for d in proposals) + 1,
               "comment": max((d.id for d in docs if d.kind == "comment"), default=0) + 1}
    moments = sorted(d.created_at for d in docs)
    for planted in PLANTED:
        core = nfc(planted[-1])
        around = [filler.sentence() for _ in range(rng.randint(0, 2))], [filler.sentence()
                                                                         for _ in range(rng.randint(0, 2))]
        if not any(is_marked(s) for s in syllables(" ".join(planted[1:]))):
            around = [list(map(fold, part)) for part in around]  # typed without diacritics throughout
        body = " ".join([*around[0], core, *around[1]])
        created = rng.choice(moments) + timedelta(seconds=rng.random())
        if planted[0] == "P":
            pid = next_id["proposal"]
            next_id["proposal"] += 1
            docs.append(Doc("proposal", pid, pid, nfc(planted[1]), body, created))
        else:
            parent = rng.choice(proposals)
            cid = next_id["comment"]
            next_id["comment"] += 1
            docs.append(Doc("comment", cid, parent.id, "", body, max(created, parent.created_at)))
    for doc in docs:
        doc.fields = []
        for text in (doc.title, doc.body):
            found = syllables(text)
            doc.fields.append(([canon(s) for s in found], [fold(s) for s in found]))
        doc.unaccented = not any(is_marked(s) for text in (doc.title, doc.body) for s in syllables(text))
    return docs


# The judgments ---------------------------------------------------------------------------------
def _words(intent: str) -> list[list[str]]:
    return [syllables(word) for word in intent.split("|") if syllables(word)]


def query_is_marked(query: Query) -> bool:
    return any(is_marked(s) for intent in query.intents for s in syllables(intent.replace("|", " ")))


def _match(q_canon: str, q_fold: str, t_canon: str, t_fold: str, marked: bool, unaccented: bool) -> int:
    """2: the same syllable; 1: the same letters in a text typed without diacritics; 0: no."""
    if not marked:
        return 2 if t_fold == q_fold else 0
    if t_canon == q_canon:
        return 2
    return 1 if unaccented and t_fold == q_fold else 0


def _best_run(sequence: list[str], doc: Doc, marked: bool) -> int:
    """The best match (2, 1 or 0) of the syllables of ``sequence`` adjacent in one field."""
    q = [(canon(s), fold(s)) for s in sequence]
    best = 0
    for canons, folds in doc.fields:
        for start in range(len(canons) - len(q) + 1):
            worst = 2
            for offset, (qc, qf) in enumerate(q):
                worst = min(worst, _match(qc, qf, canons[start + offset], folds[start + offset], marked,
                                          doc.unaccented))
                if not worst:
                    break
            best = max(best, worst)
            if best == 2:
                return 2
    return best


def grade_form(words: list[list[str]], doc: Doc, *, marked: bool, quoted: bool) -> int:
    """The written rule, for one spelling of the intent (see bench/README.md):

    3  the whole intent, its syllables adjacent in one field (title or body), each the
       same syllable (with the query's diacritics, tone placement aside; a syllable typed
       without marks in a marked query is that unmarked syllable; an unmarked query
       matches any diacritics);
    2  the whole intent adjacent, in a text typed without diacritics; or (query of several
       words) every word adjacent somewhere, not the whole phrase;
    1  every syllable somewhere (a word broken up, or words apart in a text typed without
       diacritics);
    0  otherwise (a near-homograph: a syllable only with other diacritics).

    A quoted query asks for the phrase: only 3 and 2 (the phrase itself), 0 otherwise.
    """
    phrase = _best_run([s for word in words for s in word], doc, marked)
    if phrase == 2:
        return 3
    if phrase == 1:
        return 2
    if quoted:
        return 0
    if len(words) > 1:
        each = min(_best_run(word, doc, marked) for word in words)
        if each == 2:
            return 2
        if each:
            return 1
    every = min(_best_run([s], doc, marked) for word in words for s in word)
    return 1 if every else 0


@dataclass
class Judged:
    grades: dict[str, int]  # key → grade > 0
    exact: set[str]  # full-diacritics queries: documents with every typed syllable as typed
    folded_only: set[str]  # ... with every syllable only when folded


class Judge:
    def __init__(self, docs: list[Doc]):
        self.docs = docs
        self.postings: dict[str, set[int]] = defaultdict(set)
        for index, doc in enumerate(docs):
            for _, folds in doc.fields:
                for f in folds:
                    self.postings[f].add(index)

    def _candidates(self, sequence: list[str]) -> set[int]:
        sets = [self.postings.get(fold(s), set()) for s in sequence]
        return set.intersection(*sets) if sets else set()

    def judge(self, query: Query) -> Judged:
        marked = query_is_marked(query)
        grades: dict[str, int] = {}
        for intent in query.intents:
            words = _words(intent)
            flat = [s for word in words for s in word]
            for index in self._candidates(flat):
                doc = self.docs[index]
                grade = grade_form(words, doc, marked=marked, quoted=query.quoted)
                if grade > grades.get(doc.key, 0):
                    grades[doc.key] = grade
        exact, folded_only = set(), set()
        typed = syllables(query.text)
        if query.cls == "full":
            for index in self._candidates(typed):
                doc = self.docs[index]
                canons = set(c for cs, _ in doc.fields for c in cs) if not doc.unaccented else set()
                (exact if all(canon(s) in canons for s in typed) else folded_only).add(doc.key)
        return Judged(grades, exact, folded_only)


# Metrics ------------------------------------------------------------------------------------------
def dcg(gains: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(rank + 2) for rank, g in enumerate(gains))


def ndcg_at(ranking: list[str], grades: dict[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return dcg([grades.get(key, 0) for key in ranking[:k]]) / ideal if ideal else 0.0


def reciprocal_rank(ranking: list[str], grades: dict[str, int], k: int = PAGE) -> float:
    for rank, key in enumerate(ranking[:k], start=1):
        if grades.get(key, 0) >= RELEVANT:
            return 1.0 / rank
    return 0.0


def recall_at(ranking: list[str], grades: dict[str, int], k: int = PAGE) -> float:
    """Relevant documents in the first ``k`` over the most that could be there."""
    relevant = sum(1 for g in grades.values() if g >= RELEVANT)
    if not relevant:
        return 0.0
    return sum(1 for key in ranking[:k] if grades.get(key, 0) >= RELEVANT) / min(relevant, k)


def exact_before_folded(ranking: list[str], judged: Judged, k: int = 10) -> bool:
    """No document matching only when folded on the first page ahead of a document that
    matches as typed, whether that one is further down the page or not on it at all."""
    exact_above = 0
    for key in ranking[:k]:
        if key in judged.exact:
            exact_above += 1
        elif key in judged.folded_only:
            if exact_above < len(judged.exact):
                return False
    return True


# Systems ------------------------------------------------------------------------------------------
def load_rows(app, docs: list[Doc]) -> None:
    """One open forum, one author, the corpus as proposals and comments (everything public)."""
    from datetime import date

    from forum.core.markup import render_markup
    from forum.extensions import db
    from forum.forums.models import Forum
    from forum.proposals.models import Comment, Proposal
    from forum.search.models import SearchOutbox
    from forum.auth.models import User

    with app.app_context():
        forum = Forum(number=1, slug="dien-dan-1", title="Diễn đàn chuyên đề số 1", description="",
                      held_on=date(2023, 11, 30), venue="Hà Nội", phase="open")
        user = User(email="relevance@congdoan.vn", full_name="Nguyễn Văn A", unit="CĐCS", province="Hà Nội",
                    role="delegate", is_active_account=True)
        user.set_password("relevance-bench")
        db.session.add_all([forum, user])
        db.session.commit()
        forum_id, user_id = forum.id, user.id
        db.session.remove()  # on SQLite its next transaction would hold the write lock
        proposals, comments = [], []
        for doc in docs:
            if doc.kind == "proposal":
                proposals.append(dict(id=doc.id, forum_id=forum_id, theme_id=None, author_id=user_id,
                                      title=doc.title, body=doc.body, body_html=render_markup(doc.body),
                                      status="published", is_hidden=False, is_locked=False, is_pinned=False,
                                      support_count=0, comment_count=0, created_at=doc.created_at,
                                      updated_at=doc.created_at))
            else:
                comments.append(dict(id=doc.id, proposal_id=doc.proposal_id, parent_id=None, author_id=user_id,
                                     body=doc.body, body_html=render_markup(doc.body), is_hidden=False,
                                     created_at=doc.created_at, updated_at=doc.created_at))
        with db.engine.begin() as connection:
            connection.execute(Proposal.__table__.insert(), proposals)
            connection.execute(Comment.__table__.insert(), comments)
            connection.execute(SearchOutbox.__table__.delete())


def make_app(database_url: str, index_dir: Path, backend: str, docs: list[Doc]):
    """The app on ``database_url`` with the corpus loaded and ``flask search reindex`` run."""
    from config import TestingConfig
    from forum import create_app
    from forum.extensions import db
    from forum.search.postgres.schema import ensure_schema

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, SEARCH_INDEX_DIR=str(index_dir),
                     SEARCH_BACKEND=backend)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            ensure_schema(connection)
    load_rows(app, docs)
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    if result.exit_code != 0:
        raise RuntimeError(f"flask search reindex failed: {result.output}") from result.exception
    return app


def engine_rankings(app, texts: list[str]) -> dict[str, list[str]]:
    """The keys of the first page (20) the search service gives an anonymous visitor."""
    from flask_login import AnonymousUserMixin

    from forum.search.services import search_contributions

    rankings = {}
    with app.app_context():
        for text in texts:
            results = search_contributions(AnonymousUserMixin(), text=text, per_page=PAGE)
            if results.unavailable:
                raise RuntimeError(f"the search engine failed on {text!r}")
            rankings[text] = [f"comment:{hit.comment.id}" if hit.comment is not None else f"proposal:{hit.proposal.id}"
                              for hit in results.hits]
    return rankings


def close_app(app) -> None:
    from forum.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


BASELINE_SQL = {
    # Discourse: the simple configuration over unaccented text, proximity ranking (ts_rank_cd).
    "pg-unaccent-cd": """SELECT key FROM relevance_baseline, websearch_to_tsquery('simple', unaccent(:q)) AS q
                         WHERE tsv_unaccent @@ q
                         ORDER BY ts_rank_cd(tsv_unaccent, q) DESC, created_at DESC, key LIMIT :k""",
    # Plain simple configuration, no folding, ts_rank.
    "pg-simple": """SELECT key FROM relevance_baseline, websearch_to_tsquery('simple', :q) AS q
                    WHERE tsv_simple @@ q
                    ORDER BY ts_rank(tsv_simple, q) DESC, created_at DESC, key LIMIT :k""",
}


def baseline_rankings(database_url: str, texts: list[str]) -> dict[str, dict[str, list[str]]]:
    """Both baselines, in SQL over the app's proposals and comments tables."""
    import sqlalchemy as sa

    engine = sa.create_engine(sa.make_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
            connection.exec_driver_sql("DROP TABLE IF EXISTS relevance_baseline")
            connection.exec_driver_sql("""
                CREATE TABLE relevance_baseline AS
                SELECT 'proposal:' || id AS key, created_at, title, body FROM proposals
                UNION ALL SELECT 'comment:' || id, created_at, '', body FROM comments""")
            connection.exec_driver_sql("""
                ALTER TABLE relevance_baseline ADD COLUMN tsv_unaccent tsvector, ADD COLUMN tsv_simple tsvector""")
            connection.exec_driver_sql("""
                UPDATE relevance_baseline SET
                  tsv_unaccent = setweight(to_tsvector('simple', unaccent(title)), 'A')
                              || setweight(to_tsvector('simple', unaccent(body)), 'B'),
                  tsv_simple = setweight(to_tsvector('simple', title), 'A')
                            || setweight(to_tsvector('simple', body), 'B')""")
            connection.exec_driver_sql("ANALYZE relevance_baseline")
        rankings: dict[str, dict[str, list[str]]] = {}
        with engine.connect() as connection:
            for name, sql in BASELINE_SQL.items():
                rankings[name] = {text: list(connection.execute(sa.text(sql), {"q": nfc(text), "k": PAGE}).scalars())
                                  for text in texts}
        return rankings
    finally:
        engine.dispose()


class PostgresDatabase:
    """A throw-away database on the server of ``server_url``, dropped on exit."""

    def __init__(self, server_url: str):
        import sqlalchemy as sa

        self.server = sa.make_url(server_url).set(drivername="postgresql+psycopg")
        self.name = f"hienke_relevance_{uuid.uuid4().hex[:10]}"
        self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        return self.server.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


# The run ------------------------------------------------------------------------------------------
def query_texts() -> list[str]:
    """Every text to send: the queries, then what the typo and partial queries mean."""
    texts = [q.text for q in QUERIES]
    texts += [q.means.replace("|", " ") for q in QUERIES if q.means]
    return list(dict.fromkeys(texts))


def score(rankings: dict[str, list[str]], judgments: dict[str, Judged]) -> dict:
    per_query, by_class = {}, defaultdict(list)
    for q in QUERIES:
        judged, ranking = judgments[q.text], rankings[q.text]
        row = {"class": q.cls, "ndcg10": ndcg_at(ranking, judged.grades),
               "mrr": reciprocal_rank(ranking, judged.grades), "recall20": recall_at(ranking, judged.grades),
               "top10": ranking[:10],
               "top10_grades": [judged.grades.get(key, 0) for key in ranking[:10]], "returned": len(ranking)}
        if q.means:
            correct = q.means.replace("|", " ")
            row["correct_recall20"] = recall_at(rankings[correct], judged.grades) if correct in rankings else None
        if q.cls == "full":
            row["exact_before_folded"] = exact_before_folded(ranking, judged)
            row["first_is_exact"] = bool(ranking) and ranking[0] in judged.exact
        per_query[q.text] = row
        by_class[q.cls].append(row)

    def mean(rows, name):
        return statistics.fmean(r[name] for r in rows) if rows else 0.0

    metrics = ("ndcg10", "mrr", "recall20")
    classes = {cls: {m: mean(rows, m) for m in metrics} | {"queries": len(rows)} for cls, rows in by_class.items()}
    everything = list(per_query.values())
    typos = [r for r in everything if r["class"] == "typo"]
    correct = statistics.fmean(r["correct_recall20"] for r in typos) if typos else 0.0
    full = [r for r in everything if r["class"] == "full"]
    return {
        "per_query": per_query,
        "classes": classes,
        "overall": {m: mean(everything, m) for m in metrics} | {"queries": len(everything)},
        "overall_without_typos": {m: mean([r for r in everything if r["class"] != "typo"], m) for m in metrics}
        | {"queries": len(everything) - len(typos)},
        "typo": {"recall20": mean(typos, "recall20"), "correct_recall20": correct,
                 "share": mean(typos, "recall20") / correct if correct else 0.0},
        "exact_before_folded": {"pass": sum(r["exact_before_folded"] for r in full), "of": len(full),
                                "failing": [q for q, r in per_query.items() if r.get("exact_before_folded") is False],
                                "first_exact": sum(r["first_is_exact"] for r in full)},
    }


def run(*, docs: int = 10_000, seed: int = 2023, systems=SYSTEMS, postgres_url: str | None = None,
        log=print) -> dict:
    started = time.perf_counter()
    corpus = build_corpus(docs, seed)
    judge = Judge(corpus)
    judgments = {q.text: judge.judge(q) for q in QUERIES}
    log(f"corpus: {len(corpus)} documents ({sum(d.kind == 'proposal' for d in corpus)} proposals, "
        f"{len(PLANTED)} planted); {len(QUERIES)} queries judged in {time.perf_counter() - started:.1f} s")
    texts = query_texts()
    rankings: dict[str, dict[str, list[str]]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="relevance-"))
    try:
        if "whoosh" in systems:
            t = time.perf_counter()
            app = make_app(f"sqlite:///{workdir / 'whoosh.sqlite3'}", workdir / "index", "whoosh", corpus)
            rankings["whoosh"] = engine_rankings(app, texts)
            close_app(app)
            log(f"whoosh (SQLite): loaded, reindexed and queried in {time.perf_counter() - t:.1f} s")
        wanted_pg = [s for s in systems if s != "whoosh"]
        if wanted_pg:
            if not postgres_url:
                raise SystemExit(f"{', '.join(wanted_pg)} need a PostgreSQL server (--postgres-url)")
            with PostgresDatabase(postgres_url) as database_url:
                t = time.perf_counter()
                app = make_app(database_url, workdir / "unused-index", "postgres", corpus)
                if "postgres" in systems:
                    rankings["postgres"] = engine_rankings(app, texts)
                close_app(app)
                log(f"postgres: loaded, reindexed and queried in {time.perf_counter() - t:.1f} s")
                if any(s in BASELINE_SQL for s in systems):
                    t = time.perf_counter()
                    for name, found in baseline_rankings(database_url, texts).items():
                        if name in systems:
                            rankings[name] = found
                    log(f"baselines: built and queried in {time.perf_counter() - t:.1f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "config": {"docs": len(corpus), "planted": len(PLANTED), "seed": seed, "queries": len(QUERIES),
                   "page": PAGE, "relevant_grade": RELEVANT, "goals": GOALS,
                   "measured_at": datetime.now(UTC).isoformat(timespec="seconds")},
        "queries": [{"class": q.cls, "text": q.text, "intents": list(q.intents), "means": q.means or None,
                     "judged": len(judgments[q.text].grades),
                     "relevant": sum(1 for g in judgments[q.text].grades.values() if g >= RELEVANT),
                     "grade3": sum(1 for g in judgments[q.text].grades.values() if g == 3)} for q in QUERIES],
        "systems": {name: score(rankings[name], judgments) for name in SYSTEMS if name in rankings},
    }


def report(result: dict) -> str:
    systems = list(result["systems"])
    lines = []
    width = 16
    head = f"{'class':<9}{'n':>3}" + "".join(f"{name:>{width}}" for name in systems)
    for metric, label in (("ndcg10", "nDCG@10"), ("mrr", "MRR"), ("recall20", "recall@20")):
        lines += ["", label, head]
        for cls in [*CLASSES, "overall", "no typos"]:
            cells = []
            n = 0
            for name in systems:
                block = result["systems"][name]
                values = {"overall": block["overall"], "no typos": block["overall_without_typos"]}.get(
                    cls, block["classes"].get(cls))
                n = values["queries"] if values else 0
                cells.append(f"{values[metric]:>{width}.3f}" if values else f"{'-':>{width}}")
            lines.append(f"{cls:<9}{n:>3}" + "".join(cells))
    lines += ["", "typo recall@20 as a share of the same queries typed correctly (goal ≥ 0.80)"]
    for name in systems:
        typo = result["systems"][name]["typo"]
        lines.append(f"  {name:<16} {typo['share']:.2f}  ({typo['recall20']:.3f} / {typo['correct_recall20']:.3f})")
    lines += ["", "full diacritics: first page exact-before-folded (goal: every query); first hit exact"]
    for name in systems:
        ebf = result["systems"][name]["exact_before_folded"]
        failing = ", ".join(ebf["failing"]) or "none"
        lines.append(f"  {name:<16} {ebf['pass']}/{ebf['of']}  first exact {ebf['first_exact']}/{ebf['of']}"
                     f"  failing: {failing}")
    if "pg-unaccent-cd" in result["systems"]:
        cd = result["systems"]["pg-unaccent-cd"]["overall"]["ndcg10"]
        lines += ["", "goals (overall nDCG@10 ≥ 0.92 and ≥ cd + 0.10; no class < 0.85; typo share ≥ 0.80; "
                      "exact-before-folded on every full query)"]
        for name in ("whoosh", "postgres"):
            if name not in result["systems"]:
                continue
            block = result["systems"][name]
            overall = block["overall"]["ndcg10"]
            low = [f"{c} {v['ndcg10']:.2f}" for c, v in block["classes"].items() if v["ndcg10"] < GOALS["class_ndcg10"]]
            ebf = block["exact_before_folded"]
            checks = [
                ("overall", overall >= GOALS["overall_ndcg10"], f"{overall:.3f}"),
                ("lead", overall - cd >= GOALS["lead_over_cd"], f"{overall - cd:+.3f}"),
                ("classes", not low, ", ".join(low) or "all ≥ 0.85"),
                ("typo", block["typo"]["share"] >= GOALS["typo_share"], f"{block['typo']['share']:.2f}"),
                ("exact-first", ebf["pass"] == ebf["of"], f"{ebf['pass']}/{ebf['of']}"),
            ]
            lines.append(f"  {name:<9} " + "; ".join(f"{label} {'met' if ok else 'MISSED'} ({value})"
                                                      for label, ok, value in checks))
    return "\n".join(lines)


def compare(result: dict, earlier: dict) -> str:
    """nDCG@10 per class and overall against an earlier ``--json`` file (same query set)."""
    lines = ["", f"nDCG@10 against {earlier['config'].get('measured_at', 'an earlier run')} (now, change)"]
    systems = [name for name in result["systems"] if name in earlier["systems"]]
    lines.append(f"{'class':<9}" + "".join(f"{name:>22}" for name in systems))
    for cls in [*CLASSES, "overall"]:
        cells = []
        for name in systems:
            now, then = result["systems"][name], earlier["systems"][name]
            a = now["overall"] if cls == "overall" else now["classes"].get(cls)
            b = then["overall"] if cls == "overall" else then["classes"].get(cls)
            cells.append(f"{a['ndcg10']:>14.3f} {a['ndcg10'] - b['ndcg10']:>+7.3f}" if a and b else f"{'-':>22}")
        lines.append(f"{cls:<9}" + "".join(cells))
    changed = [q.text for q in QUERIES
               if any(q.text not in earlier["systems"][n]["per_query"] for n in systems)]
    if changed:
        lines.append(f"(queries not in the earlier run: {len(changed)})")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000, help="corpus size, planted documents included")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated, of {', '.join(SYSTEMS)}")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL,
                        help="a PostgreSQL server (a throw-away database is created on it and dropped)")
    parser.add_argument("--no-postgres", action="store_true", help="Whoosh only")
    parser.add_argument("--json", type=Path, help="write the results (per query too) to this file")
    parser.add_argument("--compare", type=Path, help="an earlier --json file: print the nDCG@10 changes")
    parser.add_argument("--queries", action="store_true", help="also print each query's nDCG@10 per system")
    args = parser.parse_args(argv)
    systems = tuple(s for s in args.systems.split(",") if s)
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    if args.no_postgres:
        systems = tuple(s for s in systems if s == "whoosh")
    started = time.perf_counter()
    result = run(docs=args.docs, seed=args.seed, systems=systems, postgres_url=args.postgres_url,
                 log=lambda message: print(message, file=sys.stderr))
    print(report(result))
    if args.queries:
        names = list(result["systems"])
        print("\nper query nDCG@10: " + " | ".join(names))
        for q in QUERIES:
            cells = " ".join(f"{result['systems'][n]['per_query'][q.text]['ndcg10']:.2f}" for n in names)
            print(f"  {q.cls:<8} {q.text:<36} {cells}")
    if args.compare:
        print(compare(result, json.loads(args.compare.read_text())))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
