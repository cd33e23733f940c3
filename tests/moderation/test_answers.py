"""Official answers and statuses (issue 8, item 6): drafts, publishing one or a whole
forum's, what the proposal page and the cards show, custom statuses by code, search."""
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from forum.core.audit import AuditEntry
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from forum.forums import statuses
from forum.forums.models import Forum, ForumStatus
from forum.moderation.curation import answers
from forum.moderation.curation.models import AnswerDraft
from forum.proposals.models import Proposal, ProposalStatus
from forum.search import engines, indexer
from forum.search.services import search_contributions
from tests.factories import make_proposal, make_user
from tests.moderation.helpers import (
    ACTORS, DELEGATE, MODERATOR_HERE, ORGANIZER, REFUSED, actor, build_world, database_state,
)
from tests.search.integration import engine_app  # noqa: F401  (fixture)

ANSWER = "Diễn đàn **tiếp thu**; đề nghị phối hợp với Hiệp hội vận tải thí điểm tại Hà Nội. <script>alert(1)</script>"


def _proposal(world) -> Proposal:
    return db.session.get(Proposal, world.proposal)


def _forum(world) -> Forum:
    return db.session.get(Forum, world.here)


def _with_draft(world):
    answers.save_draft(_proposal(world), status="rejected", body="Chưa phù hợp.", actor=actor(world, ORGANIZER))
    db.session.commit()


VERBS = {
    "save draft": lambda w, who: answers.save_draft(_proposal(w), status="accepted", body="Tiếp thu.", actor=who),
    "publish": lambda w, who: answers.publish_answer(_proposal(w), status="accepted", body="Tiếp thu.", actor=who),
    "discard draft": lambda w, who: answers.discard_draft(_proposal(w), actor=who),
    "publish all": lambda w, who: answers.publish_forum_drafts(_forum(w), actor=who),
    "list drafts": lambda w, who: answers.list_drafts(_forum(w), actor=who),
}


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("kind", ACTORS)
def test_who_may_answer_and_a_refusal_changes_nothing(app, verb, kind):
    world = build_world(app)
    with app.app_context():
        _with_draft(world)
        before = database_state()
        if kind in REFUSED:
            with pytest.raises(PermissionDenied):
                VERBS[verb](world, actor(world, kind))
            db.session.rollback()
            assert database_state() == before
        else:
            VERBS[verb](world, actor(world, kind))
            db.session.commit()
            if verb != "list drafts":
                assert database_state() != before


def test_a_published_answer_is_the_forums_official_answer_on_the_page(app, client):
    world = build_world(app)
    with app.app_context():
        event = answers.publish_answer(_proposal(world), status="accepted", body=ANSWER,
                                       actor=actor(world, MODERATOR_HERE))
        db.session.commit()
        assert event.action == "answer.publish" and event.author_id == world.author
        assert event.before["status"] == "published" and event.after["status"] == "accepted"
        proposal = _proposal(world)
        assert proposal.status == "accepted" and proposal.answered_by_id == world.ids[MODERATOR_HERE]
    page = client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    block = page[page.index('id="official-answer"'):page.index('id="comments"')]
    assert "Trả lời chính thức của Diễn đàn số 1" in block
    assert "Đỗ Mạnh Hùng" in block and "staff-badge-moderator" in block  # the responder and the role badge
    assert "<strong>tiếp thu</strong>" in block and "<script>" not in block  # through the one sanitizer
    assert "Được tiếp thu" in block
    card_page = client.get("/forums/dien-dan-1").get_data(as_text=True)
    assert "badge-status-accepted" in card_page and "Được tiếp thu" in card_page


def test_an_answer_does_not_close_the_discussion(app):
    world = build_world(app)
    with app.app_context():
        answers.publish_answer(_proposal(world), status="rejected", body="Chưa tiếp thu.", actor=actor(world, ORGANIZER))
        db.session.commit()
        proposal, delegate = _proposal(world), actor(world, DELEGATE)
        assert proposal.is_active and proposal.can_support(delegate) and proposal.can_comment(delegate)


@pytest.mark.parametrize("status", ["withdrawn", "merged"])
def test_withdrawn_and_merged_proposals_are_not_answered(app, status):
    world = build_world(app)
    with app.app_context():
        _proposal(world).status = status
        db.session.commit()
        with pytest.raises(InvalidAction):
            answers.publish_answer(_proposal(world), status="accepted", body="Tiếp thu.", actor=actor(world, ORGANIZER))
        with pytest.raises(InvalidAction):
            answers.save_draft(_proposal(world), status="accepted", body="Tiếp thu.", actor=actor(world, ORGANIZER))
        assert _proposal(world).status == status


@pytest.mark.parametrize("status", ["published", "merged", "withdrawn", "khong_co", ""])
def test_only_answer_statuses_are_accepted(app, status):
    world = build_world(app)
    with app.app_context():
        with pytest.raises(InvalidAction):
            answers.publish_answer(_proposal(world), status=status, body="Tiếp thu.", actor=actor(world, ORGANIZER))


