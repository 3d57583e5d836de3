"""重试 — one named rule for running an operation again after a transient error.

A :class:`Retry` runs an operation up to ``attempts`` times in all, again only after one of the
named exception types, at once (no wait: the error means another writer has already moved the
state on), and re-raises the last error when it gives up. Any other exception propagates from
the first run. Built on `tenacity <https://tenacity.readthedocs.io>`_.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import attrs
import tenacity

T = TypeVar("T")


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, not {value}")


@attrs.frozen
class Retry:
    """Run an operation again after one of ``on``, up to ``attempts`` runs in all.

    >>> runs = []
    >>> def flaky():
    ...     runs.append(1)
    ...     if len(runs) < 3:
    ...         raise TimeoutError
    ...     return len(runs)
    >>> Retry(attempts=5, on=(TimeoutError,)).call(flaky)
    3
    """

    attempts: int = attrs.field(validator=_positive)
    on: tuple[type[BaseException], ...]

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()``, run again after an error of the named types; the last such error is
        raised after ``attempts`` runs. Any other error is raised at once."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            retry=tenacity.retry_if_exception_type(self.on),
            reraise=True,
        )
        return retrying(fn)
