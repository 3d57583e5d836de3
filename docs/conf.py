"""Sphinx configuration; the reference pages are generated from the code at build time."""

from __future__ import annotations

from pathlib import Path

from mdreg import __version__
from mdreg.reference import write_pages

project = "mdreg"
release = __version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.doctest", "sphinxcontrib.mermaid"]
myst_fence_as_directive = ["mermaid"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
language = "zh_CN"

write_pages(str(Path(__file__).parent / "reference"))
