"""Merging duplicates fairly and undoing exactly (issue 8 item 4): the services in
forum/moderation/merges.py with the votes and proposals verbs they call."""
import pytest
import sqlalchemy as sa

from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from forum.moderation import merges
from forum.proposals.models import Comment, Listing, Proposal, ProposalMerge
from forum.proposals.services import merge_credits
from forum.votes import services as votes
from tests.factories import make_comment, make_user
from tests.moderation.merge_helpers import (
    assert_counts_exact, make_scene, proposal, proposal_in, snapshot, supporters, user,
)


def _support(proposal_id, user_id):
    votes.support_proposal(proposal(proposal_id), actor=user(user_id))
    db.session.commit()


def _withdraw(proposal_id, user_id):
    votes.withdraw_support(proposal(proposal_id), actor=user(user_id))
    db.session.commit()


def _merge(source_id, target_id, actor_id, **kwargs):
    result = merges.merge_proposals(proposal(source_id), proposal(target_id), actor=user(actor_id), **kwargs)
    db.session.commit()
    return result


def _undo(merge_id, actor_id):
    merge = db.session.get(ProposalMerge, merge_id)
    result = merges.undo_merge(merge, actor=user(actor_id))
    db.session.commit()
    return result


def test_merge_counts_a_supporter_of_both_once_and_undo_gives_back_exactly(app):
    with app.app_context():
        scene = make_scene()
        a = proposal_in(scene.forum)
        b = proposal_in(scene.forum)
        only_b, both, only_a, commenter = scene.delegates
        for supporter, targets in ((only_b, [b]), (both, [a, b]), (only_a, [a])):
            for target in targets:
                _support(target, supporter)
        make_comment(proposal(b), user(commenter), body="Ý kiến viết ở hiến kế B.")
        before = snapshot()

        result = _merge(b, a, scene.moderator)

        assert result.plan.moved == (only_b,) and result.plan.already == (both,)
        assert supporters(a) == {only_b, both, only_a}
        assert proposal(a).support_count == 3
        merged = proposal(b)
        assert merged.status == "merged" and merged.merged_into_id == a
        assert db.session.scalar(sa.select(Proposal.listing).where(Proposal.id == b)) == Listing.NOT_LISTED
        moved = db.session.scalars(sa.select(Comment).where(Comment.proposal_id == a)).all()
        assert [(c.body, c.origin_proposal_id) for c in moved] == [("Ý kiến viết ở hiến kế B.", b)]
        assert proposal(a).comment_count == 1 and proposal(b).comment_count == 0
        credits = merge_credits(proposal(a))
        assert [p.id for p in credits.includes] == [b]
        assert [u.id for u in credits.coauthors] == [proposal(b).author_id]
        assert merge_credits(proposal(b)).merged_into.id == a
        assert_counts_exact()

        _undo(result.merge.id, scene.moderator)

        assert snapshot() == before
        assert_counts_exact()


def test_undo_respects_what_supporters_did_after_the_merge(app):
    """Withdrew from A after the merge: not given back to B. Supported A anew: stays on A.
    Withdrew and supported A again: keeps A, not given back to B."""
    with app.app_context():
        scene = make_scene(delegates=5)
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        withdrew, stays, newcomer, again, both = scene.delegates
        for supporter in (withdrew, stays, again, both):
            _support(b, supporter)
        _support(a, both)
        merge = _merge(b, a, scene.organizer).merge

        _withdraw(a, withdrew)
        _withdraw(a, both)
        _support(a, newcomer)
        _withdraw(a, again)
        _support(a, again)
        preview = merges.preview_undo(db.session.get(ProposalMerge, merge.id), viewer=user(scene.organizer))
        assert preview.plan.back_to_source == (stays,)
        assert set(preview.plan.withdrawn) == {withdrew, both, again}

        _undo(merge.id, scene.organizer)

        assert supporters(b) == {stays}
        assert supporters(a) == {newcomer, again}
        assert proposal(b).status == "published" and proposal(b).merged_into_id is None
        assert_counts_exact()


