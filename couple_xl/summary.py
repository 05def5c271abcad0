"""Write the consolidated summary workbook, with XlsxWriter.

XlsxWriter writes large sheets several times faster than openpyxl (the summary's
Data sheet has a row for every answer of every return), and it writes text
with write_string, which can never become a formula: every piece of text that
came from a return stays exactly as typed, even when it starts with "=".

It writes what an audience view holds (audience.py decides what that is), and never
past Excel's limits (excel.SheetLimits): the Data table and the Questions sheet
continue on further sheets, a chart with more series than Excel draws shows the latest
rounds or the first partners, and anything else past a sheet's last row or column is
counted. Each is returned as a finding and listed on the Overview.

Every sheet is laid out from what it holds, as it is written (no app resizes a row when
it opens a file, and the Data sheet is streamed, so nothing can be measured afterwards):
each cell's text is measured as Excel measures it (``excel.text_pixels``, XlsxWriter's
autofit measure), each column is as wide as its widest value up to a cap past which text
wraps, and each row is as tall as its wrapped lines. Text is left-aligned and numbers
centred, under headings aligned the same way, in bordered tables. No cell is merged, as
screen readers lose their place in merged cells: titles and notes run on over the empty
cells beside them, a line a row, and a table's last value runs on over the cells it
spans. Each table's headings are named for screen readers (layout.title_names), and each
chart has alternative text that gives its numbers or says where they are. Each sheet
prints on A4 at a scale that keeps its smallest text at 8 points or more: fitted to the
page's width where that scale allows it, else over several pages across, repeating its
first columns.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path, PurePath
from typing import Any

from . import excel, formulas, scoring
from .actions import STATUSES, progress_line
from .audience import AudienceView, PartnershipView, RoundView
from .errors import Finding, Location, Severity
from .excel import SheetLimits
from .files import atomic_target
from .layout import (
    ACCENT,
    BAND_STYLES,
    BORDER_COLOUR,
    ERROR_STYLE,
    FONT,
    HEADER_COLOUR,
    INK,
    MUTED,
    column_letters,
    title_names,
)
from .metadata import FORMAT, PROPERTY_PREFIX, SUMMARY
from .report import shown
from .report_rows import answer_rows
from .returns import SUMMARY_TITLE
from .streamed import SheetRows, StreamedRows, cell_xml, splice
from .templates import Template

DISAGREE = "Partners disagree"
DATA_COLUMNS = [
    "Partnership",
    "Round",
    "Round date",
    "Partner",
    "Respondent",
    "Return id",
    "Principle",
    "Question id",
    "Question",
    "Answer",
    "Score",
    "Comment",
]


@dataclass(frozen=True)
class Formula:
    """A formula of ours (never text from a return), with the engine's value for it.

    The value is stored as the formula's cached result: LibreOffice shows cached
    results as they are unless told to recalculate, and XlsxWriter would store 0.
    """

    text: str
    value: Any = ""


@dataclass(frozen=True)
class Styled:
    """A value with a named style (see ``STYLES``)."""

    value: Any
    style: str


# --- styles ----------------------------------------------------------------------------
# A style is a name from one of these tables, optionally followed by modifiers after "+"
# ("score_bold+pair_start"). Free lines (titles, notes, headings) stand above and between
# the tables, each running on over the empty cells beside it; table cells have borders
# and sit at the top of their rows, text to the left and numbers centred, under headings
# aligned the same way.

BODY_SIZE = 11
NOTE_SIZE = 10  # the smallest text of the summary, on screen; 8 points or more on paper
FREE_STYLES: dict[str, dict[str, Any]] = {
    "title": {"font_size": 16, "bold": True, "font_color": f"#{ACCENT}"},
    "heading": {"font_size": 12, "bold": True, "font_color": f"#{ACCENT}"},
    "note": {"font_size": NOTE_SIZE, "italic": True, "font_color": f"#{MUTED}"},
    "line": {"bold": True},
}
_HEADER = {"bold": True, "bg_color": f"#{HEADER_COLOUR}", "valign": "bottom"}
TEXT_STYLES: dict[str, dict[str, Any]] = {  # wrapped at their column's cap
    "text": {},
    "bold": {"bold": True},  # band words too: their colour comes from the rules
    "header": _HEADER,
}
NUMBER_STYLES: dict[str, dict[str, Any]] = {  # centred, never wrapped
    "count": {},
    "score": {"num_format": "0.0"},
    "score_bold": {"num_format": "0.0", "bold": True},
    "sd": {"num_format": "0.00"},
    "pct": {"num_format": "0%"},
    "date": {"num_format": "yyyy-mm-dd"},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm"},
    "change": {"num_format": "+0.0;-0.0;0.0", "bold": True},
    "header_number": {**_HEADER, "text_wrap": True},  # the heading of a number column
}
WORD_STYLES: dict[str, dict[str, Any]] = {  # one word each (ids, hashes): never wrapped
    "id": {"align": "left"},
}
MODIFIERS: dict[str, dict[str, Any]] = {
    # The medium edges that box the overall score and its band as one pair.
    "pair_start": {"left": 2, "left_color": f"#{ACCENT}"},
    "pair_end": {"right": 2, "right_color": f"#{ACCENT}"},
    # A value that runs on, unwrapped, over the blank cells after it, boxed as one cell.
    "span_start": {"right": 0, "text_wrap": False},
    "span_middle": {"left": 0, "right": 0},
    "span_end": {"left": 0},
}
PLAIN = "plain"  # a modifier: a cell of an Excel table, which draws its own lines
HEADER_STYLES = frozenset({"header", "header_number"})


@dataclass(frozen=True)
class _Style:
    """What the writer needs to know of a style: its XlsxWriter properties, and the font
    and wrapping that its cells are measured with."""

    properties: tuple[tuple[str, Any], ...]
    size: float
    bold: bool
    wraps: bool
    number_format: str
    header: bool


@lru_cache(maxsize=256)
def _style(name: str) -> _Style:
    base, *modifiers = name.split("+")
    props: dict[str, Any] = {"font_name": FONT, "font_size": BODY_SIZE,
                             "font_color": f"#{INK}", "valign": "top"}  # fmt: skip
    table = {"border": 1, "border_color": f"#{BORDER_COLOUR}"}
    if base in FREE_STYLES:
        props |= FREE_STYLES[base]
    elif base in TEXT_STYLES:
        props |= {**table, "text_wrap": True, "align": "left", **TEXT_STYLES[base]}
    elif base in NUMBER_STYLES:
        props |= {**table, "align": "center", **NUMBER_STYLES[base]}
    elif base in WORD_STYLES:
        props |= {**table, **WORD_STYLES[base]}
    else:
        raise KeyError(f"no style {name!r}")
    for modifier in modifiers:
        if modifier == PLAIN:
            props = {k: v for k, v in props.items() if k not in table}
        else:
            props |= MODIFIERS[modifier]
    return _Style(
        tuple(props.items()),
        props["font_size"],
        bool(props.get("bold")),
        bool(props.get("text_wrap")),
        props.get("num_format", ""),
        base in HEADER_STYLES,
    )


def _shown(value: Any, number_format: str) -> str:
    """A value as its cell shows it in ``number_format`` (near enough to measure: Excel
    rounds halves away from zero where Python rounds them to even, the same width)."""
    if isinstance(value, Formula):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}" if "h" in number_format else f"{value:%Y-%m-%d}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, (int, float)):
        if number_format == "0.0":
            return f"{value:.1f}"
        if number_format == "0.00":
            return f"{value:.2f}"
        if number_format == "0%":
            return f"{value * 100:.0f}%"
        if number_format.startswith("+0.0"):
            return f"{value:+.1f}"
        return f"{value:.10g}"  # General: up to 11 significant digits, as Excel shows
    return str(value)


# --- the printed page ------------------------------------------------------------------

A4 = 9  # Excel's paper size code
A4_POINTS = (595.28, 841.89)  # portrait width and height
MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.75}  # inches; footer at 0.3
MIN_PRINTED = 8.0  # points: the smallest text on paper, after print scaling
# Printing, apps measure a column by the font's own digit width (about 7.4 pixels for
# Calibri 11) where Excel's screen takes 7: a printed sheet is up to 6% wider than its
# pixels say. So a sheet is fitted to the page only where its scale keeps this much
# above the smallest allowed, and a page across is filled only this much less full.
PRINT_SLACK = 1.07
CHART_TEXT = 10  # points: every text of a chart (titles 12)
DEFAULT_CAP = 40  # characters: the widest a column of wrapped text grows
HEADING_LINES = 3  # a heading wraps onto at most about this many lines, words permitting
ONE_LINE_HEADING = 4 / 3  # a heading this much wider than its values stays on one line
MIN_COLUMN = 36  # pixels: the narrowest column
CHART_GAP = 16  # pixels between charts side by side
FILTER_BUTTON = 20  # pixels: the drop-down arrow of an Excel table's heading
CHART_NUMBERS = 4  # a chart's alternative text gives its numbers for this many series


def printable() -> tuple[float, float]:
    """The width and height inside the margins of a landscape A4 page, in points."""
    height, width = A4_POINTS
    return (
        width - 72 * (MARGINS["left"] + MARGINS["right"]),
        height - 72 * (MARGINS["top"] + MARGINS["bottom"]),
    )


def smallest_scale(points: float) -> int:
    """The smallest print scale (percent) at which text of ``points`` prints at 8 points."""
    return math.ceil(100 * MIN_PRINTED / points - 1e-9)


# The widest a line of free text runs: a page's width at full size. Where pages go across,
# a line keeps to the columns each page repeats, which are a quarter page or more.
FREE_WIDTH = int(printable()[0] / 0.75 / PRINT_SLACK)
FREE_MIN = FREE_WIDTH // 4


class _Book:
    """An XlsxWriter workbook with the summary's styles, and every sheet of it, each
    guarded by Excel's limits (``limits``: small ones in tests)."""

    def __init__(
        self,
        path: str,
        limits: SheetLimits,
        streams: ExitStack | None = None,
        in_memory: bool = True,
    ) -> None:
        import xlsxwriter

        self.limits = limits
        # Where given, each sheet's table rows are streamed (see _Sheet.append), and
        # closed with this stack.
        self.streams = streams
        self.sheets: list[_Sheet] = []
        # What Excel's limits made the writer do (sheets continued, charts shortened).
        self.findings: list[Finding] = []

        self.wb = xlsxwriter.Workbook(
            path,
            {
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "default_date_format": "yyyy-mm-dd",
                "remove_timezone": True,
                "in_memory": in_memory,
            },
        )
        self.wb.set_properties({"title": SUMMARY_TITLE, "author": "couple_xl"})
        # Readers of returns skip a summary left among them, with a note.
        self.wb.set_custom_property(PROPERTY_PREFIX + "format", FORMAT)
        self.wb.set_custom_property(PROPERTY_PREFIX + "kind", SUMMARY)
        self.wb.set_calc_mode("auto")
        self._formats: dict[str, tuple[Any, _Style]] = {}
        # Rules colour a cell and never change its font: a cell is measured in its own.
        self.highlights = {
            word: self.wb.add_format({"bg_color": f"#{fill}", "font_color": f"#{color}"})
            for word, (fill, color) in {**BAND_STYLES, "error": ERROR_STYLE}.items()
        }

    def styled(self, style: str) -> tuple[Any, _Style]:
        """A style's XlsxWriter format, and what the writer needs to know of it."""
        found = self._formats.get(style)
        if found is None:
            st = _style(style)
            found = self._formats[style] = (self.wb.add_format(dict(st.properties)), st)
        return found

    def format(self, style: str):
        return self.styled(style)[0]

    def sheet(
        self,
        title: str,
        caps: dict[int, float] | None = None,
        *,
        one_page: bool = False,
        freeze: tuple[int, int] | None = None,
    ) -> _Sheet:
        """A new landscape sheet; ``caps`` are the widths (in characters) past which its
        columns' text wraps (``DEFAULT_CAP`` where not given)."""
        ws = self.wb.add_worksheet(title[:31])
        stream = None if self.streams is None else self.streams.enter_context(SheetRows())
        sheet = _Sheet(self, ws, caps or {}, one_page=one_page, stream=stream)
        if freeze:
            ws.freeze_panes(*freeze)
        self.sheets.append(sheet)
        return sheet

    def taken(self) -> _Taken:
        return _Taken({s.ws.name.casefold() for s in self.sheets})

    def note(self, sheet: str, message: str, severity: Severity = Severity.WARNING) -> None:
        """Record what Excel's limits made the writer do on ``sheet``."""
        self.findings.append(Finding(message, Location(sheet=sheet), severity))

    def left_out(self) -> list[Finding]:
        """What Excel's limits left out of each sheet, written or not (XlsxWriter refuses a
        cell past them without a word)."""
        return [finding for sheet in self.sheets for finding in sheet.left_out()]

    def finish(self) -> None:
        """Lay out every sheet from what was written in it (before the workbook closes)."""
        for sheet in self.sheets:
            sheet.finish()


