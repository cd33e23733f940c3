"""Where one page's time goes: its SQL statements (time each) and the hottest functions.

    .venv/bin/python bench/profile_page.py --data-dir /work/benchdata/congress /forums/<slug>
    .venv/bin/python bench/profile_page.py --data-dir /work/benchdata/national "/search?q=công đoàn" --repeat 5

Runs the app in this process on a dataset from bench/dataset.py (the same settings as
bench/load.py), requests PATH once to warm up, then ``--repeat`` times under cProfile
with every SQL statement's execute call timed (SQLite computes most rows while they are
fetched: that time shows under ``fetchall`` in the profile). Prints the mean wall time per request, the statements of
the last request (slowest first) and the functions with the most cumulative time.
A path starting with POST (``"POST /proposals/1/support"``) is posted anonymously,
which mostly shows the refusal, unless ``--login N`` logs in first (through the login
form) as the manifest's N-th bench account: POSTs then carry its CSRF token in
``X-CSRFToken`` and ``Accept: application/json``, as static/js/support.js sends them, and
a support is withdrawn on every other request (``.../support`` and ``.../unsupport``
in turn); a comment form is posted with ``--form 'body=...'``. Everything a request does
after its response (the inline search drain) is counted with it.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    parser.add_argument("--login", type=int, help="log in as the manifest's N-th bench account first")
    parser.add_argument("--form", action="append", default=[], help="NAME=VALUE posted with a POST (repeatable)")
    parser.add_argument("--explain", action="store_true",
                        help="also print the plan of the slowest statement (EXPLAIN ANALYZE on PostgreSQL, "
                             "EXPLAIN QUERY PLAN on SQLite)")
    args = parser.parse_args(argv)

    from bench.dataset import app_environment

    manifest = json.loads((args.data_dir / "manifest.json").read_text())
    env = app_environment(manifest["database_url"], manifest["search_backend"], Path(manifest["search_dir"]))
    os.environ.update(env)
    import sqlalchemy as sa

    from forum import create_app
    from forum.extensions import db

    app = create_app(SECRET_KEY=env["SECRET_KEY"], SQLALCHEMY_DATABASE_URI=manifest["database_url"]
                     .replace("postgresql://", "postgresql+psycopg://", 1),
                     SEARCH_BACKEND=manifest["search_backend"], SEARCH_INDEX_DIR=manifest["search_dir"],
                     RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False,
                     PREFERRED_URL_SCHEME="http")
    statements: list[tuple[float, str, object]] = []
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("started", []).append(time.perf_counter())

    @sa.event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((time.perf_counter() - conn.info["started"].pop(), statement, parameters))

    method, _, path = args.path.partition(" ") if args.path.startswith("POST ") else ("GET", "", args.path)
    client = app.test_client()
    headers = {}
    if args.login is not None:
        from bench.load import csrf_token

        login_page = client.get("/login").data
        response = client.post("/login", data={"email": manifest["bench_emails"][args.login],
                                              "password": manifest["password"], "csrf_token": csrf_token(login_page)})
        if response.status_code != 302:
            raise SystemExit(f"logging in answered {response.status_code}")
        token = csrf_token(client.get(f"/proposals/{manifest['short_thread_id']}").data)
        headers = {"X-CSRFToken": token, "Accept": "application/json"}
    form = dict(item.split("=", 1) for item in args.form) or None
    requests_made = [0]

    def fetch():
        target = path
        if method == "POST" and path.endswith("/support") and requests_made[0] % 2:
            target = path[: -len("support")] + "unsupport"
        requests_made[0] += 1
        response = client.open(target, method=method, headers=headers, data=form)
        data = response.data
        response.close()  # runs what the response scheduled for after it was sent
        return response.status_code, len(data)

    status, size = fetch()
    print(f"{method} {path}: {status}, {size / 1024:.0f} KB")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    for _ in range(args.repeat):
        statements.clear()
        profiler.enable()
        fetch()
        profiler.disable()
    wall = (time.perf_counter() - started) / args.repeat
    sql_total = sum(seconds for seconds, _, _ in statements)
    print(f"mean {wall * 1000:.0f} ms per request (under cProfile); last request: {len(statements)} statements, "
          f"{sql_total * 1000:.0f} ms in the database driver")
    slowest = sorted(statements, key=lambda item: item[0], reverse=True)
    for seconds, statement, _ in slowest:
        print(f"  {seconds * 1000:8.1f} ms  {' '.join(statement.split())[:160]}")
    if args.explain and slowest:
        _, statement, parameters = slowest[0]
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        print(f"\n{statement}\n{parameters}\n")
        with engine.connect() as connection:
            for row in connection.exec_driver_sql(prefix + statement, parameters):
                print("  " + " ".join(str(value) for value in row))
        print()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
