"""Shared fixtures: the standard template, generated workbooks, filling and reading them."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import libreoffice

from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from couple_xl.templates import Template, resolve_template

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


def named_cell(wb: openpyxl.Workbook, name: str):
    """The single cell a workbook-scoped defined name points to."""
    ((sheet, coordinate),) = list(wb.defined_names[name].destinations)
    return wb[sheet][coordinate.replace("$", "")]


def fill(path: Path, out: Path, answers: dict, comments: dict | None = None) -> Path:
    """Type answers (and comments) into the cells named Q_<id> (N_<id>), as a person would."""
    wb = openpyxl.load_workbook(path)
    for qid, value in answers.items():
        named_cell(wb, f"Q_{qid}").value = value
    for qid, value in (comments or {}).items():
        named_cell(wb, f"N_{qid}").value = value
    wb.save(out)
    return out


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
