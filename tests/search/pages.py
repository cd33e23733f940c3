"""The search pages' shared test data: one app per (database, search engine) pair, a
corpus in every visibility state, and clients logged in as each role (used by
test_views.py and test_similar_views.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from forum.extensions import db
from forum.search import engines, indexer
from tests.helpers import AuthActions, build_app, destroy_app
from tests.factories import make_comment, make_forum, make_moderator_of_all_forums, make_proposal, make_support, make_user
from tests.search.integration import ENGINE_PAIRS, database_url_for

ROLES = ("anonymous", "delegate", "inactive", "moderator", "organizer", "admin")


@pytest.fixture(params=ENGINE_PAIRS, ids=lambda pair: "+".join(pair))
def app(request, tmp_path):
    """Replaces the standard ``app``: one per (database, search engine) pair."""
    database, engine = request.param
    app = build_app(database_url_for(request, database, tmp_path), tmp_path, SEARCH_BACKEND=engine)
    yield app
    destroy_app(app)


def index_now(app) -> None:
    """Apply the outbox to the index (the web app does this after each commit)."""
    with app.app_context():
        indexer.drain_outbox(engines.get_backend())


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Corpus:
    """Ids and emails of the shared test data (usable outside the app context)."""

    forums: dict[str, int] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)
    themes: dict[str, int] = field(default_factory=dict)
    proposals: dict[str, int] = field(default_factory=dict)
    comments: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"/proposals/{self.proposals[name]}"

    def comment_url(self, proposal: str, comment: str) -> str:
        return f"/proposals/{self.proposals[proposal]}#comment-{self.comments[comment]}"


def build_corpus(app) -> Corpus:
    """Three forums (open, voting, draft), proposals and comments in every visibility state.

    "đoàn viên nữ" is in: the proposal ``nu`` and its comment ``nu_comment`` (public), the
    hidden proposal, the withdrawn proposal and the hidden comment (staff), the proposal of
    the draft forum (organizers). Every proposal body says "kiến nghị" (for sorts).
    """
    corpus = Corpus()
    with app.app_context():
        open_forum = make_forum(number=1, slug="doi-moi", title="Đổi mới công tác vận động, tập hợp người lao động",
                                themes=("Phát triển đoàn viên", "Cán bộ Công đoàn"))
        voting_forum = make_forum(number=2, slug="chinh-sach", phase="open", themes=("Chính sách, pháp luật",))
        draft_forum = make_forum(number=3, slug="chuan-bi", phase="open", themes=("Nháp",))
        author = make_user(full_name="Nguyễn Thị Hồng Nhung", unit="LĐLĐ tỉnh Bình Dương")
        users = {
            "delegate": make_user(),
            "inactive": make_user(role="organizer", is_active=False),
            "moderator": make_moderator_of_all_forums(),
            "organizer": make_user(role="organizer"),
            "admin": make_user(role="admin"),
        }
        proposals = {
            "nu": make_proposal(
                open_forum, author, theme=open_forum.themes[0],
                title="Phát triển đoàn viên nữ trong doanh nghiệp dệt may",
                body="Lao động nữ chiếm đa số, cần nhà trẻ cho con công nhân. Kiến nghị Tổng Liên đoàn hỗ trợ.",
                created_at=utc(2023, 10, 1, 3, 0),
            ),
            # 18:30 UTC on 5 October is 01:30 on 6 October in Vietnam.
            "chu_tich": make_proposal(
                open_forum, author, theme=open_forum.themes[1], status="accepted",
                title="Nâng cao vai trò chủ tịch công đoàn cơ sở",
                body="Chủ tịch công đoàn cơ sở cần được bảo vệ khi đối thoại. Kiến nghị sửa Luật.",
                created_at=utc(2023, 10, 5, 18, 30),
            ),
            "scattered": make_proposal(
                voting_forum, author, theme=voting_forum.themes[0],
                title="Tổ chức cơ sở vững mạnh",
                body="Chủ động tuyên truyền. Chủ tịch nước dự. Công nhân đoàn kết. Cơ sở vật chất. Kiến nghị thêm kinh phí.",
                created_at=utc(2023, 10, 10, 3, 0),
            ),
            "hidden": make_proposal(open_forum, author, title="Đoàn viên nữ ở khu nhà trọ (đã ẩn)",
                                    body="Kiến nghị bị ẩn.", is_hidden=True, created_at=utc(2023, 10, 2, 3, 0)),
            "withdrawn": make_proposal(open_forum, author, title="Đoàn viên nữ làm ca đêm (đã rút)",
                                       body="Kiến nghị đã rút.", status="withdrawn", created_at=utc(2023, 10, 3, 3, 0)),
            "draft": make_proposal(draft_forum, author, title="Đoàn viên nữ trong diễn đàn chuẩn bị",
                                   body="Kiến nghị chưa công bố.", created_at=utc(2023, 10, 4, 3, 0)),
        }
        comments = {
            "nu_comment": make_comment(proposals["nu"], users["delegate"],
                                       body="Tôi đồng ý, cần chăm lo đoàn viên nữ làm ca đêm.",
                                       created_at=utc(2023, 10, 2, 3, 0)),
            "hidden_comment": make_comment(proposals["chu_tich"], users["delegate"],
                                           body="Bình luận về đoàn viên nữ đã bị ẩn.", is_hidden=True),
        }
        for name, supports in (("nu", 5), ("chu_tich", 9), ("scattered", 2)):
            for _ in range(supports):
                make_support(proposals[name], make_user())
        voting_forum.phase = "voting"
        draft_forum.phase = "draft"
        db.session.commit()
        corpus.forums = {"open": open_forum.id, "voting": voting_forum.id, "draft": draft_forum.id}
        corpus.slugs = {"open": open_forum.slug, "voting": voting_forum.slug, "draft": draft_forum.slug}
        corpus.themes = {"members": open_forum.themes[0].id, "cadres": open_forum.themes[1].id,
                         "policy": voting_forum.themes[0].id}
        corpus.proposals = {name: proposal.id for name, proposal in proposals.items()}
        corpus.comments = {name: comment.id for name, comment in comments.items()}
        corpus.emails = {role: user.email for role, user in users.items()} | {"author": author.email}
    index_now(app)
    return corpus


@pytest.fixture
def corpus(app) -> Corpus:
    return build_corpus(app)


def client_as(app, corpus: Corpus, role: str):
    client = app.test_client()
    if role != "anonymous":
        AuthActions(client).login(corpus.emails[role])
    return client