def test_drafts_are_published_together_each_with_its_status(app, client, auth):
    world = build_world(app)
    with app.app_context():
        second = make_proposal(_forum(world), make_user(), title="Quỹ tương trợ cho tài xế công nghệ")
        second_id = second.id
        answers.save_draft(_proposal(world), status="accepted", body="Tiếp thu hiến kế.",
                           actor=actor(world, MODERATOR_HERE))
        answers.save_draft(second, status="under_review", body="Đang xem xét thêm.", actor=actor(world, MODERATOR_HERE))
        db.session.commit()
        assert _proposal(world).answer_body is None  # a draft is not published
    assert "Tiếp thu hiến kế." not in client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    auth.login(world.emails[MODERATOR_HERE])
    drafts_page = client.get(f"/moderation/forums/{world.here}/answers").get_data(as_text=True)
    assert "Tiếp thu hiến kế." in drafts_page and "Đang xem xét thêm." in drafts_page and "Công bố tất cả" in drafts_page
    response = client.post(f"/moderation/forums/{world.here}/answers/publish")
    assert response.status_code == 302
    with app.app_context():
        assert (_proposal(world).status, _proposal(world).answer_body) == ("accepted", "Tiếp thu hiến kế.")
        assert db.session.get(Proposal, second_id).status == "under_review"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AnswerDraft)) == 0
        published = db.session.scalars(sa.select(AuditEntry.target_id).where(AuditEntry.action == "answer.publish"))
        assert sorted(published) == sorted([world.proposal, second_id])


def test_a_draft_that_can_no_longer_be_published_stops_the_batch(app):
    world = build_world(app)
    with app.app_context():
        status = statuses.add_forum_status(_forum(world), code="chuyen_bo", title="Chuyển Bộ", actor=None)
        other = make_proposal(_forum(world), make_user())
        answers.save_draft(other, status="accepted", body="Tiếp thu.", actor=actor(world, ORGANIZER))
        answers.save_draft(_proposal(world), status="chuyen_bo", body="Chuyển Bộ.", actor=actor(world, ORGANIZER))
        statuses.update_forum_status(status, title="Chuyển Bộ", retired=True, actor=None)
        db.session.commit()
        before = database_state()
        with pytest.raises(InvalidAction, match="Thành lập nghiệp đoàn"):
            answers.publish_forum_drafts(_forum(world), actor=actor(world, ORGANIZER))
        db.session.rollback()
        assert database_state() == before


def test_the_answer_form_keeps_what_was_typed_when_refused(app, client, auth):
    world = build_world(app)
    auth.login(world.emails[MODERATOR_HERE])
    response = client.post(f"/moderation/proposals/{world.proposal}/answer",
                           data={"answer-status": "khong_co", "answer-body": "Nội dung đã gõ", "answer-action": "publish"})
    assert response.status_code == 422
    assert "Nội dung đã gõ" in response.get_data(as_text=True)
    response = client.post(f"/moderation/proposals/{world.proposal}/answer",
                           data={"answer-status": "accepted", "answer-body": "Nội dung đã gõ", "answer-action": "draft"})
    assert response.status_code == 302
    page = client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    assert "Bản nháp" in page and "Nội dung đã gõ" in page


# Custom statuses ------------------------------------------------------------------------
def test_the_reserved_codes_are_the_built_in_statuses():
    assert statuses.RESERVED_CODES == {status.value for status in ProposalStatus}


@pytest.mark.parametrize("code", ["accepted", "A_B", "1ab", "đã_xong", "x", "a" * 31, "a-b"])
def test_a_custom_status_code_is_checked(app, code):
    world = build_world(app)
    with app.app_context():
        with pytest.raises(InvalidAction):
            statuses.add_forum_status(_forum(world), code=code, title="Tên", actor=None)


def test_only_organizers_define_statuses(app):
    world = build_world(app)
    with app.app_context():
        for kind in ("delegate", MODERATOR_HERE):
            with pytest.raises(PermissionDenied):
                statuses.add_forum_status(_forum(world), code="chuyen_bo", title="Chuyển Bộ", actor=actor(world, kind))
        statuses.add_forum_status(_forum(world), code="chuyen_bo", title="Chuyển Bộ", actor=actor(world, ORGANIZER))
        with pytest.raises(InvalidAction):  # one code per forum
            statuses.add_forum_status(_forum(world), code="chuyen_bo", title="Khác", actor=actor(world, ORGANIZER))


