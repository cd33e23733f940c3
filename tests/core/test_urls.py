"""Ids and path segments from the URL: an impossible value is a 404, never a 500.

Every route is checked, so a new route with an ``int`` id or a text segment is covered
as soon as it is added.
"""
import re

import pytest
from werkzeug.exceptions import NotFound

from forum.core.ids import MAX_ID, parse_id
from tests.helpers import AuthActions
from tests.factories import make_user

# Above PostgreSQL's INTEGER, above SQLite's 64-bit INTEGER, and far above both.
OUT_OF_RANGE_IDS = [str(MAX_ID + 1), str(2**63), str(10**30), "0"]
CONTROL_CHARACTERS = ["%00", "%01", "%0A", "%1F", "%7F", "%C2%85"]
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
METHODS_TO_TRY = ("GET", "POST")


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _arguments(rule) -> list[tuple[str, str]]:
    """(converter, name) of each variable part of ``rule``."""
    return [(match["converter"] or "default", match["name"]) for match in ARGUMENT.finditer(rule.rule)]


def _url(rule, values: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda match: values[match["name"]], rule.rule)


def _methods(rule):
    return [method for method in METHODS_TO_TRY if method in rule.methods]


@pytest.fixture
def logged_in_client(app, client):
    """Most id routes need a login: without one they would stop before any query."""
    with app.app_context():
        email = make_user().email
    assert AuthActions(client).login(email).status_code == 302
    return client


def test_every_id_in_a_route_uses_the_id_converter(app):
    for rule in _rules(app):
        for converter, name in _arguments(rule):
            if name == "id" or name.endswith("_id"):
                assert converter == "id", f"{rule.rule}: <{name}> should be <id:{name}>"


@pytest.mark.parametrize("value", OUT_OF_RANGE_IDS)
def test_an_id_out_of_the_database_range_is_404_on_every_route(app, logged_in_client, value):
    checked = 0
    for rule in _rules(app):
        arguments = _arguments(rule)
        if not any(converter in ("id", "int") for converter, _name in arguments):
            continue
        url = _url(rule, {name: value if converter in ("id", "int") else "x" for converter, name in arguments})
        for method in _methods(rule):
            response = logged_in_client.open(url, method=method)
            assert response.status_code == 404, (method, url)
            checked += 1
    assert checked >= 8  # proposal, edit, withdraw, comment, comment edit, support, unsupport


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_a_control_character_in_a_text_segment_is_404_on_every_route(app, logged_in_client, character):
    checked = 0
    for rule in _rules(app):
        arguments = _arguments(rule)
        if not any(converter in ("default", "string") for converter, _name in arguments):
            continue
        values = {name: f"a{character}b" if converter in ("default", "string") else "1" for converter, name in arguments}
        url = _url(rule, values)
        for method in _methods(rule):
            response = logged_in_client.open(url, method=method)
            assert response.status_code == 404, (method, url)
            checked += 1
    assert checked >= 3  # forum page, new proposal (GET and POST), language switch


def test_the_id_converter_accepts_exactly_one_to_max_id(app):
    urls = app.url_map.bind("localhost")
    assert urls.match("/proposals/1") == ("proposals.detail", {"proposal_id": 1})
    assert urls.match(f"/proposals/{MAX_ID}") == ("proposals.detail", {"proposal_id": MAX_ID})
    for value in ("0", str(MAX_ID + 1), "-1"):
        with pytest.raises(NotFound):
            urls.match(f"/proposals/{value}")


def test_text_segments_keep_vietnamese_and_punctuation(app):
    urls = app.url_map.bind("localhost")
    assert urls.match("/forums/chuyển-đổi-số_2023.v1") == ("forums.detail", {"slug": "chuyển-đổi-số_2023.v1"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("42", 42),
        (" 42 ", 42),
        ("0042", 42),
        (MAX_ID, MAX_ID),
        (str(MAX_ID), MAX_ID),
        (MAX_ID + 1, None),
        (str(MAX_ID + 1), None),
        (str(2**63), None),
        ("9" * 5000, None),
        (0, None),
        ("0", None),
        (-1, None),
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("1e3", None),
        ("١٢", None),  # Arabic-Indic digits
        ("1 OR 1=1", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected
