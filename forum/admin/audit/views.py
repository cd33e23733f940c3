"""The audit log viewer (Nhật ký kiểm tra): organizers and admins read and filter the
log and download it as CSV. Nothing here, or anywhere in the app, edits or deletes an
entry: only GET routes (tests/admin/test_audit_viewer.py checks it).
"""
import csv
import io
import json
from datetime import UTC, datetime

from flask import Response, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from forum.admin.access import is_organizer, organizer_required
from forum.admin.area import Section, add_section, bp
from forum.admin.audit.forms import LOCAL_TIMEZONE, LogFilterForm
from forum.admin.audit.labels import action_label, actor_role_label, field_label, target_label, value_label
from forum.auth.staff import find_user_ids
from forum.core.audit import (
    AuditFilters,
    iter_audit_entries,
    list_audit_actions,
    list_audit_entries,
    list_audit_target_types,
    record_audit,
)
from forum.core.spreadsheet import safe_cell
from forum.extensions import db
from forum.forums.services import list_all_forums

PER_PAGE = 50
EXPORTED = "audit.exported"

add_section(
    Section(
        endpoint="admin.audit_log",
        label=_l("Nhật ký kiểm tra"),
        description=_l("Ai đã làm gì, với đối tượng nào, khi nào; lọc và tải về dạng CSV."),
        order=90,
        allowed=is_organizer,
    )
)


def _filter_form():
    forums = list_all_forums()
    form = LogFilterForm(
        request.args, actions=list_audit_actions(), target_types=list_audit_target_types(), forums=forums
    )
    return form, forums


def _filters(form: LogFilterForm) -> AuditFilters:
    return AuditFilters(
        actor_ids=find_user_ids(form.actor.data) if form.actor.data else None,
        actor_role=form.actor_role(),
        action=form.action.data or "",
        target_type=form.target_type.data or "",
        target_id=form.object_id(),
        forum_id=form.forum_id(),
        created_from=form.created_from(),
        created_before=form.created_before(),
    )


def _local(moment: datetime) -> datetime:
    """A stored time in Vietnam time (SQLite gives them back naive, in UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LOCAL_TIMEZONE)


@bp.route("/audit")
@organizer_required
def audit_log():
    form, forums = _filter_form()
    valid = form.validate()
    page = list_audit_entries(_filters(form), page=request.args.get("page", 1, type=int), per_page=PER_PAGE) if valid else None
    return render_template(
        "admin/audit/index.html",
        form=form,
        page=page,
        forum_numbers={forum.id: forum.number for forum in forums},
        action_label=action_label,
        target_label=target_label,
        actor_role_label=actor_role_label,
        field_label=field_label,
        value_label=value_label,
    ), (200 if valid else 400)


CSV_COLUMNS = (
    _l("Thời gian (giờ Việt Nam)"), _l("Mã mục"), _l("Người thực hiện"), _l("Email"), _l("Vai trò lúc thực hiện"),
    _l("Hành động"), _l("Mã hành động"), _l("Loại đối tượng"), _l("Mã đối tượng"), _l("Diễn đàn"),
    _l("Trước"), _l("Sau"), _l("Lý do"), _l("Mã yêu cầu"), _l("Địa chỉ IP"),
)  # fmt: skip


def _json(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _csv_rows(filters: AuditFilters, forum_numbers: dict[int, int]):
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write("\ufeff")  # the BOM: Excel on Windows then reads the file as UTF-8
    writer.writerow([str(column) for column in CSV_COLUMNS])
    yield flush()
    for count, entry in enumerate(iter_audit_entries(filters), start=1):
        actor = entry.actor
        writer.writerow([safe_cell(value) for value in (
            _local(entry.created_at).strftime("%d/%m/%Y %H:%M:%S"), entry.id,
            actor.full_name if actor else actor_role_label(entry.actor_role), actor.email if actor else "",
            actor_role_label(entry.actor_role), action_label(entry.action), entry.action,
            target_label(entry.target_type) if entry.target_type else "", entry.target_id if entry.target_id is not None else "",
            forum_numbers.get(entry.forum_id, entry.forum_id or ""), _json(entry.before), _json(entry.after),
            entry.reason, entry.request_id, entry.client_address,
        )])  # fmt: skip
        if count % 200 == 0:
            yield flush()
    yield flush()


@bp.route("/audit.csv")
@organizer_required
def audit_log_csv():
    """The filtered log as CSV (UTF-8 with BOM), every matching entry, streamed. The
    download is itself an entry: the log holds personal data."""
    form, forums = _filter_form()
    if not form.validate():
        return render_template(
            "admin/audit/index.html", form=form, page=None, forum_numbers={},
            action_label=action_label, target_label=target_label, actor_role_label=actor_role_label,
        ), 400
    filters = _filters(form)
    query = request.query_string.decode("utf-8", "replace")[:1000]
    record_audit(EXPORTED, None, actor=current_user._get_current_object(), after={"filters": query})
    db.session.commit()
    response = Response(
        stream_with_context(_csv_rows(filters, {forum.id: forum.number for forum in forums})),
        content_type="text/csv; charset=utf-8",
    )
    stamp = datetime.now(LOCAL_TIMEZONE).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="nhat-ky-kiem-tra-{stamp}.csv"'
    return response
