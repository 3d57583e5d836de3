"""mdreg's testing kit: hypothesis strategies, a reference-data builder and pytest fixtures.

Registered as a pytest plugin (``-p mdreg.testing.plugin``), it gives tests the ``registry``,
``clock`` and ``world`` fixtures.
"""

from mdreg.testing.builders import World, make_id_number

__all__ = ["World", "make_id_number"]
