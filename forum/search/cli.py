"""``flask search ...``: keep the search index in step with the database.

- ``sync``: apply every pending change now (after an import, or where no worker runs).
- ``worker``: apply changes as they come, until stopped (production).
- ``reindex``: rebuild the whole index from the database and swap it in atomically.
- ``verify``: compare the index with the database; ``--repair`` fixes the difference.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
import time

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.search import indexer
from forum.search.documents import build_documents, count_documents, iter_all_documents
from forum.search.engines import get_backend

logger = logging.getLogger(__name__)

search_cli = AppGroup(
    "search", help="Tìm kiếm: cập nhật chỉ mục (sync, worker), dựng lại (reindex), đối chiếu (verify)."
)
SHOWN_KEYS = 20  # keys listed per kind of difference; the counts are always complete


@search_cli.command("sync")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--wait", default=60.0, show_default=True, type=click.FloatRange(0),
              help="Số giây chờ nếu tiến trình khác đang cập nhật chỉ mục.")
def sync_command(batch_size: int, wait: float):
    """Cập nhật ngay mọi thay đổi đang chờ vào chỉ mục tìm kiếm."""
    backend = get_backend()
    count = indexer.drain_outbox(backend, batch_size=batch_size, wait=wait)
    remaining = indexer.outbox_size()
    click.echo(_("Đã cập nhật chỉ mục tìm kiếm: %(count)s thay đổi.", count=count))
    if remaining:
        click.echo(_("Còn %(count)s thay đổi đang chờ: một tiến trình khác đang cập nhật chỉ mục.",
                     count=remaining))


@search_cli.command("worker")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--poll", "poll_seconds", default=None, type=click.FloatRange(0.01),
              help="Số giây giữa hai lần kiểm tra (mặc định SEARCH_WORKER_POLL_SECONDS).")
def worker_command(batch_size: int, poll_seconds: float | None):
    """Chạy liên tục: cập nhật chỉ mục khi có thay đổi (dừng bằng Ctrl+C hoặc SIGTERM)."""
    backend = get_backend()
    poll = poll_seconds or current_app.config.get("SEARCH_WORKER_POLL_SECONDS", 1.0)
    stop = threading.Event()

    def request_stop(signum, _frame):
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(_("Tiến trình cập nhật chỉ mục đã chạy (%(backend)s, %(poll)s giây/lần).",
                 backend=backend.name, poll=poll))
    failures = 0
    try:
        while not stop.is_set():
            try:
                count = indexer.drain_outbox(backend, batch_size=batch_size)
            except Exception:
                failures += 1
                logger.exception("search worker: drain failed; retrying")
                stop.wait(min(60.0, poll * 2 ** min(failures, 6)))  # back off while it keeps failing
                continue
            failures = 0
            if count:
                click.echo(_("Đã cập nhật chỉ mục tìm kiếm: %(count)s thay đổi.", count=count))
            stop.wait(poll)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(_("Tiến trình cập nhật chỉ mục đã dừng."))


@search_cli.command("reindex")
@click.option("--wait", default=60.0, show_default=True, type=click.FloatRange(0),
              help="Số giây chờ nếu tiến trình khác đang cập nhật chỉ mục.")
def reindex_command(wait: float):
    """Dựng lại toàn bộ chỉ mục từ cơ sở dữ liệu rồi thay thế chỉ mục cũ một lần."""
    backend = get_backend()
    total = count_documents()
    started = time.monotonic()
    # The drain lock keeps drains from writing into the index being replaced; the
    # outbox is kept, and the drain that follows the release applies what changed
    # while the new index was being built (re-applying older rows is harmless).
    try:
        with indexer.drain_lock_held(backend, wait=wait):
            with click.progressbar(length=total, label=_("Đang dựng chỉ mục"), file=sys.stderr,
                                   show_pos=True) as bar:
                done = 0

                def progress(n_done: int) -> None:
                    nonlocal done
                    bar.update(n_done - done)
                    done = n_done

                stats = backend.rebuild(iter_all_documents(), total=total, progress=progress)
    except indexer.DrainBusy:
        raise click.ClickException(_("Một tiến trình khác đang cập nhật chỉ mục; vui lòng thử lại sau.")) from None
    seconds = time.monotonic() - started
    click.echo(_("Đã dựng lại chỉ mục: %(count)s tài liệu trong %(seconds)s giây.",
                 count=stats.documents, seconds=f"{seconds:.1f}"))


def _differences(backend) -> tuple[list[str], list[str], list[str], int]:
    """(missing, stale, extra, pending) between the index and the database.

    Keys with outbox rows still waiting are not counted as drift: the next drain fixes
    them. The index is read first and the outbox last, under the drain lock: a key
    changed after the index was read then always has a pending row.
    """
    indexed = backend.indexed_fingerprints()
    expected = {document.key: document.fingerprint for document in iter_all_documents()}
    pending = indexer.pending_keys()
    missing = sorted(k for k in expected.keys() - indexed.keys() if k not in pending)
    extra = sorted(k for k in indexed.keys() - expected.keys() if k not in pending)
    stale = sorted(k for k in expected.keys() & indexed.keys() if expected[k] != indexed[k] and k not in pending)
    return missing, stale, extra, len(pending)


def _echo_keys(label: str, keys: list[str]) -> None:
    if not keys:
        return
    click.echo(f"{label} ({len(keys)}):")
    for key in keys[:SHOWN_KEYS]:
        click.echo(f"  {key}")
    if len(keys) > SHOWN_KEYS:
        click.echo("  …")


@search_cli.command("verify")
@click.option("--repair", is_flag=True, help="Cập nhật lại các tài liệu bị lệch.")
@click.option("--wait", default=60.0, show_default=True, type=click.FloatRange(0),
              help="Số giây chờ nếu tiến trình khác đang cập nhật chỉ mục.")
def verify_command(repair: bool, wait: float):
    """Đối chiếu chỉ mục với cơ sở dữ liệu: tài liệu thiếu, cũ hoặc thừa (mã thoát 1 nếu lệch)."""
    backend = get_backend()
    try:
        with indexer.drain_lock_held(backend, wait=wait):
            missing, stale, extra, pending = _differences(backend)
            if repair and (missing or stale or extra):
                documents = build_documents(missing + stale)
                if documents:
                    backend.index_documents(list(documents.values()))
                gone = extra + sorted(set(missing + stale) - documents.keys())
                if gone:
                    backend.remove_documents(gone)
    except indexer.DrainBusy:
        raise click.ClickException(_("Một tiến trình khác đang cập nhật chỉ mục; vui lòng thử lại sau.")) from None
    _echo_keys(_("Thiếu trong chỉ mục"), missing)
    _echo_keys(_("Chỉ mục chứa nội dung cũ"), stale)
    _echo_keys(_("Thừa trong chỉ mục"), extra)
    if pending:
        click.echo(_("%(count)s tài liệu đang chờ cập nhật (flask search sync).", count=pending))
    if not (missing or stale or extra):
        click.echo(_("Chỉ mục khớp với cơ sở dữ liệu."))
        return
    if repair:
        click.echo(_("Đã sửa %(count)s tài liệu.", count=len(missing) + len(stale) + len(extra)))
        return
    click.echo(_("Chỉ mục lệch với cơ sở dữ liệu: chạy «flask search verify --repair» hoặc «flask search reindex»."))
    sys.exit(1)
