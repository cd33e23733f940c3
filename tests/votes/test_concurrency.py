"""Supports stay exact under concurrency, on a file SQLite database and on PostgreSQL.

Races are probabilistic: these tests release many requests at once on a barrier so that
a check-then-insert or read-modify-write implementation loses updates or duplicates
rows here. Each test asserts that the stored
count equals the rows, that nobody has two rows, and that no request failed.
"""
import multiprocessing
import queue
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.extensions import db
from forum.proposals.models import Proposal
from forum.votes import services
from forum.votes.models import Support
from tests.helpers import AuthActions
from tests.factories import make_forum, make_proposal, make_user
from tests.votes.helpers import JSON, count_and_rows

USERS = 24
STORM_CLICKS = 10
BARRIER_TIMEOUT = 120

pytestmark = pytest.mark.slow  # stress runs: many threads and processes at once


def create_scene(app, users: int) -> tuple[int, list[str], str]:
    """A voting forum's proposal, ``users`` delegates and one double-clicking delegate."""
    with app.app_context():
        forum = make_forum(phase="voting")
        proposal = make_proposal(forum, make_user())
        emails = [make_user().email for _ in range(users)]
        return proposal.id, emails, make_user().email


def logged_in_client(app, email):
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    return client


def fire_at_once(requests):
    """Run the ``(client, url)`` posts in threads released together; return the responses."""
    barrier = threading.Barrier(len(requests))

    def post(request):
        client, url = request
        barrier.wait(timeout=BARRIER_TIMEOUT)
        response = client.post(url, headers=JSON)
        return response.status_code, response.get_json(silent=True)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(post, requests))


def assert_no_duplicates(app, proposal_id):
    with app.app_context():
        duplicated = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(Support.user_id)
                .where(Support.proposal_id == proposal_id)
                .group_by(Support.user_id)
                .having(sa.func.count() > 1)
                .subquery()
            )
        )
    assert duplicated == 0


def test_many_users_and_a_double_click_storm_count_exactly(app):
    proposal_id, emails, storm_email = create_scene(app, USERS)
    support_url = f"/proposals/{proposal_id}/support"
    unsupport_url = f"/proposals/{proposal_id}/unsupport"
    clients = [logged_in_client(app, email) for email in emails]
    # One delegate clicking ten times at once, from ten tabs.
    storm = [logged_in_client(app, storm_email) for _ in range(STORM_CLICKS)]
    everyone = clients + storm

    answers = fire_at_once([(client, support_url) for client in everyone])
    assert [status for status, _ in answers] == [200] * len(everyone)
    assert all(body["supported"] is True for _, body in answers)
    counts = sorted(body["support_count"] for _, body in answers)
    assert 1 <= counts[0] and counts[-1] == USERS + 1
    assert count_and_rows(app, proposal_id) == (USERS + 1, USERS + 1)
    assert_no_duplicates(app, proposal_id)

    answers = fire_at_once([(client, unsupport_url) for client in everyone])
    assert [status for status, _ in answers] == [200] * len(everyone)
    assert all(body["supported"] is False for _, body in answers)
    assert min(body["support_count"] for _, body in answers) == 0
    assert count_and_rows(app, proposal_id) == (0, 0)


