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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
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
    ERROR_STYLE,
    FONT,
    HEADER_COLOUR,
    INK,
    MUTED,
    column_letters,
    wrapped_lines,
)
from .metadata import FORMAT, PROPERTY_PREFIX, SUMMARY
from .report_rows import answer_rows
from .returns import SUMMARY_TITLE
from .streamed import StreamedRows, splice
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
    """A value with a named format."""

    value: Any
    style: str


class _Book:
    """An XlsxWriter workbook with the summary's named formats, and every sheet of it,
    each guarded by Excel's limits (``limits``: small ones in tests)."""

    def __init__(self, path: str, limits: SheetLimits) -> None:
        import xlsxwriter

        self.limits = limits
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
                "in_memory": True,
            },
        )
        self.wb.set_properties({"title": SUMMARY_TITLE, "author": "couple_xl"})
        # Readers of returns skip a summary left among them, with a note.
        self.wb.set_custom_property(PROPERTY_PREFIX + "format", FORMAT)
        self.wb.set_custom_property(PROPERTY_PREFIX + "kind", SUMMARY)
        self.wb.set_calc_mode("auto")
        base = {"font_name": FONT, "font_size": 11, "font_color": f"#{INK}"}
        specs: dict[str, dict] = {
            "plain": {},
            "title": {"font_size": 16, "bold": True, "font_color": f"#{ACCENT}"},
            "heading": {"font_size": 12, "bold": True, "font_color": f"#{ACCENT}"},
            "note": {"font_size": 9, "italic": True, "font_color": f"#{MUTED}"},
            "bold": {"bold": True},
            "header": {
                "bold": True,
                "bg_color": f"#{HEADER_COLOUR}",
                "text_wrap": True,
                "valign": "top",
            },
            "wrap": {"text_wrap": True, "valign": "top"},
            "score": {"num_format": "0.0"},
            "score_bold": {"num_format": "0.0", "bold": True},
            "sd": {"num_format": "0.00"},
            "pct": {"num_format": "0%"},
            "date": {"num_format": "yyyy-mm-dd"},
            "datetime": {"num_format": "yyyy-mm-dd hh:mm"},
            "change": {"num_format": "+0.0;-0.0;0.0", "bold": True},
        }
        self.formats = {name: self.wb.add_format({**base, **spec}) for name, spec in specs.items()}
        self.highlights = {
            word: self.wb.add_format(
                {"bg_color": f"#{fill}", "font_color": f"#{color}", "bold": True}
            )
            for word, (fill, color) in {**BAND_STYLES, "error": ERROR_STYLE}.items()
        }

    def sheet(
        self,
        title: str,
        widths: dict[int, float],
        *,
        landscape: bool = True,
        one_page: bool = False,
        freeze: tuple[int, int] | None = None,
    ) -> _Sheet:
        ws = self.wb.add_worksheet(title[:31])
        sheet = _Sheet(self, ws, {})
        for col, width in widths.items():
            sheet.width(col, width)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 1 if one_page else 0)
        ws.set_footer("&L&A&RPage &P of &N")
        if freeze:
            ws.freeze_panes(*freeze)
        self.sheets.append(sheet)
        return sheet

    def note(self, sheet: str, message: str, severity: Severity = Severity.WARNING) -> None:
        """Record what Excel's limits made the writer do on ``sheet``."""
        self.findings.append(Finding(message, Location(sheet=sheet), severity))

    def left_out(self) -> list[Finding]:
        """What Excel's limits left out of each sheet, written or not (XlsxWriter refuses a
        cell past them without a word)."""
        return [finding for sheet in self.sheets for finding in sheet.left_out()]


