"""The storm: logged-in delegates (one thread and one ``requests.Session`` each, each its
own account) toggling supports and browsing, every request logged.

Each delegate paces itself below the app's rate limits (60 supports and 60 searches a
minute per user), so legitimate traffic is never answered 429: at most one support or
withdrawal every ``WRITE_INTERVAL`` seconds and one search every ``SEARCH_INTERVAL``;
between those it browses (home, the forum page, a proposal page) with a short think
time, and every ``LOGIN_INTERVAL`` seconds it logs in again in a second session (a
login is a write too). A delegate told 503 with ``Retry-After`` on a write waits that
long before its next write, as the support button asks a person to (reads go on).

One delegate at a time has one request in flight, so its supports and withdrawals of a
proposal reach the server in the order it sent them: the check afterwards
(``tests/faults/checks.py``) replays them per (delegate, proposal).
"""
from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from tests.faults.services import HOST

WRITE_INTERVAL = 1.3
SEARCH_INTERVAL = 1.5
LOGIN_INTERVAL = 6.0
THINK = (0.05, 0.25)
TIMEOUT = (5.0, 90.0)  # connect, read: a frozen site shows as a long wait, not a hang
SEARCH_QUERIES = ["công đoàn", "người lao động", "đoàn viên", "tiền lương", "chuyển đổi số"]
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
WRITES = ("support", "unsupport")


@dataclass
class Record:
    who: int  # user id
    action: str  # home, forum, proposal, search, login-form, login, token, support, unsupport
    method: str
    path: str
    start: float  # seconds since the log's t0
    end: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    content_type: str = ""
    error: str | None = None  # connection error or timeout: no answer
    proposal_id: int | None = None
    acked: bool = False  # a write answered 2xx with the JSON the support button reads
    supported: bool | None = None  # what that answer says
    body: str = ""  # the start of the answer, kept for 5xx and unexpected answers
    csrf: str | None = None  # the form token on a page read for it

    @property
    def latency(self) -> float:
        return self.end - self.start

    @property
    def is_write(self) -> bool:
        return self.action in WRITES

    def describe(self) -> str:
        answer = self.error or f"{self.status}"
        return (f"{self.method} {self.path} by user {self.who} at {self.start:.2f}s: {answer} "
                f"after {self.latency:.2f}s {self.body[:300]!r}")


