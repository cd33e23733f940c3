"""Helpers for the account tests: users as plain values, the CSRF token of a page, and
whether a client's session is still live."""
import re
from dataclasses import dataclass

from tests.factories import make_user

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def is_logged_in(client) -> bool:
    """A page that needs a login answers 200 only to a live session."""
    response = client.get("/account/password")
    return response.status_code == 200


@dataclass(frozen=True)
class UserRef:
    """Plain values of a user, usable after the app context that created it ends."""

    id: int
    email: str
    full_name: str
    session_token: str


def ref(user) -> UserRef:
    return UserRef(user.id, user.email, user.full_name, user.session_token)


def new_user(app, **fields) -> UserRef:
    """Create a user in a short app context and return its plain values."""
    with app.app_context():
        return ref(make_user(**fields))


def new_unactivated_user(app, **fields) -> UserRef:
    """An account as the roster import leaves it: no password, cannot log in yet."""
    from forum.extensions import db

    with app.app_context():
        user = make_user(**fields)
        user.password_hash = ""
        db.session.commit()
        return ref(user)


def issue_code_for(app, user_id: int, **options) -> str:
    """A fresh code for the account ``user_id``, issued at the console; its clear text."""
    from forum.auth.activation.services import get_account, issue_code
    from forum.extensions import db

    with app.app_context():
        issued = issue_code(get_account(user_id), actor=None, **options)
        db.session.commit()
        return issued.code
