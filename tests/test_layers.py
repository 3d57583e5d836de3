"""The import graph of mdreg: no cycles, and no import that points up a layer."""

from __future__ import annotations

from pathlib import Path

from mdreg.testing.layers import (
    ALLOWED,
    LAYERS,
    Import,
    cycles,
    import_graph,
    layer_of,
    private_reaches,
    upward,
)

EDGES = import_graph()


def test_no_module_imports_up_a_layer() -> None:
    assert [str(e) for e in upward(EDGES)] == []


def test_there_is_no_import_cycle() -> None:
    assert cycles(EDGES) == ()


def test_the_graph_sees_imports_inside_functions_and_type_checking_blocks(tmp_path: Path) -> None:
    root = tmp_path / "mdreg"
    (root / "rules").mkdir(parents=True)
    (root / "service").mkdir()
    for package in (root, root / "rules", root / "service"):
        (package / "__init__.py").write_text("")
    (root / "rules" / "late.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from mdreg.service import hub\n"
        "def f():\n    from mdreg.service.hub import g\n    return g\n")
    (root / "service" / "hub.py").write_text("from mdreg.rules import late\ndef g(): ...\n")
    edges = import_graph(root)
    assert {(e.source, e.target, e.typing_only) for e in edges} == {
        ("mdreg.rules.late", "mdreg.service.hub", True),
        ("mdreg.rules.late", "mdreg.service.hub", False),
        ("mdreg.service.hub", "mdreg.rules.late", False),
    }
    assert {str(e) for e in upward(edges)} == {"mdreg.rules.late:3 → mdreg.service.hub",
                                               "mdreg.rules.late:5 → mdreg.service.hub"}
    assert cycles(edges) == (("mdreg.rules.late", "mdreg.service.hub"),)


def test_every_module_has_a_layer_and_the_layers_are_ordered() -> None:
    order = list(LAYERS)
    for layer, allowed in ALLOWED.items():
        assert all(order.index(lower) < order.index(layer) for lower in allowed)
    assert layer_of("mdreg.domain.application") == "domain"
    assert layer_of("mdreg.workflows.registration") == "workflows"
    assert isinstance(EDGES[0], Import)


def test_no_module_reaches_into_another_objects_private_names() -> None:
    assert private_reaches() == ()


def test_a_private_reach_is_found(tmp_path: Path) -> None:
    root = tmp_path / "mdreg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from mdreg.b import _hidden\n"
                               "def f(registry):\n    return registry._uow(), _hidden\n")
    (root / "b.py").write_text("class B:\n    def g(self):\n        return self._x\n")
    assert private_reaches(root) == ("mdreg.a:1 from mdreg.b import _hidden",
                                     "mdreg.a:3 registry._uow")
