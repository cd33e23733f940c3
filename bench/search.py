"""Search benchmark: bulk indexing throughput and query latency on a realistic corpus.

    .venv/bin/python bench/search.py --engine whoosh --docs 100000
    .venv/bin/python bench/search.py --engine whoosh --docs 10000            # quick mode
    .venv/bin/python bench/search.py --engine postgres --docs 1000000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench

Builds the corpus (bench/corpus.py), bulk-indexes it with ``backend.rebuild`` (prints
docs/s), then runs a FIXED query mix ``--queries`` times (pass 1 is cold: nothing
decoded or cached yet) asking for page 1 of 20 highlighted hits, as the search page
does. Prints p50/p95 per query class and overall (wall clock; the CPU time of the
benchmark process next to it shows how much a busy machine added), the cold pass on its
own, the extra cost of a highlighted page (20 hits minus 1 hit), and what a support
toggle costs the index: the whole document written again (``index_documents``) against
the count alone (``update_counts``, what the indexer does for a support). Only the
SearchBackend interface is used, so both engines are measured the same way. For
PostgreSQL, CPU time is the client's only; compare wall clocks.
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import generate  # noqa: E402
from forum.search.backend import SearchQuery, Visibility  # noqa: E402

PUBLIC = frozenset({Visibility.PUBLIC})

# (class, query text, extra SearchQuery fields). Fixed: figures stay comparable between runs.
QUERY_MIX: list[tuple[str, str, dict]] = [
    ("rare", "Quảng Ngãi", {}),
    ("rare", "may mac", {}),
    ("rare", "máy lọc nước", {}),
    ("rare", "tin dung den", {}),
    ("common-2", "công đoàn", {}),
    ("common-2", "đoàn viên", {}),
    ("common-2", "tiền lương", {}),
    ("common-2", "công nhân", {}),
    ("common-2-folded", "cong doan", {}),
    ("common-2-folded", "doan vien", {}),
    ("common-2-folded", "tien luong", {}),
    ("common-2-folded", "cong nhan", {}),
    ("common-4", "chủ tịch công đoàn", {}),
    ("common-4", "bảo hiểm xã hội", {}),
    ("common-4", "người lao động", {}),
    ("common-4", "thương lượng tập thể", {}),
    ("common-4-folded", "chu tich cong doan", {}),
    ("common-4-folded", "bao hiem xa hoi", {}),
    ("common-4-folded", "cong doan co so", {}),
    ("common-4-folded", "nguoi lao dong", {}),
    ("quoted", '"chủ tịch công đoàn cơ sở"', {}),
    ("quoted", '"chu tich cong doan"', {}),
    ("quoted", '"nha tro cong nhan"', {}),
    ("quoted", '"bảo hiểm xã hội"', {}),
    ("filtered", "cong doan", {"forum_id": 3}),
    ("filtered", "tiền lương", {"kind": "proposal"}),
    ("filtered", "nguoi lao dong", {"kind": "comment", "forum_id": 7}),
    ("filtered", "doan vien nu", {"forum_id": 1}),
    ("or-exclude", "tăng ca OR làm thêm giờ", {}),
    ("or-exclude", "bao hiem -y", {}),
    ("or-exclude", 'nhà trọ -"khu công nghiệp"', {}),
    ("or-exclude", "đình công OR tranh chấp lao động", {}),
    ("sorted", "cong doan", {"sort": "newest"}),
    ("sorted", "tien luong", {"sort": "supports"}),
]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def make_backend(args, workdir: Path):
    if args.engine == "whoosh":
        from forum.search.whoosh.backend import WhooshBackend

        # No result page cache: every pass measures the engine, not a dictionary lookup.
        return WhooshBackend(args.index_dir or workdir / "index", page_cache_size=0)
    if not args.database_url:
        sys.exit("--database-url is required for --engine postgres")
    import sqlalchemy as sa

    from forum.search.models import SearchEntry
    from forum.search.postgres.backend import PostgresBackend  # lazily: needs psycopg and a server
    from forum.search.postgres.schema import ensure_schema

    url = sa.make_url(args.database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url)
    SearchEntry.__table__.create(engine, checkfirst=True)
    with engine.begin() as connection:
        ensure_schema(connection)
    return PostgresBackend(engine)


def timed_search(backend, text: str, fields: dict, per_page: int = 20):
    """(wall ms, CPU ms of this process, page). CPU time shows what waiting for a busy machine added."""
    query = SearchQuery(text=text, visibility=PUBLIC, per_page=per_page, **fields)
    started, cpu = time.perf_counter(), time.process_time()
    page = backend.search(query)
    return (time.perf_counter() - started) * 1000.0, (time.process_time() - cpu) * 1000.0, page


TOGGLES = 200  # support toggles timed per way of writing them


def timed_toggles(write, documents) -> list[float]:
    """Wall ms of writing each document back with one more support, one call per toggle."""
    costs = []
    for document in documents:
        changed = dataclasses.replace(document, support_count=document.support_count + 1)
        started = time.perf_counter()
        write([changed])
        costs.append((time.perf_counter() - started) * 1000.0)
    return costs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["whoosh", "postgres"], default="whoosh")
    parser.add_argument("--docs", type=int, default=10_000, help="corpus size (10000 = quick mode)")
    parser.add_argument("--queries", type=int, default=5, help="timed passes over the query mix (pass 1 is cold)")
    parser.add_argument("--database-url", help="PostgreSQL URL (engine postgres)")
    parser.add_argument("--index-dir", type=Path, help="Whoosh index directory (default: a temporary one)")
    parser.add_argument("--skip-index", action="store_true", help="reuse the index already in --index-dir")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        backend = make_backend(args, workdir)
        print(f"engine={args.engine} docs={args.docs} queries={len(QUERY_MIX)}×{args.queries}")
        toggled: list = []  # proposals whose support count the benchmark changes
        if not args.skip_index:
            started = time.perf_counter()
            documents = generate(args.docs, seed=args.seed)
            proposals = sum(1 for d in documents if d.kind == "proposal")
            print(f"corpus: {len(documents)} documents ({proposals} proposals) generated in "
                  f"{time.perf_counter() - started:.1f} s")
            stats = backend.rebuild(iter(documents), total=len(documents))
            toggled = [d for d in documents if d.kind == "proposal"][:2 * TOGGLES]
            del documents
            print(f"bulk index: {stats.documents} docs in {stats.seconds:.1f} s = "
                  f"{stats.documents / max(stats.seconds, 1e-9):.0f} docs/s")

        by_class: dict[str, list[float]] = defaultdict(list)
        cpu_by_class: dict[str, list[float]] = defaultdict(list)
        cold: list[float] = []
        cold_cpu: list[float] = []
        hits: dict[str, list[int]] = defaultdict(list)
        for run in range(args.queries):
            for cls, text, fields in QUERY_MIX:
                ms, cpu, page = timed_search(backend, text, fields)
                by_class[cls].append(ms)
                cpu_by_class[cls].append(cpu)
                if run == 0:
                    cold.append(ms)
                    cold_cpu.append(cpu)
                    hits[cls].append(page.total)

        print(f"{'query class':<17} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'median hits':>12}"
              f" {'cpu p50':>8} {'cpu p95':>8}")
        everything, everything_cpu = [], []
        for cls, values in by_class.items():
            cpu = cpu_by_class[cls]
            everything += values
            everything_cpu += cpu
            print(f"{cls:<17} {len(values):>4} {percentile(values, .5):>8.1f} {percentile(values, .95):>8.1f} "
                  f"{max(values):>8.1f} {statistics.median(hits[cls]):>12.0f} {percentile(cpu, .5):>8.1f} "
                  f"{percentile(cpu, .95):>8.1f}")
        print(f"{'overall':<17} {len(everything):>4} {percentile(everything, .5):>8.1f} "
              f"{percentile(everything, .95):>8.1f} {max(everything):>8.1f} {'':>12} "
              f"{percentile(everything_cpu, .5):>8.1f} {percentile(everything_cpu, .95):>8.1f}")
        print(f"{'cold pass':<17} {len(cold):>4} {percentile(cold, .5):>8.1f} {percentile(cold, .95):>8.1f} "
              f"{max(cold):>8.1f} {'':>12} {percentile(cold_cpu, .5):>8.1f} {percentile(cold_cpu, .95):>8.1f}")

        extra = []
        for _cls, text, fields in QUERY_MIX:
            page20 = min(timed_search(backend, text, fields, per_page=20)[0] for _ in range(3))
            page1 = min(timed_search(backend, text, fields, per_page=1)[0] for _ in range(3))
            extra.append(max(0.0, page20 - page1))
        print(f"highlighted page (20 hits vs 1): extra p50 {percentile(extra, .5):.1f} ms, "
              f"p95 {percentile(extra, .95):.1f} ms")
        if toggled:
            half = len(toggled) // 2
            for label, write, documents in (("whole document", backend.index_documents, toggled[:half]),
                                            ("count only", backend.update_counts, toggled[half:])):
                costs = timed_toggles(write, documents)
                print(f"support toggle, {label}: n={len(costs)} mean {statistics.mean(costs):.1f} ms, "
                      f"p50 {percentile(costs, .5):.1f} ms, p99 {percentile(costs, .99):.1f} ms")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
