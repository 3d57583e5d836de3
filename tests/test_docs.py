"""The documentation covers the public API, and cites and links only what exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mdreg
from mdreg.reference import source_label, write_pages

DOCS = Path(__file__).resolve().parent.parent / "docs"


def documented(text: str) -> set[str]:
    """The objects the autodoc directives of ``text`` document."""
    return set(re.findall(r"^\.\. auto(?:class|function|exception|data|module)::\s+(\S+)", text,
                          flags=re.MULTILINE))


def test_every_export_has_an_entry_in_the_api_reference() -> None:
    entries = documented((DOCS / "api.md").read_text(encoding="utf-8"))
    assert sorted(f"mdreg.{name}" for name in mdreg.__all__ if f"mdreg.{name}" not in entries) == []


def test_the_export_check_reads_directives_only() -> None:
    assert documented(".. autoclass:: mdreg.Registry\n   :members:\nsee mdreg.Physician\n"
                      ".. autoexception:: mdreg.errors.PersistenceError\n") == {
        "mdreg.Registry", "mdreg.errors.PersistenceError"}


# -- citations and links -------------------------------------------------------------------------

ROOT = DOCS.parent
#: Files the documentation mentions that the repository has never held.
ABSENT = re.compile(r"domain\.md|RELIABILITY|DESIGN\.md|STYLE(?:\.md| §)|\.\./shared/|domain reference")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
INCLUDE = re.compile(r"^```\{include\}\s+(\S+)", flags=re.MULTILINE)
MENTION = re.compile(r"(?<![\w/.#-])((?:\.\./)*[\w-]+(?:/[\w.-]+)*\.md)\b")
TAG = re.compile(r"\[(S\d+)\](?:\(([^)\s]*)\))?")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, str]:
    """Every Markdown page of the docs, as the build sees it (generated reference pages
    included, at the place the build writes them), and the README."""
    generated = tmp_path_factory.mktemp("reference")
    found = {DOCS / "reference" / name: (generated / name).read_text(encoding="utf-8")
             for name in [*write_pages(str(generated)), "index.md"]}
    found.update({path: path.read_text(encoding="utf-8")
                  for path in [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]})
    return found


def exists(page: Path, target: str, pages: dict[Path, str]) -> bool:
    """Whether ``target``, written on ``page``, names a file of the repository or a generated page
    (a path is read from the page's folder, the repository's root or ``docs``; a page of code
    may name a generated page by its name alone)."""
    bases = [DOCS] if target.startswith("/") else [page.parent, ROOT, DOCS, DOCS / "reference"]
    return any((path := (base / target.lstrip("/")).resolve()) in pages
               or (path.is_relative_to(ROOT) and path.exists()) for base in bases)


def test_every_source_tag_links_to_its_entry_on_the_sources_page(pages: dict[Path, str]) -> None:
    sources = DOCS / "reference" / "sources.md"
    tags, unresolved = 0, []
    for page, text in pages.items():
        for tag, link in TAG.findall(text):
            tags += 1
            target, _, anchor = link.partition("#")
            if not (link and (page.parent / target).resolve() == sources
                    and anchor == source_label(tag) and f"({anchor})=" in pages[sources]):
                unresolved.append(f"{page.name}: [{tag}]({link})")
    assert unresolved == []
    assert tags > 20  # the rule catalogue cites


def test_links_and_includes_name_files_that_exist(pages: dict[Path, str]) -> None:
    missing = [f"{page.name}: {target}" for page, text in pages.items()
               for target in LINK.findall(text) + INCLUDE.findall(text)
               if not re.match(r"[a-z]+:|#", target)
               and not exists(page, target.partition("#")[0], pages)]
    assert missing == []


def test_docs_and_docstrings_mention_no_file_outside_the_repository(pages: dict[Path, str]) -> None:
    texts = dict(pages) | {path: path.read_text(encoding="utf-8")
                           for path in sorted((ROOT / "src" / "mdreg").rglob("*.py"))}
    absent = [f"{path.name}: {match}" for path, text in texts.items()
              for match in ABSENT.findall(text)]
    absent += [f"{path.name}: {name}" for path, text in texts.items()
               for name in MENTION.findall(text) if not exists(path, name, pages)]
    assert absent == []


def test_the_link_checks_find_what_is_missing(tmp_path: Path) -> None:
    page = DOCS / "page.md"
    known = {page: "", DOCS / "reference" / "sources.md": "(source-s1)=\n"}
    assert exists(page, "quickstart.md", known) and exists(page, "/reference/sources.md", known)
    assert not exists(page, "../shared/domain.md", known)
    assert TAG.findall("《法》第一条 [S1] and [S2](sources.md#source-s2)") == [
        ("S1", ""), ("S2", "sources.md#source-s2")]
    assert MENTION.findall("see ``docs/calendar.md`` or domain.md §6, not https://x.org/a.md") == [
        "docs/calendar.md", "domain.md"]
