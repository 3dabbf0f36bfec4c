"""The HTML both reports are built from: escaping, elements, tables, lists, figures embedded
as base64 PNGs, and the self-contained document around them.

Every function returns :class:`Markup` (text that is already HTML) and escapes whatever
else it is given, so a run name such as ``"<b>"`` is shown, never interpreted. A page has
its styles inline and its images as ``data:`` URIs: no external resource, no JavaScript.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._files import write_text

__all__ = ["Markup", "Cell", "Row", "escape", "element", "table", "bullets", "png_figure",
           "document", "write_page"]


class Markup(str):
    """Text that is already HTML: :func:`escape` leaves it as it is."""


def escape(value) -> str:
    """``value`` as HTML text (``&``, ``<``, ``>`` and quotes escaped), unless it is
    :class:`Markup`."""
    if isinstance(value, Markup):
        return value
    return html.escape(str(value), quote=True)


def _attributes(attributes):
    return "".join(f' {name.removesuffix("_")}="{escape(value)}"'
                   for name, value in attributes.items() if value)


def element(tag, content="", **attributes) -> Markup:
    """``<tag name="value" ...>content</tag>``, content and values escaped.

    Attributes keep their order; ``class_`` is written ``class``; those whose value is
    ``None`` or empty are left out.
    """
    return Markup(f"<{tag}{_attributes(attributes)}>{escape(content)}</{tag}>")


@dataclass(frozen=True)
class Cell:
    """A table cell with a class or a column span; a plain value is a cell without them."""

    content: object
    css_class: str | None = None
    colspan: int | None = None


@dataclass(frozen=True)
class Row:
    """A table row with a class; a plain sequence of cells is a row without one."""

    cells: Sequence
    css_class: str | None = None


def _cell(tag, cell):
    if not isinstance(cell, Cell):
        cell = Cell(cell)
    return element(tag, cell.content, class_=cell.css_class, colspan=cell.colspan)


def table(header, rows) -> Markup:
    """A table with one head row (or none).

    Parameters
    ----------
    header : sequence of cells
        Values or :class:`Cell`; when empty, the table has no head.
    rows : sequence of rows
        Each a sequence of cells or a :class:`Row`.

    Returns
    -------
    Markup
    """
    head = "".join(_cell("th", cell) for cell in header)
    head = f"<thead><tr>{head}</tr></thead>" if header else ""
    body = []
    for row in rows:
        if not isinstance(row, Row):
            row = Row(row)
        body.append(element("tr", Markup("".join(_cell("td", cell) for cell in row.cells)),
                            class_=row.css_class))
    return Markup(f"<table>{head}<tbody>{''.join(body)}</tbody></table>")


def bullets(items, *, class_=None, item_classes=None) -> Markup:
    """An unordered list; ``item_classes`` gives each item its class (``None`` for none)."""
    item_classes = item_classes if item_classes is not None else [None] * len(items)
    entries = "".join(element("li", item, class_=item_class)
                      for item, item_class in zip(items, item_classes, strict=True))
    return element("ul", Markup(entries), class_=class_)


def png_figure(png: bytes, caption, *, width=None) -> Markup:
    """A figure with the PNG embedded as a ``data:`` URI and ``caption`` under it (and as
    its alternative text); ``width`` (CSS pixels) is its natural and greatest width."""
    data = base64.b64encode(png).decode("ascii")
    style = None if width is None else f"max-width:{width}px"
    image = (f'<img src="data:image/png;base64,{data}"{_attributes({"width": width})} '
             f'alt="{escape(caption)}">')
    return element("figure", Markup(image + element("figcaption", caption)), style=style)


def document(title, body, *, css, head=()) -> str:
    """A complete page: ``<head>`` with ``head`` (markup), the title and ``css`` inline,
    then the ``body`` parts, one per line."""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', *head,
        f"<title>{escape(title)}</title>", f"<style>{css}</style>", "</head>", "<body>",
        *body, "</body>", "</html>"]) + "\n"


def write_page(path, page) -> Path:
    """Write ``page`` to ``path`` as UTF-8, atomically; returns the path."""
    path = Path(path)
    write_text(path, page)
    return path
