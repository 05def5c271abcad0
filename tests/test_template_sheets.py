"""Templates to and from Excel: the round trip keeps a template exactly, a workbook with
only a questions sheet is enough, and every mistake is located by sheet and cell."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl.cli import main
from couple_xl.consolidate import consolidate
from couple_xl.errors import TemplateError
from couple_xl.template_sheets import export_questions, import_questions, import_template
from couple_xl.templates import (
    builtin_templates,
    load_template_file,
    resolve_template,
    template_from_data,
)
from tests.helpers import custom_properties, edge_template_data

COUPLE_IDS = ["commitment", "outcomes", "understanding", "processes", "leadership", "execution"]


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook as a coordinator might make it by hand."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(TemplateError) as caught:
        import_template(path)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("name", sorted(builtin_templates()))
def test_every_built_in_template_survives_the_round_trip(tmp_path, name):
    original = resolve_template(name)
    export_questions(name, tmp_path / "q.xlsx")
    again = import_questions(tmp_path / "q.xlsx", tmp_path / "t.toml")
    assert again.fingerprint == original.fingerprint
    assert load_template_file(tmp_path / "t.toml").fingerprint == original.fingerprint


def test_an_unusual_template_survives_the_round_trip(tmp_path, template):
    # A 1-7 scale, other bands, an emoji in a sheet name, quotes, 20 statements; and
    # aliases in an order that is not the scale's, weights, guidance with a newline.
    data = edge_template_data(template)
    data["scale"]["aliases"] = {"Level 7": ["Top", "Seven"], "Level 1": ["Bottom"]}
    data["principles"][0]["questions"][3].update({"weight": 2.5, "guidance": "Two\nlines"})
    data["introduction"] = 'An "introduction" with a tab\there and a DEL \x7f.'
    original = template_from_data(data, "edge")
    path = tmp_path / "edge.toml"
    (tmp_path / "edge.json").write_text(original.to_json(), encoding="utf-8")
    export_questions(tmp_path / "edge.json", tmp_path / "q.xlsx")
    again = import_questions(tmp_path / "q.xlsx", path)
    assert again.fingerprint == original.fingerprint
    assert load_template_file(path).fingerprint == original.fingerprint


def test_the_exported_workbook_is_marked_and_skipped_by_consolidation(tmp_path):
    export_questions("couple", tmp_path / "questions.xlsx")
    props = custom_properties(tmp_path / "questions.xlsx")
    assert props["couple.kind"] == "questions"
    (log,) = consolidate([tmp_path]).files
    assert log.skipped
    assert [f.message for f in log.findings] == ["a couple_xl questions, not a return"]
    wb = openpyxl.load_workbook(tmp_path / "questions.xlsx")
    assert [c.value for c in wb["questions"][1]] == [
        "principle", "id", "statement", "guidance", "weight"
    ]  # fmt: skip
    assert [c.value for c in wb["principles"][1]] == ["id", "name", "description"]


def test_a_questions_sheet_alone_uses_the_couple_principles_and_scale(tmp_path):
    path = workbook(
        tmp_path / "Our Questions.xlsx",
        {
            "Questions": [
                ["Principle", "ID", "Statement"],
                ["commitment", "we_meet", "We meet every month."],
                [],
                ["Outcomes", "we_count", "We count what we achieve together."],
                ["commitment", "we_share", "We share our plans."],
            ]
        },
    )
    t = import_template(path)
    standard = resolve_template("couple")
    assert t.id == "our_questions"
    assert [p.id for p in t.principles] == ["commitment", "outcomes"]
    assert [p.name for p in t.principles] == ["Commitment", "Outcomes"]
    assert [q.id for _, q in t.questions] == ["we_meet", "we_share", "we_count"]
    assert [q.weight for _, q in t.questions] == [1.0, 1.0, 1.0]
    assert t.scale == standard.scale
    assert t.settings == standard.settings


def test_mistakes_are_located_by_sheet_and_cell(tmp_path):
    path = workbook(
        tmp_path / "q.xlsx",
        {
            "questions": [
                ["principle", "id", "statement", "guidance", "weight", "colour"],
                ["commitment", "ok_one", "Fine.", "", 1],
                ["partnership", "lost", "An unknown principle.", "", 1],
                ["outcomes", "Bad Id", "An id with capitals and a space.", "", 1],
                ["outcomes", "ok_one", "The same id again.", "", 1],
                ["outcomes", "heavy", "A weight that is a word.", "", "heavy"],
                ["outcomes", "no_text", "", "", 1],
                ["leadership", "lead_one", "Someone leads.", "", 1],
            ],
            "principles": [
                ["id", "name", "description"],
                ["commitment", "Commitment", "Wanting it."],
                ["outcomes", "Outcomes", "Knowing what for."],
                ["leadership", "Leader[ship]", "Nobody leads."],
                ["execution", "Execution", "Doing it."],
            ],
            "template": [
                ["setting", "value", "text"],
                ["strength", 6, ""],
                ["colour", "blue", ""],
            ],
        },
    )
    found = problems(path)
    f = str(path)
    assert f"{f}: sheet 'questions': cell F1: unknown column 'colour'" in found[0]
    expected = [
        f"{f}: sheet 'template': cell A3: unknown setting 'colour'",
        f"{f}: sheet 'questions': cell A3: 'partnership' is not a principle id",
        f"{f}: sheet 'questions': cell B5: the question id 'ok_one' is also used on row 2",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    # With those mended, the model's own problems are placed on their cells too.
    wb = openpyxl.load_workbook(path)
    wb["questions"].delete_cols(6)
    wb["template"].delete_rows(3)
    wb["questions"].delete_rows(3)  # the unknown principle
    wb["questions"].delete_rows(4)  # the repeated id
    wb.save(path)
    found = problems(path)
    expected = [
        f"{f}: sheet 'questions': cell B3: String should match pattern",
        f"{f}: sheet 'questions': cell E4: Input should be a valid number",
        f"{f}: sheet 'questions': cell C5: String should have at least 1 character",
        f"{f}: sheet 'principles': cell B4: a principle name is a sheet name",
        f"{f}: sheet 'principles': cell A5: the principle execution has no statements",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    assert len(found) == len(expected), found
    # A rule across sheets is checked once the rest is right, and names its settings.
    ws = wb["questions"]
    ws["B3"], ws["E4"], ws["C5"] = "good_id", 2, "Now with words."
    wb["principles"]["B4"] = "Leadership"
    wb["principles"].delete_rows(5)
    wb.save(path)
    assert problems(path) == [
        f"{f}: (top level): settings.developing and settings.strength must lie within the "
        "scale (1–5)"
    ]


def test_the_cli_lists_every_problem_and_writes_nothing(tmp_path):
    path = workbook(
        tmp_path / "q.xlsx",
        {"questions": [["principle", "id"], ["commitment", "no_statement_column"]]},
    )
    out = tmp_path / "t.toml"
    result = CliRunner().invoke(main, ["templates", "import", str(path), "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}: sheet 'questions': row 1: the header row has no 'statement' column" in (
        result.output
    )
    assert not out.exists()
    nothing = workbook(tmp_path / "none.xlsx", {"Sheet1": [["a"]]})
    result = CliRunner().invoke(main, ["templates", "import", str(nothing), "-o", str(out)])
    assert result.exit_code == 1
    assert "no 'questions' sheet" in result.output
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = CliRunner().invoke(main, ["templates", "import", str(broken), "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert str(broken) in result.output


def test_export_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "q.xlsx"
    out.write_text("mine")
    result = CliRunner().invoke(main, ["templates", "export", "couple", "-o", str(out)])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert out.read_text() == "mine"
    result = CliRunner().invoke(main, ["templates", "export", "couple", "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert import_template(out).fingerprint == resolve_template("couple").fingerprint
    assert set(COUPLE_IDS) == {p.id for p in import_template(out).principles}
