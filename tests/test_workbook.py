"""What a generated workbook contains: names, validation, protection, print set-up, metadata."""

from __future__ import annotations

import json
import re
import zipfile

import openpyxl
import pytest

from couple_xl import formulas
from couple_xl.metadata import PROPERTY_PREFIX, WorkbookMetadata, read_manifest
from couple_xl.templates import template_from_data
from couple_xl.workbook import META_SHEET, QID_COLUMN, START_SHEET
from tests.helpers import custom_properties, generate, named_cell, review_workbook


@pytest.fixture
def wb(blank_workbook):
    book = openpyxl.load_workbook(blank_workbook)
    yield book
    book.close()


def test_sheets_in_order(wb, template):
    assert wb.sheetnames == [
        "Start",
        *[p.name for p in template.principles],
        "Summary",
        META_SHEET,
    ]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert all(wb[name].sheet_state == "visible" for name in wb.sheetnames[:-1])


def test_every_question_has_named_answer_and_comment_cells(wb, template):
    for principle, q in template.questions:
        answer = named_cell(wb, f"Q_{q.id}")
        comment = named_cell(wb, f"N_{q.id}")
        assert answer.parent.title == principle.name
        assert comment.row == answer.row
        assert comment.column == answer.column + 1
        # The hidden second route to the answer: the question id on the same row.
        assert answer.parent[f"{QID_COLUMN}{answer.row}"].value == q.id
        assert answer.parent.column_dimensions[QID_COLUMN].hidden
        # The statement text is on the same row, for a person reading it.
        statement = answer.parent.cell(answer.row, answer.column - 1).value
        assert q.text in str(statement)
        assert answer.protection.locked is False
        assert comment.protection.locked is False


def test_names_are_workbook_scoped(wb, template):
    expected = {f"Q_{q.id}" for _, q in template.questions}
    expected |= {f"N_{q.id}" for _, q in template.questions}
    for p in template.principles:
        expected |= {f"{kind}_{p.id}" for kind in ("SCORE", "BAND", "ANSWERED", "COVERAGE")}
        expected |= {f"PROVISIONAL_{p.id}", f"ACTIONS_{p.id}"}
    expected |= {"SCORE_OVERALL", "BAND_OVERALL", "PROVISIONAL_OVERALL"}
    expected |= {"RESPONDENT_NAME", "RESPONDENT_ROLE", "RESPONDENT_DATE"}
    expected |= {formulas.ACCEPT_TEXT, formulas.ACCEPT_VALUE, formulas.SCALE_VALUES}
    expected |= {formulas.ACCEPT_TABLE}
    # The names screen readers look for, for each table (see test_accessibility): on a
    # principle sheet, its statements (headings in row 4, A to D) and its actions.
    for p in template.principles:
        last = 4 + len(p.questions)
        first_action = last + 4  # after a blank row, the heading and a line of help
        region = f"A4.D{last}"
        actions = f"A{first_action}.D{first_action + template.settings.action_rows}"
        expected |= {f"ColumnTitle_{p.id}.{region}", f"RowTitle_{p.id}.{region}"}
        expected |= {f"ColumnTitle_{p.id}_actions.{actions}", f"RowTitle_{p.id}_actions.{actions}"}
    summary = 3 + 3 + 1  # the title, who, three lines of how to read it, a blank row
    expected.add(f"Title__summary.B{summary}.H{summary + len(template.principles) + 1}")
    start = wb["Start"]
    expected.add(f"RowTitle__start.B2.C{start.max_row}")
    assert set(wb.defined_names) == expected
    for ws in wb.worksheets:
        assert not ws.defined_names


def test_dropdowns_offer_the_scale(wb, template):
    choices = ",".join(template.engine_scale.choices)
    for _principle, q in template.questions:
        answer = named_cell(wb, f"Q_{q.id}")
        ws = answer.parent
        validations = ws.data_validations.dataValidation
        matching = [dv for dv in validations if answer.coordinate in dv.sqref]
        assert len(matching) == 1, q.id
        dv = matching[0]
        assert dv.type == "list"
        assert dv.formula1 == f'"{choices}"'
        # A typed number is allowed, with a warning: nothing a partner types is refused.
        assert dv.errorStyle == "warning"
        assert dv.showInputMessage
        assert dv.prompt == q.guidance
        assert not dv.showDropDown  # in the file format, True would hide the arrow


def test_protection_and_print_setup(wb):
    for ws in wb.worksheets:
        assert ws.protection.sheet is True, ws.title
        assert ws.protection.password is None
        assert ws.protection.formatRows is False
        assert ws.protection.formatColumns is False
        if ws.title == META_SHEET:
            continue
        assert str(ws.page_setup.paperSize) == "9"  # A4
        assert ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddHeader.left.text == "Riverside Food Partnership"
        assert ws.oddHeader.right.text == "Age UK Riverside"
    commitment = wb["Commitment"]
    assert commitment.freeze_panes == "A5"
    assert commitment.page_setup.orientation == "landscape"


