"""The organizers' participation dashboard (issue 9 item 3): exact figures against
hand-made data (SQLite and PostgreSQL), the Vietnamese day, participation against the
roster, the CSV files, who may see it, and a query count that does not grow with the data."""
import csv
import io
from datetime import UTC, date, datetime

import pytest

from forum.extensions import db
from forum.proposals.counts import recount_public_counts
from forum.moderation.queue.services import report_content
from forum.results.dashboard.services import build_dashboard
from forum.forums.services import get_forum_by_number
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user

FORMULA_UNIT = '=HYPERLINK("http://example.com","bấm")'


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def support_at(proposal, user, moment: datetime):
    """A support given at ``moment``: written directly, so the counts are rebuilt after
    (as the factories do)."""
    support = make_support(proposal, user)
    support.created_at = moment
    db.session.flush()
    recount_public_counts()
    db.session.commit()
    return support


@pytest.fixture
def world(app):
    """Two forums (the second hides its tallies until it closes), seven delegates on the
    roster in four provinces, an inactive delegate and an organizer who do not count."""
    with app.app_context():
        one = make_forum(number=1)
        two = make_forum(number=2, hide_tallies_until_closed=True)
        d = {
            1: make_user(unit="CĐ Công ty A", province="Hà Nội"),
            2: make_user(unit="CĐ Công ty A", province="Hà Nội"),
            3: make_user(unit="LĐLĐ Thành phố Hồ Chí Minh", province="Thành phố Hồ Chí Minh"),
            4: make_user(unit="CĐ Công ty B", province="Hà Nội"),
            5: make_user(unit="CĐ Ngành Giáo dục", province="Đà Nẵng"),
            6: make_user(unit="CĐ Công ty B", province="Hà Nội"),
            7: make_user(unit=FORMULA_UNIT, province="Huế"),
        }
        make_user(unit="CĐ Công ty C", province="Huế", is_active=False)
        organizer = make_user(role="organizer", unit="Ban Tổ chức", province="Hà Nội")
        p1 = make_proposal(one, d[1], title="Hiến kế được ủng hộ nhiều nhất", created_at=at("2026-11-30T10:00"))
        p2 = make_proposal(one, d[2], title="Hiến kế thứ hai của diễn đàn", created_at=at("2026-12-01T17:00"))
        p3 = make_proposal(two, d[3], title="Hiến kế ở diễn đàn ẩn số liệu", created_at=at("2026-12-01T03:00"))
        # Not counted: a hidden proposal, a withdrawn one, a hidden comment.
        make_proposal(one, d[4], title="Hiến kế đã bị ẩn", is_hidden=True, created_at=at("2026-11-20T10:00"))
        make_proposal(one, d[2], title="Hiến kế đã rút", status="withdrawn", created_at=at("2026-11-21T10:00"))
        make_comment(p1, d[6], is_hidden=True, created_at=at("2026-11-22T10:00"))
        make_comment(p1, d[5], created_at=at("2026-11-30T16:59"))  # 23:59 in Vietnam
        support_at(p1, d[5], at("2026-11-30T16:00"))  # 23:00 on 30/11 in Vietnam
        support_at(p1, d[3], at("2026-11-30T23:30"))  # 06:30 on 01/12 in Vietnam
        support_at(p3, d[1], at("2026-12-02T01:00"))
        report_content(p2, reason="spam", actor=d[7])
        db.session.commit()
        return {"organizer": organizer.email, "delegate": d[1].email, "p1": p1.id, "p2": p2.id, "p3": p3.id}


def test_totals_per_forum(app, world):
    with app.app_context():
        data = build_dashboard()
        rows = {row.forum.number: row for row in data.forums}
        assert (rows[1].proposals, rows[1].comments, rows[1].supports, rows[1].participants) == (2, 1, 2, 4)
        assert (rows[2].proposals, rows[2].comments, rows[2].supports, rows[2].participants) == (1, 0, 1, 2)
        assert (rows[1].hides_tallies, rows[2].hides_tallies) == (False, True)
        assert rows[1].waiting == 1 and rows[1].backlog.reported == 1 and rows[2].backlog is None
        assert [data.total(m) for m in ("proposals", "comments", "supports")] == [3, 1, 3]


