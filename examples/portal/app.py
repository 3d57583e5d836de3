"""The portal's web application: pages for the three sides and the JSON API beside them.

``create_app(registry, staff, institutions=...)`` builds it around any :class:`mdreg.Registry`;
``python -m examples.portal`` serves the demo province (see ``docs/portal.md``).

Every page reads through ``registry.view(actor)`` or ``registry.accounts`` with the actor of the
session, so what a page shows is what mdreg lets that actor see: an application outside it is a
404, the same as one that does not exist.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

import mdreg
from mdreg import Actor, MdregError
from mdreg.workflows import declaration_for

from . import api, pages
from .auth import (
    SESSION_MAX_AGE,
    LoginRefused,
    StaffDirectory,
    Who,
    check_csrf,
    csrf_token,
    current,
    start_session,
)
from .phone import DemoPhone, dispatcher
from .responses import problem, status_of

HERE = Path(__file__).parent
ROLE_OF = {"physician": "applicant", "institution": "institution", "authority": "authority"}
class LoginRequired(Exception):
    """The page needs a logged-in user of one of ``kinds``."""


class Forbidden(Exception):
    """The logged-in user is not of the kind the page is for."""


class Portal:
    """What the routes share: the registry, the staff, the institutions offered in forms, the
    demo phone and its dispatcher, the templates."""

    def __init__(self, registry: mdreg.Registry, staff: StaffDirectory,
                 institutions: Sequence[mdreg.Institution], phone: DemoPhone) -> None:
        self.registry = registry
        self.staff = staff
        self.institutions = tuple(institutions)
        self.phone = phone
        self.dispatcher = dispatcher(registry, phone)
        self.templates = Jinja2Templates(directory=HERE / "templates")

    # -- sessions and pages ---------------------------------------------------------------------

    def who(self, request: Request, *kinds: str) -> Who:
        who = current(request)
        if who is None:
            raise LoginRequired
        if kinds and who.kind not in kinds:
            raise Forbidden
        return who

    def page(self, request: Request, template: str, who: Who | None, *, status: int = 200,
             error: dict[str, Any] | None = None, **context: Any) -> HTMLResponse:
        flashes = request.session.pop("flash", [])
        return self.templates.TemplateResponse(request, template, {
            "who": who, "csrf": csrf_token(request), "flashes": flashes, "error": error,
            **context}, status_code=status)

    @staticmethod
    def flash(request: Request, message: str) -> None:
        request.session["flash"] = [*request.session.get("flash", []), message]

    def deliver(self) -> None:
        """Hand what the last command wrote to the outbox to the demo phone."""
        self.dispatcher.run_once()

    def login(self, request: Request, login_name: str, password: str) -> Who:
        """Log in a staff user or a physician; a fresh session either way.

        Raises:
            LoginRefused: wrong name or password, or throttled.
        """
        source = request.client.host if request.client else None
        if login_name in self.staff:
            user = self.staff.login(login_name, password, self.registry.clock.now())
            start_session(request, user.actor(), user.officer, user.party_name)
        else:
            try:
                account = self.registry.accounts.login(login_name, password, source=source)
            except mdreg.LoginThrottled:
                raise LoginRefused(throttled=True) from None
            except mdreg.AuthenticationFailed:
                raise LoginRefused() from None
            physician = self.registry.physician(account.physician_id)
            start_session(request, Actor.physician(account.physician_id), physician.name,
                          account.login_name)
        who = current(request)
        assert who is not None
        return who

    # -- what pages show ------------------------------------------------------------------------

    def institution_name(self, institution_id: str) -> str:
        return next((i.name for i in self.institutions if i.id == institution_id), institution_id)

    def events_for(self, who: Who, application: mdreg.Application) -> tuple[Any, ...]:
        """The events ``who`` may fire on ``application`` now (its buttons)."""
        definition = declaration_for(application.type).definition
        role = ROLE_OF[who.kind]
        return tuple(e for e in definition.allowed(application.state) if e.by.value == role)

    def application_context(self, who: Who, application_id: str) -> dict[str, Any]:
        view = self.registry.view(who.actor)
        application = view.application(application_id)
        physician = view.physician(application.physician_id)
        definition = declaration_for(application.type).definition
        return {
            "app": application, "physician": physician,
            "state_label": definition.state(application.state).label,
            "history": view.history(application_id),
            "notices": view.notices(application_id),
            "events": self.events_for(who, application),
            "institution": self.institution_name(application.institution_id),
            "labels": {e.id: e.label for e in definition.events},
            "materials": declaration_for(application.type).materials,
            "refusal": self.registry.refusal(application_id),
            "rules": {r.id: r for r in self.registry.policy.all_rules()},
        }


def create_app(registry: mdreg.Registry, staff: StaffDirectory, *,
               institutions: Sequence[mdreg.Institution], secret_key: str | None = None,
               https_only: bool = False, phone: DemoPhone | None = None) -> FastAPI:
    """The portal around ``registry``.

    Args:
        staff: the institution and department users.
        institutions: the institutions the application forms offer.
        secret_key: signs the session cookie; default ``MDREG_PORTAL_SECRET`` or, without it, a
            random key per process (sessions end when the process does).
        https_only: mark the session cookie ``Secure`` (behind TLS).
        phone: where the demo delivers messages (a new one by default).
    """
    portal = Portal(registry, staff, institutions, phone or DemoPhone())
    app = FastAPI(title="mdreg 医师电子化注册 reference portal", version=mdreg.__version__,
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json",
                  description="The JSON API beside the portal's pages: the same actions, the same "
                              "session. Unsafe requests carry the session's CSRF token in "
                              "`X-CSRF-Token` (from `POST /api/session`).")
    app.state.portal = portal
    key = secret_key or os.environ.get("MDREG_PORTAL_SECRET") or secrets.token_urlsafe(32)
    app.add_middleware(SessionMiddleware, secret_key=key, session_cookie="mdreg_portal",
                       max_age=SESSION_MAX_AGE, same_site="strict", https_only=https_only)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path.startswith(("/me", "/org", "/dept", "/applications", "/notices",
                                         "/phone", "/recover")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return Response('{"detail": "login required"}', 401, media_type="application/json")
        return RedirectResponse("/login", 303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _: Forbidden) -> Response:
        if request.url.path.startswith("/api/"):
            return Response('{"detail": "forbidden"}', 403, media_type="application/json")
        return portal.page(request, "error.html", current(request), status=403,
                           error={"label": "无权访问", "message": "this page is for another side"})

    @app.exception_handler(MdregError)
    async def mdreg_error(request: Request, error: MdregError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": problem(error)}, status_of(error))
        return portal.page(request, "error.html", current(request), status=status_of(error),
                           error=problem(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": error.detail}, error.status_code)
        label = {403: "请求无效（CSRF 校验失败），请刷新页面后重试", 404: "未找到"}.get(
            error.status_code, "请求无效")
        return portal.page(request, "error.html", current(request), status=error.status_code,
                           error={"label": label, "message": str(error.detail)})

    app.include_router(pages.router(portal), dependencies=[Depends(check_csrf)])
    app.include_router(api.router(portal), prefix="/api")
    return app


__all__ = ["Portal", "create_app", "problem"]
