"""The one HTML builder both reports use (fitwell.report._html): escaping, elements,
tables, lists, embedded PNG figures and the document around them."""

from __future__ import annotations

import base64
import re

from fitwell.report._html import (
    Cell,
    Markup,
    Row,
    bullets,
    document,
    element,
    escape,
    png_figure,
    table,
    write_page,
)


def test_escape_escapes_text_and_leaves_markup_alone():
    assert escape('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert escape(3.5) == "3.5"
    assert escape(Markup("<b>bold</b>")) == "<b>bold</b>"


def test_element_keeps_attribute_order_and_drops_empty_ones():
    assert element("section", "x", id="run-1", class_="card") == \
        '<section id="run-1" class="card">x</section>'
    assert element("td", "<1>", class_=None, colspan=None) == "<td>&lt;1&gt;</td>"
    assert element("a", "go", href='#"q"') == '<a href="#&quot;q&quot;">go</a>'
    nested = element("p", element("b", "<i>"))
    assert nested == "<p><b>&lt;i&gt;</b></p>" and isinstance(nested, Markup)


def test_table_with_classes_spans_and_no_head():
    html = table(["name", Cell("score", "num")],
                 [Row([Cell(Markup("<a>x</a>"), "name"), Cell("99%", "num")], "main"),
                  Row([Cell("why <not>", colspan=2)], "message"),
                  ["plain", 1]])
    assert html == ('<table><thead><tr><th>name</th><th class="num">score</th></tr></thead>'
                    '<tbody><tr class="main"><td class="name"><a>x</a></td>'
                    '<td class="num">99%</td></tr><tr class="message"><td colspan="2">why '
                    "&lt;not&gt;</td></tr><tr><td>plain</td><td>1</td></tr></tbody></table>")
    assert table((), [["k", "v"]]) == "<table><tbody><tr><td>k</td><td>v</td></tr></tbody></table>"


def test_bullets_with_and_without_classes():
    assert bullets(["a", "<b>"]) == "<ul><li>a</li><li>&lt;b&gt;</li></ul>"
    assert bullets(["up", "down"], class_="facts", item_classes=["helps", None]) == \
        '<ul class="facts"><li class="helps">up</li><li>down</li></ul>'


def test_png_figure_embeds_the_bytes_and_captions_them():
    png = b"\x89PNG\r\n\x1a\nfake"
    html = png_figure(png, 'loss of "a" < b', width=518)
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(data) == png
    assert html.startswith('<figure style="max-width:518px"><img ')
    assert 'width="518" alt="loss of &quot;a&quot; &lt; b">' in html
    assert html.endswith("<figcaption>loss of &quot;a&quot; &lt; b</figcaption></figure>")
    assert "width" not in png_figure(png, "c") and png_figure(png, "c").startswith("<figure><img")


def test_document_is_one_self_contained_page(tmp_path):
    page = document("A <title>", ["<main>", element("h1", "hi"), "</main>"],
                    css="body{margin:0}", head=['<meta name="generator" content="x">'])
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                           '<meta name="generator" content="x">\n<title>A &lt;title&gt;</title>\n'
                           "<style>body{margin:0}</style>\n</head>\n<body>\n<main>\n")
    assert page.endswith("</main>\n</body>\n</html>\n")
    path = write_page(tmp_path / "page.html", page)
    assert path.read_text(encoding="utf-8") == page
