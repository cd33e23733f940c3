"""A staff member's name carries a role badge wherever it shows (templates/_macros/author.html):
proposal cards, the proposal page, comments, search results, the profile; a delegate's
never does, whatever their name says; and the badge costs no query."""
import re

import pytest

from forum.search import engines, indexer
from tests.factories import make_comment, make_forum, make_proposal, make_user
from tests.helpers import AuthActions

BADGE = re.compile(r'<span class="staff-badge staff-badge-(\w+)"')


@pytest.fixture
def thread(app):
    with app.app_context():
        forum = make_forum(number=1)
        organizer = make_user(role="organizer", full_name="Kiều Thị Lan Phương")
        moderator = make_user(role="moderator", full_name="Đỗ Mạnh Hùng")
        delegate = make_user(full_name="Vũ Thị Thanh Hương")
        staff_proposal = make_proposal(forum, organizer, title="Sổ tay cán bộ công đoàn cơ sở")
        proposal = make_proposal(forum, delegate, title="Tủ sách cho con công nhân")
        staff_comment = make_comment(proposal, moderator, body="Cảm ơn đồng chí, điều hành viên sẽ tổng hợp tủ sách.")
        make_comment(proposal, delegate, body="Tôi xin bổ sung về tủ sách.")
        indexer.drain_outbox(engines.get_backend())
        return {"slug": forum.slug, "proposal": proposal.id, "staff_proposal": staff_proposal.id,
                "organizer": organizer.email, "delegate": delegate.email, "staff_comment": staff_comment.id}


def _badges_after(html: str, name: str) -> list[str]:
    """The badge right after each occurrence of ``name`` as a name (empty string: none)."""
    found = []
    for match in re.finditer(re.escape(name) + r"</(?:span|strong)>\s*(<span class=\"staff-badge[^\"]*\")?", html):
        badge = BADGE.search(match.group(1) or "")
        found.append(badge.group(1) if badge else "")
    return found


def test_the_proposal_page_badges_the_staff_commenter_only(client, thread):
    html = client.get(f"/proposals/{thread['proposal']}").get_data(as_text=True)
    assert _badges_after(html, "Đỗ Mạnh Hùng") == ["moderator"]
    assert set(_badges_after(html, "Vũ Thị Thanh Hương")) == {""}
    assert "Điều hành viên</span>" in html and 'aria-hidden="true"' in html


def test_the_proposal_page_badges_a_staff_author(client, thread):
    html = client.get(f"/proposals/{thread['staff_proposal']}").get_data(as_text=True)
    assert _badges_after(html, "Kiều Thị Lan Phương") == ["organizer"]


def test_cards_on_the_forum_page_badge_staff_authors(client, thread):
    html = client.get(f"/forums/{thread['slug']}").get_data(as_text=True)
    assert _badges_after(html, "Kiều Thị Lan Phương") == ["organizer"]
    assert _badges_after(html, "Vũ Thị Thanh Hương") == [""]


def test_search_results_badge_staff_authors_of_proposals_and_comments(client, thread):
    html = client.get("/search", query_string={"q": "tủ sách"}).get_data(as_text=True)
    assert _badges_after(html, "Đỗ Mạnh Hùng") == ["moderator"]
    assert set(_badges_after(html, "Vũ Thị Thanh Hương")) == {""}
    html = client.get("/search", query_string={"q": "sổ tay"}).get_data(as_text=True)
    assert _badges_after(html, "Kiều Thị Lan Phương") == ["organizer"]


def test_replying_to_staff_names_them_with_their_badge(client, thread):
    AuthActions(client).login(thread["delegate"])
    html = client.get(f"/proposals/{thread['proposal']}", query_string={"reply_to": thread["staff_comment"]}).get_data(as_text=True)
    heading = re.search(r"<h3>Trả lời ý kiến của .*?</h3>", html, flags=re.S).group()
    assert "Đỗ Mạnh Hùng" in heading
    assert [match.group(1) for match in BADGE.finditer(heading)] == ["moderator"]


@pytest.mark.parametrize(("who", "badge"), [("organizer", ["organizer"]), ("delegate", [""])])
def test_the_profile_badges_staff(client, thread, who, badge):
    AuthActions(client).login(thread[who])
    html = client.get("/profile").get_data(as_text=True)
    name = "Kiều Thị Lan Phương" if who == "organizer" else "Vũ Thị Thanh Hương"
    heading = re.search(r'<h1 id="profile-heading">.*?</h1>', html, flags=re.S).group()
    assert _badges_after(heading, name) == badge


def test_the_badge_costs_no_query(app, client, thread, count_queries):
    """As many statements for a forum page of staff authors as of delegates'."""
    with app.app_context():
        forum = make_forum(number=2)
        for _ in range(3):
            make_proposal(forum, make_user(role="moderator"))
        other = make_forum(number=3)
        for _ in range(3):
            make_proposal(other, make_user())
        slugs = (forum.slug, other.slug)
    counts = []
    for slug in slugs:
        with count_queries() as counter:
            assert client.get(f"/forums/{slug}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
