"""Every kind of workbook couple_xl writes can be read with a screen reader, a magnifier or
only a keyboard: partner workbooks (each scoring mode, and with an Agreed actions sheet),
the demo's filled-in returns, the summary at both levels and anonymised, the action plan
and the question list.

The rules are Excel's Accessibility Checker's (alternative text on every drawing object,
no merged cells, named table headers, meaningful sheet names) and WCAG 2.1's contrast,
and beyond them what a screen reader and a keyboard need: headings named so that a
reader announces them (the Title, ColumnTitle and RowTitle names, modelled here on how
NVDA reads them, after JAWS's convention), an input message on every cell to fill in,
instructions first on the Start sheet, text no smaller than 9 points on screen and 8 on
paper, and a title property. Each is checked on the written files, in the files' own XML
or through openpyxl, by code of the tests' own."""

from __future__ import annotations

import math
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.utils import range_boundaries
from openpyxl.utils.cell import coordinate_from_string, get_column_letter

from couple_xl import demo
from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from couple_xl.pipeline import ConsolidateOptions, run_consolidate
from couple_xl.template_sheets import export_questions
from couple_xl.templates import resolve_template

PARTNER_KINDS = ("partner-addin", "partner-native", "partner-lite", "partner-agreed", "return")
SUMMARY_KINDS = ("summary-partner", "summary-partnership", "summary-anonymised")
KINDS = (*PARTNER_KINDS, *SUMMARY_KINDS, "plan", "questions")

NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "dc": "http://purl.org/dc/elements/1.1/",
}
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@pytest.fixture(scope="module")
def kinds(tmp_path_factory) -> dict[str, Path]:
    """One file of each kind: the demo (its second round has an Agreed actions sheet; its
    returns are filled in and saved by openpyxl, as a partner's app saves them), a round in
    each scoring mode, summaries of the demo's returns at each level, and the question
    list."""
    folder = tmp_path_factory.mktemp("kinds")
    made = demo.run_demo(folder / "demo")
    returns = folder / "demo" / "returns"
    template = resolve_template("couple")
    found: dict[str, Path] = {}
    for kind, mode, lite in (("addin", "addin", False), ("native", "native", False),
                             ("lite", "addin", True)):  # fmt: skip
        result = new_round(
            RoundRequest(
                partnership_name=demo.PARTNERSHIP,
                partners=[PartnerEntry("Age UK Riverside")],
                template=template,
                out_dir=folder / kind,
                round_label="Autumn 2026",
                scoring_mode=mode,
                embed_lite=lite,
            )
        )
        found[f"partner-{kind}"] = result.workbooks[0].path
    found["partner-agreed"] = next(p for p in made.workbooks if "autumn" in p.name)
    found["return"] = next(p for p in made.returns if "autumn" in p.name)
    found["summary-partner"] = folder / "demo" / "couple-summary.xlsx"
    for kind, options in (("summary-partnership", {"level": "partnership"}),
                          ("summary-anonymised", {"anonymise": True})):  # fmt: skip
        out = folder / f"{kind}.xlsx"
        run_consolidate(ConsolidateOptions(paths=[returns], output=out, **options))
        found[kind] = out
    found["plan"] = made.plans[0]
    found["questions"] = folder / "questions.xlsx"
    export_questions("couple", found["questions"])
    return found


# --- reading the files ------------------------------------------------------------------


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels"))}


def _target(folder: str, target: str) -> str:
    parts = [] if target.startswith("/") else folder.split("/")
    for piece in target.lstrip("/").split("/"):
        if piece == "..":
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _related(parts: dict[str, bytes], part: str, kind: str) -> list[str]:
    """The parts ``part`` relates to with a relationship type ending in ``kind``."""
    folder, name = part.rsplit("/", 1)
    rels = parts.get(f"{folder}/_rels/{name}.rels")
    if rels is None:
        return []
    return [
        _target(folder, rel.get("Target"))
        for rel in ElementTree.fromstring(rels).iter(f"{{{NS['rel']}}}Relationship")
        if rel.get("Type", "").endswith("/" + kind)
    ]


