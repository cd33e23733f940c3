"""PostgreSQL-specific behaviour of the search backend (the shared behaviour is in test_contract.py).

The syllable helpers are tested everywhere; the rest needs PostgreSQL (TEST_DATABASE_URL).
"""
import logging
import threading
import time
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from forum.extensions import db
from forum.search.postgres import plans as postgres_plans
from forum.search.backend import Kind, SearchDocument, SearchQuery, Sort, Visibility
from forum.search.postgres.backend import PostgresBackend
from forum.search.postgres.tsquery import syllable_pairs, words
from tests.helpers import build_app, destroy_app

PUBLIC = frozenset({Visibility.PUBLIC})
BASE_TIME = datetime(2023, 11, 20, 8, 0, tzinfo=UTC)


def make_doc(entity_id, body, *, title=None, kind=Kind.PROPOSAL, created_at=None, visibility=Visibility.PUBLIC,
             forum_id=1, support_count=0):
    return SearchDocument(
        kind=kind, entity_id=entity_id, proposal_id=entity_id, forum_id=forum_id, theme_id=None, author_id=1,
        status="published", visibility=visibility,
        created_at=created_at or BASE_TIME + timedelta(minutes=entity_id),
        support_count=support_count if kind == Kind.PROPOSAL else 0,
        title=(title if title is not None else f"Hiến kế số {entity_id}") if kind == Kind.PROPOSAL else "",
        body=body,
    )


def keys(page):
    return [hit.key for hit in page.hits]


def search(backend, text, **fields):
    fields.setdefault("visibility", PUBLIC)
    fields.setdefault("per_page", 50)
    return backend.search(SearchQuery(text=text, **fields))


# Syllables as vi_words cuts them (no database) ----------------------------------------------------

def test_words_and_pairs_follow_vi_words():
    assert words("ĐOÀN Viên Nghiệp ỡ") == ["doan", "vien", "nghiep", "o"]
    assert words(unicodedata.normalize("NFD", "Đoàn viên")) == ["doan", "vien"]
    assert words("COVID-19, x.com <b>đậm</b> 4.0 a_b") == ["covid", "19", "x", "com", "b", "dam", "b", "4", "0",
                                                            "a", "b"]
    assert syllable_pairs("Công đoàn cơ sở, công đoàn") == ["co so", "cong doan", "doan co", "so cong"]
    assert syllable_pairs("một") == []


# PostgreSQL ------------------------------------------------------------------------------------

@pytest.fixture
def app(postgres_database, tmp_path):
    app = build_app(postgres_database, tmp_path)
    yield app
    destroy_app(app)


@pytest.fixture
def engine(app):
    with app.app_context():
        return db.engine


@pytest.fixture
def backend(engine):
    return PostgresBackend(engine)


TSQUERY_SYNTAX = [
    "&", "|", "!", ":*", "<->", "<2>", "\\", "'", "''", "a & b", "a | b", "!a", "a:*", "a <-> b", "a:A", "a:*A",
    "cong & doan", "cong|doan", "!!doan", "doan:*", "'cong' & 'doan'", "\\'doan\\'", "(cong", "cong)", "()",
    '"cong & doan"', '"a <-> b"', "-'doan'", '-"!"', "cong -!doan", "đoàn\\", "'đoàn'", "e'", "x::tsquery",
    "%s", "%(name)s", ":name", "$1", "?", "NULL", "'; DROP TABLE search_entries; --",
]


@pytest.mark.parametrize("text", TSQUERY_SYNTAX)
def test_tsquery_syntax_in_user_queries_never_raises(backend, text):
    backend.index_documents([make_doc(1, "Công đoàn cơ sở và đoàn viên"), make_doc(2, "a b e")])
    page = search(backend, text)
    assert page.total >= 0
    assert backend.similar_proposals(text, visibility=PUBLIC) is not None
    assert search(backend, "cong doan").total == 1  # the table is intact


def test_tsquery_syntax_is_only_text(backend):
    backend.index_documents([make_doc(1, "công đoàn cơ sở"), make_doc(2, "đoàn viên")])
    assert keys(search(backend, "cong & doan")) == ["proposal:1"]
    assert set(keys(search(backend, "doan:*"))) == {"proposal:1", "proposal:2"}
    assert search(backend, "!doan").total == 2  # "!" is not NOT
    assert search(backend, "co:*").total == 1  # not a prefix search: only "cơ"
    assert search(backend, "d:*").total == 0