# The summary's own sheets, continuations included: a partnership's sheet never takes
# one of their names.
OWN_SHEETS = frozenset(
    {"overview", "questions", "actions", "action progress", "trend", "returns log", "data"}
)
_CONTINUED = re.compile(r"(questions|data) \d+")


@dataclass(frozen=True)
class _Taken:
    """The sheet names (in lower case) that a new sheet named after a partnership may
    not take."""

    names: frozenset[str] | set[str]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (
            name in self.names or name in OWN_SHEETS or bool(_CONTINUED.fullmatch(name))
        )


def _partnership_title(book: _Book, name: str) -> str:
    """A partnership's sheet name: its name, shortened to fit, or "… (partnership)" where
    that is one of the summary's own sheets' names, and numbered where taken."""
    if excel.sheet_title(name).casefold() in _Taken(frozenset()):
        name = f"{name} (partnership)"
    return excel.sheet_title(name, book.taken())


class _Sheet:
    """Appends rows; text is always written as text. Nothing past Excel's last row or
    column is written, and what would have been is counted, to be reported.

    Each cell is measured as it is written: its column's width and its row's height grow
    to what it needs. ``finish`` then sizes the columns, gives headings and merged cells
    the height their lines need at those widths, places the charts below the tables,
    and sets up the printed page."""

    def __init__(
        self,
        book: _Book,
        ws,
        caps: dict[int, float],
        *,
        one_page: bool,
        stream: SheetRows | None = None,
    ) -> None:
        self.book, self.ws = book, ws
        # The table rows written as XML as they come, rather than kept by XlsxWriter until
        # the workbook closes; spliced in among its rows once it has (streamed.py).
        self.stream = stream
        self.limits = book.limits
        self.caps = {col: excel.column_pixels(width) for col, width in caps.items()}
        self.default_cap = excel.column_pixels(DEFAULT_CAP)
        self.one_page = one_page
        self.row = 0  # the next row to write, 0-based
        # How many rows and columns the sheet's content needed, where past the limits.
        self.rows_needed = 0
        self.columns_needed = 0
        self.need: dict[int, int] = {}  # pixels each column's content needs
        self.heights: dict[int, float] = {}  # points each row's content needs
        self.table_width = 0  # columns of the table being written (its header's)
        self.last_col = 0  # the last column any table reaches
        self.smallest: float = BODY_SIZE  # the smallest font written, in points
        self.widths: dict[int, int] = {}  # each column's pixels, once finished
        # Rows a printed page repeats at its top, columns at its left (None: none).
        self.repeat_rows: tuple[int, int] | None = None
        self.repeat_columns: tuple[int, int] | None = None
        self.printed_columns: int | None = None  # None: every column the sheet uses
        self._headings: list[tuple[int, int, str, _Style]] = []
        self._heading_widths: dict[int, tuple[int, int]] = {}  # longest word, whole heading
        self._spans: list[tuple[int, int, Any, str]] = []  # row, first column, value, style
        # Free text: its first row, the width its rows were counted at, the text and its
        # style; and, once laid out, each line of it: row, text, style.
        self._free: list[tuple[int, int, str, str]] = []
        self._lines: list[tuple[int, str, str]] = []
        self._hidden: set[int] = set()  # rows free text did not need
        # chart, width, height (pixels), alternative text
        self._charts: list[tuple[Any, int, int, str]] = []
        # The tables written so far, for screen readers' names: header row, width, the
        # column of row titles, last row (None while the table is being written).
        self._tables: list[list[Any]] = []
        self._known: dict[int, dict[Any, tuple[int, float]]] = {}  # measure_row's memory
        # Columns a page across must not split (a respondent's answer and comment).
        self.column_groups: list[tuple[int, int]] = []
        self._blocks: list[int] = []  # first rows of what a page should not split
        self.scale = 100  # percent, once the page is set up
        self.scale_needed = 100

    def fits(self, row: int, col: int = 0) -> bool:
        return row < self.limits.rows and col < self.limits.columns

    def cap(self, col: int) -> int:
        return self.caps.get(col, self.default_cap)

    # --- writing and measuring ---

    def write(
        self,
        row: int,
        col: int,
        value: Any,
        style: str | None = None,
        cells: list[str] | None = None,
    ) -> None:
        """Write a cell, measured; into ``cells`` as XML where given (a streamed row)."""
        if isinstance(value, Styled):
            value, style = value.value, value.style
        blank = value is None or value == ""
        if blank and not style:
            return
        if not self.fits(row, col):
            if row >= self.limits.rows:
                self.rows_needed = max(self.rows_needed, row + 1)
            if col >= self.limits.columns:
                self.columns_needed = max(self.columns_needed, col + 1)
            return
        style = style or _default_style(value)
        fmt, st = self.book.styled(style)
        ws = self.ws
        if cells is not None:
            stored: Any = None
            if isinstance(value, (dt.datetime, dt.date)):
                stored = ws._convert_date_time(value)  # the serial number XlsxWriter stores
            elif not blank:
                stored = value if isinstance(value, (bool, int, float)) else str(value)
            ref = f"{column_letters(col)}{row + 1}"
            cells.append(cell_xml(ref, fmt._get_xf_index(), stored))
            ws._check_dimensions(row, col)  # so that the sheet's dimension includes it
        elif blank:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, Formula):
            ws.write_formula(row, col, value.text, fmt, value.value)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt)
        elif isinstance(value, (dt.datetime, dt.date)):
            ws.write_datetime(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)
        if col > self.last_col:
            self.last_col = col
        if not blank:
            text = value if type(value) is str else _shown(value, st.number_format)
            self.measure(row, col, text, st)
        elif st.size < self.smallest:
            self.smallest = st.size

    def measure(self, row: int, col: int, text: str, st: _Style) -> tuple[int, float]:
        """Note what a cell of ``text`` in ``st`` needs: its column's pixels, its row's
        points (a heading's lines are counted once the widths are known). Returns both."""
        if st.size < self.smallest:
            self.smallest = st.size
        need, points = 0, 0.0
        if text:
            if st.header:  # sized with its column, once the values are known
                self._headings.append((row, col, text, st))
                words = max(
                    (excel.text_pixels(w, st.size, st.bold) for w in text.split()), default=0
                )
                whole = excel.text_pixels(text, st.size, st.bold)
                known = self._heading_widths.get(col, (0, 0))
                self._heading_widths[col] = (max(known[0], words), max(known[1], whole))
            elif st.wraps:
                cap = self.cap(col)
                width = excel.text_pixels(text, st.size, st.bold)
                need = min(width, cap)
                lines = (
                    excel.wrapped_lines(text, cap, st.size, st.bold)
                    if width > cap
                    else text.count("\n") + 1
                )
                points = lines * excel.line_points(st.size)
            else:
                need = excel.text_pixels(text, st.size, st.bold)
                points = excel.line_points(st.size)
        if need > self.need.get(col, 0):
            self.need[col] = need
        self._tall(row, points)
        return need, points

    def measure_row(self, row: int, values: Sequence[Any], styles: Sequence[str]) -> float | None:
        """Measure a row written elsewhere (streamed), cell by cell as ``measure`` does,
        remembering what each value needs: the same few values recur on every row of the
        Data sheet. Returns the row's height in points, None for the default height."""
        if len(self._known) != len(values):
            self._known = {col: {} for col in range(len(values))}
            self.last_col = max(self.last_col, len(values) - 1)
        tallest = 0.0
        need = self.need
        for col, value in enumerate(values):
            known = self._known[col]
            found = known.get(value)
            if found is None:
                st = _style(styles[col])
                found = self.measure(row, col, _shown(value, st.number_format), st)
                self.heights.pop(row, None)
                if len(known) > 10_000:
                    known.clear()
                known[value] = found
            elif found[0] > need.get(col, 0):
                need[col] = found[0]
            if found[1] > tallest:
                tallest = found[1]
        return tallest if tallest > excel.DEFAULT_ROW_POINTS else None

    def reserve(self, col: int, pixels: int) -> None:
        """Make ``col`` at least ``pixels`` wide."""
        self.need[col] = max(self.need.get(col, 0), pixels)
        self.last_col = max(self.last_col, col)

    def _column_width(self, col: int) -> int:
        """A column's pixels: what its values need, and room for its headings' longest
        words. A heading stays on one line where that widens the column by a third at
        most; a longer one (a partner's name over its scores) wraps, onto a few lines."""
        width = max(self.need.get(col, 0), MIN_COLUMN)
        words, whole = self._heading_widths.get(col, (0, 0))
        width = max(width, min(words, self.cap(col)))
        if whole <= width * ONE_LINE_HEADING:
            width = max(width, min(whole, self.cap(col)))
        else:
            width = max(width, min(math.ceil(whole / HEADING_LINES), self.cap(col)))
        return min(width, excel.MAX_COLUMN_PIXELS)

    def _tall(self, row: int, points: float) -> None:
        if points > self.heights.get(row, 0.0):
            self.heights[row] = points

    def append(
        self,
        values: Sequence[Any],
        style: str | None = None,
        *,
        span_last: bool = False,
        framed: bool = False,
    ) -> int:
        """Write a table row, blank cells bordered up to the table's width (``span_last``:
        the last value merged across to the last column of the sheet's tables); returns
        its 0-based index. The row is streamed where the sheet streams and nothing of it
        changes once the sheet is laid out (``framed``: kept by XlsxWriter, as a heading
        row, sized then, or a row a chart shows, whose values XlsxWriter stores with the
        chart, must be)."""
        row = self.row
        streamed = not (framed or span_last) and self._streamable(row, values)
        cells: list[str] | None = [] if streamed else None
        for col in range(max(len(values), self.table_width)):
            value = values[col] if col < len(values) else None
            if isinstance(value, Styled):
                value, cell_style = value.value, value.style
            else:
                cell_style = style or ("text" if value is None or value == "" else None)
            if span_last and col == len(values) - 1:
                self._span(row, col, value, cell_style or _default_style(value))
                break
            self.write(row, col, value, cell_style, cells)
        if cells is not None and self.stream is not None:
            points = self.heights.get(row, 0.0)
            # A row is whole pixels, as finish sets the other rows' heights.
            height = math.ceil(points / 0.75) * 0.75 if points > excel.DEFAULT_ROW_POINTS else None
            self.stream.add(row, cells, height)
        self.row += 1
        return row

    def _streamable(self, row: int, values: Sequence[Any]) -> bool:
        """Whether a row can be streamed: it is on the sheet and holds no formula (left to
        XlsxWriter, which writes its cached value) and no number XlsxWriter refuses."""
        if self.stream is None or not self.fits(row):
            return False
        for value in values:
            if isinstance(value, Styled):
                value = value.value
            if isinstance(value, Formula) or (
                isinstance(value, float) and not math.isfinite(value)
            ):
                return False
        return True

    def _span(self, row: int, col: int, value: Any, style: str) -> None:
        if not self.fits(row, col):
            self.write(row, col, value, style)  # counted as left out
            return
        self._spans.append((row, col, value, style))

    def blank(self) -> None:
        self._end_table()
        self.row += 1

    def free(self, text: str, style: str, *, in_table: bool = False) -> int:
        """Text above or between tables (``in_table``: between a table's rows), from the
        first column: a line a row, each running on over the empty cells beside it, broken
        between sentences (or words) once the sheet's width is known. It takes as many
        rows as it could need; ``finish`` hides those it does not. Returns its first row."""
        if not in_table:
            self._end_table()
        st = _style(style)
        room = self._free_room()
        rows = len(excel.break_lines(text, room, st.size, st.bold))
        row = self.row
        if self.fits(row + rows - 1):
            self._free.append((row, room, text, style))
        else:
            self.rows_needed = max(self.rows_needed, row + rows)
        self.row += rows
        self.smallest = min(self.smallest, st.size)
        return row

    def _free_room(self) -> int:
        """The width free text is broken to fit as it is written: a page's, or where pages
        may go across, the most the columns each page repeats may take (a quarter page or
        more). Once the sheet is laid out it may need fewer rows (``_lay_out_free``)."""
        if not self.repeat_columns:
            return FREE_WIDTH
        first, last = self.repeat_columns
        caps = sum(self.cap(col) for col in range(first, last + 1))
        return max(FREE_MIN, min(FREE_WIDTH, caps))

    def titled(self, header: int, width: int, row_titles: int | None = None) -> None:
        """Name, for screen readers, the headings of a table in row ``header`` that
        ``header`` did not write (an Excel table's); it runs on to the rows written next."""
        self._end_table()
        self._tables.append([header, width, row_titles, None])

    def _end_table(self) -> None:
        if self._tables and self._tables[-1][3] is None:
            self._tables[-1][3] = self.row - 1

    def title(self, text: str, note: str | None = None) -> None:
        self.free(text, "title")
        if note:
            self.free(note, "note")
        self.blank()

    def heading(self, text: str) -> int:
        """A table's heading: a page never separates it from the table, if it can."""
        row = self.free(text, "heading")
        self._blocks.append(row)
        return row

    def header(
        self,
        labels: Sequence[str],
        numbers: Sequence[int] = (),
        *,
        span_last: bool = False,
        modifiers: dict[int, str] | None = None,
        row_titles: int | None = 0,
    ) -> int:
        """A table's heading row (``numbers``: the columns of numbers, whose headings are
        centred over them; ``modifiers``: a style modifier for some columns' headings;
        ``row_titles``: the column that names each row, for screen readers); the rows
        that follow are bordered to its width."""
        self._end_table()
        self._tables.append([self.row, len(labels), row_titles, None])
        self.table_width = len(labels)
        styles = ["header_number" if col in numbers else "header" for col in range(len(labels))]
        for col, modifier in (modifiers or {}).items():
            styles[col] += f"+{modifier}"
        return self.append([Styled(label, s) for label, s in zip(labels, styles)],
                           span_last=span_last, framed=True)  # fmt: skip

    def chart(self, chart, width: int, height: int, description: str) -> None:
        """A chart, placed below the tables once they are measured: side by side with the
        one before where the printed width has room, else below it. ``description`` is
        its alternative text, which screen readers read."""
        chart.set_size({"width": width, "height": height})
        self._charts.append((chart, width, height, description))

    def highlight(
        self,
        first_row: int,
        first_col: int,
        last_row: int,
        last_col: int,
        criteria: str,
        style: str,
        more: Sequence[Block] = (),
    ) -> None:
        """One conditional format over a block of cells, and over ``more`` blocks (its
        formula is written for the first block's top-left cell, and shifts with each)."""
        # Cut to the sheet: XlsxWriter drops, without a word, a rule whose range runs past
        # it. The formula is the first block's, so without that block there is no rule (the
        # other blocks, further down or right, are past the sheet too).
        first = self._within((first_row, first_col, last_row, last_col))
        if first is None:
            return
        blocks = [first, *(b for b in map(self._within, more) if b)]
        options = {"type": "formula", "criteria": criteria, "format": self.book.highlights[style]}
        if len(blocks) > 1:
            options["multi_range"] = " ".join(_block(*b) for b in blocks)
        self.ws.conditional_format(*blocks[0], options)

    def _within(self, block: Block) -> Block | None:
        first_row, first_col, last_row, last_col = block
        if not self.fits(first_row, first_col):
            return None
        return (first_row, first_col, min(last_row, self.limits.rows - 1),
                min(last_col, self.limits.columns - 1))  # fmt: skip

    def left_out(self) -> list[Finding]:
        """What was not written because it lay past Excel's last row or column."""
        where = Location(sheet=self.ws.name)
        found = []
        if self.rows_needed:
            first, last = self.limits.rows + 1, self.rows_needed
            rows = f"row {first:,} is" if first == last else f"rows {first:,} to {last:,} are"
            found.append(Finding(
                f"{rows} left out: an Excel sheet ends at row {self.limits.rows:,}", where
            ))  # fmt: skip
        if self.columns_needed:
            first, last = self.limits.columns, self.columns_needed - 1
            columns = (
                f"column {column_letters(first)} is"
                if first == last
                else f"columns {column_letters(first)} to {column_letters(last)} are"
            )
            found.append(Finding(
                f"{columns} left out: an Excel sheet ends at column {column_letters(first - 1)}",
                where,
            ))  # fmt: skip
        return found

    # --- laying out, once everything is written ---

    def finish(self) -> None:
        """Size the columns from what they hold, give every row the height its lines need,
        place the charts, and set up the printed page."""
        ws, limits = self.ws, self.limits
        columns = min(self.last_col + 1, limits.columns)
        self.widths = {col: self._column_width(col) for col in range(columns)}
        smallest = min(self.smallest, CHART_TEXT) if self._charts else self.smallest
        self.scale_needed = smallest_scale(smallest)
        self._widen_repeated(columns)
        for col, width in self.widths.items():
            ws.set_column_pixels(col, col, width)
        for row, col, text, st in self._headings:
            lines = excel.wrapped_lines(text, self.widths[col], st.size, st.bold)
            self._tall(row, lines * excel.line_points(st.size))
        for row, col, value, style in self._spans:
            self._span_across(row, col, max(col, columns - 1), value, style)
        bottom, right = self._place_charts(self._chart_room(columns))
        last_row = min(max(self.row - 1, bottom, 0), limits.rows - 1)
        self._lay_out_free(columns)
        self._page_setup(max(columns, right, self._free_reach()), last_row)
        for row, text, style in self._lines:
            ws.write_string(row, 0, text, self.book.format(style))
            self._tall(row, excel.line_points(_style(style).size))
        self._end_table()
        self._name_tables()
        if not (self.one_page and self._one_page(last_row)):
            self._page_breaks(last_row)
        stream = self.stream if self.stream is not None else ()
        for row, points in self.heights.items():
            if points > excel.DEFAULT_ROW_POINTS and row < limits.rows and row not in stream:
                ws.set_row_pixels(row, math.ceil(points / 0.75))  # a row is whole pixels
        for row in sorted(self._hidden):
            ws.set_row(row, None, None, {"hidden": True})

    def _lay_out_free(self, columns: int) -> None:
        """Break each free text into the lines it shows: as wide as a page, or as the
        columns each page repeats where pages go across; its rows left over are hidden."""
        room = FREE_WIDTH
        if self.repeat_columns and self._across(self.printed_columns or columns):
            first, last = self.repeat_columns
            room = max(FREE_MIN, sum(self._width(col) for col in range(first, last + 1)))
        for row, counted, text, style in self._free:
            st = _style(style)
            rows = len(excel.break_lines(text, counted, st.size, st.bold))
            lines = excel.break_lines(text, room, st.size, st.bold)
            if len(lines) > rows:  # never, as lines get no more as they widen; but be sure
                lines = excel.break_lines(text, counted, st.size, st.bold)
            self._lines += [(row + i, line, style) for i, line in enumerate(lines)]
            self._hidden.update(range(row + len(lines), row + rows))

    def _span_across(self, row: int, first: int, last: int, value: Any, style: str) -> None:
        """``value`` in cell ``first`` of ``row``, running on unwrapped over blank cells to
        ``last`` and boxed with them as one cell; where it is too wide for them, wrapped
        in its own cell, as tall as its lines need."""
        st = _style(style)
        text = _shown(value, st.number_format)
        pixels = sum(self._width(col) for col in range(first, last + 1))
        if last == first or excel.text_pixels(text, st.size, st.bold) > pixels:
            if text:
                lines = excel.wrapped_lines(text, self._width(first), st.size, st.bold)
                self._tall(row, lines * excel.line_points(st.size))
            self.write(row, first, value, style)
            return
        self._tall(row, excel.line_points(st.size))
        self.write(row, first, value, f"{style}+span_start")
        for col in range(first + 1, last + 1):
            self.write(row, col, None, f"{style}+{'span_end' if col == last else 'span_middle'}")

    def _free_reach(self) -> int:
        """How many columns the lines of free text run over: enough that the text fits in
        them less each column's padding, which text running on over cells may not use."""
        widest = max(
            (excel.text_pixels(text, _style(style).size, _style(style).bold)
             for _, text, style in self._lines),
            default=0,
        )  # fmt: skip
        columns, room = 0, 0
        while room < widest:
            room += self._width(columns) - excel.CELL_PADDING
            columns += 1
        return columns

    def _name_tables(self) -> None:
        """Name each table's headings for screen readers (layout.title_names)."""
        index = self.book.sheets.index(self) + 1
        sheet = "'" + self.ws.name.replace("'", "''") + "'"
        for n, (top, width, row_titles, bottom) in enumerate(self._tables, start=1):
            if not self.fits(top) or bottom is None or bottom <= top:
                continue
            right = min(width, self.limits.columns) - 1
            bottom = min(bottom, self.limits.rows - 1)
            titles = row_titles if row_titles is None or row_titles <= right else None
            for name, cell in title_names(f"s{index}t{n}", top, 0, bottom, right, titles):
                self.book.wb.define_name(name, f"={sheet}!{cell}")

    def _width(self, col: int) -> int:
        return self.widths.get(col, excel.DEFAULT_COLUMN_PIXELS)

    def _height(self, row: int) -> float:
        if row in self._hidden:
            return 0.0
        return max(self.heights.get(row, 0.0), excel.DEFAULT_ROW_POINTS)

    def _column_at(self, x: float) -> tuple[int, int]:
        """The column ``x`` pixels from the sheet's left edge, and the offset into it."""
        col = 0
        while x >= self._width(col):
            x -= self._width(col)
            col += 1
        return col, int(x)

    def _chart_room(self, columns: int) -> float:
        """The width charts may take: the tables' or a page's, whichever is wider; but
        only the first page's where the tables print over pages across, so that no
        chart is cut by a page."""
        printed = self.printed_columns or columns
        if self._across(printed):
            room = printable()[0] / 0.75 * 100 / self.scale_needed / PRINT_SLACK
            breaks = self._column_breaks(printed, room)
            return sum(self._width(col) for col in range(breaks[0] if breaks else printed))
        page = printable()[0] / 0.75 / PRINT_SLACK
        return max(sum(self.widths.values()), page, *(w for _, w, _, _ in self._charts))

    def _place_charts(self, room: float) -> tuple[int, int]:
        """Charts below the tables, side by side while they fit within ``room`` pixels,
        narrowed to three quarters of their width at most to fit, then on below (a chart
        wider than the room is narrowed to it). Returns the last row they cover and the
        columns they reach."""
        if not self._charts:
            return self.row - 1, 0
        bands: list[list[tuple[Any, int, int, str]]] = [[]]
        for chart in self._charts:
            band = [*bands[-1], chart]
            total = sum(c[1] for c in band)
            gaps = CHART_GAP * (len(band) - 1)
            if len(band) == 1 or (room - gaps) / total >= 0.75:
                bands[-1] = band
            else:
                bands.append([chart])
        row_px = excel.DEFAULT_ROW_POINTS / 0.75
        top, right = self.row + 1, 0
        for band in bands:
            self._blocks.append(top)
            total = sum(c[1] for c in band)
            factor = min(1.0, (room - CHART_GAP * (len(band) - 1)) / total)
            x = 0.0
            for chart, width, height, description in band:
                width = int(width * factor)
                chart.set_size({"width": width, "height": height})
                col, offset = self._column_at(x)
                self.ws.insert_chart(min(top, self.limits.rows - 1),
                                     min(col, self.limits.columns - 1), chart,
                                     {"x_offset": offset,
                                      "description": description})  # fmt: skip
                x += width + CHART_GAP
                right = max(right, int(x) - CHART_GAP)
            top += math.ceil(max(c[2] for c in band) / row_px) + 1
        end_col, _ = self._column_at(max(0, right - 1))
        return top - 2, end_col + 1

    def _page_setup(self, columns: int, last_row: int) -> None:
        """A4, landscape, at a scale that prints the smallest text at 8 points or more:
        fitted to the page's width where the app's fit keeps it so, else at that smallest
        scale over pages across, breaking between column groups and repeating
        ``repeat_columns``."""
        ws = self.ws
        ws.set_paper(A4)
        ws.set_landscape()
        ws.set_margins(**MARGINS)
        ws.set_footer("&L&A&RPage &P of &N", margin=0.3)
        page_px = printable()[0] / 0.75
        printed = min(self.printed_columns or columns, self.limits.columns)
        content = sum(self._width(col) for col in range(printed))
        fit = min(100, math.floor(100 * page_px / max(1, content)))
        if self.repeat_rows:
            ws.repeat_rows(*self.repeat_rows)
        if not self._across(printed):
            self.scale = fit
            ws.print_area(0, 0, last_row, max(0, printed - 1))
            ws.fit_to_pages(1, 0)
            return
        self.scale = self.scale_needed
        ws.print_area(0, 0, last_row, max(0, printed - 1))
        ws.set_print_scale(self.scale)
        if self.repeat_columns:
            ws.repeat_columns(*self.repeat_columns)
        breaks = self._column_breaks(printed, page_px * 100 / self.scale / PRINT_SLACK)
        if breaks:
            ws.set_v_pagebreaks(breaks)

    def _across(self, printed: int) -> bool:
        """Whether ``printed`` columns need pages across (at the smallest scale)."""
        page_px = printable()[0] / 0.75
        content = sum(self._width(col) for col in range(printed))
        fit = min(100, math.floor(100 * page_px / max(1, content)))
        return fit < self.scale_needed * PRINT_SLACK

    def _widen_repeated(self, columns: int) -> None:
        """Where pages go across, widen the repeated columns to a quarter of a page, and to
        the width free text was broken to fit: the titles and notes keep within them, so
        that each page shows them whole."""
        if not self.repeat_columns or not self._across(self.printed_columns or columns):
            return
        first, last = self.repeat_columns
        if last >= columns:
            return
        quarter = printable()[0] / 0.75 * 100 / self.scale_needed / PRINT_SLACK / 4
        lines = [
            excel.text_pixels(line, st.size, st.bold)
            for _, counted, text, style in self._free
            for st in [_style(style)]
            for line in excel.break_lines(text, counted, st.size, st.bold)
        ]
        need = max(quarter, *lines)
        repeated = sum(self.widths[col] for col in range(first, last + 1))
        if repeated < need:
            self.widths[last] += math.ceil(need - repeated)

    def _column_breaks(self, printed: int, room: float) -> list[int]:
        """Where pages across begin (each a column index), so that no page splits a column
        group (a respondent's answer and comment); the pages after the first repeat
        ``repeat_columns``."""
        grouped = {col: group for group in self.column_groups for col in range(group[0],
                   group[1] + 1)}  # fmt: skip
        repeated = 0.0
        if self.repeat_columns:
            first, last = self.repeat_columns
            repeated = sum(self._width(col) for col in range(first, last + 1))
        breaks: list[int] = []
        x, col = 0.0, 0
        while col < printed:
            first, last = grouped.get(col, (col, col))
            last = min(last, printed - 1)
            width = sum(self._width(c) for c in range(first, last + 1))
            if x and x + width > room:
                breaks.append(first)
                x = repeated
            x += width
            col = last + 1
        return breaks

    def _one_page(self, last_row: int) -> bool:
        """Fit the sheet to one page, down as well as across, where the scale that takes
        still prints its smallest text at 8 points or more. Whether it did."""
        if self.ws.fit_page != 1:
            return False  # not even one page wide
        rows = sum(self._height(r) for r in range(last_row + 1))
        fit = math.floor(100 * printable()[1] / max(1.0, rows))
        if min(fit, self.scale) < self.scale_needed * PRINT_SLACK:
            return False
        self.ws.fit_to_pages(1, 1)
        return True

    def _page_breaks(self, last_row: int) -> None:
        """Page breaks before a table (its heading) or a band of charts that would run
        over the end of a page but fits on a page of its own."""
        starts = sorted({b for b in self._blocks if 0 < b <= last_row})
        if not starts:
            return
        page = printable()[1] * 100 / self.scale
        repeated = 0.0
        if self.repeat_rows:
            first, last = self.repeat_rows
            repeated = sum(self._height(r) for r in range(first, last + 1))
        ends = [*starts[1:], last_row + 1]
        block_end = dict(zip(starts, ends))
        breaks: list[int] = []
        used = 0.0
        for row in range(last_row + 1):
            height = self._height(row)
            if row in block_end:
                block = sum(self._height(r) for r in range(row, block_end[row]))
                if used and used + block > page and block <= page - repeated:
                    breaks.append(row)
                    used = repeated
            if used + height > page:  # the app breaks here itself
                used = repeated
            used += height
        if breaks:
            self.ws.set_h_pagebreaks(breaks)


