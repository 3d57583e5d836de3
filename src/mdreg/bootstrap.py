"""Open a registry on a backend named by URL."""

from __future__ import annotations

from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.clock import Clock
from mdreg.errors import ValidationError
from mdreg.rules import BASE_POLICY, Policy
from mdreg.service.ids import IdGenerator
from mdreg.service.registry import Registry


def open(
    url: str = "memory://",
    *,
    clock: Clock | None = None,
    policy: Policy = BASE_POLICY,
    ids: IdGenerator | None = None,
) -> Registry:
    """Open a registry.

    ``memory://`` is a complete in-memory backend (atomic commits, rollback, invariants).

    >>> import mdreg
    >>> mdreg.open("memory://")
    Registry('memory://', policy='base')
    """
    if url.startswith("memory://"):
        store = MemoryStore()
        return Registry(lambda: InMemoryUnitOfWork(store), clock=clock, policy=policy, ids=ids,
                        url=url)
    raise ValidationError("url", f"unsupported database URL scheme in {url.split(':', 1)[0]!r}",
                          field_label="数据库地址")
