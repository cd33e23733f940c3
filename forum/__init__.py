"""Hiến kế: the platform of the ten thematic forums before the 13th Congress of the
Vietnam Trade Union. ``create_app`` reads as the table of contents of the application.

Domains layer from the ground up: ``core`` (database set-up, the audit log, permissions,
markup, text, errors), then ``auth``, ``forums``, ``proposals``, ``votes``, ``search``
(later ``moderation`` and ``notifications`` below ``search``, then ``admin``, ``results``
with the exports, ``api``: DESIGN.md §3). The rules, checked by tests/test_layers.py:

- a domain's models are queried and changed only by its own services; other domains call
  those services, never another domain's tables;
- a domain's models, forms and services import only from ``core`` and the domains below
  it (``proposals`` uses ``forums``, never the reverse);
- views and CLI commands may call several domains' services to compose a page or a
  command, and commit once; nothing but ``create_app`` imports them, so composing never
  closes an import loop; ``forum/demo.py``, the demo seeder, sits above every domain.
"""
from pathlib import Path

from flask import Flask

from config import DEFAULT_SECRET_KEY, Config, config_from_environment

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Build the application from a config class plus optional overrides (tests)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_class or config_from_environment())
    app.config.update(overrides)
    check_production_secret(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    trust_reverse_proxies(app)
    register_url_converters(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def check_production_secret(app: Flask) -> None:
    """Refuse to start in production with a missing, short or default secret key."""
    if not app.config.get("REQUIRE_STRONG_SECRET_KEY"):
        return
    key = app.config.get("SECRET_KEY") or ""
    if key == DEFAULT_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY is missing, too short or the development default: "
            "set SECRET_KEY to at least 32 random characters in production."
        )


def trust_reverse_proxies(app: Flask) -> None:
    """Behind N proxies, take the client address and scheme from X-Forwarded-*."""
    count = app.config.get("TRUSTED_PROXIES", 0)
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_url_converters(app: Flask) -> None:
    """``<id:...>`` for row ids; the default converter refuses control characters."""
    from forum.core import urls

    urls.init_app(app)


def register_extensions(app: Flask) -> None:
    # rate_limits registers the fallback+redis storage the limiter's URI may name.
    from forum.core import database, i18n, pagecache, rate_limits, request_id, security  # noqa: F401
    from forum.extensions import db, limiter, login_manager, migrate

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    db.init_app(app)
    database.configure_engine(app)
    pagecache.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    request_id.init_app(app)
    import forum.models  # noqa: F401  (one complete metadata for Alembic and create_all)
    from forum.search import services as search

    search.init_app(app)  # SEARCH_BACKEND check, outbox listeners, drains after commit


def register_blueprints(app: Flask) -> None:
    from forum.auth.activation.views import bp as activation_bp
    from forum.auth.views import bp as auth_bp
    from forum.forums.views import bp as forums_bp
    from forum.notifications.views import bp as notifications_bp
    from forum.proposals.views import bp as proposals_bp
    from forum.search.views import bp as search_bp
    from forum.votes.views import bp as votes_bp

    from forum.results.views import bp as results_bp

    for bp in (auth_bp, activation_bp, forums_bp, proposals_bp, votes_bp, search_bp, notifications_bp, results_bp):
        app.register_blueprint(bp)
    register_organizer_area(app)
    register_moderation_area(app)
    register_api(app)


def register_api(app: Flask) -> None:
    """The read-only /api/v1 with its OpenAPI document and documentation page."""
    from forum.api.views import init_app

    init_app(app)


def register_moderation_area(app: Flask) -> None:
    """The moderation area is one blueprint; each of its parts adds its routes on import
    (one import line per part, below)."""
    from forum.moderation.area import bp
    from forum.moderation.curation import views as _curation  # noqa: F401
    from forum.moderation.merging import views as _merging  # noqa: F401
    from forum.moderation.queue import views as _queue  # noqa: F401

    app.register_blueprint(bp)


def register_organizer_area(app: Flask) -> None:
    """The organizer area is one blueprint; each of its parts adds its routes on import."""
    from forum.admin.area import bp
    from forum.admin.activation import views as _activation  # noqa: F401
    from forum.admin.forums import views as _forums  # noqa: F401
    from forum.admin.home import views as _home  # noqa: F401
    from forum.admin.people import views as _people  # noqa: F401
    from forum.admin.staff import views as _staff  # noqa: F401
    from forum.admin.audit import views as _audit  # noqa: F401
    from forum.results import views as _results  # noqa: F401  (also the organizer's results pages)
    from forum.results.dashboard import views as _dashboard  # noqa: F401

    app.register_blueprint(bp)


def register_error_handlers(app: Flask) -> None:
    from forum.core.errors import init_app

    init_app(app)


def register_template_helpers(app: Flask) -> None:
    from forum.core import formatting, markup
    from forum.notifications import services as notifications

    markup.init_app(app)
    formatting.init_app(app)
    notifications.init_app(app)  # mail_enabled() for the login page


def register_commands(app: Flask) -> None:
    from forum.auth.cli import users_cli
    from forum.forums.cli import forum_cli
    from forum.proposals.cli import proposals_cli
    from forum.notifications.cli import mail_cli
    from forum.search.cli import search_cli
    from forum.votes.cli import votes_cli
    from forum.moderation.merging.cli import moderation_cli
    from forum.results.cli import results_cli

    for group in (users_cli, forum_cli, proposals_cli, votes_cli, search_cli, mail_cli, moderation_cli, results_cli):
        app.cli.add_command(group)
