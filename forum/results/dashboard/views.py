"""The participation dashboard (Bảng theo dõi tham gia) in the organizer area: organizers
and admins only. The page and each of its tables as CSV (UTF-8 with BOM, Excel dialect,
formula-like cells neutralised), for every forum or one (``?forum=<number>``)."""
import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forum.admin.access import is_organizer, organizer_required
from forum.admin.area import Section, add_section, bp
from forum.core.formatting import date_filter, number_filter
from forum.core.spreadsheet import safe_cell
from forum.results.dashboard import charts
from forum.results.dashboard.services import Dashboard, build_dashboard, list_forums

LOCAL_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

add_section(
    Section(
        endpoint="admin.dashboard",
        label=_l("Theo dõi tham gia"),
        description=_l(
            "Hiến kế, ý kiến, lượt ủng hộ theo diễn đàn và theo ngày; tỷ lệ đại biểu tham gia theo tỉnh, "
            "đơn vị; các hiến kế dẫn đầu; việc kiểm duyệt còn chờ."
        ),
        order=15,
        allowed=is_organizer,
    )
)


def _selected_forum(forums):
    """The forum of ``?forum=<number>`` (404 for a number no forum has), or None."""
    number = request.args.get("forum", "").strip()
    if not number:
        return None
    found = next((forum for forum in forums if str(forum.number) == number), None)
    if found is None:
        abort(404)
    return found


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _forum_label(forum) -> str:
    return _("Diễn đàn %(number)s", number=forum.number)


def _charts(dashboard: Dashboard) -> dict:
    forum_rows = dashboard.forums
    measures = [
        charts.Series(_("Hiến kế"), [row.proposals for row in forum_rows]),
        charts.Series(_("Ý kiến"), [row.comments for row in forum_rows]),
        charts.Series(_("Lượt ủng hộ"), [row.supports for row in forum_rows]),
    ]
    result = {
        "forums": charts.horizontal_bars(
            "chart-forums",
            title=_("Hiến kế, ý kiến và lượt ủng hộ theo diễn đàn"),
            description=_("Mỗi diễn đàn một nhóm ba thanh: hiến kế (tô đặc), ý kiến (gạch chéo), lượt ủng hộ "
                          "(chấm); số liệu ghi ngay sau mỗi thanh và trong bảng bên dưới."),
            categories=[_forum_label(row.forum) for row in forum_rows],
            series=measures,
        ),
    }
    days = [day.day for day in dashboard.days]
    for index, (measure, label) in enumerate(
        (("proposals", _("Hiến kế mỗi ngày")), ("comments", _("Ý kiến mỗi ngày")), ("supports", _("Lượt ủng hộ mỗi ngày")))
    ):
        values = [getattr(day, measure) for day in dashboard.days]
        result[f"days_{measure}"] = charts.day_columns(
            f"chart-days-{measure}",
            title=label,
            description=_("Mỗi cột một ngày (giờ Việt Nam), cao nhất %(highest)s; số liệu từng ngày trong bảng bên dưới.",
                          highest=number_filter(max(values, default=0))),
            days=days,
            values=values,
            pattern=index,
            day_label=lambda day: f"{day.day:02d}/{day.month:02d}",
        )
    # Lowest share first: the provinces to call come at the top (the table is alphabetical).
    provinces = sorted(dashboard.provinces, key=lambda group: group.share)
    result["provinces"] = charts.horizontal_bars(
        "chart-provinces",
        title=_("Tỷ lệ đại biểu đã tham gia theo tỉnh, thành phố"),
        description=_("Mỗi tỉnh, thành phố một thanh, dài theo tỷ lệ đại biểu đã tham gia, tỷ lệ thấp nhất "
                      "trước; ghi số đã tham gia trên tổng số đại biểu và tỷ lệ."),
        categories=[group.key or _("(chưa ghi tỉnh, thành phố)") for group in provinces],
        series=[charts.Series(_("Tỷ lệ đã tham gia"), [group.share for group in provinces])],
        value_label=lambda _s, c: f"{provinces[c].took_part}/{provinces[c].delegates} · {_percent(provinces[c].share)}",
        maximum=1.0,
    )
    return result


@bp.route("/dashboard")
@organizer_required
def dashboard():
    forums = list_forums()
    forum = _selected_forum(forums)
    data = build_dashboard(forum, all_forums=forums)
    return render_template(
        "results/dashboard.html",
        dashboard=data,
        forums=forums,
        forum=forum,
        charts=_charts(data),
        percent=_percent,
        forum_label=_forum_label,
        csv_args={"forum": forum.number} if forum else {},
    )


