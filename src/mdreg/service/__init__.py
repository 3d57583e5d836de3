"""The service layer: the :class:`Registry` facade and its command handlers."""

from mdreg.service.registry import Registry

__all__ = ["Registry"]
