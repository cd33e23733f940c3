"""CPU time per request of the load test's pages, which a busy machine hardly changes.

    .venv/bin/python bench/cpu.py --data-dir /work/benchdata/congress
    .venv/bin/python bench/cpu.py --data-dir /work/benchdata/national --pages forum,support --seconds 5

bench/load.py's shares of hello-world req/s move by ±30% when other jobs share the two
cores; this measures what the shares come from, the CPU each request costs, and that
moves little with the load. It serves the app and bench/hello.py as bench/load.py does
(gunicorn, sync worker, the same settings) but with one worker each, sends the same
requests one after the other for ``--seconds`` per page (after a warm-up), and reads the
CPU time the worker process and, on PostgreSQL, the database server processes serving
the dataset's database spent (utime + stime from /proc). Per page it prints the worker's
and the database's milliseconds per request, their sum, and hello-world's sum divided
by the page's (``cpu share``): a page whose cpu share is N% can at best be served at N%
of hello-world's rate on the same cores. The wrk share is lower than the cpu share
because wrk and the kernel spend about the same time on every request, which weighs more
against the hello-world's.

The POSTs log in through the real form (as bench/load.py does): the support toggle
supports and withdraws in turn on the manifest's target proposals (withdrawing what is
left at the end), and the new comment posts the comment form to its targets (the
comments stay, as with bench/load.py).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.dataset import app_environment  # noqa: E402
from bench.load import PAGES, SEARCH_QUERIES, Client, Server, comment_bodies, log, log_in  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


class Database:
    """The PostgreSQL server processes serving the dataset's database (none for SQLite)."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.postgres = database_url.startswith("postgresql")

    def backends(self) -> list[int]:
        if not self.postgres:
            return []
        import psycopg

        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(self.url.replace("/" + name, "/postgres")) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'", (name,)
            ).fetchall()
        return [pid for (pid,) in rows]

    def cpu(self, pids: list[int]) -> float:
        return sum(cpu_seconds(pid) for pid in pids)


def run(server: Server, database: Database, send, seconds: float, warmup: int) -> tuple[int, float, float]:
    """Requests sent, worker CPU and database CPU (seconds) during ``seconds`` of ``send()`` calls."""
    for _ in range(warmup):
        send()
    (worker,) = children(server.process.pid)
    pids = database.backends()
    worker_before, database_before = cpu_seconds(worker), database.cpu(pids)
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        send()
        count += 1
    extra = [pid for pid in database.backends() if pid not in pids]
    if extra:
        log(f"  note: {len(extra)} database connection(s) opened during the run (their CPU is not counted)")
    return count, cpu_seconds(worker) - worker_before, database.cpu(pids) - database_before