class _Sheet:
    """Appends rows; text is always written as text. Nothing past Excel's last row or
    column is written, and what would have been is counted, to be reported."""

    def __init__(self, book: _Book, ws, widths: dict[int, float]) -> None:
        self.book, self.ws, self.widths = book, ws, widths
        self.limits = book.limits
        self.row = 0  # the next row to write, 0-based
        # How many rows and columns the sheet's content needed, where past the limits.
        self.rows_needed = 0
        self.columns_needed = 0

    def fits(self, row: int, col: int = 0) -> bool:
        return row < self.limits.rows and col < self.limits.columns

    def width(self, col: int, width: float) -> None:
        self.widths[col] = width
        if col < self.limits.columns:
            self.ws.set_column(col, col, width)

    def write(self, row: int, col: int, value: Any, style: str | None = None) -> None:
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
        fmt = self.book.formats[style] if style else None
        ws = self.ws
        if blank:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, Formula):
            ws.write_formula(row, col, value.text, fmt, value.value)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt)
        elif isinstance(value, (dt.datetime, dt.date)):
            ws.write_datetime(row, col, value, fmt or self.book.formats["date"])
        else:
            ws.write_string(row, col, str(value), fmt)

    def append(self, values: list[Any], style: str | None = None) -> int:
        """Write a row (tall enough for wrapped text); returns its 0-based index."""
        lines = 1
        for col, value in enumerate(values):
            if isinstance(value, Styled) and value.style == "wrap" and value.value:
                lines = max(lines, _lines(str(value.value), self.widths.get(col, 8.43)))
            self.write(self.row, col, value, style)
        if lines > 1 and self.fits(self.row):
            self.ws.set_row(self.row, 15 * lines + 2)
        self.row += 1
        return self.row - 1

    def blank(self) -> None:
        self.row += 1

    def title(self, text: str, note: str | None = None) -> None:
        self.append([Styled(text, "title")])
        if note:
            self.append([Styled(note, "note")])
        self.blank()

    def heading(self, text: str) -> int:
        return self.append([Styled(text, "heading")])

    def header(self, labels: list[str]) -> int:
        row = self.append(labels, "header")
        longest = max(
            (_lines(label, self.widths.get(col, 8.43)) for col, label in enumerate(labels)),
            default=1,
        )
        if longest > 1 and self.fits(row):
            self.ws.set_row(row, 15 * longest + 2)
        return row

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

    def insert_chart(self, row: int, col: int, chart) -> None:
        self.ws.insert_chart(min(row, self.limits.rows - 1), min(col, self.limits.columns - 1),
                             chart)  # fmt: skip

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


def _lines(text: str, width: float) -> int:
    return wrapped_lines(text, width, 1.1)


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
    widths = {0: 30, 1: 14, 2: 11, 3: 10, 4: 10}
    widths.update({FIRST_SCORE + i: 13 for i in range(columns + 2)})
    return book.sheet("Overview", widths, one_page=True, freeze=(4, 1))


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
    header_row = sheet.header(header)
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
        row += [Styled(_score(r.overall), "score_bold"), Styled(_band_text(r.overall_band), "bold")]
        sheet.append(row)
    first = header_row + 1
    if rounds:
        _overview_colours(sheet, rounds, first, len(header) - 1)
    sheet.append(
        [Styled(f"{_band_words(rounds)} Colour repeats the band; it never stands alone.", "note")]
    )
    for r in rounds:
        if r.progress:
            line = f"{r.partnership_name} · {r.round}: {progress_line(r.progress)}."
            sheet.append([Styled(line, "bold")])

    chart_rounds = _chart_rounds(book, rounds, first)
    limits = [*book.findings, *book.left_out()]
    if limits:
        sheet.blank()
        sheet.heading("What Excel's limits changed")
        for finding in limits:
            sheet.append([Styled(f"{finding.location.sheet}: {finding.message}.", "bold")])

    chase = [(r, m) for r in rounds for m in r.missing]
    if chase:
        sheet.blank()
        sheet.heading("Not yet returned")
        sheet.header(["Partner", "Round", "Email and contact"])
        for partnership in dict.fromkeys(r.partnership_name for r, _ in chase):
            if len(view.partnerships) > 1:
                sheet.append([Styled(partnership, "bold")])
            for r, m in chase:
                if r.partnership_name == partnership:
                    who = " · ".join(v for v in (m.email, m.contact) if v) or "no email given"
                    # The last cell overflows into the empty cells beside it: nothing is cut.
                    sheet.append([m.partner, r.round, who])
    elif waiting := sum(r.not_returned for r in rounds):  # totals only: how many, not who
        sheet.blank()
        sheet.append([Styled(f"{waiting} expected returns have not arrived yet.", "note")])
    unexpected = [(r, u) for r in rounds for u in r.unexpected]
    if unexpected:
        sheet.blank()
        sheet.heading("Returns no manifest expected")
        sheet.header(["Partner", "Round", "File"])
        for r, u in unexpected:
            sheet.append([u.partner, r.round, PurePath(u.file).name])

    if chart_rounds:
        chart = book.wb.add_chart({"type": "column"})
        # The chart leaves out Overall; and a column past the sheet's last is not there.
        last_score = min(FIRST_SCORE + len(principles), book.limits.columns) - 1
        for index in chart_rounds:
            r, row = rounds[index], first + index
            chart.add_series(
                {
                    # XlsxWriter reads a series name starting with "=" as a reference.
                    "name": f"{r.partnership_name} · {r.round}"[:60].lstrip("="),
                    "categories": ["Overview", header_row, FIRST_SCORE, header_row, last_score],
                    "values": ["Overview", row, FIRST_SCORE, row, last_score],
                }
            )
        title = "Mean score by principle"
        if len(chart_rounds) < len(rounds):
            title += f": the {len(chart_rounds):,} latest rounds of {len(rounds):,}"
        chart.set_title({"name": title})
        top = max(r.template.engine_scale.values[-1] for r in rounds)
        chart.set_y_axis({"min": 0, "max": top, "major_unit": 1})
        chart.set_size({"width": 820, "height": 300})
        sheet.insert_chart(sheet.row + 1, 0, chart)


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

    @property
    def charts(self) -> int:
        return self.partners + 6  # a blank column after the table, then the charts


