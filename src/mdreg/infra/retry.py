"""重试 — the one way mdreg runs an operation again after a transient error.

A :class:`Retry` runs an operation up to ``attempts`` times in all, again only after one of the
named exception types (narrowed by ``when``), and re-raises the last error when it gives up. Any
other exception propagates from the first run. Without a delay it runs again at once (a lost race:
another writer has already moved the state on); with ``max_delay`` it sleeps a random time in
``[0, min(max_delay, base_delay * 2**n)]`` before the n-th retry (capped exponential backoff with
full jitter: a database that reported a serialization failure or a busy file). Two rules use it:
:data:`mdreg.service.services.RETRY` (a command that lost a race) and
:class:`mdreg.adapters.sql.RetryPolicy` (transient database failures). Built on
`tenacity <https://tenacity.readthedocs.io>`_.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

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
    base_delay: float = 0.0
    max_delay: float = 0.0

    def retries_after(self, error: BaseException) -> bool:
        """Whether ``error`` is one this rule runs the operation again after."""
        return isinstance(error, self.on)

    def delay(self, retry: int) -> float:
        """The wait before the ``retry``-th retry (0 without a delay)."""
        ceiling = min(self.max_delay, self.base_delay * 2**retry)
        return random.uniform(0, ceiling) if ceiling > 0 else 0.0  # noqa: S311 - jitter

    def call(self, fn: Callable[[], T], *, sleep: Callable[[float], Any] = time.sleep,
             on_retry: Callable[[BaseException], None] | None = None,
             on_done: Callable[[int], None] | None = None) -> T:
        """``fn()``, run again after an error :meth:`retries_after` accepts; the last such
        error is raised after ``attempts`` runs. Any other error is raised at once.

        Args:
            sleep: how to wait (tests pass a recorder).
            on_retry: told of each error that is followed by another run.
            on_done: told how many runs there were, however it ended.
        """
        runs = 0

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if on_retry is not None and state.outcome is not None:
                error = state.outcome.exception()
                if error is not None:
                    on_retry(error)

        def counted() -> T:
            nonlocal runs
            runs += 1
            return fn()

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            retry=tenacity.retry_if_exception(self.retries_after),
            wait=lambda state: self.delay(state.attempt_number),
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(counted)
        finally:
            if on_done is not None:
                on_done(runs)
