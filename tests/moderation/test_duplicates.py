"""Possible duplicates (issue 8 item 5): found by the search engine's similarity with
``flask moderation find-duplicates``, listed per moderator's forums, grouped, each with
a path to the merge screen; dismissed pairs do not come back."""
import sqlalchemy as sa

from forum.extensions import db
from forum.moderation.duplicates import DuplicatePair, list_duplicate_groups, record_similar
from forum.search import engines, indexer
from tests.moderation.merge_helpers import make_scene, proposal, proposal_in, user

TWIN = "Thành lập Công đoàn cơ sở theo cụm doanh nghiệp nhỏ trong khu công nghiệp"


def _scene_with_twins(app):
    with app.app_context():
        scene = make_scene()
        first = proposal_in(scene.forum, title=TWIN)
        second = proposal_in(scene.forum, title="Ghép doanh nghiệp nhỏ trong khu công nghiệp thành cụm để thành lập Công đoàn cơ sở")
        unrelated = proposal_in(scene.forum, title="Tủ sách cuối tuần cho con công nhân ở khu nhà trọ")
        across = proposal_in(scene.other_forum, title="Thành lập Công đoàn cơ sở theo cụm các doanh nghiệp nhỏ")
        db.session.commit()  # the drain writes from its own connection
        indexer.drain_outbox(engines.get_backend())
        return scene, first, second, unrelated, across


