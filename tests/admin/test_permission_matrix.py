"""Every staff endpoint × every kind of actor × forum scope, GET and POST (issue 7 item 9).

Each staff endpoint of the app (the organizer area's ``admin`` blueprint, and every
later staff blueprint listed in STAFF_BLUEPRINTS) must appear in CASES, once per method it
accepts: a test fails for any endpoint that does not, so a new staff page cannot be
forgotten. For each case and each actor the test asserts the exact status, and that a
refused request changed nothing in the database (security events in the audit log
aside: a refusal is itself recorded).

Refusals: an anonymous visitor is sent to the login page (302), anyone else logged in
but not allowed gets 403. An allowed actor gets the case's ``allowed_status``.
"""
import io
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.forums.moderators import assign_moderator_scope
from forum.forums.statuses import add_forum_status
from forum.moderation.curation.answers import save_draft
from forum.moderation.queue.services import report_content
from forum.forums.services import set_forum_phase
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user

STAFF_BLUEPRINTS = ("admin", "moderation")

ANONYMOUS = "anonymous"
DELEGATE = "delegate"
MODERATOR_HERE = "moderator of this forum"
MODERATOR_ELSEWHERE = "moderator of another forum"
ORGANIZER = "organizer"
ADMIN = "admin"
ACTORS = (ANONYMOUS, DELEGATE, MODERATOR_HERE, MODERATOR_ELSEWHERE, ORGANIZER, ADMIN)

ORGANIZERS = frozenset({ORGANIZER, ADMIN})
ADMINS = frozenset({ADMIN})
MODERATORS_HERE = frozenset({MODERATOR_HERE, ORGANIZER, ADMIN})  # who moderates forum "here"
MERGERS = frozenset({MODERATOR_HERE, ORGANIZER, ADMIN})  # who may act on the forum "here"
STAFF = frozenset({MODERATOR_HERE, MODERATOR_ELSEWHERE, ORGANIZER, ADMIN})

# Audit actions that a request may write even when it is refused: the refusal itself.
SECURITY_ACTIONS = ("security.",)


@dataclass(frozen=True)
class Case:
    """One endpoint and method: who may, what to send, and what the allowed get."""

    endpoint: str
    method: str
    allowed: frozenset[str]
    path: Callable[[SimpleNamespace], str]
    allowed_status: int = 200
    data: Callable[[SimpleNamespace], dict] = field(default=lambda world: {})

    @property
    def id(self) -> str:
        return f"{self.endpoint}-{self.method}"


def _roster_file(world) -> dict:
    data = "Họ và tên,Email\nNguyễn Văn Nhập,nhap@congdoan.vn\n".encode()
    return {"file": (io.BytesIO(data), "danh-sach.csv")}


