"""The judged query set of bench/relevance.py: planted documents and queries.

PLANTED documents are written for the query classes: exact phrases, the same words split
apart (scattered in a title, adjacent in a body), near-homographs that differ only by
diacritics (ca đêm / cả đêm, công đoạn / công đoàn, đoán viên / đoàn viên, phạt tiền /
phát tiền, nhà tre / nhà trẻ), abbreviations and their long forms, comments typed without
diacritics, old- and new-style tone placement (thỏa/thoả, hòa/hoà, khỏe/khoẻ, thủy/thuỷ,
hóa/hoá), and mixed Vietnamese/English terms. ``bench/relevance.py`` adds filler
sentences from ``bench/corpus.py`` around each one (unaccented filler for unaccented
comments) and mixes them into the generated corpus.

A planted document is ``("P", title, body)`` (a proposal) or ``("C", body)`` (a comment).

QUERIES: ``Query(cls, text, intent, forms, means)``.

- ``text``: what the user types, exactly.
- ``intent``: what the judgments look for (never what any engine returns). Words are
  separated by ``|``: "phụ cấp|ca đêm" is two words; a query's words found apart in a
  document count more than its syllables found apart (see the rule in bench/README.md).
  By default the typed text without quotes, one word.
- ``forms``: more spellings of the same intent (abbreviation ↔ long form); a document is
  judged against each and keeps its best grade.
- ``means``: for partial-diacritics and typo queries, the correctly typed query they stand
  for (the script also runs it, unscored, to compare recall@20).
"""
from __future__ import annotations

from dataclasses import dataclass

P, C = "P", "C"

