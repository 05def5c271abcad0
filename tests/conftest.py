"""Shared fixtures: the standard template, generated workbooks, filling and reading them."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import gnumeric
import libreoffice

from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from couple_xl.templates import Template, resolve_template
from couple_xl.workbook import named as named_cell

ROUND_DATE = dt.date(2026, 10, 1)


@pytest.fixture(scope="session")
def template() -> Template:
    return resolve_template("couple")


def generate(
    out_dir: Path,
    partners: list[str] | tuple[str, ...] = ("Age UK Riverside", "Riverside Foodbank"),
    template: Template | None = None,
    **kwargs,
):
    """Write a round of workbooks; returns the RoundResult."""
    request = RoundRequest(
        partnership_name=kwargs.pop("partnership_name", "Riverside Food Partnership"),
        partners=[PartnerEntry(p) for p in partners],
        template=template or resolve_template("couple"),
        out_dir=out_dir,
        round_date=kwargs.pop("round_date", ROUND_DATE),
        **kwargs,
    )
    return new_round(request)


@pytest.fixture
def blank_workbook(tmp_path: Path) -> Path:
    """One freshly generated, unanswered workbook."""
    return generate(tmp_path / "gen", partners=["Age UK Riverside"]).workbooks[0].path


def fill(
    source: Path,
    target: Path,
    answers: dict,
    comments: dict | None = None,
    respondent: tuple[str, str] = ("", ""),
    actions: dict | None = None,
) -> Path:
    """Fill a generated workbook as a partner would, through its named cells: answers
    (Q_<id>), comments (N_<id>, always text), respondent, and action rows per principle."""
    wb = openpyxl.load_workbook(source)
    for qid, value in answers.items():
        named_cell(wb, f"Q_{qid}").value = value
    for qid, text in (comments or {}).items():
        cell = named_cell(wb, f"N_{qid}")
        cell.value = text
        cell.data_type = "s"
    named_cell(wb, "RESPONDENT_NAME").value = respondent[0] or None
    named_cell(wb, "RESPONDENT_ROLE").value = respondent[1] or None
    for pid, rows in (actions or {}).items():
        for cells, values in zip(named_cell(wb, f"ACTIONS_{pid}"), rows):
            for c, v in zip(cells, values):
                c.value = v
                c.data_type = "s"
    wb.save(target)
    return target


def read_names(path: Path, names: list[str]) -> dict:
    """Cached values of named cells, as a spreadsheet app last calculated them."""
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        return {name: named_cell(wb, name).value for name in names}
    finally:
        wb.close()


# Answer spellings people actually produce: dropdown picks, typed numbers, bare labels
# in odd case, autocorrected apostrophes, stray spaces; and invalid entries.
def random_answers(template: Template, rng: random.Random, invalid_rate: float = 0.0) -> dict:
    scale = template.engine_scale
    picks = list(scale.choices)
    typed = [
        *[p.value for p in scale.points],
        *[f" {p.value} " for p in scale.points],
        *[p.label.upper() for p in scale.points],
        *[f"  {p.label.lower()}" for p in scale.points],
        "don\u2019t know",
        " n/a ",
        "NA",
        "4 - agree",
    ]
    invalid = ["bogus", 0, 6, 2.5, "?", "*", "Agreed", "5 – Strongly disagree"]
    answers = {}
    for _, q in template.questions:
        roll = rng.random()
        if roll < invalid_rate:
            answers[q.id] = rng.choice(invalid)
        elif roll < 0.15 + invalid_rate:
            answers[q.id] = None
        elif roll < 0.35 + invalid_rate:
            answers[q.id] = rng.choice(typed)
        else:
            answers[q.id] = rng.choice(picks)
    return answers


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
