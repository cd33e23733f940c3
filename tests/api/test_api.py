"""The read-only API (/api/v1/): what each reader gets (the pages' visibility rules),
cursor pages, errors in one JSON shape, no CORS, rate limits, and the published results
with a digest anyone can check."""
import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from forum.extensions import db
from forum.forums.services import set_forum_phase
from forum.proposals.models import Proposal
from forum.results import snapshots
from tests.factories import make_forum, make_proposal, make_support, make_user
from tests.helpers import build_app, destroy_app

ERROR_KEYS = {"status", "code", "title", "message", "request_id"}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.content_type == "application/json"
    body = response.get_json()
    assert ERROR_KEYS <= set(body) and body["status"] == status and body["code"] == code
    assert body["message"] and body["title"]
    return body


# Forums -----------------------------------------------------------------------------------
def test_forums_are_listed_as_the_reader_may_see_them(client, auth, world):
    listed = client.get("/api/v1/forums").get_json()["items"]
    assert [forum["number"] for forum in listed] == [1, 2]  # the draft forum is the organizers'
    first = listed[0]
    assert first["phase"] == {"code": "open", "label": "Đang nhận hiến kế"} or first["phase"]["code"] == "open"
    assert [theme["title"] for theme in first["themes"]] == ["Phát triển đoàn viên", "Cán bộ Công đoàn"]
    assert first["themes"][0]["proposals"] == 2  # p1, p2: the public ones
    assert first["url"].endswith("/forums/dien-dan-1") and first["chairs"][0]["name"] == "Nguyễn Đình Khang"
    assert [forum["tallies_hidden"] for forum in listed] == [False, True]
    assert_error(client.get("/api/v1/forums/3"), 404, "not_found")

    auth.login(world["organizer"])
    listed = client.get("/api/v1/forums").get_json()["items"]
    assert [forum["number"] for forum in listed] == [1, 2, 3]
    assert [forum["tallies_hidden"] for forum in listed] == [False, False, False]
    assert client.get("/api/v1/forums/3").get_json()["phase"]["code"] == "draft"


# Proposals --------------------------------------------------------------------------------
def test_lists_follow_the_pages_visibility(client, auth, world):
    anonymous = ids(client.get("/api/v1/proposals?forum=1"))
    assert anonymous == [world["p2"], world["p1"]]  # newest first; hidden, withdrawn, merged never
    assert world["d1"] not in ids(client.get("/api/v1/proposals"))
    assert_error(client.get("/api/v1/proposals?forum=3"), 422, "invalid_parameters")

    auth.login(world["delegate"])
    assert ids(client.get("/api/v1/proposals?forum=1")) == anonymous
    auth.logout()
    auth.login(world["moderator"])  # moderates forum 1: lists its hidden proposal, never the others
    assert ids(client.get("/api/v1/proposals?forum=1")) == [world["p3"], world["p2"], world["p1"]]
    hidden = client.get("/api/v1/proposals?forum=1").get_json()["items"][0]
    assert hidden["hidden"] is True
    auth.logout()
    auth.login(world["organizer"])
    assert world["d1"] in ids(client.get("/api/v1/proposals"))


def test_hidden_tallies_are_null_and_never_give_an_order(client, auth, world):
    items = {item["id"]: item for item in client.get("/api/v1/proposals").get_json()["items"]}
    assert items[world["p1"]]["supports"] == 2
    assert items[world["q1"]]["supports"] is None
    body = assert_error(client.get("/api/v1/proposals?sort=supports"), 422, "invalid_parameters")
    assert "sort" in body["details"]["query"] and "2" in body["details"]["query"]["sort"][0]
    assert ids(client.get("/api/v1/proposals?forum=1&sort=supports"))[0] == world["p1"]
    assert client.get(f"/api/v1/proposals/{world['q1']}").get_json()["supports"] is None

    auth.login(world["organizer"])  # organizers see every count
    assert client.get(f"/api/v1/proposals/{world['q1']}").get_json()["supports"] == 1
    assert client.get("/api/v1/proposals?sort=supports").status_code == 200


def test_filters_by_theme_and_status(app, client, world):
    with app.app_context():
        theme_id = db.session.get(Proposal, world["p1"]).forum.themes[1].id
        db.session.get(Proposal, world["p2"]).theme_id = theme_id
        db.session.get(Proposal, world["p1"]).status = "accepted"
        db.session.commit()
    assert ids(client.get(f"/api/v1/proposals?theme={theme_id}")) == [world["p2"]]
    assert ids(client.get("/api/v1/proposals?status=accepted")) == [world["p1"]]
    assert_error(client.get("/api/v1/proposals?status=nonsense"), 422, "invalid_parameters")
    assert_error(client.get("/api/v1/proposals?theme=999999"), 422, "invalid_parameters")


