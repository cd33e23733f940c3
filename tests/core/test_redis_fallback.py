"""Redis is an accelerator, not a dependency (issue 11): while it is unreachable, rate
limits and login lockouts are counted in each process's memory, requests answer as
usual, one line is logged per outage; when it is back, counts go to it again.

Each test runs its own ``redis-server`` on a free port (never the shared one).
"""
import logging
import shutil
import socket
import subprocess
import time

import pytest
import redis
from limits.storage import storage_from_string

from forum.core import outages, rate_limits
from forum.core.rate_limits import FallbackRedisStorage
from forum.extensions import db
from tests import factories
from tests.helpers import AuthActions, build_app, destroy_app, require_service


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on ``port``, started and stopped at will."""

    def __init__(self, port: int):
        self.port = port
        self.process = None

    def start(self):
        binary = shutil.which("redis-server")
        if binary is None:
            require_service("redis-server is not installed (Debian package redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _attempt in range(200):
            try:
                client.ping()
                return client
            except redis.ConnectionError:
                time.sleep(0.025)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def redis_port():
    return free_port()


@pytest.fixture
def redis_server(redis_port):
    server = RedisServer(redis_port)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_outages(monkeypatch):
    outages.reset()
    yield
    outages.reset()


def lines(caplog, prefix):
    return [r.getMessage() for r in caplog.records if r.name == "forum.outages" and r.getMessage().startswith(prefix)]


class TestStorage:
    def test_counts_in_memory_while_redis_is_down_and_in_redis_once_back(self, redis_port, redis_server, caplog,
                                                                          monkeypatch):
        storage = storage_from_string(f"fallback+redis://127.0.0.1:{redis_port}/0", timeout=0.2)
        assert isinstance(storage, FallbackRedisStorage)
        with caplog.at_level(logging.INFO, logger="forum.outages"):
            assert [storage.incr("login", 60) for _ in range(5)] == [1, 2, 3, 4, 5]
            assert storage.get("login") == 5 and storage.in_fallback
        assert len(lines(caplog, "OUTAGE redis:")) == 1
        assert "counted in each process's memory" in lines(caplog, "OUTAGE redis:")[0]

        client = redis_server.start()
        monkeypatch.setattr(rate_limits, "REDIS_RETRY_SECONDS", 0.0)
        with caplog.at_level(logging.INFO, logger="forum.outages"):
            assert storage.incr("login", 60) == 1  # Redis counts afresh: memory's counts stay behind
        assert not storage.in_fallback
        assert client.get("LIMITS:login") == b"1"
        assert len(lines(caplog, "RECOVERED redis:")) == 1

    def test_redis_is_retried_at_most_once_a_second_while_down(self, redis_port, monkeypatch):
        storage = storage_from_string(f"fallback+redis://127.0.0.1:{redis_port}/0")
        attempts = []
        real_incr = storage.redis.incr

        def counting_incr(*args, **kwargs):
            attempts.append(args)
            return real_incr(*args, **kwargs)

        monkeypatch.setattr(storage.redis, "incr", counting_incr)
        for _ in range(50):
            storage.incr("search", 60)
        assert len(attempts) == 1  # the first failed; the next 49 went to memory at once
        assert storage.get("search") == 50

    def test_a_redis_that_hangs_times_out_instead_of_holding_the_request(self, caplog):
        """A server that accepts connections and never answers (a frozen Redis)."""
        with socket.socket() as frozen:
            frozen.bind(("127.0.0.1", 0))
            frozen.listen(16)
            port = frozen.getsockname()[1]
            storage = storage_from_string(f"fallback+redis://127.0.0.1:{port}/0", timeout=0.1)
            with caplog.at_level(logging.INFO, logger="forum.outages"):
                assert storage.incr("posting", 60) == 1
        assert "Timeout" in lines(caplog, "OUTAGE redis:")[0]


class TestSiteWithRedisDown:
    @pytest.fixture
    def app(self, tmp_path, redis_port):
        app = build_app(
            f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=f"fallback+redis://127.0.0.1:{redis_port}/0",
            RATELIMIT_STORAGE_OPTIONS={"timeout": 0.2},
            LOGIN_LOCKOUT_FAILURES=3,
        )
        yield app
        destroy_app(app)

    @pytest.fixture
    def world(self, app):
        with app.app_context():
            forum = factories.make_forum(number=1)
            delegate = factories.make_user(email="daibieu@example.vn")
            proposal = factories.make_proposal(forum, factories.make_user(), title="Nhà ở cho công nhân")
            db.session.commit()
            return {"delegate": delegate.email, "proposal": proposal.id}

    def test_logins_supports_and_searches_work_and_limits_still_count(self, app, world, caplog):
        client = app.test_client()
        with caplog.at_level(logging.INFO, logger="forum.outages"):
            assert AuthActions(client).login(world["delegate"]).status_code == 302
            support = client.post(f"/proposals/{world['proposal']}/support", headers={"Accept": "application/json"})
            assert support.status_code == 200 and support.json["supported"] is True
            assert client.get("/search?q=nhà+ở").status_code == 200
            statuses = [client.get("/search?q=công+nhân").status_code for _ in range(60)]
        # The search limit (60 a minute) is counted in memory meanwhile: still enforced.
        assert statuses[:59] == [200] * 59 and statuses[-1] == 429
        assert len(lines(caplog, "OUTAGE redis:")) == 1

    def test_login_lockouts_still_lock_while_redis_is_down(self, app, world):
        client = app.test_client()
        for _ in range(3):
            assert client.post("/login", data={"email": world["delegate"], "password": "sai-mat-khau"}).status_code == 422
        # Locked out: even the right password is refused (429), without a 500.
        refused = client.post("/login", data={"email": world["delegate"], "password": factories.DEFAULT_PASSWORD})
        assert refused.status_code == 429
        assert "tạm khóa đăng nhập" in refused.get_data(as_text=True)

    def test_limits_go_to_redis_when_it_comes_back(self, app, world, redis_server, monkeypatch, caplog):
        client = app.test_client()
        assert client.get("/search?q=nhà+ở").status_code == 200  # counted in memory: Redis is down
        redis_client = redis_server.start()
        monkeypatch.setattr(rate_limits, "REDIS_RETRY_SECONDS", 0.0)
        with caplog.at_level(logging.INFO, logger="forum.outages"):
            assert client.get("/search?q=nhà+ở").status_code == 200
        assert any(b"search" in key for key in redis_client.keys("LIMITS*"))
        assert len(lines(caplog, "RECOVERED redis:")) >= 1