class RequestLog:
    """Every request of an experiment, and the experiment's moments (fault begins…)."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.records: list[Record] = []
        self.marks: dict[str, float] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def add(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)

    def mark(self, name: str) -> float:
        self.marks[name] = self.now()
        return self.marks[name]

    def snapshot(self) -> list[Record]:
        with self._lock:
            return list(self.records)


def csrf_token(text: str) -> str | None:
    match = CSRF_INPUT.search(text)
    return (match.group(1) or match.group(2)) if match else None


class Delegate:
    """One logged-in delegate: its session, its CSRF token, its view of its supports."""

    def __init__(self, port: int, user: dict, targets: list[int], forum_path: str, password: str, log: RequestLog):
        self.base = f"http://{HOST}:{port}"
        self.user_id, self.email, self.password = user["id"], user["email"], password
        self.targets, self.forum_path, self.log = targets, forum_path, log
        self.session = requests.Session()
        self.token: str | None = None
        self.believes: dict[int, bool] = {}  # proposal → supported, as last acknowledged
        self.random = random.Random(self.user_id)

    # One request ----------------------------------------------------------------------------------
    def request(self, action: str, method: str, path: str, *, session=None, proposal_id=None,
                data=None, headers=None) -> Record:
        record = Record(who=self.user_id, action=action, method=method, path=path, start=self.log.now(),
                        proposal_id=proposal_id)
        try:
            response = (session or self.session).request(
                method, self.base + path, data=data, headers=headers, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as error:
            record.end = self.log.now()
            record.error = f"{type(error).__name__}: {str(error)[:200]}"
            self.log.add(record)
            return record
        record.end = self.log.now()
        record.status = response.status_code
        record.retry_after = response.headers.get("Retry-After")
        record.content_type = response.headers.get("Content-Type", "")
        text = response.text
        if record.status >= 300:
            record.body = text[:2000]
        if action in ("token", "login-form") and record.status == 200:
            record.csrf = csrf_token(text)
        if action in WRITES and 200 <= record.status < 300:
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            if isinstance(answer, dict) and isinstance(answer.get("supported"), bool):
                record.acked, record.supported = True, answer["supported"]
                self.believes[proposal_id] = answer["supported"]
        if action == "token" and record.csrf:
            self.token = record.csrf
        self.log.add(record)
        return record

    # What a delegate does ------------------------------------------------------------------------------
    def log_in(self, session=None) -> bool:
        """GET /login for the form's token, POST the form (302 on success)."""
        session = session or self.session
        form = self.request("login-form", "GET", "/login", session=session)
        if form.csrf is None:
            return False
        answer = self.request("login", "POST", "/login", session=session,
                              data={"email": self.email, "password": self.password, "csrf_token": form.csrf})
        return answer.status == 302

    def start_session(self) -> None:
        """Log in and read a page for the CSRF token of the new session."""
        if not self.log_in():
            raise AssertionError(f"{self.email} could not log in: {self.log.snapshot()[-1].describe()}")
        self.request("token", "GET", f"/proposals/{self.targets[0]}")
        if self.token is None:
            raise AssertionError(f"no CSRF token on the proposal page for {self.email}")

    def toggle(self, proposal_id: int | None = None) -> Record:
        proposal_id = proposal_id or self.random.choice(self.targets)
        supported = self.believes.get(proposal_id)
        if supported is None:
            supported = self.random.random() < 0.5
        action = "unsupport" if supported else "support"
        return self.request(action, "POST", f"/proposals/{proposal_id}/{action}", proposal_id=proposal_id,
                            data={"csrf_token": self.token},
                            headers={"Accept": "application/json", "X-CSRFToken": self.token})

    def browse(self) -> Record:
        choice = self.random.random()
        if choice < 0.3:
            return self.request("home", "GET", "/")
        if choice < 0.6:
            return self.request("forum", "GET", self.forum_path)
        return self.request("proposal", "GET", f"/proposals/{self.random.choice(self.targets)}")

    def search(self) -> Record:
        query = urlencode({"q": self.random.choice(SEARCH_QUERIES)})
        return self.request("search", "GET", f"/search?{query}")


def _retry_after(record: Record) -> float:
    try:
        return float(record.retry_after)
    except (TypeError, ValueError):
        return 0.0


class Storm:
    """Delegates running in threads until ``stop()``."""

    def __init__(self, delegates: list[Delegate]):
        self.delegates = delegates
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for delegate in self.delegates:
            thread = threading.Thread(target=self._run, args=(delegate,), daemon=True,
                                      name=f"delegate-{delegate.user_id}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)
        stuck = [thread.name for thread in self._threads if thread.is_alive()]
        assert not stuck, f"delegates still waiting for an answer 120 s after the storm ended: {stuck}"

    def _run(self, delegate: Delegate) -> None:
        now = time.monotonic()
        rng = delegate.random
        next_write = now + rng.uniform(0, WRITE_INTERVAL)
        next_search = now + rng.uniform(0, SEARCH_INTERVAL)
        next_login = now + rng.uniform(0, LOGIN_INTERVAL)
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_write:
                record = delegate.toggle()
                next_write = time.monotonic() + max(WRITE_INTERVAL, _retry_after(record) if record.status == 503 else 0)
            elif now >= next_search:
                delegate.search()
                next_search = time.monotonic() + SEARCH_INTERVAL
            elif now >= next_login:
                with requests.Session() as session:
                    delegate.log_in(session=session)
                next_login = time.monotonic() + LOGIN_INTERVAL
            else:
                delegate.browse()
            self._stop.wait(rng.uniform(*THINK))


def until_normal(probe: Delegate, deadline: float) -> float | None:
    """From now, how long until the site answers normally: the home page 200 and a
    support toggle acknowledged, in one round (None if not before ``deadline`` seconds)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        home = probe.request("home", "GET", "/")
        if home.status == 200:
            write = probe.toggle(probe.targets[0])
            if write.acked:
                return time.monotonic() - started
        elapsed = time.monotonic() - started
        time.sleep(0.1 if elapsed < 3 else 0.5)
    return None
