"""Locale selection: Vietnamese by default, English on request (remembered in a cookie)."""
from flask import Flask, abort, g, has_request_context, redirect, request, url_for
from flask_babel import get_locale, get_translations

from forum.core.urls import safe_next_url
from forum.extensions import babel

LOCALE_COOKIE = "locale"


def select_locale() -> str:
    """The locale chosen in the footer switch, else the default (vi)."""
    from flask import current_app

    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def set_language(code: str):
    """Remember the chosen language for a year and go back to where the user was."""
    from flask import current_app

    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next_url(request.args.get("next"), default=url_for("forums.index")))
    response.set_cookie(
        LOCALE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def request_translations():
    """The catalog of the request's locale, found once per request and locale.

    Flask-Babel looks the catalog up again for each message (several context lookups
    each); a list page translates a hundred messages. Kept next to Flask-Babel's own
    per-request locale and checked against it, so ``force_locale`` still switches.
    """
    state = g.get("_flask_babel") if g else None
    locale = getattr(state, "babel_locale", None)
    if locale is None:  # the locale is not chosen yet (or no request): Flask-Babel decides
        return get_translations()
    cached = getattr(state, "forum_translations", None)
    if cached is None or cached[0] is not locale:
        cached = state.forum_translations = (locale, get_translations())
    return cached[1]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: request_translations().ugettext(message),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, message: request_translations().upgettext(context, message),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    app.add_url_rule("/language/<code>", "set_language", set_language)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
