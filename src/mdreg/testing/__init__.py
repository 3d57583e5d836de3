"""mdreg's testing kit: hypothesis strategies, a reference-data builder and pytest fixtures.

The pytest plugin (:mod:`mdreg.testing.plugin`, registered when mdreg is installed) gives tests the
``registry``, ``clock``, ``world`` and ``scenario`` fixtures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mdreg.testing.builders import World, make_id_number

__all__ = ["World", "make_id_number"]


def __getattr__(name: str) -> object:
    # imported on first use: pytest imports this package (for the plugin) in every run
    if name in __all__:
        from mdreg.testing import builders

        return getattr(builders, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
