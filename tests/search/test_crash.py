"""Killed processes never leave the index behind the database after the next drain.

Each test runs the real thing in a separate Python process on the same database and
index directory (SQLite + Whoosh always; PostgreSQL + Whoosh and PostgreSQL + its own
backend when TEST_DATABASE_URL is set), kills it with SIGKILL, then drains again in the
test process and checks that the index holds exactly the database's documents.

A drainer is stopped at a named point (``indexer.checkpoint_hook``, or inside the
backend's commit) so that the kill lands there deterministically: it writes a marker
file and sleeps, the test sees the marker and kills it.
"""
import http.client
import http.cookiejar
import json
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from forum import ROOT
from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Proposal
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.search.integration import (  # noqa: F401  (fixture)
    assert_in_step,
    backend_of,
    drain,
    drift,
    engine_app,
    make_world,
    outbox_rows,
    random_change,
)

pytestmark = pytest.mark.slow  # every test runs and kills a subprocess

CHILD = r'''
import json, sys, threading, time
from pathlib import Path

import sqlalchemy as sa

from config import TestingConfig
from forum import create_app
from forum.extensions import db
from forum.search import engines, indexer

args = json.loads(sys.argv[1])
app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=args["database_url"],
                 SEARCH_INDEX_DIR=args["index_dir"], SEARCH_BACKEND=args["engine"],
                 SEARCH_INLINE_DRAIN=True)
marker = Path(args["marker"])
point = args.get("point")


def pause(where):
    marker.write_text(where)
    time.sleep(120)


with app.app_context():
    backend = engines.get_backend()
    engine = db.engine

if point == "mid_backend_commit" and backend.name == "whoosh":
    from whoosh import writing  # after the segment files are written, before the new TOC

    original = writing.SegmentWriter._commit_toc

    def slow_commit_toc(self, segments):
        pause(point)
        original(self, segments)

    writing.SegmentWriter._commit_toc = slow_commit_toc
elif point == "mid_backend_commit":
    inside = {"backend": False}  # only the backend's COMMIT, not the drainer's own

    for name in ("index_documents", "remove_documents"):
        def wrapped(items, _original=getattr(backend, name)):
            inside["backend"] = True
            try:
                return _original(items)
            finally:
                inside["backend"] = False
        setattr(backend, name, wrapped)
    sa.event.listen(engine, "commit", lambda connection: pause(point) if inside["backend"] else None)
elif point:
    indexer.checkpoint_hook = lambda where: pause(where) if where == point else None
elif args.get("slow"):
    indexer.checkpoint_hook = lambda where: time.sleep(0.01) if where == "after_backend_commit" else None

if args["mode"] == "drain":
    marker.with_suffix(".ready").write_text("ready")
    with app.app_context():
        indexer.drain_outbox(engines.get_backend(), batch_size=args["batch_size"])
elif args["mode"] == "reindex":
    from forum.search import cli

    original_stream = cli.iter_all_documents

    def stream_then_stop():
        for n, document in enumerate(original_stream(chunk_size=5), 1):
            if n == args["stop_after"]:
                pause("mid_reindex")
            yield document

    cli.iter_all_documents = stream_then_stop
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    print(result.output, result.exception, flush=True)
elif args["mode"] == "serve":
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    marker.with_suffix(".port").write_text(str(server.server_port))
    server.serve_forever()
marker.write_text("finished")
'''


_children: list["Child"] = []


@pytest.fixture(autouse=True)
def _kill_leftover_children():
    yield
    while _children:
        _children.pop().kill()


