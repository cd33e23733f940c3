"""Proposal pages: submit, read with its comments, edit, withdraw; add and edit comments.

Thin views: form → service → one commit → flash → redirect. Services raise
``PermissionDenied`` (shown as a 403 page that says why) or ``InvalidAction`` (shown
next to the form, status 422). Objects the user may not see are a 404.
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.pagecache import cached_page
from forum.core.markup import render_markup
from forum.core.permissions import current_actor
from forum.core.rate_limits import user_or_address_key
from forum.extensions import db, limiter
from forum.forums.models import Forum
from forum.forums.services import get_visible_forum
from forum.moderation.merges import may_merge_in
from forum.notifications import inbox
from forum.proposals import services
from forum.proposals.forms import CommentEditForm, CommentForm, ProposalForm, WithdrawForm
from forum.search.services import similar_proposals_for
from forum.votes.services import supported_proposal_ids

bp = Blueprint("proposals", __name__)

POSTING_LIMIT = "10/minute"
PREVIEW_BUTTON = "preview"  # the name of the "Xem trước" submit button of the new-proposal form
UNPROCESSABLE = 422


def _denied(message: str, *, back_url: str | None = None, back_label: str | None = None):
    """A 403 page that says why, with a way back."""
    db.session.rollback()
    return (
        render_template("proposals/denied.html", message=message, back_url=back_url, back_label=back_label),
        403,
    )


def _visible_forum_or_404(slug: str) -> Forum:
    forum = get_visible_forum(slug, current_user)
    if forum is None:
        abort(404)
    return forum


def _visible_proposal_or_404(proposal_id: int):
    return services.get_visible_proposal(proposal_id, current_user) or abort(404)


def _visible_comment_or_404(comment_id: int):
    return services.get_visible_comment(comment_id, current_user) or abort(404)


def _proposal_url(proposal, anchor: str | None = None) -> str:
    return url_for("proposals.detail", proposal_id=proposal.id, _anchor=anchor)


def _run_service(form, call, *, back_url: str, back_label: str, success: str, redirect_to):
    """Run ``call()`` for a validated form: on success commit once, flash and redirect to
    ``redirect_to(result)``; a refusal shows the 403 page; an invalid action rolls back,
    adds its message to the form's errors and returns None so the form is shown again."""
    try:
        result = call()
    except PermissionDenied as error:
        return _denied(str(error), back_url=back_url, back_label=back_label)
    except InvalidAction as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return None
    db.session.commit()
    flash(success, "success")
    return redirect(redirect_to(result))


# Submit --------------------------------------------------------------------------------
@bp.route("/forums/<slug>/proposals/new", methods=["GET", "POST"])
@limiter.limit(POSTING_LIMIT, methods=["POST"], key_func=user_or_address_key)
@login_required
def create(slug: str):
    """The submission form; refused with an explanation unless the forum is open."""
    forum = _visible_forum_or_404(slug)
    forum_url = url_for("forums.detail", slug=forum.slug)
    reason = services.submit_block_reason(forum, current_user)
    if reason:
        return _denied(reason, back_url=forum_url, back_label=_("Về trang diễn đàn"))
    form = ProposalForm(themes=forum.active_themes)
    previewing = request.method == "POST" and PREVIEW_BUTTON in request.form
    preview_html = None
    valid = form.validate_on_submit()
    if valid and previewing:
        preview_html = render_markup(form.body.data)  # shown, not stored: nothing is saved
    elif valid:
        response = _run_service(
            form,
            lambda: services.create_proposal(
                forum, title=form.title.data, body=form.body.data, theme_id=form.selected_theme_id, actor=current_actor()
            ),
            back_url=forum_url,
            back_label=_("Về trang diễn đàn"),
            success=_("Đã gửi hiến kế của bạn. Cảm ơn bạn đã đóng góp!"),
            redirect_to=_proposal_url,
        )
        if response is not None:
            return response
    status = UNPROCESSABLE if form.errors else 200
    # "Đã có hiến kế tương tự?" without JavaScript: shown whenever the form comes back.
    similar = similar_proposals_for(current_user, form.title.data) if request.method == "POST" else []
    return (
        render_template("proposals/new.html", form=form, forum=forum, preview_html=preview_html, similar=similar),
        status,
    )


