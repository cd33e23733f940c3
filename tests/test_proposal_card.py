"""The proposal card (templates/_macros/proposal_card.html): the forum page, the profile
and search results show a proposal the same way, with badges the stylesheet styles, and
without reading the proposal's body."""
import re
from pathlib import Path

import pytest

from forum.proposals.models import ProposalStatus
from forum.search import engines, indexer
from tests.helpers import AuthActions
from tests.factories import make_forum, make_proposal, make_support, make_user

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"
TITLE = "Tủ sách cho con công nhân ở khu nhà trọ"


def _card(html: str, proposal_id: int) -> str:
    """The card of ``proposal_id`` in ``html``."""
    cards = re.findall(r'<li class="card proposal-item[^"]*">.*?</li>', html, flags=re.S)
    found = [card for card in cards if f'href="/proposals/{proposal_id}"' in card]
    assert len(found) == 1, cards
    return found[0]


def _part(card: str, name: str) -> str:
    match = re.search(rf'<p class="proposal-item-{name}[^"]*">.*?</p>', card, flags=re.S)
    assert match, (name, card)
    return match.group()


@pytest.fixture
def pages(app, client):
    """One proposal under review that the logged-in delegate supports, and the HTML of the
    forum page, the profile and the search results that list it."""
    with app.app_context():
        me = make_user()
        author = make_user(full_name="Trần Thị Ngọc Ánh", unit="CĐCS Công ty May Việt Tiến")
        forum = make_forum(number=1)
        proposal = make_proposal(forum, author, title=TITLE, status="under_review", theme=forum.themes[1])
        make_support(proposal, me)
        indexer.drain_outbox(engines.get_backend())
        proposal_id, slug, email = proposal.id, forum.slug, me.email
    assert AuthActions(client).login(email).status_code == 302
    html = {
        "forum": client.get(f"/forums/{slug}").get_data(as_text=True),
        "profile": client.get("/profile").get_data(as_text=True),
        "search": client.get("/search", query_string={"q": "tủ sách"}).get_data(as_text=True),
    }
    return proposal_id, html


def test_the_three_lists_show_the_same_card(pages):
    proposal_id, html = pages
    cards = {page: _card(text, proposal_id) for page, text in html.items()}
    for part in ("byline", "meta"):
        assert len({_part(card, part) for card in cards.values()}) == 1, part
    for page, card in cards.items():
        assert "Trần Thị Ngọc Ánh" in card and "CĐCS Công ty May Việt Tiến" in card, page
        assert "Cán bộ Công đoàn" in card, page  # the theme
        assert '<span class="badge badge-status badge-status-under_review">Đang xem xét</span>' in card, page
        assert f'href="/proposals/{proposal_id}#comments"' in card, page
    assert "data-support-form" in cards["forum"]  # the forum page lets the visitor change their support
    assert "1 ủng hộ" in cards["profile"] and "1 ủng hộ" in cards["search"]
    assert "<mark>" in cards["search"]  # search passes its highlighted title and snippet


def test_every_badge_on_the_card_pages_is_styled(app, client, pages):
    with app.app_context():
        me = make_user()
        forum = make_forum(number=2)
        for status in ProposalStatus:
            make_proposal(forum, me, status=status.value, is_hidden=status is ProposalStatus.REJECTED)
        email = me.email
    AuthActions(client).logout()
    assert AuthActions(client).login(email).status_code == 302
    html = "".join(pages[1].values()) + client.get("/profile").get_data(as_text=True)
    used = set(re.findall(r"\bbadge-[\w-]+", html))
    assert {f"badge-status-{status.value}" for status in ProposalStatus} <= used
    stylesheet = STYLESHEET.read_text(encoding="utf-8")
    assert {badge for badge in used if f".{badge}" not in stylesheet} == set()


def test_the_profile_cards_never_read_the_body(app, client, pages, count_queries):
    with count_queries() as counter:
        assert client.get("/profile").status_code == 200
    proposal_reads = [statement for statement in counter.statements if "FROM proposals" in statement]
    assert proposal_reads
    assert not [statement for statement in proposal_reads if "proposals.body" in statement]
