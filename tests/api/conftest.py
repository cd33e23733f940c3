"""The API tests' world: forums in three phases, proposals in every state, a discussion
with a hidden comment, and a reader of each kind."""
from datetime import UTC, datetime, timedelta

import pytest

from forum.extensions import db
from forum.forums.moderators import assign_moderator_scope
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user


@pytest.fixture
def world(app):
    """Forum 1 (open): p1 with two supports and a discussion (one comment hidden by a
    moderator, with a reply), p2, a hidden p3, a withdrawn p4, p5 merged into p1.
    Forum 2 (voting, tallies hidden until it closes): q1 with one support. Forum 3 in
    draft: d1. A delegate, a moderator of forum 1 only, an organizer."""
    with app.app_context():
        open_forum = make_forum(number=1)
        hiding = make_forum(number=2, phase="voting", hide_tallies_until_closed=True)
        draft = make_forum(number=3, phase="draft")
        author = make_user(full_name="Trần Thị Mai", unit="Công đoàn KCN Biên Hòa", province="Đồng Nai")
        base = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        p1 = make_proposal(open_forum, author, title="Ngày hội đoàn viên ở khu nhà trọ", created_at=base)
        p2 = make_proposal(open_forum, author, title="Tủ sách cho con công nhân", created_at=base + timedelta(hours=1))
        p3 = make_proposal(open_forum, author, title="Hiến kế bị ẩn vì trùng lặp", is_hidden=True,
                           hidden_cause="moderator", hidden_reason="Trùng lặp", created_at=base + timedelta(hours=2))
        p4 = make_proposal(open_forum, author, title="Hiến kế tác giả đã rút", status="withdrawn",
                           created_at=base + timedelta(hours=3))
        p5 = make_proposal(open_forum, author, title="Hiến kế đã gộp vào hiến kế khác", status="merged",
                           merged_into_id=p1.id, created_at=base + timedelta(hours=4))
        q1 = make_proposal(hiding, author, title="Bữa cơm ca cho công nhân", created_at=base)
        d1 = make_proposal(draft, author, title="Hiến kế ở diễn đàn chưa mở", created_at=base)
        delegate = make_user(full_name="Lê Văn Hùng")
        for supporter in (delegate, make_user()):
            make_support(p1, supporter)
        make_support(q1, delegate)
        seen = make_comment(p1, delegate, body="Rất cần thiết ở Đồng Nai.")
        hidden = make_comment(p1, delegate, body="Nội dung vi phạm nội quy", is_hidden=True, hidden_cause="moderator")
        make_comment(p1, author, body="Trả lời ý kiến bị ẩn", parent=hidden)
        make_comment(p1, author, body="Cảm ơn anh.", parent=seen)
        moderator = make_user(role="moderator")
        assign_moderator_scope(moderator, [open_forum.id], actor=None)
        organizer = make_user(role="organizer")
        db.session.commit()
        return {
            "p1": p1.id, "p2": p2.id, "p3": p3.id, "p4": p4.id, "p5": p5.id, "q1": q1.id, "d1": d1.id,
            "hidden_comment": hidden.id, "delegate": delegate.email, "moderator": moderator.email,
            "organizer": organizer.email,
        }
