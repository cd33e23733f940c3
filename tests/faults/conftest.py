"""Fixtures of the fault suite (its own PostgreSQL cluster, its own Redis, gunicorn) and
the summary table printed at the end of the run. The code they use lives in the modules
of tests/faults/ (tests import from there, never from this file).

In CI (``CI=true``) a missing pg_createcluster or redis-server fails instead of skipping.
"""
from __future__ import annotations

import fcntl

import pytest

from tests.faults.checks import Row
from tests.faults.services import PostgresCluster, RedisServer, free_port, reap_leftovers
from tests.helpers import require_service

ROW_PROPERTY = "fault_row"
EXPERIMENT_LOCK = "/tmp/hienke-faults.lock"


@pytest.fixture(scope="session", autouse=True)
def _no_leftovers_of_crashed_runs():
    """Clusters and processes of an earlier run whose pytest died go first."""
    for what in reap_leftovers():
        print(f"[faults] removed a leftover of a crashed run: {what}")


@pytest.fixture(autouse=True)
def _one_experiment_at_a_time():
    """Under xdist the experiments wait for each other (a machine-wide lock): two storms on
    two cores would measure each other's load rather than the faults."""
    with open(EXPERIMENT_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def postgres_cluster():
    """A PostgreSQL cluster of its own on a free port, dropped afterwards whatever happens."""
    missing = PostgresCluster.missing()
    if missing:
        require_service(missing)
    cluster = PostgresCluster(free_port())
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.drop()


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of its own on a free port, no persistence, killed afterwards."""
    if not RedisServer.available():
        require_service("the fault suite needs redis-server")
    server = RedisServer(free_port(), tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def record_row(request):
    """``record_row(row)``: the experiment's line of the summary table (kept on the test's
    report, so it reaches the terminal summary under xdist too)."""

    def record(row: Row) -> None:
        request.node.user_properties[:] = [p for p in request.node.user_properties if p[0] != ROW_PROPERTY]
        request.node.user_properties.append((ROW_PROPERTY, row.as_dict()))

    return record


def _cell(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}"


TITLES = ["experiment", "requests", "2xx", "503 (with Retry-After)", "other 5xx (500)", "conn. errors",
          "max latency", "lost writes", "recovery", "result", "notes"]


def _cells(row: dict) -> list[str]:
    return [
        row["experiment"], _cell(row["requests"]), _cell(row["ok_2xx"]),
        f"{row['answered_503']} ({row['with_retry_after']})", f"{row['other_5xx']} ({row['answered_500']})",
        _cell(row["connection_errors"]), _cell(row["max_latency"], " s"), _cell(row["lost_writes"]),
        _cell(row["recovery_seconds"], " s"), row["outcome"], row.get("notes", ""),
    ]


def pytest_terminal_summary(terminalreporter):
    rows = []
    for status in ("passed", "failed"):
        for report in terminalreporter.stats.get(status, []):
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == ROW_PROPERTY:
                    rows.append(dict(value, outcome=report.outcome))
    if not rows:
        return
    rows.sort(key=lambda row: row["experiment"])
    table = [_cells(row) for row in rows]
    titles = TITLES
    widths = [max(len(titles[i]), *(len(cells[i]) for cells in table)) for i in range(len(titles))]
    write = terminalreporter.write_line
    terminalreporter.section("fault experiments (tests/faults)")
    write(" | ".join(title.ljust(width) for title, width in zip(titles, widths)))
    write("-+-".join("-" * width for width in widths))
    for cells in table:
        write(" | ".join(cell.ljust(width) if i in (0, len(cells) - 1) else cell.rjust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths))).rstrip())
    write("recovery: seconds from the fault's end (the dependency back, the lock released, gunicorn "
          "restarted) to the home page 200 and a support acknowledged")
