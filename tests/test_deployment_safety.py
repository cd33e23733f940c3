"""Production transport and start-up checks: HSTS over HTTPS only, and the warning for
several gunicorn workers counting rate limits in their own memory."""
import importlib.util
import os
from types import SimpleNamespace

import pytest

from config import BASE_DIR, DevelopmentConfig, ProductionConfig, TestingConfig
from forum import create_app
from forum.core.rate_limits import memory_storage_warning
from forum.core.security import HSTS


def _app(config, tmp_path, **overrides):
    app = create_app(config, SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'h.sqlite3'}", **overrides)
    app.add_url_rule("/_ok", "ok", lambda: "ok")
    return app


class TestHsts:
    def test_production_sends_it_over_https(self, tmp_path):
        response = _app(ProductionConfig, tmp_path).test_client().get("/_ok", base_url="https://hienke.vn")
        assert response.headers["Strict-Transport-Security"] == HSTS == "max-age=31536000; includeSubDomains"

    def test_production_never_sends_it_over_http(self, tmp_path):
        response = _app(ProductionConfig, tmp_path).test_client().get("/_ok", base_url="http://hienke.vn")
        assert "Strict-Transport-Security" not in response.headers

    @pytest.mark.parametrize(("proto", "sent"), [("https", True), ("http", False)])
    def test_behind_a_trusted_proxy_it_follows_x_forwarded_proto(self, tmp_path, proto, sent):
        app = _app(ProductionConfig, tmp_path, TRUSTED_PROXIES=1)
        response = app.test_client().get("/_ok", base_url="http://hienke.vn", headers={"X-Forwarded-Proto": proto})
        assert ("Strict-Transport-Security" in response.headers) is sent

    def test_an_untrusted_forwarded_proto_is_ignored(self, tmp_path):
        client = _app(ProductionConfig, tmp_path).test_client()
        response = client.get("/_ok", base_url="http://hienke.vn", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in response.headers

    @pytest.mark.parametrize("config", [DevelopmentConfig, TestingConfig])
    def test_development_and_tests_never_send_it(self, tmp_path, config):
        response = _app(config, tmp_path).test_client().get("/_ok", base_url="https://localhost")
        assert "Strict-Transport-Security" not in response.headers


class TestSeveralWorkersWarning:
    @pytest.mark.parametrize("storage", [None, "", "memory://"])
    def test_production_with_several_workers_in_memory_is_warned(self, storage):
        message = memory_storage_warning(production=True, storage_uri=storage, workers=4)
        assert message and "REDIS_URL" in message and "4" in message

    @pytest.mark.parametrize(
        ("production", "storage", "workers"),
        [(True, "redis://127.0.0.1:6379/0", 4), (True, "memory://", 1), (False, "memory://", 4)],
    )
    def test_no_warning_otherwise(self, production, storage, workers):
        assert memory_storage_warning(production=production, storage_uri=storage, workers=workers) is None

    @staticmethod
    def _gunicorn_conf():
        spec = importlib.util.spec_from_file_location("gunicorn_conf", BASE_DIR / "gunicorn.conf.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    @staticmethod
    def _start(conf, workers):
        warnings = []
        server = SimpleNamespace(cfg=SimpleNamespace(workers=workers), log=SimpleNamespace(warning=warnings.append))
        conf.on_starting(server)
        return warnings

    def test_gunicorn_warns_at_start_in_production(self, monkeypatch):
        monkeypatch.setenv("FORUM_CONFIG", "production")
        monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "memory://")
        conf = self._gunicorn_conf()
        [warning] = self._start(conf, workers=5)
        assert "REDIS_URL" in warning
        assert self._start(conf, workers=1) == []

    def test_gunicorn_is_quiet_with_redis_or_in_development(self, monkeypatch):
        conf = self._gunicorn_conf()
        monkeypatch.setenv("FORUM_CONFIG", "production")
        monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
        assert self._start(conf, workers=5) == []
        monkeypatch.setenv("FORUM_CONFIG", "development")
        assert self._start(conf, workers=5) == []

    def test_the_worker_timeout_is_above_every_wait_of_the_app(self, monkeypatch):
        """gunicorn kills a worker only when it is stuck beyond the longest wait the app
        allows itself (issue 11): a busy SQLite, a slow PostgreSQL connect, the Whoosh
        writer lock; here with each wait raised in turn."""
        from forum.search.whoosh import backend

        monkeypatch.setenv("FORUM_CONFIG", "production")
        for setting, seconds in (("DATABASE_BUSY_WAIT_SECONDS", 25.0), ("DATABASE_CONNECT_TIMEOUT_SECONDS", 40)):
            monkeypatch.setattr(ProductionConfig, setting, seconds)
            conf = self._gunicorn_conf()
            assert conf.timeout > seconds + 5
            waits = (ProductionConfig.DATABASE_BUSY_WAIT_SECONDS, ProductionConfig.DATABASE_CONNECT_TIMEOUT_SECONDS,
                     backend.DEFAULT_WRITER_TIMEOUT_SECONDS, max(ProductionConfig.RATELIMIT_STORAGE_OPTIONS.values()))
            assert conf.timeout > max(waits) and conf.graceful_timeout >= conf.timeout

    def test_the_app_logs_through_gunicorn_with_time_and_pid(self, capsys):
        """The logging set-up gunicorn applies: the app's lines (outages, recoveries) reach
        its error log with the time, the worker's pid, the level and the logger."""
        import logging
        import logging.config

        from gunicorn.glogging import CONFIG_DEFAULTS

        conf = self._gunicorn_conf()
        config = CONFIG_DEFAULTS.copy()
        config.update(conf.logconfig_dict)
        touched = [logging.getLogger(name) for name in ("", "forum", "gunicorn.error", "gunicorn.access")]
        previous = [(logger.handlers[:], logger.level, logger.propagate) for logger in touched]
        try:
            logging.config.dictConfig(config)
            logging.getLogger("forum.outages").warning("OUTAGE redis: Redis unreachable")
            line = capsys.readouterr().err.strip().splitlines()[-1]
        finally:  # give pytest its logging back
            for logger, (handlers, level, propagate) in zip(touched, previous):
                logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
        assert f"[{os.getpid()}] [WARNING] forum.outages: OUTAGE redis: Redis unreachable" in line
        assert line.startswith("[20")

