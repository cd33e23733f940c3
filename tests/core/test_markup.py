"""The one sanitizer: Markdown subset in, allowlisted HTML out."""
from html.parser import HTMLParser

import pytest

from forum.core.markup import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, markup_to_text, render_markup


class ElementCollector(HTMLParser):
    """Collects (tag, attrs) of every element the browser would build."""

    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements_of(html: str):
    collector = ElementCollector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**đậm** và *nghiêng*", "<p><strong>đậm</strong> và <em>nghiêng</em></p>"),
        ("dòng 1\ndòng 2", "<p>dòng 1<br>\ndòng 2</p>"),
        ("đoạn 1\n\nđoạn 2", "<p>đoạn 1</p>\n<p>đoạn 2</p>"),
        ("- một\n- hai", "<ul>\n<li>một</li>\n<li>hai</li>\n</ul>"),
        ("1. một\n2. hai", "<ol>\n<li>một</li>\n<li>hai</li>\n</ol>"),
        ("# không phải tiêu đề", "<p># không phải tiêu đề</p>"),
    ],
)
def test_markdown_subset(source, expected):
    assert render_markup(source) == expected


def test_links_get_safe_rel():
    html = render_markup("[Công đoàn](https://congdoan.vn) và https://laodong.vn/x?a=1")
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://congdoan.vn"' in html and 'href="https://laodong.vn/x?a=1"' in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[bấm](javascript:alert(1))",
        "[bấm](data:text/html;base64,PHNjcmlwdD4=)",
        "<a href='javascript:alert(1)'>x</a>",
        "<svg onload=alert(1)>",
        "<iframe src=https://evil.example></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "[x](vbscript:msgbox(1))",
        "<<script>script>alert(1)<</script>/script>",
    ],
)
def test_attacks_never_become_markup(attack):
    for tag, attrs in elements_of(render_markup(attack)):
        assert tag in ALLOWED_TAGS
        assert set(attrs) <= set(ALLOWED_ATTRIBUTES.get(tag, []))
        if "href" in attrs:
            assert attrs["href"].split(":", 1)[0].lower() in ALLOWED_PROTOCOLS


def test_escaped_attack_text_is_shown_as_text():
    assert render_markup("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_unsafe_link_scheme_is_not_linked():
    assert "<a" not in render_markup("[bấm](javascript:alert(1))")


def test_rendering_is_idempotent_on_its_own_output_text():
    source = "**a** <b>b</b> https://a.vn"
    assert render_markup(source) == render_markup(source)


def test_empty_source_renders_empty():
    assert render_markup("") == ""


@pytest.mark.parametrize("source, text", [
    ("Đề xuất **thành lập** Công đoàn *cơ sở*.", "Đề xuất thành lập Công đoàn cơ sở."),
    ("Hai ý:\n\n- một\n- hai", "Hai ý:\n\n- một\n- hai"),
    ("1. đầu\n2. sau", "1. đầu\n2. sau"),
    ("Xem [trang](https://congdoan.vn) và https://x.vn", "Xem trang (https://congdoan.vn) và https://x.vn"),
    ("Dòng một\ndòng hai\n\nĐoạn hai", "Dòng một\ndòng hai\n\nĐoạn hai"),
    ("<script>alert(1)</script> =1+1", "<script>alert(1)</script> =1+1"),  # text stays text (files neutralise)
    ("", ""),
])
def test_markup_to_text_gives_the_plain_text_of_the_source(source, text):
    assert markup_to_text(source) == text