@pytest.mark.parametrize("sort", ["newest", "oldest", "supports", "discussed"])
def test_cursor_pages_walk_every_proposal_once_in_order(app, client, sort):
    with app.app_context():
        forum = make_forum(number=4)
        author = make_user()
        supporters = [make_user() for _ in range(3)]
        moment = datetime(2026, 11, 1, tzinfo=UTC)
        made = []
        for n in range(13):
            # Two proposals share each moment: the id breaks the tie.
            proposal = make_proposal(forum, author, created_at=moment + timedelta(minutes=n // 2))
            for supporter in supporters[: n % 4]:
                make_support(proposal, supporter)
            made.append(proposal)
        expected = {
            "newest": sorted(made, key=lambda p: (p.created_at, p.id), reverse=True),
            "oldest": sorted(made, key=lambda p: (p.created_at, p.id)),
            "supports": sorted(made, key=lambda p: (p.support_count, p.created_at, p.id), reverse=True),
            "discussed": sorted(made, key=lambda p: (p.comment_count, p.created_at, p.id), reverse=True),
        }[sort]
        expected = [proposal.id for proposal in expected]
    walked, url, pages = [], f"/api/v1/proposals?forum=4&sort={sort}&limit=5", 0
    while url:
        body = client.get(url).get_json()
        walked += [item["id"] for item in body["items"]]
        url = body["next"]
        pages += 1
        if url:
            assert body["next_cursor"] and f"cursor={body['next_cursor']}" in url
    assert walked == expected and pages == 3


def test_a_cursor_keeps_its_place_when_proposals_arrive(app, client, world):
    first = client.get("/api/v1/proposals?forum=1&limit=1").get_json()
    assert [item["id"] for item in first["items"]] == [world["p2"]]
    with app.app_context():  # newer than everything: a page-number list would shift
        forum = db.session.get(Proposal, world["p1"]).forum
        make_proposal(forum, make_user(), title="Hiến kế mới gửi trong lúc đọc")
    assert ids(client.get(first["next"])) == [world["p1"]]


def test_bad_cursors_are_refused_clearly(client, world):
    good = client.get("/api/v1/proposals?limit=1").get_json()["next_cursor"]

    def encoded(value) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    for cursor in ("abc", "!!!!", encoded({"a": 1}), encoded(["newest", "x", 1]), encoded(["oldest", good]),
                   encoded(["newest", "0001-01-01T00:00:00+07:00", 1]), encoded(["newest", "2026-11-01T00:00:00", 1]),
                   encoded(["newest", "2026-11-01T00:00:00+00:00", 2**80]), encoded(["newest", "2026-11-01T00:00:00+00:00", True]),
                   "\u0110oàn", encoded(["newest"] * 20)):
        body = assert_error(client.get("/api/v1/proposals", query_string={"cursor": cursor}), 400, "invalid_cursor")
        assert "next_cursor" in body["message"]
    assert_error(client.get(f"/api/v1/proposals?sort=oldest&cursor={good}"), 400, "invalid_cursor")  # another sort's
    assert_error(client.get("/api/v1/proposals", query_string={"cursor": "a" * 600}), 422, "invalid_parameters")


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "limit=abc", "limit=1.5", "forum=0", "forum=99999999999999999999", "forum=" + "9" * 5000,
    "theme=-1", "sort=best", "status=" + "x" * 31,
])
def test_bad_parameters_are_a_422_naming_the_parameter_in_vietnamese(client, world, query):
    body = assert_error(client.get(f"/api/v1/proposals?{query}"), 422, "invalid_parameters")
    name = query.split("=")[0]
    assert list(body["details"]["query"]) == [name]
    assert body["message"] == "Tham số không hợp lệ."
    assert all(message.startswith(("Phải", "Không", "Số")) for message in body["details"]["query"][name])