RADAR_SIZE = {"width": 560, "height": 380}
BARS_SIZE = {"width": 560, "height": 280}
ROW_PX = 20  # a row's height in pixels, near enough, to stack the charts


def _comparison(
    book: _Book, p: PartnershipView, r: RoundView, index: int, fn: formulas.Functions
) -> None:
    """One partnership's latest round: scores, bands and coverage by partner (where the
    view has partners), and charts."""
    partners = list(r.partners)
    n = len(partners)
    widths = {0: 24} | {1 + i: 20 for i in range(n)} | {1 + n + i: 12 for i in range(4)}
    sheet = book.sheet(f"Compare {index} {p.id}"[:31], widths)
    sheet.title(
        f"{p.name}: {r.round} ({r.round_date:%d %B %Y})",
        "Scores are each partner's mean over its respondents (n). Partners disagree when "
        f"their scores differ by {formulas.num(r.template.thresholds.disagreement)} or more. "
        + ("Earlier rounds are on the Trend sheet." if len(p.rounds) > 1 else ""),
    )
    spans = _comparison_scores(sheet, r, partners, fn)
    charts_at = min(spans.charts, book.limits.columns - 1)
    if partners:
        _comparison_bands(sheet, r, partners)
        _comparison_coverage(sheet, r, partners)
        _radar(sheet, spans, charts_at, r.template.engine_scale.values[-1])
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
    bars.set_title({"name": "Spread between partners"})
    bars.set_x_axis({"min": 0})
    bars.set_legend({"none": True})
    bars.set_size(BARS_SIZE)
    below_radar = 1 + -(-RADAR_SIZE["height"] // ROW_PX) + 1
    sheet.insert_chart(below_radar, charts_at, bars)


def _radar(sheet: _Sheet, spans: _Spans, at: int, top: float) -> None:
    """The partners' scores as a radar: every partner, unless there are more than a chart
    can hold (or than the sheet's columns); then the first ones, and it says so."""
    book, name = sheet.book, sheet.ws.name
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
    radar = book.wb.add_chart({"type": "radar", "subtype": "with_markers"})
    for i in shown:
        radar.add_series(
            {
                "name": [name, spans.header, i],
                "categories": [name, spans.first, 0, spans.last, 0],
                "values": [name, spans.first, i, spans.last, i],
            }
        )
    radar.set_title({"name": title})
    radar.set_y_axis({"min": 0, "max": top, "major_unit": 1})
    radar.set_size(RADAR_SIZE)
    sheet.insert_chart(1, at, radar)


def _comparison_scores(
    sheet: _Sheet, r: RoundView, partners: list, fn: formulas.Functions
) -> _Spans:
    """Principle x partner scores with mean, spread, SD and agreement (live formulas that
    carry the engine's values), the overall row and the weakest principle."""
    n = len(partners)
    limit = formulas.num(r.template.thresholds.disagreement)
    sheet.heading("Scores")
    header = ["Principle"] + [f"{pr.name} (n={len(pr.respondents)})" for pr in partners]
    header_row = sheet.header([*header, "Mean", "Spread", "SD", "Agreement"])
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
        sheet.append(
            [Styled(summary.name, "bold")]
            + [Styled(_score(score), "score") for score in scores]
            + [Styled(stats[0], "score_bold"), Styled(stats[1], "score"),
               Styled(stats[2], "sd"), stats[3]]
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
        sheet.append(
            [Styled(f"Weakest principle: {weakest.name} (mean {weakest.mean:.1f}).", "bold")]
        )
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
            + [_band_text(x.band, x.provisional) for x in results]
            + [_band_text(summary.band)]
        )
    _band_colours(sheet, first, 1, sheet.row - 1, len(partners) + 1)


def _comparison_coverage(sheet: _Sheet, r: RoundView, partners: list) -> None:
    sheet.blank()
    sheet.heading("Coverage: rated answers of questions asked")
    sheet.header(["Principle"] + [pr.name for pr in partners])
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
        widths = {0: 14, 1: 22, 2: 52}
        for i in range(shown):
            widths[3 + 2 * i], widths[4 + 2 * i] = 20, 32
        widths[3 + 2 * shown], widths[4 + 2 * shown] = 8, 18
        sheet = book.sheet(title, widths, freeze=(0, 3))
        sheet.title("Answers side by side", QUESTIONS_NOTE)
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
            sheet.header([*labels, *QUESTION_AFTER])
            for q in r.questions:
                row: list[Any] = [q.principle, q.id, Styled(q.text, "wrap")]
                for _, who in these:
                    answer = who.answer(q.id)
                    comment = answer.comment if answer else ""
                    row += [answer.answer if answer else None,
                            Styled(comment, "wrap") if comment else ""]  # fmt: skip
                row += [Styled(_score(q.spread), "score"), DISAGREE if q.disagree else ""]
                sheet.append(row)
            sheet.blank()


def _question_totals(book: _Book, view: AudienceView) -> None:
    """Totals only: each question's mean and spread across partners, and how many."""
    widths = {0: 14, 1: 22, 2: 52, 3: 8, 4: 8, 5: 9, 6: 18}
    sheet = book.sheet("Questions", widths, freeze=(0, 3))
    sheet.title("Answers side by side", QUESTIONS_NOTE)
    for p, r in view.latest:
        sheet.heading(f"{p.name}: {r.round}")
        sheet.header([*QUESTION_FIXED, "Mean", "Spread", "Partners", "Flag"])
        for q in r.questions:
            sheet.append(
                [
                    q.principle,
                    q.id,
                    Styled(q.text, "wrap"),
                    Styled(_score(q.mean), "score"),
                    Styled(_score(q.spread), "score"),
                    q.partners,
                    DISAGREE if q.disagree else "",
                ]
            )
        sheet.blank()


def _listed(titles: Sequence[str]) -> str:
    """Sheet names in words: "Data 2", "Data 2 and Data 3", "Data 2, Data 3 and Data 4"."""
    if len(titles) == 1:
        return titles[0]
    return f"{', '.join(titles[:-1])} and {titles[-1]}"


# --- Actions, Trend, Returns log, Data ----------------------------------------------


def _actions(book: _Book, view: AudienceView) -> None:
    if view.per_partner:
        widths = {0: 24, 1: 14, 2: 22, 3: 16, 4: 16, 5: 60, 6: 18, 7: 14}
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
        widths = {0: 24, 1: 14, 2: 16, 3: 60, 4: 18, 5: 14}
        header = ["Partnership", "Round", "Principle", "Action", "Owner", "By when"]
    sheet = book.sheet("Actions", widths, freeze=(4, 0))
    sheet.title("Suggested actions", "Every action partners suggested, as typed.")
    sheet.header(header)
    for p in view.partnerships:
        for r in p.rounds:
            for a in r.actions:
                typed = [Styled(a.action, "wrap"), a.owner, a.by_when]
                who = [] if a.partner is None else [a.partner, a.respondent]
                sheet.append([p.name, r.round, *who, a.principle, *typed])


def _progress(book: _Book, view: AudienceView) -> None:
    """The agreed actions of each round, every partner's view side by side (at partner
    level) or the number of each view (totals only), flagged where partners see an
    action differently, and closed or open."""
    rounds = [(p, r) for p in view.partnerships for r in p.rounds if r.progress]
    if not rounds:
        return
    sheet = book.sheet("Action progress", {0: 13, 1: 14, 2: 40, 3: 14, 4: 11}, freeze=(3, 0))
    sheet.title(
        "Progress on agreed actions",
        "Each action agreed after the round before, as every partner sees it. Closed: every "
        "view given is Done or Dropped. Partners differ: Done or Dropped against an open view.",
    )
    for p, r in rounds:
        partners = [pr.name for pr in r.partners]
        sheet.heading(f"{p.name} · {r.round}: {progress_line(r.progress)}")
        fixed = ["Action id", "Principle", "Agreed action", "Lead", "Due"]
        if view.per_partner:
            views = [label for name in partners for label in (name, f"{name}: comment")]
        else:
            views = [*STATUSES, "No answer"]
        for col in range(len(fixed), len(fixed) + len(views)):
            comment = view.per_partner and (col - len(fixed)) % 2 == 1
            sheet.width(col, 30 if comment else 14)
        header_row = sheet.header([*fixed, *views, "Partners differ", "Closed"])
        for progress in r.progress:
            a = progress.action
            row: list[Any] = [a.id, progress.principle, Styled(a.text, "wrap"), a.lead,
                              a.due_shown]  # fmt: skip
            if view.per_partner:
                for name in partners:
                    mine = [v for v in progress.views if v.partner == name]
                    row.append("; ".join(v.status or v.typed for v in mine))
                    row.append(Styled("; ".join(v.comment for v in mine if v.comment), "wrap"))
            else:
                row += [count or "" for _, count in progress.counts]
            row += ["differ" if progress.disagree else "", "closed" if progress.closed else "open"]
            # Every cell at the top of its row, as the wrapped text is.
            sheet.append([v if isinstance(v, Styled) else Styled(v, "wrap") for v in row])
        last = sheet.row - 1
        flag = len(fixed) + len(views)
        differ = f'=${column_letters(flag)}{header_row + 2}="differ"'
        sheet.highlight(header_row + 1, flag, last, flag, differ, "error")
        sheet.blank()


def _trend(book: _Book, view: AudienceView) -> None:
    with_trend = [p for p in view.partnerships if p.trend]
    if not with_trend:
        return
    most = max(len(p.rounds) for p in with_trend)
    sheet = book.sheet("Trend", {0: 26, 1: 18} | {2 + i: 12 for i in range(most + 1)})
    sheet.title("Change since the last round", "Rounds are ordered by their round date.")
    for p in with_trend:
        sheet.heading(p.name)
        sheet.header(["Partner", "Principle", *(r.round for r in p.rounds), "Change"])
        for line in p.trend:
            sheet.append(
                [line.partner or "All partners (mean)", line.principle]
                + [Styled(_score(score), "score") for score in line.scores]
                + [Styled(_score(line.change), "change")]
            )
        sheet.blank()


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
    "Return id",
    "Template",
    "Saved",
    "SHA-256",
]


