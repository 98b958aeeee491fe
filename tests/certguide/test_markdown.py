import pytest

from certguide.templatetags.certguide_content import render_markdown


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hello **world**", "<p>Hello <strong>world</strong></p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("### Sub", "<h3>Sub</h3>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ('Hi <img src=x onerror="alert(1)">', "&lt;img src=x onerror="),
        ("<div>block</div>", "<p>&lt;div&gt;block&lt;/div&gt;</p>"),
        ("[x](javascript:alert(1))", '<a rel="noopener noreferrer">x</a>'),
        ("[site](https://example.com)", '<a href="https://example.com" rel="noopener noreferrer">'),
        ("# Big", "Big"),
    ],
)
def test_markdown_is_rendered_and_raw_html_never_survives(source, expected):
    html = render_markdown(source)

    assert expected in html
    assert "<script" not in html
    assert "<img" not in html
    assert "<h1" not in html
