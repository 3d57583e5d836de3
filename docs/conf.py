"""Sphinx configuration; the reference pages are generated from the code at build time.

The build needs no network: diagrams are drawn by the copy of mermaid in ``_static/mermaid``
(extension ``_ext/mermaid_local.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

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

write_pages(str(HERE / "reference"))
