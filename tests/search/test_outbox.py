"""Every change that alters a search document writes outbox rows in its own transaction."""
import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.forums.models import Forum, Theme
from forum.proposals import services as proposals
from forum.proposals.models import Comment, Proposal
from forum.search.models import SearchOutbox
from forum.search.outbox import enqueue_search_update
from forum.votes import services as votes
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user
from tests.search.integration import clear_outbox, outbox_rows


@pytest.fixture
def ids(app):
    """A forum with a proposal, a comment and a reply, and an empty outbox."""
    with app.app_context():
        author = make_user()
        forum = make_forum(number=1, phase="open")
        proposal = make_proposal(forum, author)
        comment = make_comment(proposal, author)
        reply = make_comment(proposal, author, parent=comment)
        result = {"forum": forum.id, "proposal": proposal.id, "comment": comment.id, "reply": reply.id,
                  "author": author.id, "other_theme": forum.themes[1].id}
    clear_outbox(app)
    return result


def change(app, model, id_, **values):
    with app.app_context():
        row = db.session.get(model, id_)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def test_rows_are_written_with_the_change_and_vanish_on_rollback(app):
    with app.app_context():
        forum = make_forum(number=1, phase="open")
        author = make_user()
        db.session.execute(sa.delete(SearchOutbox))
        db.session.commit()
        proposal = Proposal(forum=forum, author=author, title="Một hiến kế", body="Nội dung", body_html="<p>x</p>")
        db.session.add(proposal)
        db.session.flush()
        # Same transaction: visible to it before the commit...
        assert db.session.execute(sa.select(SearchOutbox.entity, SearchOutbox.entity_id)).all() == [
            ("proposal", proposal.id)]
        db.session.rollback()
    # ...and gone with it.
    assert outbox_rows(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_created_proposal_and_comment_are_enqueued(app):
    with app.app_context():
        author = make_user()
        forum = make_forum(number=1, phase="open")
        db.session.execute(sa.delete(SearchOutbox))
        db.session.commit()
        proposal = proposals.create_proposal(forum, title="Hiến kế về nhà ở", body="Nội dung",
                                             theme_id=forum.themes[0].id, actor=author)
        comment = proposals.add_comment(proposal, body="Đồng ý", actor=make_user())
        db.session.commit()
        expected = [("proposal", proposal.id), ("comment", comment.id)]
    # add_comment's raw comment_count bump is not indexed: no proposal row for it.
    assert sorted(outbox_rows(app)) == sorted(expected)


@pytest.mark.parametrize("values", [
    {"title": "Tiêu đề mới"}, {"body": "Nội dung mới"},
])
def test_proposal_text_changes_enqueue_the_proposal(app, ids, values):
    change(app, Proposal, ids["proposal"], **values)
    assert outbox_rows(app) == [("proposal", ids["proposal"])]


def test_a_count_change_enqueues_only_the_counts(app, ids):
    change(app, Proposal, ids["proposal"], support_count=3)
    assert outbox_rows(app) == [("counts", ids["proposal"])]
    clear_outbox(app)
    change(app, Proposal, ids["proposal"], support_count=4, title="Tiêu đề mới")
    assert outbox_rows(app) == [("proposal", ids["proposal"])]


@pytest.mark.parametrize("values", [
    {"status": "withdrawn"}, {"is_hidden": True}, {"theme_id": None},
])
def test_changes_comments_inherit_enqueue_the_thread(app, ids, values):
    change(app, Proposal, ids["proposal"], **values)
    assert outbox_rows(app) == [("thread", ids["proposal"])]


def test_moving_to_another_theme_or_forum_enqueues_the_thread(app, ids):
    change(app, Proposal, ids["proposal"], theme_id=ids["other_theme"])
    with app.app_context():
        other = make_forum(number=2, phase="open")
        other_id = other.id
    clear_outbox(app)
    change(app, Proposal, ids["proposal"], forum_id=other_id)
    assert outbox_rows(app) == [("thread", ids["proposal"])]


def test_theme_relationship_change_enqueues_the_thread(app, ids):
    with app.app_context():
        proposal = db.session.get(Proposal, ids["proposal"])
        proposal.theme = db.session.get(Theme, ids["other_theme"])
        db.session.commit()
    assert outbox_rows(app) == [("thread", ids["proposal"])]


@pytest.mark.parametrize("values", [
    {"is_pinned": True}, {"is_locked": True}, {"comment_count": 9}, {"body_html": "<p>khác</p>"},
])
def test_unindexed_columns_enqueue_nothing(app, ids, values):
    change(app, Proposal, ids["proposal"], **values)
    assert outbox_rows(app) == []


def test_setting_a_column_to_its_own_value_enqueues_nothing(app, ids):
    with app.app_context():
        title = db.session.get(Proposal, ids["proposal"]).title
    change(app, Proposal, ids["proposal"], title=title)
    assert outbox_rows(app) == []


def test_comment_edit_enqueues_the_comment(app, ids):
    change(app, Comment, ids["reply"], body="Sửa lại ý kiến")
    assert outbox_rows(app) == [("comment", ids["reply"])]


def test_hiding_a_comment_enqueues_its_thread_for_the_replies(app, ids):
    change(app, Comment, ids["comment"], is_hidden=True)
    assert outbox_rows(app) == [("thread", ids["proposal"])]


def test_deleting_a_comment_enqueues_it_and_its_cascaded_replies(app, ids):
    with app.app_context():
        db.session.delete(db.session.get(Comment, ids["comment"]))
        db.session.commit()
        assert db.session.get(Comment, ids["reply"]) is None  # gone by ON DELETE CASCADE
    assert sorted(outbox_rows(app)) == [("comment", ids["comment"]), ("comment", ids["reply"])]


def test_deleting_a_proposal_enqueues_it_and_its_comments(app, ids):
    with app.app_context():
        db.session.delete(db.session.get(Proposal, ids["proposal"]))
        db.session.commit()
    assert sorted(outbox_rows(app)) == sorted(
        [("proposal", ids["proposal"]), ("comment", ids["comment"]), ("comment", ids["reply"])])


def test_deleting_a_theme_enqueues_the_threads_that_lose_it(app, ids):
    with app.app_context():
        theme_id = db.session.get(Proposal, ids["proposal"]).theme_id
        db.session.commit()
        db.session.delete(db.session.get(Theme, theme_id))
        db.session.commit()
        assert db.session.get(Proposal, ids["proposal"]).theme_id is None
    assert outbox_rows(app) == [("thread", ids["proposal"])]


def test_forum_phase_change_enqueues_the_forum_and_nothing_else_does(app, ids):
    change(app, Forum, ids["forum"], title="Tên mới của diễn đàn")
    assert outbox_rows(app) == []
    change(app, Forum, ids["forum"], phase="draft")
    assert outbox_rows(app) == [("forum", ids["forum"])]


def test_deleting_a_forum_enqueues_all_its_contributions(app, ids):
    with app.app_context():
        db.session.delete(db.session.get(Forum, ids["forum"]))
        db.session.commit()
    # The themes go with the forum (ORM cascade), hence the thread row as well.
    assert sorted(outbox_rows(app)) == sorted([("proposal", ids["proposal"]), ("comment", ids["comment"]),
                                               ("comment", ids["reply"]), ("thread", ids["proposal"])])


# Statements that bypass the unit of work --------------------------------------------------
def test_support_and_withdrawal_through_the_votes_service_enqueue_the_counts(app, ids):
    from forum.auth.models import User

    with app.app_context():
        voter_id = make_user().id

    def run(change):
        with app.app_context():
            change(db.session.get(Proposal, ids["proposal"]), actor=db.session.get(User, voter_id))
            db.session.commit()

    run(votes.support_proposal)
    assert outbox_rows(app) == [("counts", ids["proposal"])]
    clear_outbox(app)
    run(votes.support_proposal)  # a repeat click changes nothing
    assert outbox_rows(app) == []
    run(votes.withdraw_support)
    assert outbox_rows(app) == [("counts", ids["proposal"])]


def test_support_through_the_web_enqueues_the_counts(app, client, auth, ids):
    with app.app_context():
        voter = make_user().email
    auth.login(voter)
    clear_outbox(app)
    response = client.post(f"/proposals/{ids['proposal']}/support")
    assert response.status_code == 302
    assert outbox_rows(app) == [("counts", ids["proposal"])]


def test_an_update_by_primary_key_is_enqueued_without_a_query(app, ids, count_queries):
    """A support's counter UPDATE names its row: no SELECT to find which rows it changes."""
    with app.app_context(), count_queries() as counter:
        db.session.execute(sa.update(Proposal).where(Proposal.id == ids["proposal"])
                           .values(support_count=Proposal.support_count + 1))
        db.session.execute(sa.update(Proposal).where(Proposal.id == sa.bindparam("pid"))
                           .values(support_count=Proposal.support_count + 1), {"pid": ids["proposal"]})
        db.session.commit()
    assert [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")] == []
    assert outbox_rows(app) == [("counts", ids["proposal"]), ("counts", ids["proposal"])]
    clear_outbox(app)
    with app.app_context():  # an id that does not exist: enqueued, and the drain finds nothing to index
        db.session.execute(sa.update(Proposal).where(Proposal.id == 999_999).values(support_count=1))
        db.session.commit()
    assert outbox_rows(app) == [("counts", 999_999)]


def test_votes_repair_enqueues_the_corrected_proposals(app, runner, ids):
    with app.app_context():
        other = make_proposal(db.session.get(Forum, ids["forum"]), make_user())
        make_support(other, make_user())
        db.session.execute(sa.update(Proposal.__table__).values(support_count=5))  # drift, unseen by the ORM
        db.session.commit()
        other_id = other.id
    clear_outbox(app)
    result = runner.invoke(args=["votes", "verify", "--repair"])
    assert result.exit_code in (0, 1), result.output
    assert sorted(outbox_rows(app)) == sorted([("counts", ids["proposal"]), ("counts", other_id)])


def test_bulk_orm_updates_and_deletes_are_enqueued(app, ids):
    with app.app_context():
        db.session.execute(sa.update(Proposal).where(Proposal.id == ids["proposal"]).values(is_hidden=True))
        db.session.execute(sa.update(Comment).where(Comment.id == ids["reply"]).values(body="Sửa hàng loạt"))
        db.session.commit()
    assert sorted(outbox_rows(app)) == sorted([("thread", ids["proposal"]), ("comment", ids["reply"])])
    clear_outbox(app)
    with app.app_context():
        db.session.execute(sa.update(Proposal).values(comment_count=Proposal.comment_count + 1))  # unindexed
        db.session.execute(sa.delete(Comment).where(Comment.id == ids["comment"]))
        db.session.commit()
    assert sorted(outbox_rows(app)) == sorted([("comment", ids["comment"]), ("comment", ids["reply"])])


def test_bulk_update_of_a_forum_phase_is_enqueued(app, ids):
    with app.app_context():
        db.session.execute(sa.update(Forum).values(phase="closed"))
        db.session.commit()
    assert outbox_rows(app) == [("forum", ids["forum"])]


def test_enqueue_search_update_joins_the_callers_transaction(app, ids):
    with app.app_context():
        enqueue_search_update("proposal", ids["proposal"])
        db.session.rollback()
    assert outbox_rows(app) == []
    with app.app_context():
        enqueue_search_update("thread", ids["proposal"])
        db.session.commit()
    assert outbox_rows(app) == [("thread", ids["proposal"])]


# Through real requests -------------------------------------------------------------------
def test_a_submitted_proposal_is_enqueued_with_its_commit(app, client, auth, ids):
    with app.app_context():
        forum = db.session.get(Forum, ids["forum"])
        slug, theme_id = forum.slug, forum.themes[0].id
        delegate = make_user().email
    auth.login(delegate)
    clear_outbox(app)
    response = client.post(f"/forums/{slug}/proposals/new",
                           data={"title": "Hiến kế qua biểu mẫu", "body": "Nội dung đầy đủ", "theme_id": theme_id})
    assert response.status_code == 302
    with app.app_context():
        new_id = db.session.scalar(sa.select(Proposal.id).where(Proposal.title == "Hiến kế qua biểu mẫu"))
    assert outbox_rows(app) == [("proposal", new_id)]


def test_a_refused_submission_writes_nothing(app, client, auth, ids):
    with app.app_context():
        slug = db.session.get(Forum, ids["forum"]).slug
        delegate = make_user().email
    auth.login(delegate)
    clear_outbox(app)
    response = client.post(f"/forums/{slug}/proposals/new", data={"title": "", "body": "Nội dung"})
    assert response.status_code == 422
    assert outbox_rows(app) == []


def test_a_comment_posted_on_the_web_is_enqueued(app, client, auth, ids):
    with app.app_context():
        delegate = make_user().email
    auth.login(delegate)
    clear_outbox(app)
    response = client.post(f"/proposals/{ids['proposal']}/comments", data={"body": "Ý kiến qua web"})
    assert response.status_code == 302
    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id).where(Comment.body == "Ý kiến qua web"))
    assert outbox_rows(app) == [("comment", comment_id)]
