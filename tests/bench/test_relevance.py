"""The relevance bench (bench/relevance.py): its metrics on hand-made rankings, its written
judgment rule on hand-made documents, the query set's completeness, and a whole run on a
tiny corpus through the app (Whoosh on SQLite; both engines and the baselines on
PostgreSQL when TEST_DATABASE_URL is set)."""
from datetime import UTC, datetime

import pytest

from bench import relevance
from bench.relevance import (
    Doc,
    Judge,
    Judged,
    canon,
    exact_before_folded,
    grade_form,
    ndcg_at,
    recall_at,
    reciprocal_rank,
    syllables,
)
from bench.relevance_set import CLASSES, QUERIES, Query

GRADES = {"a": 3, "b": 2, "c": 1, "d": 0}


def test_ndcg_of_a_perfect_ranking_is_one_and_of_a_reversed_one_less():
    assert ndcg_at(["a", "b", "c", "d"], GRADES) == pytest.approx(1.0)
    reversed_ = ndcg_at(["d", "c", "b", "a"], GRADES)
    assert 0 < reversed_ < ndcg_at(["b", "a", "c", "d"], GRADES) < 1
    assert ndcg_at([], GRADES) == 0.0
    assert ndcg_at(["x", "y"], GRADES) == 0.0
    # Only the first k count: a perfect top 1 is perfect at k=1 whatever follows.
    assert ndcg_at(["a", "d"], GRADES, k=1) == pytest.approx(1.0)


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_document():
    assert reciprocal_rank(["d", "c", "a"], GRADES) == pytest.approx(1 / 3)  # grade 1 is not relevant
    assert reciprocal_rank(["b"], GRADES) == 1.0
    assert reciprocal_rank(["c", "d"], GRADES) == 0.0


def test_recall_counts_relevant_documents_over_the_most_the_page_can_hold():
    assert recall_at(["a", "x", "b"], GRADES) == 1.0
    assert recall_at(["a", "c"], GRADES) == 0.5
    many = {f"k{i}": 3 for i in range(40)}
    assert recall_at([f"k{i}" for i in range(20)], many) == 1.0  # 20 of 40, and the page holds 20
    assert recall_at([f"k{i}" for i in range(10)], many) == 0.5


def test_exact_before_folded_looks_past_the_first_page():
    judged = Judged(grades={}, exact={"e1", "e2"}, folded_only={"f1"})
    assert exact_before_folded(["e1", "e2", "f1"], judged)
    assert exact_before_folded(["e1", "x", "e2"], judged)
    assert not exact_before_folded(["e1", "f1", "e2"], judged)
    assert not exact_before_folded(["e1", "f1"], judged)  # e2 is not on the page at all


def doc(body: str, title: str = "") -> Doc:
    d = Doc("comment", 1, 1, title, body, datetime(2023, 11, 1, tzinfo=UTC))
    d.fields = [([canon(s) for s in syllables(t)], [relevance.fold(s) for s in syllables(t)]) for t in (title, body)]
    d.unaccented = not any(relevance.is_marked(s) for s in syllables(title + " " + body))
    return d


def grade(intent: str, document: Doc, *, quoted: bool = False) -> int:
    query = Query("full", intent.replace("|", " "), intent=intent)
    words = relevance._words(intent)
    return grade_form(words, document, marked=relevance.query_is_marked(query), quoted=quoted)


def test_the_written_rule():
    assert canon("thoả") == canon("thỏa") and canon("khoẻ") == canon("khỏe") and canon("thuỷ") == canon("thủy")
    # 3: the phrase with the query's diacritics (tone placement aside)
    assert grade("ca đêm", doc("Phụ cấp ca đêm chưa đủ.")) == 3
    assert grade("thỏa thuận", doc("Hai bên đã thoả thuận.")) == 3
    # 0: near-homographs differ by diacritics; an unmarked syllable of a marked query is unmarked
    assert grade("ca đêm", doc("Tôi thức cả đêm.")) == 0
    assert grade("công đoạn", doc("Công đoàn làm lại đoạn đường.")) == 1  # each syllable, the word broken
    # 2: in a text typed without diacritics; or the words apart (a quoted query asks for the phrase)
    assert grade("ca đêm", doc("lam ca dem vat va")) == 2
    assert grade("ca đêm", doc("lam ca dem vat va"), quoted=True) == 2
    assert grade("bữa ăn|giữa ca", doc("Nghỉ giữa ca.", title="Bữa ăn nóng")) == 2
    assert grade("bữa ăn|giữa ca", doc("Nghỉ giữa ca.", title="Bữa ăn nóng"), quoted=True) == 0
    # 1: every syllable, a word broken up
    assert grade("bữa ăn|giữa ca", doc("Bữa trưa ăn vội giữa hai ca.")) == 1
    assert grade("bữa ăn|giữa ca", doc("Bữa ăn giữa ca.", title="")) == 3
    # a phrase never runs from the title into the body
    assert grade("bữa ăn|giữa ca", doc("giữa ca nhé", title="Bàn về bữa ăn")) == 2
    # unaccented intent: any diacritics
    assert grade("ca dem", doc("Tôi thức cả đêm.")) == 3


def test_every_query_is_judged_with_a_relevant_document():
    corpus = relevance.build_corpus(400, seed=2023)
    judge = Judge(corpus)
    assert len({q.text for q in QUERIES}) == len(QUERIES) >= 60
    assert {q.cls for q in QUERIES} == set(CLASSES)
    for query in QUERIES:
        judged = judge.judge(query)
        assert judged.grades, query.text
        assert any(g >= relevance.RELEVANT for g in judged.grades.values()), query.text
        if query.cls in ("typo", "partial"):
            assert query.means and query.means.replace("|", " ") != query.text, query.text
        if query.cls == "full":
            assert judged.exact, query.text


def test_the_corpus_is_deterministic():
    first, second = relevance.build_corpus(300, seed=5), relevance.build_corpus(300, seed=5)
    assert [(d.key, d.title, d.body, d.created_at) for d in first] == [(d.key, d.title, d.body, d.created_at)
                                                                         for d in second]


def check_result(result, systems):
    assert list(result["systems"]) == list(systems)
    for block in result["systems"].values():
        assert set(block["classes"]) == set(CLASSES)
        assert len(block["per_query"]) == len(QUERIES)
        for values in [*block["classes"].values(), block["overall"]]:
            for metric in ("ndcg10", "mrr", "recall20"):
                assert 0.0 <= values[metric] <= 1.0
        assert block["exact_before_folded"]["of"] == sum(q.cls == "full" for q in QUERIES)
    assert relevance.report(result)


def test_a_tiny_run_on_whoosh():
    result = relevance.run(docs=300, systems=("whoosh",), log=lambda message: None)
    check_result(result, ("whoosh",))
    # The engine finds the unaccented and the mixed classes on so small a corpus.
    assert result["systems"]["whoosh"]["classes"]["none"]["mrr"] > 0.5


def test_a_tiny_run_on_every_system(postgres_server_url):
    result = relevance.run(docs=300, systems=relevance.SYSTEMS, postgres_url=postgres_server_url,
                           log=lambda message: None)
    check_result(result, relevance.SYSTEMS)
