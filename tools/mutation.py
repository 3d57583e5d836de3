"""Mutation testing of the law's modules: ``make mutation`` (docs/rule-authors.md).

mutmut (configured under ``[tool.mutmut]`` in pyproject.toml) mutates the code of ``rules/``,
``workflows/``, the deadlines and the calendar; mutmut 3 leaves module-level tables alone, so the
workflow tables (every ``EventSpec(...)`` in ``workflows/``) get mutants of their own here: the
actor (``by``) swapped for each other role, each flag (``needs_reason``, ``needs_corrections``)
flipped, and each source state dropped from an event with several. A table mutant is written into
a copy of ``src/`` and the same tests run against it; a failing run kills it.

The summary (stdout and ``mutation/summary.txt``) gives per module the killed, survived, timed-out
and equivalent mutants and the kill rate over the non-equivalent ones (a timeout counts as
killed); the surviving mutants follow, each with the line it changes. Equivalent mutants are read
from ``mutation/equivalent.txt`` (a mutant name, then its one-line reason). The exit status is 1
when a module's kill rate is below ``--target`` (95 %).

    python tools/mutation.py                     # the whole set
    python tools/mutation.py --modules mdreg.rules.account,mdreg.workflows.account
    python tools/mutation.py --changed [--budget 900]   # files changed since last measured
    python tools/mutation.py --changed --base main      # files changed since a git ref
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "mutation"
EQUIVALENT = OUT / "equivalent.txt"
MEASURED = OUT / "measured.json"
ROWS = OUT / "rows.json"
ROLES = ("APPLICANT", "INSTITUTION", "AUTHORITY", "SYSTEM")
FLAGS = ("needs_reason", "needs_corrections")
KILLED = {"killed", "timeout", "caught by type check"}


def config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]


def module_of(path: str) -> str:
    return path.removeprefix("src/").removesuffix(".py").replace("/", ".").removesuffix(".__init__")


def configured_files() -> list[str]:
    patterns = config()["only_mutate"]
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "src").rglob("*.py"))
    return [f for f in files if any(fnmatch.fnmatch(f, pat) for pat in patterns)]


def changed_files(base: str | None, recorded_only: bool = False) -> list[str]:
    """The configured files to measure again: with ``base``, those changed since that git ref
    (committed or not); without, those whose text differs from the one their last passing
    measurement recorded in ``mutation/measured.json`` (``recorded_only``: of the files that
    have such a record)."""
    if base is None:
        recorded = measured()
        return [f for f in configured_files() if recorded.get(f) != digest(f)
                and (f in recorded or not recorded_only)]
    diff = subprocess.run(["git", "diff", "--name-only", base, "--", "src"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.split()
    return [f for f in configured_files() if f in diff]


def digest(path: str) -> str:
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


def measured() -> dict[str, str]:
    """File → the SHA-256 of its text when a run last measured it at or above the target."""
    if not MEASURED.exists():
        return {}
    return dict(json.loads(MEASURED.read_text(encoding="utf-8"))["files"])


def record_measured(files: list[str], passed: set[str]) -> None:
    """Record the files whose every module row passed (their text as it was measured)."""
    recorded = measured()
    for path in files:
        if path in passed:
            recorded[path] = digest(path)
        else:
            recorded.pop(path, None)
    MEASURED.write_text(json.dumps(
        {"about": "written by tools/mutation.py: each file's SHA-256 when its mutants were last "
                  "measured at or above the target; --changed measures the files that differ",
         "files": dict(sorted(recorded.items()))}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")


def pytest_args(module: str = "mdreg.workflows") -> list[str]:
    """mutmut's pytest arguments, the tests nearest ``module`` first (``-x`` stops a killed
    mutant's run at its first failure): tests/rules for a rule module, tests/workflows for a
    workflow module or a table, the deadline or calendar tests for those."""
    c = config()
    near = {"mdreg.rules": ("tests/rules",), "mdreg.workflows": ("tests/workflows",),
            "mdreg.domain.deadlines": ("tests/test_deadline", "tests/workflows"),
            "mdreg.domain.calendar": ("tests/test_calendar", "tests/workflows")}
    first = next((paths for prefix, paths in near.items() if module.startswith(prefix)), ())

    def rank(path: str) -> int:
        return next((n for n, p in enumerate(first) if path.startswith(p)), len(first))

    selection = sorted(c["pytest_add_cli_args_test_selection"], key=rank)
    return [*c.get("pytest_add_cli_args", []), *selection]


# --- mutmut ---------------------------------------------------------------------------------

def run_mutmut(names: list[str], children: int, budget: float | None) -> bool:
    """``mutmut run`` on ``names`` (patterns or mutant names; all configured modules when empty;
    a named mutant runs again even if mutmut has its verdict); False when the budget ran out."""
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *names]
    env = {k: v for k, v in os.environ.items() if k != "MDREG_TEST_POSTGRES_URL"}
    try:
        subprocess.run(command, cwd=ROOT, env=env, check=False, timeout=budget,
                       stdout=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False
    return True


def mutmut_results(modules: list[str] | None) -> dict[str, str]:
    listed = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout
    results = {}
    for line in listed.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name and (modules is None or mutmut_module(name) in modules):
            results[name] = status
    return results


def run_cold(name: str, timeout: float) -> str:
    """Runs the tests once more for mutmut's survivor ``name``, in a new process with the mutant
    switched on from the start. mutmut imports the code before it switches a mutant on, so code
    that runs at import (a rule's versions, the catalogue, tables built by functions) is never
    mutated in its runs; here it is."""
    return run_tests(ROOT, {"MUTANT_UNDER_TEST": name, "PYTHONPATH": str(ROOT / "mutants" / "src")},
                     timeout, mutmut_module(name))


_COLLECTING = """
import sys, pytest
seen = set()
def profile(frame, event, arg):
    if event == "call":
        module = frame.f_globals.get("__name__", "")
        if module.startswith("mdreg."):
            seen.add(module + "." + frame.f_code.co_qualname)
sys.setprofile(profile)
code = pytest.main(["--co", "-q", "-p", "no:xdist", *sys.argv[2:]])
sys.setprofile(None)
open(sys.argv[1], "w").write("\\n".join(sorted(seen)))
sys.exit(code)
"""


def import_time_functions() -> set[str]:
    """The functions of mdreg that run while the selected tests are imported and collected
    (``module.Class.method``)."""
    with tempfile.TemporaryDirectory(prefix="mdreg-collect-") as tmp:
        out = Path(tmp) / "seen.txt"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        done = subprocess.run([sys.executable, "-c", _COLLECTING, str(out), *pytest_args()], cwd=ROOT,
                              env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"mutation: collecting the tests failed:\n{done.stdout[-2000:]}")
        return set(out.read_text(encoding="utf-8").split())


def function_of(name: str) -> str:
    """``mdreg.rules.base.xǁPolicyǁcheck__mutmut_3`` → ``mdreg.rules.base.Policy.check``."""
    module, _, mutant = name.rpartition(".")
    mutant = re.sub(r"__mutmut_\d+$", "", mutant)
    qualname = mutant[2:].replace("ǁ", ".") if mutant.startswith("xǁ") else mutant[2:]
    return f"{module}.{qualname}"


def check_unmutated(timeout: float) -> None:
    """The selected tests must pass on the unmutated code, or every mutant would look killed."""
    status = run_tests(ROOT, {"PYTHONPATH": str(ROOT / "src")}, timeout)
    if status != "survived":
        raise SystemExit(f"mutation: the selected tests do not pass on the unmutated code ({status})")


def run_tests(cwd: Path, env: dict[str, str], timeout: float,
              module: str = "mdreg.workflows") -> str:
    """The selected tests, stopping at the first failure: killed, survived, no tests or timeout."""
    env = {**{k: v for k, v in os.environ.items() if k != "MDREG_TEST_POSTGRES_URL"}, **env,
           "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-p", "no:xdist", *pytest_args(module)]
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    return {0: "survived", 5: "no tests"}.get(done.returncode, "killed")


def mutmut_patterns(modules: list[str]) -> list[str]:
    """mutmut's patterns for the mutants of ``modules`` and of no other module. mutmut names a
    mutant ``module.x_function__mutmut_N`` or ``module.xǁClassǁmethod__mutmut_N``; ``module.*``
    of a package (``mdreg.workflows``) would select every module below it as well."""
    return [f"{m}.x*" for m in modules]


def mutmut_module(name: str) -> str:
    """``mdreg.rules.account.xǁActiveǁcheck__mutmut_3`` → ``mdreg.rules.account``."""
    return re.sub(r"\.x_?[^.]*__mutmut_\d+$", "", name)


def mutmut_change(name: str) -> str:
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant
        diff = get_diff_for_mutant(name)
    except Exception as error:  # the report still lists the name
        return f"(diff unavailable: {error})"
    lines = diff.splitlines()
    minus = [line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---")]
    plus = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
    return f"{' / '.join(minus)} → {' / '.join(plus)}"


# --- the tables -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TableMutant:
    name: str
    path: str
    source: str
    change: str


def _segment(lines: list[str], node: ast.AST) -> tuple[int, int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    start = offsets[node.lineno - 1] + len(lines[node.lineno - 1].encode()[:node.col_offset].decode())
    end_line = lines[node.end_lineno - 1]  # type: ignore[operator]
    end = offsets[node.end_lineno - 1] + len(end_line.encode()[:node.end_col_offset].decode())  # type: ignore[operator]
    return start, end


def table_mutants(path: str) -> list[TableMutant]:
    text = (ROOT / path).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    module = module_of(path)
    found: list[TableMutant] = []

    def replaced(node: ast.AST, new: str) -> str:
        start, end = _segment(lines, node)
        return text[:start] + new + text[end:]

    for call in ast.walk(ast.parse(text)):
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "EventSpec"):
            continue
        keywords = {k.arg: k.value for k in call.keywords}
        by = call.args[4] if len(call.args) > 4 else keywords.get("by")
        sources = call.args[2] if len(call.args) > 2 else keywords.get("sources")
        event = call.args[0].value if isinstance(call.args[0], ast.Constant) else "?"
        if not (isinstance(by, ast.Attribute) and isinstance(sources, ast.Tuple)):
            continue
        prefix = f"table:{module}:{event}"
        for role in ROLES:
            if role != by.attr:
                found.append(TableMutant(f"{prefix}:by={role.lower()}", path,
                                         replaced(by, f"Role.{role}"), f"by Role.{by.attr} → Role.{role}"))
        for flag in FLAGS:
            value = keywords.get(flag)
            if isinstance(value, ast.Constant) and value.value is True:
                new, change = replaced(value, "False"), f"{flag}=True → False"
            else:
                _, end = _segment(lines, call)
                new, change = text[:end - 1] + f", {flag}=True" + text[end - 1:], f"{flag} → True"
            found.append(TableMutant(f"{prefix}:{flag}", path, new, change))
        if len(sources.elts) > 1:
            for i, state in enumerate(sources.elts):
                kept = [ast.get_source_segment(text, e) for e in sources.elts if e is not state]
                label = ast.get_source_segment(text, state)
                found.append(TableMutant(f"{prefix}:drop={label}", path,
                                         replaced(sources, "(" + ", ".join(kept) + ",)"),
                                         f"source {label} dropped (#{i})"))
    return found


def run_table_mutant(mutant: TableMutant, timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="mdreg-table-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
        (Path(tmp) / mutant.path).write_text(mutant.source, encoding="utf-8")
        return run_tests(ROOT, {"PYTHONPATH": str(src)}, timeout)


# --- the summary ----------------------------------------------------------------------------

def equivalents() -> dict[str, str]:
    found = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.strip().partition(" ")
                found[name] = reason.strip()
    return found


def summarize(results: dict[str, tuple[str, str]], target: float, seconds: float,
              complete: bool) -> tuple[str, bool, set[str]]:
    """``results``: mutant name → (module, status). Returns the report, whether it passes, and
    the module rows that pass (the target met, every mutant checked)."""
    report, ok, passing, _ = summarize_rows(results, target, seconds, complete)
    return report, ok, passing


def summarize_rows(results: dict[str, tuple[str, str]], target: float, seconds: float,
                   complete: bool) -> tuple[str, bool, set[str], dict[str, dict[str, object]]]:
    """:func:`summarize`, and each module row's counts and survivors (for ``ROWS``)."""
    equivalent = equivalents()
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for name, (module, status) in sorted(results.items()):
        if status == "not checked":
            by_module[module]["not checked"] += 1
        elif name in equivalent:
            by_module[module]["equivalent"] += 1
        elif status in KILLED:
            by_module[module]["killed" if status != "timeout" else "timeout"] += 1
        else:
            by_module[module]["survived"] += 1
            survivors.append(name)
    lines = ["# Mutation testing", "",
             f"{len(results)} mutants, {seconds / 60:.1f} min; target {target:.0%} of the "
             "non-equivalent mutants killed (a timeout counts as killed)."
             + ("" if complete else " **The time budget ran out: the run is incomplete.**"), "",
             "| module | killed | timeout | survived | equivalent | not checked | kill rate |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    ok = True
    passing: set[str] = set()
    totals: Counter[str] = Counter()
    for module, c in sorted(by_module.items()):
        totals.update(c)
        checked = c["killed"] + c["timeout"] + c["survived"]
        rate = (c["killed"] + c["timeout"]) / checked if checked else 1.0
        below = rate < target
        ok &= not below
        if not below and not c["not checked"]:
            passing.add(module)
        lines.append(f"| {module} | {c['killed']} | {c['timeout']} | {c['survived']} | "
                     f"{c['equivalent']} | {c['not checked']} | {rate:.1%}{' ✗' if below else ''} |")
    checked = totals["killed"] + totals["timeout"] + totals["survived"]
    rate = (totals["killed"] + totals["timeout"]) / checked if checked else 1.0
    lines.append(f"| **all** | {totals['killed']} | {totals['timeout']} | {totals['survived']} | "
                 f"{totals['equivalent']} | {totals['not checked']} | {rate:.1%} |")
    stale = sorted(set(equivalent) - set(results))
    changes = {name: results_change(name) for name in survivors}
    if survivors:
        lines += ["", "## Surviving mutants", ""]
        lines += [f"- `{name}`: {changes[name]}" for name in survivors]
    if stale and complete:
        lines += ["", "Listed as equivalent but not produced by this run: "
                  + ", ".join(f"`{n}`" for n in stale)]
    rows: dict[str, dict[str, object]] = {
        module: {"counts": dict(c), "survivors": [
            [name, changes[name]] for name in survivors if results[name][0] == module]}
        for module, c in by_module.items()}
    return ("\n".join(lines) + "\n", ok and complete and not totals["not checked"], passing,
            rows)


def merged_summary(rows: dict[str, dict[str, object]], target: float) -> str:
    """The summary of every module row as its latest run left it (``mutation/rows.json``)."""
    lines = ["# Mutation testing", "",
             f"Each module as its latest run measured it; target {target:.0%} of the "
             "non-equivalent mutants killed (a timeout counts as killed). Written by "
             "`tools/mutation.py` from `mutation/rows.json`.", "",
             "| module | killed | timeout | survived | equivalent | not checked | kill rate | run |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    totals: Counter[str] = Counter()
    survivors: list[str] = []
    for module, row in sorted(rows.items()):
        c: Counter[str] = Counter(row["counts"])  # type: ignore[arg-type]
        totals.update(c)
        checked = c["killed"] + c["timeout"] + c["survived"]
        rate = (c["killed"] + c["timeout"]) / checked if checked else 1.0
        lines.append(f"| {module} | {c['killed']} | {c['timeout']} | {c['survived']} | "
                     f"{c['equivalent']} | {c['not checked']} | {rate:.1%}"
                     f"{' ✗' if rate < target else ''} | {row['run']} |")
        survivors += [f"- `{name}`: {change}"
                      for name, change in row["survivors"]]  # type: ignore[attr-defined]
    checked = totals["killed"] + totals["timeout"] + totals["survived"]
    rate = (totals["killed"] + totals["timeout"]) / checked if checked else 1.0
    lines.append(f"| **all** | {totals['killed']} | {totals['timeout']} | {totals['survived']} | "
                 f"{totals['equivalent']} | {totals['not checked']} | {rate:.1%} | |")
    if survivors:
        lines += ["", "## Surviving mutants", "", *survivors]
    return "\n".join(lines) + "\n"


def record_rows(rows: dict[str, dict[str, object]], whole: bool, run: str) -> dict[str, Any]:
    """Merge this run's module rows into ``mutation/rows.json`` (a whole run replaces it)."""
    kept: dict[str, Any] = {}
    if ROWS.exists() and not whole:
        kept = json.loads(ROWS.read_text(encoding="utf-8"))
    for module, row in rows.items():
        kept[module] = {**row, "run": run}
    ROWS.write_text(json.dumps(dict(sorted(kept.items())), indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return kept


_TABLE_CHANGES: dict[str, str] = {}


def results_change(name: str) -> str:
    return _TABLE_CHANGES.get(name) or mutmut_change(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", help="comma-separated modules (mdreg.rules.account,…); default all")
    parser.add_argument("--changed", action="store_true",
                        help="only the configured modules whose text differs from their last "
                             "passing measurement (mutation/measured.json), or changed since --base")
    parser.add_argument("--base", help="git ref for --changed (default: mutation/measured.json)")
    parser.add_argument("--recorded-only", action="store_true",
                        help="with --changed: only files that met the target once (a regression "
                             "gate); the files never measured at the target are listed")
    parser.add_argument("--budget", type=float, help="seconds for the whole run; incomplete = failure")
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--no-run", action="store_true",
                        help="summarize the results mutmut already has; run no mutant")
    parser.add_argument("--no-tables", action="store_true", help="skip the workflow-table mutants")
    parser.add_argument("--survivors-only", action="store_true",
                        help="of the mutants at import, run only those mutation/rows.json lists "
                             "as survivors; the others keep that run's verdict (killed)")
    parser.add_argument("--no-mutmut", action="store_true",
                        help="take mutmut's verdicts as they are (run no mutmut mutant); still run "
                             "the survivors of code run at import, and the tables")
    parser.add_argument("--retry", action="store_true",
                        help="run the survivors of earlier runs again against the current tests")
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--summary", type=Path, default=OUT / "summary.txt")
    args = parser.parse_args(argv)

    files = configured_files()
    if args.changed:
        files = changed_files(args.base, args.recorded_only)
        if args.recorded_only and (unmeasured := sorted(set(configured_files()) - set(measured()))):
            print(f"mutation: {len(unmeasured)} file(s) not yet measured at the target, not run "
                  f"here: {', '.join(unmeasured)}")
        if not files:
            print("mutation: no configured file to measure; nothing to run")
            return 0
    elif args.modules:
        wanted = set(args.modules.split(","))
        files = [f for f in files if module_of(f) in wanted]
        if missing := wanted - {module_of(f) for f in files}:
            parser.error(f"not configured for mutation: {', '.join(sorted(missing))}")
    modules = [module_of(f) for f in files]
    whole = not (args.changed or args.modules)

    started = time.monotonic()
    deadline = started + args.budget if args.budget else None
    patterns = [] if whole else mutmut_patterns(modules)
    complete = args.no_run or args.no_mutmut or run_mutmut(patterns, args.max_children,
                                                           args.budget)
    results = {name: (mutmut_module(name), status)
               for name, status in mutmut_results(None if whole else modules).items()}
    at_import = import_time_functions() if not args.no_run else set()
    if args.retry and not (args.no_run or args.no_mutmut):
        # those at import survive mutmut's runs again whatever the tests: they run from import
        survivors = sorted(name for name, (_, status) in results.items()
                           if status in ("survived", "no tests") and name not in equivalents()
                           and function_of(name) not in at_import)
        left = None if deadline is None else max(deadline - time.monotonic(), 1.0)
        # against the tests as they are now: mutmut keeps a verdict until a mutant is named
        complete &= not survivors or run_mutmut(survivors, args.max_children, left)
        results.update({name: (mutmut_module(name), status) for name, status
                        in mutmut_results(None if whole else modules).items()})
    todo_tables = not (args.no_tables or args.no_run) and any(
        f.startswith("src/mdreg/workflows/") for f in files)
    cold = sorted(name for name, (_, status) in results.items()
                  if status in ("survived", "no tests") and function_of(name) in at_import)
    if args.survivors_only and ROWS.exists():
        # killed from import in the run rows.json records: kept (tests are only added meanwhile)
        listed = {name for row in json.loads(ROWS.read_text(encoding="utf-8")).values()
                  for name, _ in row["survivors"]}
        for name in cold:
            if name not in listed:
                results[name] = (results[name][0], "killed")
        cold = [name for name in cold if name in listed]
    if cold or todo_tables:
        check_unmutated(1800.0)

    def from_import(name: str) -> str | None:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left < 5:
            return None
        status = run_cold(name, 600.0 if left is None else min(600.0, left))
        print(f"{status:>9} {name} (run from import)", flush=True)
        return status

    with ThreadPoolExecutor(max_workers=max(1, args.max_children)) as pool:
        for name, status in zip(cold, pool.map(from_import, cold), strict=True):
            if status is None:
                complete = False
            else:
                results[name] = (results[name][0], status)
    if todo_tables:
        tables = [m for f in files if f.startswith("src/mdreg/workflows/") for m in table_mutants(f)]

        def table(mutant: TableMutant) -> str:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left < 5:
                return "not checked"
            status = run_table_mutant(mutant, 600.0 if left is None else min(600.0, left))
            print(f"{status:>9} {mutant.name}", flush=True)
            return status

        # each mutant runs in a process of its own: as many at once as mutmut's children
        with ThreadPoolExecutor(max_workers=max(1, args.max_children)) as pool:
            for mutant, status in zip(tables, pool.map(table, tables), strict=True):
                _TABLE_CHANGES[mutant.name] = f"{mutant.path}: {mutant.change}"
                results[mutant.name] = (f"{module_of(mutant.path)} (table)", status)
                complete &= status != "not checked"
    report, ok, passing, rows = summarize_rows(results, args.target,
                                               time.monotonic() - started, complete)
    if not args.no_run:
        merged = record_rows(rows, whole, time.strftime("%Y-%m-%d"))
        args.summary.parent.mkdir(parents=True, exist_ok=True)
        args.summary.write_text(merged_summary(merged, args.target), encoding="utf-8")
        ran = {module for module, _ in results.values()}
        # a file without mutants (nothing mutmut changes, no table) passes as it is; a file
        # whose table mutants were left out (--no-tables) is not measured
        untested = {f for f in files if args.no_tables and f.startswith("src/mdreg/workflows/")
                    and table_mutants(f)}
        record_measured(files, {f for f in files if f not in untested
                                and {module_of(f), f"{module_of(f)} (table)"} & ran <= passing})
    print(report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
