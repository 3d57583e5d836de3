"""Prints the figures the reliability tests asserted (``record_property("figures", …)``)."""

from __future__ import annotations

from typing import Any

import pytest


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = sorted({str(value) for report in terminalreporter.stats.get("passed", [])
                    for name, value in getattr(report, "user_properties", ())
                    if name == "figures"})
    if lines:
        terminalreporter.section("mdreg reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
