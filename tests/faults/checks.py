"""What every experiment asserts on its request log, the database and gunicorn's log, and
the row of the summary table it records.

Supports are reconciled per (delegate, proposal): a delegate sends its requests one at a
time, so the server saw them in the order sent. The final state must be the one the
last acknowledged request (2xx JSON) left, unless a later unacknowledged request (an
error answer, a 503, a dropped connection) could have changed it: then the state that
request asked for is allowed too. Pairs nobody touched must be as they were.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from tests.faults.storm import Record

VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
OUTAGE = re.compile(r"\b(OUTAGE|RECOVERED) ([a-z-]+):")
PID = re.compile(r"\[(\d+)\]")


@dataclass
class Row:
    """One line of the summary table (tests/faults/conftest.py prints them)."""

    experiment: str
    requests: int = 0
    ok_2xx: int = 0
    answered_503: int = 0
    with_retry_after: int = 0
    other_5xx: int = 0
    answered_500: int = 0
    connection_errors: int = 0
    max_latency: float = 0.0
    lost_writes: int = 0
    recovery_seconds: float | None = None
    outcome: str = "passed"
    notes: str = ""  # what else the experiment measured (respawn time, when RECOVERED was logged…)

    def as_dict(self) -> dict:
        return asdict(self)


def tally(experiment: str, records: list[Record]) -> Row:
    row = Row(experiment=experiment, requests=len(records))
    for record in records:
        if record.error:
            row.connection_errors += 1
            continue
        if 200 <= record.status < 300:
            row.ok_2xx += 1
        elif record.status == 503:
            row.answered_503 += 1
            row.with_retry_after += bool(retry_after_seconds(record) is not None)
        elif record.status >= 500:
            row.other_5xx += 1
            row.answered_500 += record.status == 500
    row.max_latency = max((record.latency for record in records), default=0.0)
    return row


def retry_after_seconds(record: Record) -> int | None:
    """Retry-After as the contract wants it: a whole number of seconds."""
    value = (record.retry_after or "").strip()
    return int(value) if value.isdigit() else None


# Writes ----------------------------------------------------------------------------------------------
Pair = tuple[int, int]  # (user id, proposal id)


def reconcile(records: list[Record], before: set[Pair], after: set[Pair]) -> tuple[list[str], int]:
    """Problems with the final support rows, and how many acknowledged writes are not
    reflected (lost writes)."""
    problems, lost = [], 0
    writes: dict[Pair, list[Record]] = {}
    for record in sorted(records, key=lambda r: r.start):
        if record.is_write:
            writes.setdefault((record.who, record.proposal_id), []).append(record)
    for record in records:
        if record.acked and record.supported != (record.action == "support"):
            problems.append(f"acknowledged {record.action} answered supported={record.supported}: {record.describe()}")
    for pair in before | after | set(writes):
        sent = writes.get(pair, [])
        state = pair in before
        last_ack = None
        for index, record in enumerate(sent):
            if record.acked:
                state, last_ack = record.supported, index
        allowed = {state}
        later = sent[last_ack + 1:] if last_ack is not None else sent
        for record in later:  # unacknowledged: it may or may not have happened
            allowed.add(record.action == "support")
        final = pair in after
        if final not in allowed:
            user, proposal = pair
            if not sent:
                problems.append(f"support of user {user} on proposal {proposal} changed "
                                f"({pair in before} → {final}) though nobody asked")
            elif last_ack is not None and len(allowed) == 1:
                lost += 1
                problems.append(f"lost write: user {user}, proposal {proposal}: last acknowledged "
                                f"{sent[last_ack].action} at {sent[last_ack].start:.2f}s, "
                                f"database says supported={final}")
            else:
                problems.append(f"user {user}, proposal {proposal}: supported={final} in the database, "
                                f"which no request could have caused (allowed {sorted(allowed)})")
    return problems, lost


# Answers ---------------------------------------------------------------------------------------------
def answer_problems(records: list[Record], *, allow_503: bool) -> list[str]:
    """No 500 (nor any 5xx but 503); each 503 with an integer Retry-After and in the
    site's language: JSON {"error","message","request_id"} for the support button, a
    Vietnamese page otherwise; no 429 for the paced storm."""
    problems = []
    for record in records:
        if record.error:
            continue
        if record.status >= 500 and record.status != 503:
            problems.append(f"answered {record.status}: {record.describe()}")
        elif record.status == 503:
            if not allow_503:
                problems.append(f"503 where the site should work normally: {record.describe()}")
            if retry_after_seconds(record) is None:
                problems.append(f"503 without an integer Retry-After ({record.retry_after!r}): {record.describe()}")
            if record.is_write:
                if "json" not in record.content_type or not all(f'"{key}"' in record.body
                                                                for key in ("error", "message", "request_id")):
                    problems.append(f"503 to a JSON request is not the JSON error: {record.describe()}")
            elif not VIETNAMESE.search(record.body):
                problems.append(f"503 page is not in Vietnamese: {record.describe()}")
        elif record.status == 429:
            problems.append(f"429 for paced traffic (rate limits misjudge the storm): {record.describe()}")
    return problems


def first(problems: list[str], examples: int = 2) -> str:
    """The problems grouped by kind (their text before the first colon, numbers aside),
    each kind with its count and its first examples."""
    kinds: dict[str, list[str]] = {}
    for problem in problems:
        kind = re.sub(r"\d+(\.\d+)?", "N", problem.split("\n", 1)[0].split(": ", 1)[0])[:160]
        kinds.setdefault(kind, []).append(problem)
    lines = [f"{len(problems)} problem(s) of {len(kinds)} kind(s):"]
    for kind, found in kinds.items():
        lines.append(f"- {len(found)} × {kind}")
        lines.extend(f"    e.g. {example[:700]}" for example in found[:examples])
    return "\n".join(lines)


# gunicorn's log --------------------------------------------------------------------------------------
def log_problems(text: str, *, fault_kind: str | None) -> list[str]:
    """No traceback, no worker killed for its timeout; with ``fault_kind``, each process
    that logged ``OUTAGE <kind>:`` logged it once, and at least one did, then
    ``RECOVERED <kind>:``."""
    problems = []
    if "Traceback" in text:
        index = text.index("Traceback")
        problems.append(f"{text.count('Traceback')} traceback(s) in gunicorn's log, the first:\n"
                        + text[max(0, index - 300):index + 1500])
    if "WORKER TIMEOUT" in text:
        problems.append("gunicorn killed a worker for its timeout (WORKER TIMEOUT in its log)")
    if fault_kind is None:
        return problems
    outage, recovered = outage_lines(text, fault_kind)
    lines = {"OUTAGE": outage, "RECOVERED": recovered}
    if not lines["OUTAGE"]:
        problems.append(f"no 'OUTAGE {fault_kind}:' line in gunicorn's log")
    if not lines["RECOVERED"]:
        problems.append(f"no 'RECOVERED {fault_kind}:' line in gunicorn's log")
    outage_pids, recovered_pids = {_pid(line) for line in outage}, {_pid(line) for line in recovered}
    if None not in outage_pids | recovered_pids and outage_pids - recovered_pids:
        problems.append(f"process(es) {sorted(outage_pids - recovered_pids)} logged 'OUTAGE {fault_kind}:' "
                        f"but never 'RECOVERED {fault_kind}:'")
    for word, found in lines.items():
        pids = [_pid(line) for line in found]
        if None not in pids and len(pids) != len(set(pids)):
            problems.append(f"more than one '{word} {fault_kind}:' line per process:\n" + "\n".join(found))
        if found and not any("WARNING" in line for line in found) and word == "OUTAGE":
            problems.append(f"'OUTAGE {fault_kind}:' is not logged at WARNING level:\n" + "\n".join(found))
    return problems


def outage_lines(text: str, kind: str) -> tuple[list[str], list[str]]:
    """The ``OUTAGE <kind>:`` and ``RECOVERED <kind>:`` lines of a log."""
    lines: dict[str, list[str]] = {"OUTAGE": [], "RECOVERED": []}
    for line in text.splitlines():
        match = OUTAGE.search(line)
        if match and match.group(2) == kind:
            lines[match.group(1)].append(line)
    return lines["OUTAGE"], lines["RECOVERED"]


def _pid(line: str) -> str | None:
    """The process id gunicorn's format puts in brackets (``[time] [pid] [LEVEL]``)."""
    for match in PID.finditer(line):
        return match.group(1)
    return None
