"""A host project for the plugin's tests (``pytester``, which the test modules load): a directory
whose pytest runs in a subprocess. (A module, not a conftest.py: two conftest.py files of one
name in the test directories collide when a test selection names both directories.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mdreg


def host_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project whose environment has the mdreg under test and a distribution declaring mdreg's
    entry point, as installing mdreg gives (whatever metadata mdreg was installed with here)."""
    site = pytester.mkdir("site")
    info = site / "mdreg_entry_point-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mdreg-entry-point\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nmdreg = mdreg.testing.plugin\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [
        str(site), str(Path(mdreg.__file__).parent.parent), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("MDREG_HYPOTHESIS_PROFILE", raising=False)
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    return pytester