def _log(book: _Book, view: AudienceView) -> None:
    widths = {0: 44, 1: 22, 2: 9, 3: 16, 4: 12, 5: 70, 6: 24, 7: 14, 8: 22, 9: 20, 10: 34}
    widths.update({11: 14, 12: 17, 13: 66})
    sheet = book.sheet("Returns log", widths, freeze=(4, 1))
    sheet.title(
        "Returns log",
        "Every file read, with its verdict: one row for each thing found in it.",
    )
    sheet.header(LOG_COLUMNS)
    for finding in view.findings:
        sheet.append(
            ["(the run)", "", finding.severity.value, "", "", Styled(finding.message, "wrap")]
        )
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
                rec.return_id,
                rec.template,
                Styled(rec.saved.replace(tzinfo=None), "datetime"),
                rec.sha256,
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
                    where.cell or where.key or "",
                    Styled(finding.message, "wrap"),
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
DATA_WIDTHS = {0: 24, 1: 14, 2: 12, 3: 22, 4: 18, 5: 34, 6: 16, 7: 24, 8: 50, 9: 24, 10: 8, 11: 50}
DATA_TABLE = "CoupleData"


def _data(book: _Book, view: AudienceView, streams: ExitStack) -> dict[str, StreamedRows]:
    """The Data sheet, a row for every answer, as a frame (header, first row, table) and
    the rest of its rows streamed (see streamed.py), to be spliced in once the workbook
    is closed. When the rows are more than a sheet holds, the table continues on Data 2,
    Data 3, ..., each a table of its own. Returns each sheet's title and its rows."""
    rows = answer_rows(view)
    per_sheet = book.limits.rows - 1  # below the table's header row
    first = next(rows, None)
    sheets: dict[str, StreamedRows] = {}
    while True:
        n = len(sheets) + 1
        title = "Data" if n == 1 else f"Data {n}"
        table = DATA_TABLE if n == 1 else f"{DATA_TABLE}{n}"
        streamed = streams.enter_context(StreamedRows(2, DATA_COLUMNS, DATE_COLUMN, table))
        _data_frame(book, title, table, first)
        sheets[title] = streamed
        for item in islice(rows, per_sheet - 1):
            streamed.add(_data_values(item))
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