CASES = [
    Case("admin.index", "GET", ORGANIZERS, lambda w: "/organizer/"),
    # Activation codes (forum/admin/activation/views.py); mail is off in tests: 404.
    Case("admin.activation", "GET", ORGANIZERS, lambda w: "/organizer/activation"),
    Case("admin.activation_confirm", "GET", ORGANIZERS, lambda w: "/organizer/activation/new?scope=all"),
    Case("admin.activation_sheet", "POST", ORGANIZERS, lambda w: "/organizer/activation/sheet",
         data=lambda w: {"scope": "all", "include_activated": "y"}),
    Case("admin.activation_mail", "POST", ORGANIZERS, lambda w: "/organizer/activation/mail", allowed_status=404,
         data=lambda w: {"scope": "all"}),
    Case("admin.activation_person_code", "POST", ORGANIZERS,
         lambda w: f"/organizer/activation/people/{w.person}/code"),
    # Forum settings (forum/admin/forums/views.py): organizers and admins, every forum.
    Case("admin.forums", "GET", ORGANIZERS, lambda w: "/organizer/forums"),
    Case("admin.forum_edit", "GET", ORGANIZERS, lambda w: f"/organizer/forums/{w.forum_here}"),
    Case("admin.forum_details", "POST", ORGANIZERS, lambda w: f"/organizer/forums/{w.forum_here}/details", 302,
         lambda w: {"details-title": "Tên chính thức"}),
    Case("admin.forum_phase", "POST", ORGANIZERS, lambda w: f"/organizer/forums/{w.forum_here}/phase", 302,
         lambda w: {"phase-phase": "voting"}),
    Case("admin.forum_schedule", "POST", ORGANIZERS, lambda w: f"/organizer/forums/{w.forum_here}/schedule", 302,
         lambda w: {"schedule-supports_close_at": "2030-01-01T08:00"}),
    Case("admin.forum_rules", "POST", ORGANIZERS, lambda w: f"/organizer/forums/{w.forum_here}/rules", 302,
         lambda w: {"rules-max_supports_per_user": "3", "supporting_roles": "delegate"}),
    Case("admin.theme_add", "POST", ORGANIZERS, lambda w: f"/organizer/forums/{w.forum_here}/themes", 302,
         lambda w: {"new-theme-title": "Nhóm mới"}),
    Case("admin.theme_update", "POST", ORGANIZERS,
         lambda w: f"/organizer/forums/{w.forum_here}/themes/{w.theme_here}", 302,
         lambda w: {f"theme-{w.theme_here}-title": "Tên mới"}),
    Case("admin.theme_move", "POST", ORGANIZERS,
         lambda w: f"/organizer/forums/{w.forum_here}/themes/{w.theme_here}/move", 302,
         lambda w: {"direction": "down"}),
    Case("admin.theme_retire", "POST", ORGANIZERS,
         lambda w: f"/organizer/forums/{w.forum_here}/themes/{w.theme_here}/retire", 302,
         lambda w: {"retired": "1"}),
    # The people pages (forum/admin/people/views.py).
    Case("admin.people", "GET", ORGANIZERS, lambda w: "/organizer/people"),
    Case("admin.person_new", "GET", ORGANIZERS, lambda w: "/organizer/people/new"),
    Case("admin.person_new", "POST", ORGANIZERS, lambda w: "/organizer/people/new", 302,
         lambda w: {"full_name": "Người Mới", "email": "nguoi.moi@congdoan.vn"}),
    Case("admin.person", "GET", ORGANIZERS, lambda w: f"/organizer/people/{w.person}"),
    Case("admin.person", "POST", ORGANIZERS, lambda w: f"/organizer/people/{w.person}", 302,
         lambda w: {"full_name": "Lê Thị Hoa Mới", "email": w.person_email}),
    Case("admin.person_deactivate", "POST", ORGANIZERS, lambda w: f"/organizer/people/{w.person}/deactivate", 302,
         lambda w: {"confirm": "y"}),
    Case("admin.person_reactivate", "POST", ORGANIZERS, lambda w: f"/organizer/people/{w.person}/reactivate", 302),
    Case("admin.people_import", "GET", ORGANIZERS, lambda w: "/organizer/people/import"),
    Case("admin.people_import", "POST", ORGANIZERS, lambda w: "/organizer/people/import", 302, _roster_file),
    Case("admin.people_import_template", "GET", ORGANIZERS, lambda w: "/organizer/people/import/template.xlsx"),
    # An upload is its uploader's only: anyone else's token reads as gone (302 to the upload page).
    Case("admin.people_import_preview", "GET", ORGANIZERS, lambda w: "/organizer/people/import/not-a-token", 302),
    Case("admin.people_import_confirm", "POST", ORGANIZERS, lambda w: "/organizer/people/import/not-a-token/confirm", 302),
    Case("admin.people_import_cancel", "POST", ORGANIZERS, lambda w: "/organizer/people/import/not-a-token/cancel", 302),
    # Roles and scope (forum/admin/staff/views.py)
    Case("admin.staff", "GET", ORGANIZERS, lambda w: "/organizer/staff"),
    Case("admin.find_account", "GET", ORGANIZERS, lambda w: f"/organizer/staff/find?email={w.emails[DELEGATE]}",
         allowed_status=302),
    Case("admin.staff_account", "GET", ORGANIZERS, lambda w: f"/organizer/staff/{w.person}"),
    Case("admin.change_role", "POST", ADMINS, lambda w: f"/organizer/staff/{w.person}/role", allowed_status=302,
         data=lambda w: {"role": "moderator", "reason": "Thư ký diễn đàn"}),
    Case("admin.change_forums", "POST", ORGANIZERS, lambda w: f"/organizer/staff/{w.moderator_here}/forums",
         allowed_status=302, data=lambda w: {"scope": "some", "forums": [w.forum_here, w.forum_elsewhere]}),
    # Merges and duplicates (forum/moderation/merging/views.py): moderators of the forum,
    # organizers, admins; the duplicates page lists each staff member's own forums.
    Case("moderation.merge_choose", "GET", MERGERS, lambda w: f"/moderation/proposals/{w.duplicate}/merge"),
    Case("moderation.merge_confirm", "GET", MERGERS,
         lambda w: f"/moderation/merge?source={w.duplicate}&target={w.proposal}"),
    Case("moderation.merge_confirm", "POST", MERGERS, lambda w: "/moderation/merge", 302,
         lambda w: {"source": w.duplicate, "target": w.proposal}),
    Case("moderation.merge_undo", "GET", MERGERS, lambda w: f"/moderation/merges/{w.merge}/undo"),
    Case("moderation.merge_undo", "POST", MERGERS, lambda w: f"/moderation/merges/{w.merge}/undo", 302),
    Case("moderation.duplicates", "GET", STAFF, lambda w: "/moderation/duplicates"),
    Case("moderation.duplicates_dismiss", "POST", MERGERS, lambda w: f"/moderation/duplicates/{w.pair}/dismiss", 302),
    # The audit log (forum/admin/audit/views.py); the CSV download is itself recorded
    Case("admin.results", "GET", ORGANIZERS, lambda w: "/organizer/results"),
    Case("admin.result_detail", "GET", ORGANIZERS, lambda w: "/organizer/results/3"),
    Case("admin.result_freeze", "POST", ORGANIZERS, lambda w: "/organizer/results/3/freeze", 302),
    Case("admin.result_publish", "POST", ORGANIZERS, lambda w: "/organizer/results/3/publish", 302),
    Case("admin.result_unpublish", "POST", ORGANIZERS, lambda w: "/organizer/results/3/unpublish", 302),
    Case("admin.result_verify", "POST", ORGANIZERS, lambda w: "/organizer/results/3/verify"),
    Case("admin.results_export", "GET", ORGANIZERS, lambda w: "/organizer/results/export"),
    Case("admin.results_export", "POST", ORGANIZERS, lambda w: "/organizer/results/export",
         data=lambda w: {"forums": ["3"], "format": "csv", "top": "20", "scope": "forum"}),
    Case("admin.audit_log", "GET", ORGANIZERS, lambda w: "/organizer/audit"),
    Case("admin.audit_log_csv", "GET", ORGANIZERS, lambda w: "/organizer/audit.csv"),
    # The participation dashboard and its tables as CSV (forum/results/dashboard/views.py).
    Case("admin.dashboard", "GET", ORGANIZERS, lambda w: "/organizer/dashboard"),
    Case("admin.dashboard_csv", "GET", ORGANIZERS, lambda w: "/organizer/dashboard/units.csv"),
    # Custom statuses of a forum's proposals (forum/admin/forums/views.py).
    Case("admin.status_add", "POST", ORGANIZERS, lambda w: f"/organizer/forums/{w.forum_here}/statuses", 302,
         lambda w: {"new-status-code": "chuyen_bo", "new-status-title": "Chuyển Bộ ngành"}),
    Case("admin.status_update", "POST", ORGANIZERS,
         lambda w: f"/organizer/forums/{w.forum_here}/statuses/{w.status_here}", 302,
         lambda w: {f"status-{w.status_here}-title": "Tên mới", f"status-{w.status_here}-is_retired": "y"}),
    # Curation and official answers (forum/moderation/curation/views.py): the moderators of
    # the proposal's forum, organizers and admins.
    Case("moderation.proposal_tools", "GET", MODERATORS_HERE, lambda w: f"/moderation/proposals/{w.proposal}"),
    Case("moderation.pin", "POST", MODERATORS_HERE, lambda w: f"/moderation/proposals/{w.proposal}/pin", 302,
         lambda w: {"value": "1"}),
    Case("moderation.feature", "POST", MODERATORS_HERE, lambda w: f"/moderation/proposals/{w.proposal}/feature",
         302, lambda w: {"value": "1"}),
    Case("moderation.correct_title", "POST", MODERATORS_HERE,
         lambda w: f"/moderation/proposals/{w.proposal}/title", 302,
         lambda w: {"title-title": "Tiêu đề rõ nghĩa hơn", "title-reason": "Cho rõ nghĩa"}),
    Case("moderation.move", "POST", MODERATORS_HERE, lambda w: f"/moderation/proposals/{w.proposal}/move", 302,
         lambda w: {"move-place": f"{w.forum_here}:{w.other_theme_here}"}),
    Case("moderation.answer", "POST", MODERATORS_HERE, lambda w: f"/moderation/proposals/{w.proposal}/answer", 302,
         lambda w: {"answer-status": "accepted", "answer-body": "Diễn đàn tiếp thu.", "answer-action": "draft"}),
    Case("moderation.discard_answer", "POST", MODERATORS_HERE,
         lambda w: f"/moderation/proposals/{w.proposal_with_draft}/answer/discard", 302),
    Case("moderation.answers", "GET", STAFF, lambda w: "/moderation/answers"),
    Case("moderation.forum_answers", "GET", MODERATORS_HERE, lambda w: f"/moderation/forums/{w.forum_here}/answers"),
    Case("moderation.publish_answers", "POST", MODERATORS_HERE,
         lambda w: f"/moderation/forums/{w.forum_here}/answers/publish", 302),
]

