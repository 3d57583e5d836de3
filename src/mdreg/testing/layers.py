"""分层 — mdreg's layers, which may import which, and the import graph that checks them.

Every module of ``mdreg`` belongs to one layer; a layer imports only itself and the layers listed
for it in :data:`ALLOWED`. The suite builds the import graph of the installed package from its
source — every ``import``, also inside functions — and fails on an import that points up a layer
and on any import cycle (imports under ``if TYPE_CHECKING:`` count for layers, not for cycles:
they never run).

>>> layer_of("mdreg.rules.scope"), layer_of("mdreg.adapters.sql.bulk"), layer_of("mdreg.cli")
('rules', 'adapters', 'entry')
>>> sorted(ALLOWED["workflows"])
['domain', 'ports', 'rules']
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs

import mdreg

#: Layers from the bottom up, with the modules (dotted prefixes, longest match wins) in each.
LAYERS: Mapping[str, tuple[str, ...]] = {
    "domain": ("mdreg.domain", "mdreg.errors"),
    "infra": ("mdreg.infra",),
    "rules": ("mdreg.rules",),
    "ports": ("mdreg.ports",),
    "workflows": ("mdreg.workflows",),
    "adapters": ("mdreg.adapters",),
    "service": ("mdreg.service",),
    "entry": ("mdreg", "mdreg.bootstrap", "mdreg.cli", "mdreg.reference", "mdreg.simulation",
              "mdreg.testing"),
}

#: What each layer may import besides itself.
ALLOWED: Mapping[str, frozenset[str]] = {
    "domain": frozenset(),
    "infra": frozenset({"domain"}),
    "rules": frozenset({"domain"}),
    "ports": frozenset({"domain"}),
    "workflows": frozenset({"domain", "rules", "ports"}),
    "adapters": frozenset({"domain", "infra", "ports"}),
    "service": frozenset({"domain", "infra", "rules", "ports", "workflows"}),
    "entry": frozenset(LAYERS) - {"entry"},
}


def layer_of(module: str) -> str:
    """The layer of a dotted module name of ``mdreg``."""
    best, found = -1, "entry"
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), layer
    return found


@attrs.frozen
class Import:
    """``source`` imports ``target`` at ``line``; ``typing_only`` under ``if TYPE_CHECKING:``."""

    source: str
    target: str
    line: int
    typing_only: bool = False

    def __str__(self) -> str:
        return f"{self.source}:{self.line} → {self.target}"


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST, typing_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, typing_only
        yield from _imports(node, typing_only or _type_checking(node))


def import_graph(root: Path | None = None) -> tuple[Import, ...]:
    """Every import of one ``mdreg`` module by another, read from the source under ``root``
    (the installed package by default)."""
    root = root or Path(mdreg.__file__).parent
    modules = _modules(root)
    edges: list[Import] = []
    for source, path in modules.items():
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]
        for node, typing_only in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node, package, modules):
                if target != source:
                    edges.append(Import(source, target, node.lineno, typing_only))  # type: ignore[attr-defined]
    return tuple(edges)


def _targets(node: ast.AST, package: str, modules: Mapping[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                 for alias in node.names]
    else:
        return
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name.startswith("mdreg"):
            yield name


def upward(edges: tuple[Import, ...]) -> tuple[Import, ...]:
    """The imports that point up a layer (or sideways into a layer not allowed)."""
    return tuple(e for e in edges if layer_of(e.target) != layer_of(e.source)
                 and layer_of(e.target) not in ALLOWED[layer_of(e.source)])


def cycles(edges: tuple[Import, ...]) -> tuple[tuple[str, ...], ...]:
    """The import cycles among modules (strongly connected components of more than one module),
    leaving out imports that only type checkers run."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.typing_only:
            graph.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[tuple[str, ...]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return tuple(found)


#: Private names of other code that may be used: the enum protocol's ``_value_`` and the exit
#: of a forked test worker.
PRIVATE_ALLOWED = frozenset({"member._value_", "os._exit"})


def private_reaches(root: Path | None = None) -> tuple[str, ...]:
    """Every place a module uses another object's private name (``x._name`` for an ``x`` other
    than ``self``, ``cls`` and ``super()``, or ``from m import _name``), outside :data:`PRIVATE_ALLOWED`."""
    root = root or Path(mdreg.__file__).parent
    found = []
    for name, path in _modules(root).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                used = f"{ast.unparse(node.value)}.{node.attr}"
                if ast.unparse(node.value) not in ("self", "cls", "super()") \
                        and used not in PRIVATE_ALLOWED:
                    found.append(f"{name}:{node.lineno} {used}")
            elif isinstance(node, ast.ImportFrom):
                found += [f"{name}:{node.lineno} from {node.module} import {a.name}"
                          for a in node.names if _private(a.name)]
    return tuple(found)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def mermaid() -> str:
    """A mermaid flowchart of the layers and what each may import."""
    lines = ["flowchart BT"]
    lines += [f"  {layer}[\"{layer}<br/>{', '.join(p.removeprefix('mdreg.') for p in prefixes)}\"]"
              for layer, prefixes in LAYERS.items()]
    order = list(LAYERS)
    for layer, allowed in ALLOWED.items():
        if layer == "entry":
            continue
        for lower in sorted(allowed, key=order.index):
            lines.append(f"  {layer} --> {lower}")
    lines.append("  entry --> service & adapters & workflows")
    return "\n".join(lines)