def getter(client: Client, paths: list[str]):
    state = {"n": 0}

    def send():
        path = paths[state["n"] % len(paths)]
        state["n"] += 1
        status, _, _ = client.request("GET", path)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")

    return send


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="a dataset made by bench/dataset.py")
    parser.add_argument("--seconds", type=float, default=8.0, help="per page (default 8)")
    parser.add_argument("--warmup", type=int, default=20, help="requests before measuring (default 20)")
    parser.add_argument("--pages", help="comma-separated subset of: " + ", ".join(p.key for p in PAGES))
    parser.add_argument("--port", type=int, default=8711, help="the app's port; the hello-world takes the next one")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    manifest = json.loads((args.data_dir / "manifest.json").read_text())
    wanted = args.pages.split(",") if args.pages else [p.key for p in PAGES]
    pages = {p.key: p for p in PAGES}
    unknown = set(wanted) - set(pages)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    database_url = manifest["database_url"]
    env = app_environment(database_url, manifest["search_backend"], Path(manifest["search_dir"]))
    env["RATELIMIT_ENABLED"] = "0"
    forum_path = f"/forums/{manifest['forum_slug']}"
    paths = {
        "forum": [forum_path],
        "forum-200": [f"{forum_path}?sort=newest&page=200"],
        "proposal-10": [f"/proposals/{manifest['short_thread_id']}"],
        "proposal-500": [f"/proposals/{i}" for i in manifest["long_thread_ids"]],
        "search": ["/search?" + urlencode({"q": q}) for q in SEARCH_QUERIES],
        "home": ["/"],
    }
    database = Database(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="cpu-bench-"))
    one_worker = ["--workers", "1"]
    import bench.load as load

    load.GUNICORN = [load.GUNICORN[0], *one_worker, "--worker-class", "sync"]
    app = Server("app", "wsgi:app", args.port, env, workdir)
    hello = Server("hello", "bench.hello:app", args.port + 1, env, workdir)
    results = []
    try:
        app.wait_ready()
        hello.wait_ready()
        count, worker, _ = run(hello, Database("sqlite://"), getter(Client(hello.port), ["/"]), args.seconds,
                               args.warmup)
        hello_ms = 1000 * worker / count
        log(f"hello-world: {hello_ms:.3f} ms CPU per request ({count} requests)")
        for key in wanted:
            cleanup = None
            if key in paths:
                send = getter(Client(app.port), paths[key])
            elif key == "support":
                send, cleanup = support_sender(manifest, app.port)
            else:
                send = comment_sender(manifest, app.port)
            try:
                count, worker, server = run(app, database, send, args.seconds, args.warmup)
            finally:
                if cleanup:
                    cleanup()
            total = 1000 * (worker + server) / count
            result = {
                "key": key, "label": pages[key].label, "goal": pages[key].goal, "requests": count,
                "worker_ms": 1000 * worker / count, "database_ms": 1000 * server / count, "total_ms": total,
                "cpu_share": 100 * hello_ms / total,
            }
            results.append(result)
            log(f"{pages[key].label}: {result['worker_ms']:.2f} ms worker + {result['database_ms']:.2f} ms database "
                f"= {total:.2f} ms CPU per request, cpu share {result['cpu_share']:.1f}% ({count} requests)")
    finally:
        app.stop()
        hello.stop()

    print()
    print(f"{manifest['scale']}: hello-world {hello_ms:.3f} ms CPU per request; load {os.getloadavg()[0]:.1f}")
    print("| page | worker ms | database ms | CPU ms per request | cpu share of hello | goal (wrk share) |")
    print("|---|---:|---:|---:|---:|---|")
    for r in results:
        print(f"| {r['label']} | {r['worker_ms']:.2f} | {r['database_ms']:.2f} | {r['total_ms']:.2f} | "
              f"{r['cpu_share']:.1f}% | ≥ {r['goal']:g}% |")
    if args.json:
        args.json.write_text(json.dumps({"scale": manifest["scale"], "hello_ms": hello_ms, "results": results},
                                        ensure_ascii=False, indent=2) + "\n")
    return 0


def support_sender(manifest, port):
    """Support, then withdraw, each target in turn (JSON, as static/js/support.js posts)."""
    ids = manifest["support_target_ids"]
    client, token = log_in(port, manifest["bench_emails"][0], manifest["password"], f"/proposals/{ids[0]}")
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    state = {"n": 0}
    supported: set[int] = set()

    def send():
        n = state["n"]
        state["n"] += 1
        proposal_id = ids[n % len(ids)]
        action = "support" if (n // len(ids)) % 2 == 0 else "unsupport"
        status, _, body = client.request("POST", f"/proposals/{proposal_id}/{action}", headers=headers)
        if status != 200:
            raise SystemExit(f"{action} answered {status}: {body[:200]!r}")
        (supported.add if action == "support" else supported.discard)(proposal_id)

    def cleanup():
        for proposal_id in sorted(supported):
            client.request("POST", f"/proposals/{proposal_id}/unsupport", headers=headers)

    return send, cleanup


def comment_sender(manifest, port):
    ids = manifest["comment_target_ids"]
    client, token = log_in(port, manifest["bench_emails"][1], manifest["password"], f"/proposals/{ids[0]}")
    from urllib.parse import unquote

    bodies = [unquote(body) for body in comment_bodies(200)]
    state = {"n": 0}

    def send():
        n = state["n"]
        state["n"] += 1
        status, headers, _ = client.request("POST", f"/proposals/{ids[n % len(ids)]}/comments", form={
            "csrf_token": token, "parent_id": "", "body": bodies[n % len(bodies)]})
        if status != 302:
            raise SystemExit(f"posting a comment answered {status}")

    return send


if __name__ == "__main__":
    sys.exit(main())
