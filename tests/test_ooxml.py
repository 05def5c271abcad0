"""Every workbook couple_xl writes passes the Open XML SDK's rules (tests/ooxml.py):
partner workbooks in all three scoring modes, an edge template, the summaries, the
action plan, a workbook that reviews agreed actions, and a questions workbook."""

from __future__ import annotations

import datetime as dt

import pytest

from couple_xl.demo import run_demo
from couple_xl.pipeline import ConsolidateOptions, run_consolidate
from couple_xl.template_sheets import export_questions
from couple_xl.templates import template_from_data
from tests.helpers import edge_template_data, generate
from tests.ooxml import audit


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("addin", {}),
        ("native", {"scoring_mode": "native"}),
        ("lite", {"embed_lite": True}),
        ("addin", {"due_date": dt.date(2026, 12, 18), "contact": "Sam Lee <sam@example.org>"}),
    ],
)
def test_partner_workbooks_pass(tmp_path, mode, options):
    (written,) = generate(tmp_path, partners=["Age UK Riverside"], **options).workbooks
    assert audit(written.path) == []


def test_the_edge_template_passes(tmp_path, template):
    edge = template_from_data(edge_template_data(template), "edge template")
    (written,) = generate(tmp_path, partners=["O'Brien & Sons"], template=edge).workbooks
    assert audit(written.path) == []


def test_summaries_plans_and_reviews_pass(tmp_path):
    # The demo runs the whole loop: a plan after the first round, a second round that
    # reviews its agreed actions, and a summary with their progress.
    outcome = run_demo(tmp_path / "demo")
    summary = outcome.consolidation.written[0]
    assert audit(summary) == []
    written_plan, _ = outcome.plans
    assert audit(written_plan) == []
    reviewing = [p for p in outcome.workbooks if "autumn" in p.name]
    assert reviewing
    assert audit(reviewing[0]) == []
    export_questions("couple", tmp_path / "questions.xlsx")
    assert audit(tmp_path / "questions.xlsx") == []
    shared = tmp_path / "shared.xlsx"
    run_consolidate(
        ConsolidateOptions(
            paths=[tmp_path / "demo" / "returns"], output=shared, level="partnership"
        )
    )
    assert audit(shared) == []


def test_the_check_finds_a_real_fault(tmp_path):
    """A sheet whose <dimension> comes after its cells: Excel offers to repair it."""
    import openpyxl

    from tests.hostile_corpus import rezip

    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(tmp_path / "ok.xlsx")
    assert audit(tmp_path / "ok.xlsx") == []

    def misplace(xml: bytes) -> bytes:
        dimension = b'<dimension ref="A1:A1"/>'
        return xml.replace(dimension, b"").replace(b"</sheetData>", b"</sheetData>" + dimension)

    bad = rezip(tmp_path / "ok.xlsx", tmp_path / "bad.xlsx", {"xl/worksheets/sheet1.xml": misplace})
    assert any("dimension" in problem for problem in audit(bad))
