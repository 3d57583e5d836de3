"""The FastAPI portal example: HTTP status codes for mdreg's typed errors, versions as ETags."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "portal_app", Path(__file__).resolve().parents[1] / "examples" / "portal_app.py")
assert _spec is not None and _spec.loader is not None
portal = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(portal)


@pytest.fixture
def setup():
    client, world = portal.demo_client()
    hospital, doctor = world.institution("110105"), world.physician()
    return client, world, hospital, doctor


def submit(client, doctor, institution_id: str):
    return client.post("/applications", headers={"X-Actor-Kind": "physician", "X-Actor-Id": doctor.id},
                       json={"institution_id": institution_id, "scopes": ["内科专业"],
                             "qualification_no": doctor.qualifications[0].certificate_no})


def test_errors_map_to_http_statuses(setup) -> None:
    client, world, hospital, doctor = setup
    created = submit(client, doctor, hospital.id)
    assert created.status_code == 201
    app_id, etag = created.json()["id"], created.headers["ETag"]
    as_other = {"X-Actor-Kind": "institution", "X-Actor-Id": world.institution("110108").id,
                "If-Match": etag}
    assert client.post(f"/applications/{app_id}/confirm", json={}, headers=as_other).status_code == 403
    as_dept = {"X-Actor-Kind": "authority", "X-Actor-Id": hospital.approved_by, "If-Match": etag}
    assert client.post(f"/applications/{app_id}/approve", json={}, headers=as_dept).status_code == 409
    as_inst = {"X-Actor-Kind": "institution", "X-Actor-Id": hospital.id, "If-Match": '"1"'}
    assert client.post(f"/applications/{app_id}/confirm", json={}, headers=as_inst).status_code == 412
    assert client.get("/applications/nope").status_code == 404
    assert client.get(f"/applications/{app_id}").json()["state"] == "pending_institution"


def test_ineligible_submission_lists_every_violation(setup) -> None:
    client, world, _hospital, doctor = setup
    refused = submit(client, doctor, world.institution("440100").id)
    assert refused.status_code == 201  # a physician may register at a prefecture-coded hospital
    assistant = world.physician(level=portal.mdreg.Level.ASSISTANT)
    refused = submit(client, assistant, world.institution("440100").id)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert [v["rule_id"] for v in detail["violations"]] == ["practice_location.assistant_county"]
    assert detail["label"] == "不符合办理条件"


def test_walk_through_runs(capsys) -> None:
    portal.main()
    out = capsys.readouterr().out
    assert "approve: 200 approved" in out
    assert "412" in out