def test_a_custom_status_is_stored_by_its_code_whatever_the_language(app, client, auth):
    world = build_world(app)
    auth.login(world.emails[ORGANIZER])
    response = client.post(f"/organizer/forums/{world.here}/statuses",
                           data={"new-status-code": "dua_vao_van_kien", "new-status-title": "Đưa vào văn kiện",
                                 "new-status-title_en": "Included in the documents"})
    assert response.status_code == 302
    client.set_cookie("locale", "en")
    page = client.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    assert "Included in the documents" in page  # offered in English
    response = client.post(f"/moderation/proposals/{world.proposal}/answer",
                           data={"answer-status": "dua_vao_van_kien", "answer-body": "Included.",
                                 "answer-action": "publish"})
    assert response.status_code == 302
    with app.app_context():
        assert _proposal(world).status == "dua_vao_van_kien"
        status = db.session.scalar(sa.select(ForumStatus))
        statuses.update_forum_status(status, title="Được đưa vào văn kiện", title_en="In the documents",
                                     retired=False, actor=None)
        db.session.commit()
        assert _proposal(world).status == "dua_vao_van_kien"  # renaming changes no proposal
    assert "In the documents" in client.get("/forums/dien-dan-1").get_data(as_text=True)
    client.set_cookie("locale", "vi")
    assert "Được đưa vào văn kiện" in client.get("/forums/dien-dan-1").get_data(as_text=True)
    with app.test_request_context():
        with force_locale("en"):
            assert db.session.get(Proposal, world.proposal).status_label == "In the documents"


def test_the_settings_page_lists_the_statuses(app, client, auth):
    world = build_world(app)
    with app.app_context():
        statuses.add_forum_status(_forum(world), code="chuyen_bo", title="Chuyển Bộ ngành", actor=None)
        db.session.commit()
    auth.login(world.emails[ORGANIZER])
    page = client.get(f"/organizer/forums/{world.here}").get_data(as_text=True)
    assert 'id="statuses"' in page and "Chuyển Bộ ngành" in page and "chuyen_bo" in page
    response = client.post(f"/organizer/forums/{world.here}/statuses",
                           data={"new-status-code": "accepted", "new-status-title": "Trùng"})
    assert response.status_code == 422 and "Trùng" in response.get_data(as_text=True)


# Search ---------------------------------------------------------------------------------
def test_a_published_answer_is_searchable_on_each_engine(engine_app):  # noqa: F811
    app = engine_app
    world = build_world(app)
    with app.app_context():
        indexer.drain_outbox(engines.get_backend())
        reader = actor(world, DELEGATE)
        assert search_contributions(reader, text="hiep hoi van tai").hits == []
        answers.save_draft(_proposal(world), status="accepted", body=ANSWER, actor=actor(world, ORGANIZER))
        db.session.commit()
        indexer.drain_outbox(engines.get_backend())
        assert search_contributions(reader, text="hiep hoi van tai").hits == []  # a draft is not searchable
        answers.publish_forum_drafts(_forum(world), actor=actor(world, ORGANIZER))
        db.session.commit()
        indexer.drain_outbox(engines.get_backend())
        hits = search_contributions(reader, text="hiep hoi van tai").hits
        assert [hit.proposal.id for hit in hits] == [world.proposal]
        assert [h.proposal.id for h in search_contributions(reader, text="hiệp hội vận tải").hits] == [world.proposal]


def test_the_search_filter_offers_the_custom_statuses_and_applies_one(engine_app):  # noqa: F811
    """Search's status filter lists the custom statuses of the forums the reader sees,
    by title, and filters by their code on each engine."""
    app = engine_app
    world = build_world(app)
    with app.app_context():
        statuses.add_forum_status(_forum(world), code="chuyen_bo", title="Chuyển Bộ ngành", actor=None)
        answers.save_draft(_proposal(world), status="chuyen_bo", body=ANSWER, actor=actor(world, ORGANIZER))
        answers.publish_forum_drafts(_forum(world), actor=actor(world, ORGANIZER))
        make_proposal(_forum(world), make_user(), title="Hiệp hội vận tải khác, chưa trả lời")
        db.session.commit()
        indexer.drain_outbox(engines.get_backend())
    client = app.test_client()
    page = client.get("/search?q=van+tai").get_data(as_text=True)
    assert '<option value="chuyen_bo">Chuyển Bộ ngành</option>' in page
    filtered = client.get("/search?q=van+tai&status=chuyen_bo&kind=proposal").get_data(as_text=True)
    assert '<option selected value="chuyen_bo">Chuyển Bộ ngành</option>' in filtered
    assert f'href="/proposals/{world.proposal}"' in filtered and "chưa trả lời" not in filtered


# SQLite write transactions are serial: two organizers cannot add the same code at once there.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_organizers_adding_the_same_code_at_once_get_a_message(app):
    """The second insert waits for the first and then finds the code taken: a message,
    never a 500 (IntegrityError)."""
    import threading
    import time

    world = build_world(app)
    inserted, outcome = threading.Event(), []

    def first_organizer():
        with app.app_context():
            statuses.add_forum_status(_forum(world), code="chuyen_bo", title="Chuyển Bộ", actor=None)
            inserted.set()
            time.sleep(0.5)  # the second organizer's insert is waiting for this row now
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=first_organizer)
    thread.start()
    assert inserted.wait(timeout=30)
    with app.app_context():
        try:
            statuses.add_forum_status(_forum(world), code="chuyen_bo", title="Chuyển Bộ ngành", actor=None)
        except InvalidAction as error:
            outcome.append(str(error))
        db.session.rollback()
    thread.join(timeout=30)
    assert outcome == ["Diễn đàn đã có trạng thái mã «chuyen_bo»."]
    with app.app_context():
        assert [s.title for s in statuses.list_forum_statuses(_forum(world))] == ["Chuyển Bộ"]