def test_the_limit_is_never_exceeded_and_the_screen_says_who(app, client, auth):
    """A's forum takes one support per delegate: a supporter of B across forums who
    already supports something in A's forum keeps their support on B, not counted."""
    with app.app_context():
        scene = make_scene(forum_settings={"max_supports_per_user": 1})
        a, elsewhere = proposal_in(scene.forum), proposal_in(scene.forum)
        b = proposal_in(scene.other_forum)
        full, free = scene.delegates[:2]
        _support(elsewhere, full)
        _support(b, full)
        _support(b, free)
        plan = votes.plan_support_merge(proposal(b), proposal(a))
        assert plan.over_limit == (full,) and plan.moved == (free,)
        full_name = user(full).full_name
        before = snapshot()

    auth.login(scene.organizer_email)
    page = client.get(f"/moderation/merge?source={b}&target={a}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sẽ vượt giới hạn" in html and full_name in html

    response = client.post("/moderation/merge", data={"source": b, "target": a, "plan": plan.fingerprint})
    assert response.status_code == 302

    with app.app_context():
        assert supporters(a) == {free}
        assert supporters(b) == {full, free}  # B's rows stay, B counts nowhere
        assert_counts_exact()
        merge = db.session.scalar(sa.select(ProposalMerge))
        _undo(merge.id, scene.organizer)
        assert snapshot() == before


def test_a_stale_confirmation_is_shown_again_and_changes_nothing(app, client, auth):
    with app.app_context():
        scene = make_scene()
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        _support(b, scene.delegates[0])
        old = votes.plan_support_merge(proposal(b), proposal(a)).fingerprint
        _support(b, scene.delegates[1])
        before = snapshot()
    auth.login(scene.moderator_email)
    response = client.post("/moderation/merge", data={"source": b, "target": a, "plan": old})
    assert response.status_code == 409
    assert "đã thay đổi" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


@pytest.mark.parametrize("case", ["self", "b_withdrawn", "b_hidden", "a_locked", "a_closed", "b_merged",
                                  "a_merged", "a_withdrawn"])
def test_refused_merges_change_nothing(app, case):
    with app.app_context():
        scene = make_scene()
        a, b, c = (proposal_in(scene.forum) for _ in range(3))
        _support(b, scene.delegates[0])
        if case == "b_withdrawn":
            proposal(b).status = "withdrawn"
        elif case == "b_hidden":
            proposal(b).is_hidden = True
        elif case == "a_locked":
            proposal(a).is_locked = True
        elif case == "a_withdrawn":
            proposal(a).status = "withdrawn"
        elif case == "a_closed":
            from forum.forums.models import Forum

            db.session.get(Forum, scene.forum).phase = "closed"
        db.session.commit()
        if case == "b_merged":
            _merge(b, c, scene.organizer)
        if case == "a_merged":
            _merge(a, c, scene.organizer)
        source = a if case == "self" else b
        before = snapshot()
        with pytest.raises(InvalidAction) as refused:
            merges.merge_proposals(proposal(source), proposal(a), actor=user(scene.organizer))
        db.session.rollback()
        assert str(refused.value)
        assert snapshot() == before


def test_only_moderators_of_both_forums_may_merge(app):
    with app.app_context():
        scene = make_scene()
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        across = proposal_in(scene.other_forum)
        _support(b, scene.delegates[0])
        from forum.auth.services import get_user_by_email

        other = get_user_by_email(scene.other_moderator_email)
        before = snapshot()
        for actor, source, target in ((other, b, a), (user(scene.moderator), across, a),
                                      (user(scene.delegates[1]), b, a)):
            with pytest.raises(PermissionDenied):
                merges.merge_proposals(proposal(source), proposal(target), actor=actor)
            db.session.rollback()
            assert snapshot() == before
        result = _merge(across, a, scene.organizer)  # organizers: every forum
        with pytest.raises(PermissionDenied):
            merges.undo_merge(result.merge, actor=user(scene.moderator))
        db.session.rollback()


def test_chains_undo_the_later_merge_first(app):
    with app.app_context():
        scene = make_scene()
        a, b, c = (proposal_in(scene.forum) for _ in range(3))
        _support(c, scene.delegates[0])
        _support(b, scene.delegates[1])
        _support(a, scene.delegates[2])
        make_comment(proposal(c), user(scene.delegates[3]), body="Ý kiến ở C.")
        start = snapshot()
        c_into_b = _merge(c, b, scene.moderator).merge.id
        middle = snapshot()
        b_into_a = _merge(b, a, scene.moderator).merge.id
        assert supporters(a) == set(scene.delegates[:3])
        comment = db.session.scalar(sa.select(Comment).where(Comment.body == "Ý kiến ở C."))
        assert (comment.proposal_id, comment.origin_proposal_id) == (a, c)
        credits = merge_credits(proposal(a))
        assert {u.id for u in credits.coauthors} == {proposal(b).author_id, proposal(c).author_id}

        with pytest.raises(InvalidAction, match="hoàn tác việc gộp đó trước"):
            merges.undo_merge(db.session.get(ProposalMerge, c_into_b), actor=user(scene.moderator))
        db.session.rollback()
        with pytest.raises(InvalidAction, match="đã được gộp"):
            merges.merge_proposals(proposal(a), proposal(b), actor=user(scene.moderator))
        db.session.rollback()

        _undo(b_into_a, scene.moderator)
        assert snapshot() == middle
        _undo(c_into_b, scene.moderator)
        assert snapshot() == start
        with pytest.raises(InvalidAction, match="đã được hoàn tác"):
            merges.undo_merge(db.session.get(ProposalMerge, c_into_b), actor=user(scene.moderator))
        db.session.rollback()
        assert_counts_exact()


def test_a_reply_written_on_a_to_a_comment_from_b_goes_back_with_it(app):
    with app.app_context():
        scene = make_scene()
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        parent = make_comment(proposal(b), user(scene.delegates[0]), body="Gốc ở B.").id
        merge = _merge(b, a, scene.moderator).merge.id
        from forum.proposals.services import add_comment

        reply = add_comment(proposal(a), body="Trả lời sau khi gộp.", parent_id=parent, actor=user(scene.delegates[1]))
        own = add_comment(proposal(a), body="Ý kiến mới ở A.", actor=user(scene.delegates[1]))
        db.session.commit()
        reply_id, own_id = reply.id, own.id
        _undo(merge, scene.moderator)
        db.session.expire_all()
        assert db.session.get(Comment, reply_id).proposal_id == b
        assert db.session.get(Comment, parent).proposal_id == b
        assert db.session.get(Comment, own_id).proposal_id == a
        assert_counts_exact()


def test_supports_on_a_merged_proposal_are_refused(app):
    with app.app_context():
        scene = make_scene()
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        _merge(b, a, scene.moderator)
        with pytest.raises((InvalidAction, PermissionDenied)):
            votes.support_proposal(proposal(b), actor=user(scene.delegates[0]))
        db.session.rollback()
        assert supporters(b) == set()


def test_the_target_author_supporting_b_is_not_moved(app):
    with app.app_context():
        scene = make_scene()
        author = scene.delegates[0]
        a = proposal_in(scene.forum, author_id=author)
        b = proposal_in(scene.forum)
        _support(b, author)
        before = snapshot()
        result = _merge(b, a, scene.moderator)
        assert result.plan.target_author == (author,)
        assert supporters(a) == set()
        assert_counts_exact()
        _undo(result.merge.id, scene.moderator)
        assert snapshot() == before


def test_every_merge_and_undo_writes_one_audit_entry(app):
    from forum.core.audit import AuditEntry

    with app.app_context():
        scene = make_scene()
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        _support(b, scene.delegates[0])
        merge = _merge(b, a, scene.moderator, reason="Trùng nội dung").merge.id
        _undo(merge, scene.moderator)
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.startswith("moderation.")).order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == ["moderation.merge_proposals", "moderation.undo_merge"]
        merged, undone = entries
        assert merged.reason == "Trùng nội dung"
        assert merged.before["source.status"] == "published" and merged.after["source.status"] == "merged"
        assert merged.after["target.support_count"] == 1 and merged.after["supporters.moved"] == 1
        assert undone.after["source.status"] == "published" and undone.after["target.support_count"] == 0
        assert merged.forum_id == scene.forum