def _sheets(parts: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """Each sheet's name, state and part."""
    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): _target("xl", r.get("Target")) for r in rels}
    return [
        (s.get("name"), s.get("state", "visible"), targets[s.get(R_ID)])
        for s in book.iter(f"{{{NS['main']}}}sheet")
    ]


def _drawing_objects(parts: dict[str, bytes]):
    """(sheet, kind, name, description, chart part or None) for every object drawn."""
    for sheet, _, part in _sheets(parts):
        for drawing in _related(parts, part, "drawing"):
            root = ElementTree.fromstring(parts[drawing])
            charts = _related(parts, drawing, "chart")
            for kind in ("graphicFrame", "pic", "sp", "grpSp", "cxnSp"):
                for obj in root.iter(f"{{{NS['xdr']}}}{kind}"):
                    props = next(obj.iter(f"{{{NS['xdr']}}}cNvPr"))
                    chart = None
                    ref = next(obj.iter(f"{{{NS['c']}}}chart"), None)
                    if ref is not None:
                        rels = _rels_by_id(parts, drawing)
                        chart = rels.get(ref.get(R_ID))
                    yield sheet, kind, props.get("name", ""), props.get("descr", ""), chart
            assert charts  # not vacuous: each drawing here holds charts


def _rels_by_id(parts: dict[str, bytes], part: str) -> dict[str, str]:
    folder, name = part.rsplit("/", 1)
    rels = ElementTree.fromstring(parts[f"{folder}/_rels/{name}.rels"])
    return {r.get("Id"): _target(folder, r.get("Target")) for r in rels}


def _visible(wb) -> list:
    return [ws for ws in wb.worksheets if ws.sheet_state == "visible"]


def _seen(ws):
    """The cells of a sheet that a person sees: those of its hidden rows and columns
    (the workbook's helper formulas) are never shown."""
    hidden = {
        col
        for key, dim in ws.column_dimensions.items()
        if dim.hidden
        for col in range(dim.min or openpyxl.utils.column_index_from_string(key),
                         (dim.max or openpyxl.utils.column_index_from_string(key)) + 1)
    }  # fmt: skip
    for row in ws.iter_rows():
        for cell in row:
            if cell.column not in hidden and not ws.row_dimensions[cell.row].hidden:
                yield cell


# --- Excel's Accessibility Checker's rules ---------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_drawing_object_has_alternative_text(kinds, kind):
    """Every chart, picture or shape has alternative text that is not a file name; the
    partner workbooks and the summaries have charts, so this is not vacuous."""
    objects = list(_drawing_objects(_parts(kinds[kind])))
    for sheet, obj, name, description, _ in objects:
        assert description.strip(), f"{sheet}: {obj} {name!r} has no alternative text"
        assert not re.fullmatch(r"[\w\- ]+\.\w{3,4}", description), (sheet, description)
    has_charts = kind in PARTNER_KINDS or kind in SUMMARY_KINDS
    assert bool(objects) == has_charts, kind


def _one_decimal(value: float) -> str:
    """A score as a cell formatted 0.0 shows it: half away from zero."""
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _plotted(parts: dict[str, bytes], chart: str) -> list[str]:
    """The references a chart plots its values from."""
    root = ElementTree.fromstring(parts[chart])
    return [
        f.text.replace("$", "")
        for val in root.iter(f"{{{NS['c']}}}val")
        for f in val.iter(f"{{{NS['c']}}}f")
    ]


def _cells(wb, reference: str) -> list:
    sheet, cells = reference.rsplit("!", 1)
    ws = wb[sheet.strip("'").replace("''", "'")]
    return [c for row in ws[cells] for c in row]


def test_the_partners_radar_says_what_it_shows_and_where_its_numbers_are(kinds):
    """The radar's alternative text names it, and the range it names is the one the chart
    plots: the score cells of the Summary's table, under its Score heading."""
    parts = _parts(kinds["partner-addin"])
    ((sheet, _, _, description, chart),) = _drawing_objects(parts)
    assert sheet == "Summary"
    assert description.startswith("Radar chart of your score for each of the six principles")
    (plotted,) = _plotted(parts, chart)
    cells = plotted.split("!")[1]
    assert f"at {cells}" in description
    wb = openpyxl.load_workbook(kinds["partner-addin"])
    plotted_cells = [c.coordinate for c in _cells(wb, plotted)]
    scores = [_named(wb, f"SCORE_{p.id}") for p in resolve_template("couple").principles]
    assert [(s, f"{get_column_letter(c)}{r}") for s, r, c in scores] == [
        ("Summary", cell) for cell in plotted_cells
    ]
    assert wb["Summary"].cell(scores[0][1] - 1, scores[0][2]).value == "Score"


