"""The frozen result (issue 9 item 2): made when a forum closes (by hand, by schedule),
ranked from the support rows with breakdowns, digested; the digest moves with counted
supports only; ``flask results verify`` says whether anything changed; reopening and
closing again makes a new snapshot, the old one stays; only organizers freeze and publish."""
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.core.errors import PermissionDenied
from forum.extensions import db
from forum.forums import services as forums
from forum.forums.models import Forum
from forum.proposals.models import Proposal
from forum.results import snapshots
from forum.results.models import ResultSnapshot
from forum.votes.models import Support
from tests.factories import make_forum, make_proposal, make_support, make_user


@pytest.fixture
def scene(app):
    """Forum 1 (voting) with four proposals: A with 3 supports, B and C with 2 each (a
    tie, B older), D with none; plus a hidden proposal with 1 support (never counted).
    Supporters come from two provinces and two union levels."""
    with app.app_context():
        forum = make_forum(number=1, phase="voting")
        author = make_user()
        a, b, c, d, hidden = (make_proposal(forum, author, title=f"Hiến kế {name}") for name in "ABCDH")
        hanoi = [make_user(province="Hà Nội") for _ in range(2)]
        dongnai = [make_user(province="Đồng Nai") for _ in range(2)]
        for index, user in enumerate(hanoi + dongnai):
            user.union_level = "Cấp trên trực tiếp cơ sở" if index % 2 else "Cơ sở"
        for user in hanoi + dongnai[:1]:
            make_support(a, user)
        for proposal in (b, c):
            for user in dongnai:
                make_support(proposal, user)
        make_support(hidden, hanoi[0])
        hidden.is_hidden = True
        db.session.commit()
        organizer = make_user(role="organizer")
        db.session.commit()
        return {"forum": forum.id, "ids": {name: p.id for name, p in zip("ABCDH", (a, b, c, d, hidden))},
                "organizer": organizer.id, "delegate": author.id, "supporter": hanoi[1].id}


def _forum(scene) -> Forum:
    return db.session.get(Forum, scene["forum"])


def _close(scene, when=None):
    forums.set_forum_phase(_forum(scene), "closed", actor=None, now=when)
    db.session.commit()


def test_closing_by_hand_freezes_the_ranking_with_its_breakdowns_and_digest(app, scene):
    with app.app_context():
        _close(scene)
        snapshot = db.session.scalar(sa.select(ResultSnapshot))
        assert snapshot is not None and snapshot == snapshots.current_snapshot(_forum(scene))
        payload = json.loads(snapshot.payload)
        ids = scene["ids"]
        assert [(row["id"], row["rank"], row["supports"]) for row in payload["proposals"]] == [
            (ids["A"], 1, 3), (ids["B"], 2, 2), (ids["C"], 2, 2), (ids["D"], 4, 0),
        ]
        first = payload["proposals"][0]
        assert first["by_province"] == {"Hà Nội": 2, "Đồng Nai": 1}
        assert first["by_union_level"] == {"Cơ sở": 2, "Cấp trên trực tiếp cơ sở": 1}
        assert payload["totals"]["supports"] == 7 and payload["totals"]["by_province"] == {"Hà Nội": 2, "Đồng Nai": 5}
        assert snapshot.digest == hashlib.sha256(snapshot.payload.encode("utf-8")).hexdigest()
        assert snapshot.payload == json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert (snapshot.proposal_count, snapshot.support_count) == (4, 7)
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-2:] == ["forum.set_phase", "results.freeze"]


def test_the_digest_moves_with_counted_supports_and_nothing_else(app, scene):
    with app.app_context():
        forum = _forum(scene)
        closed_at = datetime(2023, 12, 1, tzinfo=UTC)

        def digest():
            db.session.expire_all()
            return snapshots.digest_of(snapshots.canonical_json(snapshots.compute_ranking(forum, closed_at)))

        first = digest()
        proposal = db.session.get(Proposal, scene["ids"]["A"])
        proposal.title, proposal.answer_body = "Tiêu đề đã sửa cho rõ", "Ban tổ chức tiếp thu."
        make_support(db.session.get(Proposal, scene["ids"]["H"]), make_user())  # a hidden proposal: not counted
        assert digest() == first
        make_support(db.session.get(Proposal, scene["ids"]["D"]), make_user())
        assert digest() != first
        second = digest()
        supporter = db.session.get(User, scene["supporter"])
        supporter.province = "Bình Dương"  # the same support, counted under another province
        db.session.commit()
        assert digest() != second


