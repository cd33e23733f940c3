"""Generate a load-test dataset at one of the two scales of issue 6 item 9.

    .venv/bin/python bench/dataset.py --scale congress            # SQLite + Whoosh
    .venv/bin/python bench/dataset.py --scale national            # PostgreSQL + its search
    .venv/bin/python bench/dataset.py --scale congress --reset    # start again from empty

| scale    | database + search     | delegates | proposals | comments | supports  |
|----------|-----------------------|-----------|-----------|----------|-----------|
| congress | SQLite + Whoosh       | 3,000     | 10,000    | 100,000  | 300,000   |
| national | PostgreSQL + postgres | 50,000    | 50,000    | 500,000  | 2,000,000 |

The app builds its own schema and forums: ``flask db upgrade`` and ``flask forum
seed-demo`` (the ten forums with their themes, plus the small demo discussion). The
generated rows then go in by bulk SQL (``executemany`` on SQLite, ``COPY`` on
PostgreSQL) with consistent counters; afterwards every ``flask <group> <command>
--repair`` the app offers (found by introspecting its CLI, the search group aside) runs,
then ``flask search reindex`` and ``flask search sync``. A repair that finds drift
writes audit entries: a clean load finds none for the counters this script knows.

Text comes from bench/corpus.py (real syllables with realistic frequencies); names,
provinces and units (thousands of distinct grassroots unions) from bench/people.py.
Forum 1 (open) is the big one (42% of the proposals): the load script reads its pages,
posts to it, and finds its targets in ``manifest.json`` in the data directory, written
last. Every generated account has the password ``BENCH_PASSWORD`` (one hash, computed
once with the app's configured method); the ``bench-N@`` accounts authored, supported
and commented nothing, so the load script can toggle supports with them.

A database that already holds users is refused; ``--reset`` deletes the SQLite file
(and the Whoosh index) or drops and re-creates the PostgreSQL database first. Data
lives under /work/benchdata/<scale>/ by default, outside the repository.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import people  # noqa: E402
from bench.corpus import STATUSES, CorpusGenerator  # noqa: E402

BENCH_PASSWORD = "thu-tai-hienke-2023"
BENCH_ACCOUNTS = 4
EMAIL_DOMAIN = "dulieu-thu.hienke.vn"
DATA_ROOT = Path("/work/benchdata")
# Share of the proposals per forum number 1..10. Forum 1 is open in the app's forum data:
# its deep pages and POSTs are what the load script measures.
FORUM_SHARES = [42, 14, 9, 7, 6, 5, 5, 4, 4, 4]
START = datetime(2023, 10, 2, 1, 0, tzinfo=UTC)
END = datetime(2023, 11, 29, 10, 0, tzinfo=UTC)
FIRST_REACTION = timedelta(minutes=20)
ACTIVE = ("published", "under_review")
TARGETS = 400  # proposals per POST benchmark (supports, comments)


@dataclass(frozen=True)
class Scale:
    name: str
    users: int
    proposals: int
    comments: int
    supports: int
    units: int
    long_threads: int  # proposals in forum 1 with exactly LONG_THREAD comments
    database_url: str
    search_backend: str


LONG_THREAD = 500
SHORT_THREAD = 10
SCALES = {
    # A smoke-test size (tests/bench): every path of the real scales in seconds.
    "tiny": Scale("tiny", 60, 300, 3_000, 6_000, 40, 1,
                  f"sqlite:///{DATA_ROOT / 'tiny' / 'hienke.sqlite3'}", "whoosh"),
    "congress": Scale("congress", 3_000, 10_000, 100_000, 300_000, 2_000, 3,
                      f"sqlite:///{DATA_ROOT / 'congress' / 'hienke.sqlite3'}", "whoosh"),
    "national": Scale("national", 50_000, 50_000, 500_000, 2_000_000, 5_000, 5,
                      "postgresql://postgres@127.0.0.1:5432/hienke_bench_national", "postgres"),
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# Environment and the app's own commands ---------------------------------------------------
def app_environment(database_url: str, search_backend: str, search_dir: Path) -> dict[str, str]:
    """The environment the app runs with for the dataset and the load test (production
    profile; plain-HTTP cookies since everything stays on the loopback)."""
    env = dict(os.environ)
    env.update(
        FLASK_APP="wsgi:app",
        FORUM_CONFIG="production",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_hex(32),
        SESSION_COOKIE_SECURE="0",
        DATABASE_URL=database_url,
        SEARCH_BACKEND=search_backend,
        SEARCH_INDEX_DIR=str(search_dir),
    )
    return env


def flask(env: dict[str, str], *args: str) -> None:
    started = time.perf_counter()
    log("flask " + " ".join(args))
    subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True)
    log(f"  done in {time.perf_counter() - started:.1f} s")


def repair_commands(app) -> list[list[str]]:
    """Every ``flask GROUP COMMAND --repair`` the app has, except search (reindexed instead)."""
    import click

    found = []
    for group_name, group in sorted(app.cli.commands.items()):
        if group_name == "search" or not isinstance(group, click.Group):
            continue
        for name, command in sorted(group.commands.items()):
            if any(isinstance(p, click.Option) and "--repair" in p.opts for p in command.params):
                found.append([group_name, name, "--repair"])
    return found


# The database ---------------------------------------------------------------------------
def sa_url(database_url: str):
    import sqlalchemy as sa

    url = sa.make_url(database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def prepare_database(database_url: str, search_dir: Path, reset: bool) -> None:
    """Refuse a database that holds users; with ``reset``, start from an empty one."""
    import sqlalchemy as sa

    url = sa_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(search_dir, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        name = url.database
        if name in (None, "", "postgres") or name.startswith("template"):
            sys.exit(f"refusing to use the database {name!r}: name a dedicated one")
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and reset:
                connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = False
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        if sa.inspect(connection).has_table("users"):
            users = connection.scalar(sa.text("SELECT count(*) FROM users"))
            if users:
                sys.exit(f"{database_url} already holds {users} users: pass --reset to start again "
                         "(it deletes everything in it)")
    engine.dispose()


class Sink:
    """Bulk rows into one table: COPY on PostgreSQL, executemany on SQLite.

    Columns the generator does not know (added by later migrations) get their model's
    scalar default; a required column without one stops the load with its name.
    """

    BATCH = 5_000

    def __init__(self, connection, dialect: str, table, columns: list[str]):
        self.connection, self.dialect, self.table = connection, dialect, table
        extra = [c for c in table.columns if c.name not in columns]
        self.defaults = []
        for column in extra:
            if column.default is not None and column.default.is_scalar:
                self.defaults.append((column.name, column.default.arg))
            elif not (column.nullable or column.server_default is not None or column.primary_key):
                raise SystemExit(f"{table.name}.{column.name} is required and has no default: "
                                 "bench/dataset.py must learn to fill it")
        self.columns = columns + [name for name, _ in self.defaults]
        self.tail = tuple(value for _, value in self.defaults)
        self.rows: list[tuple] = []
        self.count = 0
        self.cursor = connection.cursor()
        self._copy_context = self._copy = None
        if dialect == "postgresql":
            names = ", ".join(f'"{c}"' for c in self.columns)
            self._copy_context = self.cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN')
            self._copy = self._copy_context.__enter__()
        else:
            marks = ", ".join("?" for _ in self.columns)
            names = ", ".join(f'"{c}"' for c in self.columns)
            self.sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'

    def add(self, row: tuple) -> None:
        row = row + self.tail
        self.count += 1
        if self._copy is not None:
            self._copy.write_row(row)
            return
        self.rows.append(tuple(_sqlite_value(v) for v in row))
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.cursor.executemany(self.sql, self.rows)
            self.rows = []

    def close(self) -> None:
        if self._copy_context is not None:
            self._copy_context.__exit__(None, None, None)
        else:
            self.flush()
        self.cursor.close()


def _sqlite_value(value):
    # SQLAlchemy's SQLite DateTime storage format (UTC, naive), booleans as 0/1, JSON as text.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


# Text --------------------------------------------------------------------------------------
def render_plain(body: str, check: bool) -> str:
    """What ``render_markup`` makes of generated text (paragraphs, nothing else to mark up),
    without bleach's cost; every ``check``-ed body is compared with the real renderer."""
    rendered = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in body.split("\n\n"))
    if check:
        from forum.core.markup import render_markup

        real = render_markup(body)
        if real != rendered:
            raise SystemExit(f"generated text renders differently than expected:\n{real!r}\n{rendered!r}")
    return rendered