def test_nfd_documents_and_queries(backend):
    backend.index_documents([
        make_doc(1, unicodedata.normalize("NFD", "Chủ tịch công đoàn cơ sở"),
                 title=unicodedata.normalize("NFD", "Đoàn viên nữ")),
        make_doc(2, "Chủ đề: tịch thu, công nhân đoàn kết"),
    ])
    for text in ("chủ tịch công đoàn", '"chủ tịch công đoàn"', "đoàn viên nữ"):
        nfc, nfd = search(backend, text), search(backend, unicodedata.normalize("NFD", text))
        assert keys(nfc) == keys(nfd) and keys(nfc)[0] == "proposal:1", text
    hit = search(backend, unicodedata.normalize("NFD", "đoàn viên")).hits[0]
    assert "<mark>Đoàn</mark>" in hit.title_snippet  # stored NFC
    assert search(backend, unicodedata.normalize("NFD", '-"chủ tịch" công')).total == 1


def test_punctuation_separates_syllables_like_the_analyzers(backend):
    backend.index_documents([
        make_doc(1, "Phòng chống COVID-19 trong nhà máy"),
        make_doc(2, "Cách mạng công nghiệp 4.0 và chuyển đổi số"),
        make_doc(3, "Phát triển đoàn-viên mới, xem congdoan.vn"),
        make_doc(4, "Thẻ <b>đậm</b> không phải thẻ HTML"),
    ])
    assert keys(search(backend, "covid 19")) == ["proposal:1"]
    assert keys(search(backend, "covid-19")) == ["proposal:1"]
    assert keys(search(backend, "4.0")) == ["proposal:2"]
    assert keys(search(backend, '"triển đoàn"')) == ["proposal:3"]  # the hyphen takes no position
    assert keys(search(backend, "congdoan")) == ["proposal:3"]
    assert keys(search(backend, "dam")) == ["proposal:4"]
    hit = search(backend, "covid 19").hits[0]
    assert "<mark>COVID</mark>-<mark>19</mark>" in hit.body_snippet  # punctuation kept in the snippet


def test_snippets_keep_the_original_characters(backend):
    body = "Ý kiến: «Công-đoàn» & <i>người lao động</i>… 100% đồng ý!"
    backend.index_documents([make_doc(1, body, title="Đề xuất: công đoàn (cơ sở)")])
    hit = search(backend, "cong doan").hits[0]
    assert str(hit.title_snippet) == "Đề xuất: <mark>công</mark> <mark>đoàn</mark> (cơ sở)"
    assert str(hit.body_snippet) == (
        "Ý kiến: «<mark>Công</mark>-<mark>đoàn</mark>» &amp; &lt;i&gt;người lao động&lt;/i&gt;… 100% đồng ý!")


def test_upsert_does_not_rewrite_unchanged_rows_and_takes_the_last_duplicate(backend, engine):
    document = make_doc(1, "nhà trọ công nhân")
    backend.index_documents([document])
    with engine.connect() as connection:
        before = connection.exec_driver_sql("SELECT xmin::text FROM search_entries").scalar_one()
    backend.index_documents([document])
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT xmin::text FROM search_entries").scalar_one() == before
    backend.index_documents([make_doc(2, "một"), make_doc(2, "hai"), make_doc(2, "ba")])
    assert keys(search(backend, "ba")) == ["proposal:2"] and search(backend, "hai").total == 0


def test_statement_timeout_returns_an_empty_page_and_logs(engine, caplog):
    backend = PostgresBackend(engine, statement_timeout_ms=200)
    backend.index_documents([make_doc(1, "công đoàn cơ sở")])
    with engine.connect() as locker:
        locker.exec_driver_sql("LOCK TABLE search_entries IN ACCESS EXCLUSIVE MODE")
        with caplog.at_level(logging.WARNING, logger="forum.search.postgres.backend"):
            page = search(backend, "cong doan")
            similar = backend.similar_proposals("công đoàn cơ sở", visibility=PUBLIC)
        locker.rollback()
    assert (page.hits, page.total, similar) == ([], 0, [])
    assert caplog.text.count("timed out") == 2  # both gave up at the statement timeout, not the lock's end
    assert search(backend, "cong doan").total == 1


def test_a_repeated_search_is_answered_once_per_generation(backend, monkeypatch):
    backend.index_documents([make_doc(1, "đoàn viên công đoàn")])
    computed = []
    real = backend._search
    monkeypatch.setattr(backend, "_search", lambda *args: computed.append(1) or real(*args))
    first = search(backend, "doan vien")
    assert search(backend, "doan vien") == first and len(computed) == 1
    search(backend, "doan vien", sort=Sort.SUPPORTS)
    search(backend, "doan vien", sort=Sort.SUPPORTS)  # count updates keep the generation: never kept
    assert len(computed) == 3
    backend.index_documents([make_doc(2, "đoàn viên mới")])
    assert search(backend, "doan vien").total == 2 and len(computed) == 4


