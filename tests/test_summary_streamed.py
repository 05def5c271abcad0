"""The summary with every sheet's table rows streamed (so memory stays flat in the number
of returns) is the workbook XlsxWriter makes when it keeps them: read back with
openpyxl, sheet by sheet, the same values, styles, widths, heights, tables, names,
rules and page set-up; the charts and drawings the same bytes. For the demo, and for
returns full of awkward text."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from couple_xl import demo
from couple_xl.audience import Audience, audience_view
from couple_xl.consolidate import consolidate
from couple_xl.levels import LEVELS
from couple_xl.streamed import SheetRows
from couple_xl.summary import write_summary
from tests.helpers import fill, generate

GENERATED = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)
AWKWARD = [
    "a <tag> & an \"ampersand\" 'quoted'",
    "=1+1",
    "_x0041_ typed literally, and _x005F_ too",
    "tab\there and a line\nbreak",
    "  spaces at both ends  ",
    "emoji 🙂🎉 and accents: café, naïve",
    "x" * 32_767,
    "+44 20 7946 0000",
    "@mention and -minus",
]
STYLE = ("font", "fill", "border", "alignment", "number_format", "protection")


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, Path]:
    """The demo's returns, and a round of four partners whose answers, comments,
    respondents and actions are awkward text."""
    folder = tmp_path_factory.mktemp("streamed")
    demo.run_demo(folder / "demo")
    sent = folder / "awkward" / "sent"
    made = generate(sent, partners=("Alpha & Co <Ltd>", "Beta 🙂", "=Gamma", "_x0041_ Delta"))
    returns = folder / "awkward" / "returns"
    returns.mkdir(parents=True)
    from couple_xl.templates import resolve_template

    template = resolve_template("couple")
    questions = [q.id for _, q in template.questions]
    principle = template.principles[0].id
    for i, written in enumerate(made.workbooks):
        answers = {qid: 1 + (i + n) % 4 for n, qid in enumerate(questions)}
        answers[questions[i]] = AWKWARD[i]  # typed text where a choice belongs
        comments = {qid: AWKWARD[(i + n) % len(AWKWARD)] for n, qid in enumerate(questions)}
        fill(
            written.path,
            returns / written.path.name,
            answers,
            comments,
            respondent=(AWKWARD[(i + 4) % len(AWKWARD)][:100], "=Role"),
            actions={principle: [[AWKWARD[i], "=Owner", "<soon>"]]},
        )
    return {"demo": folder / "demo" / "returns", "awkward": returns}


def _cells(ws) -> list[tuple]:
    """Each cell's value (text aside: openpyxl undoes Excel's escapes in shared strings but
    not in inline ones, so text is compared as python-calamine reads it), type and style."""
    return [
        (c.coordinate, None if c.data_type == "s" else c.value, c.data_type,
         *(repr(getattr(c, k)) for k in STYLE))
        for row in ws.iter_rows()
        for c in row
    ]  # fmt: skip


def _values(path: Path) -> dict[str, list[list]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _sheet(ws) -> dict:
    """Everything openpyxl reads of a sheet but its cells."""
    return {
        "dimensions": ws.dimensions,
        "columns": {k: (d.width, d.hidden, d.customWidth) for k, d in ws.column_dimensions.items()},
        "rows": {
            k: (d.height, d.hidden, d.customHeight)
            for k, d in ws.row_dimensions.items()
            if d.height is not None or d.hidden
        },
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "freeze": ws.freeze_panes,
        "print_area": ws.print_area,
        "print_titles": (ws.print_title_rows, ws.print_title_cols),
        "page": repr(ws.page_setup),
        "fit": repr(ws.sheet_properties.pageSetUpPr),
        "margins": repr(ws.page_margins),
        "footer": repr(ws.oddFooter.left.text) + repr(ws.oddFooter.right.text),
        "breaks": ([b.id for b in ws.row_breaks.brk], [b.id for b in ws.col_breaks.brk]),
        "rules": sorted(
            (str(rng.sqref), repr(rule.formula), rule.type, rule.priority)
            for rng, rules in ws.conditional_formatting._cf_rules.items()
            for rule in rules
        ),
        "tables": sorted(
            (t.name, t.ref, [c.name for c in t.tableColumns]) for t in ws.tables.values()
        ),
        "validations": sorted(str(v.sqref) for v in ws.data_validations.dataValidation),
    }


def _unchanged_parts(path: Path) -> dict[str, bytes]:
    """The parts neither way of writing rows touches: charts, drawings, relations, the
    workbook's own part and its properties."""
    with zipfile.ZipFile(path) as z:
        return {
            # The document's times are the clock's, a second apart.
            n: re.sub(rb"<dcterms:(created|modified)[^<]*<", b"", z.read(n))
            for n in z.namelist()
            if not re.fullmatch(r"xl/(worksheets/sheet\d+\.xml|styles\.xml|sharedStrings\.xml)", n)
            and n != "[Content_Types].xml"  # lists sharedStrings.xml where there is one
        }


