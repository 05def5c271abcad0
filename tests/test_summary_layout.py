"""The summary reads right on screen and on paper: every name and number fits its cell at
the fonts used, headings stand over their values aligned as they are, and every sheet
prints on A4 with no text smaller than 8 points. Checked on a partnership that strains
the layout: 60-character names, eight partners, two rounds, long comments, findings in
the returns log, at both levels.

The checks read the written file (openpyxl) and measure it their own way: text as
XlsxWriter's autofit() measures it (``cell_autofit_width``, Calibri 11's widths in
pixels), scaled to the cell's font, against its column's width; wrapped text by a
simple word wrap, against its row's height; and the printed scale from the page setup
as an app works it out, from the paper, margins, fit and column widths."""

from __future__ import annotations

import html
import math
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries
from xlsxwriter.utility import cell_autofit_width, xl_pixel_width

from couple_xl import demo, excel
from couple_xl.levels import LEVELS
from couple_xl.pipeline import ConsolidateOptions, run_consolidate
from couple_xl.workbook import named
from tests.helpers import fill, generate

PARTNERSHIP = "Northfield and Riverside Community Food & Wellbeing Alliance"
PARTNERS = [
    "Age Concern Northfield and District Older People's Services",
    "Riverside Foodbank and Community Pantry Network (Registered)",
    "St Mark's Community Kitchen and Homeless Outreach Project",
    "Riverside Borough Council Adult Social Care Commissioning",
    "Northfield Citizens Advice Bureau and Money Advice Service",
    "Greenway Allotments Trust",
    "Mind in Riverside",
    "Northfield Young People's Mental Health and Wellbeing Hub",
]
LONG_COMMENT = (
    "A much longer comment that a partner might type: we have raised this at several "
    "meetings, and the answer depends on which member of staff you ask, so the evidence "
    "is mixed and we would like to talk it through at the next steering group."
)

# How an app draws and prints cells, as these checks model it.
SCREEN_DIGIT = 7  # pixels per character of column width on screen (Calibri 11)
PRINT_DIGIT = 7.43  # printed, the font's own digit width: printed columns are wider
DEFAULT_WIDTH = 8.43  # characters
DEFAULT_ROW = 15.0  # points
LINE = 15 / 11  # points of row height per point of font size, a line
PADDING = 7  # pixels autofit adds around the text
BOLD = 1.05  # Calibri Bold is wider than XlsxWriter's table of Calibri's widths
FILTER_BUTTON = 16  # pixels autofit adds to a table heading for its drop-down arrow
A4 = (595.28, 841.89)  # points
HEADER_FILL = "DCE6F1"


@pytest.fixture(scope="module")
def summaries(tmp_path_factory) -> dict[str, Path]:
    """The demo's two rounds, with the strain: a 60-character partnership, eight partners
    (four with names of about 60 characters), a long comment, one partner missing, and
    files that give the returns log findings. A summary at each level."""
    assert len(PARTNERSHIP) == 60
    folder = tmp_path_factory.mktemp("layout")
    views = [p[4] for p in demo.PARTNERS]
    partners = [
        (name, f"office{i}@example.org", f"Respondent {i}", "Manager", views[i % len(views)])
        for i, name in enumerate(PARTNERS)
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "PARTNERSHIP", PARTNERSHIP)
        mp.setattr(demo, "PARTNERS", partners)
        mp.setattr(demo, "MISSING_IN_LAST_ROUND", PARTNERS[3])
        mp.setattr(demo, "COMMENTS", [*demo.COMMENTS, LONG_COMMENT])
        demo.run_demo(folder / "demo")
    returns = folder / "demo" / "returns"
    returned = sorted(returns.glob("*autumn*(returned).xlsx"))
    shutil.copy(returned[0], returns / "a copy of the first return.xlsx")
    (returns / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    wb = openpyxl.load_workbook(returned[1])
    named(wb, "Q_commitment_choice").value = "Mostly agree, with reservations about the council"
    named(wb, "RESPONDENT_NAME").value = "A second colleague"
    wb.save(returns / "a second colleague's answers.xlsx")
    written = {}
    for level in LEVELS:
        out = folder / f"summary-{level}.xlsx"
        run_consolidate(ConsolidateOptions(paths=[returns], output=out, level=level))
        written[level] = out
    return written


# --- measuring as an app draws --------------------------------------------------------


def _shown(cell) -> str:
    """A cell's value as its number format shows it."""
    value, fmt = cell.value, cell.number_format
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).upper()
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M" if "h" in fmt else "%Y-%m-%d")
    if fmt == "0.0":
        return f"{value:.1f}"
    if fmt == "0.00":
        return f"{value:.2f}"
    if fmt == "0%":
        return f"{value:.0%}"
    if fmt.startswith("+0.0"):
        return f"{value:+.1f}"
    return f"{value:.10g}"