# The moderation queue, reports, hide and lock (forum/moderation/queue/views.py): the queue
# opens to all staff (each sees the items of their forums); acting on an item of forum
# "here" is for its moderators, organizers and admins; anyone logged in reports what
# someone else wrote.
LOGGED_IN = frozenset({DELEGATE}) | STAFF
CASES += [
    Case("moderation.queue", "GET", STAFF, lambda w: "/moderation/queue"),
    Case("moderation.queue_action", "POST", MODERATORS_HERE, lambda w: "/moderation/queue", 302,
         lambda w: {"item": [w.queue_item], "action": "lock"}),
    Case("moderation.report_proposal", "GET", LOGGED_IN, lambda w: f"/moderation/proposals/{w.reportable}/report"),
    Case("moderation.report_proposal", "POST", LOGGED_IN, lambda w: f"/moderation/proposals/{w.reportable}/report",
         302, lambda w: {"reason": "spam"}),
    Case("moderation.report_comment", "GET", LOGGED_IN, lambda w: f"/moderation/comments/{w.comment}/report"),
    Case("moderation.report_comment", "POST", LOGGED_IN, lambda w: f"/moderation/comments/{w.comment}/report",
         302, lambda w: {"reason": "abuse"}),
    Case("moderation.hide_proposal", "GET", MODERATORS_HERE, lambda w: f"/moderation/proposals/{w.reportable}/hide"),
    Case("moderation.hide_proposal", "POST", MODERATORS_HERE, lambda w: f"/moderation/proposals/{w.reportable}/hide",
         302, lambda w: {"reason": "Vi phạm quy chế"}),
    Case("moderation.hide_comment", "GET", MODERATORS_HERE, lambda w: f"/moderation/comments/{w.comment}/hide"),
    Case("moderation.hide_comment", "POST", MODERATORS_HERE, lambda w: f"/moderation/comments/{w.comment}/hide",
         302, lambda w: {"reason": "Vi phạm quy chế"}),
    Case("moderation.unhide_proposal", "POST", MODERATORS_HERE,
         lambda w: f"/moderation/proposals/{w.reportable}/unhide", 302),
    Case("moderation.unhide_comment", "POST", MODERATORS_HERE, lambda w: f"/moderation/comments/{w.comment}/unhide", 302),
    Case("moderation.lock_proposal", "POST", MODERATORS_HERE, lambda w: f"/moderation/proposals/{w.reportable}/lock", 302),
    Case("moderation.unlock_proposal", "POST", MODERATORS_HERE,
         lambda w: f"/moderation/proposals/{w.reportable}/unlock", 302),
]


