"""Reports, the moderation queue (``/moderation/queue``), hiding and locking.

Thin: form → service → one commit → flash → redirect. Reporting is open to every
logged-in user who can see the post (rate limited); the rest is for staff, each action
checked per item by the services (a moderator acts only in the forums they moderate).
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.permissions import current_actor
from forum.core.rate_limits import user_or_address_key
from forum.extensions import db, limiter
from forum.forums.moderators import can_moderate
from forum.forums.services import list_all_forums
from forum.moderation.area import Section, add_section, bp, staff_required
from forum.moderation.queue import services
from forum.moderation.queue.forms import ConfirmForm, HideForm, QueueActionForm, ReportForm
from forum.moderation.queue.models import REASON_LABELS, ItemState
from forum.notifications import inbox
from forum.proposals import services as proposals

REPORT_LIMIT = "5/minute;30/hour"
QUEUE_PER_PAGE = 30
UNPROCESSABLE = 422

add_section(Section("moderation.queue", _l("Hàng chờ xử lý"), 10))


@bp.app_context_processor
def _template_helpers():
    """``moderation_waiting_count()`` for the staff link of the header (called only for
    staff, base.html: one query) and ``can_moderate_post(post)`` for the hide and lock
    buttons (no query but a moderator's scope, once per request)."""
    return {
        "moderation_waiting_count": lambda: services.waiting_count(current_user),
        "can_moderate_post": lambda post: services.can_moderate_post(current_user, post),
    }


def _proposal_or_404(proposal_id: int):
    return proposals.get_visible_proposal(proposal_id, current_user) or abort(404)


def _comment_or_404(comment_id: int):
    return proposals.get_visible_comment(comment_id, current_user) or abort(404)


def post_url(post) -> str:
    """Where a proposal or comment is shown in context (a comment: its thread, anchored)."""
    if services.kind_of(post) == services.Kind.COMMENT:
        return url_for("proposals.comment", comment_id=post.id)
    return url_for("proposals.detail", proposal_id=post.id)


def _refused(error: PermissionDenied, back_url: str):
    db.session.rollback()
    return render_template("proposals/denied.html", message=str(error), back_url=back_url,
                           back_label=_("Quay lại")), 403


# Reports ------------------------------------------------------------------------------
def _report(post):
    back_url = post_url(post)
    block = services.report_block_reason(post, current_user)
    if block is None and services.has_reported(post, current_user):
        block = _("Bạn đã báo cáo nội dung này. Điều hành viên sẽ xem xét.")
    if block:
        return _refused(PermissionDenied(block), back_url)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            outcome = services.report_content(post, reason=form.reason.data, detail=form.detail.data or "",
                                              actor=current_actor())
            inbox.notify_of_moderation(outcome.events, actor=current_actor())
        except PermissionDenied as error:
            return _refused(error, back_url)
        except InvalidAction as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            if outcome.auto_hidden:
                flash(_("Cảm ơn bạn. Nội dung đã bị nhiều người báo cáo nên được tạm ẩn chờ điều hành viên xem xét."),
                      "success")
                proposal = services.proposal_of(post)
                if post is proposal:
                    return redirect(url_for("forums.detail", slug=proposal.forum.slug))
                return redirect(url_for("proposals.detail", proposal_id=proposal.id))
            flash(_("Cảm ơn bạn đã báo cáo. Điều hành viên sẽ xem xét."), "success")
            return redirect(back_url)
    status = UNPROCESSABLE if form.errors or form.form_errors else 200
    return render_template("moderation/report.html", form=form, post=post, kind=services.kind_of(post),
                           back_url=back_url), status


@bp.route("/proposals/<id:proposal_id>/report", methods=["GET", "POST"])
@limiter.limit(REPORT_LIMIT, methods=["POST"], key_func=user_or_address_key)
@login_required
def report_proposal(proposal_id: int):
    """Report a proposal: the reasons, an optional detail (works without JavaScript)."""
    return _report(_proposal_or_404(proposal_id))


@bp.route("/comments/<id:comment_id>/report", methods=["GET", "POST"])
@limiter.limit(REPORT_LIMIT, methods=["POST"], key_func=user_or_address_key)
@login_required
def report_comment(comment_id: int):
    """Report a comment."""
    return _report(_comment_or_404(comment_id))


# The queue ----------------------------------------------------------------------------
def _queue_filters() -> dict:
    args = request.args
    return {
        "forum_id": args.get("forum", type=int),
        "kind": args.get("kind") if args.get("kind") in tuple(services.Kind) else None,
        "reason": args.get("reason") if args.get("reason") in {r.value for r in REASON_LABELS} else None,
        "state": ItemState.RESOLVED.value if args.get("state") == ItemState.RESOLVED else ItemState.WAITING.value,
        "sort": services.QueueSort.parse(args.get("sort")).value,
    }


def _render_queue(form: QueueActionForm, status: int = 200, selected=()):
    filters = _queue_filters()
    page = max(1, request.args.get("page", type=int) or 1)
    entries = services.list_queue(current_user, page=page, per_page=QUEUE_PER_PAGE, **filters)
    forums = [forum for forum in list_all_forums() if can_moderate(current_user, forum)]
    return render_template(
        "moderation/queue.html", form=form, entries=entries, filters=filters, forums=forums,
        reasons=REASON_LABELS, selected=set(selected), post_url=post_url,
    ), status


@bp.route("/queue")
@staff_required
def queue():
    """Reported posts and posts waiting for approval in the forums the viewer moderates."""
    return _render_queue(QueueActionForm())


@bp.route("/queue", methods=["POST"])
@staff_required
def queue_action():
    """One action on the ticked items, all or nothing."""
    form = QueueActionForm()
    selected = [value for value in request.form.getlist("item") if value.isdigit()]
    if form.validate_on_submit():
        try:
            events = services.act_on_items(selected, form.action.data, reason=form.reason.data or "",
                                           actor=current_actor())
            inbox.notify_of_moderation(events, actor=current_actor())
        except InvalidAction as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            count = len(set(selected))
            flash(ngettext("Đã xử lý %(count)s mục.", "Đã xử lý %(count)s mục.", count, count=count), "success")
            return redirect(url_for("moderation.queue", **{k: v for k, v in request.args.items()}))
    return _render_queue(form, UNPROCESSABLE, selected=[int(value) for value in selected])


# Hide, unhide, lock, unlock -------------------------------------------------------------
def _staff_post(kind: str, post_id: int):
    post = _proposal_or_404(post_id) if kind == services.Kind.PROPOSAL else _comment_or_404(post_id)
    if not services.can_moderate_post(current_user, post):
        abort(403)
    return post


def _hide(kind: str, post_id: int):
    post = _staff_post(kind, post_id)
    form = HideForm()
    if form.validate_on_submit():
        try:
            events = services.hide_post(post, reason=form.reason.data, actor=current_actor())
            inbox.notify_of_moderation(events, actor=current_actor())
        except InvalidAction as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Đã ẩn nội dung. Tác giả sẽ thấy lý do."), "success")
            return redirect(post_url(post))
    status = UNPROCESSABLE if form.errors or form.form_errors else 200
    return render_template("moderation/hide.html", form=form, post=post, kind=kind, back_url=post_url(post)), status


def _simple(kind: str, post_id: int, call, success: str):
    post = _staff_post(kind, post_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        events = call(post, actor=current_actor(), reason=form.reason.data or "")
        inbox.notify_of_moderation(events, actor=current_actor())
    except InvalidAction as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(post_url(post))


@bp.route("/proposals/<id:proposal_id>/hide", methods=["GET", "POST"])
@staff_required
def hide_proposal(proposal_id: int):
    """Ask for the reason (GET), hide (POST)."""
    return _hide(services.Kind.PROPOSAL, proposal_id)


@bp.route("/comments/<id:comment_id>/hide", methods=["GET", "POST"])
@staff_required
def hide_comment(comment_id: int):
    return _hide(services.Kind.COMMENT, comment_id)


@bp.route("/proposals/<id:proposal_id>/unhide", methods=["POST"])
@staff_required
def unhide_proposal(proposal_id: int):
    return _simple(services.Kind.PROPOSAL, proposal_id, services.unhide_post, _("Đã hiện lại hiến kế."))


@bp.route("/comments/<id:comment_id>/unhide", methods=["POST"])
@staff_required
def unhide_comment(comment_id: int):
    return _simple(services.Kind.COMMENT, comment_id, services.unhide_post, _("Đã hiện lại ý kiến."))


@bp.route("/proposals/<id:proposal_id>/lock", methods=["POST"])
@staff_required
def lock_proposal(proposal_id: int):
    return _simple(services.Kind.PROPOSAL, proposal_id, services.lock_thread, _("Đã khóa thảo luận."))


@bp.route("/proposals/<id:proposal_id>/unlock", methods=["POST"])
@staff_required
def unlock_proposal(proposal_id: int):
    return _simple(services.Kind.PROPOSAL, proposal_id, services.unlock_thread, _("Đã mở khóa thảo luận."))