PLANTED: list[tuple] = [
    # -- ca đêm (night shift) / cả đêm (all night) -------------------------------------------------
    (C, "Công nhân làm ca đêm cần được bồi dưỡng thêm một bữa ăn."),
    (C, "Phụ cấp ca đêm ở nhà máy tôi vẫn chưa được trả đủ."),
    (P, "Tăng phụ cấp cho người làm ca đêm", "Đề nghị quy định mức phụ cấp ca đêm tối thiểu bằng 30% tiền lương."),
    (C, "Nữ công nhân mang thai không nên bố trí làm ca đêm."),
    (C, "Xe đưa đón sau ca đêm giúp anh chị em về nhà an toàn."),
    (P, "Bố trí ca đêm hợp lý hơn", "Ca đêm kéo dài quá 8 tiếng làm giảm sức khỏe người lao động."),
    (C, "Con ốm, tôi thức cả đêm rồi sáng vẫn phải đi làm."),
    (C, "Mưa cả đêm, khu nhà trọ ngập nước."),
    (C, "Máy chạy cả đêm gây tiếng ồn cho khu dân cư."),
    (P, "Hỗ trợ công nhân trực cả đêm ở bệnh viện", "Người nhà bệnh nhân phải trực cả đêm trên ghế."),
    (C, "Cả đêm mất điện, sáng ra cả xóm trọ đều mệt."),
    (C, "Làm ca ngày rồi lại thức cả đêm chăm con, chị em rất vất vả."),
    (C, "lam ca dem ma khong co phu cap thi ai chiu noi"),
    (C, "ca dem o xuong toi thuong keo dai den 6 gio sang, phu cap ca dem thi it"),
    # -- công đoạn (a production stage) / công đoàn ------------------------------------------------
    (P, "Cải tiến công đoạn may cổ áo", "Công đoạn này thường gây đau vai gáy cho công nhân."),
    (C, "Mỗi công đoạn trên dây chuyền nên có người thay ca."),
    (C, "Công đoạn hoàn thiện sản phẩm phải đứng suốt 8 tiếng."),
    (C, "Chia nhỏ công đoạn để giảm áp lực cho lao động nữ."),
    (C, "cong doan dong goi o xuong em rat nang nhoc"),
    (C, "Công đoàn cơ sở đã sửa lại đoạn đường vào khu nhà trọ."),
    (C, "Công đoàn đề nghị làm lại đoạn đường trước cổng công ty, công đoàn viên đều ủng hộ."),
    # -- đoán viên / đoàn viên ---------------------------------------------------------------------
    (C, "Trò chơi đoán viên kẹo trong hũ ở Tết sum vầy rất vui."),
    (C, "Các cháu thi đoán viên bi màu gì, ai đoán đúng được quà."),
    (P, "Trò chơi dân gian cho ngày hội gia đình", "Thêm trò đoán viên bi, kéo co, nhảy bao bố cho các cháu."),
    (C, "Kết nạp đoàn viên nữ ở khu công nghiệp còn chậm."),
    (P, "Phát triển đoàn viên nữ trong doanh nghiệp FDI", "Đoàn viên nữ chiếm đa số nhưng ít người vào ban chấp hành."),
    (C, "doan vien nu o cong ty em chua duoc tang qua 8/3"),
    # -- phạt tiền (fine) / phát tiền (hand out money) ----------------------------------------------
    (C, "Công đoàn phát tiền hỗ trợ cho công nhân bị mất việc."),
    (C, "Ngày phát tiền thưởng Tết, xếp hàng rất lâu."),
    (P, "Phát tiền hỗ trợ qua tài khoản ngân hàng", "Nên chuyển khoản thay vì phát tiền mặt tại xưởng."),
    (C, "phat tien ho tro ma chi phat cho nguoi co ho khau"),
    (C, "Đi muộn 5 phút cũng bị phạt tiền, quá vô lý."),
    (P, "Bỏ quy định phạt tiền công nhân", "Doanh nghiệp không được phạt tiền thay cho xử lý kỷ luật."),
    # -- nhà tre (bamboo house) / nhà trẻ (kindergarten) --------------------------------------------
    (C, "Quê tôi vẫn còn nhiều nhà tre vách đất, mùa mưa rất khổ."),
    (C, "Dựng nhà tre tạm cho công nhân ở công trường thì không an toàn."),
    (C, "Khu công nghiệp cần thêm nhà trẻ cho con công nhân."),
    # -- tone placement: thỏa/thoả, hòa/hoà, khỏe/khoẻ, thủy/thuỷ, hóa/hoá ----------------------------
    (C, "Hai bên đã thoả thuận lại mức lương từ tháng sau."),
    (C, "Bản thoả ước lao động tập thể cần được công khai cho mọi người."),
    (P, "Thoả thuận rõ về giờ làm thêm", "Mọi thoả thuận làm thêm giờ phải có chữ ký của người lao động."),
    (C, "Hoà giải viên lao động cấp huyện còn thiếu kinh nghiệm."),
    (C, "Cần tập huấn cho hoà giải viên lao động về pháp luật."),
    (P, "Nâng cao năng lực hòa giải viên lao động", "Hòa giải viên lao động phải được bồi dưỡng hằng năm."),
    (C, "Hòa giải viên lao động đã giúp hai bên đạt thỏa thuận."),
    (C, "Công ty tổ chức khám sức khoẻ định kỳ mỗi năm một lần."),
    (C, "Khám sức khoẻ định kỳ cho lao động nữ cần thêm chuyên khoa."),
    (P, "Khám sức khỏe định kỳ tại nơi làm việc", "Đề nghị khám sức khỏe định kỳ ngay tại nhà máy cho đỡ mất công."),
    (C, "Lâu rồi không được khám sức khỏe định kỳ."),
    (P, "Sức khoẻ và định kỳ khám bệnh", "Khám ở trạm y tế, giữ gìn sức khoẻ lâu dài."),
    (C, "Công nhân chế biến thuỷ sản làm việc trong kho lạnh."),
    (C, "Giá thuỷ sản xuống, nhiều người bị cắt ca."),
    (P, "Hỗ trợ lao động ngành thuỷ sản", "Lao động ngành thuỷ sản cần được trang bị đồ bảo hộ giữ ấm."),
    (C, "Kho hoá chất phải có biển cảnh báo và tủ thuốc."),
    (C, "Tiếp xúc hoá chất lâu ngày sinh bệnh nghề nghiệp."),
    # -- phrases: adjacent in a body, scattered in a title --------------------------------------------
    (C, "Ban chấp hành công đoàn cơ sở phải đối thoại với công nhân mỗi quý."),
    (C, "Bầu ban chấp hành công đoàn cơ sở cần dân chủ, công khai."),
    (P, "Đổi mới sinh hoạt công đoàn", "Ban chấp hành công đoàn cơ sở nên họp với tổ trưởng hằng tháng."),
    (P, "Tiêu chuẩn cán bộ", "Ủy viên ban chấp hành công đoàn cơ sở phải là người có uy tín."),
    (P, "Ban chấp hành cần sát cơ sở để công đoàn mạnh lên", "Nhiều ý kiến về cách làm việc."),
    (P, "Công đoàn ở cơ sở và vai trò của ban chấp hành", "Bàn về việc tổ chức đại hội."),
    (P, "Cơ sở nào để ban chấp hành đánh giá công đoàn?", "Cần tiêu chí rõ ràng."),
    (P, "Ban hành quy chế chấp thuận làm thêm ở cơ sở công đoàn", "Quy chế mới."),
    (C, "Bữa ăn giữa ca phải đủ chất, không chỉ đủ no."),
    (C, "Nâng tiền bữa ăn giữa ca lên ít nhất 25 nghìn đồng."),
    (P, "Giám sát bếp ăn tập thể", "Công đoàn kiểm tra bữa ăn giữa ca mỗi tuần."),
    (C, "bua an giua ca o cong ty toi qua it thit"),
    (P, "Giữa ca nên có bữa ăn nóng", "Mùa đông công nhân cần đồ ăn nóng."),
    (P, "Bữa ăn của công nhân và nghỉ giữa hai ca", "Thời gian nghỉ quá ngắn."),
    (C, "Xe đưa đón công nhân về quê ăn Tết do công đoàn tài trợ."),
    (C, "Tuyến xe đưa đón công nhân cần thêm điểm dừng."),
    (P, "Trợ cấp thôi việc cho lao động lớn tuổi", "Trợ cấp thôi việc phải tính đủ số năm làm việc."),
    (C, "Nhiều người không biết mình được trợ cấp thôi việc."),
    (C, "tro cap thoi viec cong ty toi tinh thieu 2 nam"),
    (P, "Thôi việc có được trợ cấp không?", "Hỏi về quy định khi nghỉ."),
    (P, "Trợ cấp cho người thôi việc vì dịch", "Hỗ trợ người lao động."),
    (C, "Máy chấm công vân tay hay lỗi, công nhân bị tính thiếu giờ."),
    (C, "Nên dùng thẻ từ thay máy chấm công cũ."),
    (C, "cham cong bang khuon mat thi nhanh hon"),
    (P, "Công khai bảng chấm công hằng tháng", "Người lao động được xem bảng chấm công của mình."),
    # -- abbreviations and long forms -------------------------------------------------------------
    (C, "CĐCS công ty đã tổ chức đối thoại với ban giám đốc."),
    (P, "CĐCS cần chủ động hơn", "CĐCS nên lắng nghe công nhân nhiều hơn."),
    (C, "Ở khu công nghiệp nhiều CĐCS còn lúng túng khi thương lượng."),
    (C, "NLĐ bị nợ lương 3 tháng mà chưa ai giải quyết."),
    (C, "Quyền lợi của NLĐ phải đặt lên hàng đầu."),
    (P, "Bảo vệ NLĐ khi doanh nghiệp phá sản", "NLĐ cần được ưu tiên thanh toán lương."),
    (C, "LĐLĐ tỉnh đã hỗ trợ kịp thời cho công nhân bị tai nạn."),
    (C, "Đề nghị LĐLĐ huyện mở thêm lớp tập huấn."),
    (C, "BCH công đoàn họp định kỳ mỗi quý một lần."),
    (P, "Kiện toàn BCH công đoàn", "BCH phải có đại diện lao động nữ."),
    (C, "TƯLĐTT của công ty có nhiều điều khoản có lợi hơn luật."),
    (P, "Ký TƯLĐTT nhóm doanh nghiệp", "TƯLĐTT nhóm giúp doanh nghiệp nhỏ cùng thương lượng."),
    (C, "Chậm đóng BHXH là vi phạm pháp luật."),
    (C, "Cần tra cứu BHXH trực tuyến dễ hơn."),
    (C, "Công tác ATVSLĐ phải kiểm tra thường xuyên."),
    (C, "Ký HĐLĐ bằng văn bản, không ký miệng."),
    (C, "HĐLĐ thời vụ kéo dài nhiều năm là sai."),
    (C, "Công nhân ở KCN thiếu nhà ở và nhà trẻ."),
    (C, "KCN cần thêm trạm y tế."),
    # -- mixed Vietnamese / English terms ---------------------------------------------------------
    (C, "Đánh giá KPI công nhân theo sản lượng là chưa công bằng."),
    (P, "Bỏ KPI tăng ca bắt buộc", "KPI không được ép người lao động làm thêm giờ."),
    (C, "KPI của tổ trưởng đặt quá cao."),
    (C, "Họp online qua Zoom để công nhân ca đêm cũng tham gia được."),
    (C, "Nên cho đóng đoàn phí online qua ngân hàng."),
    (C, "Công đoàn nên có app để đoàn viên phản ánh nhanh."),
    (P, "Xây dựng app công đoàn", "App giúp đoàn viên nhận thông báo và góp ý."),
    (C, "App chấm công của công ty hay bị treo."),
    (C, "Nhóm Zalo của tổ công đoàn giúp thông tin nhanh."),
    (C, "Lập nhóm Zalo cho từng phân xưởng."),
    (C, "Em hay hỏi chị tổ trưởng qua zalo."),
    (C, "Hỗ trợ đoàn viên trẻ khởi nghiệp, làm startup công nghệ."),
    (P, "Quỹ hỗ trợ startup của công nhân", "Startup nhỏ cần vốn vay ưu đãi."),
    (C, "Tháng này làm OT đến 10 giờ đêm, tiền OT vẫn chưa trả."),
    (C, "Tiền OT phải trả đúng hạn."),
    (C, "Giá ớt tăng, bữa ăn ca cũng ít rau hơn."),
    (C, "Tiền ớt, tiền rau ở chợ khu trọ đều tăng."),
    (C, "Lương net sau thuế của công nhân may chỉ còn hơn 6 triệu."),
    (P, "Ghi rõ lương net trong hợp đồng", "Nhiều người không phân biệt lương gộp và lương net."),
    (C, "Nét đẹp văn hóa của công nhân là đoàn kết, lương thấp vẫn giúp nhau."),
    (C, "Lương tháng này thấp, nhưng nét mặt ai cũng vui vì được thưởng."),
    (C, "Check-in bằng thẻ ở cổng nhanh hơn ký sổ."),
    (C, "Gửi email cho công đoàn nhưng không thấy trả lời."),
    (P, "Email công đoàn cho từng đoàn viên", "Mỗi đoàn viên có một email để nhận thông báo."),
]


