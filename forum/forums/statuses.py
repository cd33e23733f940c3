"""Custom proposal statuses per forum (``ForumStatus``): what the organizers add to the
built-in statuses (``proposals.models.ProposalStatus``) for the official answers of one
forum, keyed by a stable code, never by a title.

Organizers manage them on the forum settings page (forum/admin/forums/); moderators
choose among the forum's statuses that are not retired when they answer a proposal
(forum/moderation/curation/answers.py); pages show the title in the reader's language
(``custom_status_label``, one query per request at most, however many cards).
"""
import re

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _

from forum.core.audit import record_audit
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.permissions import is_active_user
from forum.core.text import normalize_text
from forum.extensions import db
from forum.forums.models import Forum, ForumStatus

# The built-in codes (``proposals.models.ProposalStatus``, a domain above this one: a test
# checks the two lists agree). A custom status never takes one of them.
RESERVED_CODES = frozenset({"published", "under_review", "accepted", "rejected", "merged", "withdrawn"})
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,29}")
_CACHE = "forum_status_titles"  # g: {(forum_id, code): ForumStatus as plain values}


def _check_organizer(actor) -> None:
    if actor is not None and not (is_active_user(actor) and actor.is_organizer):
        raise PermissionDenied(_("Chỉ Ban Tổ chức mới được sửa các trạng thái của hiến kế."))


def _all_titles() -> dict[tuple[int, str], tuple[str, str, bool]]:
    """{(forum id, code): (title, English title, retired)} of every custom status, read
    once per request (the table holds a few rows per forum)."""
    cache = g.get(_CACHE) if has_app_context() else None
    if cache is None:
        rows = db.session.execute(
            sa.select(ForumStatus.forum_id, ForumStatus.code, ForumStatus.title, ForumStatus.title_en,
                      ForumStatus.is_retired)
        )
        cache = {(forum_id, code): (title, title_en, retired) for forum_id, code, title, title_en, retired in rows}
        if has_app_context():
            g.setdefault(_CACHE, cache)
    return cache


def _forget() -> None:
    if has_app_context():
        g.pop(_CACHE, None)


def _title_in_locale(title: str, title_en: str) -> str:
    locale = get_locale()
    if locale is not None and locale.language == "en" and title_en:
        return title_en
    return title


def status_title(status: ForumStatus) -> str:
    """``status``'s title in the reader's language."""
    return _title_in_locale(status.title, status.title_en)


def custom_status_label(forum_id: int, code: str) -> str:
    """The title of the custom status ``code`` of the forum in the reader's language; the
    code itself when the forum has no such status."""
    found = _all_titles().get((forum_id, code))
    return _title_in_locale(found[0], found[1]) if found else code


def is_offered_status(forum_id: int, code: str) -> bool:
    """Whether ``code`` is a custom status of the forum that moderators may still choose."""
    found = _all_titles().get((forum_id, code))
    return found is not None and not found[2]


def is_custom_status(forum_id: int, code: str) -> bool:
    """Whether the forum has a custom status ``code`` (retired or not)."""
    return (forum_id, code) in _all_titles()


def custom_status_choices(forum_ids) -> list[tuple[str, str]]:
    """(code, title in the reader's language) of the custom statuses of these forums, one
    per code (the first forum's title when forums share a code), by title: the search
    filter's choices."""
    wanted, titles = set(forum_ids), {}
    for (forum_id, code), (title, title_en, _retired) in sorted(_all_titles().items()):
        if forum_id in wanted:
            titles.setdefault(code, _title_in_locale(title, title_en))
    return sorted(titles.items(), key=lambda item: item[1])


def list_forum_statuses(forum: Forum) -> list[ForumStatus]:
    """The forum's custom statuses in their order, retired ones included (one query)."""
    return list(db.session.scalars(
        sa.select(ForumStatus).where(ForumStatus.forum_id == forum.id).order_by(ForumStatus.position, ForumStatus.id)
    ))


def get_forum_status(forum: Forum, status_id: int) -> ForumStatus | None:
    status = db.session.get(ForumStatus, status_id)
    return status if status is not None and status.forum_id == forum.id else None


def _clean_titles(title: str | None, title_en: str | None) -> dict:
    title = normalize_text(title, multiline=False)
    title_en = normalize_text(title_en, multiline=False)
    if not title:
        raise InvalidAction(_("Vui lòng nhập tên trạng thái."))
    if len(title) > ForumStatus.TITLE_MAX_LENGTH or len(title_en) > ForumStatus.TITLE_MAX_LENGTH:
        raise InvalidAction(_("Tên trạng thái quá dài (tối đa %(max)s ký tự).", max=ForumStatus.TITLE_MAX_LENGTH))
    return {"title": title, "title_en": title_en}


def add_forum_status(forum: Forum, *, code: str, title: str, title_en: str = "", actor) -> ForumStatus:
    """A new custom status for ``forum``'s proposals, last in its order. The code is
    lowercase letters, digits and ``_`` (2 to 30, a letter first), unique in the forum,
    never a built-in code, and never changes."""
    _check_organizer(actor)
    code = (code or "").strip()
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidAction(_("Mã trạng thái gồm 2 đến 30 chữ thường không dấu, chữ số hoặc dấu gạch dưới, "
                              "bắt đầu bằng một chữ cái (ví dụ: chuyen_van_kien)."))
    if code in RESERVED_CODES:
        raise InvalidAction(_("Mã «%(code)s» là trạng thái có sẵn; vui lòng chọn mã khác.", code=code))
    if db.session.scalar(sa.select(ForumStatus.id).where(ForumStatus.forum_id == forum.id, ForumStatus.code == code)):
        raise InvalidAction(_("Diễn đàn đã có trạng thái mã «%(code)s».", code=code))
    values = _clean_titles(title, title_en)
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(ForumStatus.position) + 1, 0)).where(ForumStatus.forum_id == forum.id)
    )
    status = ForumStatus(forum_id=forum.id, code=code, position=position, **values)
    try:
        with db.session.begin_nested():  # another organizer adding the same code meanwhile
            db.session.add(status)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise InvalidAction(_("Diễn đàn đã có trạng thái mã «%(code)s».", code=code)) from None
    _forget()
    record_audit("forum.add_status", forum, actor=actor, after={"code": code, **values})
    return status


def update_forum_status(status: ForumStatus, *, title: str, title_en: str = "", retired: bool, actor) -> list[str]:
    """Rename a custom status or retire / restore it (its code stays); the names of the
    fields changed (empty: nothing changed, nothing recorded)."""
    _check_organizer(actor)
    values = {**_clean_titles(title, title_en), "is_retired": bool(retired)}
    changed = {name: value for name, value in values.items() if getattr(status, name) != value}
    if not changed:
        return []
    record_audit(
        "forum.update_status", db.session.get(Forum, status.forum_id), actor=actor,
        before={"code": status.code, **{name: getattr(status, name) for name in changed}},
        after={"code": status.code, **changed},
    )
    for name, value in changed.items():
        setattr(status, name, value)
    db.session.flush()
    _forget()
    return list(changed)
