"""retained_memory: bytes of Python memory retained per command after many commands in one
process (tracemalloc), target ≤ 64 B per command; the baseline is 0.

A SQLite registry (the default backend) with a pool of 注册 applications that cycle through the
lifecycle without ever finishing: return_to_applicant → resubmit (rules evaluated) → confirm →
accept → … — four commands per turn, each a full unit of work with its audit event and deadline
rows, so any per-command leak (registered transitions models, caches that grow with ids, …)
shows.

The process runs 100,000 commands (``--quick``: 20,000). tracemalloc slows commands about
threefold, so it traces only the last 20,000 (``--quick``: 2,000): the traced memory is read after
``gc.collect()`` at the start and at the end of each of five equal segments, and retained bytes
per command = growth / commands in the segment. The figure is the median of the segments (the
growth over all of them is reported too). Before tracing starts, the resident set size is
sampled at the same points over the untraced commands, as a coarse cross-check.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from itertools import cycle, pairwise

from benchmarks import command, fixtures
from benchmarks.harness import Context, Reference, Result, median
from mdreg.domain.application import Actor

SEGMENTS = 5
TURN = (("return_to_applicant", "authority", "请补充材料"), ("resubmit", "applicant", ""),
        ("confirm", "institution", ""), ("accept", "authority", ""))


def run(ctx: Context) -> list[Result]:
    total = 20_000 if ctx.quick else 100_000
    traced = 2_000 if ctx.quick else 20_000
    pool = 100
    path = fixtures.sqlite_file(ctx.workdir, "retained.db")
    registry, physicians, institutions = command.setup(fixtures.sqlite_url(path), pool + 10)
    apps = command.prepare(registry, physicians[:pool], institutions)
    actors = {}
    for app_id in apps:
        app = registry.application(app_id)
        actors[app_id] = {"applicant": app.applicant,
                          "institution": Actor.institution(app.institution_id, user="人事科"),
                          "authority": Actor.authority(app.department_id, user="审批科")}
    steps = cycle([(app_id, event, role, reason) for event, role, reason in TURN
                   for app_id in apps])

    def commands(n: int) -> None:
        for _ in range(n):
            app_id, event, role, reason = next(steps)
            registry.fire(app_id, event, actors[app_id][role], reason=reason)

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
