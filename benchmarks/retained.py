"""retained_memory: bytes of Python memory retained per command after many commands in one
process (tracemalloc), target ≤ 64 B per command; the baseline is 0.

A SQLite registry (the default backend) and 100 physicians, each with one open 注册 application
at a time that goes through a realistic life: apply (submitted) → confirm → accept →
return_to_applicant → resubmit (rules evaluated) → confirm → accept → return_to_applicant →
withdraw — nine commands — after which the physician applies again. Every command is a full unit
of work with its audit event and deadline rows, so a per-command leak (registered transitions
models, caches that grow with ids, …) shows, while no application's history grows without bound
(an application cycled forever would grow its audit trail and deadline history, which is data,
not a leak).

The process runs 100,000 commands (``--quick``: 20,000). tracemalloc slows commands about
threefold, so it traces only the last 20,000 (``--quick``: 5,000): the traced memory is read after
``gc.collect()`` at the start and at the end of each of five equal segments, and retained bytes
per command = growth / commands in the segment. The figure is the median of the segments (the
growth over all of them is reported too). Before tracing starts, the resident set size is
sampled at the same points over the untraced commands, as a coarse cross-check.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from itertools import pairwise
from typing import Any

from benchmarks import command, fixtures
from benchmarks.harness import Context, Reference, Result, median
from mdreg.domain.application import Actor, Evidence, RegistrationRequest

SEGMENTS = 5
#: One application's life after it is submitted: (event, who fires it, reason).
LIFE = (("confirm", "institution", ""), ("accept", "authority", ""),
        ("return_to_applicant", "authority", "请补充材料"), ("resubmit", "applicant", ""),
        ("confirm", "institution", ""), ("accept", "authority", ""),
        ("return_to_applicant", "authority", "请补充材料"), ("withdraw", "applicant", ""))


class Workload:
    """Physicians applying, their applications moving on, one command per :meth:`step`."""

    def __init__(self, registry: Any, physicians: list[Any], institutions: list[Any]) -> None:
        self.registry = registry
        self.requests = []
        for n, physician in enumerate(physicians):
            institution = institutions[n % len(institutions)]
            qualification = physician.qualifications[0]
            scopes = {"clinical": ("内科专业",), "tcm": ("中医专业",)}.get(
                qualification.category.value, ("口腔专业",))
            self.requests.append((physician.id, Actor.institution(institution.id, user="人事科"),
                                  RegistrationRequest(institution.id, qualification.certificate_no,
                                                      scopes, evidence=Evidence(6, True))))
        self.open: list[Any] = [None] * len(physicians)  # (application id, actors, next step)
        self.turn = 0

    def step(self) -> None:
        slot = self.turn % len(self.requests)
        self.turn += 1
        current = self.open[slot]
        if current is None:
            physician_id, staff, request = self.requests[slot]
            app = self.registry.apply(staff, request, physician_id=physician_id)
            actors = {"applicant": staff, "institution": staff,
                      "authority": Actor.authority(app.department_id, user="审批科")}
            self.open[slot] = (app.id, actors, 0)
            return
        app_id, actors, index = current
        event, role, reason = LIFE[index]
        self.registry.fire(app_id, event, actors[role], reason=reason)
        self.open[slot] = None if index + 1 == len(LIFE) else (app_id, actors, index + 1)


def run(ctx: Context) -> list[Result]:
    total = 20_000 if ctx.quick else 100_000
    traced = 5_000 if ctx.quick else 20_000
    pool = 100
    path = fixtures.sqlite_file(ctx.workdir, "retained.db")
    registry, physicians, institutions = command.setup(fixtures.sqlite_url(path), pool)
    workload = Workload(registry, physicians[:pool], institutions)

    def commands(n: int) -> None:
        for _ in range(n):
            workload.step()

    untraced = total - traced
    warmup = min(2_000, untraced // 4)
    commands(warmup)
    rss = [_rss()]
    chunk = (untraced - warmup) // SEGMENTS
    for _ in range(SEGMENTS):
        commands(chunk)
        gc.collect()
        rss.append(_rss())
    per_segment = traced // SEGMENTS
    tracemalloc.start(1)
    try:
        commands(200)  # let the allocations tracing itself causes settle
        gc.collect()
        marks = [tracemalloc.get_traced_memory()[0]]
        for _ in range(SEGMENTS):
            commands(per_segment)
            gc.collect()
            marks.append(tracemalloc.get_traced_memory()[0])
        top = _top(tracemalloc.take_snapshot())
    finally:
        tracemalloc.stop()
    segments = [(b - a) / per_segment for a, b in pairwise(marks)]
    overall = (marks[-1] - marks[0]) / (per_segment * SEGMENTS)
    rss_per_command = (rss[-1] - rss[1]) / (chunk * (SEGMENTS - 1)) if chunk else 0.0
    ctx.reference("retained_memory", Reference(
        "resident set growth, untraced commands", rss_per_command, "B/command",
        "coarse: RSS moves in pages and includes SQLite's page cache"))
    return [Result("retained_memory", median(segments), 0.0, "B/command", 64.0,
                   check="value<=",
                   note=f"SQLite; {total:,} commands in one process, the last {traced:,} traced "
                        f"in {SEGMENTS} segments; median of segments (all traced: "
                        f"{overall:.1f} B/command)",
                   details={"segments_bytes_per_command": segments, "overall": overall,
                            "traced_bytes": marks, "rss_bytes": rss, "commands": total,
                            "applications": workload.turn // (len(LIFE) + 1),
                            "top_allocations": top})]


def _rss() -> int:
    """The resident set size in bytes (Linux), or 0."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0


def _top(snapshot: tracemalloc.Snapshot, limit: int = 8) -> list[str]:
    stats = snapshot.statistics("lineno")[:limit]
    return [f"{s.traceback[0].filename}:{s.traceback[0].lineno}: {s.size / 1024:.1f} KiB in "
            f"{s.count} blocks" for s in stats]
