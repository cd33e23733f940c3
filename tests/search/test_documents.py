"""Search documents are built from the current rows, with the visibility rules."""
from datetime import UTC

import pytest

from forum.extensions import db
from forum.search.documents import (
    build_documents,
    count_documents,
    forum_keys,
    iter_all_documents,
    thread_keys,
)
from tests.factories import make_comment, make_forum, make_proposal, make_user


@pytest.fixture
def thread(app):
    """A public proposal with a top-level comment and a reply; returns their ids."""
    with app.app_context():
        author = make_user()
        forum = make_forum(number=1, phase="open")
        proposal = make_proposal(forum, author, title="Phát triển đoàn viên công đoàn", body="Nội dung hiến kế")
        comment = make_comment(proposal, make_user(), body="Ý kiến thứ nhất")
        reply = make_comment(proposal, author, body="Trả lời ý kiến", parent=comment)
        return {"forum": forum.id, "proposal": proposal.id, "comment": comment.id, "reply": reply.id,
                "theme": proposal.theme_id, "author": author.id}


def keys_of(ids):
    return [f"proposal:{ids['proposal']}", f"comment:{ids['comment']}", f"comment:{ids['reply']}"]


def visibilities(app, ids):
    with app.app_context():
        documents = build_documents(keys_of(ids))
        return [documents[key].visibility for key in keys_of(ids)]


def update(app, model, id_, **values):
    with app.app_context():
        row = db.session.get(model, id_)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def test_documents_carry_the_rows_values(app, thread):
    with app.app_context():
        documents = build_documents(keys_of(thread))
    proposal = documents[f"proposal:{thread['proposal']}"]
    assert (proposal.kind, proposal.entity_id, proposal.proposal_id) == (
        "proposal", thread["proposal"], thread["proposal"])
    assert (proposal.forum_id, proposal.theme_id, proposal.author_id) == (
        thread["forum"], thread["theme"], thread["author"])
    assert (proposal.title, proposal.body, proposal.status) == (
        "Phát triển đoàn viên công đoàn", "Nội dung hiến kế", "published")
    assert proposal.created_at.tzinfo == UTC
    reply = documents[f"comment:{thread['reply']}"]
    assert (reply.kind, reply.proposal_id, reply.title, reply.body) == (
        "comment", thread["proposal"], "", "Trả lời ý kiến")
    assert (reply.forum_id, reply.theme_id, reply.status, reply.support_count) == (
        thread["forum"], thread["theme"], "published", 0)
    assert reply.created_at.tzinfo == UTC


def test_comments_take_their_proposals_status_theme_and_forum(app, thread):
    from forum.forums.models import Forum
    from forum.proposals.models import Proposal

    with app.app_context():
        other = make_forum(number=2, phase="open")
        other_id, other_theme = other.id, other.themes[1].id
    update(app, Proposal, thread["proposal"], status="accepted", forum_id=other_id, theme_id=other_theme,
           support_count=7)
    with app.app_context():
        documents = build_documents(keys_of(thread))
        assert db.session.get(Forum, other_id) is not None
    for document in documents.values():
        assert (document.status, document.forum_id, document.theme_id) == ("accepted", other_id, other_theme)
    assert documents[f"proposal:{thread['proposal']}"].support_count == 7
    assert documents[f"comment:{thread['comment']}"].support_count == 0


def test_public_thread_is_public(app, thread):
    assert visibilities(app, thread) == ["public", "public", "public"]


@pytest.mark.parametrize("values", [{"is_hidden": True}, {"status": "withdrawn"}, {"status": "merged"}])
def test_hidden_withdrawn_or_merged_proposals_are_staff_only_with_their_comments(app, thread, values):
    from forum.proposals.models import Proposal

    update(app, Proposal, thread["proposal"], **values)
    assert visibilities(app, thread) == ["staff", "staff", "staff"]


@pytest.mark.parametrize("status", ["under_review", "accepted", "rejected"])
def test_other_statuses_stay_public(app, thread, status):
    from forum.proposals.models import Proposal

    update(app, Proposal, thread["proposal"], status=status)
    assert visibilities(app, thread) == ["public", "public", "public"]


