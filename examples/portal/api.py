"""The JSON API beside the pages: the same actions with the same session, documented by FastAPI
at ``/api/docs`` (OpenAPI at ``/api/openapi.json``).

``POST /api/session`` logs in (a JSON body: a cross-site form cannot send one) and answers the
session's CSRF token; every other unsafe request sends it back in ``X-CSRF-Token``. An
application's version travels as its ETag; ``If-Match`` on an event refuses a stale one (409).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel, Field

import mdreg

from . import forms
from .auth import CSRF_FIELD, LoginRefused, check_csrf

if TYPE_CHECKING:
    from .app import Portal


class Login(BaseModel):
    login_name: str
    password: str


class Session(BaseModel):
    kind: str = Field(description="physician, institution or authority")
    party: str
    display: str
    csrf_token: str


class Submission(BaseModel):
    business: str = Field(description="a business type's value: registration, change, filing …")
    fields: dict[str, str | list[str] | bool] = Field(
        description="the payload's fields, as on the page's form",
        examples=[{"institution_id": "I13001", "qualification_no": "201911110105001",
                   "scopes": ["内科专业"]}])


class Decision(BaseModel):
    reason: str = ""
    corrections: list[str] = []


class ApplicationOut(BaseModel):
    id: str
    business: str
    business_label: str
    state: str
    state_label: str
    version: int
    institution_id: str
    department_id: str
    reason: str
    next_events: list[str] = []
    notices: list[str] = []


class WorkItemOut(BaseModel):
    application: ApplicationOut
    due: date | None
    overdue: bool


class NoticeOut(BaseModel):
    id: str
    title: str
    text: str


def router(portal: Portal) -> APIRouter:
    api = APIRouter(tags=["api"])
    registry = portal.registry
    guarded = [Depends(check_csrf)]

    def out(who: Any, application: mdreg.Application, response: Response | None = None
            ) -> ApplicationOut:
        definition = forms.declaration_for(application.type).definition
        if response is not None:
            response.headers["ETag"] = f'"{application.version}"'
        return ApplicationOut(
            id=application.id, business=application.type.value,
            business_label=application.type.label, state=application.state,
            state_label=definition.state(application.state).label, version=application.version,
            institution_id=application.institution_id, department_id=application.department_id,
            reason=application.reason,
            next_events=[e.id for e in portal.events_for(who, application)],
            notices=[n.id for n in registry.view(who.actor).notices(application.id)])

    @api.post("/session", response_model=Session, responses={401: {}, 429: {}})
    def login(body: Login, request: Request) -> Any:
        try:
            who = portal.login(request, body.login_name, body.password)
        except LoginRefused as refused:
            raise HTTPException(429 if refused.throttled else 401,
                                "too many failed logins" if refused.throttled
                                else "wrong login name or password") from None
        return Session(kind=who.kind, party=who.actor.party_id, display=who.display,
                       csrf_token=request.session[CSRF_FIELD])

    @api.delete("/session", status_code=204, dependencies=guarded)
    def logout(request: Request) -> Response:
        request.session.clear()
        return Response(status_code=204)

    @api.get("/applications", response_model=list[ApplicationOut])
    def my_applications(request: Request) -> Any:
        who = portal.who(request, "physician")
        return [out(who, s.application) for s in registry.view(who.actor).my_applications()]

    @api.post("/applications", status_code=201, response_model=ApplicationOut,
              dependencies=guarded)
    def submit(body: Submission, request: Request, response: Response) -> Any:
        who = portal.who(request, "physician")
        kind = forms.business(body.business)
        created = registry.apply(who.actor, forms.build(kind, body.fields))
        portal.deliver()
        return out(who, created, response)

    @api.get("/applications/{application_id}", response_model=ApplicationOut)
    def show(application_id: str, request: Request, response: Response) -> Any:
        who = portal.who(request)
        return out(who, registry.view(who.actor).application(application_id), response)

    @api.post("/applications/{application_id}/events/{event}", response_model=ApplicationOut,
              dependencies=guarded)
    def fire(application_id: str, event: str, body: Decision, request: Request,
             response: Response, if_match: Annotated[str | None, Header()] = None) -> Any:
        who = portal.who(request)
        registry.view(who.actor).application(application_id)  # 404 outside the actor's view
        version = None
        if if_match is not None:
            try:
                version = int(if_match.strip('"'))
            except ValueError:
                raise mdreg.ValidationError("if_match", "must be an ETag of this API",
                                            field_label="If-Match") from None
        fired = registry.fire(application_id, event, who.actor, reason=body.reason,
                              corrections=tuple(body.corrections), expected_version=version)
        portal.deliver()
        return out(who, fired, response)

    @api.get("/work-list", response_model=list[WorkItemOut])
    def work_list(request: Request, overdue: bool = False) -> Any:
        who = portal.who(request, "institution", "authority")
        where = mdreg.WorkFilter(overdue=True) if overdue else None
        page = registry.view(who.actor).work_list(where, limit=100)
        return [WorkItemOut(application=out(who, i.application), due=i.due, overdue=i.overdue)
                for i in page.items]

    @api.get("/notices/{notice_id}", response_model=NoticeOut)
    def notice(notice_id: str, request: Request) -> Any:
        who = portal.who(request)
        found = registry.view(who.actor).notice(notice_id)
        return NoticeOut(id=found.id, title=found.title, text=found.text)

    return api
