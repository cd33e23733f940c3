"""One experiment's site: the app's environment (production profile), its database made
by the app's own commands (``flask db upgrade``, ``flask forum seed-demo``), the storm's
delegates (tests/faults/provision.py), and the checks run on the database afterwards
with the app's own commands (``flask votes verify``, ``flask proposals verify``,
``flask search sync`` then ``flask search verify``) and plain SQL.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tests.faults.services import ROOT, VENV_BIN

PASSWORD = "thu-loi-hienke-2026"
# The configured busy wait of the SQLite experiment (the contract's default is 3 s).
BUSY_WAIT_SECONDS = 3


@dataclass
class Site:
    workdir: Path
    database_url: str
    search_backend: str = "whoosh"
    redis_url: str | None = None
    delegates: list[dict] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    forum_path: str = "/"

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("FORUM_", "DATABASE_", "SEARCH_", "REDIS_", "RATELIMIT_"))}
        env.update(
            FLASK_APP="wsgi:app",
            FORUM_CONFIG="production",
            SECRET_KEY=self._secret_key,
            SESSION_COOKIE_SECURE="false",
            DATABASE_URL=self.database_url,
            SEARCH_BACKEND=self.search_backend,
            SEARCH_INDEX_DIR=str(self.workdir / "search-index"),
            DATABASE_BUSY_WAIT_SECONDS=str(BUSY_WAIT_SECONDS),
            # Fast password hashes: the storm logs in often (the method is a config knob).
            PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
            PYTHONUNBUFFERED="1",
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def __post_init__(self):
        self._secret_key = secrets.token_hex(32)

    # The app's commands -------------------------------------------------------------------------
    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if check and done.returncode != 0:
            raise AssertionError(f"flask {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def build(self, delegates: int) -> None:
        """Schema, demo data, delegates (``delegates`` + 1: the last one is the recovery probe)."""
        self.flask("db", "upgrade")
        self.flask("forum", "seed-demo")
        self.flask("search", "sync")
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.provision", str(delegates + 1), "storm", PASSWORD],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300,
        )
        if done.returncode != 0:
            raise AssertionError(f"provisioning failed:\n{done.stdout}\n{done.stderr}")
        made = json.loads(done.stdout.strip().splitlines()[-1])
        self.delegates, self.targets, self.forum_path = made["delegates"], made["targets"], made["forum_path"]
        assert len(self.targets) >= 4, f"too few proposals to support in the demo data: {self.targets}"

    # Reading the database --------------------------------------------------------------------------
    def engine(self) -> sa.Engine:
        url = sa.make_url(self.database_url)
        return sa.create_engine(url, poolclass=sa.pool.NullPool)

    def supports(self) -> set[tuple[int, int]]:
        """Every (user_id, proposal_id) that has a support row."""
        engine = self.engine()
        try:
            with engine.connect() as connection:
                return {tuple(row) for row in connection.execute(sa.text("SELECT user_id, proposal_id FROM supports"))}
        finally:
            engine.dispose()

    def count_drift(self) -> list[tuple[int, int, int]]:
        """(proposal, stored support_count, support rows) wherever they differ (plain SQL)."""
        engine = self.engine()
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(sa.text(
                    "SELECT p.id, p.support_count, (SELECT count(*) FROM supports s WHERE s.proposal_id = p.id) AS n "
                    "FROM proposals p WHERE p.support_count <> "
                    "(SELECT count(*) FROM supports s WHERE s.proposal_id = p.id)"))]
        finally:
            engine.dispose()

    def consistency_problems(self) -> list[str]:
        """What the app's own verify commands and a direct count find wrong (empty: none).
        The search index is first brought up to date (``flask search sync``): it must then
        match the database (``flask search verify``)."""
        problems = []
        for command in (("votes", "verify"), ("proposals", "verify")):
            done = self.flask(*command, check=False)
            if done.returncode != 0:
                problems.append(f"flask {' '.join(command)} exited {done.returncode}: {done.stdout.strip()[-500:]}"
                                f" {done.stderr.strip()[-1500:]}")
        drift = self.count_drift()
        if drift:
            problems.append(f"support_count differs from the rows (proposal, stored, rows): {drift}")
        sync = self.flask("search", "sync", check=False)
        if sync.returncode != 0:
            problems.append(f"flask search sync exited {sync.returncode}: {sync.stderr.strip()[-1500:]}")
        verify = self.flask("search", "verify", check=False)
        if verify.returncode != 0:
            problems.append(f"flask search verify exited {verify.returncode}: {verify.stdout.strip()[-500:]}"
                            f" {verify.stderr.strip()[-1500:]}")
        return problems