# Read ----------------------------------------------------------------------------------
def _comments_per_page() -> int:
    return current_app.config["COMMENTS_PER_PAGE"]


def _comment_url(comment) -> str:
    """Where ``comment`` is shown: its page of the thread, at its anchor."""
    page = services.comment_page_number(comment, current_user, per_page=_comments_per_page())
    return url_for(
        "proposals.detail", proposal_id=comment.proposal_id, page=page if page > 1 else None,
        _anchor=f"comment-{comment.id}",
    )


def _render_detail(proposal, comment_form: CommentForm | None = None, status: int = 200):
    """The proposal page with one page of its thread (``?page=``); also re-shown with the
    user's comment when it is invalid, at the page of the comment it answers."""
    page = request.args.get("page", type=int) or 1
    reply_to_id = request.args.get("reply_to", type=int) if comment_form is None else comment_form.parent_id.data
    if comment_form is not None and reply_to_id:
        parent = services.get_comment(reply_to_id)
        if parent is not None and parent.proposal_id == proposal.id and parent.is_visible_to(current_user):
            page = services.comment_page_number(parent, current_user, per_page=_comments_per_page())
    thread = services.comment_thread(proposal, current_user, page=page, per_page=_comments_per_page())
    visible_comments = {comment.id: comment for comment, replies in thread.items}
    reply_to = None
    block_reason = services.comment_block_reason(proposal, current_user)
    if comment_form is None and block_reason is None:
        # Only a visitor who may comment gets the form (and with it a CSRF token and a
        # session): the page of one who may not is the same for every such visitor.
        comment_form = CommentForm()
        if reply_to_id in visible_comments and visible_comments[reply_to_id].can_reply(current_user):
            reply_to = visible_comments[reply_to_id]
            comment_form.parent_id.data = reply_to.id
    elif comment_form is not None and reply_to_id in visible_comments:
        reply_to = visible_comments[reply_to_id]
    html = render_template(
        "proposals/detail.html",
        proposal=proposal,
        thread=thread.items,
        comments_page=thread,
        comment_total=thread.comment_total,
        supported=proposal.id in supported_proposal_ids(current_user, [proposal.id]),
        comment_form=comment_form,
        reply_to=reply_to,
        comment_block_reason=block_reason,
        can_edit=proposal.can_edit(current_user),
        can_withdraw=proposal.can_withdraw(current_user),
        merge=services.merge_credits(proposal),
        may_merge=may_merge_in(current_user, proposal.forum),
    )
    return html, status


@bp.route("/proposals/<id:proposal_id>")
def detail(proposal_id: int):
    """A proposal with one page of its comment thread; a constant number of queries."""
    proposal, version = services.get_proposal_for_page(proposal_id)
    if proposal is None or not proposal.is_visible_to(current_user):
        if proposal is not None and services.shows_hidden_notice(proposal, current_user):
            # Others read that a moderator hid it (or that reports did), not what it was.
            return render_template("moderation/hidden_post.html", proposal=proposal), 404
        abort(404)
    return cached_page(version, lambda: _render_detail(proposal)[0], proposal.forum.page_state)


@bp.route("/comments/<id:comment_id>")
def comment(comment_id: int):
    """A lasting link to one comment: redirects to the page of the thread that shows it,
    or shows that it was hidden (404 for a comment that has no place in the thread the
    visitor reads)."""
    comment = services.get_listed_comment(comment_id, current_user) or abort(404)
    return redirect(_comment_url(comment))


