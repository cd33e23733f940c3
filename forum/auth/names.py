"""Display names that cannot pass for staff.

A staff member's name carries a role badge wherever it shows; a delegate must not be
able to fake one by choosing a name. ``check_display_name`` is the one check, used by
registration, every name edit and the roster import:

- for everyone: no invisible or format characters (zero-widths, bidi controls, Hangul
  fillers, …), no stacked combining marks, no letters from two scripts in one name
  ("Вan tổ chức" with a Cyrillic В), no styled look-alike letters (fullwidth, 𝐀);
- for non-staff: no staff title ("Ban Tổ chức", "BTC", "Quản trị", "Điều hành viên",
  "Admin", …), compared after folding case, diacritics and look-alike letters.

Titles whose letters are also ordinary Vietnamese names ("Thu Kỳ", "Diệu Hạnh", "Quân
Trí", "Chu Trí") are matched only when the name writes them with the title's own
diacritics (or, for some, with none at all), so real names pass.
"""
import re
import unicodedata

from flask_babel import gettext as _

from forum.core.errors import InvalidAction

# Roles whose accounts may carry a staff title in their name (their badge says so anyway).
_STAFF = frozenset({"moderator", "organizer", "admin"})

# Cyrillic and Greek letters that look like Latin ones (lower case; upper case is folded
# first). After this map an all-Cyrillic imitation reads as the Latin title it imitates.
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ԛ": "q",
    "ԝ": "w", "ɡ": "g", "ı": "i", "ɑ": "a", "ο": "o", "α": "a", "β": "b", "ε": "e", "η": "n",
    "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ԍ": "g",
    "đ": "d", "ð": "d", "ł": "l", "ø": "o",
})  # fmt: skip

# Characters that show as nothing or disguise text though they are not in the
# categories refused below (Hangul fillers, Braille blank, CGJ, variation selectors…).
_INVISIBLE = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u00ad"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})

# Staff titles compared fully folded (no Vietnamese name reads like them).
_FOLDED_TITLES = (
    "ban to chuc", "btc", "bantochuc", "quan tri vien", "ban quan tri", "dieu hanh vien",
    "admin", "administrator", "sysadmin", "moderator", "mod", "webmaster", "staff",
)  # fmt: skip
# Staff titles whose folded letters are also real names ("Quân Trí"): matched when each
# word is written as in the title or without any diacritic ("Quan Tri").
_EXACT_OR_BARE_TITLES = ("quản trị", "hệ thống")
# Titles whose bare form is a common name ("Dieu Hanh" for Diệu Hạnh, "Thu Ky", "Chu
# Tri"): matched only when written with the title's own diacritics.
_EXACT_TITLES = ("điều hành", "thư ký", "chủ trì")
# Long titles also searched for with the spaces removed ("BanTổChức", "Ban.tổ.chức").
_JOINED_TITLES = ("bantochuc", "quantrivien", "dieuhanhvien", "administrator", "moderator", "admin")

_WORD = re.compile(r"\w+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def fold_name(text: str) -> str:
    """Lower case, look-alike letters to Latin, no diacritics, ``đ`` → ``d``."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_CONFUSABLES)
    return _strip_marks(text).translate(_CONFUSABLES)


def _words(text: str) -> list[tuple[str, str]]:
    """(as written but case-folded, fully folded) for each word; a run of single letters
    ("B. T. C.", "B T C") also counts as one word."""
    written = [word.casefold() for word in _WORD.findall(unicodedata.normalize("NFKC", text).replace("_", " "))]
    words = [(word, fold_name(word)) for word in written]
    merged: list[tuple[str, str]] = []
    run: list[tuple[str, str]] = []
    for word in words + [("", "")]:
        if len(word[1]) == 1:
            run.append(word)
            continue
        if len(run) > 1:
            merged.append(("".join(w for w, _f in run), "".join(f for _w, f in run)))
        else:
            merged.extend(run)
        run = []
        if word[1]:
            merged.append(word)
    return merged


def _contains(words: list[tuple[str, str]], title: str, *, exact: bool, bare: bool = True) -> bool:
    wanted = title.split()
    folded_wanted = [fold_name(word) for word in wanted]
    for start in range(len(words) - len(wanted) + 1):
        window = words[start : start + len(wanted)]
        if [folded for _written, folded in window] != folded_wanted:
            continue
        if not exact or all(
            written == title_word or (bare and written == folded)
            for (written, folded), title_word in zip(window, wanted)
        ):
            return True
    return False


def imitates_staff_title(name: str) -> bool:
    """True when ``name`` contains a staff title, however it is disguised."""
    words = _words(name)
    if any(_contains(words, title, exact=False) for title in _FOLDED_TITLES):
        return True
    if any(_contains(words, title, exact=True) for title in _EXACT_OR_BARE_TITLES):
        return True
    if any(_contains(words, title, exact=True, bare=False) for title in _EXACT_TITLES):
        return True
    joined = "".join(folded for _written, folded in words)
    return any(title in joined for title in _JOINED_TITLES)


def _script(char: str) -> str:
    """The script of a letter from its Unicode name ("LATIN", "CYRILLIC", "GREEK", …)."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def _disguising_character(name: str) -> str | None:
    previous_mark = False
    for char in name:
        if char.isspace():  # shows as a space; the cleaners turn it into one
            previous_mark = False
            continue
        category = unicodedata.category(char)
        if char in _INVISIBLE or category in _INVISIBLE_CATEGORIES:
            return char
        if category.startswith("M"):
            if previous_mark:  # stacked marks (no Vietnamese letter needs two after NFC)
                return char
            previous_mark = True
        else:
            previous_mark = False
        if char.isalpha() and unicodedata.normalize("NFKC", char) != char:
            return char  # fullwidth, mathematical bold… letters styled to stand out
    return None


def check_display_name(name: str, role: str = "delegate") -> None:
    """Refuse a name that hides characters, mixes alphabets or, for non-staff, imitates
    a staff title; raises ``InvalidAction`` with a Vietnamese message."""
    text = unicodedata.normalize("NFC", name or "")
    if _disguising_character(text) is not None:
        raise InvalidAction(
            _("Họ và tên chứa ký tự ẩn hoặc ký tự đặc biệt. Vui lòng chỉ dùng chữ cái, dấu cách và dấu câu thông thường.")
        )
    scripts = {_script(char) for char in text if char.isalpha()}
    if len(scripts) > 1:
        raise InvalidAction(
            _("Họ và tên trộn chữ cái của nhiều bảng chữ (ví dụ chữ Latinh với chữ Kirin hoặc Hy Lạp). Vui lòng gõ lại bằng bàn phím tiếng Việt.")
        )
    if str(role) not in _STAFF and imitates_staff_title(text):
        raise InvalidAction(
            _("Họ và tên không được chứa chức danh của Ban Tổ chức hay điều hành viên (như “Ban Tổ chức”, “Quản trị”, “Điều hành viên”). Vui lòng dùng họ tên thật.")
        )
