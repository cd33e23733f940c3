"""Results pages: the organizers' results page in the organizer area (each forum's state,
its frozen result and digest, freeze, verify, publish), and the public page of the
published results."""
import tempfile

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forum.admin.access import is_organizer, organizer_required
from forum.admin.area import Section, add_section
from forum.admin.area import bp as admin_bp
from forum.core.errors import DomainError
from forum.core.permissions import current_actor
from forum.extensions import db
from forum.forums.services import get_forum_by_number, list_all_forums, list_visible_forums_with_themes
from forum.proposals.services import get_proposals_by_id
from forum.results import exporting, snapshots
from forum.results.forms import ExportForm, ResultActionForm
from forum.results.ranking import ExportRequest

bp = Blueprint("results", __name__)

# How many proposals of a forum a results page lists (the exports hold them all).
SHOWN = 50

add_section(
    Section(
        endpoint="admin.results",
        label=_l("Kết quả"),
        description=_l("Chốt, kiểm tra và công bố kết quả của từng diễn đàn; mã kiểm tra SHA-256."),
        order=70,
        allowed=is_organizer,
    )
)


def _forum_or_404(number: int):
    forum = get_forum_by_number(number)
    return forum if forum is not None else abort(404)


def _ranked(snapshot, limit: int = SHOWN) -> list[tuple[dict, object]]:
    """The first ``limit`` rows of the snapshot with their proposals (one query)."""
    rows = snapshots.snapshot_payload(snapshot)["proposals"][:limit]
    found = get_proposals_by_id(row["id"] for row in rows)
    return [(row, found.get(row["id"])) for row in rows]


@admin_bp.route("/results", endpoint="results")
@organizer_required
def organizer_results():
    """Every forum: its phase, the snapshot of its current closing (or why none), the
    older snapshots, and the actions."""
    forums = list_all_forums()
    states = [(forum, snapshots.current_snapshot(forum), snapshots.list_snapshots(forum)) for forum in forums]
    return render_template("results/organizer.html", states=states, form=ResultActionForm())


@admin_bp.route("/results/<id:number>", endpoint="result_detail")
@organizer_required
def organizer_result(number: int):
    forum = _forum_or_404(number)
    found = snapshots.list_snapshots(forum)
    if not found:
        abort(404)
    snapshot = found[0]
    return render_template("results/result.html", forum=forum, snapshot=snapshot, ranked=_ranked(snapshot),
                           older=found[1:], staff=True, form=ResultActionForm())


def _act(number: int, action) -> object:
    forum = _forum_or_404(number)
    form = ResultActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        message = action(forum)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("admin.results", _anchor=f"forum-{forum.number}"))


@admin_bp.post("/results/<id:number>/freeze", endpoint="result_freeze")
@organizer_required
def freeze(number: int):
    def action(forum):
        snapshot = snapshots.freeze_forum_result(forum, actor=current_actor())
        return _("Đã chốt kết quả của Diễn đàn số %(number)s (mã kiểm tra %(digest)s).",
                 number=forum.number, digest=snapshot.digest[:16] + "…")

    return _act(number, action)


@admin_bp.post("/results/<id:number>/publish", endpoint="result_publish")
@organizer_required
def publish(number: int):
    def action(forum):
        found = snapshots.list_snapshots(forum)
        if not found:
            raise DomainError(_("Diễn đàn chưa có kết quả đã chốt."))
        snapshots.publish_result(found[0], actor=current_actor())
        return _("Đã công bố kết quả của Diễn đàn số %(number)s.", number=forum.number)

    return _act(number, action)


@admin_bp.post("/results/<id:number>/unpublish", endpoint="result_unpublish")
@organizer_required
def unpublish(number: int):
    def action(forum):
        for snapshot in snapshots.list_snapshots(forum):
            snapshots.unpublish_result(snapshot, actor=current_actor())
        return _("Đã ngừng công bố kết quả của Diễn đàn số %(number)s.", number=forum.number)

    return _act(number, action)


@admin_bp.post("/results/<id:number>/verify", endpoint="result_verify")
@organizer_required
def verify(number: int):
    """Compute the ranking again from the support rows and say whether it changed
    (``flask results verify`` on the page; nothing is written)."""
    forum = _forum_or_404(number)
    if not ResultActionForm().validate_on_submit():
        abort(400)
    found = snapshots.list_snapshots(forum)
    if not found:
        abort(404)
    check = snapshots.verify_snapshot(found[0])
    db.session.rollback()
    return render_template("results/result.html", forum=forum, snapshot=found[0], ranked=_ranked(found[0]),
                           older=found[1:], staff=True, form=ResultActionForm(), check=check)


# Exports --------------------------------------------------------------------------------
def _export_request(form: ExportForm, statuses: dict[str, str]) -> ExportRequest:
    choices = ExportRequest(
        forum_numbers=tuple(form.chosen_forums),
        theme_ids=tuple(form.chosen_themes),
        statuses=tuple(form.chosen_statuses),
        date_from=form.parsed["date_from"],
        date_to=form.parsed["date_to"],
        min_supports=form.parsed["min_supports"],
        top=form.parsed["top"],
        overall=form.parsed["overall"],
        with_comments=bool(form.with_comments.data),
        with_answers=bool(form.with_answers.data),
        include_hidden=bool(form.include_hidden.data),
        include_withdrawn=bool(form.include_withdrawn.data),
    )
    return ExportRequest(**{**choices.__dict__, "filters_in_words": exporting.describe(choices, statuses)})


@admin_bp.route("/results/export", methods=["GET", "POST"], endpoint="results_export")
@organizer_required
def export():
    """The export form; a valid POST answers with the file (CSV and JSON stream, XLSX
    and DOCX are written to a temporary file first: their formats end with an index)."""
    forums = list_visible_forums_with_themes(current_user)
    status_choices = exporting.status_choices(forums)
    form = ExportForm(forums=forums, statuses=status_choices)
    if request.method == "GET" and not form.chosen_forums:
        form.chosen_forums = [forum.number for forum in forums]
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("results/export.html", form=form), status
    choices = _export_request(form, dict(status_choices))
    prepared = exporting.prepare_export(choices, form.format.data, actor=current_actor())
    db.session.commit()
    if prepared.chunks is not None:
        response = Response(stream_with_context(prepared.chunks), mimetype=prepared.media_type)
    else:
        target = tempfile.TemporaryFile()
        prepared.write(target)
        size = target.tell()
        target.seek(0)
        response = Response(_chunks_of(target), mimetype=prepared.media_type)
        response.content_length = size
    response.headers["Content-Disposition"] = f'attachment; filename="{prepared.filename}"'
    return response


def _chunks_of(target, size: int = 64 * 1024):
    """A written temporary file, sent in pieces and closed (deleted) once sent."""
    try:
        while chunk := target.read(size):
            yield chunk
    finally:
        target.close()


# Public ---------------------------------------------------------------------------------
@bp.route("/results")
def public_results():
    """The results the organizers published, one per forum, with their digests."""
    return render_template("results/public.html", published=snapshots.list_published_snapshots())


@bp.route("/results/<id:number>")
def public_result(number: int):
    forum = _forum_or_404(number)
    published = [s for s in snapshots.list_snapshots(forum) if s.published_at is not None]
    if not published or not forum.is_visible_to(current_user):
        abort(404)
    snapshot = published[0]
    return render_template("results/result.html", forum=forum, snapshot=snapshot, ranked=_ranked(snapshot),
                           older=[], staff=False)