def build_world(app) -> SimpleNamespace:
    """Two forums ("here" is the one the scoped moderator moderates), one account per
    kind of actor, a proposal, and a delegate for the people pages to act on."""
    with app.app_context():
        here = make_forum(number=1, phase="open")
        elsewhere = make_forum(number=2, phase="open")
        users = {
            DELEGATE: make_user(role="delegate"),
            MODERATOR_HERE: make_user(role="moderator"),
            MODERATOR_ELSEWHERE: make_user(role="moderator"),
            ORGANIZER: make_user(role="organizer"),
            ADMIN: make_user(role="admin"),
        }
        person = make_user(role="delegate", full_name="Lê Thị Hoa")
        proposal = make_proposal(here, users[DELEGATE])
        reportable = make_proposal(here, person)  # by someone else than every actor
        comment = make_comment(reportable, person)
        queue_item = report_content(reportable, reason="spam", actor=make_user(role="delegate")).report.item_id
        assign_moderator_scope(users[MODERATOR_HERE], [here.id], actor=None)
        assign_moderator_scope(users[MODERATOR_ELSEWHERE], [elsewhere.id], actor=None)
        status = add_forum_status(here, code="chuyen_tiep", title="Chuyển tiếp", actor=None)
        with_draft = make_proposal(here, person)
        save_draft(with_draft, status="accepted", body="Bản nháp trả lời.", actor=users[ORGANIZER])
        db.session.commit()
        merge_ids = _merge_world(here, person, users[ADMIN], proposal)
        # A closed forum with its frozen result (the results pages act on forum 3).
        closed = make_forum(number=3, phase="voting")
        make_support(make_proposal(closed, person), users[DELEGATE])
        set_forum_phase(closed, "closed", actor=None)
        db.session.commit()
        return SimpleNamespace(
            moderator_here=users[MODERATOR_HERE].id,
            forum_here=here.id,
            forum_elsewhere=elsewhere.id,
            theme_here=here.themes[0].id,
            other_theme_here=here.themes[1].id,
            status_here=status.id,
            proposal_with_draft=with_draft.id,
            person=person.id,
            person_email=person.email,
            proposal=proposal.id,
            **merge_ids,
            reportable=reportable.id,
            comment=comment.id,
            queue_item=queue_item,
            emails={actor: user.email for actor, user in users.items()},
        )