def _data_frame(book: _Book, title: str, table: str, first: dict[str, Any] | None) -> None:
    """A Data sheet's frame: its table's header and first row, and the table itself."""
    sheet = book.sheet(title, DATA_WIDTHS, freeze=(1, 0))
    values = list(_data_values(first)) if first else [None] * len(DATA_COLUMNS)
    date = values.pop(DATE_COLUMN)
    # The workbook is opened with strings_to_formulas off, so write_row writes every
    # string as text, "=" included. The date cell always carries the date style, which
    # the streamed rows take from it.
    sheet.ws.write_row(1, 0, values[:DATE_COLUMN])
    if date is None:
        sheet.ws.write_blank(1, DATE_COLUMN, None, book.formats["date"])
    else:
        sheet.ws.write_datetime(1, DATE_COLUMN, date, book.formats["date"])
    sheet.ws.write_row(1, DATE_COLUMN + 1, values[DATE_COLUMN:])
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
            "columns": [{"header": name} for name in DATA_COLUMNS],
        },
    )


def write_summary(
    view: AudienceView,
    path: Path,
    generated: dt.datetime | None = None,
    limits: SheetLimits | None = None,
) -> list[Finding]:
    """Write the summary workbook of ``view`` atomically (a temporary file, then a rename).

    Returns what Excel's limits (``limits``, by default Excel's own) made it change or
    leave out, located by sheet: the Overview lists the same. Empty when nothing.
    """
    generated = generated or dt.datetime.now(dt.timezone.utc)
    limits = limits or excel.SHEET_LIMITS
    with atomic_target(path) as tmp:
        # With a Data sheet, its rows are streamed in after XlsxWriter has closed a frame
        # of the workbook (see streamed.py).
        frame = tmp.with_name(tmp.stem + "-frame.xlsx") if view.per_partner else tmp
        try:
            found = _write_book(view, frame, generated, tmp, limits)
        finally:
            if frame != tmp:
                frame.unlink(missing_ok=True)
    return [Finding(f.message, Location(path, f.location.sheet), f.severity) for f in found]


