"""The demo deployment: a registry on ``url`` with the demo province, and the portal around it."""

from __future__ import annotations

from fastapi import FastAPI

import mdreg

from . import demo
from .app import create_app
from .phone import DemoPhone


def demo_app(url: str = "sqlite:///portal.sqlite", *,
             settings: mdreg.SecuritySettings | None = None) -> FastAPI:
    """The portal on the demo province in the database at ``url`` (seeded on first use).

    ``settings`` are the accounts' security settings (production Argon2id by default).
    """
    registry = mdreg.open(url)
    if settings is not None:
        registry.accounts = mdreg.Accounts(registry, settings=settings)
    profile = settings.passwords if settings is not None else None
    throttle = settings.throttle if settings is not None else None
    staff = demo.seed(registry, profile=profile, throttle=throttle)
    return create_app(registry, staff, institutions=demo.INSTITUTIONS, phone=DemoPhone())
