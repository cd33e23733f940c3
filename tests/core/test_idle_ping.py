"""Pooled connections are pinged before use only after sitting idle (forum.core.database)."""
import pytest
import sqlalchemy as sa

from forum.extensions import db


def _count_pings(app, monkeypatch, fail_first=False):
    with app.app_context():
        dialect = db.engine.dialect
    pings = []
    real = dialect.do_ping

    def do_ping(dbapi_connection):
        pings.append(dbapi_connection)
        if fail_first and len(pings) == 1:
            raise RuntimeError("server restarted")
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", do_ping)
    return pings


def _use_a_connection(app):
    with app.app_context():
        assert db.session.scalar(sa.select(sa.literal(1))) == 1
        db.session.remove()


@pytest.mark.parametrize("app_overrides", [{"DATABASE_PING_AFTER_IDLE_SECONDS": 3600}])
def test_a_connection_used_recently_is_not_pinged(app, monkeypatch):
    _use_a_connection(app)
    pings = _count_pings(app, monkeypatch)
    for _ in range(3):
        _use_a_connection(app)
    assert pings == []


@pytest.mark.parametrize("app_overrides", [{"DATABASE_PING_AFTER_IDLE_SECONDS": 0}])
def test_an_idle_connection_is_pinged_at_checkout(app, monkeypatch):
    _use_a_connection(app)
    pings = _count_pings(app, monkeypatch)
    _use_a_connection(app)
    _use_a_connection(app)
    assert len(pings) == 2


@pytest.mark.parametrize("app_overrides", [{"DATABASE_PING_AFTER_IDLE_SECONDS": 0}])
def test_a_connection_that_fails_its_ping_is_replaced_before_use(app, monkeypatch):
    _use_a_connection(app)
    pings = _count_pings(app, monkeypatch, fail_first=True)
    _use_a_connection(app)  # no error: the pool connects again
    failed, replacement = pings  # (with a threshold of 0 the new connection is pinged too)
    assert replacement is not failed
