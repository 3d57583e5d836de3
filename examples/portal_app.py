"""A small portal on FastAPI: a physician submits, the institution confirms, the department approves.

The application's version travels as an ETag; a command must send it back in ``If-Match``, so two
clerks acting on the same application cannot overwrite each other (412 for a stale version).
Authentication is out of scope here: the acting party comes from headers a real portal would fill
from its session.

    python examples/portal_app.py          # runs the walk-through below against the app in-process
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

import mdreg
from mdreg import Actor, MdregError, RegistrationRequest
from mdreg.domain.application import ActorKind
from mdreg.errors import (
    ConcurrencyConflict,
    IneligibleError,
    NotFoundError,
    PermissionDenied,
    TransitionNotAllowed,
)
from mdreg.infra.serialization import unstructure
from mdreg.testing import World

STATUS = {ConcurrencyConflict: 412, IneligibleError: 422, NotFoundError: 404,
          PermissionDenied: 403, TransitionNotAllowed: 409}


class Submission(BaseModel):
    institution_id: str
    qualification_no: str
    scopes: list[str]


class Decision(BaseModel):
    reason: str = ""


def create_app(registry: mdreg.Registry) -> FastAPI:
    app = FastAPI(title="mdreg portal example")

    def actor(kind: str, party: str) -> Actor:
        try:
            return Actor(ActorKind(kind), party)
        except ValueError:
            raise HTTPException(400, f"unknown actor kind {kind!r}") from None

    def answer(application: mdreg.Application, response: Response) -> dict[str, Any]:
        response.headers["ETag"] = f'"{application.version}"'
        return {"id": application.id, "state": application.state, "version": application.version}

    def problem(error: MdregError) -> HTTPException:
        status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
        detail: dict[str, Any] = {"label": error.label, "message": error.message}
        if isinstance(error, IneligibleError):
            detail["violations"] = [unstructure(v) for v in error.violations]
        return HTTPException(status, detail)

    @app.post("/applications", status_code=201)
    def submit(body: Submission, response: Response,
               x_actor_kind: Annotated[str, Header()], x_actor_id: Annotated[str, Header()]
               ) -> dict[str, Any]:
        request = RegistrationRequest(body.institution_id, body.qualification_no, tuple(body.scopes))
        try:
            created = registry.apply(actor(x_actor_kind, x_actor_id), request)
        except MdregError as error:
            raise problem(error) from None
        return answer(created, response)

    @app.get("/applications/{application_id}")
    def show(application_id: str, response: Response) -> dict[str, Any]:
        try:
            return answer(registry.application(application_id), response)
        except MdregError as error:
            raise problem(error) from None

    @app.post("/applications/{application_id}/{event}")
    def fire(application_id: str, event: str, body: Decision, response: Response,
             x_actor_kind: Annotated[str, Header()], x_actor_id: Annotated[str, Header()],
             if_match: Annotated[str, Header()]) -> dict[str, Any]:
        try:
            version = int(if_match.strip('"'))
        except ValueError:
            raise HTTPException(400, "If-Match must carry the application's ETag") from None
        try:
            fired = registry.fire(application_id, event, actor(x_actor_kind, x_actor_id),
                                  reason=body.reason, expected_version=version)
        except MdregError as error:
            raise problem(error) from None
        return answer(fired, response)

    return app


def demo_client() -> tuple[TestClient, World]:
    """An in-memory registry with one hospital and one physician, and a client for the app."""
    # a fixed date: the deadlines of an acceptance need the calendar year it reaches
    clock = mdreg.FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    registry = mdreg.open("memory://", ids=mdreg.SequentialIds(), clock=clock)
    world = World(registry)
    return TestClient(create_app(registry)), world


def main() -> None:
    client, world = demo_client()
    hospital, doctor = world.institution("110105"), world.physician()
    as_doctor = {"X-Actor-Kind": "physician", "X-Actor-Id": doctor.id}
    created = client.post("/applications", headers=as_doctor, json={
        "institution_id": hospital.id, "qualification_no": doctor.qualifications[0].certificate_no,
        "scopes": ["内科专业"]})
    app_id, etag = created.json()["id"], created.headers["ETag"]
    print("submitted:", created.status_code, created.json()["state"], "ETag", etag)
    steps = [("confirm", "institution", hospital.id), ("accept", "authority", hospital.approved_by),
             ("approve", "authority", hospital.approved_by)]
    for event, kind, party in steps:
        done = client.post(f"/applications/{app_id}/{event}", json={},
                           headers={"X-Actor-Kind": kind, "X-Actor-Id": party, "If-Match": etag})
        etag = done.headers["ETag"]
        print(f"{event}:", done.status_code, done.json()["state"], "ETag", etag)
    stale = client.post(f"/applications/{app_id}/approve", json={}, headers={
        "X-Actor-Kind": "authority", "X-Actor-Id": hospital.approved_by, "If-Match": '"2"'})
    print("a stale If-Match:", stale.status_code, stale.json()["detail"]["label"])


if __name__ == "__main__":
    main()
