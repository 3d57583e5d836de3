"""Identifier generation: random by default, deterministic when seeded (simulations, tests)."""

from __future__ import annotations

import random
import secrets
from typing import Protocol


class IdGenerator(Protocol):
    """Makes new ids and practice-certificate numbers."""

    def new(self, prefix: str) -> str: ...

    def certificate_no(self) -> str: ...


class RandomIds:
    """Unpredictable ids from :mod:`secrets`."""

    def new(self, prefix: str) -> str:
        return f"{prefix}{secrets.token_hex(8)}"

    def certificate_no(self) -> str:
        return "".join(secrets.choice("0123456789") for _ in range(15))


class SequentialIds:
    """Readable, reproducible ids: ``A000001``, ``R000002`` …

    >>> ids = SequentialIds()
    >>> ids.new("A"), ids.new("R"), ids.certificate_no()
    ('A000001', 'R000002', '110000000000003')
    """

    def __init__(self, seed: int | None = None) -> None:
        self._n = 0
        self._rng = random.Random(seed) if seed is not None else None  # noqa: S311 - not secret

    def new(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:06d}"

    def certificate_no(self) -> str:
        self._n += 1
        return f"11{self._n:013d}"