def _merge_world(forum, author, admin, proposal) -> dict:
    """A duplicate of ``proposal`` to merge, a merge to undo, a pair of possible duplicates."""
    from forum.moderation.duplicates import record_similar
    from forum.moderation.merges import merge_proposals

    duplicate = make_proposal(forum, author)
    merged = merge_proposals(make_proposal(forum, author), make_proposal(forum, admin), actor=admin).merge
    record_similar(duplicate, [(proposal, 0.9)])
    db.session.commit()
    pair = db.session.scalar(sa.text("SELECT id FROM duplicate_pairs"))
    return {"duplicate": duplicate.id, "merge": merged.id, "pair": pair}


def database_state(app) -> dict:
    """Every row of every table, in primary-key order; refusals must leave it as it was."""
    state = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            if table.name == "audit_entries":
                query = query.where(sa.not_(sa.or_(*(table.c.action.startswith(p) for p in SECURITY_ACTIONS))))
            state[table.name] = [tuple(row) for row in db.session.execute(query)]
        db.session.remove()
    return state


def staff_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] in STAFF_BLUEPRINTS:
            routes |= {(rule.endpoint, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_every_staff_endpoint_is_in_the_matrix(app):
    declared = {(case.endpoint, case.method) for case in CASES}
    missing = sorted(staff_routes(app) - declared)
    assert not missing, (
        "staff endpoints missing from CASES in tests/admin/test_permission_matrix.py "
        f"(add one Case per endpoint and method, with who may and the exact status): {missing}"
    )
    assert not declared - staff_routes(app), "CASES names endpoints the app does not have"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_who_may_use_each_staff_endpoint(app, client, auth, case, actor):
    world = build_world(app)
    if actor != ANONYMOUS:
        assert auth.login(world.emails[actor]).status_code == 302
    before = database_state(app)
    path = case.path(world)
    if case.method == "GET":
        response = client.get(path)
    else:
        response = client.open(path, method=case.method, data=case.data(world))

    if actor in case.allowed:
        assert response.status_code == case.allowed_status, response.get_data(as_text=True)[:2000]
        return
    if actor == ANONYMOUS:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert response.status_code == 403
    assert database_state(app) == before


def test_the_state_comparison_sees_a_change_and_ignores_only_security_events(app):
    from forum.auth.models import User
    from forum.core.audit import record_audit

    world = build_world(app)
    before = database_state(app)
    with app.app_context():
        record_audit("security.forbidden", None, actor=None)
        db.session.commit()
    assert database_state(app) == before
    with app.app_context():
        db.session.get(User, world.person).full_name = "Lê Thị Hoa Đổi"
        db.session.commit()
    assert database_state(app) != before
