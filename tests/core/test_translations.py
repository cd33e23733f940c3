"""The English catalog is complete, correct and used; Vietnamese stays the default.

Message ids are the Vietnamese UI text, so Vietnamese needs no catalog. These tests fail
when someone adds a user-visible string and forgets its English translation, breaks a
placeholder in a translation, or writes UI text that bypasses gettext.
"""
import os
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import gettext, ngettext, pgettext

from forum.auth.models import User
from forum.extensions import db
from forum.forums.models import Forum
from tests import factories

REPO = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO / "forum" / "translations"
ENGLISH_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"

# Vietnamese letters (and any other accented Latin letter): none may be left on an English
# page built from ASCII-only content, apart from the names below, which stay Vietnamese
# on purpose (the product name and the language switch's own name).
ACCENTED_LETTER = re.compile(r"[À-ÖØ-öø-ɏḀ-ỿ]")
VIETNAMESE_ON_PURPOSE = ("Hiến kế", "Tiếng Việt")

PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0\- +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")


# Catalog helpers ----------------------------------------------------------------------------
def load_catalog(path: Path):
    with path.open("rb") as po_file:
        return read_po(po_file)


def entries(catalog):
    """The real messages of a catalog (not the header)."""
    return [message for message in catalog if message.id]


def key(message) -> tuple:
    singular = message.id[0] if message.pluralizable else message.id
    return (message.context, singular)


def placeholders(text: str) -> set[tuple[str | None, str]]:
    return {(name, conversion) for name, conversion in PLACEHOLDER.findall(text) if conversion != "%"}


def extraction_arguments(output: Path) -> list[str]:
    """The `pybabel extract` arguments of `make extract-messages`, writing to ``output``.

    Read from the Makefile so that this test and translators extract the same way.
    """
    recipe = (REPO / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    command = next(line for line in recipe.splitlines() if "pybabel extract" in line)
    arguments = shlex.split(command.split("pybabel", 1)[1])
    arguments[arguments.index("-o") + 1] = str(output)
    return arguments


@pytest.fixture(scope="session")
def english():
    return load_catalog(ENGLISH_PO)


@pytest.fixture(scope="session")
def fresh_template(tmp_path_factory):
    """Messages extracted now from the source tree, exactly as `make extract-messages` does."""
    output = tmp_path_factory.mktemp("extract") / "messages.pot"
    previous = os.getcwd()
    os.chdir(REPO)
    try:
        CommandLineInterface().run(["pybabel", "-q", *extraction_arguments(output)])
    finally:
        os.chdir(previous)
    return load_catalog(output)


@pytest.fixture(scope="session")
def compiled_catalogs():
    """Compile every catalog into the source tree (.mo files are not in git).

    Written to a temporary name and renamed, so a concurrently running app never reads
    a half-written file.
    """
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        catalog = load_catalog(po_path)
        mo_path = po_path.with_suffix(".mo")
        partial = mo_path.with_name(f".messages.{os.getpid()}.mo.partial")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, mo_path)


# (a) complete ---------------------------------------------------------------------------------
def test_english_catalog_has_english_plural_forms(english):
    assert str(english.locale) == "en"
    assert english.num_plurals == 2
    assert english.plural_expr.replace(" ", "") == "(n!=1)"


def test_every_english_entry_is_translated_and_not_fuzzy(english):
    problems = []
    for message in entries(english):
        forms = message.string if message.pluralizable else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(form and form.strip() for form in forms):
            problems.append(f"untranslated: {message.id!r}")
        if message.pluralizable and len(forms) != english.num_plurals:
            problems.append(f"needs {english.num_plurals} plural forms: {message.id!r}")
    assert not problems, "\n".join(problems)


def test_every_extracted_message_is_in_the_english_catalog(english, fresh_template):
    known = {key(message): message for message in entries(english)}
    assert len(entries(fresh_template)) > 200  # the extraction really scanned the code
    missing = []
    for message in entries(fresh_template):
        translated = known.get(key(message))
        if translated is None or translated.pluralizable != message.pluralizable:
            where = ", ".join(f"{path}:{line}" for path, line in message.locations[:3])
            missing.append(f"{message.id!r} (context {message.context!r}) at {where}")
        elif message.pluralizable and translated.id[1] != message.id[1]:
            missing.append(f"plural changed: {message.id!r}")
    assert not missing, (
        "Messages without an English translation; run `make extract-messages`, translate them "
        "in forum/translations/en/LC_MESSAGES/messages.po, then `make translations`:\n  "
        + "\n  ".join(missing)
    )


def test_extraction_scans_the_shared_macros(fresh_template):
    """Babel skips folders starting with "_" unless told otherwise (templates/_macros/)."""
    files = {path for message in entries(fresh_template) for path, _line in message.locations}
    assert any(path.startswith("templates/_macros/") for path in files)