def _font(cell) -> tuple[float, bool]:
    return float(cell.font.sz or 11), bool(cell.font.b)


def _pixels(text: str, size: float, bold: bool) -> float:
    """The width a cell needs for ``text`` on one line: autofit's measure, to the font."""
    widest = max(cell_autofit_width(line) for line in text.split("\n"))
    return (widest - PADDING) * size / 11 * (BOLD if bold else 1) + PADDING


def _lines(text: str, pixels: float, size: float, bold: bool) -> int:
    """Lines of ``text`` wrapped at spaces in a cell ``pixels`` wide (a word too long for
    a line runs on to the next, character by character)."""
    scale = size / 11 * (BOLD if bold else 1)
    room = (pixels - PADDING) / scale
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split(" "):
            need = xl_pixel_width(word) + (xl_pixel_width(" ") if used else 0)
            if used + need <= room:
                used += need
                continue
            lines += 1 if used else 0
            used = 0.0
            for ch in word:
                if used + xl_pixel_width(ch) > room and used:
                    lines += 1
                    used = 0.0
                used += xl_pixel_width(ch)
    return lines


def _column_widths(ws) -> dict[int, float]:
    widths = {}
    for dim in ws.column_dimensions.values():
        if dim.width and dim.min:
            for col in range(dim.min, dim.max + 1):
                widths[col] = dim.width
    return widths


def _merged(ws) -> dict[tuple[int, int], tuple[int, int]]:
    """Each merged range's top-left cell (row, column) and its first and last column."""
    return {(r.min_row, r.min_col): (r.min_col, r.max_col) for r in ws.merged_cells.ranges}


def _table_headings(ws) -> set[tuple[int, int]]:
    cells = set()
    for table in ws.tables.values():
        first_col, first_row, last_col, _ = range_boundaries(table.ref)
        cells |= {(first_row, col) for col in range(first_col, last_col + 1)}
    return cells


def _runs_on_to(ws, cell, last_printed: int) -> int:
    """The last column an unwrapped, left-aligned text may show in: its own, and the empty
    cells after it, as apps show such text running on, within the printed columns."""
    last = cell.column
    if not isinstance(cell.value, str) or cell.alignment.horizontal not in (None, "general",
                                                                            "left"):  # fmt: skip
        return last
    while last < last_printed and ws.cell(cell.row, last + 1).value in (None, ""):
        last += 1
    return last


def _misfits(path: Path) -> list[str]:
    """Every cell whose text does not fit: wider than its column (or merged cells, or the
    empty cells it runs on over), or wrapped onto more lines than its row is tall for."""
    wb = openpyxl.load_workbook(path, data_only=True)
    problems = []
    for ws in wb.worksheets:
        widths = _column_widths(ws)
        merged = _merged(ws)
        headings = _table_headings(ws)
        last_printed = _print_range(ws)[3]
        for row in ws.iter_rows():
            for cell in row:
                text = _shown(cell)
                if not text:
                    continue
                first, last = merged.get((cell.row, cell.column), (cell.column, cell.column))
                if not cell.alignment.wrap_text and (cell.row, cell.column) not in merged:
                    last = _runs_on_to(ws, cell, last_printed)
                have = sum(widths.get(c, DEFAULT_WIDTH) for c in range(first, last + 1))
                have = round(have * SCREEN_DIGIT)  # as stored: whole pixels, in 1/256ths
                height = ws.row_dimensions[cell.row].height or DEFAULT_ROW
                size, bold = _font(cell)
                where = f"{ws.title}!{cell.coordinate} {text[:50]!r}"
                if cell.alignment.wrap_text:
                    lines = _lines(text, have, size, bold)
                    if lines * size * LINE > height + 0.01:
                        problems.append(f"{where}: {lines} lines in a row of {height} points")
                    continue
                need = _pixels(text, size, bold)
                if (cell.row, cell.column) in headings:
                    need += FILTER_BUTTON
                if need > have + 0.5:
                    problems.append(f"{where}: needs {need:.0f} pixels, has {have:.0f}")
                if size * LINE > height + 0.01:
                    problems.append(f"{where}: {size:g} points in a row of {height} points")
    return problems