def test_the_command_finds_similar_proposals_and_the_page_groups_them(app, client, auth, runner):
    scene, first, second, unrelated, across = _scene_with_twins(app)
    result = runner.invoke(args=["moderation", "find-duplicates"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        pairs = {(p.first_id, p.second_id) for p in db.session.scalars(sa.select(DuplicatePair))}
        assert (first, second) in pairs
        assert not any(unrelated in pair for pair in pairs)
        organizer_view = list_duplicate_groups(user(scene.organizer))
        assert {first, second, across} <= {p.id for g in organizer_view.groups for p in g.proposals}
        # The moderator of forum 1 only: the pair across forums is not theirs to merge.
        mine = list_duplicate_groups(user(scene.moderator))
        seen = {p.id for g in mine.groups for p in g.proposals}
        assert {first, second} <= seen and across not in seen
    auth.login(scene.moderator_email)
    html = client.get("/moderation/duplicates").get_data(as_text=True)
    assert f"/moderation/merge?source={second}&amp;target={first}" in html
    assert f"/proposals/{across}" not in html


def test_a_dismissed_pair_does_not_come_back(app, client, auth, runner):
    scene, first, second, _unrelated, _across = _scene_with_twins(app)
    assert runner.invoke(args=["moderation", "find-duplicates"]).exit_code == 0
    with app.app_context():
        pair = db.session.scalar(sa.select(DuplicatePair).where(DuplicatePair.first_id == first,
                                                                DuplicatePair.second_id == second))
        pair_id = pair.id
    auth.login(scene.moderator_email)
    assert client.post(f"/moderation/duplicates/{pair_id}/dismiss").status_code == 302
    assert runner.invoke(args=["moderation", "find-duplicates", "--all"]).exit_code == 0
    with app.app_context():
        record_similar(proposal(first), [(proposal(second), 1.0)])
        db.session.commit()
        groups = list_duplicate_groups(user(scene.moderator)).groups
        assert not any(pid == pair_id for g in groups for pid, *_rest in g.pairs)
        assert db.session.get(DuplicatePair, pair_id).dismissed_at is not None


def test_a_moderator_of_another_forum_cannot_dismiss(app, client, auth):
    with app.app_context():
        scene = make_scene()
        first, second = proposal_in(scene.forum), proposal_in(scene.forum)
        record_similar(proposal(first), [(proposal(second), 0.9)])
        db.session.commit()
        pair_id = db.session.scalar(sa.select(DuplicatePair.id))
    auth.login(scene.other_moderator_email)
    assert client.post(f"/moderation/duplicates/{pair_id}/dismiss").status_code == 403
    with app.app_context():
        assert db.session.get(DuplicatePair, pair_id).dismissed_at is None


def test_merged_proposals_leave_the_list_and_the_page_costs_the_same_for_many_pairs(app, client, auth,
                                                                                     count_queries):
    from forum.moderation import merges

    with app.app_context():
        scene = make_scene()
        ids = [proposal_in(scene.forum) for _ in range(4)]
        record_similar(proposal(ids[0]), [(proposal(ids[1]), 0.9)])
        db.session.commit()
    auth.login(scene.moderator_email)
    with count_queries() as few:
        client.get("/moderation/duplicates")
    with app.app_context():
        for other in ids[2:]:
            record_similar(proposal(ids[0]), [(proposal(other), 0.8)])
        db.session.commit()
    with count_queries() as many:
        html = client.get("/moderation/duplicates").get_data(as_text=True)
    assert len(many.statements) == len(few.statements)
    assert f"/proposals/{ids[3]}" in html
    with app.app_context():
        merges.merge_proposals(proposal(ids[1]), proposal(ids[0]), actor=user(scene.organizer))
        db.session.commit()
        groups = list_duplicate_groups(user(scene.moderator)).groups
        assert ids[1] not in {p.id for g in groups for p in g.proposals}


def test_the_demo_moderator_finds_supported_duplicates_to_merge(app, client, runner):
    from forum import demo
    from tests.helpers import AuthActions

    with app.app_context():
        demo.seed_demo()
        db.session.commit()
        indexer.drain_outbox(engines.get_backend())
    assert runner.invoke(args=["moderation", "find-duplicates"]).exit_code == 0
    auth = AuthActions(client)
    assert auth.login("dieuhanh@demo.hienke.vn", "hienke-demo-2023").status_code == 302
    html = client.get("/moderation/duplicates").get_data(as_text=True)
    assert "Ghép các doanh nghiệp nhỏ trong khu công nghiệp thành cụm" in html
    assert "Thành lập Công đoàn cơ sở theo cụm doanh nghiệp nhỏ trong khu công nghiệp" in html
    with app.app_context():
        from forum.auth.services import get_user_by_email

        groups = list_duplicate_groups(get_user_by_email("dieuhanh@demo.hienke.vn")).groups
        twins = [g for g in groups if any("Ghép các doanh nghiệp" in p.title for p in g.proposals)]
        assert twins and all(p.support_count > 0 for p in twins[0].proposals)


def test_each_run_searches_only_for_new_proposals_and_changed_titles(app, client, auth, runner):
    """A second run searches for nothing; a corrected title, or a new proposal (whose
    search finds its older twin), is searched for; ``--all`` searches for every one. The
    page tells when the last search ran."""
    from forum.proposals.models import Proposal

    scene, first, second, unrelated, across = _scene_with_twins(app)
    auth.login(scene.moderator_email)
    assert "Chưa tìm lần nào" in client.get("/moderation/duplicates").get_data(as_text=True)

    def run(*options):
        result = runner.invoke(args=["moderation", "find-duplicates", *options])
        assert result.exit_code == 0, result.output
        return result.output

    assert "Đã xét 4 hiến kế" in run()
    assert "Đã xét 0 hiến kế, tìm thấy 0 cặp" in run()
    page = client.get("/moderation/duplicates").get_data(as_text=True)
    assert "Lần tìm gần nhất:" in page and "Chưa tìm lần nào" not in page
    with app.app_context():
        db.session.get(Proposal, unrelated).title = "Tủ sách cuối tuần cho con em công nhân khu trọ"
        twin = proposal_in(scene.forum, title="Tủ sách cuối tuần cho con em công nhân ở khu nhà trọ")
        db.session.commit()
        indexer.drain_outbox(engines.get_backend())
    assert "Đã xét 2 hiến kế, tìm thấy 1 cặp" in run()
    with app.app_context():
        pairs = {(p.first_id, p.second_id) for p in db.session.scalars(sa.select(DuplicatePair))}
        assert (unrelated, twin) in pairs
    assert "Đã xét 5 hiến kế, tìm thấy 0 cặp" in run("--all")
