"""The moderator's journey in a real browser (issue 8, "Done when"). The moderator of
forum 1 sees the waiting count in the header, clears the queue on a phone (dismisses the
reports of a proposal hidden by them, hides a reported one with a reason, approves a new
delegate's first post, which another delegate can then read); on a desktop, merges two
near-duplicate proposals from the possible-duplicates page (the shared supporter counts
once), undoes the merge (the counts come back exactly), merges again and answers a
proposal officially; its author finds the notification. The moderator of forum 2 is
refused all of it, every action is in the audit log, the counters are exact, axe finds
no serious violation on the moderation pages, and no console or page error shows."""
import re

import pytest
import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.forums.moderators import assign_moderator_scope
from forum.moderation.duplicates import DuplicatePair
from forum.moderation.merging.cli import find_duplicates
from forum.moderation.queue import services as queue
from forum.moderation.queue.models import QueueItem
from forum.proposals import services as proposals
from forum.proposals.counts import find_counter_drift
from forum.proposals.models import Proposal, ProposalMerge
from forum.search import engines, indexer
from forum.votes.models import Support
from forum.votes.services import find_support_count_drift
from tests import factories
from tests.browser.helpers import (
    DESKTOP, PHONE, accessibility_report, check_accessibility, collect_errors, log_in, screenshot,
)
from tests.helpers import build_app, destroy_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a live server and Chromium

TWIN_A = "Thành lập Công đoàn cơ sở theo cụm doanh nghiệp nhỏ trong khu công nghiệp"
TWIN_B = "Thành lập Công đoàn cơ sở theo cụm các doanh nghiệp nhỏ trong khu công nghiệp"
FLOODED = "Tổ chức giải bóng đá công nhân các khu nhà trọ vào dịp nghỉ hè"  # hidden by three reports
REPORTED = "Mua hàng giá rẻ tại cửa hàng của tôi, liên hệ số điện thoại bên dưới"  # one report: spam
FIRST_POST = "Mở lớp tiếng Anh buổi tối miễn phí cho công nhân trẻ"  # a new delegate's, waiting
HIDE_REASON = "Quảng cáo bán hàng, không phải hiến kế."
ANSWER = "Ban tổ chức tiếp thu: đưa mô hình Công đoàn cơ sở theo cụm vào dự thảo Nghị quyết Đại hội."


@pytest.fixture
def live_app(database_url, tmp_path):
    """tests/browser/conftest.py's ``live_app`` on each database of the run: SQLite, and
    PostgreSQL when TEST_DATABASE_URL is set (the locks and the search engine differ)."""
    app = build_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    yield app
    destroy_app(app)