@pytest.mark.parametrize("level", LEVELS)
def test_every_name_and_number_fits_its_cell(summaries, level):
    problems = _misfits(summaries[level])
    assert not problems, "\n".join(problems[:40])


def test_the_check_finds_a_cell_too_narrow(tmp_path):
    """Not vacuous: the check sees text cut by its column (where the cell beside it is
    not empty to run on over), and wrapped text cut by its row."""
    import xlsxwriter

    path = tmp_path / "narrow.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.set_column(0, 1, 10)
    ws.write(0, 0, PARTNERSHIP)
    ws.write(1, 1, PARTNERSHIP, wb.add_format({"text_wrap": True}))
    ws.set_row(1, 30)  # two lines; the name needs four at this width
    ws.write(2, 0, 3.7)
    # Text runs on over an empty cell beside it, never over one that holds a value.
    ws.write(3, 0, "Runs on over B4")
    ws.write(4, 0, "Runs on over B5")
    ws.write(4, 1, "x")
    wb.close()
    problems = _misfits(path)
    assert [p.split(" ")[0] for p in problems] == ["S!A1", "S!B2", "S!A5"]


# --- headings over their values --------------------------------------------------------


def _is_heading(cell) -> bool:
    return (cell.fill.fgColor.rgb or "").endswith(HEADER_FILL)


@pytest.mark.parametrize("level", LEVELS)
def test_headings_align_with_their_values(summaries, level):
    """Under each heading, every value is aligned as the heading is: numbers centred under
    centred headings, text to the left under headings to the left, down to the table's
    end (the first cell without a border)."""
    wb = openpyxl.load_workbook(summaries[level], data_only=True)
    checked = 0
    for ws in wb.worksheets:
        for heading in (c for row in ws.iter_rows() for c in row if _is_heading(c)):
            align = heading.alignment.horizontal
            assert align in ("left", "center"), (ws.title, heading.coordinate, align)
            row = heading.row + 1
            while (below := ws.cell(row, heading.column)).border.left.style and not _is_heading(
                below
            ):
                if below.value not in (None, ""):
                    checked += 1
                    where = (ws.title, below.coordinate, heading.value)
                    assert below.alignment.horizontal == align, where
                    if align == "center":
                        assert not isinstance(below.value, str), where
                row += 1
    assert checked > 300  # not vacuous


def test_the_overall_score_and_its_band_are_one_pair(summaries):
    """On the Overview, Overall and Band stand side by side, boxed together by medium
    edges; the band is a word, and its colour comes from rules on the word."""
    ws = openpyxl.load_workbook(summaries["partner"])["Overview"]
    header = next(r for r in ws.iter_rows() if r[0].value == "Partnership")
    names = [c.value for c in header]
    overall, band = names.index("Overall"), names.index("Band")
    assert band == overall + 1
    for row in ws.iter_rows(min_row=header[0].row, max_row=header[0].row + 2):
        assert row[overall].border.left.style == "medium"
        assert row[band].border.right.style == "medium"
    first = ws.cell(header[0].row + 1, band + 1)
    assert first.value == "Developing"
    assert first.font.b
    rules = [r.formula[0] for cf in ws.conditional_formatting if first.coordinate in cf.sqref
             for r in cf.rules]  # fmt: skip
    assert any('SEARCH("Developing"' in rule for rule in rules)


# --- the printed page ------------------------------------------------------------------