def test_draft_forum_content_is_for_organizers(app, thread):
    from forum.forums.models import Forum
    from forum.proposals.models import Comment, Proposal

    update(app, Forum, thread["forum"], phase="draft")
    assert visibilities(app, thread) == ["organizer", "organizer", "organizer"]
    update(app, Proposal, thread["proposal"], is_hidden=True)
    update(app, Comment, thread["comment"], is_hidden=True)
    assert visibilities(app, thread) == ["organizer", "organizer", "organizer"]


@pytest.mark.parametrize("phase", ["open", "voting", "closed"])
def test_published_phases_are_public(app, thread, phase):
    from forum.forums.models import Forum

    update(app, Forum, thread["forum"], phase=phase)
    assert visibilities(app, thread) == ["public", "public", "public"]


def test_hidden_comment_hides_its_replies_too(app, thread):
    from forum.proposals.models import Comment

    update(app, Comment, thread["comment"], is_hidden=True)
    assert visibilities(app, thread) == ["public", "staff", "staff"]


def test_hidden_reply_leaves_its_parent_public(app, thread):
    from forum.proposals.models import Comment

    update(app, Comment, thread["reply"], is_hidden=True)
    assert visibilities(app, thread) == ["public", "public", "staff"]


def test_missing_and_malformed_keys_are_left_out(app, thread):
    with app.app_context():
        documents = build_documents([f"proposal:{thread['proposal']}", "proposal:999999", "comment:888888",
                                     "user:1", "proposal:abc", "nonsense"])
    assert list(documents) == [f"proposal:{thread['proposal']}"]


def test_building_takes_a_fixed_number_of_queries(app, count_queries):
    with app.app_context():
        forum = make_forum(number=1, phase="open")
        author = make_user()
        proposals = [make_proposal(forum, author) for _ in range(12)]
        comments = [make_comment(p, author) for p in proposals for _ in range(2)]
        few = [f"proposal:{proposals[0].id}", f"comment:{comments[0].id}"]
        many = [f"proposal:{p.id}" for p in proposals] + [f"comment:{c.id}" for c in comments]
    counts = []
    for keys in (few, many):
        with app.app_context(), count_queries() as counter:
            assert len(build_documents(keys)) == len(keys)
        counts.append(counter.count)
    assert counts[0] == counts[1] == 2


def test_thread_and_forum_keys(app, thread):
    with app.app_context():
        other_forum = make_forum(number=2, phase="open")
        other = make_proposal(other_forum, make_user())
        other_forum_id, other_id = other_forum.id, other.id
    with app.app_context():
        assert thread_keys([thread["proposal"]]) == set(keys_of(thread))
        assert forum_keys([thread["forum"]]) == set(keys_of(thread))
        assert forum_keys([other_forum_id]) == {f"proposal:{other_id}"}
        assert thread_keys([]) == forum_keys([]) == set()


def test_streaming_every_document_in_id_order(app):
    with app.app_context():
        forum = make_forum(number=1, phase="open")
        author = make_user()
        proposals = [make_proposal(forum, author) for _ in range(5)]
        comments = [make_comment(proposals[i % 5], author) for i in range(7)]
        expected = [f"proposal:{p.id}" for p in proposals] + [f"comment:{c.id}" for c in comments]
        db.session.commit()  # end the read transaction: the stream reads on connections of its own
        assert count_documents() == 12
        streamed = list(iter_all_documents(chunk_size=2))
        assert [d.key for d in streamed] == expected
        assert {d.key: d for d in streamed} == build_documents(expected)


def test_streaming_keeps_no_transaction_open_between_chunks(app):
    """A writer can commit while a reindex stream is paused (SQLite: no long BEGIN IMMEDIATE)."""
    with app.app_context():
        forum = make_forum(number=1, phase="open")
        author = make_user()
        for _ in range(4):
            make_proposal(forum, author)
        db.session.commit()
        stream = iter_all_documents(chunk_size=2)
        first = next(stream)
        make_proposal(forum, author, title="Viết trong lúc dựng chỉ mục")  # commits; would time out if locked
        rest = list(stream)
    assert first.entity_id == 1 and len(rest) == 4
