"""The 34 provincial-level units of Vietnam in force since 1 July 2025 (Resolution
202/2025/QH15 of the National Assembly), and the 29 former provinces merged into them.

The roster stores a province by its canonical name below. What people type is matched
without regard to case, diacritics, the "Tỉnh"/"Thành phố"/"TP." prefix, dashes and
spaces; a former province is not silently mapped (the person may belong to a union
body that kept its old name) but refused with the name of the unit it merged into.
"""
import re
import unicodedata

# Canonical names, in the order of the Resolution: 6 cities, then 28 provinces.
PROVINCES: tuple[str, ...] = (
    "Hà Nội",
    "Huế",
    "Hải Phòng",
    "Đà Nẵng",
    "Thành phố Hồ Chí Minh",
    "Cần Thơ",
    "Lai Châu",
    "Điện Biên",
    "Sơn La",
    "Lạng Sơn",
    "Quảng Ninh",
    "Thanh Hóa",
    "Nghệ An",
    "Hà Tĩnh",
    "Cao Bằng",
    "Tuyên Quang",
    "Lào Cai",
    "Thái Nguyên",
    "Phú Thọ",
    "Bắc Ninh",
    "Hưng Yên",
    "Ninh Bình",
    "Quảng Trị",
    "Quảng Ngãi",
    "Gia Lai",
    "Khánh Hòa",
    "Lâm Đồng",
    "Đắk Lắk",
    "Đồng Nai",
    "Tây Ninh",
    "Vĩnh Long",
    "Đồng Tháp",
    "Cà Mau",
    "An Giang",
)

# Former province → the unit it is part of since 1 July 2025.
FORMER_PROVINCES: dict[str, str] = {
    "Hà Giang": "Tuyên Quang",
    "Yên Bái": "Lào Cai",
    "Bắc Kạn": "Thái Nguyên",
    "Vĩnh Phúc": "Phú Thọ",
    "Hòa Bình": "Phú Thọ",
    "Bắc Giang": "Bắc Ninh",
    "Thái Bình": "Hưng Yên",
    "Hải Dương": "Hải Phòng",
    "Hà Nam": "Ninh Bình",
    "Nam Định": "Ninh Bình",
    "Quảng Bình": "Quảng Trị",
    "Quảng Nam": "Đà Nẵng",
    "Kon Tum": "Quảng Ngãi",
    "Bình Định": "Gia Lai",
    "Ninh Thuận": "Khánh Hòa",
    "Đắk Nông": "Lâm Đồng",
    "Bình Thuận": "Lâm Đồng",
    "Phú Yên": "Đắk Lắk",
    "Bà Rịa - Vũng Tàu": "Thành phố Hồ Chí Minh",
    "Bình Dương": "Thành phố Hồ Chí Minh",
    "Bình Phước": "Đồng Nai",
    "Long An": "Tây Ninh",
    "Sóc Trăng": "Cần Thơ",
    "Hậu Giang": "Cần Thơ",
    "Bến Tre": "Vĩnh Long",
    "Trà Vinh": "Vĩnh Long",
    "Tiền Giang": "Đồng Tháp",
    "Bạc Liêu": "Cà Mau",
    "Kiên Giang": "An Giang",
    "Thừa Thiên Huế": "Huế",
}

# Other spellings people use for the same unit.
_ALIASES = {
    "hcm": "Thành phố Hồ Chí Minh",
    "tphcm": "Thành phố Hồ Chí Minh",
    "sai gon": "Thành phố Hồ Chí Minh",
    "ha noi": "Hà Nội",
    "hn": "Hà Nội",
}

_PREFIXES = ("thanh pho ", "tinh ", "tp ")
_NOT_LETTERS = re.compile(r"[^a-z0-9]+")


def province_key(value: str) -> str:
    """What two spellings of one province have in common: lower case, no diacritics
    (``đ`` → ``d``, which Unicode decomposition does not do), no prefix, single spaces."""
    text = unicodedata.normalize("NFD", value.lower().replace("đ", "d").replace("Đ", "d"))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _NOT_LETTERS.sub(" ", text).strip()
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    return text


_CANONICAL = {province_key(name): name for name in PROVINCES}
_CANONICAL |= {province_key(alias): name for alias, name in _ALIASES.items()}
_FORMER = {province_key(name): (name, current) for name, current in FORMER_PROVINCES.items()}


def match_province(value: str) -> str | None:
    """The canonical name of the province ``value`` names, or None."""
    return _CANONICAL.get(province_key(value))


def former_province(value: str) -> tuple[str, str] | None:
    """``(former name, current unit)`` when ``value`` names a province merged in 2025."""
    return _FORMER.get(province_key(value))