def test_days_are_vietnamese_days(app, world):
    with app.app_context():
        days = [(d.day, d.proposals, d.comments, d.supports) for d in build_dashboard().days]
    assert days == [
        (date(2026, 11, 30), 1, 1, 1),  # the support at 16:00 UTC is 23:00 in Vietnam
        (date(2026, 12, 1), 1, 0, 1),  # the support at 23:30 UTC on 30/11 counts on 01/12
        (date(2026, 12, 2), 1, 0, 1),  # p2 at 17:00 UTC on 01/12 is 00:00 on 02/12
    ]


def test_one_forum(app, world):
    with app.app_context():
        data = build_dashboard(get_forum_by_number(2))
        assert [row.forum.number for row in data.forums] == [2]
        assert [(d.day, d.proposals, d.supports) for d in data.days] == [
            (date(2026, 12, 1), 1, 0), (date(2026, 12, 2), 0, 1),
        ]
        provinces = {g.key: (g.delegates, g.took_part) for g in data.provinces}
        assert provinces == {"Hà Nội": (4, 1), "Thành phố Hồ Chí Minh": (1, 1), "Đà Nẵng": (1, 0), "Huế": (1, 0)}
        assert list(data.top) == [get_forum_by_number(2).id]


def test_participation_against_the_roster(app, world):
    with app.app_context():
        data = build_dashboard()
    provinces = {g.key: (g.delegates, g.took_part) for g in data.provinces}
    # Delegate 4 wrote only a hidden proposal, delegate 6 only a hidden comment: not yet.
    assert provinces == {"Hà Nội": (4, 2), "Thành phố Hồ Chí Minh": (1, 1), "Đà Nẵng": (1, 1), "Huế": (1, 0)}
    assert [g.key for g in data.provinces] == ["Đà Nẵng", "Hà Nội", "Huế", "Thành phố Hồ Chí Minh"]
    assert (data.roster.delegates, data.roster.took_part) == (7, 4)
    units = {g.key: (g.province, g.delegates, g.took_part) for g in data.units}
    assert units["CĐ Công ty A"] == ("Hà Nội", 2, 2)
    assert units["CĐ Công ty B"] == ("Hà Nội", 2, 0)
    assert "CĐ Công ty C" not in units and "Ban Tổ chức" not in units
    assert sorted(g.key for g in data.units_not_taking_part) == sorted(["CĐ Công ty B", FORMULA_UNIT])
    assert {g.key: (g.delegates, g.took_part) for g in data.levels} == {"": (7, 4)}


def test_top_proposals(app, world):
    with app.app_context():
        data = build_dashboard()
        one, two = get_forum_by_number(1).id, get_forum_by_number(2).id
        assert [(t.rank, t.proposal_id, t.support_count) for t in data.top[one]] == [
            (1, world["p1"], 2), (2, world["p2"], 0),
        ]
        assert [t.proposal_id for t in data.top[two]] == [world["p3"]]


def test_top_five_per_forum_by_supports(app):
    with app.app_context():
        forum = make_forum(number=3)
        author = make_user()
        supporters = [make_user() for _ in range(7)]
        proposals = [make_proposal(forum, author) for _ in range(7)]
        for count, proposal in enumerate(proposals):
            for supporter in supporters[:count]:
                make_support(proposal, supporter)
        make_proposal(forum, author, is_hidden=True, support_count=99)
        top = build_dashboard().top[forum.id]
        assert [t.proposal_id for t in top] == [p.id for p in reversed(proposals)][:5]
        assert [t.support_count for t in top] == [6, 5, 4, 3, 2]


def _page(client, email, path="/organizer/dashboard"):
    client.post("/login", data={"email": email, "password": "mat-khau-thu-nghiem"})
    return client.get(path)