def paragraphs(corpus: CorpusGenerator, rng: random.Random, count: int, sentences: tuple[int, int]) -> str:
    return "\n\n".join(corpus.body(rng.randint(*sentences)) for _ in range(count))


# Distributions -------------------------------------------------------------------------------
def spread(total: int, weights: list[float], cap: int, rng: random.Random) -> list[int]:
    """Integers proportional to ``weights`` summing to ``total``, none above ``cap``."""
    scale = total / sum(weights)
    counts = []
    for weight in weights:
        expected = weight * scale
        whole = int(expected)
        counts.append(min(cap, whole + (1 if rng.random() < expected - whole else 0)))
    missing = total - sum(counts)
    open_slots = [i for i, c in enumerate(counts) if c < cap]
    while missing > 0 and open_slots:
        i = rng.randrange(len(open_slots))
        index = open_slots[i]
        counts[index] += 1
        missing -= 1
        if counts[index] >= cap:
            open_slots[i] = open_slots[-1]
            open_slots.pop()
    while missing < 0:  # rounding up overshot: take back from random non-empty entries
        index = rng.randrange(len(counts))
        if counts[index]:
            counts[index] -= 1
            missing += 1
    return counts


def moments(rng: random.Random, start: datetime, count: int) -> list[datetime]:
    """``count`` sorted moments after ``start``, denser in the first days."""
    first = start + FIRST_REACTION
    span = max((END - first).total_seconds(), 3600.0)
    return sorted(first + timedelta(seconds=span * rng.random() ** 2) for _ in range(count))


