"""Supports during a merge (issue 8 item 4): serialised by the proposals' row locks on
PostgreSQL (SQLite write transactions are serial), so that no support is lost or
counted twice. Threads support A and B while another merges B into A."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from forum.core.errors import DomainError
from forum.extensions import db
from forum.moderation import merges
from forum.votes import services as votes
from forum.votes.models import Support
from tests.moderation.merge_helpers import assert_counts_exact, make_scene, proposal, proposal_in, user

pytestmark = pytest.mark.slow
PEOPLE = 16
COMMENTS = 8
ROUNDS = 4  # a race is probabilistic: several merges make a lost support likely to show


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_supports_racing_a_merge_are_neither_lost_nor_doubled(app, round_):
    with app.app_context():
        scene = make_scene(delegates=PEOPLE)
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        people = scene.delegates
        # Half already support B before; everyone then supports B or A during the merge.
        before = set(people[: PEOPLE // 2])
        for person in before:
            votes.support_proposal(proposal(b), actor=user(person))
        db.session.commit()
    barrier = threading.Barrier(PEOPLE + 1)
    outcomes: dict[int, str] = {}

    def support(index, person):
        target = b if index % 2 else a
        with app.app_context():
            barrier.wait(timeout=60)
            try:
                votes.support_proposal(proposal(target), actor=user(person))
                db.session.commit()
                outcomes[person] = f"supported {target}"
            except DomainError:
                db.session.rollback()
                outcomes[person] = f"refused {target}"
            finally:
                db.session.remove()

    def merge():
        with app.app_context():
            barrier.wait(timeout=60)
            merges.merge_proposals(proposal(b), proposal(a), actor=user(scene.organizer))
            db.session.commit()
            db.session.remove()

    with ThreadPoolExecutor(max_workers=PEOPLE + 1) as pool:
        futures = [pool.submit(support, i, person) for i, person in enumerate(people)]
        futures.append(pool.submit(merge))
        for future in futures:
            future.result()

    with app.app_context():
        assert_counts_exact()
        on_a = set(db.session.scalars(sa.select(Support.user_id).where(Support.proposal_id == a)))
        on_b = set(db.session.scalars(sa.select(Support.user_id).where(Support.proposal_id == b)))
        for person in people:
            outcome = outcomes[person]
            if outcome == f"supported {a}" or person in on_b:
                # Whoever supports A, or supported B before or while B was still open, is on A once.
                assert person in on_a, (person, outcome)
            if outcome == f"refused {b}" and person not in before:
                assert person not in on_b  # B was merged already: refused, nothing written
        # Every support of B is counted on A: nothing was left behind by the race.
        assert on_b <= on_a
        assert any(o.startswith("refused") for o in outcomes.values()) or on_b >= set(people[1::2])


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_hiding_comments_racing_a_merge_keeps_every_count_exact(app, round_):
    """A moderator hides B's comments (and locks B) while B is merged into A: the hides
    wait for the merge (or it for them) and every count ends where the rows say."""
    from forum.moderation.queue import services as queue
    from forum.proposals.models import Comment
    from tests.factories import make_comment

    with app.app_context():
        scene = make_scene(delegates=PEOPLE)
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        comment_ids = [make_comment(proposal(b), user(person), body=f"Ý kiến {person}").id
                       for person in scene.delegates[:COMMENTS]]
        db.session.commit()
    barrier = threading.Barrier(COMMENTS + 2)

    def hide(comment_id):
        with app.app_context():
            barrier.wait(timeout=60)
            queue.hide_post(db.session.get(Comment, comment_id), reason="Lạc đề", actor=user(scene.moderator))
            db.session.commit()
            db.session.remove()

    def lock():
        with app.app_context():
            barrier.wait(timeout=60)
            queue.lock_thread(proposal(b), actor=user(scene.moderator))
            db.session.commit()
            db.session.remove()

    def merge():
        with app.app_context():
            barrier.wait(timeout=60)
            try:
                merges.merge_proposals(proposal(b), proposal(a), actor=user(scene.organizer))
                db.session.commit()
            except DomainError:  # B was locked first: a locked proposal is not merged away
                db.session.rollback()
            db.session.remove()

    with ThreadPoolExecutor(max_workers=COMMENTS + 2) as pool:
        futures = [pool.submit(hide, comment_id) for comment_id in comment_ids]
        futures += [pool.submit(lock), pool.submit(merge)]
        for future in futures:
            future.result()

    with app.app_context():
        assert_counts_exact()
        hidden = db.session.scalars(sa.select(Comment.is_hidden).where(Comment.id.in_(comment_ids))).all()
        assert hidden == [True] * COMMENTS


def merge_between_read_and_act(app, *, source: int, target: int, actor: int, read, act) -> None:
    """In another thread ``read()`` (in its own session, as a request would), then let
    ``source`` be merged into ``target`` and committed here, then ``act(what read gave)``
    in that same session: a merge that comes between a request's read and its write."""
    has_read, merged = threading.Event(), threading.Event()

    def request():
        with app.app_context():
            found = read()
            has_read.set()
            assert merged.wait(timeout=60)
            act(found)
            db.session.remove()

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(request)
        assert has_read.wait(timeout=60)
        with app.app_context():
            merges.merge_proposals(proposal(source), proposal(target), actor=user(actor))
            db.session.commit()
            db.session.remove()
        merged.set()
        future.result()


