"""The moderator tools on a proposal (pin, feature, move, correct the title, answer) and
the official answers' pages (the drafts of a forum, published together).

Routes of the ``moderation`` blueprint (``/moderation``), open to staff
(``staff_required``); the services decide per forum (``can_moderate``) and refuse the
others with a 403. Thin: form → service → one commit → flash → redirect. A refused
input shows the tools page again with what was typed and the reason (422).
"""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from forum.core.errors import InvalidAction
from forum.core.permissions import current_actor
from forum.extensions import db
from forum.forums import services as forums
from forum.forums.moderators import can_moderate
from forum.moderation.area import Section, add_section, bp, staff_required
from forum.moderation.curation import answers
from forum.moderation.curation import services as curation
from forum.moderation.curation.forms import AnswerForm, MoveForm, TitleForm, ToggleForm
from forum.proposals import services as proposals
from forum.notifications import inbox
from forum.notifications.inbox import NotificationKind

add_section(Section(endpoint="moderation.answers", label=_l("Trả lời chính thức"), order=40))

UNPROCESSABLE = 422


def _proposal_or_404(proposal_id: int):
    return proposals.get_visible_proposal(proposal_id, current_user) or abort(404)


def _forum_or_404(forum_id: int):
    forum = forums.get_forum_for_staff(forum_id)
    if forum is None or not forum.is_visible_to(current_user):
        abort(404)
    return forum


def _places(proposal) -> list[tuple[str, str]]:
    """The move form's options: each forum the viewer moderates, then each of its themes
    that take proposals (or the proposal's own)."""
    options = []
    for forum in forums.list_visible_forums_with_themes(current_user):
        if not can_moderate(current_user, forum):
            continue
        label = _("Diễn đàn số %(number)s", number=forum.number)
        themes = [t for t in forum.themes if not t.is_retired or t.id == proposal.theme_id]
        if not themes:
            options.append((str(forum.id), label))
        for theme in themes:
            options.append((f"{forum.id}:{theme.id}", f"{label} — {theme.title}"))
    return options


def tool_forms(proposal, **posted) -> dict:
    """The forms of the tools panel, filled from the proposal (its draft answer, or its
    published one), with ``posted`` ones (what was typed) in their place."""
    forms = dict(posted)
    forms.setdefault("title", TitleForm(formdata=None, prefix="title", data={"title": proposal.title}))
    move = forms.setdefault("move", MoveForm(formdata=None, prefix="move"))
    move.place.choices = _places(proposal)
    if move.place.data is None:
        move.place.data = f"{proposal.forum_id}:{proposal.theme_id}" if proposal.theme_id else str(proposal.forum_id)
    draft = answers.get_draft(proposal)
    if "answer" not in forms:
        if draft is not None:
            data = {"status": draft.status, "body": draft.body}
        elif proposal.answer_body:
            data = {"status": proposal.status, "body": proposal.answer_body}
        else:
            data = {"status": "under_review", "body": ""}
        forms["answer"] = AnswerForm(formdata=None, prefix="answer", data=data)
    forms["answer"].status.choices = answers.status_choices(proposal.forum)
    return {"forms": forms, "draft": draft, "proposal": proposal}


@bp.app_context_processor
def _tools_panel():
    def moderation_tools(proposal):
        """The tools panel's context for a viewer who moderates the proposal's forum,
        else None (no query for anyone but staff)."""
        if not can_moderate(current_user, proposal.forum):
            return None
        return tool_forms(proposal)

    return {"moderation_tools": moderation_tools}


def _tools_page(proposal, status: int = 200, *, error: str | None = None, **posted):
    tools = tool_forms(proposal, **posted)
    return render_template("moderation/proposal_tools.html", tools=tools, proposal=proposal, error=error,
                           moderation_section="moderation.answers"), status


def _back(proposal):
    return redirect(url_for("proposals.detail", proposal_id=proposal.id, _anchor="moderation-tools"))


def _done(proposal, event, success: str, unchanged: str | None = None):
    db.session.commit()
    if event is None and unchanged:
        flash(unchanged, "info")
    else:
        flash(success, "success")
    return _back(proposal)


@bp.route("/proposals/<id:proposal_id>")
@staff_required
def proposal_tools(proposal_id: int):
    """The tools of the panel on a page of their own (and where a refused input returns)."""
    proposal = _proposal_or_404(proposal_id)
    curation.check_can_moderate(current_user, proposal.forum)
    return _tools_page(proposal)


def _toggle(proposal_id: int, verb, on_message: str, off_message: str):
    proposal = _proposal_or_404(proposal_id)
    form = ToggleForm()
    if not form.validate_on_submit() or form.on is None:
        curation.check_can_moderate(current_user, proposal.forum)
        return _tools_page(proposal, UNPROCESSABLE, error=_("Thao tác không hợp lệ."))
    event = verb(proposal, form.on, actor=current_actor())
    return _done(proposal, event, on_message if form.on else off_message, _("Không có gì thay đổi."))


@bp.post("/proposals/<id:proposal_id>/pin")
@staff_required
def pin(proposal_id: int):
    return _toggle(proposal_id, curation.pin_proposal, _("Đã ghim hiến kế lên đầu trang diễn đàn."),
                   _("Đã bỏ ghim hiến kế."))


@bp.post("/proposals/<id:proposal_id>/feature")
@staff_required
def feature(proposal_id: int):
    return _toggle(proposal_id, curation.feature_proposal, _("Hiến kế đã được đưa lên mục Tiêu điểm ở trang chủ."),
                   _("Đã bỏ hiến kế khỏi mục Tiêu điểm."))


