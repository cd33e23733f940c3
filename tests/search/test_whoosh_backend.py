"""Whoosh-specific behaviour: index layout, atomic rebuilds, locks, the bulk writer.

The engine-independent behaviour is in test_contract.py.
"""
import dataclasses
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec

from forum.search.analysis import FIELD_SEPARATOR
from forum.search.backend import MARK_END, MARK_START, Kind, SearchDocument, SearchQuery, Sort, Visibility
from forum.search.whoosh import backend as wb
from forum.search.whoosh import writing as whoosh_writing
from forum.search.whoosh.backend import IndexBusyError, WhooshBackend
from forum.search.whoosh.reading import read_postings
from forum.search.whoosh.schema import document_fields
from forum.search.whoosh.snippets import SNIPPET_CHARS

ROOT = Path(__file__).resolve().parents[2]
BASE_TIME = datetime(2023, 11, 20, 8, 0, tzinfo=UTC)
PUBLIC = frozenset({Visibility.PUBLIC})
FORK = multiprocessing.get_context("fork")


def doc(entity_id, body, *, kind=Kind.PROPOSAL, title=None, forum_id=1, visibility=Visibility.PUBLIC,
        support_count=0, created_at=None, theme_id=None):
    return SearchDocument(
        kind=kind, entity_id=entity_id, proposal_id=entity_id if kind == Kind.PROPOSAL else 1,
        forum_id=forum_id, theme_id=theme_id, author_id=7, status="published", visibility=visibility,
        created_at=created_at or BASE_TIME + timedelta(minutes=entity_id),
        support_count=support_count if kind == Kind.PROPOSAL else 0,
        title=(title if title is not None else f"Hiến kế {entity_id}") if kind == Kind.PROPOSAL else "",
        body=body,
    )


def keys(backend, text, **fields):
    fields.setdefault("per_page", 100)
    return [hit.key for hit in backend.search(SearchQuery(text=text, **fields)).hits]


def generations(index_dir):
    return sorted(p.name for p in Path(index_dir).iterdir() if p.name.startswith(wb.GENERATION_PREFIX))


def run_in_child(target, *args):
    """Run ``target(*args)`` in a forked process; return its exit code."""
    process = FORK.Process(target=target, args=args)
    process.start()
    process.join(60)
    return process.exitcode


@pytest.fixture
def backend(tmp_path):
    return WhooshBackend(tmp_path / "index")


# Queries ----------------------------------------------------------------------------------


def test_ten_kilobyte_query_searches_normally(backend):
    backend.index_documents([doc(1, "công đoàn cơ sở"), doc(2, "đoàn viên")])
    page = backend.search(SearchQuery(text="công đoàn " * 1024))
    assert [hit.key for hit in page.hits] == ["proposal:1"] and page.total == 1


def test_wildcards_fuzzy_and_fields_match_only_literal_text(backend):
    backend.index_documents([
        doc(1, "Công đoàn cơ sở"),
        doc(2, "Nội dung ẩn", visibility=Visibility.STAFF),
        doc(3, "chữ c rồi dấu sao"),
        doc(4, "doan 2 lần"),
    ])
    assert keys(backend, "*") == [] and keys(backend, "?") == []
    assert keys(backend, "c*") == ["proposal:3"]  # the literal syllable "c", not a prefix
    assert keys(backend, "doan~2") == ["proposal:4"]  # the syllables "doan 2", not a fuzzy match
    assert keys(backend, "visibility:staff") == []
    assert keys(backend, "an") == []


# Index layout, reopening, atomic swap -------------------------------------------------------


def test_layout_is_a_current_symlink_to_one_generation(backend):
    assert backend.search(SearchQuery(text="cong doan")).total == 0  # no index yet: empty, not an error
    assert backend.indexed_fingerprints() == {}
    backend.index_documents([doc(1, "công đoàn")])
    link = backend.index_dir / wb.CURRENT_LINK
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert generations(backend.index_dir) == [os.readlink(link)]


