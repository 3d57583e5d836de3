"""文书 — printable documents: notices and application forms, rendered with Jinja2.

A :class:`Document` is what a document says, in parts the templates lay out: a title, a number,
the addressee, labelled fields, sections (paragraphs, numbered items, a checklist, a table), the
issuer and the date. :func:`render_html` makes a page to print (A4, print CSS, every value
escaped); :func:`render_text` the same as plain text. The templates ship in the package
(``mdreg/infra/templates``).

>>> doc = Document("受理通知书", "acceptance receipt", "N1", "张三：",
...                (Field("申请编号", "A1", "application"),),
...                (Section("说明", paragraphs=("<b>不是标记</b>",)),), "某卫生健康委员会",
...                date(2026, 3, 2))
>>> "&lt;b&gt;不是标记&lt;/b&gt;" in render_html(doc)
True
>>> print(render_text(doc), end="")
受理通知书
acceptance receipt
编号：N1
<BLANKLINE>
张三：
<BLANKLINE>
申请编号 (application)：A1
<BLANKLINE>
【说明】
<b>不是标记</b>
<BLANKLINE>
某卫生健康委员会
2026年03月02日
"""

from __future__ import annotations

from datetime import date
from functools import cache

import attrs
import jinja2


@attrs.frozen
class Field:
    """A labelled value (申请编号：A1)."""

    label: str
    value: str
    english: str = ""


@attrs.frozen
class Section:
    """A part of a document under a heading: paragraphs, numbered ``items``, a ``checklist``
    (boxes to tick on paper), and a table of ``rows`` under ``columns``."""

    heading: str
    english: str = ""
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@attrs.frozen
class Document:
    """What a printable document says; see the module's docstring."""

    title: str
    english: str
    number: str
    addressee: str
    fields: tuple[Field, ...]
    sections: tuple[Section, ...]
    issuer: str
    issued_on: date
    copies: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()


@cache
def environment() -> jinja2.Environment:
    """The templates' environment: autoescape on for HTML, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mdreg.infra", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",),
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False)


def render_html(document: Document) -> str:
    """The document as a printable HTML page (UTF-8, A4, print CSS)."""
    return environment().get_template("document.html").render(doc=document)


def render_text(document: Document) -> str:
    """The document as plain text, ending in one newline."""
    return environment().get_template("document.txt").render(doc=document).rstrip("\n") + "\n"


@attrs.frozen
class Printable:
    """A rendered document: its title, plain ``text`` and printable ``html`` (neither in
    ``repr``)."""

    title: str
    text: str = attrs.field(repr=False)
    html: str = attrs.field(repr=False)

    @classmethod
    def of(cls, document: Document) -> Printable:
        return cls(document.title, render_text(document), render_html(document))