# (b) placeholders ---------------------------------------------------------------------------
def test_translations_keep_the_placeholders_of_their_message(english):
    problems = []
    for message in entries(english):
        if message.pluralizable:
            expected = placeholders(message.id[0]) | placeholders(message.id[1])
            pairs = [(expected, form) for form in message.string]
        else:
            pairs = [(placeholders(message.id), message.string)]
        for wanted, translation in pairs:
            if placeholders(translation) != wanted:
                problems.append(f"{message.id!r} -> {translation!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_template_messages_survive_formatting(english):
    """Jinja's gettext always applies ``%``: a stray "%" (write "%%") would break the page."""
    broken = []
    for message in entries(english):
        if not any(path.startswith("templates/") for path, _line in message.locations):
            continue
        texts = [*message.id, *message.string] if message.pluralizable else [message.id, message.string]
        for text in texts:
            values = {name: 1 if kind in "dioxXeEfFgG" else "x" for name, kind in placeholders(text) if name}
            values["num"] = 1
            try:
                text % values
            except (ValueError, TypeError, KeyError) as error:
                broken.append(f"{text!r}: {error}")
    assert not broken, "\n".join(broken)


def test_babel_finds_no_format_errors(english):
    errors = [(message.id, [str(error) for error in found]) for message, found in english.check()]
    assert not errors


# (d) the compiled catalog is what the app uses ---------------------------------------------
def test_app_reads_catalogs_from_the_translations_folder(app):
    assert Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]).resolve() == TRANSLATIONS.resolve()


def test_every_english_translation_reaches_the_app(app, english, compiled_catalogs):
    wrong = []
    with app.test_request_context(headers={"Cookie": "locale=en"}):
        for message in entries(english):
            if message.pluralizable:
                names = {name: f"<{name}>" for name, _type in placeholders(message.id[0]) if name}
                got = [ngettext(message.id[0], message.id[1], n, **names) for n in (1, 2)]
                want = [form % names if names else form for form in message.string]
            elif message.context:
                got, want = pgettext(message.context, message.id), message.string
            else:
                got, want = gettext(message.id), message.string
            if got != want:
                wrong.append(f"{message.id!r}: {got!r} != {want!r}")
    assert not wrong, "\n".join(wrong)


def test_vietnamese_needs_no_catalog(app, compiled_catalogs):
    """Without a vi catalog the message ids themselves are shown, plurals included."""
    with app.test_request_context():
        assert gettext("Đăng nhập") == "Đăng nhập"
        assert pgettext("brand", "Hiến kế") == "Hiến kế"
        assert ngettext("%(count)s ý kiến", "%(count)s ý kiến", 1, count="1") == "1 ý kiến"
        assert ngettext("%(count)s ý kiến", "%(count)s ý kiến", 5, count="5") == "5 ý kiến"


# (c) pages in English and in Vietnamese --------------------------------------------------------
@pytest.fixture
def app_overrides():
    # Registration on (its page is checked too); one proposal per page shows the pagination.
    return {"ALLOW_REGISTRATION": True, "PROPOSALS_PER_PAGE": 1}


@pytest.fixture
def site(app, compiled_catalogs):
    """Forums in several phases, a proposal with a comment and a support: all text ASCII."""
    with app.app_context():
        author = factories.make_user(full_name="Tran Van A", unit="Union of Factory A", province="Hanoi")
        reader = factories.make_user(full_name="Le Thi B", unit="Union of Factory B", province="Hue")
        forum = factories.make_forum(number=1, title="Recruiting workers", slug="recruiting",
                                     themes=("Recruitment", "Union chairs"), is_sample=True)
        forum.description, forum.venue, forum.keynote = "Ideas for recruiting.", "Hanoi", "Opening report"
        forum.chairs = [{"name": "Chair Person", "position": "President"}]
        for number, phase in ((2, "voting"), (3, "closed")):
            factories.make_forum(number=number, phase=phase, title=f"Forum {phase}", slug=f"forum-{phase}",
                                 themes=("Theme",))
        db.session.commit()
        proposal = factories.make_proposal(forum, author, title="Union groups in small firms",
                                           body="Set up **union groups** in small firms.")
        second = factories.make_proposal(forum, author, title="Second proposal here", body="More text.")
        comment = factories.make_comment(proposal, reader, body="I agree.")
        factories.make_support(proposal, reader)
        return {
            "author": author.email,
            "reader": reader.email,
            "forum": "/forums/recruiting",
            "proposal": f"/proposals/{proposal.id}",
            "unsupported": f"/proposals/{second.id}",
            "comment_edit": f"/comments/{comment.id}/edit",
            "new": "/forums/recruiting/proposals/new",
        }


