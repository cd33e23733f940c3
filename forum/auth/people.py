"""A person's roster fields as typed, made clean: one set of rules for the organizers'
forms, the roster import and the console.

``clean_person`` normalises (NFC, single spaces, lower-case email, canonical province,
phone digits) and returns every problem it finds, in Vietnamese, instead of stopping at
the first: a roster preview shows all the reasons of a refused row at once.
"""
import re
import unicodedata

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from flask_babel import gettext as _

from forum.auth.models import Role, User
from forum.auth.provinces import former_province, match_province
from forum.core.text import is_visually_blank, normalize_text, vietnamese_sort_key

# The roster fields in the order of the template file; email identifies a person.
FIELDS = ("full_name", "email", "phone", "unit", "province", "sector", "union_level", "delegation", "role")
TEXT_FIELDS = ("full_name", "email", "phone", "unit", "province", "sector", "union_level", "delegation")
REQUIRED = ("full_name", "email")

MAX_LENGTHS = {
    "full_name": User.FULL_NAME_MAX_LENGTH,
    "email": User.EMAIL_MAX_LENGTH,
    "phone": User.PHONE_MAX_LENGTH,
    "unit": User.UNIT_MAX_LENGTH,
    "province": User.PROVINCE_MAX_LENGTH,
    "sector": User.SECTOR_MAX_LENGTH,
    "union_level": User.UNION_LEVEL_MAX_LENGTH,
    "delegation": User.DELEGATION_MAX_LENGTH,
}

_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_EXCEL_INTEGER = re.compile(r"^(\d+)\.0+$")  # 912345678.0: a number cell written as text
PHONE_MIN_DIGITS = 9
PHONE_MAX_DIGITS = 15


def field_label(field: str) -> str:
    """The Vietnamese name of a roster field, as the template file's header shows it."""
    labels = {
        "full_name": _("Họ và tên"),
        "email": _("Email"),
        "phone": _("Số điện thoại"),
        "unit": _("Đơn vị"),
        "province": _("Tỉnh/thành phố"),
        "sector": _("Ngành"),
        "union_level": _("Cấp công đoàn"),
        "delegation": _("Đoàn đại biểu"),
        "role": _("Vai trò"),
    }
    return labels[field]


def plain_key(value: str) -> str:
    """Lower case without diacritics (``đ`` → ``d``), words separated by single spaces:
    how headers and role names are compared."""
    text = unicodedata.normalize("NFD", (value or "").lower().replace("đ", "d"))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9@]+", " ", text).split())


_ROLE_NAMES = {
    **{role.value: role.value for role in Role},
    "dai bieu": Role.DELEGATE.value,
    "dieu hanh vien": Role.MODERATOR.value,
    "dieu hanh": Role.MODERATOR.value,
    "ban to chuc": Role.ORGANIZER.value,
    "quan tri he thong": Role.ADMIN.value,
    "quan tri": Role.ADMIN.value,
    "administrator": Role.ADMIN.value,
}


def parse_role(value: str) -> str | None:
    """The role a cell names (code or Vietnamese label, any case or diacritics), or None."""
    return _ROLE_NAMES.get(plain_key(value))


def clean_phone(value: str) -> str | None:
    """Digits with an optional leading ``+``, or None when it is not a phone number.

    Excel drops the leading 0 of a phone number stored as a number (0912345678 becomes
    912345678): a 9-digit number without it gets it back.
    """
    text = _PHONE_SEPARATORS.sub("", value)
    if match := _EXCEL_INTEGER.match(text):
        text = match.group(1)
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isascii() or not digits.isdigit():
        return None
    if not plus and len(digits) == PHONE_MIN_DIGITS and digits[0] != "0":
        digits = "0" + digits
    if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS:
        return None
    return ("+" if plus else "") + digits


# Plain addresses (nearly all of a roster) that email-validator would accept: checking
# them here keeps a 10,000-row preview fast; anything else goes to email-validator.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


def check_email(email: str) -> str | None:
    """Why ``email`` (normalised) is not a usable address, or None when it is."""
    if _PLAIN_EMAIL.match(email) and not any(
        email.endswith(("." + name, "@" + name)) for name in SPECIAL_USE_DOMAIN_NAMES
    ):
        return None
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _("Email “%(email)s” không hợp lệ.", email=email)
    return None


def clean_person(raw: dict, *, keep_province: str | None = None) -> tuple[dict, list[str]]:
    """Normalise the fields of ``raw`` that are present; return them with the reasons
    they cannot be stored (empty when they can).

    ``role`` comes back as a role code, or None when the cell was empty. A province
    equal to ``keep_province`` (what the person already has, possibly a name from before
    2025) is kept as it is.
    """
    values: dict = {}
    reasons: list[str] = []
    for field in TEXT_FIELDS:
        if field not in raw:
            continue
        text = normalize_text(raw[field] if isinstance(raw[field], str) else str(raw[field] or ""), multiline=False)
        if text and is_visually_blank(text):
            text = ""
        values[field] = text.lower() if field == "email" else text
    if "full_name" in raw and not values.get("full_name"):
        reasons.append(_("Thiếu họ và tên."))
    if "email" in raw and not values.get("email"):
        reasons.append(_("Thiếu email."))
    if values.get("email") and len(values["email"]) <= User.EMAIL_MAX_LENGTH:
        if problem := check_email(values["email"]):
            reasons.append(problem)
    if values.get("phone"):
        phone = clean_phone(values["phone"])
        if phone is None:
            reasons.append(_("Số điện thoại “%(phone)s” không hợp lệ (cần 9–15 chữ số).", phone=values["phone"]))
        else:
            values["phone"] = phone
    if values.get("province") and values["province"] != keep_province:
        reasons.extend(_province_reasons(values))
    for field, limit in MAX_LENGTHS.items():
        if len(values.get(field, "")) > limit:
            reasons.append(_("%(field)s dài quá %(max)d ký tự.", field=field_label(field), max=limit))
    if "role" in raw:
        cell = normalize_text(str(raw["role"] or ""), multiline=False)
        values["role"] = parse_role(cell) if cell else None
        if cell and values["role"] is None:
            reasons.append(
                _(
                    "Vai trò “%(role)s” không hợp lệ (Đại biểu, Điều hành viên, Ban Tổ chức, Quản trị hệ thống).",
                    role=cell,
                )
            )
    return values, reasons


def _province_reasons(values: dict) -> list[str]:
    typed = values["province"]
    canonical = match_province(typed)
    if canonical is not None:
        values["province"] = canonical
        return []
    if merged := former_province(typed):
        return [
            _(
                "Tỉnh %(former)s đã hợp nhất vào %(current)s từ 01/07/2025; hãy ghi “%(current)s”.",
                former=merged[0],
                current=merged[1],
            )
        ]
    return [_("Không có tỉnh, thành phố “%(province)s” trong 34 tỉnh, thành phố hiện hành.", province=typed)]


def person_sort_key(full_name: str) -> tuple:
    """Vietnamese lists of people go by given name (the last word), then by the whole
    name, in Vietnamese alphabetical order: Nguyễn Văn An before Bùi Thị Bình."""
    words = (full_name or "").split()
    return vietnamese_sort_key(words[-1] if words else ""), vietnamese_sort_key(full_name or "")
