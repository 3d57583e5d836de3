"""What every benchmark shares: results, timing, the run context, the table and results.json."""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results.json")
#: How a result passes: the ratio at most / at least the target, or the mdreg value at most it.
AT_MOST, AT_LEAST, VALUE_AT_MOST = "ratio<=", "ratio>=", "value<="


@dataclass
class Result:
    """One metric: mdreg's figure, the baseline measured in the same run, and the target."""

    name: str
    mdreg: float | None
    baseline: float | None
    unit: str
    target: float
    check: str = AT_MOST
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    extra_ok: bool = True  # e.g. EXPLAIN shows the index is used
    skipped: str = ""

    @property
    def ratio(self) -> float | None:
        if self.mdreg is None or not self.baseline:
            return None
        return self.mdreg / self.baseline

    @property
    def passed(self) -> bool | None:
        if self.skipped or self.mdreg is None:
            return None
        if self.check == VALUE_AT_MOST:
            return self.mdreg <= self.target and self.extra_ok
        ratio = self.ratio
        if ratio is None:
            return None
        ok = ratio <= self.target if self.check == AT_MOST else ratio >= self.target
        return ok and self.extra_ok

    def entry(self) -> dict[str, Any]:
        return {
            "name": self.name, "mdreg": _round(self.mdreg), "baseline": _round(self.baseline),
            "ratio": _round(self.ratio), "target": self.target, "unit": self.unit,
            "passed": self.passed, "check": self.check, "note": self.note,
            "details": self.details, **({"skipped": self.skipped} if self.skipped else {}),
        }


@dataclass
class Reference:
    """A row printed for comparison only (what a user would pick instead); never a target."""

    name: str
    value: float
    unit: str
    note: str = ""


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None:
        return None
    if value == 0:
        return 0.0
    return round(value, max(0, digits - math.floor(math.log10(abs(value))) - 1))


# -- timing -----------------------------------------------------------------------------------

def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1), nearest rank."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def per_call(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``fn`` over ``calls`` calls (garbage collector paused)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - started) / calls
    finally:
        if enabled:
            gc.enable()


def alternate(reps: int, *runs: Callable[[int], float]) -> list[list[float]]:
    """Run each of ``runs`` ``reps`` times, interleaved and in alternating order, so that drift
    in the machine's load hits every side alike. Each run gets the repetition number."""
    samples: list[list[float]] = [[] for _ in runs]
    for rep in range(reps):
        order = range(len(runs)) if rep % 2 == 0 else reversed(range(len(runs)))
        for index in order:
            samples[index].append(runs[index](rep))
    return samples


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - started
    elapsed.append(time.perf_counter() - started)


# -- the run ----------------------------------------------------------------------------------

@dataclass
class Context:
    """Options and shared state of one ``python -m benchmarks`` run."""

    quick: bool
    workdir: Path
    postgres_url: str
    reps: int
    cache: dict[str, Any] = field(default_factory=dict)
    references: dict[str, list[Reference]] = field(default_factory=dict)
    log: Callable[[str], None] = print

    @property
    def physicians(self) -> int:
        """Registry size for the scale metrics (eligibility, bulk import)."""
        return int(os.environ.get("MDREG_BENCH_PHYSICIANS", 20_000 if self.quick else 1_000_000))

    def reference(self, metric: str, row: Reference) -> None:
        self.references.setdefault(metric, []).append(row)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
    }
    with contextlib.suppress(ValueError, OSError):  # not Linux
        info["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover - not Linux
        pass
    return platform.processor()


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover - not Unix
        return None


# -- output -----------------------------------------------------------------------------------

def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1e6:.1f} µs" if value < 1e-3 else (
            f"{value * 1e3:.2f} ms" if value < 1 else f"{value:.2f} s")
    if unit == "B/command":
        return f"{value:.1f} B"
    if unit in ("commands/s", "deadlines/s"):
        return f"{value:,.0f}/s"
    return f"{value:.3g} {unit}"


def _target(result: Result) -> str:
    if result.check == VALUE_AT_MOST:
        return f"≤ {result.target:g} B" if result.unit == "B/command" else f"≤ {result.target:g}"
    sign = "≤" if result.check == AT_MOST else "≥"
    return f"{sign} {result.target:g}×"


def table(results: list[Result], references: dict[str, list[Reference]]) -> str:
    rows = [("metric", "mdreg", "baseline", "ratio", "target", "pass/fail")]
    for result in results:
        verdict = {True: "PASS", False: "FAIL", None: "skip"}[result.passed]
        ratio = result.ratio
        rows.append((result.name, _fmt(result.mdreg, result.unit),
                     "0" if result.check == VALUE_AT_MOST else _fmt(result.baseline, result.unit),
                     "—" if ratio is None else f"{ratio:.2f}×", _target(result), verdict))
        base = result.baseline
        for ref in references.get(result.name, []):
            versus = f"{ref.value / base:.2f}×" if base and ref.unit == result.unit else "—"
            rows.append((f"  ref: {ref.name}", _fmt(ref.value, ref.unit), "", versus, "", "ref"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_results(results: list[Result], references: dict[str, list[Reference]],
                  run: dict[str, Any], path: Path = RESULTS) -> None:
    """Write one entry per metric; entries of metrics not run this time are kept (``--only``)."""
    previous: list[dict[str, Any]] = []
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            previous = loaded if isinstance(loaded, list) else []
        except json.JSONDecodeError:
            previous = []
    fresh = {r.name: r for r in results}
    entries = []
    for result in results:
        entry = result.entry()
        entry["details"] = {**entry["details"], "run": run, "references": [
            {"name": ref.name, "value": _round(ref.value), "unit": ref.unit, "note": ref.note}
            for ref in references.get(result.name, [])]}
        entries.append(entry)
    kept = [e for e in previous if isinstance(e, dict) and e.get("name") not in fresh]
    order = {name: n for n, name in enumerate(METRICS)}
    merged = sorted([*kept, *entries], key=lambda e: order.get(str(e.get("name")), len(order)))
    path.write_text(json.dumps(merged, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


#: Every metric, in the order of the table.
METRICS = (
    "transition_overhead",
    "command_sqlite",
    "command_postgres",
    "eligibility_p99_sqlite",
    "eligibility_p99_postgres",
    "worklist_p99_sqlite",
    "worklist_p99_postgres",
    "tick_throughput_sqlite",
    "tick_throughput_postgres",
    "tick_scaling_postgres",
    "bulk_import_sqlite",
    "bulk_import_postgres",
    "retained_memory",
    "workers_postgres",
    "tail_writers_postgres",
    "simulation_overhead",
)
