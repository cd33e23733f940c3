"""Writing a new index for rebuild(): the bulk segment writer and the multiprocess build.

``BulkSegmentWriter`` writes standard Whoosh segments several times faster than the stock
writer; ``build_index`` feeds it in this process or in forked indexing processes (one
segment each, ``_bulk_worker`` is their module-level entry point) and commits the segments
together. Incremental updates do not come here: they use Whoosh's own writer.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import sys
import traceback
from array import array
from collections import defaultdict, deque
from functools import partial
from itertools import chain, repeat
from operator import sub
from pathlib import Path

from whoosh import fields as wfields
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence, Positions
from whoosh.system import pack_uint, pack_ushort
from whoosh.writing import SegmentWriter

from forum.search.analysis import index_terms
from forum.search.backend import SearchDocument
from forum.search.whoosh.schema import build_schema, document_fields, open_index

TEXT_FIELDS = ("bigrams", "text", "text_exact")
# The standard W3 format, with larger blocks (fewer to decode: we always read whole posting
# lists) and faster compression. Posting lists of up to INLINE_LIMIT documents go inline
# into the term table: no block to write or read for the long tail of rare terms and pairs.
BULK_CODEC = W3Codec(blocklimit=1024, compression=1, inlinelimit=1)
INLINE_LIMIT = 16  # posting lists this short go into the term table: no block to write or seek
BULK_CHUNK = 500  # documents per job sent to an indexing process


class _TrackedFile:
    """A file being written that knows its position without asking the kernel.

    ``BufferedWriter.tell()`` is an lseek() system call, and Whoosh's writers call it
    for every term: hundreds of thousands of calls in a rebuild.
    """

    def __init__(self, raw):
        self._raw = raw
        self._position = raw.tell()

    def write(self, data):
        written = self._raw.write(data)
        self._position += memoryview(data).nbytes
        return written

    def tell(self):
        return self._position

    def seek(self, *args):
        self._position = self._raw.seek(*args)
        return self._position

    def flush(self):
        self._raw.flush()

    def close(self):
        self._raw.close()

    def fileno(self):
        return self._raw.fileno()


class BulkSegmentWriter(SegmentWriter):
    """Writes one ordinary Whoosh segment from SearchDocuments, several times faster.

    Used only by rebuild(). The stock writer pushes every posting through a sorting
    pool and a per-posting writer call, and tokenizes the text once per field; this
    one tokenizes once for the three text fields (``analysis.index_terms``: the same
    terms and weights the analyzers give), keeps each term's postings in lists, and
    writes them block by block. What lands on disk is a standard segment (checked
    against the stock writer in the tests), read and merged by stock Whoosh.
    """

    def __init__(self, ix, **kwargs):
        kwargs.setdefault("codec", BULK_CODEC)
        super().__init__(ix, **kwargs)
        schema = self.schema
        self._analyzers = {name: schema[name].analyzer for name in TEXT_FIELDS}
        self._field_order = sorted(schema.names())
        # Per indexed field: {term: docnums}, {term: weights}, {term: values}, as compact
        # arrays (a few bytes per posting); values are frequencies for Frequency fields,
        # encoded positions for positional ones, nothing for Existence ones. Terms are str
        # for the text fields (encoded when written), bytes for the others.
        self._bulk: dict[str, tuple[defaultdict, defaultdict, defaultdict]] = {
            name: (defaultdict(partial(array, "I")), defaultdict(partial(array, "f")),
                   defaultdict(list) if schema[name].format.fixed_value_size() is None
                   else defaultdict(partial(array, "I")))
            for name in self._field_order if schema[name].indexed
        }
        self._plan = []
        for name in self._field_order:
            field = schema[name]
            if name in TEXT_FIELDS:
                role = "text"
            elif isinstance(field, wfields.NUMERIC):
                role = "numeric"
                assert not field.shift_step, "one term per value"
            elif isinstance(field, wfields.ID):
                role = "id"
                assert isinstance(field.format, Existence) and not getattr(field.analyzer, "lowercase", False)
            else:
                role = "stored"
                assert not field.indexed
            self._plan.append((name, field, role))

    def add_search_document(self, doc: SearchDocument) -> None:
        values = document_fields(doc)
        docnum = self.docnum
        perdoc = self.perdocwriter
        bulk = self._bulk
        analysed = index_terms(values["text"], self._analyzers)
        perdoc.start_doc(docnum)
        try:
            for name, field, role in self._plan:
                value = values[name]
                if role == "text":
                    length, frequencies, weights, positions = analysed[name]
                    ids, weight_arrays, value_lists = bulk[name]
                    # For every term: ids[term].append(docnum) etc., looped in C.
                    deque(map(array.append, map(ids.__getitem__, frequencies), repeat(docnum)), maxlen=0)
                    deque(map(array.append, map(weight_arrays.__getitem__, frequencies),
                              map(weights.__getitem__, frequencies)), maxlen=0)
                    if positions is not None:
                        encoded = map(_encode_positions, map(positions.__getitem__, frequencies))
                        deque(map(list.append, map(value_lists.__getitem__, frequencies), encoded), maxlen=0)
                    else:
                        deque(map(array.append, map(value_lists.__getitem__, frequencies),
                                  frequencies.values()), maxlen=0)
                    if length and field.scorable:
                        perdoc.add_field(name, field, None, length)
                    continue
                if role == "id":
                    term = value.encode("utf-8")
                elif role == "numeric":
                    term = field.to_bytes(value)
                if role != "stored":
                    ids, weight_arrays, _values = bulk[name]
                    ids[term].append(docnum)
                    weight_arrays[term].append(1.0)
                if field.stored:
                    perdoc.add_field(name, field, value, 0)
                if field.column_type is not None:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except BaseException:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        self.perdocwriter.close()
        writer = self.fieldwriter
        writer._postfile.file = _TrackedFile(writer._postfile.file)
        writer._tindex.dbfile.file = _TrackedFile(writer._tindex.dbfile.file)
        blocklimit = BULK_CODEC._blocklimit
        for name in self._field_order:
            if name not in self._bulk or not self._bulk[name][0]:
                continue
            all_ids, all_weights, all_values = self._bulk[name]
            field = self.schema[name]
            value_size = field.format.fixed_value_size()  # 0: none, None: variable (positions), 4: frequency
            writer.start_field(name, field)
            postings = writer._postwriter

            def mini_ids(postings=postings):  # delta-encode in C instead of a generator
                ids = postings._ids
                return tuple(map(sub, ids, chain((0,), ids)))

            postings._mini_ids = mini_ids
            for term in sorted(all_ids):  # str sorts like its UTF-8 bytes
                ids, weights = all_ids[term], all_weights[term]
                btext = term.encode("utf-8") if isinstance(term, str) else term
                writer.start_term(btext)
                count = len(ids)
                if count <= INLINE_LIMIT:
                    # Inline the postings into the term table (what W3's inlinelimit means to do;
                    # its own code path calls a misspelled method, so it is never used).
                    if value_size is None:
                        values = tuple(all_values[term])
                    elif value_size:
                        values = tuple(map(pack_uint, all_values[term]))
                    else:
                        values = (None,) * count
                    postings._ids = ids
                    postings._weights = weights
                    postings._maxweight = max(weights)
                    postings._minlength = None
                    postings._maxlength = 0
                    terminfo = postings._terminfo
                    terminfo.add_block(postings)
                    terminfo.set_inlined(ids, weights, values)
                    postings._terminfo = None
                    writer._tindex.add(pack_ushort(writer._fieldid) + btext, terminfo.to_bytes())
                    continue
                for start in range(0, count, blocklimit):
                    end = min(count, start + blocklimit)
                    postings._ids = ids[start:end]
                    postings._weights = weights[start:end]
                    if value_size is None:
                        postings._values = all_values[term][start:end]
                    elif value_size:
                        frequencies = all_values[term][start:end]
                        if sys.byteorder == "little":
                            frequencies.byteswap()  # pack_uint is big-endian
                        postings._values = [frequencies.tobytes()]
                    else:
                        postings._values = []
                    postings._maxweight = max(postings._weights)
                    postings._minlength = None
                    postings._maxlength = 0
                    if end < count:
                        postings._write_block()
                writer.finish_term()
            writer.finish_field()
            for table in self._bulk[name]:
                table.clear()
        writer.close()


_POSITIONS = Positions()
_SINGLE_POSITIONS: dict[int, bytes] = {}


def _encode_positions(positions: tuple) -> bytes:
    """Positions.encode, with the (most common) one-position values memoized."""
    if len(positions) == 1:
        value = _SINGLE_POSITIONS.get(positions[0])
        if value is None:
            value = _SINGLE_POSITIONS[positions[0]] = _POSITIONS.encode(positions)
        return value
    return _POSITIONS.encode(positions)


def _bulk_worker(path: str, jobs, results, parent_pid: int) -> None:
    """An indexing process of rebuild(): one segment from the documents it takes from ``jobs``."""
    try:
        gc.disable()  # millions of small lists: the cyclic collector would rescan them all, again and again
        ix = open_index(path)
        writer = BulkSegmentWriter(ix, _lk=False)
        while True:
            try:
                chunk = jobs.get(timeout=5)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the rebuild process died
                    os._exit(1)
                continue
            if chunk is None:
                break
            for doc in chunk:
                writer.add_search_document(doc)
        if writer._added:
            segment = writer._finalize_segment()
        else:
            writer._close_segment()
            segment = None
        results.put(("ok", segment))
    except BaseException:
        results.put(("error", traceback.format_exc()))


def build_index(path: Path, documents, total: int, progress, *, procs: int, limitmb: int) -> tuple[int, int, int]:
    """Write ``documents`` into a new index in ``path``: (documents, duplicates skipped, processes)."""
    ix = FileStorage(str(path), supports_mmap=False).create_index(build_schema())
    procs = procs if total >= 2_000 else 1
    count = duplicates = 0
    seen: set[str] = set()

    def unique(documents):
        nonlocal count, duplicates
        for doc in documents:
            if doc.key in seen:
                duplicates += 1
                continue
            seen.add(doc.key)
            count += 1
            yield doc
            if progress is not None and count % BULK_CHUNK == 0:
                progress(count)

    if procs <= 1:
        writer = BulkSegmentWriter(ix, limitmb=limitmb)
        collecting = gc.isenabled()
        gc.disable()
        try:
            for doc in unique(documents):
                writer.add_search_document(doc)
            writer.commit(merge=False)
        except BaseException:
            writer.cancel()
            raise
        finally:
            if collecting:
                gc.enable()
    else:
        _build_in_processes(ix, path, unique(documents), procs)
    if progress is not None:
        progress(count)
    return count, duplicates, procs


def _build_in_processes(ix, path: Path, documents, procs: int) -> None:
    """Index ``documents`` with ``procs`` processes, one segment each, then commit them together."""
    parent = ix.writer()  # the new index's lock, and its TOC writer
    context = multiprocessing.get_context("fork")
    jobs = context.Queue(maxsize=procs * 4)
    results = context.Queue()
    workers = [context.Process(target=_bulk_worker, args=(str(path), jobs, results, os.getpid()), daemon=True)
               for _ in range(procs)]
    for worker in workers:
        worker.start()

    def failure() -> RuntimeError:
        try:
            status, payload = results.get(timeout=1)
            if status != "ok":
                return RuntimeError(f"an indexing process failed:\n{payload}")
        except queue.Empty:
            pass
        return RuntimeError("an indexing process died during the rebuild")

    def put(item):
        while True:
            try:
                jobs.put(item, timeout=1)
                return
            except queue.Full:
                if not all(w.is_alive() for w in workers):
                    raise failure() from None

    try:
        chunk: list[SearchDocument] = []
        for doc in documents:
            chunk.append(doc)
            if len(chunk) >= BULK_CHUNK:
                put(chunk)
                chunk = []
        if chunk:
            put(chunk)
        for _ in workers:
            put(None)
        segments = []
        for _ in workers:
            while True:
                try:
                    status, payload = results.get(timeout=1)
                    break
                except queue.Empty:
                    if not any(w.is_alive() for w in workers) and results.empty():
                        raise RuntimeError("an indexing process died during the rebuild") from None
            if status != "ok":
                raise RuntimeError(f"an indexing process failed:\n{payload}")
            if payload is not None:
                segments.append(payload)
        for worker in workers:
            worker.join()
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
            worker.join()
        # Nobody will read what is still buffered: without this, the queue's feeder
        # thread blocks on the full pipe and the process hangs when it exits.
        jobs.cancel_join_thread()
        results.cancel_join_thread()
        parent.cancel()
        raise
    finally:
        jobs.close()
        results.close()
    parent._close_segment()
    parent._commit_toc(segments)
    parent._finish()
