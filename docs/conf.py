"""Sphinx configuration; the reference pages are generated from the code at build time.

The build needs no network: diagrams are drawn by the copy of mermaid in ``_static/mermaid``
(extension ``_ext/mermaid_local.py``).
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import attrs

from mdreg import __version__
from mdreg.reference import write_pages

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

project = "mdreg"
release = __version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.doctest",
              "mermaid_local"]
myst_fence_as_directive = ["mermaid"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext", "_static"]
html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["mdreg.css"]
language = "zh_CN"
#: Signatures show defaults as written in the source (``policy=BASE_POLICY``), not their repr.
autodoc_preserve_defaults = True

write_pages(str(HERE / "reference"))


class _Shown:
    """A default as a signature shows it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _generated_defaults(app: Any, obj: Any, bound_method: bool) -> None:
    """Code attrs generates (``__init__``) has no source to preserve defaults from: show the
    values themselves, and ``list()`` for a default made by the factory ``list``."""
    code = getattr(obj, "__code__", None)
    if code is None or not code.co_filename.startswith("<"):
        return
    vars(obj).pop("__signature__", None)
    fields = obj.__globals__.get("attr_dict", {})
    signature = inspect.signature(obj)
    obj.__signature__ = signature.replace(parameters=[
        p.replace(default=_Shown(_factory(fields.get(p.name)))) if p.default is attrs.NOTHING else p
        for p in signature.parameters.values()])


def _factory(field: Any) -> str:
    name = getattr(getattr(getattr(field, "default", None), "factory", None), "__name__", "")
    return f"{name}()" if name.isidentifier() else "..."


def setup(app: Any) -> None:
    app.connect("autodoc-before-process-signature", _generated_defaults)
