"""Strict Open XML returns (Excel's "Strict Open XML Spreadsheet (.xlsx)" in Save As) are
read and counted exactly as Transitional ones.

The Strict file is made at test time from a generated return, by tests/hostile_corpus.py's
to_strict, which knows the Strict namespaces and relationship types independently of
couple_xl's reader.
"""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from couple_xl import messages as say
from couple_xl.consolidate import ACCEPTED, REJECTED, consolidate, read_one
from couple_xl.returns import read_return
from tests.helpers import fill, hand_scores
from tests.hostile_corpus import STRICT_KEEPS, STRICT_NAMESPACES, to_strict


@pytest.fixture
def strict_return(tmp_path, returned):
    """A filled return, its Strict twin, and the answers typed into them."""
    _, answers, sent = returned
    actions = {"processes": [("Share the rota", "Ann", "June")]}
    comments = {"commitment_choice": "We chose this"}
    filled = fill(sent.workbooks[0].path, tmp_path / "transitional.xlsx", answers, comments,
                  ("Ann Lee", "Chair"), actions)  # fmt: skip
    return filled, to_strict(filled, tmp_path / "strict.xlsx"), answers


def _xml_parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels"))}


def test_the_strict_file_is_strict_throughout(strict_return):
    _, strict, _ = strict_return
    parts = _xml_parts(strict)
    workbook = parts["xl/workbook.xml"].decode()
    assert re.search(
        r'<workbook conformance="strict" xmlns="http://purl\.oclc\.org/ooxml/', workbook
    )
    everything = b"".join(parts.values()).decode("utf-8")
    left = set(re.findall(r"http://schemas\.openxmlformats\.org/[^\"'\s<>]*", everything))
    assert left
    assert all(uri.startswith(STRICT_KEEPS) for uri in left), left
    assert "http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet" in everything
    assert (
        STRICT_NAMESPACES["http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"]
        in everything
    )


def test_python_calamine_reads_the_strict_files_cells(strict_return):
    transitional, strict, _ = strict_return
    a, b = CalamineWorkbook.from_path(str(transitional)), CalamineWorkbook.from_path(str(strict))
    assert b.sheet_names == a.sheet_names
    for name in a.sheet_names:
        assert b.get_sheet_by_name(name).to_python() == a.get_sheet_by_name(name).to_python()


def test_a_strict_return_scores_exactly_as_the_original(strict_return, template):
    transitional, strict, answers = strict_return
    record = read_return(strict)
    expected = hand_scores(template, answers)  # the second scorer, not the engine
    for pid, score in expected.items():
        assert record.assessment.principles[pid].score == pytest.approx(score)
    original = read_return(transitional)
    assert record.meta == original.meta
    assert record.answers == original.answers == answers
    assert record.comments == original.comments == {"commitment_choice": "We chose this"}
    assert (record.respondent_name, record.respondent_role) == ("Ann Lee", "Chair")
    assert [(a.action, a.owner, a.by_when) for a in record.actions] == [
        ("Share the rota", "Ann", "June")
    ]
    assert [str(w) for w in record.warnings] == [str(w) for w in original.warnings] == []


def test_a_strict_return_is_counted(strict_return, tmp_path, template):
    _, strict, answers = strict_return
    folder = tmp_path / "returns"
    folder.mkdir()
    strict.rename(folder / strict.name)
    result = consolidate([folder])
    (log,) = result.files
    assert (log.verdict, log.counted) == (ACCEPTED, True), [str(f) for f in log.findings]
    (partnership,) = result.partnerships
    (round_,) = partnership.rounds
    (partner,) = round_.partners.values()
    for pid, score in hand_scores(template, answers).items():
        assert partner.principles[pid].score == pytest.approx(score)


def test_a_strict_workbook_that_is_no_return_is_named_so_not_damaged(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    wb.active.append(["Item", "Cost"])
    wb.active.append(["Rent", 1200])
    wb.save(tmp_path / "budget.xlsx")
    strict = to_strict(tmp_path / "budget.xlsx", tmp_path / "budget-strict.xlsx")
    outcome = read_one(strict)
    assert outcome.record is None
    assert outcome.finding.message.startswith("not a couple_xl return")
    assert "damaged" not in outcome.finding.message
    (log,) = consolidate([strict]).files
    assert log.verdict == REJECTED
    assert say.RESAVE not in log.findings[0].message


def test_strict_custom_properties_under_either_spelling_are_read(strict_return, tmp_path):
    """ECMA-376 spells the Strict namespace customProperties; LibreOffice's reader also
    takes custom-properties. Either way the document properties are read (no note that
    they are missing)."""
    from tests.hostile_corpus import rezip

    _, strict, _ = strict_return
    ecma = b"http://purl.oclc.org/ooxml/officeDocument/customProperties"
    other = b"http://purl.oclc.org/ooxml/officeDocument/custom-properties"
    respelt = rezip(strict, tmp_path / "respelt.xlsx",
                    {"docProps/custom.xml": lambda x: x.replace(ecma, other)})  # fmt: skip
    assert read_return(respelt).warnings == []
    gone = rezip(strict, tmp_path / "gone.xlsx",
                 {"docProps/custom.xml": lambda x: x.replace(ecma, b"urn:x")})  # fmt: skip
    assert [w.message for w in read_return(gone).warnings] == [
        "document properties missing (re-saved by another app?); the hidden sheet was used"
    ]
