"""What an export holds: a closed forum's frozen ranking (and digest), an open forum's
live one, no counts before the close where tallies are hidden, merged proposals once
under their target, filters, top N per forum or overall, plain text from Markdown."""
import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.extensions import db
from forum.forums import services as forums
from forum.forums.models import Forum
from forum.moderation import merges
from forum.proposals.models import Proposal
from forum.results import snapshots
from forum.results.ranking import ExportRequest, build_result
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user


@pytest.fixture
def scene(app):
    """Forum 1 closed (A 3 supports, B 1 merged into A by an organizer before the close,
    C 1), forum 2 open (D 2, E 0), forum 3 open hiding its tallies (F 1, G 2)."""
    with app.app_context():
        one, two = make_forum(number=1, phase="voting"), make_forum(number=2, phase="open")
        three = make_forum(number=3, phase="open", hide_tallies_until_closed=True)
        organizer = make_user(role="organizer")
        people = [make_user(province=province) for province in ("Hà Nội", "Đồng Nai", "Hà Nội", "Huế")]
        authors = [make_user(full_name=name) for name in ("Lê Văn An", "Phạm Thị Bình", "Ngô Văn Cường")]
        a = make_proposal(one, authors[0], title="A: ngày hội đoàn viên", body="Tổ chức **ngày hội**.\n\n- một\n- hai")
        b = make_proposal(one, authors[1], title="B: ngày hội kết nạp")
        c = make_proposal(one, authors[2], title="C: tủ sách")
        for person in people[:3]:
            make_support(a, person)
        make_support(b, people[3])
        make_support(c, people[0])
        make_comment(a, people[1], body="Rất *đồng ý*.")
        d = make_proposal(two, authors[0], title="D")
        e = make_proposal(two, authors[1], title="E")
        for person in people[:2]:
            make_support(d, person)
        f = make_proposal(three, authors[0], title="F")
        g = make_proposal(three, authors[1], title="G")
        make_support(f, people[0])
        for person in people[1:3]:
            make_support(g, person)
        db.session.commit()
        merges.merge_proposals(b, a, actor=organizer)
        forums.set_forum_phase(one, "closed", actor=None)
        db.session.commit()
        return {name: p.id for name, p in zip("ABCDEFG", (a, b, c, d, e, f, g))}


def export(app, **choices):
    with app.test_request_context():
        header, rows = build_result(ExportRequest(**choices))
        return header, list(rows)


def test_a_closed_forum_exports_its_frozen_ranking_with_its_digest(app, scene):
    header, rows = export(app, forum_numbers=(1,))
    with app.app_context():
        digest = snapshots.current_snapshot(db.session.scalar(sa.select(Forum).where(Forum.number == 1))).digest
    assert [section.digest for section in header.forums] == [digest]
    assert [(row.proposal_id, row.rank, row.supports) for row in rows] == [(scene["A"], 1, 4), (scene["C"], 2, 1)]
    first = rows[0]
    assert first.merged_ids == (scene["B"],) and first.co_authors == ("Phạm Thị Bình",)
    assert first.supports_by_province == {"Hà Nội": 2, "Đồng Nai": 1, "Huế": 1}
    assert first.text == "Tổ chức ngày hội.\n\n- một\n- hai"
    assert first.url.endswith(f"/proposals/{scene['A']}") and first.url.startswith("http")
    assert first.main_comments == ()


def test_hidden_tallies_are_not_exported_before_the_close(app, scene):
    _header, rows = export(app, forum_numbers=(3,))
    assert [(row.proposal_id, row.rank, row.supports) for row in rows] == [(scene["F"], 1, None), (scene["G"], 2, None)]
    assert all(row.supports_by_province == {} for row in rows)


def test_filters_and_top_n_per_forum_and_overall(app, scene):
    _header, rows = export(app, forum_numbers=(1, 2), min_supports=1)
    assert [row.proposal_id for row in rows] == [scene["A"], scene["C"], scene["D"]]
    _header, rows = export(app, top=1)
    assert [row.proposal_id for row in rows] == [scene["A"], scene["D"], scene["F"]]
    _header, rows = export(app, overall=True, top=3)
    assert [(row.proposal_id, row.rank) for row in rows] == [(scene["A"], 1), (scene["D"], 2), (scene["C"], 3)]
    _header, rows = export(app, overall=True)  # forums that hide their counts come last, unranked by them
    assert [row.proposal_id for row in rows][-2:] == [scene["F"], scene["G"]]
    _header, rows = export(app, forum_numbers=(1,), statuses=("accepted",))
    assert rows == []


def test_comments_come_when_asked(app, scene):
    _header, rows = export(app, forum_numbers=(1,), with_comments=True)
    [comment] = rows[0].main_comments
    assert comment.text == "Rất đồng ý." and comment.author
