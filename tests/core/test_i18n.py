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
