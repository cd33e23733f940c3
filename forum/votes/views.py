"""Support button endpoints: a plain form post (flash + redirect) or, with
``Accept: application/json`` (static/js/support.js), a JSON answer.

CSRF: ``CSRFProtect`` checks every POST, from the form's ``csrf_token`` field or the
``X-CSRFToken`` header, before these views run.
"""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.routing import BuildError

from forum.core.errors import DomainError, PermissionDenied, wants_json
from forum.core.rate_limits import user_or_address_key
from forum.core.request_id import current_request_id
from forum.core.urls import safe_next_url
from forum.extensions import db, limiter
from forum.forums.services import tallies_visible
from forum.proposals.models import Proposal
from forum.proposals.services import get_proposal
from forum.votes import services
from forum.votes.forms import SupportForm

bp = Blueprint("votes", __name__)

SUPPORT_RATE_LIMIT = "60/minute"


@bp.post("/proposals/<id:proposal_id>/support")
@limiter.shared_limit(SUPPORT_RATE_LIMIT, scope="votes", key_func=user_or_address_key)
def support(proposal_id: int):
    """Support a proposal (idempotent: a double click counts once)."""
    return _change_support(proposal_id, services.support_proposal)


@bp.post("/proposals/<id:proposal_id>/unsupport")
@limiter.shared_limit(SUPPORT_RATE_LIMIT, scope="votes", key_func=user_or_address_key)
def unsupport(proposal_id: int):
    """Withdraw one's support (a no-op when there is none)."""
    return _change_support(proposal_id, services.withdraw_support)


def _change_support(proposal_id: int, change):
    form = SupportForm()
    if not current_user.is_authenticated:
        return _login_required(form)
    proposal = get_proposal(proposal_id)
    if proposal is None or not proposal.is_visible_to(current_user):
        abort(404)
    back = safe_next_url(form.next.data, default=_proposal_url(proposal))
    try:
        state = change(proposal, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        status = 403 if isinstance(error, PermissionDenied) else 409
        if wants_json():
            return {"error": _("Không thể thực hiện"), "message": str(error), "request_id": current_request_id()}, status
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    if wants_json():
        answer = {"supported": state.supported}
        if tallies_visible(proposal.forum, current_user):
            answer["support_count"] = state.support_count
            # The word after the count, in the catalog's plural form for it ("1 support",
            # "2 supports"): support.js shows it as it is and never builds English itself.
            answer["support_label"] = support_label(state.support_count)
        return answer
    flash(*_outcome_message(state))
    return redirect(back)


def support_label(count: int) -> str:
    """The word after a support count; the same msgid as templates/_macros/support_button.html."""
    return ngettext("ủng hộ", "ủng hộ", count)


def _outcome_message(state: services.SupportState) -> tuple[str, str]:
    if state.supported:
        if state.changed:
            return _("Cảm ơn bạn đã ủng hộ hiến kế này."), "success"
        return _("Bạn đã ủng hộ hiến kế này rồi."), "info"
    if state.changed:
        return _("Bạn đã rút ủng hộ hiến kế này."), "success"
    return _("Bạn chưa ủng hộ hiến kế này."), "info"


def _login_required(form: SupportForm):
    """401 JSON for the script; otherwise the login page, coming back to where the user was."""
    message = _("Vui lòng đăng nhập để ủng hộ hiến kế.")
    back = safe_next_url(form.next.data, default=None)
    login_url = url_for("auth.login", next=back) if back else url_for("auth.login")
    if wants_json():
        return {"error": _("Chưa đăng nhập"), "message": message, "login_url": login_url}, 401
    flash(message, "info")
    return redirect(login_url)


def _proposal_url(proposal: Proposal) -> str:
    # The proposal page belongs to the proposals blueprint; fall back to the forum list
    # so that this module does not depend on that page existing.
    try:
        return url_for("proposals.detail", proposal_id=proposal.id)
    except BuildError:
        return url_for("forums.index")