def test_a_proposal_comes_with_its_discussion(client, auth, world):
    shown = client.get(f"/api/v1/proposals/{world['p1']}").get_json()
    assert shown["title"] == "Ngày hội đoàn viên ở khu nhà trọ" and shown["body_html"].startswith("<p>")
    assert shown["author"] == {"name": "Trần Thị Mai", "unit": "Công đoàn KCN Biên Hòa", "province": "Đồng Nai"}
    assert shown["supports"] == 2 and shown["status"]["code"] == "published"
    thread = shown["comment_page"]
    assert [comment["body"] for comment in thread["items"]] == ["Rất cần thiết ở Đồng Nai.", None]
    placeholder = thread["items"][1]
    assert placeholder["hidden"] is True and placeholder["author"] is None and placeholder["replies"] == []
    assert [reply["body"] for reply in thread["items"][0]["replies"]] == ["Cảm ơn anh."]
    assert "vi phạm" not in json.dumps(shown, ensure_ascii=False)
    assert client.get(f"/api/v1/proposals/{world['p1']}/comments").get_json() == thread

    auth.login(world["moderator"])  # the forum's moderator reads everything
    thread = client.get(f"/api/v1/proposals/{world['p1']}").get_json()["comment_page"]
    assert thread["items"][1]["body"] == "Nội dung vi phạm nội quy"
    assert [reply["body"] for reply in thread["items"][1]["replies"]] == ["Trả lời ý kiến bị ẩn"]


def test_merged_withdrawn_hidden_and_draft_proposals_as_on_the_pages(client, auth, world):
    assert client.get(f"/api/v1/proposals/{world['p1']}").get_json()["merged"] == []  # no merge row in force
    merged = client.get(f"/api/v1/proposals/{world['p5']}").get_json()
    assert merged["status"]["code"] == "merged" and merged["merged_into"] == world["p1"]
    assert client.get(f"/api/v1/proposals/{world['p4']}").get_json()["status"]["code"] == "withdrawn"
    for hidden in ("p3", "d1"):
        assert_error(client.get(f"/api/v1/proposals/{world[hidden]}"), 404, "not_found")
    auth.login(world["moderator"])
    assert client.get(f"/api/v1/proposals/{world['p3']}").get_json()["hidden"] is True
    assert_error(client.get(f"/api/v1/proposals/{world['d1']}"), 404, "not_found")


def test_comment_pages(app, client, world):
    app.config["COMMENTS_PER_PAGE"] = 1
    first = client.get(f"/api/v1/proposals/{world['p1']}/comments").get_json()
    assert first["pages"] == 2 and first["total"] == 2 and first["next"].endswith("/comments?page=2")
    second = client.get(first["next"]).get_json()
    assert second["page"] == 2 and second["next"] is None and second["items"][0]["hidden"] is True
    assert client.get(f"/api/v1/proposals/{world['p1']}/comments?page=99").get_json()["page"] == 2


# Errors, CORS, limits ---------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/api/v1/nothing-here", "/api/v1/proposals/0", "/api/v1/proposals/2147483648", "/api/v1/proposals/abc",
    "/api/v1/forums/99", "/api/v1/results/99", "/api/v1/proposals/999999/comments",
])
def test_missing_things_are_json_404s(client, world, path):
    assert_error(client.get(path, headers={"Accept": "text/html"}), 404, "not_found")


def test_only_get_is_allowed(client, world):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/proposals")
        assert_error(response, 405, "method_not_allowed")
        assert "GET" in response.headers["Allow"]


def test_no_cors_headers_even_when_another_site_asks(client, world):
    origin = {"Origin": "https://evil.example"}
    for response in (
        client.get("/api/v1/forums", headers=origin),
        client.options("/api/v1/forums", headers={**origin, "Access-Control-Request-Method": "GET"}),
        client.get("/api/v1/openapi.json", headers=origin),
    ):
        assert not [name for name in response.headers.keys() if name.lower().startswith("access-control-")]


def test_the_api_is_rate_limited_with_a_json_429(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'limited.sqlite3'}", tmp_path, RATELIMIT_ENABLED=True,
                    API_RATE_LIMIT="5/minute")
    try:
        client = app.test_client()
        for _ in range(5):
            assert client.get("/api/v1/forums").status_code == 200
        refused = client.get("/api/v1/proposals")
        assert_error(refused, 429, "rate_limited")
        assert int(refused.headers["Retry-After"]) > 0
        assert client.get("/").status_code == 200  # the pages have their own limits
    finally:
        destroy_app(app)


def test_a_crash_is_a_json_500_without_details(app, client, world, monkeypatch):
    from forum.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "present_forum", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/forums")
    body = assert_error(response, 500, "server_error")
    assert "secret" not in response.get_data(as_text=True) and body["request_id"]


def test_errors_speak_english_when_the_reader_chose_it(client, world):
    client.set_cookie("locale", "en")
    body = assert_error(client.get("/api/v1/proposals?limit=0"), 422, "invalid_parameters")
    assert body["message"] == "Invalid parameters."
    assert body["details"]["query"]["limit"] == ["Must be a number from 1 to 100."]


# Search -----------------------------------------------------------------------------------
@pytest.fixture
def app_overrides():
    return {"SEARCH_INLINE_DRAIN": True}