class Child:
    """A Python process running ``CHILD`` on the app's database and index directory."""

    def __init__(self, app, tmp_path, **args):
        _children.append(self)
        self.marker = tmp_path / f"marker-{time.monotonic_ns()}"
        with app.app_context():
            url = db.engine.url.render_as_string(hide_password=False)
        args = {"database_url": url, "index_dir": app.config["SEARCH_INDEX_DIR"],
                "engine": app.config["SEARCH_BACKEND"], "marker": str(self.marker), "batch_size": 4, **args}
        self.log = self.marker.with_suffix(".log")
        with open(self.log, "wb") as log:  # a file, not a pipe: a chatty child never blocks on it
            self.process = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(args)], cwd=ROOT,
                                            stdout=log, stderr=subprocess.STDOUT)

    def wait_for(self, path, timeout=30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists() and path.read_text():
                return path.read_text()
            if self.process.poll() is not None:
                output = self.log.read_text(errors="replace")
                pytest.fail(f"the child exited with {self.process.returncode} before {path.name}:\n{output}")
            time.sleep(0.01)
        self.kill()
        pytest.fail(f"the child never wrote {path.name}")

    def wait_for_marker(self) -> str:
        return self.wait_for(self.marker)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def pending_changes(app, seed: int, count: int = 14):
    """A drained world, then ``count`` changes left in the outbox (the index is behind)."""
    world = make_world(app)
    drain(app)
    assert_in_step(app)
    rng = random.Random(seed)
    for _ in range(count):
        random_change(app, world, rng)
    return world


def behind(app) -> int:
    return sum(len(keys) for keys in drift(app).values())


@pytest.mark.parametrize("point", ["after_read", "before_backend", "mid_backend_commit",
                                   "after_backend_commit", "after_outbox_delete"])
def test_a_drainer_killed_at_any_point_loses_nothing(engine_app, tmp_path, point):
    app = engine_app
    pending_changes(app, seed=len(point))
    rows_before, drift_before = len(outbox_rows(app)), behind(app)
    assert rows_before and drift_before

    child = Child(app, tmp_path, mode="drain", point=point)
    assert child.wait_for_marker() == point
    child.kill()

    rows_after = len(outbox_rows(app))
    if point == "after_outbox_delete":
        assert rows_after < rows_before  # the first batch was done
    else:
        assert rows_after == rows_before  # nothing deleted before the backend committed
    if point == "after_backend_commit":
        assert behind(app) < drift_before  # the kill fell between the index commit and the delete

    drain(app, wait=15)  # PostgreSQL drops the dead session's advisory lock within moments
    assert_in_step(app)


def test_drainers_killed_at_random_moments_lose_nothing(engine_app, tmp_path):
    app = engine_app
    world = pending_changes(app, seed=7, count=30)
    rng = random.Random(1)
    for round_ in range(3):
        child = Child(app, tmp_path, mode="drain", slow=True, batch_size=2)
        child.wait_for(child.marker.with_suffix(".ready"))
        time.sleep(rng.uniform(0.0, 0.25))
        child.kill()
        for _ in range(6):
            random_change(app, world, rng)
    drain(app, wait=15)
    assert_in_step(app)


def test_a_reindex_killed_midway_keeps_the_old_index_and_the_outbox(engine_app, tmp_path):
    app = engine_app
    pending_changes(app, seed=3)
    rows_before = len(outbox_rows(app))
    child = Child(app, tmp_path, mode="reindex", stop_after=7)
    assert child.wait_for_marker() == "mid_reindex"
    child.kill()
    assert len(outbox_rows(app)) == rows_before  # a reindex never consumes the outbox
    drain(app, wait=15)
    assert_in_step(app)


# The web server, killed in the middle of writes ----------------------------------------------
class Browser:
    """A logged-in delegate talking to the server over HTTP."""

    def __init__(self, base_url: str, email: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.post("/login", email=email, password=DEFAULT_PASSWORD)

    def post(self, path: str, **fields) -> int:
        """The final status (a refusal such as 403 is an answer too, not an error)."""
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(self.base_url + path, data=data, timeout=10) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            error.read()
            error.close()
            return error.code


def test_a_web_server_killed_during_writes_loses_nothing(engine_app, tmp_path):
    app = engine_app
    world = make_world(app)
    drain(app)
    with app.app_context():
        emails = [make_user().email for _ in range(3)]
        forums = [(f.slug, f.themes[0].id) for f in db.session.scalars(sa.select(Forum).where(Forum.phase == "open"))]
        last_id = db.session.scalar(sa.select(sa.func.max(Proposal.id)))
        proposal_ids = list(db.session.scalars(  # in open forums: they take comments and supports
            sa.select(Proposal.id).join(Forum).where(Forum.phase == "open")))
    assert forums and proposal_ids and world

    child = Child(app, tmp_path, mode="serve", slow=True)
    base_url = f"http://127.0.0.1:{child.wait_for(child.marker.with_suffix('.port'))}"
    done, stop, lock = [0], threading.Event(), threading.Lock()

    def write(email, seed):
        rng = random.Random(seed)
        try:
            browser = Browser(base_url, email)
            while not stop.is_set():
                choice = rng.random()
                if choice < 0.4:
                    slug, theme_id = rng.choice(forums)
                    browser.post(f"/forums/{slug}/proposals/new", title=f"Hiến kế qua mạng {rng.randrange(10**6)}",
                                 body="Phát triển đoàn viên công đoàn cơ sở", theme_id=theme_id)
                elif choice < 0.8:
                    browser.post(f"/proposals/{rng.choice(proposal_ids)}/comments", body="Ý kiến qua mạng")
                else:
                    browser.post(f"/proposals/{rng.choice(proposal_ids)}/support")
                with lock:
                    done[0] += 1
        except (urllib.error.URLError, http.client.HTTPException, OSError):  # HTTPError is handled in post()
            pass  # the server was killed under us

    writers = [threading.Thread(target=write, args=(email, n)) for n, email in enumerate(emails)]
    for thread in writers:
        thread.start()
    def indexed_inline() -> list[str]:
        with app.app_context():
            return [key for key in backend_of(app).indexed_fingerprints()
                    if key.startswith("proposal:") and int(key[9:]) > last_id]

    # Kill only once the server has both served writes and drained some of them inline, so
    # that a slow machine delays the kill instead of failing the test.
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and (done[0] < 12 or not indexed_inline()):
        time.sleep(0.05)
    child.kill()  # mid-request and mid-inline-drain for some of them
    stop.set()
    for thread in writers:
        thread.join(timeout=15)
    assert done[0] >= 12, child.log.read_text(errors="replace")[-5000:]
    assert indexed_inline(), "the server drained nothing inline before it was killed"

    drain(app, wait=15)
    assert_in_step(app)
    with app.app_context():
        written = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)
                                    .where(Proposal.title.like("Hiến kế qua mạng%")))
    assert written > 0