def assert_english(response, *expected: str):
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    for text in expected:
        assert text in html, f"{text!r} missing"
    leftover = html
    for name in VIETNAMESE_ON_PURPOSE:
        leftover = leftover.replace(name, "")
    lines = [line.strip() for line in leftover.splitlines() if ACCENTED_LETTER.search(line)]
    assert not lines, "untranslated Vietnamese on an English page:\n" + "\n".join(lines)


@pytest.fixture
def english_client(client):
    client.set_cookie("locale", "en")
    return client


def test_public_pages_in_english(english_client, site):
    client = english_client
    assert_english(client.get("/"), "Ten thematic forums", "Open for proposals", "Voting", "Closed", "Sample",
                   "Skip to main content", "Log in")
    assert_english(client.get(site["forum"]), "Forum 1", "Proposals", "2 proposals", "0 proposals",
                   "1 comment", "Most supported", "Page 1 of 2", "Next page", "Chaired by")
    assert_english(client.get(site["forum"] + "?page=2"), "Previous page", "0 comments")
    assert_english(client.get(site["proposal"]), "Comments", "I agree.", "to comment.", "Log in to support")
    assert_english(client.get("/login"), "Log in", "Password", "Keep me logged in on this device")
    assert_english(client.get("/register"), "Register as a delegate", "Full name", "Organization")
    assert_english(client.get("/no-such-page"), "Page not found")


def test_logged_in_pages_in_english(english_client, site):
    client = english_client
    welcome = client.post("/login", data={"email": site["author"], "password": factories.DEFAULT_PASSWORD},
                          follow_redirects=True)
    assert_english(welcome, "Welcome, Tran Van A!", "Log out")
    assert_english(client.get("/profile"), "My proposals", "Proposals I support", "Delegate", "1 support",
                   "0 supports")
    assert_english(client.get(site["proposal"]), "Withdraw the proposal", "Post a comment")
    assert_english(client.get(site["unsupported"]), "Edit", "You can edit until")
    assert_english(client.get(site["new"]), "Submit a proposal", "— Choose a theme —", "Formatting:")
    assert_english(client.get(site["unsupported"] + "/edit"), "Edit the proposal")
    assert_english(client.get(site["proposal"] + "/edit"), "Action not possible",
                   "The proposal already has supporters, so it can no longer be edited.")
    assert_english(client.get(site["proposal"] + "/withdraw"), "Withdraw the proposal?")
    assert_english(client.get("/account/password"), "Change password", "Current password")
    assert_english(client.get(site["comment_edit"]), "Action not possible", "Only its writer may edit this comment.")


def test_proposal_states_in_english(app, english_client, site):
    with app.app_context():
        forum = db.session.scalar(sa.select(Forum).where(Forum.slug == "recruiting"))
        author = db.session.scalar(sa.select(User).where(User.email == site["author"]))
        withdrawn = factories.make_proposal(forum, author, title="A withdrawn one", body="Text.",
                                            status="withdrawn", withdrawn_at=datetime(2023, 11, 20, tzinfo=UTC))
        hidden = factories.make_proposal(forum, author, title="A hidden one", body="Text.", is_hidden=True,
                                         is_locked=True, status="accepted")
        urls = (f"/proposals/{withdrawn.id}", f"/proposals/{hidden.id}")
    english_client.post("/login", data={"email": site["author"], "password": factories.DEFAULT_PASSWORD})
    assert_english(english_client.get(urls[0]), "Withdrawn", "The author withdrew this proposal on 20 Nov 2023.")
    assert_english(english_client.get(urls[1]), "Hidden", "Discussion locked", "Accepted",
                   "A moderator hid this proposal: only its author and the moderators see it.")


def test_validation_and_flash_messages_in_english(english_client, site):
    client = english_client
    empty_login = client.post("/login", data={"email": "", "password": ""})
    assert empty_login.status_code == 422
    assert_english(empty_login, "Please correct the errors below:", "Please enter your email.",
                   "Please enter your password.")
    wrong = client.post("/login", data={"email": site["reader"], "password": "wrong password"})
    assert_english(wrong, "Wrong email or password.")
    client.post("/login", data={"email": site["reader"], "password": factories.DEFAULT_PASSWORD})

    empty_proposal = client.post(site["new"], data={"title": "abc", "body": "", "theme_id": ""})
    assert empty_proposal.status_code == 422
    assert_english(empty_proposal, "The title is too short: it needs at least 5 characters.",
                   "Please choose a theme.", "Please write your proposal.")
    long_comment = client.post(site["proposal"] + "/comments", data={"body": "x" * 5001})
    assert long_comment.status_code == 422
    assert_english(long_comment, "The comment has 5,001 characters, more than the limit of 5,000.")
    password = client.post("/account/password",
                           data={"current_password": "", "new_password": "short", "confirm_password": "other"})
    assert_english(password, "Please enter your current password.", "The password must be 10 to 200 characters long.",
                   "The two passwords do not match.")
    again = client.post(site["proposal"] + "/support", follow_redirects=True)
    assert_english(again, "You already support this proposal.")


