"""The declared public API: every name in couple_xl.__all__ is there and is what it says."""

from __future__ import annotations

import json
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


# What `check` may import: reading a return needs neither the writers (XlsxWriter,
# openpyxl, xlwings) nor pydantic (a template and metadata that couple_xl wrote pass the
# plain checks), nor a process pool for a single file. Each costs a noticeable part of a
# second at start-up, and any import of them creeping back would go unnoticed otherwise.
NOT_FOR_CHECK = (
    "xlsxwriter", "openpyxl", "xlwings", "pydantic", "pydantic_core",
    "concurrent.futures.process", "multiprocessing", "email.parser", "extract_msg",
)  # fmt: skip
_RUN_AND_LIST_MODULES = """
import json, sys
from couple_xl.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


def _modules_after(*args: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_check_of_a_return_loads_no_writer_pydantic_or_pool(returned):
    path, _, _ = returned
    result = _modules_after("check", str(path))
    assert result["exit"] in (0, None)  # accepted
    assert "python_calamine" in result["modules"]  # it did read the return
    loaded = [m for m in result["modules"] if m.startswith(NOT_FOR_CHECK)]
    assert loaded == []


def test_help_loads_no_reader_or_writer():
    result = _modules_after("--help")
    heavy = ("python_calamine", "couple_xl.boundary", "couple_xl.templates", *NOT_FOR_CHECK)
    assert [m for m in result["modules"] if m.startswith(heavy)] == []
