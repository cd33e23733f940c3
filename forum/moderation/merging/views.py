"""The merge pages of the moderation area: "Gộp vào…" from a proposal (choose the
proposal that stays, with similar ones offered), the confirmation screen that says what
will happen to whom, the undo, and the possible-duplicates view
(services: forum/moderation/merges.py and duplicates.py)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forum.core.errors import DomainError, PermissionDenied
from forum.core.permissions import current_actor
from forum.extensions import db
from forum.moderation import duplicates, merges
from forum.moderation.area import Section, add_section, bp, staff_required
from forum.moderation.merging.forms import ChooseTargetForm, ConfirmForm, DismissForm, UndoForm
from forum.notifications import inbox
from forum.proposals.services import get_merge, get_proposal, get_visible_proposal
from forum.search.services import similar_proposals_for
from forum.votes.services import StalePlan

add_section(Section(endpoint="moderation.duplicates", label=_l("Hiến kế trùng"), order=40))

CONFLICT = 409


def _proposal_or_404(proposal_id: int):
    return get_visible_proposal(proposal_id, current_user) or abort(404)


def _may_merge_or_403(*proposals):
    if not all(merges.may_merge_in(current_user, proposal.forum) for proposal in proposals):
        raise PermissionDenied(_("Bạn chỉ gộp được hiến kế trong các diễn đàn mình điều hành."))


@bp.route("/proposals/<id:proposal_id>/merge")
@staff_required
def merge_choose(proposal_id: int):
    """Step 1: which proposal does this one (the duplicate) go into? Similar proposals
    are offered; a number can be typed."""
    source = _proposal_or_404(proposal_id)
    _may_merge_or_403(source)
    form = ChooseTargetForm(request.args)
    if "into" in request.args and form.validate():
        return redirect(url_for("moderation.merge_confirm", source=source.id, target=form.target_id))
    similar = [
        proposal for proposal in similar_proposals_for(current_user, source.title, exclude_ids=[source.id], limit=8)
        if merges.may_merge_in(current_user, proposal.forum) and merges.merge_refusal(source, proposal) is None
    ]
    status = 422 if form.errors else 200
    return render_template("moderation/merge_choose.html", source=source, form=form, similar=similar), status


def _render_confirm(source, target, form, status=200, message=None):
    preview = merges.preview_merge(source, target, viewer=current_user)
    if request.method == "GET" or message:
        form.plan.data = preview.plan.fingerprint
    html = render_template("moderation/merge_confirm.html", preview=preview, form=form, message=message)
    return html, (CONFLICT if preview.refusal else status)


@bp.route("/merge", methods=["GET", "POST"])
@staff_required
def merge_confirm():
    """Step 2: what the merge will do to whom; confirming merges (one transaction)."""
    source = _proposal_or_404(request.values.get("source", type=int))
    target = _proposal_or_404(request.values.get("target", type=int))
    _may_merge_or_403(source, target)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            result = merges.merge_proposals(source, target, actor=current_actor(), expected=form.plan.data or None,
                                            reason=form.reason.data or "")
        except StalePlan as error:
            db.session.rollback()
            return _render_confirm(get_proposal(source.id), get_proposal(target.id), form, CONFLICT, str(error))
        except PermissionDenied:
            raise
        except DomainError as error:
            db.session.rollback()
            return _render_confirm(get_proposal(source.id), get_proposal(target.id), form, CONFLICT, str(error))
        inbox.notify_of_merge(result, actor=current_actor())
        db.session.commit()
        flash(_("Đã gộp hiến kế #%(source)s vào hiến kế #%(target)s.", source=source.id, target=target.id), "success")
        return redirect(url_for("proposals.detail", proposal_id=result.merge.target_id))
    return _render_confirm(source, target, form, 422 if form.errors else 200)


@bp.route("/merges/<id:merge_id>/undo", methods=["GET", "POST"])
@staff_required
def merge_undo(merge_id: int):
    """Undo a merge: what will happen to whom, then one transaction."""
    merge = get_merge(merge_id)
    if merge is None:
        abort(404)
    _may_merge_or_403(merge.source, merge.target)
    form = UndoForm()
    message, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            merges.undo_merge(merge, actor=current_actor(), expected=form.plan.data or None, reason=form.reason.data or "")
        except PermissionDenied:
            raise
        except DomainError as error:
            db.session.rollback()
            merge, message, status = get_merge(merge_id), str(error), CONFLICT
        else:
            db.session.commit()
            flash(_("Đã hoàn tác việc gộp hiến kế #%(source)s vào hiến kế #%(target)s.",
                    source=merge.source_id, target=merge.target_id), "success")
            return redirect(url_for("proposals.detail", proposal_id=merge.source_id))
    preview = merges.preview_undo(merge, viewer=current_user)
    if request.method == "GET" or message:
        form.plan.data = preview.plan.fingerprint
    if preview.refusal:
        status = CONFLICT
    return render_template("moderation/merge_undo.html", merge=merge, preview=preview, form=form,
                           message=message), status


@bp.route("/duplicates", endpoint="duplicates")
@staff_required
def duplicates_page():
    """Possible duplicates in the viewer's forums, grouped, best first."""
    page = request.args.get("page", type=int) or 1
    found = duplicates.list_duplicate_groups(current_user, page=page)
    return render_template("moderation/duplicates.html", found=found, dismiss_form=DismissForm())


@bp.route("/duplicates/<id:pair_id>/dismiss", methods=["POST"])
@staff_required
def duplicates_dismiss(pair_id: int):
    form = DismissForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        duplicates.dismiss_pair(pair_id, actor=current_actor())
    except PermissionDenied:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("moderation.duplicates"))
    db.session.commit()
    flash(_("Đã đánh dấu: hai hiến kế này không trùng nhau."), "success")
    return redirect(url_for("moderation.duplicates", page=request.args.get("page", type=int)))
