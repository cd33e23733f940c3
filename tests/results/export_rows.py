"""Hand-made results for the export tests: a header, ordinary rows, hostile rows and a
lazy generator of many rows (the ranking itself is tested elsewhere)."""
import unicodedata
from datetime import UTC, date, datetime, timedelta

from forum.results.rows import ForumSection, ResultComment, ResultHeader, ResultRow

DIGEST = "a3" * 32
GENERATED_AT = datetime(2023, 11, 30, 10, 5, tzinfo=UTC)  # 17:05 in Vietnam
SUBMITTED_AT = datetime(2023, 11, 2, 2, 30, tzinfo=UTC)  # 09:30 in Vietnam
NFD = unicodedata.normalize("NFD", "Công đoàn")
FORMULAS = ('=HYPERLINK("http://evil.example","bấm")', "+1", "-1+2", "@SUM(1)", "\t=1", "\r=1")
CONTROLS = "a\x00b\x0bc\x1fd\ud800e"
LONG_BODY = "Người lao động " * 1_400  # 21,000 characters


def make_header(numbers=(1, 2), *, frozen=(1,)) -> ResultHeader:
    forums = tuple(
        ForumSection(
            number=number,
            title=f"Tiền lương {number}",
            official_name=f"Diễn đàn số {number}: Tiền lương, thu nhập của người lao động",
            closed_at=datetime(2023, 11, 29, 10, 0, tzinfo=UTC) if number in frozen else None,
            digest=DIGEST if number in frozen else None,
        )
        for number in numbers
    )
    return ResultHeader(
        title="Kết quả hiến kế",
        generated_at=GENERATED_AT,
        forums=forums,
        filters=("Trạng thái: Được tiếp thu",),
        date_from=date(2023, 10, 1),
        date_to=date(2023, 11, 30),
    )


def make_row(rank=1, forum=1, **changes) -> ResultRow:
    values = dict(
        rank=rank,
        forum_number=forum,
        forum_title=f"Tiền lương {forum}",
        theme="Bảo hiểm xã hội",
        proposal_id=1000 * forum + rank,
        title=f"Đề xuất tăng lương tối thiểu vùng số {rank}",
        text="Đoạn một.\n\nĐoạn hai: người lao động ở khu công nghiệp.",
        author="Nguyễn Thị Hằng",
        unit="Công đoàn cơ sở Công ty May Việt Tiến",
        province="Thành phố Hồ Chí Minh",
        supports=40 - rank,
        comments=rank + 2,
        status="accepted",
        status_label="Được tiếp thu",
        answer="Ban soạn thảo đã tiếp thu.",
        url=f"https://hienke.congdoan.vn/proposals/{1000 * forum + rank}",
        submitted_at=SUBMITTED_AT + timedelta(hours=rank),
        co_authors=("Trần Văn Bình",),
        merged_ids=(7, 9),
        supports_by_province={"Đồng Nai": 3, "Hà Nội": 12},
        supports_by_level={"Cơ sở": 10, "Cấp trên trực tiếp cơ sở": 5},
        main_comments=(
            ResultComment(author="Lê Văn Tám", unit="LĐLĐ tỉnh Đồng Nai",
                          created_at=SUBMITTED_AT + timedelta(days=1), text="Đồng ý, cần lộ trình."),
        ),
    )
    values.update(changes)
    return ResultRow(**values)


def ordinary_rows() -> list[ResultRow]:
    """Two ranked proposals in forum 1 (two themes), one in forum 2 with hidden tallies."""
    return [
        make_row(1, 1),
        make_row(2, 1, theme="An toàn lao động", main_comments=(), answer=""),
        make_row(1, 2, supports=None, supports_by_province={"Hà Nội": 1}, supports_by_level={"Cơ sở": 1}),
    ]


TEXT_FIELDS = ("forum_title", "theme", "title", "text", "author", "unit", "province", "status_label", "answer")


def hostile_rows() -> list[ResultRow]:
    """Rows whose every text field carries a formula, control characters, NFD text or a
    very long body."""
    payloads = [*FORMULAS, CONTROLS, NFD, LONG_BODY]
    return [
        make_row(rank, 1, **{name: payload for name in TEXT_FIELDS}, co_authors=(payload,),
                 supports_by_province={payload: 2}, url=f"https://hienke.congdoan.vn/p/{rank}")
        for rank, payload in enumerate(payloads, 1)
    ]


def lazy_rows(count: int):
    """``count`` rows in forum 1, built one at a time."""
    for rank in range(1, count + 1):
        yield make_row(rank, 1, supports=count - rank)


def hostile_header(numbers=(1,)) -> ResultHeader:
    """A header whose every text carries a formula, control characters or NFD text."""
    forums = tuple(
        ForumSection(number=number, title="=1+1" + CONTROLS, official_name="@SUM(1) " + NFD,
                     closed_at=GENERATED_AT, digest=DIGEST)
        for number in numbers
    )
    return ResultHeader(title='=HYPERLINK("http://evil.example")' + CONTROLS, generated_at=GENERATED_AT,
                        forums=forums, filters=("-1+2" + CONTROLS, NFD))