def _sheet_parts(path: Path) -> dict[str, str]:
    """Each sheet's name and its part in the zip."""
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets |= {i: t for t, i in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
    sheets = re.findall(r'<sheet name="([^"]+)"[^>]*r:id="([^"]+)"', book)
    return {html.unescape(n): "xl/" + targets[i] for n, i in sheets}


def _chart_font_sizes(path: Path, part: str) -> list[float]:
    """The font sizes (points) of every chart drawn on a sheet; 10 (apps' default) for a
    chart text whose size is not written."""
    sizes: list[float] = []
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())

        def related(of: str) -> list[str]:
            folder, name = of.rsplit("/", 1)
            rels = f"{folder}/_rels/{name}.rels"
            if rels not in names:
                return []
            targets = re.findall(r'Target="([^"]+)"', z.read(rels).decode())
            return [_join(folder, t) for t in targets]

        for drawing in (t for t in related(part) if "/drawings/" in t):
            for chart in (t for t in related(drawing) if "/charts/" in t):
                xml = z.read(chart).decode()
                found = [int(s) / 100 for s in re.findall(r'<a:(?:defRPr|rPr)[^>]*sz="(\d+)"', xml)]
                unsized = len(re.findall(r"<a:defRPr(?![^>]*sz=)", xml))
                sizes += found + [10.0] * unsized
                if not found:
                    sizes.append(10.0)
    return sizes


def _join(folder: str, target: str) -> str:
    parts = folder.split("/")
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _print_range(ws) -> tuple[int, int, int, int]:
    """The print area's first row, first column, last row, last column (1-based); without
    one, apps print the cells in use."""
    area = ws.print_area
    ref = area.split("!")[-1].replace("$", "") if area else ws.dimensions
    first_col, first_row, last_col, last_row = range_boundaries(ref)
    return first_row, first_col, last_row, last_col


def printed_scale(ws) -> float:
    """The scale an app prints ``ws`` at, from its page setup: A4, its orientation and
    margins, and a fixed scale or fit to so many pages, with the print area's columns as
    wide as they print (the font's digit width) and its rows as tall as they are."""
    setup = ws.page_setup
    assert str(setup.paperSize) == "9", f"{ws.title}: not A4"
    width, height = A4[::-1] if setup.orientation == "landscape" else A4
    m = ws.page_margins
    room_w = width - 72 * (m.left + m.right)
    room_h = height - 72 * (m.top + m.bottom)
    first_row, first_col, last_row, last_col = _print_range(ws)
    widths = _column_widths(ws)
    content_w = sum(widths.get(c, DEFAULT_WIDTH) for c in range(first_col, last_col + 1))
    content_w *= PRINT_DIGIT * 0.75  # pixels to points
    content_h = sum(ws.row_dimensions[r].height or DEFAULT_ROW
                    for r in range(first_row, last_row + 1))  # fmt: skip
    props = ws.sheet_properties.pageSetUpPr
    if props is not None and props.fitToPage:
        scale = 100
        wide, tall = setup.fitToWidth, setup.fitToHeight  # None: 1, as the format says
        wide, tall = 1 if wide is None else int(wide), 1 if tall is None else int(tall)
        if wide:
            scale = min(scale, math.floor(100 * room_w * wide / content_w))
        if tall:
            scale = min(scale, math.floor(100 * room_h * tall / content_h))
        return max(10, scale) / 100
    return int(setup.scale or 100) / 100


def _smallest_font(path: Path, ws, part: str) -> float:
    first_row, first_col, last_row, last_col = _print_range(ws)
    sizes = [
        _font(cell)[0]
        for row in ws.iter_rows(first_row, last_row, first_col, last_col)
        for cell in row
        if cell.value not in (None, "")
    ]
    return min(sizes + _chart_font_sizes(path, part))


@pytest.mark.parametrize("level", LEVELS)
def test_every_sheet_prints_at_eight_points_or_more(summaries, level):
    path = summaries[level]
    wb = openpyxl.load_workbook(path)
    parts = _sheet_parts(path)
    printed = {}
    for ws in wb.worksheets:
        scale = printed_scale(ws)
        printed[ws.title] = round(scale * _smallest_font(path, ws, parts[ws.title]), 2)
    small = {title: points for title, points in printed.items() if points < 8}
    assert not small, printed