def test_only_input_cells_are_unlocked(wb, template):
    unlocked = {
        (ws.title, c.coordinate)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.protection.locked is False
    }
    expected = set()
    for _, q in template.questions:
        for kind in ("Q", "N"):
            c = named_cell(wb, f"{kind}_{q.id}")
            expected.add((c.parent.title, c.coordinate))
    for name in ("RESPONDENT_NAME", "RESPONDENT_ROLE", "RESPONDENT_DATE"):
        c = named_cell(wb, name)
        expected.add((c.parent.title, c.coordinate))
    for p in template.principles:
        ((sheet, ref),) = list(wb.defined_names[f"ACTIONS_{p.id}"].destinations)
        for row in wb[sheet][ref.replace("$", "")]:
            expected |= {(sheet, c.coordinate) for c in row}
    assert unlocked == expected
    assert len(expected) == 2 * 25 + 3 + 6 * template.settings.action_rows * 3


def test_formulas_have_no_cached_values_and_recalculate_on_load(blank_workbook, template):
    with zipfile.ZipFile(blank_workbook) as z:
        workbook_xml = z.read("xl/workbook.xml").decode()
        assert 'fullCalcOnLoad="1"' in workbook_xml
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        formula_cells = 0
        for name in sheets:
            xml = z.read(name).decode()
            formula_cells += xml.count("<f>")
            # openpyxl writes an empty <v/> (or <v></v> with lxml): no cached result.
            assert not re.search(r"</f><v>[^<]", xml), name
        # Two helper formulas per question; a banner per principle sheet; six summary
        # cells per principle and for the overall row.
        n_questions, n_principles = len(template.questions), len(template.principles)
        assert formula_cells == 2 * n_questions + 7 * n_principles + 6
        assert not any(n.endswith(".bin") for n in z.namelist())  # no macros


def test_score_cells_are_formulas(wb, template):
    for p in template.principles:
        score = named_cell(wb, f"SCORE_{p.id}")
        assert score.parent.title == "Summary"
        assert str(score.value).startswith("=IFERROR(COUPLE_SCORE(")
        assert score.number_format == "0.0"
    assert str(named_cell(wb, "SCORE_OVERALL").value).startswith("=IFERROR(COUPLE_OVERALL(")


def test_metadata_is_stored_twice(wb, template):
    props = custom_properties(wb)
    sheet = {
        row[0]: row[1]
        for row in wb[META_SHEET].iter_rows(min_row=3, max_col=2, values_only=True)
        if row[0]
    }
    meta = WorkbookMetadata.validate(
        {k.removeprefix(PROPERTY_PREFIX): ("" if v == "-" else v) for k, v in props.items()}
        | {"due_date": None}
    )
    assert meta.template_id == "couple"
    assert meta.template_version == template.version
    assert meta.template_sha256 == template.fingerprint
    assert meta.partnership_id == "riverside-food-partnership"
    assert meta.partnership_name == "Riverside Food Partnership"
    assert meta.partner == "Age UK Riverside"
    assert len(meta.return_id) == 32
    for key, value in meta.as_strings().items():
        assert sheet[key] == (value or None), key
    embedded = "".join(v for k, v in sheet.items() if k.startswith("template_json."))
    assert template_from_data(json.loads(embedded), "embedded") == template


def test_return_ids_are_unique_and_match_the_manifest(tmp_path):
    result = generate(tmp_path, partners=["A", "B", "C"])
    manifest = read_manifest(result.manifest)
    assert [p.partner for p in manifest.partners] == ["A", "B", "C"]
    ids = []
    for entry in manifest.partners:
        wb = openpyxl.load_workbook(tmp_path / entry.file)
        assert custom_properties(wb)[PROPERTY_PREFIX + "return_id"] == entry.return_id
        assert custom_properties(wb)[PROPERTY_PREFIX + "partner"] == entry.partner
        ids.append(entry.return_id)
    assert len(set(ids)) == 3


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    result = generate(tmp_path, partners=["=HYPERLINK(1)"], partnership_name="=1+1 Group")
    wb = openpyxl.load_workbook(result.workbooks[0].path)
    start = wb["Start"]
    values = [start[f"C{r}"].value for r in range(3, 8)]
    assert values[:2] == ["=1+1 Group", "=HYPERLINK(1)"]
    assert start["C3"].data_type == "s"
    assert start["C4"].data_type == "s"
    meta = wb[META_SHEET]
    cells = [c for row in meta.iter_rows(min_row=3, min_col=2, max_col=2) for c in row if c.value]
    assert len(cells) > 10
    assert all(c.data_type == "s" for c in cells)


@pytest.mark.parametrize("actions", [0, 2])
def test_start_sheet_numbers_every_step_in_order(tmp_path, template, actions):
    """With or without the Agreed actions sheet, the steps are 1, 2, 3… with none
    unnumbered between them, and the Agreed actions step comes second when it is there."""
    if actions:
        path = review_workbook(tmp_path, template, [None] * actions)
    else:
        path = generate(tmp_path, partners=["A"]).workbooks[0].path
    ws = openpyxl.load_workbook(path)[START_SHEET]
    rows = [(ws[f"B{r}"].value, ws[f"C{r}"].value) for r in range(1, ws.max_row + 1)]
    labels = [label for label, _ in rows]
    # Each step is a row: its number in the label column, its text beside it.
    steps = rows[labels.index("How to answer") + 1 : labels.index("Please note")]
    assert [label for label, _ in steps] == [f"Step {n}" for n in range(1, len(steps) + 1)]
    assert all(text for _, text in steps)
    assert ("Agreed actions" in steps[1][1]) == bool(actions)
    assert len(steps) == 5 + bool(actions)