# SQLite write transactions are serial: there a merge cannot come between the read and the hide.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_hide_that_read_its_comment_before_a_merge_counts_where_the_comment_is_now(app):
    """The moderator's request read B's comment, then B was merged into A in another
    forum, then the hide goes on: it must count the commenter's participation where the
    comment lives now (A's forum), not where it was read (PostgreSQL: the hide locks the
    proposal rows and reads the comment again; SQLite write transactions are serial, so
    the merge could not have come in between)."""
    from forum.forums.models import Forum
    from forum.moderation.queue import services as queue
    from forum.proposals.models import Comment
    from tests.factories import make_comment

    with app.app_context():
        scene = make_scene(delegates=2)
        a, b = proposal_in(scene.other_forum), proposal_in(scene.forum)
        comment_id = make_comment(proposal(b), user(scene.delegates[0]), body="Ý kiến lạc đề").id
        db.session.commit()
    def read():
        comment = db.session.get(Comment, comment_id)
        _ = comment.proposal.forum  # everything a request would have read
        return comment

    def hide(comment):
        queue.hide_post(comment, reason="Lạc đề", actor=user(scene.organizer))
        db.session.commit()

    merge_between_read_and_act(app, source=b, target=a, actor=scene.organizer, read=read, act=hide)

    with app.app_context():
        assert_counts_exact()
        assert db.session.get(Forum, scene.other_forum).participant_count == 1  # A's author alone


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_move_that_read_its_proposal_before_a_merge_is_refused(app):
    """The moving request read B open, then B was merged: the move sees B as it is once
    its row is locked (merged) and refuses, instead of moving a merged proposal."""
    from forum.forums.models import Forum
    from forum.moderation.curation import services as curation

    with app.app_context():
        scene = make_scene(delegates=2)
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        db.session.commit()
    outcome = []

    def read():
        target = db.session.get(Forum, scene.other_forum)
        return proposal(b), target, target.active_themes[0].id if target.active_themes else None

    def move(found):
        moving, target, theme_id = found
        try:
            curation.move_proposal(moving, forum=target, theme_id=theme_id, actor=user(scene.organizer))
            db.session.commit()
            outcome.append("moved")
        except DomainError as error:
            db.session.rollback()
            outcome.append(str(error))

    merge_between_read_and_act(app, source=b, target=a, actor=scene.organizer, read=read, act=move)

    assert outcome == ["Không thể chuyển hiến kế đã rút hoặc đã gộp."]
    with app.app_context():
        assert proposal(b).forum_id == scene.forum
        assert_counts_exact()
