"""Run a handful of 注册 (registration) applications through their whole life and print what happened.

    python examples/registration_demo.py
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import mdreg
from mdreg import Actor, Evidence, Level, Record, RecordKind, RegistrationRequest
from mdreg.testing import World


def main() -> None:
    clock = mdreg.FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    registry = mdreg.open("memory://", clock=clock, ids=mdreg.SequentialIds())
    world = World(registry)
    beijing = world.institution("110105")  # 北京市朝阳区
    shanghai = world.institution("310104")  # 上海市徐汇区
    county = world.institution("441900")  # 东莞市 (county-level city)

    doctor = world.physician()
    assistant = world.physician(level=Level.ASSISTANT)
    late = world.physician(qualified_on=date(2021, 7, 1))
    sentenced = world.physician(
        records=(Record(RecordKind.CRIMINAL_SENTENCE, date(2020, 1, 1), date(2025, 6, 30)),),
        qualified_on=date(2019, 9, 1),
    )

    def run(physician: mdreg.Physician, institution: mdreg.Institution,
            evidence: Evidence | None = None) -> None:
        request = RegistrationRequest(
            institution.id, physician.qualifications[0].certificate_no, ("内科专业",),
            evidence=evidence or Evidence(),
        )
        try:
            app = registry.apply(Actor.physician(physician.id), request)
            institution_actor = Actor.institution(institution.id, user="人事科")
            app = registry.fire(app.id, "confirm", institution_actor)
            department = Actor.authority(app.department_id, user="审批员")
            app = registry.fire(app.id, "accept", department)
            app = registry.fire(app.id, "approve", department)
        except mdreg.IneligibleError as refused:
            print(f"{physician.id} {physician.id_number}: 不符合注册条件 (refused)")
            for violation in refused.violations:
                print(f"    - {violation.rule_id}: {violation.message} — "
                      f"{'; '.join(str(c) for c in violation.citations)}")
            return
        registration = registry.registrations(physician.id)[-1]
        print(f"{physician.id} {physician.id_number}: {app.state} after "
              f"{len(registry.history(app.id))} steps; practice location "
              f"{registration.location} ({registration.level.label}), "
              f"primary {registration.primary_institution_id}")

    run(doctor, beijing)
    run(doctor, shanghai)  # a second province: allowed for 执业医师
    run(doctor, beijing)  # the same location again: refused
    run(assistant, county)
    run(late, beijing)  # qualified > 2 years ago, no evidence: refused
    run(late, beijing, Evidence(training_months=6, assessment_passed=True))
    run(sentenced, shanghai)  # sentence completed < 2 years ago: refused

    app = registry.apply(Actor.physician(assistant.id),
                         RegistrationRequest(beijing.id, assistant.qualifications[0].certificate_no,
                                             ("内科专业",)), submit=False)
    registry.fire(app.id, "withdraw", Actor.physician(assistant.id))
    print(f"{assistant.id}: a draft withdrawn -> {registry.application(app.id).state}")
    print(f"audit events written: {registry.audit_count()}")


if __name__ == "__main__":
    main()