def _default_style(value: Any) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return "date"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "count"
    return "text"


# A block of cells: first row, first column, last row, last column (0-based).
Block = tuple[int, int, int, int]


def _block(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    top_left = _cell(first_row, first_col)
    if (first_row, first_col) == (last_row, last_col):
        return top_left
    return f"{top_left}:{_cell(last_row, last_col)}"


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Ascending row numbers as runs of consecutive rows: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _cell(row: int, col: int, absolute_col: bool = False) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col, col_abs=absolute_col)


def _band_colours(
    sheet: _Sheet, first_row: int, first_col: int, last_row: int, last_col: int
) -> None:
    """Colour band words (the word is always there too)."""
    top_left = _cell(first_row, first_col)
    for word in BAND_STYLES:
        criteria = f'=ISNUMBER(SEARCH("{word}",{top_left}))'
        sheet.highlight(first_row, first_col, last_row, last_col, criteria, word)


def _score_colours(sheet: _Sheet, blocks: list[Block], th: scoring.Thresholds) -> None:
    """Colour numeric scores by band, with the engine's rounding guard: one rule per band
    over every block (first row, first column, last row, last column) given."""
    (first_row, first_col, last_row, last_col), *more = blocks
    top = _cell(first_row, first_col)
    v = f"ROUND({top},{scoring.COMPARE_DIGITS})"
    rules = {
        scoring.STRENGTH: f"{v}>={th.strength}",
        scoring.DEVELOPING: f"AND({v}>={th.developing},{v}<{th.strength})",
        scoring.CONCERN: f"{v}<{th.developing}",
    }
    for word, rule in rules.items():
        criteria = f"=AND(ISNUMBER({top}),{rule})"
        sheet.highlight(first_row, first_col, last_row, last_col, criteria, word, more)


