"""Excel's limits never cut the summary silently. Small limits are injected
(excel.SheetLimits), so that a few returns meet them: the Data table continues on further
sheets, the Questions sheet splits, a chart shows the latest rounds or the first
partners, and anything else past a sheet's last row or column is reported, on screen and
on the Overview."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner

from couple_xl import excel
from couple_xl.audience import audience_view
from couple_xl.cli import main
from couple_xl.consolidate import consolidate
from couple_xl.errors import Severity
from couple_xl.excel import SheetLimits
from couple_xl.summary import DATA_COLUMNS, write_summary
from tests.helpers import fill, generate
from tests.ooxml import audit


def test_the_limits_are_the_ones_xlsxwriter_enforces(tmp_path):
    """The guards stop exactly where XlsxWriter would start refusing without a word."""
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet()
    assert ws.write(excel.ROWS - 1, excel.COLUMNS - 1, "last") == 0
    assert ws.write(excel.ROWS, 0, "past the last row") == -1
    assert ws.write(0, excel.COLUMNS, "past the last column") == -1
    chart = wb.add_chart({"type": "column"})
    for _ in range(excel.CHART_SERIES):
        chart.add_series({"values": "=Sheet1!$A$1:$A$2"})
    with pytest.warns(UserWarning, match="maximum number of series"):
        chart.add_series({"values": "=Sheet1!$A$1:$A$2"})
    assert len(chart.series) == excel.CHART_SERIES  # the 256th is dropped
    wb.close()
    assert SheetLimits(excel.ROWS, excel.COLUMNS, excel.CHART_SERIES) == excel.SHEET_LIMITS


def test_limits_too_small_to_lay_out_are_refused():
    with pytest.raises(ValueError, match="too small"):
        SheetLimits(rows=1)


def _returns(tmp_path, template, partners, answers=4, respondents=None):
    """One round: each partner returns every answer (or ``respondents`` colleagues of the
    first partner each return a copy); the folder."""
    sent = generate(tmp_path / "sent", partners=partners)
    returns = tmp_path / "returns"
    returns.mkdir()
    every = {q.id: answers for _, q in template.questions}
    if respondents:
        for i in range(respondents):
            fill(sent.workbooks[0].path, returns / f"r{i}.xlsx", {**every, "commitment_choice":
                 1 + i % 5}, respondent=(f"Colleague {i + 1}", ""))  # fmt: skip
    else:
        for w in sent.workbooks:
            fill(w.path, returns / f"{w.partner}.xlsx", every)
    return returns


def _rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _overview_lines(path) -> list[str]:
    ws = openpyxl.load_workbook(path)["Overview"]
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_the_data_table_continues_on_further_sheets(tmp_path, template):
    returns = _returns(tmp_path, template, ["A", "B"])
    view = audience_view(consolidate([returns]))
    answers = 2 * len(template.questions)  # every question answered, by two partners
    # 40 rows a sheet: 39 below the heading, so the answers fill Data and part of Data 2.
    # No other sheet of this summary is as long.
    out = tmp_path / "s.xlsx"
    findings = write_summary(view, out, limits=SheetLimits(rows=40))
    wb = openpyxl.load_workbook(out)
    assert [n for n in wb.sheetnames if n.startswith("Data")] == ["Data", "Data 2"]
    first, second = _rows(wb["Data"]), _rows(wb["Data 2"])
    assert first[0] == second[0] == DATA_COLUMNS
    assert len(first) == 40
    assert len(second) == 1 + answers - 39
    # Every answer once, in order, each part a table of its own over its rows.
    got = [(r[3], r[7]) for r in first[1:] + second[1:]]
    assert got == [(p, q.id) for p in ("A", "B") for _, q in template.questions]
    assert wb["Data"].tables["CoupleData"].ref == "A1:L40"
    assert wb["Data 2"].tables["CoupleData2"].ref == f"A1:L{len(second)}"
    assert {type(c) for c in (second[1][2], first[5][2])} == {dt.datetime}  # dates stay dates
    (finding,) = findings
    assert finding.severity == Severity.NOTE
    assert (finding.location.file, finding.location.sheet) == (out, "Data")
    assert finding.message == (
        f"its {answers:,} rows are more than an Excel sheet holds (39 below the headings): "
        "the table continues on Data 2, each a table of its own"
    )
    assert f"Data: {finding.message}." in _overview_lines(out)
    assert audit(out) == []


def test_the_command_says_what_the_limits_changed(tmp_path, template, monkeypatch):
    returns = _returns(tmp_path, template, ["A", "B"])
    monkeypatch.setattr(excel, "SHEET_LIMITS", SheetLimits(rows=40))
    out = tmp_path / "s.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(returns), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"Note: {out}: sheet 'Data': its {2 * len(template.questions)} rows are more" in (
        result.output
    )


def test_the_questions_sheet_splits_by_respondents(tmp_path, template):
    # 14 columns: the statement's three and Spread and Flag leave room for four
    # respondents' answer and comment; nine colleagues make three sheets (4, 4, 1).
    returns = _returns(tmp_path, template, ["A"], respondents=9)
    out = tmp_path / "s.xlsx"
    findings = write_summary(
        audience_view(consolidate([returns])), out, limits=SheetLimits(columns=14)
    )
    wb = openpyxl.load_workbook(out)
    parts = ["Questions", "Questions 2", "Questions 3"]
    assert [n for n in wb.sheetnames if n.startswith("Questions")] == parts
    shown = []
    for title, (a, b) in zip(parts, [(1, 4), (5, 8), (9, 9)]):
        rows = _rows(wb[title])
        heading = next(r[0] for r in rows if r[0] and r[0].startswith("Riverside"))
        assert heading.endswith(f"(respondents {a} to {b} of 9)")
        header = next(r for r in rows if r[0] == "Principle")
        names = [h for h in header if h and h.endswith(": answer")]
        assert len(names) == b - a + 1
        assert header[:3] == ["Principle", "Question id", "Statement"]
        assert [h for h in header if h][-2:] == ["Spread", "Flag"]
        shown += names
        # Each colleague's own answer to commitment_choice is in its column.
        row = next(r for r in rows if r[1] == "commitment_choice")
        for name in names:
            number = int(re.search(r"Colleague (\d+)", name).group(1))
            assert row[header.index(name)] == 1 + (number - 1) % 5
    assert sorted(shown) == sorted(f"A: Colleague {i}: answer" for i in range(1, 10))
    (finding,) = findings
    assert finding.location.sheet == "Questions"
    assert finding.message == (
        "9 respondents need 23 columns, more than an Excel sheet has (14): each sheet holds "
        "4 of them, and the others continue on Questions 2 and Questions 3"
    )
    assert audit(out) == []


def test_charts_with_more_series_than_excel_draws_say_so(tmp_path, template):
    """Four rounds on the Overview's chart and four partners on a radar, with charts that
    hold three: the three latest rounds, and the first three partners."""
    returns = tmp_path / "returns"
    returns.mkdir()
    dates = {"One": dt.date(2026, 3, 1), "Two": dt.date(2026, 1, 1),
             "Three": dt.date(2026, 2, 1), "Four": dt.date(2026, 4, 1)}  # fmt: skip
    for name, date in dates.items():
        partners = ["A", "B", "C", "D"] if name == "One" else ["A"]
        sent = generate(tmp_path / name, partners=partners, partnership_name=f"Partnership {name}",
                        round_label=name, round_date=date)  # fmt: skip
        for w in sent.workbooks:
            fill(w.path, returns / f"{name}-{w.partner}.xlsx", {"commitment_choice": 4})
    out = tmp_path / "s.xlsx"
    findings = write_summary(
        audience_view(consolidate([returns])), out, limits=SheetLimits(chart_series=3)
    )
    with zipfile.ZipFile(out) as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/")]
    overview = next(c for c in charts if "Mean score by principle" in c)
    # The latest three by round date, shown in the Overview's order (partnerships by name).
    names = re.findall(r"<c:ser>.*?<c:tx><c:v>([^<]*)</c:v>", overview, re.DOTALL)
    assert names == [
        "Partnership Four · Four",
        "Partnership One · One",
        "Partnership Three · Three",
    ]
    assert "Mean score by principle: the 3 latest rounds of 4" in overview
    # Partnership One's radar (the others have a partner each, and say nothing).
    (radar,) = [c for c in charts if "Scores by partner: the first" in c]
    assert radar.count("<c:ser>") == 3
    assert "Scores by partner: the first 3 of 4" in radar
    said = {(f.location.sheet, f.message) for f in findings}
    assert said == {
        ("Overview", "the chart shows the 3 latest rounds of 4 (an Excel chart holds at most 3 "
                     "series); the table above it has every round"),
        ("Partnership One", "the radar shows the first 3 partners of 4 (an Excel chart "
                            "holds at most 3 series); the table has every partner"),
    }  # fmt: skip
    lines = _overview_lines(out)
    assert all(f"{sheet}: {message}." in lines for sheet, message in said)
    assert audit(out) == []


def test_rows_and_columns_past_the_sheet_are_reported_exactly(tmp_path, template):
    """Sheets with no way to continue keep what fits and say which rows or columns are
    left out: with 12 rows a sheet, the Questions sheet (4 title rows: the title, its note
    in two lines and a blank row; a heading, a header and a row for each question) keeps
    the first 6 questions."""
    returns = _returns(tmp_path, template, ["A", "B"])
    out = tmp_path / "s.xlsx"
    findings = write_summary(
        audience_view(consolidate([returns])), out, limits=SheetLimits(rows=12, columns=13)
    )
    questions = len(template.questions)
    said = {(f.location.sheet, f.message) for f in findings}
    assert ("Questions", f"rows 13 to {6 + questions} are left out: an Excel sheet ends at "
            "row 12") in said  # fmt: skip
    # The returns log has 14 columns: the 14th, SHA-256 (N), is past a 13-column sheet.
    assert ("Returns log", "column N is left out: an Excel sheet ends at column M") in said
    wb = openpyxl.load_workbook(out)
    ws = wb["Questions"]
    assert ws.max_row == 12
    assert [r[1] for r in _rows(ws)[6:]] == [q.id for _, q in template.questions[:6]]
    assert wb["Returns log"].max_column == 13
    assert audit(out) == []
