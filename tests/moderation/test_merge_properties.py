"""Merges and undos as properties over random sequences of supports, withdrawals,
merges and undos (issue 8 item 8), with hypothesis. The ``app`` fixture runs them on
SQLite, and on PostgreSQL too where TEST_DATABASE_URL is set (CI).

After every step: stored counts equal the rows (``flask votes verify`` and ``flask
proposals verify`` clean) and nobody is over a forum's limit. A merge never makes the
distinct supporters of the merged family more than those of the two families before.
A merge undone at once gives back exactly the state before it, and a refused step
changes nothing."""
from collections import Counter

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from forum.core.errors import DomainError
from forum.extensions import db
from forum.moderation import merges
from forum.proposals.models import Listing, Proposal, ProposalMerge
from forum.proposals.services import add_comment, merged_family_ids
from forum.votes import services as votes
from forum.votes.models import Support
from tests.factories import make_user
from tests.moderation.merge_helpers import assert_counts_exact, make_scene, proposal, proposal_in, snapshot, user

PROPOSALS = 4  # two in each forum: merges within a forum and across
PEOPLE = 4  # proposal i is by person i: some merges meet the target's author among B's supporters

person = st.integers(0, PEOPLE - 1)
which = st.integers(0, PROPOSALS - 1)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("support"), person, which),
        st.tuples(st.just("withdraw"), person, which),
        st.tuples(st.just("comment"), person, which),
        st.tuples(st.just("merge"), which, which),
        st.tuples(st.just("merge"), which, which),
        st.tuples(st.just("undo"), st.integers(0, 5)),
        st.tuples(st.just("undo"), st.integers(0, 5)),
        st.tuples(st.just("merge_and_undo"), which, which),
    ),
    min_size=8,
    max_size=24,
)


def family_supporters(proposal_id: int) -> set[int]:
    family = merged_family_ids(proposal_id)
    return set(db.session.scalars(sa.select(Support.user_id).where(Support.proposal_id.in_(family))))


def assert_nobody_over(limit, people, forum_ids):
    if limit is None:
        return
    rows = db.session.execute(
        sa.select(Support.user_id, Proposal.forum_id, sa.func.count())
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(Support.user_id.in_(people), Proposal.forum_id.in_(forum_ids), Proposal.listing == Listing.PUBLIC)
        .group_by(Support.user_id, Proposal.forum_id)
    ).all()
    assert all(count <= limit for _user, _forum, count in rows), rows


@pytest.mark.parametrize("limit", [None, 1, 2])
def test_random_supports_merges_and_undos_keep_everything_exact(app, limit):
    with app.app_context():
        settings_ = {"max_supports_per_user": limit}
        scene = make_scene(delegates=0, forum_settings=settings_, other_settings=settings_)
        forums = (scene.forum, scene.other_forum)
        actor = scene.organizer
    tally: Counter = Counter()

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(steps)
    # Always tried as well: across forums, a supporter of B at the limit of A's forum.
    @example([("support", 3, 0), ("support", 3, 1), ("merge", 1, 2), ("withdraw", 3, 0), ("undo", 0),
              ("support", 2, 1), ("merge_and_undo", 1, 0), ("merge", 3, 1), ("support", 0, 1), ("undo", 0)])
    # Found by this test once: A's author left on B supports elsewhere in B's forum, then the undo.
    @example([("support", 0, 3), ("merge", 3, 0), ("support", 0, 1), ("undo", 0)])
    def run(sequence):
        with app.app_context():
            people = [make_user().id for _ in range(PEOPLE)]
            ids = [proposal_in(forums[i % 2], author_id=people[i]) for i in range(PROPOSALS)]
            done: list[int] = []  # merges made in this example
            for step in sequence:
                before = snapshot()
                kind = step[0]
                try:
                    if kind == "support":
                        votes.support_proposal(proposal(ids[step[2]]), actor=user(people[step[1]]))
                    elif kind == "withdraw":
                        votes.withdraw_support(proposal(ids[step[2]]), actor=user(people[step[1]]))
                    elif kind == "comment":
                        add_comment(proposal(ids[step[2]]), body="Ý kiến thử.", actor=user(people[step[1]]))
                    elif kind in ("merge", "merge_and_undo"):
                        source, target = ids[step[1]], ids[step[2]]
                        joined = family_supporters(source) | family_supporters(target)
                        result = merges.merge_proposals(proposal(source), proposal(target), actor=user(actor))
                        db.session.flush()
                        after = family_supporters(target)
                        assert after <= joined and len(after) <= len(joined)
                        done.append(result.merge.id)
                        if kind == "merge_and_undo":
                            db.session.commit()
                            merges.undo_merge(db.session.get(ProposalMerge, result.merge.id), actor=user(actor))
                            db.session.commit()
                            assert snapshot() == before
                    elif kind == "undo":
                        in_force = [m for m in done if db.session.get(ProposalMerge, m).in_force]
                        if not in_force:
                            continue
                        merge = db.session.get(ProposalMerge, in_force[step[1] % len(in_force)])
                        merges.undo_merge(merge, actor=user(actor))
                    db.session.commit()
                    tally[f"{kind} done"] += 1
                except DomainError:
                    db.session.rollback()
                    tally[f"{kind} refused"] += 1
                    assert snapshot() == before  # a refusal changes nothing
                assert_counts_exact()
                assert_nobody_over(limit, people, forums)

    run()
    # The sequences did exercise what they check (not only refusals).
    assert min(tally["merge done"], tally["undo done"], tally["merge_and_undo done"], tally["withdraw done"]) >= 3, tally
    print(dict(tally))