def test_json_errors_in_english(english_client, site):
    response = english_client.post(site["proposal"] + "/support", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "Please log in to support proposals."


def test_login_redirect_message_in_english(english_client, site):
    assert_english(english_client.get("/profile", follow_redirects=True), "Please log in to continue.")


def test_vietnamese_is_the_default(client, site):
    for path in ("/login", site["forum"], site["proposal"]):
        html = client.get(path).get_data(as_text=True)
        assert '<html lang="vi">' in html
        assert "Đăng nhập" in html
        assert "Log in" not in html and "Skip to main content" not in html
    forum = client.get(site["forum"]).get_data(as_text=True)
    assert "2 hiến kế" in forum and "1 ý kiến" in forum and "Trang 1 / 2" in forum
    empty = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "Vui lòng nhập email." in empty and "This field is required" not in empty


# Built-in WTForms messages are English only (WTForms ships no Vietnamese) -----------------
def _project_forms():
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import forum

    forms = []
    for module_info in pkgutil.walk_packages(forum.__path__, "forum."):
        if module_info.name.endswith(".forms"):
            module = importlib.import_module(module_info.name)
            forms += [value for value in vars(module).values()
                      if isinstance(value, type) and issubclass(value, FlaskForm) and value.__module__ == module.__name__]
    return forms


def test_every_validator_has_an_explicit_vietnamese_message():
    """A validator without a message would show WTForms' English text on Vietnamese pages."""
    from wtforms import validators as builtin
    from wtforms.fields.core import UnboundField

    silent_fields = {"StringField", "TextAreaField", "PasswordField", "EmailField", "HiddenField",
                     "BooleanField", "SubmitField", "SelectField"}
    forms = _project_forms()
    assert forms
    problems = []
    for form in forms:
        for name in dir(form):
            field = getattr(form, name)
            if not isinstance(field, UnboundField):
                continue
            where = f"{form.__module__}.{form.__name__}.{name}"
            field_type = field.field_class.__name__
            if field_type not in silent_fields:
                problems.append(f"{where}: {field_type} has built-in English errors; parse the input yourself")
            if field_type == "SelectField" and field.kwargs.get("validate_choice", True):
                problems.append(f"{where}: SelectField needs validate_choice=False and its own check")
            for validator in field.kwargs.get("validators", ()):
                if isinstance(validator, builtin.Optional):
                    continue
                if hasattr(validator, "message") and validator.message is None:
                    problems.append(f"{where}: {type(validator).__name__} without a message")
                if getattr(validator, "too_long", "") is None:
                    problems.append(f"{where}: {type(validator).__name__} without a too_long message")
                if getattr(validator, "min", 0) and getattr(validator, "too_short", "") is None:
                    problems.append(f"{where}: {type(validator).__name__} without a too_short message")
    assert not problems, "\n".join(problems)


# (e) one spelling ------------------------------------------------------------------------------
# The interface places tone marks as the forum's source article and state bodies' names do
# ("khóa", "hóa", "họa", "thủy", "ủy"): in an open syllable of "oa", "oe" or "uy" the mark
# sits on the first vowel. The other convention ("khoá", "hoạ", "thuỷ") is refused; "qu" is a
# consonant, so "quý" is right in both.
_LETTER = r"[^\W\d_]"
OTHER_PLACEMENT = re.compile(r"(?<![qQ])(?:[oO][áàảãạéèẻẽẹÁÀẢÃẠÉÈẺẼẸ]|[uU][ýỳỷỹỵÝỲỶỸỴ])(?!" + _LETTER + ")")


def _message_texts(template) -> list[str]:
    texts = []
    for message in entries(template):
        texts += list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
    return texts


def test_one_accent_placement_in_every_vietnamese_message(fresh_template):
    found = sorted({f"{word!r} in {text!r}" for text in _message_texts(fresh_template)
                    for word in re.findall(r"\w+", text) if OTHER_PLACEMENT.search(word)})
    assert not found, "\n".join(found)


def test_the_placement_rule_reads_syllables():
    for other in ("khoá", "Hoạ", "thuỷ", "Huỷ", "xoá", "khoẻ"):
        assert OTHER_PLACEMENT.search(other), other
    for kept in ("khóa", "họa", "thủy", "Hủy", "hoàn", "toán", "quý", "thuyết", "khỏe", "hoa"):
        assert not OTHER_PLACEMENT.search(kept), kept


def test_the_bodys_names_are_written_one_way(fresh_template):
    texts = _message_texts(fresh_template)
    assert not [text for text in texts if re.search(r"\b[Bb]an tổ chức", text)]
    assert not [text for text in texts if "chủ tịch công đoàn cơ sở" in text]