@pytest.fixture
def small_caps(monkeypatch):
    """Small limits, so that a few documents exercise the paths for very common queries."""
    monkeypatch.setattr(postgres_plans, "COUNT_CAP", 5)
    monkeypatch.setattr(postgres_plans, "RECENT_WINDOW", 4)
    monkeypatch.setattr(postgres_plans, "STRONG_CANDIDATES", 3)


def test_totals_beyond_the_cap_are_capped_and_pages_stay_consistent(backend, small_caps):
    backend.index_documents([make_doc(i, f"bảo hiểm xã hội lần {i}") for i in range(1, 13)])
    for sort in (Sort.RELEVANCE, Sort.NEWEST, Sort.SUPPORTS):
        seen = []
        for number in (1, 2, 3):
            page = search(backend, "bao hiem", per_page=2, page=number, sort=sort)
            assert page.total == 5 and page.pages == 3
            seen += keys(page)
        assert len(seen) == len(set(seen)) == 6, sort
        assert search(backend, "bao hiem", per_page=2, page=4, sort=sort).hits == []
    newest = [keys(search(backend, "bao hiem", per_page=2, page=n, sort=Sort.NEWEST)) for n in (1, 2, 3)]
    assert sum(newest, []) == [f"proposal:{i}" for i in range(12, 6, -1)]
    assert search(backend, "bao hiem lan 3").total == 1  # exact below the cap


def test_capped_relevance_still_ranks_rare_strong_matches_first(backend, small_caps):
    # Ten recent documents with the syllables scattered, one old one with the phrase.
    old = make_doc(1, "Bồi dưỡng chủ tịch công đoàn cơ sở", created_at=BASE_TIME - timedelta(days=300))
    scattered = [make_doc(i, "Chủ đề: tịch thu; công nhân đoàn kết, cơ sở vật chất") for i in range(2, 12)]
    backend.index_documents([old, *scattered])
    page = search(backend, "chu tich cong doan", per_page=3)
    assert page.total == 5
    assert keys(page)[0] == "proposal:1"
    assert keys(search(backend, "chủ tịch công đoàn", per_page=3))[0] == "proposal:1"
    # Pages past the ranked candidates go on with older matches, newest first, no repeats.
    seen = sum((keys(search(backend, "chu tich cong doan", per_page=2, page=n)) for n in (1, 2, 3)), [])
    assert len(seen) == len(set(seen)) == 6


def test_quoted_phrases_of_common_syllables_use_the_pairs(backend, engine):
    backend.index_documents([
        make_doc(1, "công đoàn cơ sở và chủ tịch"),
        make_doc(2, "chủ tịch công đoàn cơ sở"),
        make_doc(3, "chủ tịch, công đoàn; cơ sở"),  # punctuation does not break a phrase
    ])
    assert set(keys(search(backend, '"chu tich cong doan co so"'))) == {"proposal:2", "proposal:3"}
    assert set(keys(search(backend, '"chu tich cong doan" OR "va chu tich"'))) == {
        "proposal:1", "proposal:2", "proposal:3"}
    with engine.connect() as connection:
        pairs = connection.exec_driver_sql(
            "SELECT tsv_pairs::text FROM search_entries WHERE key = 'proposal:2'").scalar()
    assert pairs == "'chu tich' 'co so' 'cong doan' 'doan co' 'hien ke' 'ke so' 'so 2' 'tich cong'"


def _index_definitions(engine):
    with engine.connect() as connection:
        return sorted(connection.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_entries'").all())


def _columns(engine):
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT column_name, data_type, is_nullable, column_default, generation_expression "
            "FROM information_schema.columns WHERE table_name = 'search_entries' ORDER BY ordinal_position").all()


def test_rebuild_recreates_the_same_table_and_swaps_atomically(backend, engine):
    old = [make_doc(i, f"tài liệu cũ {i}") for i in range(1, 41)]
    backend.index_documents(old)
    indexes, columns = _index_definitions(engine), _columns(engine)
    new_count = 300

    def slow_documents():
        for i in range(1000, 1000 + new_count):
            if i % 50 == 0:
                time.sleep(0.05)
            yield make_doc(i, f"tài liệu mới {i}")

    failures, seen = [], set()
    done = threading.Event()

    def rebuild():
        try:
            backend.rebuild(slow_documents(), total=new_count)
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=rebuild)
    thread.start()
    while not done.is_set():
        page = search(backend, "tai lieu", per_page=500, sort=Sort.NEWEST)
        seen.add((page.total, frozenset(keys(page))))
    thread.join()
    assert failures == []
    # Each search saw the old table or the new one, never a mixture or an empty table.
    old_keys = frozenset(d.key for d in old)
    new_keys = frozenset(f"proposal:{i}" for i in range(1000, 1000 + new_count))
    assert seen <= {(40, old_keys), (new_count, new_keys)} and (40, old_keys) in seen
    assert (search(backend, "tai lieu").total, search(backend, "cu").total) == (new_count, 0)
    assert _index_definitions(engine) == indexes and _columns(engine) == columns
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT to_regclass('search_entries_build')").scalar() is None


def test_a_failed_rebuild_leaves_the_index_as_it_was(backend, engine):
    backend.index_documents([make_doc(1, "công đoàn")])

    def broken():
        yield make_doc(2, "đoàn viên")
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        backend.rebuild(broken(), total=2)
    assert backend.indexed_fingerprints().keys() == {"proposal:1"}
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT to_regclass('search_entries_build')").scalar() is None
    backend.index_documents([make_doc(3, "tiền lương")])  # writes still work
    assert search(backend, "tien luong").total == 1


def test_rebuild_keeps_documents_once_and_reports_progress(backend):
    progress = []
    documents = [make_doc(i, "nhà ở xã hội") for i in range(1, 2501)] + [make_doc(1, "nhà ở xã hội")]
    stats = backend.rebuild(iter(documents), total=len(documents), progress=progress.append)
    assert stats.documents == 2500 and progress[-1] == 2500 and progress[0] == 1000
    assert search(backend, '"nha o xa hoi"').total == 2500
    assert set(stats.extra) >= {"load", "index", "swap"}


def test_cached_totals_follow_writes_from_any_process(engine):
    reader, writer = PostgresBackend(engine), PostgresBackend(engine)  # as in two app servers
    writer.index_documents([make_doc(1, "thỏa ước lao động tập thể")])
    assert search(reader, "thoa uoc").total == 1
    assert search(reader, "thoa uoc", page=2, per_page=1).total == 1  # the cached total
    writer.index_documents([make_doc(2, "thỏa ước mới")])
    assert keys(search(reader, "thoa uoc", sort=Sort.NEWEST)) == ["proposal:2", "proposal:1"]
    writer.remove_documents(["proposal:1", "proposal:2"])
    assert search(reader, "thoa uoc").total == 0
    writer.rebuild(iter([make_doc(3, "thỏa ước")]), total=1)
    assert keys(search(reader, "thoa uoc")) == ["proposal:3"]


PLAN_SHAPES = {
    "one pass through GIN": (0.0, 0.0),  # few matches expected
    "count, then collect through GIN": (0.01, 1e9),
    "test rows, no GIN": (1.0, 1e6),  # very common syllables
}


@pytest.mark.parametrize("cap", [10_000, 3])
def test_every_plan_shape_gives_the_same_results(backend, monkeypatch, cap):
    monkeypatch.setattr(postgres_plans, "COUNT_CAP", cap)
    monkeypatch.setattr(postgres_plans, "RECENT_WINDOW", 50)
    backend.index_documents(
        [make_doc(i, f"Tiền lương tối thiểu vùng lần {i}", support_count=i % 4, forum_id=1 + i % 2)
         for i in range(1, 9)]
        + [make_doc(9, "Lương và tiền thưởng", title="Tiền lương tháng 13")]
        + [make_doc(i, "tiền lương", kind=Kind.COMMENT) for i in range(10, 13)]
    )
    queries = [
        dict(text="tien luong"), dict(text="tiền lương"), dict(text='"tien luong"'), dict(text="luong -vung"),
        dict(text="tien luong", sort=Sort.NEWEST), dict(text="tien luong", sort=Sort.SUPPORTS),
        dict(text="tien luong", forum_id=2), dict(text="tien luong", kind="comment"),
        dict(text="tien luong", page=2, per_page=4), dict(text="tien luong", page=3, per_page=4, sort=Sort.NEWEST),
    ]
    results = {}
    for shape, estimate in PLAN_SHAPES.items():
        monkeypatch.setattr(PostgresBackend, "_match_share", lambda self, connection, compiled: estimate)
        fresh = PostgresBackend(backend.engine)  # no cached totals
        results[shape] = [(page.total, keys(page)) for page in (search(fresh, **q) for q in queries)]
    reference = results.pop("one pass through GIN")
    for shape, found in results.items():
        if cap > 3:
            assert found == reference, shape
        else:  # beyond the cap, relevance ranks candidates: the same documents, maybe another order
            assert [(total, sorted(k)) for total, k in found] == [(total, sorted(k)) for total, k in reference], shape
    assert reference[0][0] == (min(cap, 12))
    if cap > 3:
        assert reference[0][1][0] == "proposal:9"  # the title match first
        assert reference[4][1][:2] == ["comment:12", "comment:11"]
