"""Generated people and places for the load-test dataset: Vietnamese names, the 63
provinces and grassroots union units (đơn vị), drawn deterministically from a seed.

Units are what a delegate registers with: a grassroots union of a company, school,
hospital or commune, or a provincial / sector federation. A national consultation has
thousands of distinct units, which is what the forum page's list of participating units
must cope with.
"""
from __future__ import annotations

import random

FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
    ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1),
    ("Lý", 1), ("Đào", 1), ("Đinh", 1), ("Lâm", 1), ("Mai", 1), ("Trịnh", 1), ("Lương", 1), ("Tạ", 1),
    ("Hà", 1), ("Cao", 1), ("Chu", 1), ("Quách", 1), ("Tô", 1), ("Triệu", 1),
]
MIDDLE_NAMES_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Thanh", "Xuân", "Đình", "Ngọc", "Quốc",
                     "Trọng", "Mạnh", "Tiến", "Anh", "Bá", "Duy", "Hoàng"]
MIDDLE_NAMES_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Hồng", "Phương",
                       "Bích", "Mỹ", "Thúy", "Diệu", "Hải", "Quỳnh"]
GIVEN_NAMES_MALE = ["Anh", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Giang", "Hải", "Hiếu", "Hòa", "Hùng",
                    "Huy", "Khang", "Khánh", "Kiên", "Lâm", "Long", "Lợi", "Mạnh", "Minh", "Nam", "Nghĩa",
                    "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thịnh",
                    "Toàn", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Hưng"]
GIVEN_NAMES_FEMALE = ["An", "Anh", "Bích", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền",
                      "Hoa", "Hồng", "Huệ", "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga",
                      "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Quỳnh", "Tâm", "Thảo", "Thu",
                      "Thủy", "Trang", "Trinh", "Tuyết", "Vân", "Xuân", "Yến", "Uyên"]

PROVINCES = [
    "Hà Nội", "TP. Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "An Giang", "Bà Rịa - Vũng Tàu",
    "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre", "Bình Định", "Bình Dương", "Bình Phước",
    "Bình Thuận", "Cà Mau", "Cao Bằng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp",
    "Gia Lai", "Hà Giang", "Hà Nam", "Hà Tĩnh", "Hải Dương", "Hậu Giang", "Hòa Bình", "Hưng Yên",
    "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An",
    "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam",
    "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình",
    "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Tiền Giang", "Trà Vinh", "Tuyên Quang", "Vĩnh Long",
    "Vĩnh Phúc", "Yên Bái",
]
# Provinces with large industrial zones send more delegates.
PROVINCE_WEIGHTS = {"Hà Nội": 10, "TP. Hồ Chí Minh": 12, "Bình Dương": 8, "Đồng Nai": 7, "Bắc Ninh": 5,
                    "Hải Phòng": 5, "Long An": 4, "Bắc Giang": 4, "Thái Nguyên": 3, "Thanh Hóa": 3,
                    "Nghệ An": 3, "Đà Nẵng": 3, "Vĩnh Phúc": 3, "Quảng Ninh": 3, "Hải Dương": 3}

COMPANY_KINDS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Tổng công ty", "Nhà máy", "Xí nghiệp"]
COMPANY_TRADES = [
    "May", "Giày da", "Điện tử", "Thủy sản", "Gỗ", "Dệt", "Cơ khí", "Xi măng", "Cao su", "Chè", "Cà phê",
    "Thực phẩm", "Bao bì", "Nhựa", "Thép", "Vận tải", "Xây dựng", "Dược phẩm", "Điện lực", "Cấp nước",
    "Môi trường đô thị", "Lương thực", "Phân bón", "In", "Đóng tàu", "Linh kiện ô tô", "Logistics",
]
COMPANY_NAMES = [
    "Việt Tiến", "Phú Thành", "Hòa Bình", "Thành Công", "Đại Phát", "An Khang", "Tân Tạo", "Hưng Thịnh",
    "Minh Long", "Sao Mai", "Trường Hải", "Phước Long", "Đông Á", "Nam Việt", "Hoàng Gia", "Kim Ngân",
    "Thiên Long", "Vạn Xuân", "Hồng Hà", "Sông Đà", "Bến Thành", "Tiến Phát", "Quốc Thịnh", "Hải Âu",
    "Bình Minh", "Phương Nam", "Ánh Dương", "Long Hải", "Tân Hiệp", "Đức Thành", "Việt Hàn", "Việt Nhật",
    "Hoa Sen", "Trường Sơn", "Lam Sơn", "Thăng Long", "Cửu Long", "Tây Nguyên", "Hà Trung", "Mê Kông",
]
SCHOOL_KINDS = ["Trường Mầm non", "Trường Tiểu học", "Trường THCS", "Trường THPT"]
SCHOOL_NAMES = ["Lê Lợi", "Quang Trung", "Nguyễn Trãi", "Trần Phú", "Hoa Hồng", "Võ Thị Sáu", "Chu Văn An",
                "Lý Tự Trọng", "Kim Đồng", "Nguyễn Du", "Lê Quý Đôn", "Hùng Vương", "Phan Bội Châu",
                "Hoa Sen", "Họa Mi", "Trần Quốc Toản", "Nguyễn Huệ", "Ngô Quyền"]
PUBLIC_UNITS = ["Bệnh viện Đa khoa", "Trung tâm Y tế huyện", "Ủy ban nhân dân xã", "Ủy ban nhân dân phường",
                "Kho bạc Nhà nước", "Chi cục Thuế", "Bưu điện", "Trung tâm Văn hóa"]
PLACE_NAMES = ["Tân Phú", "An Bình", "Phú Hòa", "Thạnh Lộc", "Hòa Khánh", "Đông Hưng", "Yên Thế",
               "Kim Sơn", "Nghĩa Đàn", "Tiên Du", "Thuận An", "Dĩ An", "Long Thành", "Nhơn Trạch",
               "Đức Hòa", "Bến Lức", "Văn Lâm", "Mỹ Hào", "Phổ Yên", "Sông Công", "Cẩm Phả", "Uông Bí"]
SECTORS = ["Giáo dục", "Y tế", "Công Thương", "Giao thông vận tải", "Xây dựng", "Nông nghiệp và PTNT",
           "Viên chức", "các khu công nghiệp", "các khu chế xuất và công nghiệp"]


def full_name(rng: random.Random) -> str:
    """A Vietnamese full name (family, middle, given)."""
    family = rng.choices([n for n, _ in FAMILY_NAMES], weights=[w for _, w in FAMILY_NAMES])[0]
    if rng.random() < 0.5:
        return f"{family} {rng.choice(MIDDLE_NAMES_FEMALE)} {rng.choice(GIVEN_NAMES_FEMALE)}"
    return f"{family} {rng.choice(MIDDLE_NAMES_MALE)} {rng.choice(GIVEN_NAMES_MALE)}"


def province_weights() -> list[int]:
    return [PROVINCE_WEIGHTS.get(province, 1) for province in PROVINCES]


def _unit_name(rng: random.Random, province: str) -> str:
    kind = rng.random()
    if kind < 0.55:
        return (f"Công đoàn {rng.choice(COMPANY_KINDS)} {rng.choice(COMPANY_TRADES)} "
                f"{rng.choice(COMPANY_NAMES)} {province}")
    if kind < 0.75:
        return f"Công đoàn {rng.choice(SCHOOL_KINDS)} {rng.choice(SCHOOL_NAMES)}, {rng.choice(PLACE_NAMES)}, {province}"
    if kind < 0.92:
        return f"Công đoàn {rng.choice(PUBLIC_UNITS)} {rng.choice(PLACE_NAMES)}, {province}"
    if kind < 0.97:
        return f"Công đoàn ngành {rng.choice(SECTORS)} {province}"
    return f"Liên đoàn Lao động {rng.choice(PLACE_NAMES)}, {province}"


def units(count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` distinct (unit, province) pairs."""
    rng = random.Random(seed)
    weights = province_weights()
    seen: set[str] = set()
    result = []
    provincial = [(f"Liên đoàn Lao động {p}", p) for p in PROVINCES]
    for unit, province in provincial[:count]:
        seen.add(unit)
        result.append((unit, province))
    while len(result) < count:
        province = rng.choices(PROVINCES, weights=weights)[0]
        unit = _unit_name(rng, province)
        if unit not in seen:
            seen.add(unit)
            result.append((unit, province))
    return result