@bp.post("/proposals/<id:proposal_id>/title")
@staff_required
def correct_title(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = TitleForm(prefix="title")
    if form.validate_on_submit():
        try:
            event = curation.correct_title(proposal, title=form.title.data, reason=form.reason.data, actor=current_actor())
        except InvalidAction as error:
            db.session.rollback()
            return _tools_page(proposal, UNPROCESSABLE, error=str(error), title=form)
        return _done(proposal, event, _("Đã sửa tiêu đề; tiêu đề gốc của tác giả vẫn hiển thị trên trang hiến kế."),
                     _("Tiêu đề không thay đổi."))
    curation.check_can_moderate(current_user, proposal.forum)
    return _tools_page(proposal, UNPROCESSABLE, title=form)


@bp.post("/proposals/<id:proposal_id>/move")
@staff_required
def move(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = MoveForm(prefix="move")
    forum_id, theme_id = form.target()
    target = forums.get_forum_for_staff(forum_id) if form.validate_on_submit() and forum_id else None
    if target is None:
        curation.check_can_moderate(current_user, proposal.forum)
        return _tools_page(proposal, UNPROCESSABLE, error=_("Vui lòng chọn diễn đàn và nhóm vấn đề."), move=form)
    try:
        event = curation.move_proposal(proposal, forum=target, theme_id=theme_id, reason=form.reason.data,
                                       actor=current_actor())
    except InvalidAction as error:
        db.session.rollback()
        proposal = _proposal_or_404(proposal_id)
        return _tools_page(proposal, UNPROCESSABLE, error=str(error), move=form)
    inbox.notify_of_curation(event, NotificationKind.MOVED, actor=current_actor(), reason=form.reason.data or "")
    if proposal.theme is not None:
        message = _("Đã chuyển hiến kế đến Diễn đàn số %(number)s, nhóm «%(theme)s».", number=target.number,
                    theme=proposal.theme.title)
    else:
        message = _("Đã chuyển hiến kế đến Diễn đàn số %(number)s.", number=target.number)
    return _done(proposal, event, message)


@bp.post("/proposals/<id:proposal_id>/answer")
@staff_required
def answer(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    form = AnswerForm(prefix="answer")
    action = form.action.data
    if form.validate_on_submit() and action in ("draft", "publish"):
        try:
            if action == "draft":
                answers.save_draft(proposal, status=form.status.data, body=form.body.data, actor=current_actor())
            else:
                event = answers.publish_answer(proposal, status=form.status.data, body=form.body.data, actor=current_actor())
                inbox.notify_of_curation(event, NotificationKind.ANSWERED, actor=current_actor())
        except InvalidAction as error:
            db.session.rollback()
            return _tools_page(proposal, UNPROCESSABLE, error=str(error), answer=form)
        db.session.commit()
        if action == "draft":
            flash(_("Đã lưu bản nháp trả lời. Bản nháp được công bố cùng các bản nháp khác của diễn đàn."), "success")
        else:
            flash(_("Đã công bố trả lời chính thức của diễn đàn."), "success")
        return _back(proposal)
    curation.check_can_moderate(current_user, proposal.forum)
    error = None if form.errors else _("Thao tác không hợp lệ.")
    return _tools_page(proposal, UNPROCESSABLE, error=error, answer=form)


@bp.post("/proposals/<id:proposal_id>/answer/discard")
@staff_required
def discard_answer(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    if not ToggleForm().validate_on_submit():  # the CSRF check
        curation.check_can_moderate(current_user, proposal.forum)
        return _tools_page(proposal, UNPROCESSABLE, error=_("Thao tác không hợp lệ."))
    removed = answers.discard_draft(proposal, actor=current_actor())
    return _done(proposal, removed or None, _("Đã xóa bản nháp trả lời."), _("Hiến kế không có bản nháp trả lời."))


# The drafts of each forum ---------------------------------------------------------------
@bp.route("/answers", endpoint="answers")
@staff_required
def answers_index():
    """The forums the viewer moderates, each with its number of draft answers."""
    moderated = [forum for forum in forums.list_visible_forums(current_user) if can_moderate(current_user, forum)]
    counts = answers.count_drafts_by_forum(forum.id for forum in moderated)
    return render_template("moderation/answers_index.html", forums=moderated, counts=counts)


@bp.route("/forums/<id:forum_id>/answers")
@staff_required
def forum_answers(forum_id: int):
    """The forum's draft answers, with one action that publishes them all."""
    forum = _forum_or_404(forum_id)
    rows = answers.list_drafts(forum, actor=current_actor())
    return render_template("moderation/answer_drafts.html", forum=forum, rows=rows, error=None,
                           moderation_section="moderation.answers")


@bp.post("/forums/<id:forum_id>/answers/publish")
@staff_required
def publish_answers(forum_id: int):
    forum = _forum_or_404(forum_id)
    curation.check_can_moderate(current_user, forum)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        events = answers.publish_forum_drafts(forum, actor=current_actor())
        for event in events:
            inbox.notify_of_curation(event, NotificationKind.ANSWERED, actor=current_actor())
    except InvalidAction as error:
        db.session.rollback()
        forum = _forum_or_404(forum_id)
        rows = answers.list_drafts(forum, actor=current_actor())
        return render_template("moderation/answer_drafts.html", forum=forum, rows=rows, error=str(error),
                               moderation_section="moderation.answers"), UNPROCESSABLE
    db.session.commit()
    if events:
        flash(ngettext("Đã công bố %(count)s trả lời chính thức.", "Đã công bố %(count)s trả lời chính thức.",
                       len(events), count=len(events)), "success")
    else:
        flash(_("Diễn đàn không có bản nháp nào để công bố."), "info")
    return redirect(url_for("moderation.forum_answers", forum_id=forum.id))

