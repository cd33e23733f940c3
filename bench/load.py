"""Load test of issue 6 item 9: the busiest pages as a share of a Flask hello-world.

    .venv/bin/python bench/load.py --data-dir /work/benchdata/congress
    .venv/bin/python bench/load.py --data-dir /work/benchdata/national --duration 30
    .venv/bin/python bench/load.py --data-dir /work/benchdata/congress --pages forum,search --duration 10

One run serves the app (``wsgi:app``, with the dataset's database and search engine) and
bench/hello.py with the same gunicorn settings (2 sync workers, bound to 127.0.0.1 on
two ports), drives each with ``wrk`` (16 connections, 2 threads, fixed duration, 30 s
timeout) and prints, per page, req/s, p50, p99 and max latency, the share of the
hello-world's req/s and the goal with pass or fail. The hello-world is measured before
the first page and again after each page; a page's share is of the mean of the two
hello-world runs around it, so a machine whose other load changes during the run
(helpers' test suites come and go) skews each page less than one average would. The dataset comes from bench/dataset.py; its manifest.json names the forum,
the proposals and the accounts used here.

The app runs with ``FORUM_CONFIG=production`` and the defaults of config.py (inline
search drain on, caches as shipped) except two overrides, printed with the results:
``RATELIMIT_ENABLED=0`` (every request comes from 127.0.0.1 and one account; the 10/minute
comment limit, 60/minute support limit and the per-address search limit would otherwise
answer 429 within seconds) and ``SESSION_COOKIE_SECURE=0`` (plain HTTP on the loopback).

The POST pages log in through the real login form (CSRF token, session cookie), then
wrk posts with that cookie and token: the support toggle posts ``Accept:
application/json`` as static/js/support.js does, each wrk thread walking its own list of
proposals, supporting them on one pass and withdrawing on the next; new comments post
the comment form (status 302). Afterwards the support counters are checked with ``flask
votes verify`` and the account's remaining supports are withdrawn through the app, and
the number of comments written is compared with the requests wrk counted.

Everything stays on the loopback; every wrk run has a fixed duration and the servers are
stopped at the end.
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.dataset import app_environment  # noqa: E402

HOST = "127.0.0.1"
GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--worker-class", "sync"]
SEARCH_QUERIES = ["công đoàn", "đoàn viên", "tiền lương", "công nhân"]  # common two-syllable queries
CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
INPUT_VALUE = re.compile(r'\bvalue="([^"]+)"')


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    goal: float  # share of hello-world req/s, percent


PAGES = [
    Page("forum", "forum page, default sort", 10.0),
    Page("forum-200", "forum page 200, newest first", 5.0),
    Page("proposal-10", "proposal with 10 comments", 8.0),
    Page("proposal-500", "proposal with 500 comments (first page)", 5.0),
    Page("search", "search, a common two-syllable query", 2.0),
    Page("support", "support toggle (POST, logged in)", 5.0),
    Page("comment", "new comment (POST)", 3.0),
    Page("home", "home page", 10.0),
]


@dataclass
class Result:
    key: str
    label: str
    goal: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: dict
    load_before: float
    bytes_per_response: int = 0
    hello_rps: float = 0.0
    share: float = 0.0
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# HTTP with the standard library ------------------------------------------------------------------
class Client:
    """A tiny cookie-keeping HTTP client for logging in and checking pages (no redirects)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection(HOST, self.port, timeout=120)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, dict(response.getheaders()), data

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def csrf_token(page: bytes) -> str:
    field = CSRF_INPUT.search(page.decode("utf-8", "replace"))
    value = INPUT_VALUE.search(field.group(0)) if field else None
    if not value:
        raise SystemExit("no csrf_token field on the page")
    return value.group(1)


def log_in(port: int, email: str, password: str, token_page: str) -> tuple[Client, str]:
    """Log in through the real form; returns the client (session cookie) and a CSRF token
    taken from ``token_page`` after login (logging in starts a new session)."""
    client = Client(port)
    status, _, page = client.request("GET", "/login")
    if status != 200:
        raise SystemExit(f"GET /login answered {status}")
    status, headers, _ = client.request("POST", "/login", form={
        "email": email, "password": password, "csrf_token": csrf_token(page)})
    if status != 302:
        raise SystemExit(f"logging in as {email} answered {status}, not a redirect")
    status, _, page = client.request("GET", token_page)
    if status != 200:
        raise SystemExit(f"GET {token_page} after login answered {status}")
    return client, csrf_token(page)