def test_the_confirmation_hides_supporters_from_who_may_not_see_tallies(app, client, auth):
    """A moderator (not an organizer) of a forum that hides its tallies sees no names and
    no numbers of supporters; an organizer sees them."""
    with app.app_context():
        scene = make_scene(forum_settings={"hide_tallies_until_closed": True})
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
        quiet = [make_user(full_name="Đỗ Thị Kín Đáo").id, make_user(full_name="Lý Văn Lặng Lẽ").id]
        _support(b, quiet[0])
        _support(b, quiet[1])
        _support(a, quiet[1])
        names = [user(u).full_name for u in quiet]
    url = f"/moderation/merge?source={b}&target={a}"
    auth.login(scene.moderator_email)
    html = client.get(url).get_data(as_text=True)
    assert "ẩn số ủng hộ" in html
    assert not any(name in html for name in names)
    assert "Chuyển sang hiến kế giữ lại" not in html and "Đã ủng hộ cả hai" not in html
    auth.logout()
    auth.login(scene.organizer_email)
    html = client.get(url).get_data(as_text=True)
    assert all(name in html for name in names)


def test_the_pages_show_merged_into_includes_and_comments_from_b(app, client, auth):
    with app.app_context():
        scene = make_scene()
        a = proposal_in(scene.forum, title="Hiến kế giữ lại về công đoàn cụm")
        b = proposal_in(scene.forum, title="Hiến kế trùng về công đoàn cụm")
        b_author = proposal(b).author.full_name
        make_comment(proposal(b), user(scene.delegates[0]), body="Ý kiến từ hiến kế trùng.")
    auth.login(scene.moderator_email)
    assert f"/moderation/proposals/{b}/merge" in client.get(f"/proposals/{b}").get_data(as_text=True)
    assert client.post("/moderation/merge", data={"source": b, "target": a}).status_code == 302
    merged_page = client.get(f"/proposals/{b}").get_data(as_text=True)
    assert "Đã gộp" in merged_page and f'href="/proposals/{a}"' in merged_page
    assert "/moderation/merges/" in merged_page  # the undo link, for staff
    kept = client.get(f"/proposals/{a}").get_data(as_text=True)
    assert "Bao gồm các hiến kế đã gộp" in kept and f"/proposals/{b}" in kept
    assert "Đồng tác giả" in kept and b_author in kept
    assert "Ý kiến từ hiến kế trùng." in kept and f"Từ hiến kế #{b}" in kept
    auth.logout()
    # A delegate sees the same, without the staff links.
    with app.app_context():
        email = user(scene.delegates[1]).email
    auth.login(email)
    merged_page = client.get(f"/proposals/{b}").get_data(as_text=True)
    assert "Đã gộp" in merged_page and "/moderation/" not in merged_page


