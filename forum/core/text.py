"""Vietnamese text handling: input normalisation, blank detection and alphabetical sort order."""
import html
import re
import unicodedata
from functools import lru_cache

# C0/C1 control characters, except tab and newline, plus Unicode format characters
# that are invisible and mostly used to disguise text (bidi overrides, zero-widths).
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(value: str | None, *, multiline: bool = True) -> str:
    """NFC-normalise, unify newlines, strip control characters and outer whitespace.

    Keyboards on macOS and Unikey's "tổ hợp" mode send decomposed (NFD) Vietnamese;
    storing NFC keeps search, sorting and uniqueness consistent.
    """
    if not value:
        return ""
    text = unicodedata.normalize("NFC", value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if multiline:
        text = _TRAILING_SPACE.sub("\n", text)
        text = _MANY_BLANK_LINES.sub("\n\n", text)
    else:
        text = " ".join(text.split())
    return text.strip()


# Characters that show as nothing or as empty space although str.isspace() is False and
# they are not format characters (Cf): Hangul fillers, the Braille blank, the combining
# grapheme joiner, Khmer inherent vowels, Mongolian and other variation selectors.
_BLANK_LOOKING = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _shows_nothing(char: str) -> bool:
    return char.isspace() or char in _BLANK_LOOKING or unicodedata.category(char) in _INVISIBLE_CATEGORIES


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def is_visually_blank(value: str | None, *, markdown: bool = False) -> bool:
    """True when ``value`` would show no visible character: empty, or only spaces,
    invisible and space-like characters (U+3164 HANGUL FILLER, U+2800 BRAILLE PATTERN
    BLANK, U+200B, U+FEFF, U+3000 …). In ``markdown`` text, entities count as the
    character they render as (``&nbsp;``); in plain text they show as typed.

    Such a title, body or name would be published as if it had content; the cleaners of
    every domain refuse it.
    """
    text = value or ""
    if markdown:
        text = _ENTITY.sub(lambda entity: html.unescape(entity.group()), text)
    return all(_shows_nothing(char) for char in text)


# Vietnamese alphabet order; the tone marks are compared after the letters.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER_RANK = {letter: index for index, letter in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng
_BASE_LETTER = {"\u0306": "ă", "\u0302": "â", "\u031b": "ơ"}


@lru_cache(maxsize=4096)  # a page sorts the same few hundred characters again and again
def _split_letter(char: str) -> tuple[str, int]:
    """One letter → (base letter of the Vietnamese alphabet, tone rank)."""
    decomposed = unicodedata.normalize("NFD", char.lower())
    base, tone = decomposed[0], 0
    for mark in decomposed[1:]:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark == "\u0302":
            base = {"a": "â", "e": "ê", "o": "ô"}.get(base, base)
        elif mark == "\u031b":
            base = {"o": "ơ", "u": "ư"}.get(base, base)
        elif mark in _BASE_LETTER:
            base = _BASE_LETTER[mark] if base == "a" else base
    return base, tone


@lru_cache(maxsize=8192)  # the forum page sorts the same unit names on every request
def vietnamese_sort_key(value: str) -> tuple:
    """Sort key following Vietnamese alphabetical order (a ă â b c d đ e ê …).

    Letters decide first, then tone marks (none, huyền, hỏi, ngã, sắc, nặng), then case,
    as in Vietnamese dictionaries. Spaces sort before every letter, so names compare word
    by word ("Hà Nội" before "Hải Phòng"); other characters outside the alphabet sort by
    code point after the letters.
    """
    letters, tones = [], []
    for char in unicodedata.normalize("NFC", value or ""):
        base, tone = _split_letter(char)
        rank = _LETTER_RANK.get(base)
        if char.isspace():
            letters.append((-1, 0))
        else:
            letters.append((0, rank) if rank is not None else (1, ord(base)))
        tones.append(tone)
    return tuple(letters), tuple(tones), value


def sort_vietnamese(items, key=lambda item: item):
    """Return ``items`` sorted in Vietnamese alphabetical order of ``key(item)``."""
    return sorted(items, key=lambda item: vietnamese_sort_key(key(item)))


# Words a province's official name may start with, which units often leave out or shorten
# ("LĐLĐ TP. Hồ Chí Minh" for "Thành phố Hồ Chí Minh").
_PROVINCE_PREFIXES = re.compile(r"^(?:thành phố|tỉnh|tp\.?)\s+", re.IGNORECASE)


def affiliation(unit: str | None, province: str | None) -> str:
    """A person's unit and province as an author line shows them: "CĐ Công ty May 10, Hà
    Nội", but only the unit when it already names the province ("LĐLĐ tỉnh Đồng Nai",
    not "LĐLĐ tỉnh Đồng Nai, Đồng Nai"); either alone when the other is empty."""
    unit = normalize_text(unit, multiline=False)
    province = normalize_text(province, multiline=False)
    if not unit or not province:
        return unit or province
    place = _PROVINCE_PREFIXES.sub("", province).casefold()
    if place and place in unit.casefold():
        return unit
    return f"{unit}, {province}"