# The load ---------------------------------------------------------------------------------------
@dataclass
class ProposalPlan:
    id: int
    forum_number: int
    forum_id: int
    theme_id: int | None
    author: int
    status: str
    is_hidden: bool
    is_locked: bool
    is_pinned: bool
    created: datetime
    comments: int = 0
    supports: int = 0


def load(scale: Scale, database_url: str, seed: int) -> dict:
    """Write users, proposals, comments and supports; returns the manifest's targets."""
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    import config
    import forum.models  # noqa: F401  (every table in the metadata)
    from forum.extensions import db

    rng = random.Random(seed)
    corpus = CorpusGenerator(seed)
    engine = sa.create_engine(sa_url(database_url))
    dialect = engine.dialect.name
    tables = db.metadata.tables
    with engine.connect() as connection:
        forums = {number: (fid, slug, phase) for fid, number, slug, phase in connection.execute(
            sa.text("SELECT id, number, slug, phase FROM forums"))}
        themes: dict[int, list[int]] = {}
        for theme_id, forum_id in connection.execute(sa.text("SELECT id, forum_id FROM themes ORDER BY position")):
            themes.setdefault(forum_id, []).append(theme_id)
        first_id = {name: (connection.scalar(sa.text(f"SELECT max(id) FROM {name}")) or 0) + 1
                    for name in ("users", "proposals", "comments", "supports")}
    if sorted(forums) != list(range(1, 11)):
        raise SystemExit(f"expected forums 1..10 after seeding, found {sorted(forums)}")

    raw = engine.raw_connection()
    dbapi = raw.driver_connection
    if dialect == "sqlite":
        dbapi.execute("PRAGMA synchronous = OFF")
        dbapi.execute("BEGIN")
    started = time.perf_counter()

    # Users ------------------------------------------------------------------------------
    method = config.config_from_environment().PASSWORD_HASH_METHOD
    password_hash = generate_password_hash(BENCH_PASSWORD, method=method)
    unit_pool = people.units(scale.units, seed)
    unit_weights = [1.0 / (rank + 10) ** 0.3 for rank in range(len(unit_pool))]
    user_ids = list(range(first_id["users"], first_id["users"] + scale.users))
    bench_ids = user_ids[:BENCH_ACCOUNTS]
    crowd = user_ids[BENCH_ACCOUNTS:]
    sink = Sink(dbapi, dialect, tables["users"], ["id", "email", "full_name", "unit", "province", "role",
                                                  "is_active", "password_hash", "session_token", "created_at"])
    chosen_units = rng.choices(unit_pool, weights=unit_weights, k=scale.users)
    for index, user_id in enumerate(user_ids):
        if index < BENCH_ACCOUNTS:
            email = f"bench-{index + 1}@{EMAIL_DOMAIN}"
        else:
            email = f"dai-bieu-{index + 1:05d}@{EMAIL_DOMAIN}"
        unit, province = chosen_units[index]
        role = "moderator" if index >= BENCH_ACCOUNTS and rng.random() < 0.004 else "delegate"
        created = START - timedelta(days=20) + timedelta(seconds=rng.random() * 15 * 86_400)
        sink.add((user_id, email, people.full_name(rng), unit, province, role, True, password_hash,
                  secrets.token_urlsafe(24), created))
    sink.close()
    log(f"users: {sink.count} in {time.perf_counter() - started:.1f} s")

    # Proposal plans: forum, author, status and how many comments and supports each gets.
    forum_numbers = rng.choices(range(1, 11), weights=FORUM_SHARES, k=scale.proposals)
    plans: list[ProposalPlan] = []
    span = (END - START).total_seconds() - 2 * 86_400
    status_names = [s for s, _ in STATUSES]
    status_weights = [w for _, w in STATUSES]
    for index in range(scale.proposals):
        number = forum_numbers[index]
        forum_id = forums[number][0]
        status = rng.choices(status_names, weights=status_weights)[0]
        plans.append(ProposalPlan(
            id=first_id["proposals"] + index,
            forum_number=number,
            forum_id=forum_id,
            theme_id=rng.choice(themes[forum_id]) if themes.get(forum_id) else None,
            author=crowd[int(len(crowd) * rng.random() ** 1.5)],
            status=status,
            is_hidden=rng.random() < 0.01,
            is_locked=rng.random() < 0.005,
            is_pinned=False,
            created=START + timedelta(seconds=span * index / scale.proposals + rng.random()),
        ))
    by_forum: dict[int, list[ProposalPlan]] = {}
    for plan in plans:
        by_forum.setdefault(plan.forum_number, []).append(plan)
    for number, forum_plans in by_forum.items():
        active = [p for p in forum_plans if p.status in ACTIVE and not p.is_hidden]
        for plan in rng.sample(active, min(2, len(active))):
            plan.is_pinned = True
    open_ready = [p for p in by_forum[1] if p.status == "published" and not (p.is_hidden or p.is_locked or p.is_pinned)]
    rng.shuffle(open_ready)
    long_threads = open_ready[:scale.long_threads]
    short_thread = open_ready[scale.long_threads]
    support_targets = [p.id for p in open_ready[scale.long_threads + 1:][:TARGETS]]
    comment_targets = [p.id for p in open_ready[scale.long_threads + 1 + TARGETS:][:TARGETS]]
    fixed = {p.id: LONG_THREAD for p in long_threads} | {short_thread.id: SHORT_THREAD}
    free = [p for p in plans if p.id not in fixed]
    comment_counts = spread(scale.comments - sum(fixed.values()),
                            [rng.lognormvariate(0, 0.9) for _ in free], cap=LONG_THREAD - 100, rng=rng)
    for plan, count in zip(free, comment_counts):
        plan.comments = count
    for plan in plans:
        plan.comments = fixed.get(plan.id, plan.comments)
    support_counts = spread(scale.supports, [rng.lognormvariate(0, 1.3) for _ in plans],
                            cap=int(len(crowd) * 0.6), rng=rng)
    for plan, count in zip(plans, support_counts):
        plan.supports = count

    # Proposals ----------------------------------------------------------------------------
    sink = Sink(dbapi, dialect, tables["proposals"], [
        "id", "forum_id", "theme_id", "author_id", "title", "body", "body_html", "status", "is_hidden",
        "is_locked", "is_pinned", "support_count", "comment_count", "created_at", "updated_at", "withdrawn_at"])
    for index, plan in enumerate(plans):
        body = paragraphs(corpus, rng, rng.randint(2, 4), (1, 4))
        withdrawn = plan.created + timedelta(days=rng.uniform(0.5, 10)) if plan.status == "withdrawn" else None
        sink.add((plan.id, plan.forum_id, plan.theme_id, plan.author, corpus.title()[:200], body,
                  render_plain(body, check=index % 500 == 0), plan.status, plan.is_hidden, plan.is_locked,
                  plan.is_pinned, plan.supports, plan.comments, plan.created, plan.created, withdrawn))
    sink.close()
    log(f"proposals: {sink.count} in {time.perf_counter() - started:.1f} s")

    # Comments: one level of replies, a few hidden, in time order within each proposal.
    sink = Sink(dbapi, dialect, tables["comments"], [
        "id", "proposal_id", "parent_id", "author_id", "body", "body_html", "is_hidden", "created_at",
        "updated_at"])
    comment_id = first_id["comments"]
    for plan in plans:
        top_level: list[int] = []
        for moment in moments(rng, plan.created, plan.comments):
            parent = None
            if top_level and rng.random() < 0.25:
                parent = top_level[-1 - min(int(rng.expovariate(0.3)), len(top_level) - 1)]
            body = paragraphs(corpus, rng, 1 if rng.random() < 0.8 else 2, (1, 4))
            sink.add((comment_id, plan.id, parent, crowd[int(len(crowd) * rng.random() ** 1.3)], body,
                      render_plain(body, check=comment_id % 5_000 == 0),
                      plan.id not in fixed and rng.random() < 0.01, moment, moment))
            if parent is None:
                top_level.append(comment_id)
            comment_id += 1
    sink.close()
    log(f"comments: {sink.count} in {time.perf_counter() - started:.1f} s")

    # Supports: distinct delegates per proposal, never its author nor a bench account.
    sink = Sink(dbapi, dialect, tables["supports"], ["id", "proposal_id", "user_id", "created_at"])
    support_id = first_id["supports"]
    for plan in plans:
        if not plan.supports:
            continue
        supporters = [u for u in rng.sample(crowd, plan.supports + 1) if u != plan.author][:plan.supports]
        for user_id, moment in zip(supporters, moments(rng, plan.created, plan.supports)):
            sink.add((support_id, plan.id, user_id, moment))
            support_id += 1
    sink.close()
    log(f"supports: {sink.count} in {time.perf_counter() - started:.1f} s")

    dbapi.commit()
    if dialect == "postgresql":
        dbapi.autocommit = True
        with dbapi.cursor() as cursor:
            for name in ("users", "proposals", "comments", "supports"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
            cursor.execute("VACUUM ANALYZE")
    else:
        dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    engine.dispose()
    log(f"bulk load done in {time.perf_counter() - started:.1f} s")
    forum_id, slug, phase = forums[1]
    return {
        "forum_phase": phase,
        "forum_number": 1,
        "forum_slug": slug,
        "forum_proposals": len(by_forum[1]),
        "long_thread_ids": [p.id for p in long_threads],
        "short_thread_id": short_thread.id,
        "support_target_ids": support_targets,
        "comment_target_ids": comment_targets,
        "bench_emails": [f"bench-{i + 1}@{EMAIL_DOMAIN}" for i in range(len(bench_ids))],
        "password": BENCH_PASSWORD,
    }


def repair(env: dict[str, str]) -> None:
    """Run every repair command of the app (the settings come from ``env``)."""
    from forum import create_app

    # config.py was read when bench.corpus imported the app: hand the settings over directly.
    app = create_app(SECRET_KEY=env["SECRET_KEY"], SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"],
                     SEARCH_BACKEND=env["SEARCH_BACKEND"], SEARCH_INDEX_DIR=env["SEARCH_INDEX_DIR"])
    for command in repair_commands(app):
        flask(env, *command)


def upgrade(data_dir: Path, commit: str) -> int:
    """Migrate an existing dataset and repair its counters, as an operator would upgrade."""
    path = data_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    env = app_environment(manifest["database_url"], manifest["search_backend"], Path(manifest["search_dir"]))
    os.environ.update(env)
    flask(env, "db", "upgrade")
    repair(env)
    flask(env, "search", "sync")
    manifest.setdefault("upgrades", []).append(
        {"commit": commit, "at": datetime.now(UTC).isoformat(timespec="seconds")})
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    log(f"dataset in {data_dir} upgraded to {commit}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), required=True)
    parser.add_argument("--database-url", help="default: per scale (SQLite file in the data directory, or "
                                               "the PostgreSQL database hienke_bench_national)")
    parser.add_argument("--search-backend", choices=["whoosh", "postgres"],
                        help="default: per scale (congress whoosh, national postgres)")
    parser.add_argument("--search-dir", type=Path, help="Whoosh index (default: DATA_DIR/search-index)")
    parser.add_argument("--data-dir", type=Path, help=f"where manifest.json goes (default {DATA_ROOT}/SCALE)")
    parser.add_argument("--reset", action="store_true", help="empty the database (and index) first")
    parser.add_argument("--upgrade", action="store_true",
                        help="bring the existing dataset in DATA_DIR to this checkout: flask db upgrade, the "
                             "repair commands and search sync (no new rows, no reindex)")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args(argv)

    scale = SCALES[args.scale]
    data_dir = args.data_dir or DATA_ROOT / scale.name
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or scale.database_url
    search_dir = args.search_dir or data_dir / "search-index"
    search_backend = args.search_backend or scale.search_backend
    began = time.perf_counter()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    if args.upgrade:
        return upgrade(data_dir, commit)
    prepare_database(database_url, search_dir, args.reset)
    env = app_environment(database_url, search_backend, search_dir)
    os.environ.update(env)  # config.py reads the environment when imported

    flask(env, "db", "upgrade")
    flask(env, "forum", "seed-demo")
    targets = load(scale, database_url, args.seed)
    if targets["forum_phase"] != "open":  # the POST benchmarks need a forum that takes comments
        flask(env, "forum", "set-phase", "1", "open")
        targets["forum_phase"] = "open"

    repair(env)
    flask(env, "search", "reindex")
    flask(env, "search", "sync")

    manifest = {
        "scale": scale.name,
        "database_url": database_url,
        "search_backend": search_backend,
        "search_dir": str(search_dir),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generated_by_commit": commit,
        "counts": {"users": scale.users, "proposals": scale.proposals, "comments": scale.comments,
                   "supports": scale.supports},
        **targets,
    }
    (data_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    log(f"dataset {scale.name} ready in {(time.perf_counter() - began) / 60:.1f} min; "
        f"manifest: {data_dir / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