def _chart_text(chart, title: str, *, legend: bool = True) -> None:
    """A chart's title, and its axes' and legend's text at a size that prints at 8 points
    or more at the sheet's scale (apps' defaults are not written down)."""
    chart.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
    if legend:
        chart.set_legend({"position": "bottom", "font": {"size": CHART_TEXT}})
    else:
        chart.set_legend({"none": True})


def _chart_words(
    what: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    where: str,
) -> str:
    """A chart's alternative text: what it shows, its numbers (as the cells show them)
    when it has no more than CHART_NUMBERS series, and where the same numbers are."""
    if len(series) > CHART_NUMBERS:
        return f"{what}; {where}."

    def numbers(values: Sequence[float | None]) -> str:
        return ", ".join(f"{name} {shown(v) or 'no score'}" for name, v in zip(categories, values))

    told = "; ".join(f"{name}: {numbers(values)}" if name else numbers(values)
                     for name, values in series)  # fmt: skip
    return f"{what}. {told}. {where[0].upper()}{where[1:]}."


def _axis(options: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"num_font": {"size": CHART_TEXT}, **(options or {})}


def _score(value: float | None) -> float | str:
    return "" if value is None else value


def _band_text(band: str | None, provisional: bool = False) -> str:
    if band is None:
        return "No score"
    return f"{band} (provisional)" if provisional else band