@pytest.mark.parametrize("kind", ["summary-partner", "summary-partnership"])
def test_the_summarys_charts_give_their_numbers_and_say_where_they_are(kinds, kind):
    """Each chart of the summary, written once, gives the numbers it plots as the cells
    show them (one decimal), in the order plotted, and the range they are in."""
    parts = _parts(kinds[kind])
    wb = openpyxl.load_workbook(kinds[kind], data_only=True)
    charts = list(_drawing_objects(parts))
    # The Overview's; and the partnership's radar (at partner level) and spreads.
    assert len(charts) == (3 if kind == "summary-partner" else 2)
    for sheet, _, _, description, chart in charts:
        plotted = _plotted(parts, chart)
        told = description
        for reference in plotted:
            for cell in _cells(wb, reference):
                shown = "no score" if cell.value is None else _one_decimal(cell.value)
                at = told.find(shown)
                assert at >= 0, (sheet, reference, cell.coordinate, shown, description)
                told = told[at + len(shown) :]
        first = range_boundaries(plotted[0].split("!")[1])
        last = range_boundaries(plotted[-1].split("!")[1])
        where = f"{get_column_letter(first[0])}{first[1]}:{get_column_letter(last[2])}{last[3]}"
        assert f"at {where}" in description, (sheet, where, description)


@pytest.mark.parametrize("kind", KINDS)
def test_no_cell_is_merged(kinds, kind):
    """Screen readers lose their place in merged cells: none anywhere."""
    parts = _parts(kinds[kind])
    for sheet, _, part in _sheets(parts):
        assert not re.search(rb"<(\w+:)?mergeCell\b", parts[part]), sheet


@pytest.mark.parametrize("kind", KINDS)
def test_tables_name_their_columns(kinds, kind):
    """Every Excel table has a header row, and each column a name of its own."""
    parts = _parts(kinds[kind])
    tables = 0
    for _, _, part in _sheets(parts):
        for table in _related(parts, part, "table"):
            tables += 1
            root = ElementTree.fromstring(parts[table])
            assert root.get("headerRowCount", "1") != "0", table
            names = [c.get("name", "") for c in root.iter(f"{{{NS['main']}}}tableColumn")]
            assert all(n.strip() and not re.fullmatch(r"Column\s*\d+", n) for n in names)
            assert len(set(names)) == len(names)
    assert tables == {"summary-partner": 1, "summary-anonymised": 1, "plan": 1}.get(kind, 0)


DEFAULT_NAMES = re.compile(r"(sheet|tabelle|feuil|hoja|foglio|planilha|blad|arkusz)\s*\d*", re.I)


@pytest.mark.parametrize("kind", KINDS)
def test_sheet_names_are_meaningful(kinds, kind, template):
    """No default names (Sheet1), each within Excel's 31 characters as Excel counts
    them, and each sheet named for what it holds."""
    names = [ws.title for ws in _visible(openpyxl.load_workbook(kinds[kind]))]
    for name in names:
        assert not DEFAULT_NAMES.fullmatch(name), name
        assert len(name.encode("utf-16-le")) // 2 <= 31, name
    principles = [p.name for p in template.principles]
    expected = {
        "partner-agreed": ["Start", "Agreed actions", *principles, "Summary"],
        "return": ["Start", "Agreed actions", *principles, "Summary"],
        "plan": ["Plan"],
        "questions": ["questions", "principles", "template"],
    }.get(kind, ["Start", *principles, "Summary"])
    if kind in SUMMARY_KINDS:
        # The partnership's own sheet is named after it; the rest after what they hold.
        assert names[:2] == ["Overview", demo.PARTNERSHIP]
        assert set(names[2:]) <= {"Questions", "Actions", "Action progress", "Trend",
                                  "Returns log", "Data"}  # fmt: skip
    else:
        assert names == expected


