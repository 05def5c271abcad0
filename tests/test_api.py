"""The declared public API: every name in couple_xl.__all__ is there and is what it says."""

from __future__ import annotations

import subprocess
import sys

import couple_xl


def test_every_public_name_resolves():
    for name in couple_xl.__all__:
        assert getattr(couple_xl, name) is not None, name
    assert couple_xl.run_consolidate.__module__ == "couple_xl.pipeline"
    assert couple_xl.scoring.mean([1, 3]) == 2


def test_importing_the_package_stays_light():
    """`couple-xl --help` imports the package: it must not pull in the readers."""
    heavy = ("pydantic", "openpyxl", "python_calamine", "xlsxwriter")
    code = f"import sys, couple_xl; print(sorted(m for m in sys.modules if m.startswith({heavy})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