def _templates(rounds: list) -> list[Template]:
    """The distinct templates (by scale and bands) of the rounds shown, in round order."""
    seen: dict[tuple, Template] = {}
    for r in rounds:
        t = r.template
        seen.setdefault((t.engine_scale.values, t.thresholds), t)
    return list(seen.values())


def _scale_of(t: Template) -> str:
    values = t.engine_scale.values
    return f"{formulas.num(values[0])} to {formulas.num(values[-1])}"


def _bands_of(t: Template) -> str:
    th = t.thresholds
    return (
        f"{scoring.STRENGTH} {formulas.num(th.strength)} or more, {scoring.DEVELOPING} "
        f"{formulas.num(th.developing)} or more, otherwise {scoring.CONCERN}"
    )


def _in_template_terms(rounds: list, describe, one: str, several: str) -> str:
    """``one`` filled with ``describe(template)`` when the rounds shown share a template's
    scale and bands; else ``several`` filled with each template's description."""
    templates = _templates(rounds)
    if not templates:
        return ""
    if len(templates) == 1:
        return one.format(describe(templates[0]))
    return several.format("; ".join(f"{t.id} {t.version}: {describe(t)}" for t in templates))


def _scale_words(rounds: list) -> str:
    """What the scores run from and to, in the templates' own terms."""
    return _in_template_terms(
        rounds,
        _scale_of,
        "Scores run from {}.",
        "The rounds shown use different templates, with different scales ({}).",
    )


def _band_words(rounds: list) -> str:
    return _in_template_terms(
        rounds,
        _bands_of,
        "Band words: {}.",
        "Band words differ between the templates of these rounds ({}).",
    )


# --- Overview -----------------------------------------------------------------------


# The Overview's columns before the principles' scores.
OVERVIEW_FIXED = ("Partnership", "Round", "Round date", "Returned", "Expected")
FIRST_SCORE = len(OVERVIEW_FIXED)
OVERVIEW_CHART = (820, 300)  # pixels


def _overview_colours(sheet: _Sheet, rounds: list, first: int, band_col: int) -> None:
    """The band words, and each round's scores (principles and overall, the columns
    before the band) by its own template's bands: one set of rules for the rows of
    each set of bands (a few rules, not three for every score)."""
    _band_colours(sheet, first, band_col, first + len(rounds) - 1, band_col)
    rows_by_bands: dict[scoring.Thresholds, list[int]] = {}
    for offset, r in enumerate(rounds):
        rows_by_bands.setdefault(r.template.thresholds, []).append(first + offset)
    for th, rows in rows_by_bands.items():
        _score_colours(sheet, [(a, FIRST_SCORE, b, band_col - 1) for a, b in _runs(rows)], th)


def _principles_shown(rounds: list[RoundView]) -> list[tuple[str, str]]:
    """Every principle of the rounds shown, (id, name), in the order they first appear."""
    principles: dict[str, str] = {}
    for r in rounds:
        for p in r.principles:
            principles.setdefault(p.id, p.name)
    return list(principles.items())


def _overview_sheet(book: _Book, view: AudienceView) -> _Sheet:
    """The Overview, first of the sheets; it is filled in last (_overview), once what
    Excel's limits did to the other sheets is known."""
    columns = len(_principles_shown(view.rounds))
    # Principles' names wrap at a word where they must; the band is one or two words.
    caps = {0: 30, 1: 16} | {FIRST_SCORE + i: 14 for i in range(columns)}
    return book.sheet("Overview", caps | {FIRST_SCORE + columns + 1: 12}, one_page=True,
                      freeze=(4, 1))  # fmt: skip


def _overview(sheet: _Sheet, view: AudienceView, generated: dt.datetime) -> None:
    book = sheet.book
    rounds = view.rounds
    principles = _principles_shown(rounds)
    sheet.title(
        "COUPLE partnership summary",
        f"Made {generated:%d %B %Y %H:%M} UTC from {view.counted} counted returns. "
        f"{_scale_words(rounds)} Each score is the mean of partners' scores.".lstrip(),
    )
    header = [*OVERVIEW_FIXED, *(name for _, name in principles), "Overall", "Band"]
    overall = len(header) - 2
    # The overall score and its band, boxed as one pair.
    pair = {overall: "pair_start", overall + 1: "pair_end"}
    header_row = sheet.header(header, numbers=range(2, overall + 1), modifiers=pair)
    for r in rounds:
        row = [
            r.partnership_name,
            r.round,
            r.round_date,
            r.returned,
            "" if r.expected is None else r.expected,
        ]
        for pid, _ in principles:
            summary = r.principle(pid)
            row.append(Styled(_score(summary.mean if summary else None), "score"))
        row += [
            Styled(_score(r.overall), "score_bold+pair_start"),
            Styled(_band_text(r.overall_band), "bold+pair_end"),
        ]
        # Kept by XlsxWriter, not streamed: the chart below stores these values with it.
        sheet.append(row, framed=True)
    first = header_row + 1
    if rounds:
        _overview_colours(sheet, rounds, first, len(header) - 1)
    sheet.free(
        f"{_band_words(rounds)} A score's colour repeats the band its number falls in; "
        "the overall band is also written out.",
        "note",
    )
    for r in rounds:
        if r.progress:
            line = f"{r.partnership_name} · {r.round}: {progress_line(r.progress)}."
            sheet.free(line, "line")

    chart_rounds = _chart_rounds(book, rounds, first)
    limits = [*book.findings, *book.left_out()]
    if limits:
        sheet.blank()
        sheet.heading("What Excel's limits changed")
        for finding in limits:
            sheet.free(f"{finding.location.sheet}: {finding.message}.", "line")

    chase = [(r, m) for r in rounds for m in r.missing]
    if chase:
        sheet.blank()
        sheet.heading("Not yet returned")
        sheet.header(["Partner", "Round", "Email and contact"], span_last=True)
        for partnership in dict.fromkeys(r.partnership_name for r, _ in chase):
            if len(view.partnerships) > 1:
                sheet.free(partnership, "line", in_table=True)
            for r, m in chase:
                if r.partnership_name == partnership:
                    who = " · ".join(v for v in (m.email, m.contact) if v) or "no email given"
                    sheet.append([m.partner, r.round, who], span_last=True)
    elif waiting := sum(r.not_returned for r in rounds):  # totals only: how many, not who
        sheet.blank()
        returns = "return has" if waiting == 1 else "returns have"
        sheet.free(f"{waiting} expected {returns} not arrived yet.", "note")
    unexpected = [(r, u) for r in rounds for u in r.unexpected]
    if unexpected:
        sheet.blank()
        sheet.heading("Returns no manifest expected")
        sheet.header(["Partner", "Round", "File"], span_last=True)
        for r, u in unexpected:
            sheet.append([u.partner, r.round, PurePath(u.file).name], span_last=True)

    if chart_rounds:
        chart = book.wb.add_chart({"type": "column"})
        # The chart leaves out Overall; and a column past the sheet's last is not there.
        last_score = min(FIRST_SCORE + len(principles), book.limits.columns) - 1
        series: list[tuple[str, list[float | None]]] = []
        for index in chart_rounds:
            r, row = rounds[index], first + index
            name = f"{excel.fit_words(r.partnership_name, 40)} · {excel.fit_words(r.round, 20)}"
            means = [r.principle(pid) for pid, _ in principles[: last_score - FIRST_SCORE + 1]]
            series.append((name, [m.mean if m else None for m in means]))
            chart.add_series(
                {
                    # XlsxWriter reads a series name starting with "=" as a reference.
                    "name": name.lstrip("="),
                    "categories": ["Overview", header_row, FIRST_SCORE, header_row, last_score],
                    "values": ["Overview", row, FIRST_SCORE, row, last_score],
                }
            )
        title = "Mean score by principle"
        if len(chart_rounds) < len(rounds):
            title += f": the {len(chart_rounds):,} latest rounds of {len(rounds):,}"
        _chart_text(chart, title)
        top = max(r.template.engine_scale.values[-1] for r in rounds)
        chart.set_x_axis(_axis())
        chart.set_y_axis(_axis({"min": 0, "max": top, "major_unit": 1}))
        shown_rows = f"{_cell(first, FIRST_SCORE)}:{_cell(first + len(rounds) - 1, last_score)}"
        description = _chart_words(
            f"Column chart of the mean score for each principle, a colour for each round, "
            f"on a scale of 0 to {formulas.num(top)}",
            [name for _, name in principles],
            series,
            f"the same means are in the table above, at {shown_rows}",
        )
        sheet.chart(chart, *OVERVIEW_CHART, description)


