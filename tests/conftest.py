"""Shared fixtures: the standard template, a generated workbook, and the outside tools
(LibreOffice, Gnumeric, a pinned xlwings) that some tests need. Helpers that tests call
directly live in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from couple_xl.templates import Template, resolve_template
from tests import gnumeric, libreoffice
from tests.helpers import fill, generate


@pytest.fixture(scope="session")
def template() -> Template:
    return resolve_template("couple")


@pytest.fixture
def blank_workbook(tmp_path: Path) -> Path:
    """One freshly generated, unanswered workbook."""
    return generate(tmp_path / "gen", partners=["Age UK Riverside"]).workbooks[0].path


@pytest.fixture
def returned(tmp_path: Path, template: Template):
    """A filled return for partner A of two, its answers, and the round it belongs to."""
    sent = generate(tmp_path / "sent", partners=["A", "B"])
    answers = {q.id: (i % 5) + 1 for i, (_, q) in enumerate(template.questions)}
    path = fill(sent.workbooks[0].path, tmp_path / "bare.xlsx", answers, respondent=("Ann", ""))
    return path, answers, sent


@pytest.fixture(scope="session")
def soffice() -> str:
    libreoffice.require("LibreOffice (soffice)", libreoffice.soffice_path() is not None)
    return libreoffice.soffice_path()


@pytest.fixture(scope="session")
def uno(soffice) -> None:
    libreoffice.require("python3-uno for the system interpreter", libreoffice.uno_available())


@pytest.fixture(scope="session")
def ssconvert() -> str:
    libreoffice.require("Gnumeric (ssconvert)", gnumeric.ssconvert_path() is not None)
    return gnumeric.ssconvert_path()


@pytest.fixture(scope="session")
def pinned_xlwings(tmp_path_factory) -> str:
    """A Python with the xlwings that xlwings Lite pins, and no couple_xl at all."""
    import subprocess
    import sys
    import venv

    from couple_xl.addin import LITE_XLWINGS_VERSION

    folder = tmp_path_factory.mktemp("xlwings-pinned")
    venv.create(folder, with_pip=True)
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"xlwings=={LITE_XLWINGS_VERSION}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    libreoffice.require(
        f"xlwings {LITE_XLWINGS_VERSION} (from the package index: {proc.stderr.strip()[-300:]})",
        proc.returncode == 0,
    )
    return str(python)


# Each outside tool's fixture marks the tests that use it, so that `-m "not libreoffice"`
# (or gnumeric, xlwings) can never start the tool through a forgotten marker.
TOOL_MARKERS = {
    "soffice": "libreoffice",
    "uno": "libreoffice",
    "ssconvert": "gnumeric",
    "pinned_xlwings": "xlwings",
}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in TOOL_MARKERS:
                item.add_marker(TOOL_MARKERS[fixture])
