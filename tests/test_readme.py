"""Every Python block of the README runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_has_python_blocks() -> None:
    assert len(python_blocks(README.read_text(encoding="utf-8"))) >= 3


def test_readme_python_blocks_run(capsys) -> None:
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in python_blocks(README.read_text(encoding="utf-8")):
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README is ours
    out = capsys.readouterr().out
    assert "practice_location.one_primary_institution" in out
    assert "002X" not in out.replace("**************002X", "")