# CSV -------------------------------------------------------------------------------------
def _yes(value: bool) -> str:
    return _("có") if value else _("không")


def _forums_table(data: Dashboard):
    header = [_("Số"), _("Diễn đàn"), _("Giai đoạn"), _("Hiến kế"), _("Ý kiến"), _("Lượt ủng hộ"),
              _("Người tham gia"), _("Mục chờ kiểm duyệt"), _("Số liệu ẩn với đại biểu")]  # fmt: skip
    rows = [
        [row.forum.number, row.forum.title, row.forum.phase_label, row.proposals, row.comments, row.supports,
         row.participants, row.waiting, _yes(row.hides_tallies)]
        for row in data.forums
    ]  # fmt: skip
    return header, rows


def _days_table(data: Dashboard):
    header = [_("Ngày (giờ Việt Nam)"), _("Hiến kế"), _("Ý kiến"), _("Lượt ủng hộ")]
    return header, [[date_filter(day.day), day.proposals, day.comments, day.supports] for day in data.days]


def _roster_table(label, groups, *, with_province=False):
    header = [label] + ([_("Tỉnh, thành phố")] if with_province else []) + [
        _("Đại biểu"), _("Đã tham gia"), _("Chưa tham gia"), _("Tỷ lệ đã tham gia (%)")]
    rows = [
        [group.key] + ([group.province] if with_province else [])
        + [group.delegates, group.took_part, group.delegates - group.took_part, round(group.share * 100, 1)]
        for group in groups
    ]
    return header, rows


def _top_table(data: Dashboard):
    header = [_("Số diễn đàn"), _("Hạng"), _("Mã hiến kế"), _("Tiêu đề"), _("Tác giả"), _("Đơn vị"),
              _("Lượt ủng hộ"), _("Ý kiến"), _("Trạng thái"), _("Ghi chú")]  # fmt: skip
    hidden = {row.forum.id for row in data.forums if row.hides_tallies}
    numbers = {row.forum.id: row.forum.number for row in data.forums}
    rows = [
        [numbers.get(item.forum_id, ""), item.rank, item.proposal_id, item.title, item.author, item.unit,
         item.support_count, item.comment_count, item.status_label,
         _("ẩn với đại biểu") if item.forum_id in hidden else ""]
        for row in data.forums for item in data.top.get(row.forum.id, [])
    ]  # fmt: skip
    return header, rows


def _backlog_table(data: Dashboard):
    header = [_("Số diễn đàn"), _("Diễn đàn"), _("Mục đang chờ"), _("Có báo cáo vi phạm"), _("Bài mới chờ duyệt"),
              _("Chờ từ (giờ Việt Nam)")]  # fmt: skip
    rows = []
    for row in data.backlog:
        rows.append([row.forum.number, row.forum.title, row.backlog.waiting, row.backlog.reported,
                     row.backlog.awaiting_approval, _local_text(row.backlog.oldest)])  # fmt: skip
    return header, rows


def _local_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TIMEZONE).strftime("%d/%m/%Y %H:%M")


TABLES = {
    "forums": ("theo-dien-dan", _forums_table),
    "days": ("theo-ngay", _days_table),
    "provinces": ("theo-tinh", lambda d: _roster_table(_("Tỉnh, thành phố"), d.provinces)),
    "units": ("theo-don-vi", lambda d: _roster_table(_("Đơn vị"), d.units, with_province=True)),
    "units-not-taking-part": (
        "don-vi-chua-tham-gia", lambda d: _roster_table(_("Đơn vị"), d.units_not_taking_part, with_province=True)),
    "union-levels": ("theo-cap-cong-doan", lambda d: _roster_table(_("Cấp công đoàn"), d.levels)),
    "top": ("hien-ke-dan-dau", _top_table),
    "backlog": ("kiem-duyet-dang-cho", _backlog_table),
}


def csv_text(header, rows) -> str:
    """The table as CSV for Excel: BOM, Excel dialect (commas, CRLF), every cell through
    ``safe_cell`` so that nothing runs as a formula."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


@bp.route("/dashboard/<table>.csv")
@organizer_required
def dashboard_csv(table):
    if table not in TABLES:
        abort(404)
    forums = list_forums()
    forum = _selected_forum(forums)
    data = build_dashboard(forum, all_forums=forums)
    filename, make_table = TABLES[table]
    header, rows = make_table(data)
    stamp = datetime.now(LOCAL_TIMEZONE).strftime("%Y%m%d-%H%M")
    suffix = f"-dien-dan-{forum.number}" if forum else ""
    response = Response(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}{suffix}-{stamp}.csv"'
    return response