def test_the_returns_log_prints_landscape_with_its_headings_on_every_page(summaries):
    ws = openpyxl.load_workbook(summaries["partner"])["Returns log"]
    assert ws.page_setup.orientation == "landscape"
    header = next(r for r in ws.iter_rows() if r[0].value == "File")
    assert ws.print_title_rows == f"${header[0].row}:${header[0].row}"
    names = [c.value for c in header]
    # The long ids stay on screen, off the printed page.
    _, _, _, last_col = _print_range(ws)
    assert names[last_col:] == ["Return id", "SHA-256"]
    finding = names.index("Finding")
    assert all(row[finding].alignment.wrap_text for row in ws.iter_rows(min_row=header[0].row))
    # A page across repeats the File column.
    assert ws.print_title_cols == "$A:$A"


# --- sheet names ------------------------------------------------------------------------


RIVERSIDE = "Riverside Food Partnership"
SHEET_NAMES = [
    (RIVERSIDE, set(), RIVERSIDE),
    (PARTNERSHIP, set(), "Northfield and Riverside…"),
    # Taken (Excel ignores case): numbered, still within 31 characters.
    (RIVERSIDE, {RIVERSIDE.casefold()}, f"{RIVERSIDE} (2)"),
    (f"{RIVERSIDE} North", {"riverside food partnership…"}, "Riverside Food Partnership… (2)"),
    ("Overview", {"overview"}, "Overview (2)"),
    ("Food/Health: [North]?", set(), "Food Health North"),
    ("'Friends' of the Park'", set(), "Friends' of the Park"),
    ("Supercalifragilisticexpialidocious-and-more", set(), "Supercalifragilisticexpialidoc…"),
    # 31 characters, 32 units: Excel counts an emoji as two.
    ("Commitment to each other, now " + "\U0001f91d", set(), "Commitment to each other, now…"),
]


@pytest.mark.parametrize(("name", "taken", "expected"), SHEET_NAMES)
def test_a_sheet_is_named_after_its_partnership_within_excels_rules(name, taken, expected):
    title = excel.sheet_title(name, taken)
    assert title == expected
    assert excel.sheet_name_problem(title) is None


def test_sheet_names_are_meaningful_and_unique(tmp_path):
    """Two partnerships whose names share their first 27 characters, and one called
    Questions: each gets a sheet named after it, shortened at a word, none the same, and
    none that reads as one of the summary's own."""
    names = [
        "Riverside Food Partnership Alpha Group",
        "Riverside Food Partnership Beta Group",
        "Questions",
    ]
    returns = tmp_path / "returns"
    returns.mkdir()
    for i, name in enumerate(names):
        sent = generate(tmp_path / f"sent{i}", partners=["A"], partnership_name=name)
        fill(sent.workbooks[0].path, returns / f"{i}.xlsx", {"commitment_choice": 4})
    out = tmp_path / "s.xlsx"
    run_consolidate(ConsolidateOptions(paths=[returns], output=out))
    sheets = openpyxl.load_workbook(out).sheetnames
    # Partnerships in order of their ids: questions, riverside-food-partnership-alp, -bet.
    assert sheets[:5] == [
        "Overview",
        "Questions (partnership)",
        "Riverside Food Partnership…",
        "Riverside Food Partnership… (2)",
        "Questions",
    ]
    # The footer prints the sheet's name: Excel's code for it, not a copy of the text.
    ws = openpyxl.load_workbook(out)["Riverside Food Partnership…"]
    assert ws.oddFooter.left.text == "&A"


def test_an_overview_too_long_for_one_page_flows_on_rather_than_shrinking(tmp_path):
    """Twenty-four partnerships of a round each do not fit one A4 page at a readable size:
    the Overview is then fitted to the page's width only, and prints on more pages."""
    returns = tmp_path / "returns"
    returns.mkdir()
    for i in range(24):
        sent = generate(tmp_path / f"sent{i}", partners=["A"], partnership_name=f"Group {i}")
        fill(sent.workbooks[0].path, returns / f"{i}.xlsx", {"commitment_choice": 1 + i % 5})
    out = tmp_path / "s.xlsx"
    run_consolidate(ConsolidateOptions(paths=[returns], output=out))
    ws = openpyxl.load_workbook(out)["Overview"]
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) in ((None, 0), (1, 0))
    assert printed_scale(ws) * 10 >= 8  # its notes, the smallest text
