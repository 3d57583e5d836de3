"""Diagrams without a network: ``{mermaid}`` blocks rendered by a bundled copy of mermaid.

A ``{mermaid}`` directive (and, with ``myst_fence_as_directive``, a ```` ```mermaid ```` fence)
becomes ``<pre class="mermaid">`` holding the diagram's source; pages that have one load
``_static/mermaid/mermaid.min.js`` — mermaid 11.17.2 from the npm registry (``npm pack
mermaid@11``, ``dist/mermaid.min.js``), MIT, licence beside it — which draws it in the browser.
Nothing is fetched from elsewhere. Builders other than HTML show the source as a literal block.
"""

from __future__ import annotations

from html import escape
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from sphinx.application import Sphinx

SCRIPT = "mermaid/mermaid.min.js"
START = "mermaid.initialize({startOnLoad: true});"


class mermaid(nodes.General, nodes.Element):
    """A diagram; ``code`` is its mermaid source, also held as a literal block for other builders."""


class Mermaid(Directive):
    """``{mermaid}``: the content is the diagram; ``:caption:`` is ignored, ``:align:`` too."""

    has_content = True
    optional_arguments = 0
    option_spec: ClassVar[dict[str, Any]] = {"caption": directives.unchanged,
                                             "align": directives.unchanged,
                                             "name": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        code = "\n".join(self.content).strip()
        if not code:
            raise self.error("a mermaid block needs a diagram")
        node = mermaid(code=code)
        node += nodes.literal_block(code, code)
        self.add_name(node)
        return [node]


def visit_html(translator: Any, node: mermaid) -> None:
    translator.body.append(f'<pre class="mermaid">\n{escape(node["code"], quote=False)}\n</pre>\n')
    raise nodes.SkipNode


def pass_through(translator: Any, node: mermaid) -> None:
    """Other builders show the literal block inside."""


def add_script(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
               doctree: nodes.document | None) -> None:
    """Load mermaid on the pages that draw a diagram only."""
    if doctree is not None and any(doctree.findall(mermaid)):
        app.add_js_file(SCRIPT)
        app.add_js_file(None, body=START)


def setup(app: Sphinx) -> dict[str, Any]:
    others = (pass_through, pass_through)
    app.add_node(mermaid, html=(visit_html, None), latex=others, text=others, man=others,
                 texinfo=others)
    app.add_directive("mermaid", Mermaid)
    app.connect("html-page-context", add_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