@pytest.fixture
def world(live_app):
    """Forum 1 (new accounts' first posts wait) and forum 2, a moderator of each; in
    forum 1 a proposal hidden by three reports, one reported once, a new delegate's
    first proposal waiting, and two supported near-duplicates found by the duplicate
    finder, one delegate supporting both; in forum 2 a reported proposal."""
    with live_app.app_context():
        here = factories.make_forum(number=1, slug="doi-moi-van-dong", premoderate_new_accounts=True,
                                    title="Đổi mới công tác vận động, tập hợp người lao động vào tổ chức Công đoàn")
        there = factories.make_forum(number=2, slug="cham-lo-loi-ich",
                                     title="Chăm lo lợi ích, đại diện, bảo vệ quyền lợi người lao động")
        moderator = factories.make_user(role="moderator", full_name="Đỗ Thị Lan", unit="Ban Tổ chức Tổng LĐLĐ")
        other_moderator = factories.make_user(role="moderator", full_name="Hoàng Văn Nam", unit="Ban Chính sách")
        assign_moderator_scope(moderator, [here.id], actor=None)
        assign_moderator_scope(other_moderator, [there.id], actor=None)
        author_a = factories.make_user(full_name="Nguyễn Thị Hồng Nhung", unit="LĐLĐ tỉnh Bình Dương")
        author_b = factories.make_user(full_name="Trần Văn Đức", unit="Công đoàn Dệt May Việt Nam")
        poster = factories.make_user(full_name="Lê Minh Khoa", unit="CĐCS Công ty Pouchen")
        newcomer = factories.make_user(full_name="Phan Thị Thu", unit="CĐCS Công ty Changshin")
        reader = factories.make_user(full_name="Vũ Quốc Bảo", unit="LĐLĐ tỉnh Đồng Nai")
        reporters = [factories.make_user(full_name=f"Đại biểu báo cáo {n}") for n in range(1, 4)]
        only_a = factories.make_user(full_name="Bùi Thị Mai", unit="LĐLĐ tỉnh Bắc Ninh")
        only_b = factories.make_user(full_name="Đặng Văn Hùng", unit="LĐLĐ tỉnh Hải Dương")
        both = factories.make_user(full_name="Ngô Thị Hạnh", unit="LĐLĐ tỉnh Long An")
        db.session.commit()

        a = factories.make_proposal(here, author_a, title=TWIN_A,
                                    body="Ghép các doanh nghiệp dưới 30 lao động thành cụm để lập Công đoàn cơ sở.")
        b = factories.make_proposal(here, author_b, title=TWIN_B,
                                    body="Cho phép lập Công đoàn cơ sở chung cho nhiều doanh nghiệp nhỏ gần nhau.")
        for proposal, supporter in ((a, only_a), (a, both), (b, only_b), (b, both)):
            factories.make_support(proposal, supporter)
        flooded = factories.make_proposal(here, poster, title=FLOODED, body="Giải đấu giao lưu mỗi tối thứ bảy.")
        reported = factories.make_proposal(here, poster, title=REPORTED, body="Gọi ngay để được giảm giá.")
        elsewhere = factories.make_proposal(there, poster, title="Nhà ở xã hội cho công nhân thuê giá thấp")
        for reporter in reporters:
            queue.report_content(flooded, reason="off_topic", actor=reporter)
        queue.report_content(reported, reason="spam", detail="Quảng cáo bán hàng.", actor=reporters[0])
        queue.report_content(elsewhere, reason="false", detail="Sai sự thật.", actor=reporters[1])
        db.session.commit()
        waiting = proposals.create_proposal(here, title=FIRST_POST, body="Mỗi tuần hai buổi, giáo viên tình nguyện.",
                                            theme_id=here.themes[0].id, actor=newcomer)
        db.session.commit()
        assert flooded.is_hidden and waiting.awaiting_approval
        db.session.commit()  # the drain writes from its own connection: no transaction open here

        indexer.drain_outbox(engines.get_backend())  # what `flask moderation find-duplicates` does
        find_duplicates()
        pair = db.session.scalar(sa.select(DuplicatePair).where(DuplicatePair.first_id == a.id,
                                                                DuplicatePair.second_id == b.id))
        assert pair is not None, "the duplicate finder pairs the twins"
        items = dict(db.session.execute(sa.select(QueueItem.proposal_id, QueueItem.id)).all())
        return {
            "forum": here.id, "other_forum": there.id, "a": a.id, "b": b.id, "flooded": flooded.id,
            "reported": reported.id, "waiting": waiting.id, "items": items,
            "moderator": moderator.email, "moderator_id": moderator.id, "other_moderator": other_moderator.email,
            "other_moderator_id": other_moderator.id, "author_a": author_a.email, "reader": reader.email,
            "both": both.id, "only_a": only_a.id, "only_b": only_b.id,
        }


def supporters(app, proposal_id: int) -> tuple[int, set[int]]:
    """(stored support_count, the ids of the users whose support counts) of a proposal."""
    with app.app_context():
        count = db.session.scalar(sa.select(Proposal.support_count).where(Proposal.id == proposal_id))
        users = set(db.session.scalars(sa.select(Support.user_id).where(Support.proposal_id == proposal_id)))
        return count, users


def csrf_token(page) -> str:
    """The session's CSRF token, from the header's logout form (any page of a logged-in user)."""
    return page.locator("form[action$='/logout'] input[name=csrf_token]").first.input_value()


