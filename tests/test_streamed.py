"""The Data sheet's rows streamed into a closed XlsxWriter workbook (streamed.py): every
kind of value comes back as written, the table spans every row, and Excel's rules for
text are kept."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from couple_xl.streamed import StreamedRows
from tests.ooxml import audit

COLUMNS = ["Text", "Date", "Number", "Flag"]
LONG = "x" * 40_000
EMOJI_LONG = "🙂" * 20_000  # 40,000 UTF-16 units: Excel keeps 16,383 whole emoji
ROWS = [
    ["plain", dt.date(2026, 10, 1), 4, True],
    ["  leading and trailing  ", dt.date(2027, 1, 31), 2.5, False],
    ["a <tag> & an ampersand", None, None, None],
    ["bell\x07 and tab\t", dt.date(2026, 10, 1), -1, True],
    ["_x0041_ typed literally", dt.date(2026, 10, 1), 0, False],
    [LONG, dt.date(2026, 10, 1), 1e-9, True],
    [EMOJI_LONG, dt.date(2026, 10, 1), 3, True],
    ["=SUM(A1:A2)", dt.date(2026, 10, 1), 3, True],
]
# What a spreadsheet reader shows, worked out by hand from Excel's rules: text cut to
# 32,767 UTF-16 units, control characters kept (stored as _x0007_), "_x0041_" kept as
# typed, a formula-like string left as text, a date as a date.
EXPECTED_TEXT = [
    "plain",
    "  leading and trailing  ",
    "a <tag> & an ampersand",
    "bell\x07 and tab\t",
    "_x0041_ typed literally",
    "x" * 32_767,
    "🙂" * 16_383,
    "=SUM(A1:A2)",
]


def _write(path, rows):
    frame = path.with_name("frame.xlsx")
    wb = xlsxwriter.Workbook(str(frame), {"strings_to_formulas": False})
    ws = wb.add_worksheet("Data")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    first = rows[0]
    ws.write_string(1, 0, first[0])
    ws.write_datetime(1, 1, first[1], date)
    ws.write_number(1, 2, first[2])
    ws.write_boolean(1, 3, first[3])
    ws.add_table(0, 0, 1, 3, {"name": "T", "columns": [{"header": c} for c in COLUMNS]})
    with StreamedRows(2, COLUMNS, 1, "T") as streamed:
        for row in rows[1:]:
            streamed.add(row)
        wb.close()
        streamed.splice(frame, "xl/worksheets/sheet1.xml", path)
    return streamed


def test_every_kind_of_value_reads_back_as_written(tmp_path):
    out = tmp_path / "s.xlsx"
    _write(out, ROWS)
    ws = openpyxl.load_workbook(out)["Data"]
    got = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    # openpyxl shows the stored form of escaped text (a control character as _x0007_,
    # a literal "_x0041_" as "_x005F_x0041_"); Excel and python-calamine undo it (below).
    stored = [
        t.replace("\x07", "_x0007_").replace("_x0041_", "_x005F_x0041_") for t in EXPECTED_TEXT
    ]
    assert [r[0] for r in got] == stored
    dates = [r[1] for r in got]
    assert dates == [
        dt.datetime(2026, 10, 1),
        dt.datetime(2027, 1, 31),
        None,
        *[dt.datetime(2026, 10, 1)] * 5,
    ]
    # Every date cell, streamed or not, carries the frame's date format.
    assert {ws.cell(row, 2).number_format for row in (2, 3, 5, 9)} == {"yyyy-mm-dd"}
    assert [r[2] for r in got] == [4, 2.5, None, -1, 0, 1e-9, 3, 3]
    assert [r[3] for r in got] == [True, False, None, True, False, True, True, True]
    # python-calamine (the reader couple_xl uses) agrees on the text.
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Data").to_python()
    assert [row[0] for row in sheet[1:]] == EXPECTED_TEXT


def test_the_table_spans_every_row(tmp_path):
    out = tmp_path / "s.xlsx"
    _write(out, ROWS)
    wb = openpyxl.load_workbook(out)
    ws = wb["Data"]
    assert ws.tables["T"].ref == f"A1:D{len(ROWS) + 1}"
    assert ws.tables["T"].autoFilter.ref == f"A1:D{len(ROWS) + 1}"
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<dimension ref="A1:D9"/>', sheet)
    assert audit(out) == []


def test_a_table_of_only_the_frame_row(tmp_path):
    out = tmp_path / "s.xlsx"
    streamed = _write(out, ROWS[:1])
    assert streamed.count == 0
    ws = openpyxl.load_workbook(out)["Data"]
    assert ws.tables["T"].ref == "A1:D2"
    assert [c.value for c in ws[2]] == ["plain", dt.datetime(2026, 10, 1), 4, True]


def test_a_frame_without_the_table_is_refused(tmp_path):
    frame = tmp_path / "frame.xlsx"
    wb = xlsxwriter.Workbook(str(frame))
    ws = wb.add_worksheet("Data")
    ws.write_datetime(1, 1, dt.datetime(2026, 1, 1), wb.add_format({"num_format": "d"}))
    ws.add_table(0, 0, 5, 3, {"name": "T"})  # not the frame's rows
    wb.close()
    with StreamedRows(2, COLUMNS, 1, "T") as streamed, pytest.raises(ValueError, match="span"):
        streamed.splice(frame, "xl/worksheets/sheet1.xml", tmp_path / "out.xlsx")


def test_styled_columns_and_row_heights_are_streamed(tmp_path):
    """Every cell of a styled column carries its frame cell's style (blank ones too, so
    that a table's lines and wrapping run down the column); a row gets the height given."""
    frame = tmp_path / "frame.xlsx"
    wb = xlsxwriter.Workbook(str(frame), {"strings_to_formulas": False})
    ws = wb.add_worksheet("Data")
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    one_place = wb.add_format({"num_format": "0.0", "align": "center"})
    ws.write_string(1, 0, "first", wrap)
    ws.write_datetime(1, 1, dt.datetime(2026, 10, 1), wb.add_format({"num_format": "d mmm"}))
    ws.write_number(1, 2, 4.25, one_place)
    ws.write_boolean(1, 3, True)
    ws.add_table(0, 0, 1, 3, {"name": "T", "columns": [{"header": c} for c in COLUMNS]})
    out = tmp_path / "s.xlsx"
    with StreamedRows(2, COLUMNS, 1, "T", styled=(0, 2)) as streamed:
        streamed.add(["a long text that wraps", dt.date(2026, 1, 2), 3.75, False], height=30)
        streamed.add([None, None, None, None])
        wb.close()
        streamed.splice(frame, "xl/worksheets/sheet1.xml", out)
    ws = openpyxl.load_workbook(out)["Data"]
    assert [ws.cell(row, 1).alignment.wrap_text for row in (2, 3, 4)] == [True, True, True]
    assert [ws.cell(row, 3).number_format for row in (2, 3, 4)] == ["0.0"] * 3
    assert ws.cell(3, 3).alignment.horizontal == "center"
    assert ws.cell(3, 2).number_format == "d mmm"
    assert ws.cell(3, 4).number_format == "General"  # an unstyled column stays plain
    assert ws.row_dimensions[3].height == 30
    assert ws.row_dimensions[4].height is None
    assert [c.value for c in ws[3]] == ["a long text that wraps", dt.datetime(2026, 1, 2), 3.75,
                                        False]  # fmt: skip
    assert audit(out) == []