def test_verify_says_whether_anything_changed_since(app, scene, runner):
    with app.app_context():
        _close(scene)
    result = runner.invoke(args=["results", "verify", "1"])
    assert result.exit_code == 0, result.output
    assert "Khớp: không có gì thay đổi từ khi chốt." in result.output
    with app.app_context():
        # A support written behind the site's back after the close.
        db.session.add(Support(proposal_id=scene["ids"]["D"], user_id=scene["supporter"]))
        db.session.commit()
    result = runner.invoke(args=["results", "verify", "1"])
    assert result.exit_code == 1
    assert f"Hiến kế #{scene['ids']['D']}: hạng 4 → 4, 0 → 1 lượt ủng hộ." in result.output
    assert "KHÔNG KHỚP" in result.output
    assert runner.invoke(args=["results", "verify", "7"]).exit_code != 0


def test_a_forum_closed_by_its_schedule_is_frozen_by_the_freeze_command(app, scene, runner):
    with app.app_context():
        forum = _forum(scene)
        forum.supports_close_at = datetime.now(UTC) - timedelta(minutes=5)
        db.session.commit()
        assert snapshots.current_snapshot(forum) is None
    result = runner.invoke(args=["results", "freeze"])
    assert result.exit_code == 0 and "Diễn đàn số 1: đã chốt kết quả" in result.output
    assert "Không có kết quả nào cần chốt." in runner.invoke(args=["results", "freeze"]).output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ResultSnapshot)) == 1


def test_reopening_and_closing_again_makes_a_new_snapshot_and_keeps_the_old(app, scene):
    with app.app_context():
        start = datetime.now(UTC)
        _close(scene, start - timedelta(hours=3))
        forums.set_forum_phase(_forum(scene), "voting", actor=None, now=start - timedelta(hours=2))
        make_support(db.session.get(Proposal, scene["ids"]["D"]), make_user())
        _close(scene, start - timedelta(hours=1))
        found = snapshots.list_snapshots(_forum(scene))
        assert len(found) == 2 and found[0].digest != found[1].digest
        assert found[0] == snapshots.current_snapshot(_forum(scene))
        assert json.loads(found[1].payload)["totals"]["supports"] == 7  # the old one, as it was
        phases = db.session.scalars(sa.select(AuditEntry.after).where(AuditEntry.action == "forum.set_phase")).all()
        assert [entry["phase"] for entry in phases] == ["closed", "voting", "closed"]


@pytest.mark.parametrize("who, allowed", [("delegate", False), ("organizer", True)])
def test_only_organizers_freeze_and_publish(app, scene, who, allowed):
    with app.app_context():
        _close(scene)
        snapshot = snapshots.current_snapshot(_forum(scene))
        actor = db.session.get(User, scene[who])
        if not allowed:
            with pytest.raises(PermissionDenied):
                snapshots.publish_result(snapshot, actor=actor)
            with pytest.raises(PermissionDenied):
                snapshots.freeze_forum_result(_forum(scene), actor=actor)
            assert snapshots.list_published_snapshots() == []
            return
        assert snapshots.publish_result(snapshot, actor=actor) is True
        assert snapshots.publish_result(snapshot, actor=actor) is False
        db.session.commit()
        assert snapshots.list_published_snapshots() == [snapshot]


def test_a_forum_created_closed_is_closed_since_it_was_created(app):
    with app.app_context():
        forum = make_forum(number=6, phase="closed")
        db.session.commit()
        closed_at = snapshots.closing_moment(forum)
        created = forum.created_at.replace(tzinfo=UTC) if forum.created_at.tzinfo is None else forum.created_at
        assert closed_at == created
        snapshot = snapshots.freeze_forum_result(forum, actor=None)
        assert json.loads(snapshot.payload)["closed_at"].startswith(str(created.year))
