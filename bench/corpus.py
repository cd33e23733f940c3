"""A generated, realistic corpus of Vietnamese trade-union forum contributions.

Real syllables and words only: the trade-union domain phrases (công đoàn, đoàn viên,
người lao động, chủ tịch công đoàn cơ sở, thương lượng tập thể…), the function words
of written Vietnamese, a general vocabulary and a tail of rare words (place names,
trades, objects). Each family is drawn with Zipf-like weights, so the common domain
syllables are about as frequent as on a real union forum ("công đoàn" in roughly half
of the contributions, "người lao động" in a third). About 20% proposals (with titles,
longer bodies, support counts), 80% comments; forums 1–10; mostly public.

Deterministic for a given seed: ``generate(n, seed)`` always yields the same documents.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import accumulate

from forum.search.backend import SearchDocument

# (phrase, relative weight): the vocabulary of the forum's subject.
DOMAIN_PHRASES = [
    ("công đoàn", 60), ("người lao động", 45), ("đoàn viên", 30), ("công đoàn cơ sở", 22),
    ("doanh nghiệp", 20), ("tiền lương", 14), ("công nhân", 16), ("chủ tịch công đoàn cơ sở", 6),
    ("chủ tịch công đoàn", 5), ("cán bộ công đoàn", 8), ("thương lượng tập thể", 5),
    ("thỏa ước lao động tập thể", 4), ("bảo hiểm xã hội", 9), ("bảo hiểm y tế", 4),
    ("bảo hiểm thất nghiệp", 2), ("nhà trọ công nhân", 2), ("khu công nghiệp", 8),
    ("an toàn vệ sinh lao động", 3), ("tăng ca", 3), ("làm thêm giờ", 3), ("lương tối thiểu vùng", 2),
    ("hợp đồng lao động", 5), ("quan hệ lao động", 4), ("chuyển đổi số", 3), ("phát triển đoàn viên", 4),
    ("Tổng Liên đoàn Lao động Việt Nam", 3), ("liên đoàn lao động tỉnh", 3), ("lao động nữ", 3),
    ("nữ công nhân", 2), ("nhà ở xã hội", 2), ("phúc lợi", 4), ("đình công", 1), ("tranh chấp lao động", 2),
    ("người sử dụng lao động", 5), ("đại hội công đoàn", 3), ("nhiệm kỳ", 3), ("kinh phí công đoàn", 3),
    ("đoàn phí", 2), ("chăm lo đời sống", 4), ("việc làm", 7), ("thu nhập", 6), ("điều kiện làm việc", 4),
    ("tai nạn lao động", 2), ("bệnh nghề nghiệp", 1), ("đối thoại tại nơi làm việc", 2),
    ("hội nghị người lao động", 2), ("quy chế dân chủ", 2), ("mái ấm công đoàn", 1), ("Tết sum vầy", 1),
    ("chuyến xe công đoàn", 1), ("pháp luật lao động", 3), ("Bộ luật Lao động", 2), ("nâng cao chất lượng", 5),
    ("đổi mới", 5), ("tập hợp người lao động", 3), ("tổ chức công đoàn", 6), ("đội ngũ", 4),
    ("quyền và lợi ích hợp pháp", 4), ("đại diện", 5), ("bảo vệ", 6), ("chính sách", 6), ("ca làm việc", 2),
    ("công đoàn cấp trên", 3), ("ban chấp hành", 3), ("đoàn viên nữ", 1), ("công nhân lao động", 5),
    ("giờ làm việc", 2), ("nghỉ phép", 1), ("thai sản", 1), ("nhà trẻ", 1), ("xe đưa đón", 1),
]

# Written Vietnamese function words and very frequent syllables, most frequent first.
COMMON_WORDS = (
    "và của các những là có được cho trong với để không này đã từ khi theo về nhiều cần phải một người "
    "như rất tại đến hơn ra vào nên cũng thì mà đó sẽ đang còn chỉ hay lại nhưng vì nếu bị do "
    "chúng tôi anh chị em bạn mình họ ai gì nào đây đấy rồi vẫn đều luôn thêm nữa ý kiến đề nghị kiến nghị "
    "góp ý giải pháp thực hiện hiện nay tuy nhiên đặc biệt thực tế vấn đề cụ thể hiệu quả quan tâm"
).split()

# General vocabulary: real words of one to three syllables.
GENERAL_WORDS = """
xã hội, kinh tế, phát triển, nâng cao, tăng cường, xây dựng, tổ chức, hoạt động, cơ chế, quy định,
hướng dẫn, trách nhiệm, nhiệm vụ, mục tiêu, kết quả, đánh giá, kiểm tra, giám sát, tuyên truyền,
vận động, tham gia, đóng góp, hỗ trợ, khó khăn, hạn chế, nguyên nhân, thời gian, năm, tháng, ngày,
tuần, buổi sáng, buổi tối, gia đình, con cái, vợ chồng, cha mẹ, sức khỏe, học tập, đào tạo, kỹ năng,
nghề nghiệp, trình độ, chuyên môn, nhà máy, xí nghiệp, công ty, phân xưởng, dây chuyền, sản xuất,
đơn hàng, máy móc, thiết bị, nguyên liệu, môi trường, an toàn, vệ sinh, nước sạch, bữa ăn, ca giữa,
nhà ăn, căng tin, ký túc xá, phòng trọ, tiền thuê, điện nước, xăng dầu, giá cả, lạm phát, đời sống,
vật chất, tinh thần, văn hóa, thể thao, văn nghệ, giao lưu, khen thưởng, kỷ luật, thi đua, phong trào,
điển hình, gương mẫu, tiêu biểu, sáng kiến, cải tiến, năng suất, minh bạch, công khai, dân chủ,
thỏa thuận, cam kết, thời hạn, chấm dứt, sa thải, nghỉ việc, tuyển dụng, lao động phổ thông,
kỹ thuật, kỹ sư, quản lý, lãnh đạo, tỉnh, thành phố, huyện, xã, phường, địa phương, trung ương,
cấp dưới, ngành nghề, lĩnh vực, chính quyền, nhà nước, nghị định, thông tư, văn bản, hồ sơ, thủ tục,
đơn giản, nhanh chóng, trực tuyến, điện thoại, ứng dụng, mạng xã hội, thông tin, dữ liệu, phần mềm,
số hóa, nền tảng, ưu tiên, quyền lợi, lợi ích, chế độ, trợ cấp, phụ cấp, thưởng tết,
lương tháng mười ba, tăng lương, người già, trẻ em, phụ nữ, nam giới, thanh niên, sinh viên,
học sinh, giáo viên, bác sĩ, bệnh viện, trường học, chợ, siêu thị, đường xá, xe buýt, xe máy, ô tô,
thảo luận, diễn đàn, chuyên đề, đại biểu, hội nghị, báo cáo, tổng kết, phương hướng, mạnh mẽ,
tích cực, kịp thời, thường xuyên, liên tục, lâu dài, bền vững, hài hòa, ổn định, tiến bộ, lắng nghe,
chia sẻ, giúp đỡ, giải quyết, kiến thức, kinh nghiệm, mô hình, hiệu lực, nguồn lực, ngân sách,
đầu tư, cơ sở vật chất, nhu cầu, nguyện vọng, tâm tư, bức xúc, niềm tin, gắn bó, đoàn kết,
thống nhất, rõ ràng, phù hợp, hợp lý, công bằng, nghiêm túc, chặt chẽ, đồng bộ, toàn diện,
doanh thu, lợi nhuận, chi phí, tiết kiệm, đoán trước, đoạn đường, ban hành, bản sao, cơ hội, có sổ
""".replace("\n", " ").split(",")
GENERAL_WORDS = [w.strip() for w in GENERAL_WORDS if w.strip()]

# Rare words: places, trades and objects that only a few contributions mention.
RARE_WORDS = """
Bình Dương|Đồng Nai|Bắc Ninh|Bắc Giang|Hải Phòng|Long An|Thái Nguyên|Vĩnh Phúc|Quảng Ngãi|Cần Thơ|
Nghệ An|Thanh Hóa|Hà Nam|Nam Định|Tây Ninh|Bà Rịa Vũng Tàu|Khánh Hòa|Đà Nẵng|Quảng Ninh|Lâm Đồng|
may mặc|da giày|điện tử|chế biến thủy sản|gỗ nội thất|dệt nhuộm|cơ khí|xi măng|cao su|chè|cà phê|
máy may|máy hàn|xe nâng|băng chuyền|khẩu trang|quạt công nghiệp|máy lọc nước|tủ thuốc|bình chữa cháy|
mẫu giáo|nhà văn hóa|sân bóng|thư viện|phòng vắt sữa|bếp ăn tập thể|trạm y tế|quỹ tương trợ|
vay vốn|tín dụng đen|nợ lương|chậm đóng bảo hiểm|trốn đóng|khấu trừ|phạt tiền|camera giám sát|
nắng nóng|ngộ độc thực phẩm|hóa chất độc hại|tiếng ồn|bụi mịn|cháy nổ|sập giàn giáo|điện giật
""".replace("\n", "").split("|")

PROPOSAL_OPENERS = [
    "Đề xuất", "Kiến nghị", "Giải pháp", "Nâng cao", "Đổi mới", "Tăng cường", "Hoàn thiện", "Xây dựng",
    "Phát huy", "Đẩy mạnh", "Sửa đổi", "Bổ sung", "Mở rộng", "Thí điểm",
]
STATUSES = [("published", 70), ("under_review", 12), ("accepted", 8), ("rejected", 4), ("merged", 2),
            ("withdrawn", 4)]
DOMAIN_SHARE = 0.07
VISIBILITIES = [("public", 94), ("staff", 4), ("organizer", 2)]


def _zipf(items, exponent=1.0, scale=1.0):
    return [(item, scale / (rank ** exponent)) for rank, item in enumerate(items, start=1)]


class CorpusGenerator:
    """Draws sentences, titles and document metadata with fixed, realistic frequencies."""

    def __init__(self, seed: int = 2023):
        self.rng = random.Random(seed)
        rng_vocab = random.Random(seed + 1)
        general = GENERAL_WORDS[:]
        rng_vocab.shuffle(general)
        weighted = []
        domain_total = sum(w for _, w in DOMAIN_PHRASES)
        # Category shares (by number of chunks): domain 7%, function 50%, general 41%, rare 2%.
        weighted += [(p, DOMAIN_SHARE * w / domain_total) for p, w in DOMAIN_PHRASES]
        weighted += self._normalised(_zipf(COMMON_WORDS, 0.9), 0.50)
        weighted += self._normalised(_zipf(general, 0.9), 0.48 - DOMAIN_SHARE)
        weighted += self._normalised(_zipf(RARE_WORDS, 0.5), 0.02)
        self.chunks = [c for c, _ in weighted]
        self.cum_weights = list(accumulate(w for _, w in weighted))
        title_weighted = [(p, 0.55 * w / domain_total) for p, w in DOMAIN_PHRASES]
        title_weighted += self._normalised(_zipf(general, 1.0), 0.35)
        title_weighted += self._normalised(_zipf(RARE_WORDS, 0.5), 0.10)
        self.title_chunks = [c for c, _ in title_weighted]
        self.title_cum = list(accumulate(w for _, w in title_weighted))
        self.status_choices = [s for s, _ in STATUSES]
        self.status_cum = list(accumulate(w for _, w in STATUSES))
        self.vis_choices = [v for v, _ in VISIBILITIES]
        self.vis_cum = list(accumulate(w for _, w in VISIBILITIES))

    @staticmethod
    def _normalised(pairs, share):
        total = sum(w for _, w in pairs)
        return [(item, share * w / total) for item, w in pairs]

    def sentence(self) -> str:
        rng = self.rng
        chunks = rng.choices(self.chunks, cum_weights=self.cum_weights, k=rng.randint(5, 16))
        text = " ".join(chunks)
        if rng.random() < 0.3:
            words = text.split(" ")
            cut = rng.randint(1, len(words) - 1) if len(words) > 2 else 1
            text = " ".join(words[:cut]) + ", " + " ".join(words[cut:])
        return text[:1].upper() + text[1:] + rng.choice([".", ".", ".", "!", "?", "..."])

    def body(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def title(self) -> str:
        rng = self.rng
        chunks = rng.choices(self.title_chunks, cum_weights=self.title_cum, k=rng.randint(3, 6))
        return f"{rng.choice(PROPOSAL_OPENERS)} {' '.join(chunks)}"

    def documents(self, n: int) -> Iterator[SearchDocument]:
        """``n`` documents in creation order: ~20% proposals, each comment under an earlier proposal."""
        rng = self.rng
        start = datetime(2023, 10, 1, tzinfo=timezone.utc)
        span = 60 * 86_400
        proposals: list[tuple[int, int, int | None, str, str]] = []  # (id, forum, theme, status, visibility)
        next_proposal = next_comment = 1
        for i in range(n):
            created = start + timedelta(seconds=span * i / max(n, 1) + rng.random())
            if not proposals or rng.random() < 0.2:
                forum = rng.randint(1, 10)
                theme = rng.choice([None, forum * 10 + 1, forum * 10 + 2, forum * 10 + 3])
                status = rng.choices(self.status_choices, cum_weights=self.status_cum)[0]
                visibility = "staff" if status == "withdrawn" else rng.choices(self.vis_choices,
                                                                             cum_weights=self.vis_cum)[0]
                pid = next_proposal
                next_proposal += 1
                proposals.append((pid, forum, theme, status, visibility))
                yield SearchDocument(
                    kind="proposal", entity_id=pid, proposal_id=pid, forum_id=forum, theme_id=theme,
                    author_id=rng.randint(1, 1100), status=status, visibility=visibility, created_at=created,
                    support_count=int(rng.paretovariate(1.2)) - 1 if rng.random() < 0.9 else rng.randint(50, 600),
                    title=self.title(), body=self.body(rng.randint(3, 12)),
                )
            else:
                # Recent proposals attract most comments.
                index = len(proposals) - 1 - min(int(rng.expovariate(1 / 40)), len(proposals) - 1)
                pid, forum, theme, status, visibility = proposals[index]
                if visibility == "public" and rng.random() < 0.03:
                    visibility = "staff"  # a hidden comment
                cid = next_comment
                next_comment += 1
                yield SearchDocument(
                    kind="comment", entity_id=cid, proposal_id=pid, forum_id=forum, theme_id=theme,
                    author_id=rng.randint(1, 1100), status=status, visibility=visibility, created_at=created,
                    support_count=0, title="", body=self.body(rng.randint(1, 5)),
                )


def generate(n: int, seed: int = 2023) -> list[SearchDocument]:
    """``n`` documents (deterministic for a seed)."""
    return list(CorpusGenerator(seed).documents(n))