@pytest.mark.parametrize("corpus", ["demo", "awkward"])
@pytest.mark.parametrize("level", LEVELS)
def test_streamed_summary_equals_the_plain_one(corpora, corpus, level, tmp_path):
    result = consolidate([corpora[corpus]])
    assert result.records
    assert not result.rejected
    view = audience_view(result, Audience(level, False))
    streamed, plain = tmp_path / "streamed.xlsx", tmp_path / "plain.xlsx"
    assert write_summary(view, streamed, GENERATED) == [
        f.__class__(f.message, f.location.__class__(streamed, f.location.sheet), f.severity)
        for f in write_summary(view, plain, GENERATED, stream=False)
    ]
    a, b = openpyxl.load_workbook(streamed), openpyxl.load_workbook(plain)
    assert a.sheetnames == b.sheetnames
    assert {n: d.attr_text for n, d in a.defined_names.items()} == {
        n: d.attr_text for n, d in b.defined_names.items()
    }
    for name in a.sheetnames:
        assert _sheet(a[name]) == _sheet(b[name]), name
        assert _cells(a[name]) == _cells(b[name]), name
    assert _values(streamed) == _values(plain)
    assert _unchanged_parts(streamed) == _unchanged_parts(plain)
    # The rows were streamed: the text of the Questions sheet's answers is stored inline.
    with zipfile.ZipFile(streamed) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sum(b't="inlineStr"' in z.read(n) for n in sheets) >= len(sheets) - 1


def test_awkward_text_comes_back_as_typed(corpora, tmp_path):
    """Read by python-calamine, the reader couple_xl uses, the streamed Questions sheet
    holds each awkward comment exactly as the returns were read (Excel's escapes undone)."""
    from python_calamine import CalamineWorkbook

    result = consolidate([corpora["awkward"]])
    typed = {text for record in result.records for text in record.comments.values()}
    assert len(typed) == len(AWKWARD)
    out = tmp_path / "s.xlsx"
    write_summary(audience_view(result, Audience("partner", False)), out, GENERATED)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Questions").to_python()
    shown = {cell for row in rows for cell in row if isinstance(cell, str)}
    assert typed <= shown


def test_rows_are_spliced_in_their_places(tmp_path):
    import xlsxwriter

    from couple_xl.streamed import cell_xml, splice

    frame, out = tmp_path / "frame.xlsx", tmp_path / "out.xlsx"
    wb = xlsxwriter.Workbook(str(frame))
    ws = wb.add_worksheet("S")
    bold = wb.add_format({"bold": True})
    ws.write_string(0, 0, "title", bold)
    ws.write_string(3, 0, "between")
    ws.set_row(5, 30)
    with SheetRows() as rows:
        for row in (1, 2, 4, 6, 7):
            rows.add(row, [cell_xml(f"A{row + 1}", bold._get_xf_index(), f"r{row}")], None)
        ws._check_dimensions(7, 0)
        wb.close()
        splice(frame, {"xl/worksheets/sheet1.xml": rows}, out)
        assert 4 in rows
        assert 3 not in rows
    got = openpyxl.load_workbook(out)["S"]
    assert [got.cell(r, 1).value for r in range(1, 9)] == [
        "title", "r1", "r2", "between", "r4", None, "r6", "r7"
    ]  # fmt: skip
    assert got.row_dimensions[6].height == 30
    assert got.cell(2, 1).font.b
    assert got.dimensions == "A1:A8"


def test_a_row_both_streamed_and_kept_is_refused(tmp_path):
    import xlsxwriter

    from couple_xl.streamed import splice

    frame = tmp_path / "frame.xlsx"
    wb = xlsxwriter.Workbook(str(frame))
    wb.add_worksheet("S").write_string(2, 0, "kept")
    wb.close()
    with SheetRows() as rows:
        rows.add(2, ['<c r="A3" t="inlineStr"><is><t>streamed</t></is></c>'])
        with pytest.raises(ValueError, match="row 3 is both streamed and kept"):
            splice(frame, {"xl/worksheets/sheet1.xml": rows}, tmp_path / "out.xlsx")
        with pytest.raises(ValueError, match="comes after"):
            rows.add(1, [])


@pytest.mark.parametrize("corpus", ["demo", "awkward"])
@pytest.mark.parametrize("level", LEVELS)
def test_json_written_a_piece_at_a_time_equals_one_dump(corpora, corpus, level, tmp_path):
    import json

    from couple_xl.exports import as_json, write_json

    view = audience_view(consolidate([corpora[corpus]]), Audience(level, False))
    out = write_json(view, tmp_path / "s.json")
    whole = json.dumps(as_json(view), ensure_ascii=False, indent=2)
    assert out.read_text(encoding="utf-8") == whole
    assert json.loads(whole)["partnerships"]


def test_records_share_the_texts_every_return_repeats(corpora):
    """Each return is read apart (in a worker process, at scale), with its own copy of
    every question id and cell reference; the run keeps one, and nothing else changes."""
    from couple_xl.returns import read_return

    files = sorted(corpora["demo"].rglob("*.xlsx"))
    records = consolidate(files).records
    assert len(records) >= 2
    first, second = records[0], records[1]
    shared = set(first.cells) & set(second.cells)
    assert shared
    for qid in shared:
        (a,) = [k for k in first.cells if k == qid]
        (b,) = [k for k in second.cells if k == qid]
        assert a is b
        assert first.cells[qid] is second.cells[qid] or first.cells[qid] != second.cells[qid]
    alone = read_return(first.path)
    assert (alone.answers, alone.comments, alone.cells) == (
        first.answers, first.comments, first.cells
    )  # fmt: skip
    assert alone.assessment.values == first.assessment.values
