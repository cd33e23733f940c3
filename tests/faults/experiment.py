"""The frame every fault experiment shares: build the site, serve it with gunicorn, log
the delegates in, run the storm around the fault, then check everything and record the
experiment's row of the summary table (even when a check fails)."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from tests.faults.checks import Row, answer_problems, first, log_problems, outage_lines, reconcile, tally
from tests.faults.services import Gunicorn, free_port
from tests.faults.site import PASSWORD, Site
from tests.faults.storm import Delegate, RequestLog, Storm, until_normal

DELEGATES = 16
WARM_UP = 3.0  # seconds of storm before the fault
AFTER = 3.0  # seconds of storm after recovery
RECOVERY_LIMIT = 2.0  # the site answers normally this soon after the fault ends
RECOVERED_LINE_WAIT = 40.0  # seconds the storm goes on for the processes to log RECOVERED


class Experiment:
    def __init__(self, name: str, site: Site, workdir: Path, record_row):
        self.name, self.site, self.workdir, self._record_row = name, site, workdir, record_row
        self.port = free_port()
        self.server = Gunicorn(site.env, self.port, workdir / "gunicorn.log")
        self.log = RequestLog()
        self.problems: list[str] = []
        self.recovery: float | None = None
        self.delegates: list[Delegate] = []
        self.probe: Delegate | None = None
        self.before: set = set()
        self.notes: list[str] = []

    @contextmanager
    def running(self):
        """Build and serve the site, log everyone in; yields with the storm raging; stops
        the storm and the server whatever happens."""
        self.site.build(DELEGATES)
        self.server.start()
        storm = None
        try:
            self.server.wait_listening()
            users = self.site.delegates
            site = self.site
            delegates = [Delegate(self.port, user, site.targets, site.forum_path, PASSWORD, self.log) for user in users]
            self.delegates, self.probe = delegates[:-1], delegates[-1]
            for delegate in [*self.delegates, self.probe]:
                delegate.start_session()
            self.before = self.site.supports()
            self.log.mark("storm")
            storm = Storm(self.delegates)
            storm.start()
            time.sleep(WARM_UP)
            yield self
            time.sleep(AFTER)
        finally:
            if storm is not None:
                storm.stop()
            self.log.mark("storm ended")
            self.server.stop()
            for delegate in [*self.delegates, *([self.probe] if self.probe else [])]:
                delegate.session.close()

    def measure_recovery(self, since: str, limit: float = RECOVERY_LIMIT, deadline: float = 30.0) -> None:
        """From now (the fault's end, marked ``since``): home 200 and a write acknowledged."""
        self.recovery = until_normal(self.probe, deadline)
        if self.recovery is None:
            self.problems.append(f"the site did not answer normally within {deadline} s after {since}")
        elif self.recovery > limit:
            self.problems.append(f"the site answered normally {self.recovery:.2f} s after {since} "
                                 f"(more than {limit} s)")

    def await_recovered_lines(self, kind: str, since: str, cap: float = RECOVERED_LINE_WAIT) -> None:
        """Keep the storm going until every process that logged ``OUTAGE <kind>:`` logged
        ``RECOVERED <kind>:`` (a process may notice the end of a fault a while later, e.g. at
        its next health check), at most ``cap`` seconds; conclude() then checks the lines."""
        started = time.monotonic()
        while time.monotonic() - started < cap:
            outage, recovered = outage_lines(self.server.log_text(), kind)
            if not outage or len(recovered) >= len(outage):  # no OUTAGE line: nothing to wait for
                break
            time.sleep(0.2)
        self.log.mark(f"RECOVERED {kind} logged")
        self.notes.append(f"{len(outage)} OUTAGE / {len(recovered)} RECOVERED lines"
                          + (f" (all by {self.log.now() - self.log.marks[since]:.1f} s after the fault's end)"
                             if recovered else ""))

    def during(self, begin: str, end: str, records=None):
        """Requests sent and answered entirely between two marks."""
        low, high = self.log.marks[begin], self.log.marks[end]
        return [r for r in (records or self.log.snapshot()) if r.start >= low and r.end <= high]

    def conclude(self, *, allow_503: bool, fault_kind: str | None) -> Row:
        """Every check on the answers, the database and the log; records the row, then fails
        with every problem found."""
        records = self.log.snapshot()
        requests_path = self.workdir / "requests.jsonl"
        with requests_path.open("w", encoding="utf-8") as file:
            file.write(json.dumps({"marks": self.log.marks}) + "\n")
            for record in records:
                entry = asdict(record)
                entry.pop("csrf")
                file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        row = tally(self.name, records)
        row.recovery_seconds = self.recovery
        row.notes = "; ".join(self.notes)
        problems = list(self.problems)
        problems += answer_problems(records, allow_503=allow_503)
        write_problems, row.lost_writes = reconcile(records, self.before, self.site.supports())
        problems += write_problems
        problems += log_problems(self.server.log_text(), fault_kind=fault_kind)
        problems += self.site.consistency_problems()
        row.outcome = "failed" if problems else "passed"
        self._record_row(row)
        print(f"\n[faults] {self.name}: {row}")
        assert not problems, (f"{self.name}: {first(problems)}\n(gunicorn's log: {self.server.log_path}; "
                              f"every request: {requests_path})")
        return row