def _write_book(
    view: AudienceView,
    frame: Path,
    generated: dt.datetime,
    target: Path,
    limits: SheetLimits,
) -> list[Finding]:
    book = _Book(str(frame), limits)
    fn = formulas.Functions(formulas.ADDIN)
    overview = _overview_sheet(book, view)
    for i, (p, r) in enumerate(view.latest, start=1):
        _comparison(book, p, r, i, fn)
    _questions(book, view)
    _actions(book, view)
    _progress(book, view)
    _trend(book, view)
    if not view.per_partner:
        _overview(overview, view, generated)
        book.wb.close()
        return [*book.findings, *book.left_out()]
    _log(book, view)
    with ExitStack() as streams:
        data = _data(book, view, streams)
        _overview(overview, view, generated)
        book.wb.close()
        splice(frame, {_part_of(book, title): rows for title, rows in data.items()}, target)
    return [*book.findings, *book.left_out()]


def _part_of(book: _Book, title: str) -> str:
    """The part XlsxWriter packs a worksheet into (it numbers them in order)."""
    sheets = [ws for ws in book.wb.worksheets() if not ws.is_chartsheet]
    index = next(i for i, ws in enumerate(sheets, start=1) if ws.name == title)
    return f"xl/worksheets/sheet{index}.xml"