def test_search_follows_a_merge_and_its_undo(app):
    """Through the outbox: B leaves the public results, its comment is found on A; the
    undo puts both back."""
    from forum.search import engines, indexer
    from forum.search.services import search_contributions

    def found(viewer_id):
        db.session.commit()  # the drain writes from its own connection
        indexer.drain_outbox(engines.get_backend())
        hits = search_contributions(user(viewer_id), text="thư viện").hits
        return {(hit.kind, hit.proposal.id) for hit in hits}

    with app.app_context():
        scene = make_scene()
        a = proposal_in(scene.forum, title="Nhà văn hóa công nhân có thư viện")
        b = proposal_in(scene.forum, title="Thư viện cho công nhân khu trọ")
        make_comment(proposal(b), user(scene.delegates[0]), body="Thư viện nên mở buổi tối.")
        reader = scene.delegates[1]
        assert found(reader) == {("proposal", a), ("proposal", b), ("comment", b)}
        merge = _merge(b, a, scene.moderator).merge.id
        assert found(reader) == {("proposal", a), ("comment", a)}
        _undo(merge, scene.moderator)
        assert found(reader) == {("proposal", a), ("proposal", b), ("comment", b)}


def test_choosing_the_proposal_to_keep_by_number_or_address(app, client, auth):
    with app.app_context():
        scene = make_scene()
        a, b = proposal_in(scene.forum), proposal_in(scene.forum)
    auth.login(scene.moderator_email)
    page = client.get(f"/moderation/proposals/{b}/merge")
    assert page.status_code == 200 and "Chọn hiến kế sẽ giữ lại" in page.get_data(as_text=True)
    for typed in (str(a), f"#{a}", f"http://localhost/proposals/{a}"):
        response = client.get(f"/moderation/proposals/{b}/merge", query_string={"into": typed})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/moderation/merge?source={b}&target={a}")
    wrong = client.get(f"/moderation/proposals/{b}/merge", query_string={"into": "abc"})
    assert wrong.status_code == 422 and "Số hiến kế không hợp lệ." in wrong.get_data(as_text=True)
    assert 'value="abc"' in wrong.get_data(as_text=True)  # what was typed is kept


def test_a_role_the_target_forum_does_not_count_is_not_carried_over(app):
    """Across forums: B's forum counts moderators' supports, A's only delegates'."""
    with app.app_context():
        scene = make_scene(other_settings={"supporting_roles": ["delegate", "moderator"]})
        a = proposal_in(scene.forum)
        b = proposal_in(scene.other_forum)
        staff = make_user(role="moderator").id
        _support(b, staff)
        _support(b, scene.delegates[0])
        before = snapshot()
        result = _merge(b, a, scene.organizer)
        assert result.plan.not_counted == (staff,) and result.plan.moved == (scene.delegates[0],)
        assert supporters(a) == {scene.delegates[0]}
        assert_counts_exact()
        _undo(result.merge.id, scene.organizer)
        assert snapshot() == before


def test_undo_never_pushes_a_supporter_left_on_b_over_b_forums_limit(app):
    """Found by the property test: A's author supported B
    (not carried over, B counts nowhere), supported another proposal of B's forum meanwhile
    (limit 1); the undo lets B's support lapse instead of exceeding the limit."""
    with app.app_context():
        scene = make_scene(other_settings={"max_supports_per_user": 1})
        author = scene.delegates[0]
        a = proposal_in(scene.forum, author_id=author)
        b, other = proposal_in(scene.other_forum), proposal_in(scene.other_forum)
        _support(b, author)
        merge = _merge(b, a, scene.organizer).merge.id
        _support(other, author)  # B counts nowhere now: there is room
        plan = merges.preview_undo(db.session.get(ProposalMerge, merge), viewer=user(scene.organizer)).plan
        assert plan.over_limit == (author,) and plan.untouched == ()
        _undo(merge, scene.organizer)
        assert supporters(b) == set() and supporters(other) == {author}
        assert_counts_exact()