def _chart_rounds(book: _Book, rounds: list[RoundView], first: int) -> list[int]:
    """The rounds (their indices) the Overview's chart shows: every round, unless there
    are more than a chart can hold; then the latest, by round date, and it says so."""
    on_sheet = [i for i in range(len(rounds)) if first + i < book.limits.rows]
    most = book.limits.chart_series
    if len(on_sheet) <= most:
        return on_sheet
    latest = sorted(on_sheet, key=lambda i: (rounds[i].round_date, i))[-most:]
    book.note(
        "Overview",
        f"the chart shows the {most:,} latest rounds of {len(rounds):,} (an Excel chart holds "
        f"at most {most:,} series); the table above it has every round",
    )
    return sorted(latest)


# --- Comparison ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Spans:
    """Where a Compare sheet's score table stands (0-based): its header row, the first and
    last principle rows, and the columns of the partners and of the statistics after them."""

    header: int
    first: int
    last: int
    partners: int  # how many partner columns, from column 1

    @property
    def mean(self) -> int:
        return self.partners + 1

    @property
    def spread(self) -> int:
        return self.partners + 2

    @property
    def agreement(self) -> int:
        return self.partners + 4


RADAR_SIZE = (560, 420)  # pixels; the legend below it names every partner
BARS_SIZE = (560, 280)
PARTNER_CAP = 16  # characters: a partner's column, its name wrapping above its scores


def _comparison(book: _Book, p: PartnershipView, r: RoundView, fn: formulas.Functions) -> None:
    """One partnership's latest round: scores, bands and coverage by partner (where the
    view has partners), and charts. The sheet is named after the partnership."""
    partners = list(r.partners)
    n = len(partners)
    caps = {0: 24} | {1 + i: PARTNER_CAP for i in range(n)} | {n + 4: 18}
    sheet = book.sheet(_partnership_title(book, p.name), caps)
    sheet.repeat_columns = (0, 0)
    sheet.title(
        f"{p.name}: {r.round} ({r.round_date:%d %B %Y})",
        (
            "Scores are each partner's mean over its respondents (n). "
            if partners
            else "Each score is the mean of the partners' scores. "
        )
        + "Partners disagree when their scores differ by "
        f"{formulas.num(r.template.thresholds.disagreement)} or more. "
        + ("Earlier rounds are on the Trend sheet." if len(p.rounds) > 1 else ""),
    )
    spans = _comparison_scores(sheet, r, partners, fn)
    if partners:
        _comparison_bands(sheet, r, partners)
        _comparison_coverage(sheet, r, partners)
        _radar(sheet, spans, r, partners)
    if not sheet.fits(spans.last, spans.spread):
        return  # the spreads are past the sheet's last column, reported as left out
    bars = book.wb.add_chart({"type": "bar"})
    bars.add_series(
        {
            "name": "Spread",
            "categories": [sheet.ws.name, spans.first, 0, spans.last, 0],
            "values": [sheet.ws.name, spans.first, spans.spread, spans.last, spans.spread],
        }
    )
    _chart_text(bars, "Spread between partners", legend=False)
    bars.set_x_axis(_axis({"min": 0}))
    bars.set_y_axis(_axis())
    spreads = f"{_cell(spans.first, spans.spread)}:{_cell(spans.last, spans.spread)}"
    description = _chart_words(
        "Bar chart of the spread between partners' scores for each principle (the highest "
        "score minus the lowest)",
        [summary.name for summary in r.principles],
        [("", [summary.spread for summary in r.principles])],
        f"the spreads are in the Scores table's Spread column, at {spreads}",
    )
    sheet.chart(bars, *BARS_SIZE, description)


def _radar(sheet: _Sheet, spans: _Spans, r: RoundView, partners: list) -> None:
    """The partners' scores as a radar: every partner, unless there are more than a chart
    can hold (or than the sheet's columns); then the first ones, and it says so."""
    book, name = sheet.book, sheet.ws.name
    top = r.template.engine_scale.values[-1]
    shown = [i for i in range(1, spans.partners + 1) if sheet.fits(spans.last, i)]
    most = book.limits.chart_series
    title = "Scores by partner"
    if len(shown) > most:
        shown = shown[:most]
        title += f": the first {most:,} of {spans.partners:,}"
        book.note(
            name,
            f"the radar shows the first {most:,} partners of {spans.partners:,} (an Excel "
            f"chart holds at most {most:,} series); the table has every partner",
        )
    if not shown:
        return  # the scores are past the sheet's last row or column, reported as left out
    radar = book.wb.add_chart({"type": "radar", "subtype": "with_markers"})
    for i in shown:
        radar.add_series(
            {
                # XlsxWriter reads a series name starting with "=" as a reference.
                "name": excel.fit_words(partners[i - 1].name, 40).lstrip("="),
                "categories": [name, spans.first, 0, spans.last, 0],
                "values": [name, spans.first, i, spans.last, i],
            }
        )
    _chart_text(radar, title)
    radar.set_x_axis(_axis())
    radar.set_y_axis(_axis({"min": 0, "max": top, "major_unit": 1}))
    principles = list(r.principles)
    scores = f"{_cell(spans.first, 1)}:{_cell(spans.last, spans.partners)}"
    description = _chart_words(
        f"Radar chart of each partner's score for each principle, a line for each partner, "
        f"on a scale of 0 to {formulas.num(top)}",
        [summary.name for summary in principles],
        [
            (excel.fit_words(partners[i - 1].name, 40),
             [partners[i - 1].principle(summary.id).score for summary in principles])
            for i in shown
        ],
        f"the same scores are in the Scores table, at {scores}",
    )  # fmt: skip
    sheet.chart(radar, *RADAR_SIZE, description)


def _comparison_scores(
    sheet: _Sheet, r: RoundView, partners: list, fn: formulas.Functions
) -> _Spans:
    """Principle x partner scores with mean, spread, SD and agreement (live formulas that
    carry the engine's values), the overall row and the weakest principle."""
    n = len(partners)
    limit = formulas.num(r.template.thresholds.disagreement)
    sheet.heading("Scores")
    header = ["Principle"] + [f"{pr.name} (n={len(pr.respondents)})" for pr in partners]
    header_row = sheet.header([*header, "Mean", "Spread", "SD", "Agreement"],
                              numbers=range(1, n + 4))  # fmt: skip
    for summary in r.principles:
        scores = [pr.principle(summary.id).score for pr in partners]
        if n:
            cells = f"{_cell(sheet.row, 1)}:{_cell(sheet.row, n)}"
            present = sum(score is not None for score in scores)
            stats: list[Any] = [
                Formula(fn.wrap("COUPLE_OVERALL", (cells,), formulas.mean_of(cells)),
                        _score(summary.mean)),
                Formula(fn.wrap("COUPLE_SPREAD", (cells,), formulas.spread_of(cells)),
                        _score(summary.spread)),
                Formula(fn.wrap("COUPLE_SD", (cells,), formulas.sd_of(cells)),
                        _score(summary.sd)),
                Formula(
                    formulas.agreement(
                        cells,
                        fn.test("COUPLE_DISAGREE", (cells, limit),
                                formulas.spread_reaches(cells, limit)),
                        DISAGREE,
                    ),
                    "" if present < 2 else (DISAGREE if summary.disagree else "Agree"),
                ),
            ]  # fmt: skip
        else:
            agree = DISAGREE if summary.disagree else "Agree"
            stats = [
                _score(summary.mean),
                _score(summary.spread),
                _score(summary.sd),
                agree if summary.spread is not None else "",
            ]
        # Kept by XlsxWriter, not streamed: the charts store these values with them.
        sheet.append(
            [Styled(summary.name, "bold")]
            + [Styled(_score(score), "score") for score in scores]
            + [Styled(stats[0], "score_bold"), Styled(stats[1], "score"),
               Styled(stats[2], "sd"), Styled(stats[3], "text")],
            framed=True,
        )  # fmt: skip
    spans = _Spans(header_row, header_row + 1, sheet.row - 1, n)
    sheet.append(
        [Styled("Overall", "bold")]
        + [Styled(_score(pr.overall), "score_bold") for pr in partners]
        + [Styled(_score(r.overall), "score_bold")]
    )
    col = spans.agreement
    criteria = f'={_cell(spans.first, col)}="{DISAGREE}"'
    sheet.highlight(spans.first, col, spans.last, col, criteria, "error")
    if r.weakest:
        weakest = r.principle(r.weakest)
        sheet.free(f"Weakest principle: {weakest.name} (mean {weakest.mean:.1f}).", "line")
    return spans