def test_the_page(app, client, world):
    response = _page(client, world["organizer"])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Theo dõi tham gia" in html and "<svg" in html and 'role="img"' in html
    assert "Số ủng hộ ẩn với đại biểu" in html  # forum 2 hides its tallies
    assert "CĐ Công ty B" in html
    assert "style=" not in html  # nothing the Content-Security-Policy would refuse
    assert response.headers["Cache-Control"] == "no-store"
    assert _page(client, world["organizer"], "/organizer/dashboard?forum=2").status_code == 200
    assert _page(client, world["organizer"], "/organizer/dashboard?forum=9").status_code == 404


@pytest.mark.parametrize("path", ["/organizer/dashboard", "/organizer/dashboard/units.csv"])
@pytest.mark.parametrize("role, status", [("delegate", 403), ("moderator", 403), ("organizer", 200), ("admin", 200)])
def test_only_organizers_and_admins_see_the_dashboard(app, client, path, role, status):
    with app.app_context():
        email = make_user(role=role).email
    assert _page(client, email, path).status_code == status


def test_anonymous_visitors_go_to_the_login_page(app, client):
    for path in ("/organizer/dashboard", "/organizer/dashboard/top.csv"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def _csv(client, email, table, query=""):
    response = _page(client, email, f"/organizer/dashboard/{table}.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), dialect="excel"))


def test_csv_files(app, client, world):
    units = _csv(client, world["organizer"], "units")
    assert units[0][:2] == ["Đơn vị", "Tỉnh, thành phố"]
    by_unit = {row[0]: row[1:] for row in units[1:]}
    assert by_unit["CĐ Công ty A"] == ["Hà Nội", "2", "2", "0", "100.0"]
    # A formula in a unit's name is text in a spreadsheet, never run.
    assert FORMULA_UNIT not in by_unit and by_unit["'" + FORMULA_UNIT] == ["Huế", "1", "0", "1", "0.0"]
    absent = _csv(client, world["organizer"], "units-not-taking-part")
    assert sorted(row[0] for row in absent[1:]) == sorted(["CĐ Công ty B", "'" + FORMULA_UNIT])
    forums = _csv(client, world["organizer"], "forums")
    assert [row[0] for row in forums[1:]] == ["1", "2"]
    assert [row[3:7] for row in forums[1:]] == [["2", "1", "2", "4"], ["1", "0", "1", "2"]]
    assert forums[2][8] == "có"
    days = _csv(client, world["organizer"], "days")
    assert days[1:] == [["30/11/2026", "1", "1", "1"], ["01/12/2026", "1", "0", "1"], ["02/12/2026", "1", "0", "1"]]
    top = _csv(client, world["organizer"], "top")
    assert [(row[0], row[1], row[6], row[9]) for row in top[1:]] == [
        ("1", "1", "2", ""), ("1", "2", "0", ""), ("2", "1", "1", "ẩn với đại biểu"),
    ]
    backlog = _csv(client, world["organizer"], "backlog")
    assert [row[:5] for row in backlog[1:]] == [["1", "Diễn đàn chuyên đề số 1", "1", "1", "0"]]
    provinces = _csv(client, world["organizer"], "provinces", "?forum=2")
    assert {row[0]: row[1:3] for row in provinces[1:]}["Hà Nội"] == ["4", "1"]
    assert _page(client, world["organizer"], "/organizer/dashboard/nothing.csv").status_code == 404


def _grow(app, proposals: int):
    with app.app_context():
        forum = get_forum_by_number(1)
        authors = [make_user(unit=f"CĐ Đơn vị {n}", province="Cần Thơ") for n in range(3)]
        for n in range(proposals):
            proposal = make_proposal(forum, authors[n % 3])
            make_support(proposal, authors[(n + 1) % 3])
            make_comment(proposal, authors[(n + 2) % 3])


def test_the_page_costs_a_fixed_number_of_queries(app, client, world, count_queries):
    _page(client, world["organizer"])
    _grow(app, 5)
    with count_queries() as few:
        assert client.get("/organizer/dashboard").status_code == 200
    _grow(app, 45)
    with count_queries() as many:
        assert client.get("/organizer/dashboard").status_code == 200
    assert many.count == few.count
    assert few.count <= 10, few.statements  # the login, the layout (2), the forums, 6 aggregates