def test_a_moderator_clears_the_queue_merges_undoes_and_answers(live_app, live_server, page_factory, world):
    from playwright.sync_api import expect

    found: dict[str, list[str]] = {}
    base = live_server
    a, b = world["a"], world["b"]

    # 1. On a phone: the header counts the three items waiting in forum 1 (not forum 2's).
    phone = page_factory(PHONE)
    phone_errors = collect_errors(phone)
    log_in(phone, base, world["moderator"], factories.DEFAULT_PASSWORD)
    expect(phone.locator("a.nav-moderation")).to_have_text(re.compile(r"Điều hành\s*\(3\)"))
    phone.locator("a.nav-moderation").click()
    phone.wait_for_url("**/moderation/queue")
    expect(phone.locator("li.queue-item")).to_have_count(3)
    flooded_item = phone.locator(f"#item-{world['items'][world['flooded']]}")
    expect(flooded_item).to_contain_text("Đang tạm ẩn")
    expect(flooded_item).to_contain_text("3 báo cáo")
    expect(phone.locator(f"#item-{world['items'][world['waiting']]}")).to_contain_text("Chờ duyệt")
    screenshot(phone, "moderator-1-queue-phone")
    check_accessibility(phone, "moderation-queue-390", found)

    # The reports on the flooded proposal were unfounded: dismissed, it shows again.
    flooded_item.locator("input[name=item]").check()
    phone.get_by_label("Thao tác với các mục đã chọn").select_option("dismiss")
    phone.get_by_role("button", name="Thực hiện với các mục đã chọn").click()
    phone.wait_for_load_state()
    expect(phone.locator(".flash-success")).to_contain_text("Đã xử lý 1 mục.")
    expect(phone.locator("li.queue-item")).to_have_count(2)
    # The spam is hidden, with the reason its author will read.
    phone.locator(f"#item-{world['items'][world['reported']]} input[name=item]").check()
    phone.get_by_label("Thao tác với các mục đã chọn").select_option("hide")
    phone.get_by_label("Lý do (bắt buộc khi ẩn; tác giả sẽ đọc được)").fill(HIDE_REASON)
    phone.get_by_role("button", name="Thực hiện với các mục đã chọn").click()
    phone.wait_for_load_state()
    expect(phone.locator("li.queue-item")).to_have_count(1)

    # The new delegate's first post: another delegate cannot read it yet, then can.
    reader = page_factory(PHONE)
    reader_errors = collect_errors(reader)
    log_in(reader, base, world["reader"], factories.DEFAULT_PASSWORD)
    assert reader.goto(f"{base}/proposals/{world['waiting']}").status == 404
    reader_errors.clear()  # Chromium logs the 404 it was asked to load
    phone.locator(f"#item-{world['items'][world['waiting']]} input[name=item]").check()
    phone.get_by_label("Thao tác với các mục đã chọn").select_option("approve")
    phone.get_by_role("button", name="Thực hiện với các mục đã chọn").click()
    phone.wait_for_load_state()
    expect(phone.locator("li.queue-item")).to_have_count(0)
    expect(phone.locator("a.nav-moderation")).to_have_text(re.compile(r"Điều hành\s*\(0\)"))
    screenshot(phone, "moderator-2-queue-cleared-phone")
    assert reader.goto(f"{base}/proposals/{world['waiting']}").status == 200
    expect(reader.locator("h1")).to_have_text(FIRST_POST)
    assert reader.goto(f"{base}/proposals/{world['flooded']}").status == 200
    assert reader.goto(f"{base}/proposals/{world['reported']}").status == 404
    reader_errors.clear()
    with live_app.app_context():
        assert db.session.get(Proposal, world["reported"]).hidden_reason == HIDE_REASON

    # 2. On a desktop: the possible duplicates, the merge screen, the merge.
    desk = page_factory(DESKTOP)
    desk_errors = collect_errors(desk)
    log_in(desk, base, world["moderator"], factories.DEFAULT_PASSWORD)
    desk.goto(base + "/moderation/duplicates")
    group = desk.locator("section.duplicate-group")
    expect(group).to_have_count(1)
    expect(group.locator(".merge-proposal")).to_have_count(2)
    check_accessibility(desk, "moderation-duplicates-1280", found)
    group.get_by_role("link", name=f"Gộp #{b} vào #{a}…").click()
    desk.wait_for_url("**/moderation/merge?*")
    effects = desk.locator("ul.merge-effects")
    expect(effects).to_contain_text(f"Đã gộp vào hiến kế #{a}")
    expect(effects).to_contain_text(f"Tác giả Trần Văn Đức được ghi là đồng tác giả của hiến kế #{a}")
    moved = desk.locator("section.merge-group", has_text="Chuyển sang hiến kế giữ lại")
    expect(moved).to_contain_text("Đặng Văn Hùng")
    already = desk.locator("section.merge-group", has_text="Đã ủng hộ cả hai")
    expect(already).to_contain_text("Ngô Thị Hạnh")
    expect(already).to_contain_text("chỉ tính một lần")
    screenshot(desk, "moderator-3-merge-confirm-desktop")
    check_accessibility(desk, "moderation-merge-confirm-1280", found)
    before = {pid: supporters(live_app, pid) for pid in (a, b)}
    assert before[a] == (2, {world["only_a"], world["both"]}) and before[b] == (2, {world["only_b"], world["both"]})
    desk.get_by_label("Ghi chú (ghi vào nhật ký kiểm tra)").fill("Hai hiến kế cùng một đề xuất.")
    desk.get_by_role("button", name=f"Gộp hiến kế #{b} vào #{a}").click()
    desk.wait_for_url(f"**/proposals/{a}*")
    expect(desk.locator(".flash-success")).to_contain_text(f"Đã gộp hiến kế #{b} vào hiến kế #{a}.")
    expect(desk.locator("[data-support-count]").first).to_have_text("3")  # the shared supporter once
    assert supporters(live_app, a) == (3, {world["only_a"], world["only_b"], world["both"]})
    desk.goto(f"{base}/proposals/{b}")
    expect(desk.locator(".proposal-banner-merged")).to_contain_text(f"#{a}")
    screenshot(desk, "moderator-4-merged-desktop")

    # 3. The undo page says what comes back; undoing restores the counts exactly.
    desk.get_by_role("link", name="Hoàn tác việc gộp…").click()
    desk.wait_for_url("**/moderation/merges/*/undo")
    expect(desk.locator("section.merge-group", has_text="Trở về hiến kế cũ")).to_contain_text("Đặng Văn Hùng")
    expect(desk.locator("section.merge-group", has_text="Ủng hộ cả hai như trước")).to_contain_text("Ngô Thị Hạnh")
    check_accessibility(desk, "moderation-merge-undo-1280", found)
    desk.get_by_role("button", name="Hoàn tác").click()
    desk.wait_for_url(f"**/proposals/{b}*")
    expect(desk.locator(".proposal-banner-merged")).to_have_count(0)
    expect(desk.locator("[data-support-count]").first).to_have_text("2")
    assert {pid: supporters(live_app, pid) for pid in (a, b)} == before
    desk.goto(f"{base}/proposals/{a}")
    expect(desk.locator("[data-support-count]").first).to_have_text("2")

    # 4. The pair is back among the duplicates; merged again, and left so.
    desk.goto(base + "/moderation/duplicates")
    desk.get_by_role("link", name=f"Gộp #{b} vào #{a}…").click()
    desk.wait_for_url("**/moderation/merge?*")
    desk.get_by_role("button", name=f"Gộp hiến kế #{b} vào #{a}").click()
    desk.wait_for_url(f"**/proposals/{a}*")
    expect(desk.locator("[data-support-count]").first).to_have_text("3")
    desk.goto(base + "/moderation/duplicates")
    expect(desk.locator("section.duplicate-group")).to_have_count(0)

    # The official answer, from the proposal's tools page, published at once.
    desk.goto(f"{base}/moderation/proposals/{a}")
    check_accessibility(desk, "moderation-proposal-tools-1280", found)
    desk.get_by_label("Trạng thái").select_option("accepted")
    desk.get_by_label("Nội dung trả lời").fill(ANSWER)
    desk.get_by_role("button", name="Công bố ngay").click()
    desk.wait_for_url(f"**/proposals/{a}*")
    expect(desk.locator(".flash-success")).to_contain_text("Đã công bố trả lời chính thức")
    answer = desk.locator("#official-answer")
    expect(answer).to_contain_text(ANSWER)
    expect(answer).to_contain_text("Trả lời chính thức của Diễn đàn số 1")
    screenshot(desk, "moderator-5-answered-desktop")
    with live_app.app_context():
        answered = db.session.get(Proposal, a)
        assert answered.status == "accepted" and answered.answered_by_id == world["moderator_id"]

    # The author, on a phone, has one unread notification: the answer.
    author = page_factory(PHONE)
    author_errors = collect_errors(author)
    log_in(author, base, world["author_a"], factories.DEFAULT_PASSWORD)
    expect(author.locator(".nav-notifications-count")).to_have_text("1")
    author.locator("a.nav-notifications").click()
    author.wait_for_url("**/notifications")
    unread = author.locator(".notification-unread")
    expect(unread).to_have_count(1)
    expect(unread).to_contain_text(f"Hiến kế “{TWIN_A}” của bạn đã có trả lời chính thức của diễn đàn.")
    # The bell keeps its size beside the count and a long name (it was squeezed to a dot).
    assert author.locator("a.nav-notifications svg").bounding_box()["width"] == 18
    screenshot(author, "moderator-6-author-notified-phone")
    check_accessibility(author, "notifications-author-390", found)

    # 5. The moderator of forum 2 is refused every one of these in forum 1, and changes
    # nothing: the log only records the refusals.
    other = page_factory(DESKTOP)
    other_errors = collect_errors(other)
    log_in(other, base, world["other_moderator"], factories.DEFAULT_PASSWORD)
    expect(other.locator("a.nav-moderation")).to_have_text(re.compile(r"Điều hành\s*\(1\)"))  # forum 2's report
    token = csrf_token(other)
    with live_app.app_context():
        merge_id = db.session.scalar(sa.select(ProposalMerge.id).where(ProposalMerge.undone_at.is_(None)))
        audit_before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    refusals = {
        "queue": other.request.post(base + "/moderation/queue", form={
            "csrf_token": token, "item": str(world["items"][world["flooded"]]), "action": "hide",
            "reason": "Thử ẩn ở diễn đàn khác."}),
        "merge page": other.request.get(f"{base}/moderation/merge?source={world['flooded']}&target={a}"),
        "merge": other.request.post(base + "/moderation/merge", form={
            "csrf_token": token, "source": str(world["flooded"]), "target": str(a)}),
        "undo page": other.request.get(f"{base}/moderation/merges/{merge_id}/undo"),
        "undo": other.request.post(f"{base}/moderation/merges/{merge_id}/undo", form={"csrf_token": token}),
        "tools page": other.request.get(f"{base}/moderation/proposals/{a}"),
        "answer": other.request.post(f"{base}/moderation/proposals/{a}/answer", form={
            "csrf_token": token, "answer-status": "rejected", "answer-body": "Không.", "answer-action": "publish"}),
        "hide": other.request.post(f"{base}/moderation/proposals/{world['flooded']}/hide", form={
            "csrf_token": token, "reason": "Thử ẩn."}),
    }
    assert {name: response.status for name, response in refusals.items()} == {name: 403 for name in refusals}
    other.goto(base + "/moderation/duplicates")
    expect(other.locator("section.duplicate-group")).to_have_count(0)

    # Every action is in the audit log, by the moderator of forum 1 (the auto-hide by the
    # third reporter); the counters are exact (`flask votes verify`, `flask proposals verify`).
    with live_app.app_context():
        refused = db.session.execute(sa.select(AuditEntry.action, AuditEntry.actor_id)
                                     .where(AuditEntry.id > audit_before).order_by(AuditEntry.id)).all()
        assert refused == [("security.forbidden", world["other_moderator_id"])] * len(refusals)
        entries = db.session.execute(sa.select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.target_id)
                                     .where(AuditEntry.action.startswith("moderation.")
                                            | AuditEntry.action.startswith("answer."))
                                     .order_by(AuditEntry.id)).all()
        by_moderator = [(action, target) for action, actor, target in entries if actor == world["moderator_id"]]
        assert by_moderator == [
            ("moderation.dismiss_reports", world["flooded"]),
            ("moderation.hide", world["reported"]),
            ("moderation.approve", world["waiting"]),
            ("moderation.merge_proposals", b),
            ("moderation.undo_merge", b),
            ("moderation.merge_proposals", b),
            ("answer.publish", a),
        ]
        assert ("moderation.auto_hide", world["flooded"]) in [(action, target) for action, _actor, target in entries]
        assert not any(actor == world["other_moderator_id"] for _action, actor, _target in entries)
        assert find_support_count_drift() == []
        assert find_counter_drift() == []

    assert not found, "serious or critical accessibility violations:\n" + accessibility_report(found)
    assert phone_errors == [] and desk_errors == [] and author_errors == [] and reader_errors == []
    assert other_errors == []