# Edit and withdraw ---------------------------------------------------------------------
@bp.route("/proposals/<id:proposal_id>/edit", methods=["GET", "POST"])
@limiter.limit(POSTING_LIMIT, methods=["POST"], key_func=user_or_address_key)
@login_required
def edit(proposal_id: int):
    """The author corrects the proposal within the edit window."""
    proposal = _visible_proposal_or_404(proposal_id)
    reason = services.edit_block_reason(proposal, current_user)
    if reason:
        return _denied(reason, back_url=_proposal_url(proposal), back_label=_("Về hiến kế"))
    # A proposal may stay in its theme after the theme is retired, not move into another.
    themes = [theme for theme in proposal.forum.themes if not theme.is_retired or theme == proposal.theme]
    form = ProposalForm(obj=proposal, themes=themes)
    if form.validate_on_submit():
        response = _run_service(
            form,
            lambda: services.update_proposal(
                proposal, title=form.title.data, body=form.body.data, theme_id=form.selected_theme_id, actor=current_actor()
            ),
            back_url=_proposal_url(proposal),
            back_label=_("Về hiến kế"),
            success=_("Đã lưu thay đổi."),
            redirect_to=_proposal_url,
        )
        if response is not None:
            return response
    status = UNPROCESSABLE if form.errors else 200
    return render_template("proposals/edit.html", form=form, proposal=proposal), status


@bp.route("/proposals/<id:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id: int):
    """GET asks for confirmation (works without JavaScript); POST withdraws."""
    proposal = _visible_proposal_or_404(proposal_id)
    reason = services.withdraw_block_reason(proposal, current_user)
    if reason:
        return _denied(reason, back_url=_proposal_url(proposal), back_label=_("Về hiến kế"))
    form = WithdrawForm()
    if form.validate_on_submit():
        response = _run_service(
            form,
            lambda: services.withdraw_proposal(proposal, actor=current_actor(), reason=form.reason.data or ""),
            back_url=_proposal_url(proposal),
            back_label=_("Về hiến kế"),
            success=_("Bạn đã rút hiến kế."),
            redirect_to=_proposal_url,
        )
        if response is not None:
            return response
    status = UNPROCESSABLE if form.errors else 200
    return render_template("proposals/withdraw.html", form=form, proposal=proposal), status


# Comments ------------------------------------------------------------------------------
@bp.route("/proposals/<id:proposal_id>/comments", methods=["POST"])
@limiter.limit(POSTING_LIMIT, methods=["POST"], key_func=user_or_address_key)
@login_required
def add_comment(proposal_id: int):
    """Post an opinion or a reply; invalid input re-shows the page with the text kept."""
    proposal = _visible_proposal_or_404(proposal_id)
    reason = services.comment_block_reason(proposal, current_user)
    if reason:
        return _denied(reason, back_url=_proposal_url(proposal), back_label=_("Về hiến kế"))
    form = CommentForm()
    if form.validate_on_submit():
        response = _run_service(
            form,
            lambda: _add_comment_and_notify(proposal, form),
            back_url=_proposal_url(proposal),
            back_label=_("Về hiến kế"),
            success=_("Đã gửi ý kiến của bạn."),
            redirect_to=_comment_url,
        )
        if response is not None:
            return response
    return _render_detail(proposal, comment_form=form, status=UNPROCESSABLE)


def _add_comment_and_notify(proposal, form):
    """The comment, and the notifications it sends (the proposal's author, the writer of
    the comment replied to), in one transaction."""
    comment = services.add_comment(proposal, body=form.body.data, parent_id=form.parent_id.data, actor=current_actor())
    inbox.notify_about_comment(comment, actor=current_actor())
    return comment


@bp.route("/comments/<id:comment_id>/edit", methods=["GET", "POST"])
@limiter.limit(POSTING_LIMIT, methods=["POST"], key_func=user_or_address_key)
@login_required
def edit_comment(comment_id: int):
    """The writer corrects a comment within the edit window."""
    comment = _visible_comment_or_404(comment_id)
    back_url = _comment_url(comment)
    reason = services.comment_edit_block_reason(comment, current_user)
    if reason:
        return _denied(reason, back_url=back_url, back_label=_("Về hiến kế"))
    form = CommentEditForm(obj=comment)
    if form.validate_on_submit():
        response = _run_service(
            form,
            lambda: services.update_comment(comment, body=form.body.data, actor=current_actor()),
            back_url=back_url,
            back_label=_("Về hiến kế"),
            success=_("Đã lưu ý kiến."),
            redirect_to=lambda _comment: back_url,
        )
        if response is not None:
            return response
    status = UNPROCESSABLE if form.errors else 200
    return (
        render_template(
            "proposals/edit_comment.html",
            form=form,
            comment=comment,
            deadline=services.comment_edit_deadline(comment),
        ),
        status,
    )