def _comparison_bands(sheet: _Sheet, r: RoundView, partners: list) -> None:
    sheet.blank()
    sheet.heading("Bands")
    sheet.header(["Principle"] + [pr.name for pr in partners] + ["Mean"])
    first = sheet.row
    for summary in r.principles:
        results = [pr.principle(summary.id) for pr in partners]
        sheet.append(
            [Styled(summary.name, "bold")]
            + [Styled(_band_text(x.band, x.provisional), "bold") for x in results]
            + [Styled(_band_text(summary.band), "bold")]
        )
    _band_colours(sheet, first, 1, sheet.row - 1, len(partners) + 1)


def _comparison_coverage(sheet: _Sheet, r: RoundView, partners: list) -> None:
    sheet.blank()
    sheet.heading("Coverage: rated answers of questions asked")
    sheet.header(["Principle"] + [pr.name for pr in partners], numbers=range(1, len(partners) + 1))
    for summary in r.principles:
        sheet.append(
            [Styled(summary.name, "bold")]
            + [Styled(pr.principle(summary.id).coverage, "pct") for pr in partners]
        )


# --- Questions ----------------------------------------------------------------------

QUESTION_FIXED = ["Principle", "Question id", "Statement"]
QUESTION_AFTER = ["Spread", "Flag"]  # after the respondents' columns, at partner level
QUESTIONS_NOTE = (
    "Answers and comments exactly as typed. A flag marks questions where partners' "
    "scores differ by the template's disagreement threshold or more."
)
QUESTION_CAPS = {0: 14, 2: 36}
ANSWER_CAP, COMMENT_CAP = 18, 26


