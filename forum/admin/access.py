"""Who may open the organizer area, checked on the server for every request."""
from functools import wraps

from flask import abort, make_response, redirect, request, url_for
from flask_login import current_user

from forum.core.permissions import is_active_user


def is_organizer(user) -> bool:
    """Organizers and admins run the forums."""
    return is_active_user(user) and user.is_organizer


def is_admin(user) -> bool:
    return is_active_user(user) and user.is_admin


def _staff_view(allowed):
    """A view for the users ``allowed`` accepts: anonymous visitors go to the login page,
    anyone else gets a 403; every response is ``Cache-Control: no-store`` (staff pages
    show personal data and must not stay in a shared or back-button cache)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not is_active_user(current_user):
                return redirect(url_for("auth.login", next=request.full_path))
            if not allowed(current_user):
                abort(403)
            response = make_response(view(*args, **kwargs))
            response.headers["Cache-Control"] = "no-store"
            return response

        return wrapper

    return decorator


organizer_required = _staff_view(is_organizer)
admin_required = _staff_view(is_admin)
