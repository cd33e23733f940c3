"""The load-test dataset generator (bench/dataset.py): its pieces, and a whole run at the
``tiny`` scale through the app's own migrations, seeding, repair commands and reindex,
so that a schema change which breaks the generator shows up here."""
import json
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from bench import dataset
from bench.corpus import CorpusGenerator
from config import TestingConfig
from forum import create_app
from forum.core.markup import render_markup

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL", "").strip() else ["sqlite"]


def test_spread_sums_to_the_total_and_respects_the_cap():
    rng = random.Random(1)
    weights = [rng.lognormvariate(0, 1.3) for _ in range(1_000)]
    counts = dataset.spread(30_000, weights, cap=100, rng=rng)
    assert sum(counts) == 30_000
    assert max(counts) == 100
    assert min(counts) >= 0


def test_fast_rendering_is_what_the_app_renders():
    corpus, rng = CorpusGenerator(7), random.Random(7)
    for _ in range(200):
        body = dataset.paragraphs(corpus, rng, rng.randint(1, 4), (1, 4))
        assert dataset.render_plain(body, check=False) == render_markup(body)


def test_repair_commands_are_found_by_introspection(tmp_path):
    app = create_app(TestingConfig, SEARCH_INDEX_DIR=str(tmp_path / "index"))
    commands = dataset.repair_commands(app)
    assert ["votes", "verify", "--repair"] in commands
    assert all(command[0] != "search" for command in commands)


@pytest.fixture(params=BACKENDS)
def bench_database(request, tmp_path):
    """(database URL, search backend): a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bench.sqlite3'}", "whoosh"
        return
    server = sa.make_url(request.getfixturevalue("postgres_server_url"))
    name = f"hienke_test_bench_{uuid.uuid4().hex[:10]}"
    yield server.set(database=name).render_as_string(hide_password=False), "postgres"
    admin = sa.create_engine(server.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT",
                             poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def generate(database_url, search_backend, data_dir, *extra):
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dataset.py"), "--scale", "tiny", "--database-url", database_url,
         "--search-backend", search_backend, "--data-dir", str(data_dir), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow  # runs bench/dataset.py in a subprocess
def test_tiny_dataset_is_consistent_and_refuses_a_second_load(bench_database, tmp_path):
    database_url, search_backend = bench_database
    data_dir = tmp_path / "data"
    run = generate(database_url, search_backend, data_dir)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "flask votes verify --repair" in run.stdout
    manifest = json.loads((data_dir / "manifest.json").read_text())
    scale = dataset.SCALES["tiny"]

    engine = sa.create_engine(dataset.sa_url(database_url))
    with engine.connect() as connection:
        def count(sql, **params):
            return connection.scalar(sa.text(sql), params)

        domain = f"%@{dataset.EMAIL_DOMAIN}"
        assert count("SELECT count(*) FROM users WHERE email LIKE :d", d=domain) == scale.users
        assert count("SELECT count(*) FROM comments c JOIN users u ON u.id = c.author_id "
                     "WHERE u.email LIKE :d", d=domain) == scale.comments
        assert count("SELECT count(*) FROM supports s JOIN users u ON u.id = s.user_id "
                     "WHERE u.email LIKE :d", d=domain) == scale.supports
        # Counters equal rows, for the generated and the demo proposals alike.
        assert count("SELECT count(*) FROM proposals p WHERE support_count != "
                     "(SELECT count(*) FROM supports s WHERE s.proposal_id = p.id)") == 0
        assert count("SELECT count(*) FROM proposals p WHERE comment_count != "
                     "(SELECT count(*) FROM comments c WHERE c.proposal_id = p.id)") == 0
        assert count("SELECT count(*) FROM supports s JOIN proposals p ON p.id = s.proposal_id "
                     "WHERE s.user_id = p.author_id") == 0
        # Replies are one level deep, on the same proposal.
        assert count("SELECT count(*) FROM comments r JOIN comments c ON c.id = r.parent_id "
                     "WHERE c.parent_id IS NOT NULL OR c.proposal_id != r.proposal_id") == 0
        assert count("SELECT count(*) FROM comments WHERE parent_id IS NOT NULL") > 0
        for long_id in manifest["long_thread_ids"]:
            assert count("SELECT comment_count FROM proposals WHERE id = :i", i=long_id) == dataset.LONG_THREAD
        assert count("SELECT comment_count FROM proposals WHERE id = :i",
                     i=manifest["short_thread_id"]) == dataset.SHORT_THREAD
        forum_id = count("SELECT id FROM forums WHERE slug = :s", s=manifest["forum_slug"])
        assert count("SELECT phase FROM forums WHERE id = :f", f=forum_id) == "open"
        for target in manifest["support_target_ids"] + manifest["comment_target_ids"]:
            row = connection.execute(sa.text("SELECT forum_id, status, is_hidden, is_locked FROM proposals "
                                             "WHERE id = :i"), {"i": target}).one()
            assert tuple(row) == (forum_id, "published", False, False)
        password_hash = count("SELECT password_hash FROM users WHERE email = :e", e=manifest["bench_emails"][0])
        assert check_password_hash(password_hash, manifest["password"])
        assert count("SELECT count(*) FROM supports s JOIN users u ON u.id = s.user_id "
                     "WHERE u.email LIKE 'bench-%'") == 0
        assert count("SELECT count(*) FROM search_outbox") == 0
    engine.dispose()

    again = generate(database_url, search_backend, data_dir)
    assert again.returncode != 0
    assert "--reset" in again.stderr

    upgraded = generate(database_url, search_backend, data_dir, "--upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert "flask votes verify --repair" in upgraded.stdout
    assert len(json.loads((data_dir / "manifest.json").read_text())["upgrades"]) == 1