# Servers ---------------------------------------------------------------------------------------------
class Server:
    def __init__(self, name: str, target: str, port: int, env: dict[str, str], logdir: Path):
        self.name, self.port = name, port
        self.log_path = logdir / f"{name}.log"
        self.process = subprocess.Popen(
            [*GUNICORN, "--bind", f"{HOST}:{port}", target],
            cwd=ROOT, env=env, stdout=self.log_path.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/", timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                status, _, _ = Client(self.port).request("GET", path)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"{self.name} did not start; its log:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# wrk ------------------------------------------------------------------------------------------------
LUA_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

LUA_COMMON = r"""
local counter = 0
local thread_id = 0
local thread_count = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads - 1)
end
function init(args)
  thread_count = tonumber(args[1])
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_list(values) -> str:
    return "{" + ", ".join(lua_string(str(v)) for v in values) + "}"


def lua_get(paths: list[str]) -> str:
    return LUA_COMMON + f"local paths = {lua_list(paths)}\n" + r"""
function request()
  local path = paths[(counter * thread_count + thread_id) % #paths + 1]
  counter = counter + 1
  return wrk.format("GET", path)
end
""" + LUA_DONE


def lua_support(ids: list[int], cookie: str, token: str) -> str:
    """Each thread walks its own share of ``ids``: support on even passes, withdraw on odd
    ones, so one proposal is never changed by two requests in flight at once."""
    return LUA_COMMON + f"""
local ids = {lua_list(ids)}
local headers = {{["Cookie"] = {lua_string(cookie)}, ["X-CSRFToken"] = {lua_string(token)},
  ["Accept"] = "application/json", ["Content-Type"] = "application/x-www-form-urlencoded"}}
""" + r"""
local mine = nil
function request()
  if mine == nil then
    mine = {}
    for i = 1, #ids do
      if (i - 1) % thread_count == thread_id then table.insert(mine, ids[i]) end
    end
  end
  local id = mine[counter % #mine + 1]
  local pass = math.floor(counter / #mine)
  counter = counter + 1
  local action = (pass % 2 == 0) and "support" or "unsupport"
  return wrk.format("POST", "/proposals/" .. id .. "/" .. action, headers, "")
end
""" + LUA_DONE


def lua_comment(ids: list[int], bodies: list[str], cookie: str, token: str) -> str:
    return LUA_COMMON + f"""
local ids = {lua_list(ids)}
local bodies = {lua_list(bodies)}
local token = {lua_string(quote(token, safe=""))}
local headers = {{["Cookie"] = {lua_string(cookie)}, ["Content-Type"] = "application/x-www-form-urlencoded"}}
""" + r"""
function request()
  local n = counter * thread_count + thread_id
  counter = counter + 1
  local id = ids[n % #ids + 1]
  local body = "csrf_token=" .. token .. "&parent_id=&body=" .. bodies[n % #bodies + 1]
  return wrk.format("POST", "/proposals/" .. id .. "/comments", headers, body)
end
""" + LUA_DONE


def run_wrk(port: int, script: str, duration: int, connections: int, threads: int, workdir: Path) -> dict:
    path = workdir / "script.lua"
    path.write_text(script, encoding="utf-8")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
               "-s", str(path), f"http://{HOST}:{port}", "--", str(threads)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    for line in completed.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):])
    raise SystemExit(f"wrk printed no summary:\n{completed.stdout}\n{completed.stderr}")


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def measure(key: str, label: str, goal: float, port: int, script: str, args, workdir: Path,
            duration: int | None = None) -> Result:
    load_before = load_average()
    summary = run_wrk(port, script, duration or args.duration, args.connections, args.threads, workdir)
    seconds = summary["duration_us"] / 1e6
    errors = {k: summary[k] for k in ("connect", "read", "write", "status", "timeout") if summary[k]}
    result = Result(
        key=key, label=label, goal=goal, rps=summary["requests"] / seconds,
        p50_ms=summary["p50_us"] / 1000, p99_ms=summary["p99_us"] / 1000, max_ms=summary["max_us"] / 1000,
        requests=summary["requests"], errors=errors, load_before=load_before,
        bytes_per_response=summary["bytes"] // max(summary["requests"], 1),
    )
    log(f"{label}: {result.rps:.1f} req/s, p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, "
        f"max {result.max_ms:.0f} ms, {result.requests} requests, load {load_before:.1f}"
        + (f", ERRORS {errors}" if errors else ""))
    return result


def check_pages(client: Client, paths: list[str], expect: int = 200) -> None:
    """Warm each path once and make sure it answers what the benchmark expects."""
    for path in paths:
        status, _, _ = client.request("GET", path)
        if status != expect:
            raise SystemExit(f"GET {path} answered {status}, expected {expect}")


# The run ------------------------------------------------------------------------------------------------
def database_count(database_url: str, sql: str, **params) -> int:
    import sqlalchemy as sa

    from bench.dataset import sa_url

    engine = sa.create_engine(sa_url(database_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text(sql), params)
    finally:
        engine.dispose()


def user_id(database_url: str, email: str) -> int:
    return database_count(database_url, "SELECT id FROM users WHERE email = :email", email=email)


def comment_bodies(count: int) -> list[str]:
    from bench.corpus import CorpusGenerator

    corpus = CorpusGenerator(int(time.time()))
    return [quote(corpus.body(1 + i % 3), safe="") for i in range(count)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="a dataset made by bench/dataset.py")
    parser.add_argument("--duration", type=int, default=30, help="seconds per page (default 30)")
    parser.add_argument("--home-duration", type=int, default=75,
                        help="seconds for the home page, long enough to see a once-a-minute stall (default 75)")
    parser.add_argument("--hello-duration", type=int, default=10,
                        help="seconds per hello-world run, before the first page and after each (default 10)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pages", help="comma-separated subset of: " + ", ".join(p.key for p in PAGES))
    parser.add_argument("--port", type=int, default=8611, help="the app's port; the hello-world takes the next one")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--label", default="(not a git checkout)",
                        help="names the code measured when it is not a git checkout")
    args = parser.parse_args(argv)

    manifest = json.loads((args.data_dir / "manifest.json").read_text())
    wanted = set(args.pages.split(",")) if args.pages else {p.key for p in PAGES}
    unknown = wanted - {p.key for p in PAGES}
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    database_url = manifest["database_url"]
    env = app_environment(database_url, manifest["search_backend"], Path(manifest["search_dir"]))
    env["RATELIMIT_ENABLED"] = "0"
    commit = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or args.label
    slug = manifest["forum_slug"]
    forum_path = f"/forums/{slug}"
    paths = {
        "forum": [forum_path],
        "forum-200": [f"{forum_path}?sort=newest&page=200"],
        "proposal-10": [f"/proposals/{manifest['short_thread_id']}"],
        "proposal-500": [f"/proposals/{i}" for i in manifest["long_thread_ids"]],
        "search": ["/search?" + urlencode({"q": q}) for q in SEARCH_QUERIES],
        "home": ["/"],
    }

    workdir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    app = Server("app", "wsgi:app", args.port, env, workdir)
    hello = Server("hello", "bench.hello:app", args.port + 1, env, workdir)
    results: list[Result] = []
    hello_rps: list[float] = []
    started_at = datetime.now(UTC)
    try:
        app.wait_ready()
        hello.wait_ready()
        log(f"{manifest['scale']} dataset ({database_url}, search {manifest['search_backend']}); "
            f"main at {commit}; load {load_average():.1f}")
        def measure_hello() -> float:
            rps = measure("hello", "hello-world", 0, hello.port, lua_get(["/"]), args, workdir,
                          args.hello_duration).rps
            hello_rps.append(rps)
            return rps

        previous_hello = measure_hello()
        anonymous = Client(app.port)
        for page in PAGES:
            if page.key not in wanted:
                continue
            if page.key in paths:
                check_pages(anonymous, paths[page.key])
                result = measure(page.key, page.label, page.goal, app.port, lua_get(paths[page.key]), args, workdir,
                                 args.home_duration if page.key == "home" else None)
            elif page.key == "support":
                result = bench_support(manifest, database_url, env, app.port, page, args, workdir)
            else:
                result = bench_comment(manifest, database_url, app.port, page, args, workdir)
            next_hello = measure_hello()
            result.hello_rps = (previous_hello + next_hello) / 2
            result.share = 100.0 * result.rps / result.hello_rps
            log(f"  {result.share:.2f}% of hello-world ({result.hello_rps:.0f} req/s around it)")
            previous_hello = next_hello
            results.append(result)
    finally:
        app.stop()
        hello.stop()

    print_table(manifest, commit, started_at, hello_rps, results)
    if args.json:
        args.json.write_text(json.dumps({
            "scale": manifest["scale"], "commit": commit, "started_at": started_at.isoformat(timespec="seconds"),
            "hello_rps": hello_rps, "results": [asdict(r) for r in results],
        }, ensure_ascii=False, indent=2) + "\n")
    return 0


def bench_support(manifest, database_url, env, port, page, args, workdir) -> Result:
    email = manifest["bench_emails"][0]
    ids = manifest["support_target_ids"]
    client, token = log_in(port, email, manifest["password"], f"/proposals/{ids[0]}")
    for action, expected in (("support", True), ("unsupport", False)):  # the path wrk will take works
        status, _, body = client.request("POST", f"/proposals/{ids[0]}/{action}",
                                         headers={"Accept": "application/json", "X-CSRFToken": token})
        if status != 200 or json.loads(body)["supported"] is not expected:
            raise SystemExit(f"{action} answered {status}: {body[:200]!r}")
    result = measure(page.key, page.label, page.goal, port, lua_support(ids, client.cookie_header(), token), args,
                     workdir)
    account = user_id(database_url, email)
    left = database_count(database_url, "SELECT count(*) FROM supports WHERE user_id = :u", u=account)
    verify = subprocess.run([sys.executable, "-m", "flask", "votes", "verify"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    result.notes.append("flask votes verify: " + ("no drift" if verify.returncode == 0 else "DRIFT"))
    if verify.returncode != 0:
        log(verify.stdout[-2000:])
    # Put the dataset back as it was: withdraw the remaining supports through the app.
    import sqlalchemy as sa

    from bench.dataset import sa_url

    engine = sa.create_engine(sa_url(database_url))
    with engine.connect() as connection:
        supported = list(connection.scalars(sa.text("SELECT proposal_id FROM supports WHERE user_id = :u"),
                                            {"u": account}))
    engine.dispose()
    for proposal_id in supported:
        client.request("POST", f"/proposals/{proposal_id}/unsupport",
                       headers={"Accept": "application/json", "X-CSRFToken": token})
    result.notes.append(f"{left} supports left after the run, withdrawn again")
    return result


def bench_comment(manifest, database_url, port, page, args, workdir) -> Result:
    email = manifest["bench_emails"][1]
    ids = manifest["comment_target_ids"]
    client, token = log_in(port, email, manifest["password"], f"/proposals/{ids[0]}")
    account = user_id(database_url, email)
    count_sql = "SELECT count(*) FROM comments WHERE author_id = :u"
    before = database_count(database_url, count_sql, u=account)
    status, headers, _ = client.request("POST", f"/proposals/{ids[0]}/comments",
                                        form={"csrf_token": token, "parent_id": "", "body": "Ý kiến thử tải."})
    location = headers.get("Location", "")
    if status != 302 or "#comment-" not in location:
        raise SystemExit(f"posting a comment answered {status} → {location!r}")
    result = measure(page.key, page.label, page.goal, port,
                     lua_comment(ids, comment_bodies(200), client.cookie_header(), token), args, workdir)
    written = database_count(database_url, count_sql, u=account) - before - 1
    result.notes.append(f"{written} comments written for {result.requests} requests")
    return result


def print_table(manifest, commit, started_at, hello_rps, results: list[Result]) -> None:
    print()
    print(f"{manifest['scale']}: {manifest['counts']}, main {commit}, {started_at:%Y-%m-%d %H:%M} UTC")
    print(f"hello-world runs: {', '.join(f'{rps:.0f}' for rps in hello_rps)} req/s "
          f"(mean {statistics.mean(hello_rps):.0f}); overrides: RATELIMIT_ENABLED=0, SESSION_COOKIE_SECURE=0")
    print()
    print("| page | req/s | p50 ms | p99 ms | max ms | KB | hello req/s | share of hello | goal | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in results:
        verdict = "pass" if r.share >= r.goal and not r.errors else "FAIL"
        print(f"| {r.label} | {r.rps:.1f} | {r.p50_ms:.0f} | {r.p99_ms:.0f} | {r.max_ms:.0f} | "
              f"{r.bytes_per_response / 1024:.0f} | {r.hello_rps:.0f} | {r.share:.2f}% | ≥ {r.goal:g}% {verdict} | {r.load_before:.1f} |")
    for r in results:
        for note in r.notes + ([f"errors: {r.errors}"] if r.errors else []):
            print(f"- {r.label}: {note}")


if __name__ == "__main__":
    sys.exit(main())
