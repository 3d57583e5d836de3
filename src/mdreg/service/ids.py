"""Identifier generation: random by default, deterministic when seeded (simulations, tests)."""

from __future__ import annotations

import secrets

from mdreg.ports import IdGenerator

__all__ = ["IdGenerator", "RandomIds", "SequentialIds"]


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

    def __init__(self, worker: int = 0) -> None:
        if not 0 <= worker <= 9:
            raise ValueError("worker must be 0-9")
        self._n = 0
        self._worker = worker

    def new(self, prefix: str) -> str:
        """``A000001``; worker N > 0 (processes sharing one database) gives ``AN-000001``."""
        self._n += 1
        return f"{prefix}{self._worker}-{self._n:06d}" if self._worker else f"{prefix}{self._n:06d}"

    def certificate_no(self) -> str:
        self._n += 1
        return f"1{self._worker + 1}{self._n:013d}"