# --- contrast (WCAG 2.1: 4.5 to 1, or 3 to 1 for large text) ------------------------------


def _luminance(rgb: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(rgb[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(text: str, background: str) -> float:
    lighter, darker = sorted((_luminance(text), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


_THEME_SLOTS = ("lt1", "dk1", "lt2", "dk2")  # a colour's theme index 0 to 3, as Excel swaps them


def _theme(path: Path) -> list[str]:
    """The theme's colours, in the order a colour's theme index counts them."""
    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    root = ElementTree.fromstring(_parts(path)["xl/theme/theme1.xml"])
    scheme = next(root.iter(f"{a}clrScheme"))
    colours = {}
    for slot in scheme:
        value = slot[0]
        colours[slot.tag.removeprefix(a)] = value.get("lastClr") or value.get("val")
    rest = [k for k in colours if k not in _THEME_SLOTS]
    return [colours[k] for k in (*_THEME_SLOTS, *rest)]


def _rgb(color, default: str, theme: list[str] | None = None) -> str:
    if color is None or color.type == "auto" or (color.type == "rgb" and color.rgb is None):
        return default
    if color.type == "theme" and theme is not None and not color.tint:
        return theme[color.theme]
    assert color.type == "rgb", f"a {color.type} colour, which this test cannot resolve"
    return color.rgb[-6:]


def _needed(size: float, bold: bool) -> float:
    return 3.0 if size >= 18 or (bold and size >= 14) else 4.5


def _fill_of(fill, dxf: bool = False) -> str | None:
    if fill is None or fill.fill_type in (None, "none"):
        return None
    # A conditional format's solid fill is its background colour; a cell's, its pattern's.
    return _rgb(fill.bgColor if dxf and fill.bgColor.rgb not in (None, "00000000") else
                fill.fgColor, "FFFFFF")  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_every_text_contrasts_with_its_background(kinds, kind):
    """Each cell that shows something, in its own colours and in those of each
    conditional format over it (the band colours, an invalid answer's red)."""
    wb = openpyxl.load_workbook(kinds[kind], rich_text=True)
    theme = _theme(kinds[kind])
    low: list[str] = []
    checked = 0
    for ws in _visible(wb):
        rules = [(r, rule) for cf in ws.conditional_formatting for rule in cf.rules
                 for r in cf.sqref.ranges]  # fmt: skip
        for cell in _seen(ws):
            if cell.value in (None, ""):
                continue
            font = cell.font
            size, bold = float(font.sz or 11), bool(font.b)
            ink = _rgb(font.color, "000000", theme)
            paper = _fill_of(cell.fill) or "FFFFFF"
            looks = [(ink, paper)]
            for ranges, rule in rules:
                if cell.coordinate in ranges and rule.dxf is not None:
                    dxf_ink = _rgb(rule.dxf.font.color, ink, theme) if rule.dxf.font else ink
                    looks.append((dxf_ink, _fill_of(rule.dxf.fill, dxf=True) or paper))
            for a, b in looks:
                checked += 1
                if contrast(a, b) < _needed(size, bold):
                    low.append(f"{ws.title}!{cell.coordinate}: #{a} on #{b}")
    assert checked > 20
    assert not low, low[:10]


def test_the_contrast_measure_is_wcags():
    """Worked examples: black on white is 21 to 1, white on white 1; the band word's dark
    red on pink is 5.92 to 1, as the accessibility checker measured it."""
    assert contrast("000000", "FFFFFF") == pytest.approx(21)
    assert contrast("FFFFFF", "FFFFFF") == pytest.approx(1)
    assert contrast("9C0006", "FFC7CE") == pytest.approx(5.92, abs=0.01)
    # What the Data table's built-in style would draw (white on 4F81BD) is not enough.
    assert contrast("FFFFFF", "4F81BD") < 4.5


@pytest.mark.parametrize("kind", ["summary-partner", "plan"])
def test_table_headings_carry_their_own_colours(kinds, kind):
    """An Excel table's built-in style colours its heading in the app alone (white on mid
    blue, too little contrast): each heading cell has a fill of its own instead."""
    wb = openpyxl.load_workbook(kinds[kind])
    for ws in wb.worksheets:
        for table in ws.tables.values():
            first_col, first_row, last_col, _ = range_boundaries(table.ref)
            for col in range(first_col, last_col + 1):
                cell = ws.cell(first_row, col)
                assert _fill_of(cell.fill), (ws.title, cell.coordinate)


# --- what a screen reader announces ------------------------------------------------------

_TITLE = re.compile(
    r"(?P<kind>columntitle|rowtitle|title)\w*"
    r"(?:\.(?P<first>[a-z]+\d+)?(?:\.(?P<last>[a-z]+\d+)?)?)?",
    re.IGNORECASE,
)


def _titles(wb) -> dict[str, list[dict]]:
    """The title names of each sheet: the cell each names, whether it starts a row of
    column titles or a column of row titles (or both), and the region it titles."""
    found: dict[str, list[dict]] = {}
    for name, defined in wb.defined_names.items():
        m = _TITLE.fullmatch(name)
        if not m:
            continue
        ((sheet, ref),) = list(defined.destinations)
        col, row = coordinate_from_string(ref.replace("$", ""))
        kind = m.group("kind").lower()
        bounds = [coordinate_from_string(m.group(k).upper()) if m.group(k) else None
                  for k in ("first", "last")]  # fmt: skip
        found.setdefault(sheet.replace("''", "'"), []).append({
            "row": row, "col": openpyxl.utils.column_index_from_string(col),
            "columns": kind in ("title", "columntitle"), "rows": kind in ("title", "rowtitle"),
            "first": bounds[0], "last": bounds[1],
        })  # fmt: skip
    return found


def _within(info: dict, row: int, col: int) -> bool:
    for bound, inside in ((info["first"], lambda r, c: row >= r and col >= c),
                          (info["last"], lambda r, c: row <= r and col <= c)):  # fmt: skip
        if bound is not None:
            letters, number = bound
            if not inside(number, openpyxl.utils.column_index_from_string(letters)):
                return False
    return True


def announced(wb, titles: dict, sheet: str, row: int, col: int) -> tuple[str, str]:
    """What a screen reader says with a cell, as NVDA reads JAWS's title names: the column
    title from the nearest row of column titles above the cell (from a named cell at or
    left of it), and the row title from the nearest column of row titles to its left,
    each within the region the name bounds."""
    ws = wb[sheet]
    infos = [i for i in titles.get(sheet, []) if _within(i, row, col)]
    above = [i for i in infos if i["columns"] and i["col"] <= col and i["row"] < row]
    left = [i for i in infos if i["rows"] and i["row"] <= row and i["col"] < col]
    column = max(above, key=lambda i: i["row"], default=None)
    beside = max(left, key=lambda i: i["row"], default=None)
    return (
        str(ws.cell(column["row"], col).value or "") if column else "",
        str(ws.cell(row, beside["col"]).value or "") if beside else "",
    )


def _named(wb, name: str) -> tuple[str, int, int]:
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    col, row = coordinate_from_string(ref.replace("$", "").split(":")[0])
    return sheet.strip("'").replace("''", "'"), row, openpyxl.utils.column_index_from_string(col)


@pytest.mark.parametrize("kind", ["partner-addin", "partner-agreed", "return"])
def test_a_reader_hears_the_heading_and_the_statement_at_each_cell_to_fill_in(
    kinds, kind, template
):
    """On an answer cell a reader hears "Your answer" and the statement; on a comment,
    "Comments and evidence" and the statement; on an action row's cells, their heading;
    on an agreed action's status, "How is it going?" and the action; on the respondent's
    cells, what to type; on a score, "Score" and its principle."""
    wb = openpyxl.load_workbook(kinds[kind])
    titles = _titles(wb)
    for _, q in template.questions:
        for name, heading in ((f"Q_{q.id}", "Your answer"), (f"N_{q.id}", "Comments and evidence")):
            column, row = announced(wb, titles, *_named(wb, name))
            assert column == heading, (name, column)
            assert row.startswith(q.text), (name, row)
    for principle in template.principles:
        ((sheet, ref),) = list(wb.defined_names[f"ACTIONS_{principle.id}"].destinations)
        for cells in wb[sheet][ref.replace("$", "")]:
            said = [announced(wb, titles, sheet, c.row, c.column)[0] for c in cells]
            assert said == ["Action", "Owner", "By when"], (sheet, cells[0].coordinate)
        sheet, row, col = _named(wb, f"SCORE_{principle.id}")
        assert announced(wb, titles, sheet, row, col) == ("Score", principle.name)
    for name, label in (("RESPONDENT_NAME", "Your name"), ("RESPONDENT_ROLE", "Your role"),
                        ("RESPONDENT_DATE", "Date completed")):  # fmt: skip
        assert announced(wb, titles, *_named(wb, name))[1] == label
    statuses = [n for n in wb.defined_names if n.startswith("ACTION_STATUS_")]
    assert bool(statuses) == (kind != "partner-addin")
    for name in statuses:
        sheet, row, col = _named(wb, name)
        action = wb[sheet].cell(row, 3).value
        assert announced(wb, titles, sheet, row, col) == ("How is it going?", action)
        note = name.replace("ACTION_STATUS_", "ACTION_NOTE_")
        assert announced(wb, titles, *_named(wb, note)) == ("Comment", action)


def _heading_cells(wb):
    """Every table heading the summary draws (its heading colour), by sheet."""
    for ws in _visible(wb):
        for row in ws.iter_rows():
            for cell in row:
                if cell.value not in (None, "") and (cell.fill.fgColor.rgb or "").endswith(
                    "DCE6F1"
                ):
                    yield ws, cell


@pytest.mark.parametrize("kind", [*SUMMARY_KINDS, "plan", "questions"])
def test_a_reader_hears_each_tables_headings(kinds, kind):
    """Below every heading of every table, the first and the last row's cell announce
    that heading as their column title; an Excel table's too."""
    wb = openpyxl.load_workbook(kinds[kind])
    titles = _titles(wb)
    headings = list(_heading_cells(wb))
    for ws in wb.worksheets:
        for table in ws.tables.values():
            first_col, first_row, last_col, _ = range_boundaries(table.ref)
            headings += [(ws, ws.cell(first_row, c)) for c in range(first_col, last_col + 1)]
    if kind == "questions":
        headings = [(ws, c) for ws in wb.worksheets for c in ws[1]]
    assert len(headings) > 8
    for ws, heading in headings:
        # The table runs down while its cells are bordered, or (an Excel table, whose
        # style draws its lines) hold something.
        rows = [heading.row + 1]
        while _in_table(ws.cell(rows[-1] + 1, heading.column)):
            rows.append(rows[-1] + 1)
        for row in {rows[0], rows[-1]}:
            if ws.cell(row, heading.column).value in (None, ""):
                continue
            said = announced(wb, titles, ws.title, row, heading.column)[0]
            assert said == heading.value, (ws.title, heading.coordinate, row, said)


def _in_table(cell) -> bool:
    if cell.border.left.style or cell.border.top.style:
        return True
    return any(cell.coordinate in _cells_of(t.ref) for t in cell.parent.tables.values())


def _cells_of(ref: str) -> set[str]:
    first_col, first_row, last_col, last_row = range_boundaries(ref)
    return {f"{get_column_letter(c)}{r}" for r in range(first_row, last_row + 1)
            for c in range(first_col, last_col + 1)}  # fmt: skip


def test_a_reader_hears_the_statement_beside_each_answer_in_the_summary(kinds, template):
    """On the Questions sheet, each respondent's answer is announced with its column (the
    respondent) and its row's statement."""
    wb = openpyxl.load_workbook(kinds["summary-partner"])
    titles = _titles(wb)
    ws = wb["Questions"]
    header = next(r for r in ws.iter_rows() if r[0].value == "Principle")
    answer = next(c for c in header if str(c.value).endswith(": answer"))
    texts = {q.id: q.text for _, q in template.questions}
    for r in range(header[0].row + 1, header[0].row + 1 + len(texts)):
        column, statement = announced(wb, titles, "Questions", r, answer.column)
        assert column == answer.value
        assert statement == texts[ws.cell(r, 2).value]


def test_the_title_names_are_not_read_as_the_workbook_contract(kinds, template):
    """The names screen readers look for change nothing the reader of returns finds: a
    return read with them, and the same return without them, give the same record."""
    from couple_xl.returns import read_return

    path = kinds["return"]
    wb = openpyxl.load_workbook(path)
    assert any(_TITLE.fullmatch(n) for n in wb.defined_names)
    for name in [n for n in wb.defined_names if _TITLE.fullmatch(n)]:
        del wb.defined_names[name]
    bare = path.with_name("without titles.xlsx")
    wb.save(bare)
    with_titles, without = read_return(path), read_return(bare)
    assert with_titles.answers == without.answers
    assert with_titles.comments == without.comments
    assert with_titles.actions == without.actions
    assert with_titles.views == without.views
    assert (with_titles.respondent_name, with_titles.respondent_date) == (
        without.respondent_name,
        without.respondent_date,
    )
    assert [f.message for f in with_titles.warnings] == [f.message for f in without.warnings]


# --- the keyboard: input messages, and how to move -------------------------------------


def _validations(ws):
    """Each data validation and the cells (by coordinate) it covers."""
    for dv in ws.data_validations.dataValidation:
        cells = set()
        for r in dv.sqref.ranges:
            for row in range(r.min_row, r.max_row + 1):
                cells |= {f"{get_column_letter(c)}{row}" for c in range(r.min_col, r.max_col + 1)}
        yield dv, cells


def _input_cells(ws, kind: str) -> list:
    """The cells a person fills in: unlocked on a protected sheet, or (the plan, which is
    not protected) the yellow ones."""
    cells = [c for row in ws.iter_rows() for c in row]
    if kind == "plan":
        return [c for c in cells if _fill_of(c.fill) == "FFF8DC"]
    return [c for c in cells if ws.protection.sheet and c.protection.locked is False]


@pytest.mark.parametrize("kind", [*PARTNER_KINDS, "plan"])
def test_every_cell_to_fill_in_says_what_to_enter(kinds, kind):
    """Each has an input message, within Excel's limits: a title of 32 characters and a
    message of 255."""
    wb = openpyxl.load_workbook(kinds[kind])
    count = 0
    for ws in _visible(wb):
        covered = {}
        for dv, cells in _validations(ws):
            for c in cells:
                covered[c] = dv
        for cell in _input_cells(ws, kind):
            count += 1
            dv = covered.get(cell.coordinate)
            where = f"{ws.title}!{cell.coordinate}"
            assert dv is not None, where
            assert dv.showInputMessage, where
            assert 0 < len(dv.prompt or "") <= 255, where
            assert 0 < len(dv.promptTitle or "") <= 32, where
    assert count >= (40 if kind == "plan" else 50 + 3 + 6 * 4 * 3)


def test_the_start_sheet_first_says_how_to_move_and_where_the_statements_are(kinds, template):
    """Its first lines (it opens on its title): Tab between the cells to fill in, and the
    principle sheets by name."""
    ws = openpyxl.load_workbook(kinds["partner-agreed"])["Start"]
    assert ws.sheet_view.selection[0].activeCell == "B1"
    assert ws["B1"].value == template.title
    first = " ".join(str(c.value) for row in ws.iter_rows(min_row=2, max_row=2) for c in row
                     if c.value)  # fmt: skip
    for said in ("Press Tab", "Shift+Tab", "Agreed actions", "Summary"):
        assert said in first
    names = [p.name for p in template.principles]
    assert f"{names[0]} to {names[-1]}" in first


# --- text size, on screen and on paper, and the title ------------------------------------

A4 = (595.28, 841.89)  # points
PRINTED_DIGIT = 7.43  # a column's width in pixels per character, printed (the font's own)


def _width(ws, col: int) -> float:
    for dim in ws.column_dimensions.values():
        if dim.min and dim.min <= col <= dim.max:
            return 0.0 if dim.hidden else float(dim.width or 8.43)
    return 8.43


def printed_scale(ws) -> float:
    """The scale an app prints a sheet at: a fixed one, or fitted to its page's width (and
    height, where it says so), from the paper, the margins, and the columns and rows it
    prints (hidden ones print as nothing)."""
    setup = ws.page_setup
    props = ws.sheet_properties.pageSetUpPr
    if not (props is not None and props.fitToPage):
        return int(setup.scale or 100) / 100
    width, height = A4[::-1] if setup.orientation == "landscape" else A4
    m = ws.page_margins
    area = ws.print_area.split("!")[-1].replace("$", "") if ws.print_area else ws.dimensions
    first_col, first_row, last_col, last_row = range_boundaries(area)
    content = sum(_width(ws, c) for c in range(first_col, last_col + 1)) * PRINTED_DIGIT * 0.75
    rows = sum(0 if ws.row_dimensions[r].hidden else ws.row_dimensions[r].height or 15
               for r in range(first_row, last_row + 1))  # fmt: skip
    scale = 100
    wide, tall = setup.fitToWidth, setup.fitToHeight
    wide, tall = 1 if wide is None else int(wide), 1 if tall is None else int(tall)
    if wide:
        scale = min(scale, math.floor(100 * (width - 72 * (m.left + m.right)) * wide / content))
    if tall:
        scale = min(scale, math.floor(100 * (height - 72 * (m.top + m.bottom)) * tall / rows))
    return max(10, scale) / 100


def _runs(ws):
    """Each text run's size, for every cell that shows something."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value in (None, ""):
                continue
            runs = getattr(cell.value, "__iter__", None) and not isinstance(cell.value, str)
            if runs:
                for block in cell.value:
                    font = getattr(block, "font", None)
                    yield cell, float(font.sz if font and font.sz else cell.font.sz or 11)
            else:
                yield cell, float(cell.font.sz or 11)


def _chart_sizes(parts: dict[str, bytes], sheet_part: str) -> list[float]:
    sizes = []
    for drawing in _related(parts, sheet_part, "drawing"):
        for chart in _related(parts, drawing, "chart"):
            xml = parts[chart].decode()
            sizes += [int(s) / 100 for s in re.findall(r'<a:(?:defRPr|rPr)[^>]*\bsz="(\d+)"', xml)]
            sizes += [10.0] * len(re.findall(r"<a:defRPr(?![^>]*\bsz=)", xml))
            sizes.append(10.0)  # what an app draws where a chart sets no size
    return sizes


_HEADER_SIZE = re.compile(r"&(\d+)")


@pytest.mark.parametrize("kind", KINDS)
def test_no_text_is_smaller_than_9_points_on_screen_or_8_on_paper(kinds, kind):
    """Every cell's text, and every run of rich text, is 9 points or more; printed at the
    sheet's scale it is 8 or more, and so are charts' texts; page headers and footers
    print at 8 or more (at their own size where they do not scale with the sheet)."""
    path = kinds[kind]
    wb = openpyxl.load_workbook(path, rich_text=True)
    parts = _parts(path)
    sheet_parts = {name: part for name, _, part in _sheets(parts)}
    for ws in _visible(wb):
        sizes = [size for _, size in _runs(ws)]
        assert min(sizes) >= 9, (ws.title, min(sizes))
        scale = printed_scale(ws)
        charts = _chart_sizes(parts, sheet_parts[ws.title])
        assert scale * min(sizes + charts) >= 8 - 1e-9, (ws.title, scale, min(sizes + charts))
        scaled = ws.HeaderFooter.scaleWithDoc is not False
        for part in (ws.oddHeader, ws.oddFooter):
            for side in (part.left, part.center, part.right):
                if side.text:
                    size = float(side.size or 11)
                    assert size * (scale if scaled else 1) >= 8, (ws.title, side.text, size)


@pytest.mark.parametrize("kind", KINDS)
def test_every_workbook_has_a_title(kinds, kind):
    """The title property, which a screen reader reads first and Excel's checker asks
    for."""
    root = ElementTree.fromstring(_parts(kinds[kind])["docProps/core.xml"])
    title = root.find("dc:title", NS)
    assert title is not None
    assert (title.text or "").strip()


def test_the_partner_sheets_print_readably(kinds):
    """What the print rules above rest on: the principle sheets and the Summary fit the
    page's width at a scale that leaves their smallest text (9 points) at 8 or more."""
    wb = openpyxl.load_workbook(kinds["partner-agreed"])
    for ws in _visible(wb):
        assert ws.page_setup.orientation == ("portrait" if ws.title == "Start" else "landscape")
        assert math.floor(printed_scale(ws) * 9) >= 8, ws.title