@pytest.mark.slow
def test_index_survives_reopening_in_a_new_process(backend):
    backend.index_documents([doc(1, "Nhà trọ công nhân khu công nghiệp")])
    script = (
        "import sys; from forum.search.whoosh.backend import WhooshBackend;"
        "from forum.search.backend import SearchQuery;"
        "page = WhooshBackend(sys.argv[1]).search(SearchQuery(text='nha tro'));"
        "print([h.key for h in page.hits])"
    )
    out = subprocess.run([sys.executable, "-c", script, str(backend.index_dir)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "['proposal:1']"


def _rebuild_in_child(index_dir, bodies):
    WhooshBackend(index_dir).rebuild(iter([doc(i, body) for i, body in enumerate(bodies, 1)]), total=len(bodies))


def test_rebuild_swaps_atomically_while_a_searcher_is_open(backend):
    backend.index_documents([doc(i, f"tiền lương cũ {i}") for i in range(1, 30)])
    assert backend.search(SearchQuery(text="tien luong cu")).total == 29
    old_generation = os.readlink(backend.index_dir / wb.CURRENT_LINK)
    old_view = backend._state.view  # what a request in flight holds

    assert run_in_child(_rebuild_in_child, str(backend.index_dir), ["bảo hiểm xã hội mới"] * 5) == 0

    new_generation = os.readlink(backend.index_dir / wb.CURRENT_LINK)
    assert new_generation != old_generation
    assert generations(backend.index_dir) == [new_generation]  # the old directory is gone...
    # ...but the searcher opened before the swap still reads it, terms never read before included.
    (leaf,) = old_view.leaves
    assert len(read_postings(leaf.reader, "text", "17", leaf.docnums)) == 1  # a term nobody searched yet
    assert len(leaf.postings("text", "cu")) == 29
    assert old_view.searcher.stored_fields(0)["key"].startswith("proposal:")
    # The next search sees the new index.
    assert backend.search(SearchQuery(text="tien luong")).total == 0
    assert backend.search(SearchQuery(text="bao hiem xa hoi")).total == 5


@pytest.mark.slow
@pytest.mark.parametrize("total", [2, 10_000])  # one process, several processes
def test_failed_rebuild_keeps_the_current_index(backend, monkeypatch, total):
    monkeypatch.setattr(whoosh_writing, "BULK_CHUNK", 2)
    backend.index_documents([doc(1, "đoàn viên")])
    current = os.readlink(backend.index_dir / wb.CURRENT_LINK)

    def broken():
        for i in range(2, 9):
            yield doc(i, "mới")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        backend.rebuild(broken(), total=total)
    assert os.readlink(backend.index_dir / wb.CURRENT_LINK) == current
    assert generations(backend.index_dir) == [current]
    assert keys(backend, "doan vien") == ["proposal:1"]


FAILING_REBUILD = """
import dataclasses, sys
from bench.corpus import generate
from forum.search.whoosh.backend import WhooshBackend
docs = generate(6000)
def documents():
    yield from docs
    if sys.argv[2] == "reader":
        raise RuntimeError("database went away")
    yield dataclasses.replace(docs[0], entity_id=10**6, created_at=None)  # breaks in an indexing process
try:
    WhooshBackend(sys.argv[1]).rebuild(documents(), total=len(docs))
except RuntimeError as error:
    print("failed:", str(error).splitlines()[0])
"""


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["reader", "worker"])
def test_a_failed_multiprocess_rebuild_lets_the_process_exit(tmp_path, failure):
    # Chunks still queued for killed indexing processes must not keep the process alive.
    out = subprocess.run([sys.executable, "-c", FAILING_REBUILD, str(tmp_path / "index"), failure], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    expected = "database went away" if failure == "reader" else "an indexing process failed"
    assert out.stdout.startswith(f"failed: {expected}")
    assert generations(tmp_path / "index") == []


def test_rebuild_removes_leftovers_of_interrupted_rebuilds(backend):
    backend.index_documents([doc(1, "đoàn viên")])
    stale = backend.index_dir / f"{wb.GENERATION_PREFIX}20200101T000000-dead00"
    stale.mkdir()
    (stale / "_MAIN_1.toc").write_bytes(b"half written")
    backend.rebuild(iter([doc(2, "công đoàn")]), total=1)
    assert not stale.exists() and len(generations(backend.index_dir)) == 1


def test_rebuild_recovers_an_index_whose_directory_vanished(backend):
    backend.index_documents([doc(1, "đoàn viên")])
    backend.close()
    shutil.rmtree(backend.index_dir / os.readlink(backend.index_dir / wb.CURRENT_LINK))
    stats = backend.rebuild(iter([doc(2, "công đoàn")]), total=1)
    assert stats.documents == 1 and stats.extra["procs"] == 1
    assert keys(backend, "cong doan") == ["proposal:2"]


# Writer locks ---------------------------------------------------------------------------------


def _hold_writer_lock(index_dir, seconds, ready):
    target = os.readlink(Path(index_dir) / wb.CURRENT_LINK)
    writer = windex.open_dir(str(Path(index_dir) / target)).writer()
    ready.set()
    time.sleep(seconds)
    writer.add_document(**document_fields(doc(99, "giữ khóa")))
    writer.commit()


@pytest.mark.slow
def test_a_busy_writer_lock_makes_the_caller_wait_not_fail(backend):
    backend.index_documents([doc(1, "đầu tiên")])
    ready = FORK.Event()
    holder = FORK.Process(target=_hold_writer_lock, args=(str(backend.index_dir), 1.0, ready))
    holder.start()
    assert ready.wait(30)
    backend.index_documents([doc(2, "thứ hai")])  # blocks until the other process commits, no IndexBusyError
    holder.join(30)
    assert holder.exitcode == 0
    assert set(backend.indexed_fingerprints()) == {"proposal:1", "proposal:2", "proposal:99"}


@pytest.mark.slow
def test_lock_held_beyond_the_timeout_raises_index_busy(tmp_path):
    backend = WhooshBackend(tmp_path / "index", writer_timeout=0.2)
    backend.index_documents([doc(1, "đầu tiên")])
    ready = FORK.Event()
    holder = FORK.Process(target=_hold_writer_lock, args=(str(backend.index_dir), 2.0, ready))
    holder.start()
    assert ready.wait(30)
    with pytest.raises(IndexBusyError):
        backend.index_documents([doc(2, "thứ hai")])
    holder.join(30)
    backend.index_documents([doc(2, "thứ hai")])  # the retry succeeds
    assert "proposal:2" in backend.indexed_fingerprints()


def _write_many(index_dir, first, count):
    backend = WhooshBackend(index_dir, writer_timeout=30)
    for i in range(first, first + count):
        backend.index_documents([doc(i, f"đoàn viên số {i}")])


@pytest.mark.slow
def test_two_processes_writing_at_once_lose_nothing(backend):
    backend.index_documents([doc(1000, "khởi tạo")])
    writers = [FORK.Process(target=_write_many, args=(str(backend.index_dir), first, 25)) for first in (1, 101)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
    assert [p.exitcode for p in writers] == [0, 0]
    assert backend.search(SearchQuery(text="doan vien so")).total == 50


def _slow_documents(count, delay):
    for i in range(1, count + 1):
        time.sleep(delay)
        yield doc(i, f"bản mới {i}")


def _slow_rebuild(index_dir):
    WhooshBackend(index_dir).rebuild(_slow_documents(10, 0.15), total=10)


@pytest.mark.slow
def test_updates_wait_for_a_rebuild_instead_of_landing_in_the_old_index(tmp_path):
    backend = WhooshBackend(tmp_path / "index", writer_timeout=0.3)
    backend.index_documents([doc(500, "bản cũ")])
    rebuild = FORK.Process(target=_slow_rebuild, args=(str(backend.index_dir),))
    rebuild.start()
    time.sleep(0.5)
    with pytest.raises(IndexBusyError):
        backend.index_documents([doc(501, "cập nhật trong lúc dựng lại")])
    rebuild.join(60)
    assert rebuild.exitcode == 0
    backend.index_documents([doc(501, "cập nhật trong lúc dựng lại")])  # the outbox retries: lands in the new index
    assert set(backend.indexed_fingerprints()) == {f"proposal:{i}" for i in range(1, 11)} | {"proposal:501"}


# The bulk writer --------------------------------------------------------------------------------


CORPUS = [
    doc(i, body, title=title, forum_id=1 + i % 3, visibility=Visibility.STAFF if i % 7 == 0 else Visibility.PUBLIC,
        support_count=i % 5, theme_id=None if i % 2 else 10 + i % 3)
    for i, (title, body) in enumerate([
        ("Chủ tịch công đoàn cơ sở", "Nâng cao chất lượng đội ngũ Chủ tịch Công đoàn cơ sở."),
        ("Đoàn viên", "Phát triển đoàn viên công đoàn trong doanh nghiệp FDI, ý kiến đoàn viên."),
        ("Tiền lương", "Tăng tiền lương tối thiểu vùng; tiền lương làm thêm giờ."),
        ("Nhà trọ", "Nhà trọ công nhân khu công nghiệp, nhà ở xã hội cho người lao động."),
        ("Bảo hiểm", "Đóng bảo hiểm xã hội đầy đủ, bảo hiểm y tế cho đoàn viên."),
        ("Đoán", "Không ai đoán trước được khó khăn; bản kiến nghị gửi ban chấp hành."),
    ] * 12, start=1)
]


def _postings_by_key(index_dir):
    """{(field, term): {document key: (weight, value)}} of a whole index, independent of docnums."""
    ix = windex.open_dir(str(Path(index_dir) / os.readlink(Path(index_dir) / wb.CURRENT_LINK)))
    result = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        doc_keys = {}
        for docnum in range(reader.doc_count_all()):
            if not reader.is_deleted(docnum):
                doc_keys[docnum] = reader.stored_fields(docnum)["key"]
        for fieldname, btext in reader.all_terms():
            if fieldname in ("key",):
                continue
            matcher = reader.postings(fieldname, btext)
            entry = {}
            while matcher.is_active():
                value = matcher.value()
                entry[doc_keys[matcher.id()]] = (round(matcher.weight(), 5), value or b"")
                matcher.next()
            result[(fieldname, btext)] = entry
        stored = {doc_keys[n]: reader.stored_fields(n) for n in doc_keys}
        columns = {name: {doc_keys[n]: reader.column_reader(name)[n] for n in doc_keys}
                   for name in ("created_at", "support_count")}
    return result, stored, columns


@pytest.mark.parametrize("procs, blocklimit, inline_limit", [(1, 1024, 16), (2, 1024, 16), (1, 8, 2)])
def test_bulk_rebuild_writes_what_the_stock_writer_writes(tmp_path, monkeypatch, procs, blocklimit, inline_limit):
    monkeypatch.setattr(whoosh_writing, "BULK_CHUNK", 10)
    monkeypatch.setattr(whoosh_writing, "BULK_CODEC", W3Codec(blocklimit=blocklimit, compression=1, inlinelimit=1))
    monkeypatch.setattr(whoosh_writing, "INLINE_LIMIT", inline_limit)
    stock = WhooshBackend(tmp_path / "stock")
    stock.index_documents(CORPUS)
    bulk = WhooshBackend(tmp_path / "bulk", procs=procs)
    stats = bulk.rebuild(iter(CORPUS), total=10_000)  # a large total selects the multiprocess path
    assert stats.documents == len(CORPUS)
    if procs == 2:
        # One segment per process that got documents: on a loaded machine one process may
        # take every chunk before the other starts (seen in CI), so one or two.
        assert 1 <= len(windex.open_dir(stats.extra["index_dir"])._segments()) <= 2
    assert _postings_by_key(bulk.index_dir) == _postings_by_key(stock.index_dir)
    for text in ("doan vien", "đoán", '"tien luong"', "bảo hiểm -y", "nha tro OR bao hiem"):
        for backend in (stock, bulk):
            backend.search(SearchQuery(text=text))  # warm
        expected = stock.search(SearchQuery(text=text, visibility=frozenset(Visibility)))
        actual = bulk.search(SearchQuery(text=text, visibility=frozenset(Visibility)))
        assert [(h.key, round(h.score, 4), h.body_snippet) for h in actual.hits] == \
               [(h.key, round(h.score, 4), h.body_snippet) for h in expected.hits]


def test_bulk_segments_merge_with_incremental_updates(backend):
    backend.rebuild(iter(CORPUS), total=len(CORPUS))
    for i in range(3):
        backend.index_documents([doc(900 + i, "cập nhật đoàn viên")])
    target = backend.index_dir / os.readlink(backend.index_dir / wb.CURRENT_LINK)
    writer = windex.open_dir(str(target)).writer()
    writer.commit(optimize=True)  # merge everything through Whoosh's own merge
    assert len(windex.open_dir(str(target))._segments()) == 1
    assert backend.search(SearchQuery(text="doan vien", visibility=frozenset(Visibility))).total == \
        sum(1 for d in CORPUS if "oàn viên" in d.body) + 3
    phrase = keys(backend, '"chu tich cong doan co so"', visibility=frozenset(Visibility))
    assert set(phrase) == {d.key for d in CORPUS if "Chủ tịch Công đoàn cơ sở" in d.body}


def test_deletions_are_seen_despite_cached_postings(backend):
    backend.rebuild(iter(CORPUS), total=len(CORPUS))
    before = backend.search(SearchQuery(text="tien luong", per_page=100)).total
    victim = keys(backend, "tien luong")[0]
    backend.remove_documents([victim])
    assert victim not in keys(backend, "tien luong")
    assert backend.search(SearchQuery(text="tien luong")).total == before - 1
    assert victim not in backend.indexed_fingerprints()


def test_sorting_uses_columns_and_keeps_visibility(backend):
    backend.index_documents(CORPUS)
    by_supports = backend.search(SearchQuery(text="doan vien", sort=Sort.SUPPORTS, per_page=100)).hits
    supports = {d.key: d.support_count for d in CORPUS}
    assert [supports[h.key] for h in by_supports] == sorted((supports[h.key] for h in by_supports), reverse=True)
    hidden = {d.key for d in CORPUS if d.visibility != Visibility.PUBLIC}
    assert not hidden & {h.key for h in by_supports}


def test_count_updates_gather_outside_the_index_then_commit_once(backend):
    documents = [doc(i, "tiền lương", support_count=i) for i in range(1, wb.NEWER_COUNTS_LIMIT + 2)]
    backend.index_documents(documents)
    backend.search(SearchQuery(text="tien luong"))
    generation = backend._state.ix.latest_generation()
    for document in documents[:wb.NEWER_COUNTS_LIMIT - 1]:
        backend.update_counts([dataclasses.replace(document, support_count=1000 - document.entity_id)])
    backend.search(SearchQuery(text="tien luong"))
    assert backend._state.ix.latest_generation() == generation  # no commit for counts yet
    top = keys(backend, "tien luong", sort=Sort.SUPPORTS)[:2]
    assert top == ["proposal:1", "proposal:2"]
    backend.update_counts([dataclasses.replace(documents[-1], support_count=5000)])  # the limit: one commit
    backend.search(SearchQuery(text="tien luong"))
    assert backend._state.ix.latest_generation() == generation + 1
    assert not (backend.index_dir / os.readlink(backend.index_dir / wb.CURRENT_LINK) / wb.NEWER_COUNTS).exists()
    assert keys(backend, "tien luong", sort=Sort.SUPPORTS)[:3] == [documents[-1].key, "proposal:1", "proposal:2"]


def test_a_repeated_search_is_answered_once_per_index_generation(backend, monkeypatch):
    backend.index_documents([doc(1, "đoàn viên công đoàn")])
    matched = []
    real = wb.match_documents
    monkeypatch.setattr(wb, "match_documents", lambda leaf, parsed: matched.append(1) or real(leaf, parsed))
    first = backend.search(SearchQuery(text="doan vien"))
    computed = len(matched)
    assert backend.search(SearchQuery(text="doan vien")) == first and len(matched) == computed
    assert backend.search(SearchQuery(text="doan vien", visibility=frozenset(Visibility))).total == 1
    assert len(matched) > computed  # another query (here: another visibility) is computed
    backend.index_documents([doc(2, "đoàn viên mới")])
    computed = len(matched)
    assert backend.search(SearchQuery(text="doan vien")).total == 2 and len(matched) > computed


def test_reserved_characters_in_documents_cannot_fake_marks_or_fields(backend):
    sneaky_title = f"Tiêu đề{FIELD_SEPARATOR}giả"
    body = f"đoàn viên {MARK_START}giả{MARK_END} x{FIELD_SEPARATOR}y"
    backend.index_documents([doc(1, body, title=sneaky_title)])
    hit = backend.search(SearchQuery(text="doan vien")).hits[0]
    assert str(hit.body_snippet) == "<mark>đoàn</mark> <mark>viên</mark>  giả  x y"
    assert str(hit.title_snippet) == "Tiêu đề giả"
    assert document_fields(doc(2, "a", title=sneaky_title))["title"] == "Tiêu đề giả"


def test_body_snippet_is_a_window_of_bounded_size(backend):
    body = "Mở đầu. " * 100 + "Chủ tịch công đoàn cơ sở phải lắng nghe đoàn viên. " + "Kết thúc. " * 100
    backend.index_documents([doc(1, body)])
    snippet = str(backend.search(SearchQuery(text="chu tich cong doan")).hits[0].body_snippet)
    plain = snippet.replace("<mark>", "").replace("</mark>", "")
    assert len(plain) <= SNIPPET_CHARS + 2
    assert plain.startswith("…") and plain.endswith("…")
    assert "<mark>Chủ</mark> <mark>tịch</mark> <mark>công</mark> <mark>đoàn</mark>" in snippet


# The benchmark ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_benchmark_prints_its_figures(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "search.py"), "--engine", "whoosh", "--docs", "300", "--queries", "1",
         "--index-dir", str(tmp_path / "bench-index")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )
    lines = out.stdout
    assert "bulk index: 300 docs" in lines and "docs/s" in lines
    for label in ("rare", "common-2-folded", "common-4", "quoted", "filtered", "or-exclude", "overall", "cold pass"):
        assert f"\n{label} " in lines
    assert "highlighted page (20 hits vs 1)" in lines
