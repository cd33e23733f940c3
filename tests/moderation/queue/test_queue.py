"""The moderation queue: scope, filters, bulk actions all or nothing, header count."""
import re

import pytest

from forum.extensions import db
from forum.forums.models import Forum
from tests.factories import make_comment, make_proposal, make_user
from tests.moderation.queue.helpers import audit_actions, counters_clean, database_state, queue_rows
from tests.proposals.helpers import get_comment, get_proposal


def report(client, kind, post_id, reason="spam"):
    assert client.post(f"/moderation/{kind}s/{post_id}/report", data={"reason": reason}).status_code == 302


def item_ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'name="item" value="(\d+)"', html)]


@pytest.fixture
def reported(app, world, client_for):
    """The proposal here reported twice, the comment once (abuse), and a proposal of the
    other forum once. Returns the items' ids by name."""
    report(client_for(world.reporters[0]), "proposal", world.proposal_id)
    report(client_for(world.reporters[1]), "proposal", world.proposal_id, "duplicate")
    report(client_for(world.reporters[0]), "comment", world.comment_id, "abuse")
    report(client_for(world.reporters[0]), "proposal", world.other_proposal_id)
    rows = queue_rows(app)
    return {"proposal": rows[0][0], "comment": rows[1][0], "other": rows[2][0]}


@pytest.mark.parametrize("actor, sees", [
    ("moderator_here", {"proposal", "comment"}),
    ("moderator_elsewhere", {"other"}),
    ("moderator_all", {"proposal", "comment", "other"}),
    ("organizer", {"proposal", "comment", "other"}),
    ("admin", {"proposal", "comment", "other"}),
])
def test_each_moderator_sees_the_items_of_their_forums(app, world, client_for, reported, actor, sees):
    client = client_for(world.emails[actor])
    page = client.get("/moderation/queue")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert set(item_ids(html)) == {reported[name] for name in sees}
    assert f"Điều hành <span class=\"nav-count nav-count-waiting\">({len(sees)})</span>" in html


def test_the_queue_is_for_staff_only(app, world, client_for, reported):
    assert client_for(world.emails["delegate"]).get("/moderation/queue").status_code == 403
    assert client_for().get("/moderation/queue").status_code == 302
    # Non-staff pages carry no staff link.
    assert "Điều hành" not in client_for(world.emails["delegate"]).get("/").get_data(as_text=True)


def test_filters_and_sort(app, world, client_for, reported):
    client = client_for(world.emails["organizer"])
    ids = lambda query: item_ids(client.get(f"/moderation/queue?{query}").get_data(as_text=True))  # noqa: E731
    assert ids("") == [reported["proposal"], reported["comment"], reported["other"]]  # most reports first
    assert ids("sort=newest") == [reported["other"], reported["comment"], reported["proposal"]]
    assert ids("kind=comment") == [reported["comment"]]
    assert ids(f"forum={world.other_forum_id}") == [reported["other"]]
    assert ids("reason=duplicate") == [reported["proposal"]]
    assert ids("state=resolved") == []
    html = client.get("/moderation/queue").get_data(as_text=True)
    assert f'href="/comments/{world.comment_id}"' in html and f'href="/proposals/{world.proposal_id}"' in html
    assert "Trùng lặp với nội dung khác" in html


def test_bulk_dismiss_and_approve_resolve_the_items(app, world, client_for, reported):
    client = client_for(world.emails["moderator_here"])
    response = client.post("/moderation/queue", data={"item": [reported["proposal"], reported["comment"]],
                                                      "action": "dismiss"})
    assert response.status_code == 302
    assert [row[2] for row in queue_rows(app)] == ["resolved", "resolved", "waiting"]
    assert audit_actions(app) == ["moderation.dismiss_reports", "moderation.dismiss_reports"]
    resolved = client.get("/moderation/queue?state=resolved").get_data(as_text=True)
    assert set(item_ids(resolved)) == {reported["proposal"], reported["comment"]}
    # A resolved item cannot be approved again; a new report opens it again.
    again = client.post("/moderation/queue", data={"item": [reported["proposal"]], "action": "approve"})
    assert again.status_code == 422 and "đã được xử lý" in again.get_data(as_text=True)
    report(client_for(world.reporters[2]), "proposal", world.proposal_id)
    assert queue_rows(app)[0][2:4] == ("waiting", 1)


def test_bulk_hide_needs_a_reason_and_hides_each_item(app, world, client_for, reported):
    client = client_for(world.emails["moderator_here"])
    items = [reported["proposal"], reported["comment"]]
    refused = client.post("/moderation/queue", data={"item": items, "action": "hide", "reason": ""})
    assert refused.status_code == 422 and "Vui lòng nhập lý do ẩn" in refused.get_data(as_text=True)
    assert client.post("/moderation/queue", data={"item": items, "action": "hide",
                                                  "reason": "Vi phạm quy chế diễn đàn."}).status_code == 302
    assert get_proposal(app, world.proposal_id).hidden_reason == "Vi phạm quy chế diễn đàn."
    assert get_comment(app, world.comment_id).is_hidden
    assert counters_clean(app)
    assert audit_actions(app) == ["moderation.hide", "moderation.hide"]


