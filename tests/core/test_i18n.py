"""Vietnamese by default; English on request, remembered in a cookie."""


def test_vietnamese_is_the_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html


def test_switching_language_is_remembered(client):
    response = client.get("/language/en?next=/login")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert "locale=en" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    client.get("/language/vi")
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_404_and_changes_nothing(client):
    assert client.get("/language/fr").status_code == 404
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client):
    response = client.get("/language/en?next=//evil.example/x")
    assert response.headers["Location"] == "/"


def test_forged_locale_cookie_falls_back_to_vietnamese(client):
    client.set_cookie("locale", "<script>")
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def _header(html: str) -> str:
    return html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


def _switch(header: str) -> tuple[str, str]:
    """(language, page to come back to) of the header's language link."""
    import re
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    href = unescape(re.search(r'class="nav-language" href="([^"]+)"', header).group(1))
    parts = urlsplit(href)
    return parts.path.rsplit("/", 1)[1], parse_qs(parts.query)["next"][0].rstrip("?")


def test_the_header_switches_language_and_keeps_the_page(client, auth):
    from tests.factories import make_forum, make_user

    with client.application.app_context():
        make_forum(number=1)
        email = make_user().email
    for path in ("/", "/forums/dien-dan-1?sort=newest", "/login", "/search?q=doan+vien"):
        header = _header(client.get(path).get_data(as_text=True))
        assert _switch(header) == ("en", path), path
        assert '<span class="visually-hidden">English</span>' in header
    client.get("/language/en?next=/")
    header = _header(client.get("/forums/dien-dan-1").get_data(as_text=True))
    assert _switch(header) == ("vi", "/forums/dien-dan-1")
    assert '<span class="visually-hidden">Tiếng Việt</span>' in header
    auth.login(email)
    assert _switch(_header(client.get("/notifications").get_data(as_text=True))) == ("vi", "/notifications")
