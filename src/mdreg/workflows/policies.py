"""政策引用 — finding a policy by reference: ``base``, a module attribute or a file, at a date.

>>> policy, on = resolve("base@2021-06-01")
>>> policy.name, on
('base', datetime.date(2021, 6, 1))
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import date
from pathlib import Path
from types import ModuleType

from mdreg.errors import RuleDefinitionError
from mdreg.rules.policy import Policy


def _module(name: str) -> ModuleType:
    """Import a module by dotted name, or load it from a ``.py`` file path."""
    if not name.endswith(".py"):
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(Path(name).stem, name)
    if spec is None or spec.loader is None:
        raise ImportError(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resolve(reference: str) -> tuple[Policy, date | None]:
    """``base``, ``base@2021-06-01``, ``package.module:ATTR[@date]`` or ``file.py:ATTR[@date]``.

    Raises:
        RuleDefinitionError: the reference names no policy, or the date is malformed.
    """
    name, _, day = reference.partition("@")
    try:
        on = date.fromisoformat(day) if day else None
    except ValueError:
        raise RuleDefinitionError(f"bad date in policy reference {reference!r}") from None
    if name == "base":
        from mdreg.workflows import BASE_POLICY

        return BASE_POLICY, on
    # the attribute follows the last colon; a path may hold colons of its own (C:\…)
    module_name, colon, attribute = name.rpartition(":")
    if not colon or not attribute.isidentifier():
        module_name, attribute = name, ""
    try:
        found = getattr(_module(module_name), attribute or "POLICY")
    except (ImportError, AttributeError, ValueError, OSError):
        raise RuleDefinitionError(
            f"no policy at {name!r} (use package.module:ATTRIBUTE or path/to/file.py:ATTRIBUTE)"
        ) from None
    if not isinstance(found, Policy):
        raise RuleDefinitionError(f"{name!r} is not a Policy")
    return found, on