def test_support_and_withdraw_mixed_at_once(app):
    """Half support, half (who already support) withdraw, each twice, all at once."""
    proposal_id, emails, _ = create_scene(app, USERS)
    supporters, withdrawers = emails[: USERS // 2], emails[USERS // 2 :]
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        for user in db.session.scalars(sa.select(User).where(User.email.in_(withdrawers))):
            services.support_proposal(proposal, actor=user)
        db.session.commit()
    assert count_and_rows(app, proposal_id) == (len(withdrawers), len(withdrawers))

    requests = []
    for email in supporters:
        client = logged_in_client(app, email)
        requests += [(client, f"/proposals/{proposal_id}/support")] * 2
    for email in withdrawers:
        client = logged_in_client(app, email)
        requests += [(client, f"/proposals/{proposal_id}/unsupport")] * 2
    answers = fire_at_once(requests)

    assert {status for status, _ in answers} == {200}
    assert count_and_rows(app, proposal_id) == (len(supporters), len(supporters))
    assert_no_duplicates(app, proposal_id)


def test_service_called_from_many_threads_is_exact(app):
    """The service alone (no HTTP): each thread its own app context and session."""
    proposal_id, emails, storm_email = create_scene(app, USERS)
    actors = emails + [storm_email] * STORM_CLICKS
    barrier = threading.Barrier(len(actors))

    def support(email):
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            proposal = db.session.get(Proposal, proposal_id)
            db.session.commit()  # end the read; the barrier must not hold a write lock
            barrier.wait(timeout=BARRIER_TIMEOUT)
            state = services.support_proposal(proposal, actor=user)
            db.session.commit()
            return state.changed

    with ThreadPoolExecutor(max_workers=len(actors)) as pool:
        changed = list(pool.map(support, actors))
    assert changed.count(True) == USERS + 1
    assert count_and_rows(app, proposal_id) == (USERS + 1, USERS + 1)


# Several processes, each with its own app, on the same database ---------------------------
PROCESSES = 4
USERS_PER_PROCESS = 6
SHARED_CLICKS_PER_PROCESS = 3


def _hammer(database_url, tmp_dir, proposal_id, emails, shared_email, barrier, results):
    """Child process: log in, wait for all processes, support; wait again, withdraw half."""
    try:
        from config import TestingConfig
        from forum import create_app

        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, SEARCH_INDEX_DIR=tmp_dir)
        own = [logged_in_client(app, email) for email in emails]
        shared = [logged_in_client(app, shared_email) for _ in range(SHARED_CLICKS_PER_PROCESS)]
        support_url = f"/proposals/{proposal_id}/support"
        unsupport_url = f"/proposals/{proposal_id}/unsupport"

        barrier.wait(timeout=BARRIER_TIMEOUT)
        statuses = [status for status, _ in fire_at_once([(c, support_url) for c in own + shared])]

        barrier.wait(timeout=BARRIER_TIMEOUT)
        # Every second delegate withdraws, twice; the shared delegate withdraws from every process.
        leaving = own[::2] * 2 + shared
        statuses += [status for status, _ in fire_at_once([(c, unsupport_url) for c in leaving])]
        with app.app_context():
            db.engine.dispose()
        results.put(("ok", statuses))
    except BaseException:  # report everything to the parent, which asserts
        results.put(("error", traceback.format_exc()))
        barrier.abort()


def test_several_processes_hammering_one_proposal(app, database_url, tmp_path):
    proposal_id, emails, shared_email = create_scene(app, PROCESSES * USERS_PER_PROCESS)
    with app.app_context():
        db.engine.dispose()  # no connection of the parent stays open during the run
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(
            target=_hammer,
            args=(
                database_url,
                str(tmp_path / f"index-{index}"),
                proposal_id,
                emails[index * USERS_PER_PROCESS : (index + 1) * USERS_PER_PROCESS],
                shared_email,
                barrier,
                results,
            ),
        )
        for index in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    reports = []
    try:
        for _ in processes:
            reports.append(results.get(timeout=300))
    except queue.Empty:
        pytest.fail(f"only {len(reports)} of {PROCESSES} processes reported: {reports}")
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()

    errors = [detail for kind, detail in reports if kind == "error"]
    assert not errors, "\n".join(errors)
    statuses = [status for _, process_statuses in reports for status in process_statuses]
    assert set(statuses) == {200}
    staying = PROCESSES * (USERS_PER_PROCESS // 2)  # every second delegate withdrew; shared one too
    assert count_and_rows(app, proposal_id) == (staying, staying)
    assert_no_duplicates(app, proposal_id)