def test_bulk_lock_locks_the_threads_once(app, world, client_for, reported):
    client = client_for(world.emails["organizer"])
    items = [reported["proposal"], reported["comment"], reported["other"]]
    assert client.post("/moderation/queue", data={"item": items, "action": "lock"}).status_code == 302
    assert get_proposal(app, world.proposal_id).is_locked and get_proposal(app, world.other_proposal_id).is_locked
    assert audit_actions(app) == ["moderation.lock", "moderation.lock"]
    assert [row[2] for row in queue_rows(app)] == ["waiting"] * 3  # still to be decided


@pytest.mark.parametrize("action", ["approve", "dismiss", "hide", "lock"])
def test_a_bulk_action_with_one_foreign_item_changes_nothing(app, world, client_for, reported, action):
    client = client_for(world.emails["moderator_here"])
    before = database_state(app)
    response = client.post("/moderation/queue", data={
        "item": [reported["proposal"], reported["other"]], "action": action, "reason": "Lý do"})
    assert response.status_code == 403
    assert "diễn đàn số 2" in response.get_data(as_text=True)
    assert database_state(app) == before


def test_delegates_cannot_act_on_the_queue(app, world, client_for, reported):
    delegate = client_for(world.emails["delegate"])
    before = database_state(app)
    assert delegate.post(
        "/moderation/queue", data={"item": [reported["proposal"]], "action": "approve"}).status_code == 403
    assert database_state(app) == before


def test_queue_page_and_header_count_cost_a_constant_number_of_statements(app, world, client_for, count_queries):
    client = client_for(world.emails["moderator_here"])
    reporter = client_for(world.reporters[0])
    counts = []
    for round_ in range(2):
        with app.app_context():
            forum = db.session.get(Forum, world.forum_id)
            for n in range(5):
                author = make_user()
                proposal = make_proposal(forum, author)
                comment = make_comment(proposal, author)
                report(reporter, "proposal", proposal.id)
                report(reporter, "comment", comment.id)
        with count_queries() as counter:
            assert client.get("/moderation/queue").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert counts[0] <= 12, counts


def test_the_header_count_costs_one_statement_for_staff_and_none_for_others(app, world, client_for, count_queries):
    pages = {}
    for actor in ("delegate", "organizer"):
        client = client_for(world.emails[actor])
        with count_queries() as counter:
            assert client.get("/search").status_code == 200
        pages[actor] = [s for s in counter.statements if "moderation_items" in s]
    assert pages["delegate"] == []
    assert len(pages["organizer"]) == 1
    anonymous = client_for()
    with count_queries() as counter:
        anonymous.get("/")
    assert not [s for s in counter.statements if "moderation_items" in s]


def _queue_of(client) -> set[int]:
    return set(item_ids(client.get("/moderation/queue").get_data(as_text=True)))


def test_items_follow_their_posts_to_another_forum(app, world, client_for, reported):
    """A move, a merge across forums and its undo carry the items to the queue of the
    forum the posts are in now."""
    from forum.auth.models import User
    from forum.moderation import merges
    from forum.moderation.curation import services as curation
    from forum.proposals.models import Proposal

    here, elsewhere = client_for(world.emails["moderator_here"]), client_for(world.emails["moderator_elsewhere"])

    def act(call):
        with app.app_context():
            organizer = db.session.get(User, world.ids["organizer"])
            result = call(organizer, db.session.get(Proposal, world.proposal_id),
                          db.session.get(Proposal, world.other_proposal_id))
            db.session.commit()
            return result

    merge = act(lambda organizer, proposal, other: merges.merge_proposals(proposal, other, actor=organizer).merge.id)
    # The comment now lives on the other forum's proposal; the merged proposal stays here.
    assert _queue_of(here) == {reported["proposal"]}
    assert _queue_of(elsewhere) == {reported["other"], reported["comment"]}
    with app.app_context():
        from forum.proposals.models import ProposalMerge

        act(lambda organizer, *_: merges.undo_merge(db.session.get(ProposalMerge, merge), actor=organizer))
    assert _queue_of(here) == {reported["proposal"], reported["comment"]}
    assert _queue_of(elsewhere) == {reported["other"]}

    def move(organizer, proposal, _other):
        target = db.session.get(Forum, world.other_forum_id)
        return curation.move_proposal(proposal, forum=target, theme_id=target.active_themes[0].id, actor=organizer)

    act(move)
    assert _queue_of(here) == set()
    assert _queue_of(elsewhere) == {reported["proposal"], reported["comment"], reported["other"]}
    assert counters_clean(app)