def _questions(book: _Book, view: AudienceView) -> None:
    if not view.per_partner:
        _question_totals(book, view)
        return
    # Two columns (answer, comment) for each respondent: when a partnership's respondents
    # need more columns than a sheet has, the others continue on Questions 2, 3, ...
    fixed = len(QUESTION_FIXED) + len(QUESTION_AFTER)
    per_sheet = (book.limits.columns - fixed) // 2
    rounds = [(p, r, [(f"{pr.name}: {who.label}", who) for pr in r.partners
                      for who in pr.respondents]) for p, r in view.latest]  # fmt: skip
    most = max((len(columns) for _, _, columns in rounds), default=0)
    sheets = max(1, -(-most // per_sheet))
    titles = ["Questions", *(f"Questions {i}" for i in range(2, sheets + 1))]
    if sheets > 1:
        book.note(
            "Questions",
            f"{most:,} respondents need {fixed + 2 * most:,} columns, more than an Excel sheet "
            f"has ({book.limits.columns:,}): each sheet holds {per_sheet:,} of them, and the "
            f"others continue on {_listed(titles[1:])}",
            Severity.NOTE,
        )
    for part, title in enumerate(titles):
        first = part * per_sheet
        shown = min(per_sheet, most - first) if most else 0
        caps = dict(QUESTION_CAPS)
        for i in range(shown):
            caps[3 + 2 * i], caps[4 + 2 * i] = ANSWER_CAP, COMMENT_CAP
        caps[4 + 2 * shown] = 18
        sheet = book.sheet(title, caps, freeze=(0, 3))
        sheet.repeat_columns = (0, 2)
        sheet.column_groups = [(0, 2), *((3 + 2 * i, 4 + 2 * i) for i in range(shown))]
        sheet.title("Answers side by side", QUESTIONS_NOTE)
        tables = 0
        for p, r, columns in rounds:
            if part and len(columns) <= first:
                continue
            these = columns[first : first + per_sheet]
            heading = f"{p.name}: {r.round}"
            if len(columns) > per_sheet:
                heading += (
                    f" (respondents {first + 1:,} to {first + len(these):,} of {len(columns):,})"
                )
            sheet.heading(heading)
            labels = list(QUESTION_FIXED)
            for label, _ in these:
                labels += [f"{label}: answer", f"{label}: comment"]
            spread = len(labels)
            # A reader hears the statement, row by row, beside each answer and comment.
            header_row = sheet.header([*labels, *QUESTION_AFTER], numbers=(spread,), row_titles=2)
            tables += 1
            for q in r.questions:
                row: list[Any] = [q.principle, Styled(q.id, "id"), q.text]
                for _, who in these:
                    answer = who.answer(q.id)
                    # An answer typed as a number stays one, aligned as the others are.
                    row += [Styled(answer.answer if answer else None, "text"),
                            answer.comment if answer else ""]  # fmt: skip
                row += [Styled(_score(q.spread), "score"), DISAGREE if q.disagree else ""]
                sheet.append(row)
            sheet.blank()
        if tables == 1:
            sheet.repeat_rows = (header_row, header_row)


def _question_totals(book: _Book, view: AudienceView) -> None:
    """Totals only: each question's mean and spread across partners, and how many."""
    sheet = book.sheet("Questions", QUESTION_CAPS | {6: 18}, freeze=(0, 3))
    sheet.repeat_columns = (0, 2)
    sheet.title("Answers side by side", QUESTIONS_NOTE)
    for p, r in view.latest:
        sheet.heading(f"{p.name}: {r.round}")
        header_row = sheet.header([*QUESTION_FIXED, "Mean", "Spread", "Partners", "Flag"],
                                  numbers=(3, 4, 5), row_titles=2)  # fmt: skip
        for q in r.questions:
            sheet.append(
                [
                    q.principle,
                    Styled(q.id, "id"),
                    q.text,
                    Styled(_score(q.mean), "score"),
                    Styled(_score(q.spread), "score"),
                    q.partners,
                    DISAGREE if q.disagree else "",
                ]
            )
        sheet.blank()
    if len(view.latest) == 1:
        sheet.repeat_rows = (header_row, header_row)


def _listed(titles: Sequence[str]) -> str:
    """Sheet names in words: "Data 2", "Data 2 and Data 3", "Data 2, Data 3 and Data 4"."""
    if len(titles) == 1:
        return titles[0]
    return f"{', '.join(titles[:-1])} and {titles[-1]}"


# --- Actions, Trend, Returns log, Data ----------------------------------------------


def _actions(book: _Book, view: AudienceView) -> None:
    if view.per_partner:
        caps = {0: 24, 1: 14, 2: 24, 3: 16, 4: 14, 5: 44, 6: 16, 7: 14}
        header = [
            "Partnership",
            "Round",
            "Partner",
            "Respondent",
            "Principle",
            "Action",
            "Owner",
            "By when",
        ]
    else:
        caps = {0: 24, 1: 14, 2: 14, 3: 50, 4: 18, 5: 14}
        header = ["Partnership", "Round", "Principle", "Action", "Owner", "By when"]
    sheet = book.sheet("Actions", caps, freeze=(4, 0))
    sheet.title("Suggested actions", "Every action partners suggested, as typed.")
    header_row = sheet.header(header, row_titles=header.index("Action"))
    sheet.repeat_rows = (header_row, header_row)
    for p in view.partnerships:
        for r in p.rounds:
            for a in r.actions:
                typed = [a.action, a.owner, a.by_when]
                who = [] if a.partner is None else [a.partner, a.respondent]
                sheet.append([p.name, r.round, *who, a.principle, *typed])


def _progress(book: _Book, view: AudienceView) -> None:
    """The agreed actions of each round, every partner's view side by side (at partner
    level) or the number of each view (totals only), flagged where partners see an
    action differently, and closed or open."""
    rounds = [(p, r) for p in view.partnerships for r in p.rounds if r.progress]
    if not rounds:
        return
    # Whether partners differ and whether it is closed stand beside the action, so that
    # both print on every page across with it; the partners' views follow.
    fixed = ["Action id", "Principle", "Agreed action", "Partners differ", "Closed", "Lead", "Due"]
    repeated = fixed.index("Closed")
    caps = {1: 14, 2: 36, 3: 10, 4: 10, 5: 16, 6: 14}
    most = max(len(r.partners) for _, r in rounds)
    for i in range(most if view.per_partner else 0):
        caps[len(fixed) + 2 * i], caps[len(fixed) + 2 * i + 1] = 14, 28
    sheet = book.sheet("Action progress", caps, freeze=(3, 0))
    sheet.repeat_columns = (0, repeated)
    pairs = ((len(fixed) + 2 * i, len(fixed) + 2 * i + 1) for i in range(most))
    sheet.column_groups = [(0, len(fixed) - 1), *(pairs if view.per_partner else ())]
    sheet.title(
        "Progress on agreed actions",
        "Each action agreed after the round before, as every partner sees it. Closed: every "
        "view given is Done or Dropped. Partners differ: Done or Dropped against an open view.",
    )
    for p, r in rounds:
        partners = [pr.name for pr in r.partners]
        sheet.heading(f"{p.name} · {r.round}: {progress_line(r.progress)}")
        if view.per_partner:
            views = [label for name in partners for label in (name, f"{name}: comment")]
            counts: Sequence[int] = ()
        else:
            views = [*STATUSES, "No answer"]
            counts = range(len(fixed), len(fixed) + len(views))
        header_row = sheet.header([*fixed, *views], numbers=counts, row_titles=2)
        for progress in r.progress:
            a = progress.action
            row: list[Any] = [
                Styled(a.id, "id"),
                progress.principle,
                a.text,
                "differ" if progress.disagree else "",
                "closed" if progress.closed else "open",
                a.lead,
                a.due_shown,
            ]
            if view.per_partner:
                for name in partners:
                    mine = [v for v in progress.views if v.partner == name]
                    row.append("; ".join(v.status or v.typed for v in mine))
                    row.append("; ".join(v.comment for v in mine if v.comment))
            else:
                row += [Styled(count or "", "count") for _, count in progress.counts]
            sheet.append(row)
        last = sheet.row - 1
        flag = fixed.index("Partners differ")
        differ = f'=${column_letters(flag)}{header_row + 2}="differ"'
        sheet.highlight(header_row + 1, flag, last, flag, differ, "error")
        sheet.blank()
    if len(rounds) == 1:
        sheet.repeat_rows = (header_row, header_row)


def _trend(book: _Book, view: AudienceView) -> None:
    with_trend = [p for p in view.partnerships if p.trend]
    if not with_trend:
        return
    most = max(len(p.rounds) for p in with_trend)
    caps = {0: 30, 1: 16} | {2 + i: 12 for i in range(most)}
    sheet = book.sheet("Trend", caps)
    sheet.title("Change since the last round", "Rounds are ordered by their round date.")
    for p in with_trend:
        sheet.heading(p.name)
        header = ["Partner", "Principle", *(r.round for r in p.rounds), "Change"]
        header_row = sheet.header(header, numbers=range(2, len(header)))
        for line in p.trend:
            sheet.append(
                [line.partner or "All partners (mean)", line.principle]
                + [Styled(_score(score), "score") for score in line.scores]
                + [Styled(_score(line.change), "change")]
            )
        sheet.blank()
    if len(with_trend) == 1:
        sheet.repeat_rows = (header_row, header_row)


# The returns log's columns. The last two, long ids for checking a file against its
# record, stay on screen and off the printed page.
LOG_COLUMNS = [
    "File",
    "Verdict",
    "Severity",
    "Sheet",
    "Cell or key",
    "Finding",
    "Partnership",
    "Round",
    "Partner",
    "Respondent",
    "Template",
    "Saved",
    "Return id",
    "SHA-256",
]
LOG_PRINTED = LOG_COLUMNS.index("Return id")
LOG_CAPS = {0: 32, 1: 12, 2: 9, 3: 14, 4: 10, 5: 44, 6: 22, 7: 12, 8: 22, 9: 16, 10: 12}
LOG_NOTE = (
    "Every file read, with its verdict: a row for each thing found in it. Each file's "
    "return id and SHA-256, in the last two columns, are not printed."
)


def _log(book: _Book, view: AudienceView) -> None:
    sheet = book.sheet("Returns log", LOG_CAPS, freeze=(4, 1))
    sheet.printed_columns = LOG_PRINTED
    # Room for "Cell or key" on one line over short cell names.
    sheet.reserve(LOG_COLUMNS.index("Cell or key"), excel.column_pixels(8))
    sheet.repeat_columns = (0, 0)
    sheet.title("Returns log", LOG_NOTE)
    header_row = sheet.header(LOG_COLUMNS, numbers=(LOG_COLUMNS.index("Saved"),))
    sheet.repeat_rows = (header_row, header_row)
    for finding in view.findings:
        sheet.append(["(the run)", "", finding.severity.value, "", "", finding.message])
    for f in view.files:
        rec = f.about
        counted = " (counted)" if f.counted else ""
        about: list[Any] = []
        if rec is not None:
            about = [
                rec.partnership_name,
                rec.round,
                rec.partner,
                rec.respondent,
                rec.template,
                Styled(rec.saved.replace(tzinfo=None), "datetime"),
                Styled(rec.return_id, "id"),
                Styled(rec.sha256, "id"),
            ]
        for finding in f.findings or [None]:
            row: list[Any] = [f.path, f.verdict + counted]
            if finding is None:
                row += ["", "", "", ""]
            else:
                where = finding.location
                row += [
                    finding.severity.value,
                    where.sheet or "",
                    Styled(where.cell or where.key or "", "text"),
                    finding.message,
                ]
            sheet.append(row + about)


def _data_values(item: dict[str, Any]) -> tuple:
    return (
        item["partnership"],
        item["round"],
        item["round_date"],
        item["partner"],
        item["respondent"],
        item["return_id"],
        item["principle"],
        item["question_id"],
        item["question"],
        item["answer"],
        item["score"],
        item["comment"],
    )


DATE_COLUMN = DATA_COLUMNS.index("Round date")
# Each Data column's style: an Excel table draws its own lines; text wraps at the caps.
DATA_STYLES = tuple(
    f"{style}+{PLAIN}"
    for style in (
        *("text", "text", "date", "text", "text", "id", "id", "id"),
        *("text", "text", "count", "text"),
    )
)
DATA_CAPS = {0: 30, 1: 16, 3: 30, 4: 20, 8: 50, 9: 24, 11: 50}
DATA_TABLE = "CoupleData"


def _data(book: _Book, view: AudienceView, streams: ExitStack) -> dict[str, StreamedRows]:
    """The Data sheet, a row for every answer, as a frame (header, first row, table) and
    the rest of its rows streamed (see streamed.py), to be spliced in once the workbook
    is closed. When the rows are more than a sheet holds, the table continues on Data 2,
    Data 3, ..., each a table of its own. Each row is measured as it is streamed, so that
    the columns fit what they hold. Returns each sheet's title and its rows."""
    rows = answer_rows(view)
    per_sheet = book.limits.rows - 1  # below the table's header row
    first = next(rows, None)
    sheets: dict[str, StreamedRows] = {}
    every = range(len(DATA_COLUMNS))
    while True:
        n = len(sheets) + 1
        title = "Data" if n == 1 else f"Data {n}"
        table = DATA_TABLE if n == 1 else f"{DATA_TABLE}{n}"
        streamed = streams.enter_context(
            StreamedRows(2, DATA_COLUMNS, DATE_COLUMN, table, styled=every)
        )
        sheet = _data_frame(book, title, table, first)
        sheets[title] = streamed
        for row, item in enumerate(islice(rows, per_sheet - 1), start=2):
            values = _data_values(item)
            streamed.add(values, sheet.measure_row(row, values, DATA_STYLES))
        sheet.row = 2 + streamed.count
        first = next(rows, None)
        if first is None:
            break
    if len(sheets) > 1:
        total = sum(1 + s.count for s in sheets.values())
        book.note(
            "Data",
            f"its {total:,} rows are more than an Excel sheet holds ({per_sheet:,} below the "
            f"headings): the table continues on {_listed(list(sheets)[1:])}, each a table of "
            "its own",
            Severity.NOTE,
        )
    return sheets


def _data_frame(book: _Book, title: str, table: str, first: dict[str, Any] | None) -> _Sheet:
    """A Data sheet's frame: its table's header and first row, and the table itself."""
    sheet = book.sheet(title, DATA_CAPS, freeze=(1, 0))
    sheet.repeat_rows = (0, 0)
    sheet.titled(0, len(DATA_COLUMNS), DATA_COLUMNS.index("Question"))
    values = list(_data_values(first)) if first else [None] * len(DATA_COLUMNS)
    # The workbook is opened with strings_to_formulas off, so every string is written as
    # text, "=" included. Every cell carries its column's style, blank or not: the
    # streamed rows take their styles from these cells.
    for col, (value, style) in enumerate(zip(values, DATA_STYLES)):
        sheet.write(1, col, value, style)
    # The table writes its own header row; its drop-down arrows need room too.
    header = _style("header")
    for col, name in enumerate(DATA_COLUMNS):
        sheet.reserve(col, excel.text_pixels(name, header.size, True) + FILTER_BUTTON)
    sheet.row = 2
    # An Excel table over every row, ready for pivot tables; its header row is written
    # by the table itself. It spans the frame here: the splice stretches it.
    sheet.ws.add_table(
        0,
        0,
        1,
        len(DATA_COLUMNS) - 1,
        {
            "name": table,
            "style": "Table Style Medium 2",
            # The headings in the summary's own colours: the style's white on mid blue
            # is 4.0 to 1, too little contrast for 11-point text.
            "columns": [
                {"header": name, "header_format": book.format(f"header+{PLAIN}")}
                for name in DATA_COLUMNS
            ],
        },
    )
    return sheet


IN_MEMORY_PARTNERSHIPS = 50


def write_summary(
    view: AudienceView,
    path: Path,
    generated: dt.datetime | None = None,
    limits: SheetLimits | None = None,
    *,
    stream: bool = True,
) -> list[Finding]:
    """Write the summary workbook of ``view`` atomically (a temporary file, then a rename).

    Returns what Excel's limits (``limits``, by default Excel's own) made it change or
    leave out, located by sheet: the Overview lists the same. Empty when nothing.
    ``stream``: every sheet's table rows are streamed, so memory stays flat in the number
    of returns; without it XlsxWriter keeps all but the Data sheet's (the same workbook,
    made the plain way).
    """
    generated = generated or dt.datetime.now(dt.timezone.utc)
    limits = limits or excel.SHEET_LIMITS
    with atomic_target(path) as tmp:
        # Streamed rows are spliced in after XlsxWriter has closed a frame of the
        # workbook (see streamed.py).
        frame = tmp.with_name(tmp.stem + "-frame.xlsx")
        try:
            found = _write_book(view, frame, generated, tmp, limits, stream)
        finally:
            frame.unlink(missing_ok=True)
    return [Finding(f.message, Location(path, f.location.sheet), f.severity) for f in found]


def _write_book(
    view: AudienceView,
    frame: Path,
    generated: dt.datetime,
    target: Path,
    limits: SheetLimits,
    stream: bool,
) -> list[Finding]:
    with ExitStack() as streams:
        # XlsxWriter packs its parts in memory (a temporary file for each took a quarter
        # of writing a summary of 50 partnerships) unless they are many: 125
        # partnerships' sheets and charts held 24 MB more at the peak of 10,000 returns.
        in_memory = len(view.latest) <= IN_MEMORY_PARTNERSHIPS
        book = _Book(str(frame), limits, streams if stream else None, in_memory)
        fn = formulas.Functions(formulas.ADDIN)
        overview = _overview_sheet(book, view)
        for p, r in view.latest:
            _comparison(book, p, r, fn)
        _questions(book, view)
        _actions(book, view)
        _progress(book, view)
        _trend(book, view)
        data: dict[str, StreamedRows] = {}
        if view.per_partner:
            _log(book, view)
            data = _data(book, view, streams)
        _overview(overview, view, generated)
        book.finish()
        book.wb.close()
        parts: dict[str, StreamedRows | SheetRows] = {
            _part_of(book, title): rows for title, rows in data.items()
        }
        for sheet in book.sheets:
            if sheet.stream:
                part = _part_of(book, sheet.ws.name)
                if part in parts:
                    raise RuntimeError(f"{sheet.ws.name} is streamed twice")
                parts[part] = sheet.stream
        splice(frame, parts, target)
    return [*book.findings, *book.left_out()]


def _part_of(book: _Book, title: str) -> str:
    """The part XlsxWriter packs a worksheet into (it numbers them in order)."""
    sheets = [ws for ws in book.wb.worksheets() if not ws.is_chartsheet]
    index = next(i for i, ws in enumerate(sheets, start=1) if ws.name == title)
    return f"xl/worksheets/sheet{index}.xml"