def test_search_finds_what_the_reader_may_see(app, client, auth, world):
    from forum.search import indexer
    from forum.search.engines import get_backend

    with app.app_context():
        indexer.drain_outbox(get_backend())
        db.session.commit()
    body = client.get("/api/v1/search?q=doan+vien+nha+tro").get_json()
    assert [item["proposal"]["id"] for item in body["items"]] == [world["p1"]]
    hit = body["items"][0]
    assert hit["kind"] == "proposal" and "<mark>" in hit["title_html"] and hit["proposal"]["supports"] == 2
    body = client.get("/api/v1/search", query_string={"q": "bữa cơm ca"}).get_json()
    assert [item["proposal"]["supports"] for item in body["items"]] == [None]  # forum 2 hides its tallies
    assert not client.get("/api/v1/search", query_string={"q": "trùng lặp"}).get_json()["items"]
    assert_error(client.get("/api/v1/search?q=ca&sort=supports"), 422, "invalid_parameters")
    comment = client.get("/api/v1/search", query_string={"q": "Đồng Nai", "kind": "comment"}).get_json()
    assert comment["items"][0]["comment_id"] and "/comments/" in comment["items"][0]["url"]
    assert body["corrected"] is None and body["suggestion"] is None
    # A slip of the keyboard: the results of the corrected query, and the API says so.
    typo = client.get("/api/v1/search?q=doan+vein+nha+tro").get_json()
    assert typo["query"] == "doan vein nha tro" and typo["corrected"] == "doan vien nha tro"
    assert [item["proposal"]["id"] for item in typo["items"]] == [world["p1"]]


@pytest.mark.parametrize("query", [
    "q=", "q=%E2%80%8B%E2%80%8B", "q=" + "a" * 501, "date_from=0001-01-01&q=a", "date_from=31/12/2026&q=a",
    "q=a&date_from=2026-12-02&date_to=2026-12-01", "q=a&kind=user", "q=a&page=501", "q=a&forum=3",
])
def test_bad_searches_are_422s(client, world, query):
    assert_error(client.get(f"/api/v1/search?{query}"), 422, "invalid_parameters")
    assert_error(client.get("/api/v1/search"), 422, "invalid_parameters")


def test_an_unavailable_search_engine_is_a_503(app, client, world, monkeypatch):
    from forum.search import engines

    class Broken:
        def search(self, query):
            raise RuntimeError("index unreadable")

    monkeypatch.setattr(engines, "get_backend", lambda: Broken())
    from forum.search import services

    monkeypatch.setattr(services, "get_backend", lambda: Broken())
    assert_error(client.get("/api/v1/search?q=doan"), 503, "unavailable")


# Results ----------------------------------------------------------------------------------
def test_published_results_carry_a_digest_anyone_can_check(app, client, auth, world):
    assert client.get("/api/v1/results").get_json() == {"items": []}
    with app.app_context():
        forum = db.session.get(Proposal, world["p1"]).forum
        set_forum_phase(forum, "closed", actor=None)  # freezes the result
        db.session.commit()
        snapshot = snapshots.current_snapshot(forum)
        digest, snapshot_id = snapshot.digest, snapshot.id
    assert_error(client.get("/api/v1/results/1"), 404, "not_found")  # frozen, not published
    with app.app_context():
        snapshots.publish_result(snapshots.get_snapshot(snapshot_id), actor=None)
        db.session.commit()
    listed = client.get("/api/v1/results").get_json()["items"]
    assert [(item["forum"], item["digest"], item["supports"]) for item in listed] == [(1, digest, 2)]
    result = client.get("/api/v1/results/1").get_json()
    assert hashlib.sha256(result["canonical_json"].encode("utf-8")).hexdigest() == result["digest"] == digest
    assert [(row["rank"], row["id"], row["supports"]) for row in result["ranking"]] == [
        (1, world["p1"], 2), (2, world["p2"], 0)]
    assert result["ranking"][0]["title"] == "Ngày hội đoàn viên ở khu nhà trọ"
    assert result["totals"]["supports"] == 2 and result["closed_at"].endswith("Z") or "+00:00" in result["closed_at"]
    payload = json.loads(result["canonical_json"])
    assert [row["id"] for row in payload["proposals"]] == [row["id"] for row in result["ranking"]]


# Cost ------------------------------------------------------------------------------------
def test_a_page_of_proposals_costs_the_same_whatever_its_size(app, client, world, count_queries):
    with app.app_context():
        forum = db.session.get(Proposal, world["p1"]).forum
        for n in range(30):
            make_proposal(forum, make_user())
    counts = []
    for limit in (2, 25):
        with count_queries() as counter:
            assert len(ids(client.get(f"/api/v1/proposals?limit={limit}"))) == limit
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