@dataclass(frozen=True)
class Query:
    cls: str
    text: str
    intent: str = ""  # words separated by "|"; default: the typed text without quotes
    forms: tuple[str, ...] = ()  # other spellings of the intent (abbreviations)
    means: str = ""  # partial/typo: the correctly typed query

    @property
    def quoted(self) -> bool:
        return self.text.strip().startswith('"')

    @property
    def intents(self) -> tuple[str, ...]:
        first = self.intent or self.means or self.text.replace('"', "")
        return (first,) + self.forms


def _q(cls, text, **kw):
    """``text`` with "|" between words: the typed text is the same without them."""
    return Query(cls, text.replace("|", " "), intent=text.replace('"', ""), **kw)


CLASSES = ("full", "none", "partial", "typo", "phrase", "abbrev", "mixed")

QUERIES: list[Query] = [
    # Full diacritics ------------------------------------------------------------------------------
    _q("full", "ca đêm"),
    _q("full", "cả đêm"),
    _q("full", "phụ cấp|ca đêm"),
    _q("full", "công đoạn"),
    _q("full", "đoán viên"),
    _q("full", "đoàn viên nữ"),
    _q("full", "phạt tiền"),
    _q("full", "phát tiền"),
    _q("full", "nhà tre"),
    _q("full", "thoả thuận"),
    _q("full", "hòa giải viên"),
    _q("full", "thuỷ sản"),
    _q("full", "hoá chất"),
    # None (typed without diacritics): the intent is the folded text ------------------------------
    _q("none", "ca dem"),
    _q("none", "phu cap|ca dem"),
    _q("none", "phat tien"),
    _q("none", "nha tre"),
    _q("none", "cong doan|dong goi"),
    _q("none", "tro cap|thoi viec"),
    _q("none", "kham|suc khoe|dinh ky"),
    _q("none", "hoa giai vien"),
    _q("none", "thuy san"),
    _q("none", "bua an|giua ca"),
    _q("none", "cham cong"),
    _q("none", "doan vien nu"),
    # Partial diacritics: judged by what they mean ------------------------------------------------
    Query("partial", "phụ cap ca đem", means="phụ cấp|ca đêm"),
    Query("partial", "đoàn vien nu", means="đoàn viên nữ"),
    Query("partial", "cong đoạn", means="công đoạn"),
    Query("partial", "phạt tien", means="phạt tiền"),
    Query("partial", "kham sức khoẻ đinh ky", means="khám|sức khỏe|định kỳ"),
    Query("partial", "bữa an giữa ca", means="bữa ăn|giữa ca"),
    Query("partial", "thoa thuận", means="thỏa thuận"),
    # Typos: one slip at most per syllable (swapped, missing, doubled, extra, Telex/VNI) -----------
    Query("typo", "doan vein nu", means="doan vien nu"),
    Query("typo", "phu cpa ca dem", means="phu cap|ca dem"),
    Query("typo", "ddoan vien nu", means="đoàn viên nữ"),
    Query("typo", "nguoi lao dogn", means="nguoi lao dong"),
    Query("typo", "tro cap thoi viecc", means="tro cap|thoi viec"),
    Query("typo", "kham suc khoe din ky", means="kham|suc khoe|dinh ky"),
    Query("typo", "bua an giuaa ca", means="bua an|giua ca"),
    Query("typo", "hoaf giari vieen", means="hòa giải viên"),
    Query("typo", "xe dua donn cong nhan", means="xe dua don|cong nhan"),
    Query("typo", "thuy sna", means="thuy san"),
    Query("typo", "phạt tiềnn", means="phạt tiền"),
    Query("typo", "công đoạnh", means="công đoạn"),
    Query("typo", "ca de6m", means="ca đêm"),
    Query("typo", "chamm cong", means="cham cong"),
    # Phrases (quoted and unquoted) -----------------------------------------------------------------
    _q("phrase", '"ban chấp hành công đoàn cơ sở"'),
    _q("phrase", "ban chấp hành|công đoàn|cơ sở"),
    _q("phrase", '"bữa ăn giữa ca"'),
    _q("phrase", "bữa ăn|giữa ca"),
    _q("phrase", "xe đưa đón|công nhân"),
    _q("phrase", '"tro cap thoi viec"'),
    _q("phrase", "trợ cấp|thôi việc"),
    _q("phrase", "khám|sức khỏe|định kỳ"),
    _q("phrase", '"nhà trọ công nhân"'),
    _q("phrase", "hội nghị|người lao động"),
    _q("phrase", '"máy chấm công"'),
    # Abbreviations: either spelling is the same intent --------------------------------------------
    Query("abbrev", "CĐCS", forms=("công đoàn cơ sở",)),
    Query("abbrev", "NLĐ", forms=("người lao động",)),
    Query("abbrev", "LĐLĐ", forms=("liên đoàn lao động",)),
    Query("abbrev", "BCH", forms=("ban chấp hành",)),
    Query("abbrev", "TƯLĐTT", forms=("thỏa ước lao động tập thể",)),
    Query("abbrev", "BHXH", forms=("bảo hiểm xã hội",)),
    Query("abbrev", "ATVSLĐ", forms=("an toàn vệ sinh lao động",)),
    Query("abbrev", "HĐLĐ", forms=("hợp đồng lao động",)),
    Query("abbrev", "KCN", forms=("khu công nghiệp",)),
    Query("abbrev", "cdcs", forms=("cong doan co so",)),
    Query("abbrev", "BCH CĐCS", intent="bch|cđcs",
          forms=("ban chấp hành|công đoàn cơ sở", "bch|công đoàn cơ sở", "ban chấp hành|cđcs")),
    Query("abbrev", "thỏa ước lao động tập thể", forms=("tưlđtt",)),
    # Mixed Vietnamese / English -----------------------------------------------------------------
    _q("mixed", "KPI"),
    _q("mixed", "đánh giá|KPI"),
    _q("mixed", "họp|online"),
    _q("mixed", "app|công đoàn"),
    _q("mixed", "nhóm|Zalo"),
    _q("mixed", "startup"),
    _q("mixed", "tiền|OT"),
    Query("mixed", "check-in", intent="check in"),
    _q("mixed", "email|công đoàn"),
    _q("mixed", "lương net"),
    _q("mixed", "app|cham cong"),
]
