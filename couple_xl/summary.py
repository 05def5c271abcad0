"""Write the consolidated summary workbook, with XlsxWriter.

XlsxWriter writes large sheets several times faster than openpyxl (the summary's
Data sheet has a row for every answer of every return), and it writes text
with write_string, which can never become a formula: every piece of text that
came from a return stays exactly as typed, even when it starts with "=".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import formulas, scoring
from .actions import STATUSES, progress_line
from .consolidate import Consolidation, PartnershipResult
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
from .levels import PARTNER
from .metadata import FORMAT, PROPERTY_PREFIX, SUMMARY
from .report_rows import answer_rows
from .returns import SUMMARY_TITLE, ReturnRecord, typed_value
from .streamed import StreamedRows
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
    """An XlsxWriter workbook with the summary's named formats."""

    def __init__(self, path: str) -> None:
        import xlsxwriter

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
        for col, width in widths.items():
            ws.set_column(col, col, width)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 1 if one_page else 0)
        ws.set_footer("&L&A&RPage &P of &N")
        if freeze:
            ws.freeze_panes(*freeze)
        return _Sheet(self, ws, widths)


class _Sheet:
    """Appends rows; text is always written as text."""

    def __init__(self, book: _Book, ws, widths: dict[int, float]) -> None:
        self.book, self.ws, self.widths = book, ws, widths
        self.row = 0  # the next row to write, 0-based

    def write(self, row: int, col: int, value: Any, style: str | None = None) -> None:
        if isinstance(value, Styled):
            value, style = value.value, value.style
        fmt = self.book.formats[style] if style else None
        ws = self.ws
        if value is None or value == "":
            if fmt is not None:
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
        if lines > 1:
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
        if longest > 1:
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
        options = {"type": "formula", "criteria": criteria, "format": self.book.highlights[style]}
        if more:
            blocks = [(first_row, first_col, last_row, last_col), *more]
            options["multi_range"] = " ".join(_block(*b) for b in blocks)
        self.ws.conditional_format(first_row, first_col, last_row, last_col, options)


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


def _respondent(record: ReturnRecord, anonymise: bool, index: int) -> str:
    if anonymise or not record.respondent_name:
        return f"Respondent {index}"
    return record.respondent_name


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


def _overview(book: _Book, result: Consolidation, level: str, generated: dt.datetime) -> None:
    rounds = [r for p in result.partnerships for r in p.rounds]
    principles: list[tuple[str, str]] = []
    for r in rounds:
        for p in r.template.principles:
            if p.id not in [pid for pid, _ in principles]:
                principles.append((p.id, p.name))
    widths = {0: 30, 1: 14, 2: 11, 3: 10, 4: 10}
    widths.update({FIRST_SCORE + i: 13 for i in range(len(principles) + 2)})
    sheet = book.sheet("Overview", widths, one_page=True, freeze=(4, 1))
    sheet.title(
        "COUPLE partnership summary",
        f"Made {generated:%d %B %Y %H:%M} UTC from {len(result.records)} counted returns. "
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
            summary = r.principles.get(pid)
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

    chase = [(r, m) for r in rounds for m in r.missing]
    if chase and level == PARTNER:
        sheet.blank()
        sheet.heading("Not yet returned")
        sheet.header(["Partner", "Round", "Email and contact"])
        for partnership in dict.fromkeys(r.partnership_name for r, _ in chase):
            if len(result.partnerships) > 1:
                sheet.append([Styled(partnership, "bold")])
            for r, m in chase:
                if r.partnership_name == partnership:
                    who = " · ".join(v for v in (m.email, m.contact) if v) or "no email given"
                    # The last cell overflows into the empty cells beside it: nothing is cut.
                    sheet.append([m.partner, r.round, who])
    elif chase:
        sheet.blank()
        sheet.append([Styled(f"{len(chase)} expected returns have not arrived yet.", "note")])
    unexpected = [(r, rec) for r in rounds for rec in r.unexpected]
    if unexpected and level == PARTNER:
        sheet.blank()
        sheet.heading("Returns no manifest expected")
        sheet.header(["Partner", "Round", "File"])
        for r, rec in unexpected:
            sheet.append([rec.meta.partner, r.round, rec.path.name])

    if rounds:
        chart = book.wb.add_chart({"type": "column"})
        last_score = FIRST_SCORE + len(principles) - 1  # the chart leaves out Overall
        for index, r in enumerate(rounds):
            row = first + index
            chart.add_series(
                {
                    # XlsxWriter reads a series name starting with "=" as a reference.
                    "name": f"{r.partnership_name} · {r.round}"[:60].lstrip("="),
                    "categories": ["Overview", header_row, FIRST_SCORE, header_row, last_score],
                    "values": ["Overview", row, FIRST_SCORE, row, last_score],
                }
            )
        chart.set_title({"name": "Mean score by principle"})
        top = max(r.template.engine_scale.values[-1] for r in rounds)
        chart.set_y_axis({"min": 0, "max": top, "major_unit": 1})
        chart.set_size({"width": 820, "height": 300})
        sheet.ws.insert_chart(sheet.row + 1, 0, chart)


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
    book: _Book, p: PartnershipResult, level: str, index: int, fn: formulas.Functions
) -> None:
    """One partnership's latest round: scores, bands and coverage by partner, and charts."""
    r = p.rounds[-1]
    partners = list(r.partners.values()) if level == PARTNER else []
    n = len(partners)
    widths = {0: 24} | {1 + i: 20 for i in range(n)} | {1 + n + i: 12 for i in range(4)}
    sheet = book.sheet(f"Compare {index} {p.partnership_id}"[:31], widths)
    sheet.title(
        f"{p.name}: {r.round} ({r.round_date:%d %B %Y})",
        "Scores are each partner's mean over its respondents (n). Partners disagree when "
        f"their scores differ by {formulas.num(r.template.thresholds.disagreement)} or more. "
        + ("Earlier rounds are on the Trend sheet." if len(p.rounds) > 1 else ""),
    )
    spans = _comparison_scores(sheet, r, partners, fn)
    if partners:
        _comparison_bands(sheet, r, partners)
        _comparison_coverage(sheet, r, partners)
        radar = book.wb.add_chart({"type": "radar", "subtype": "with_markers"})
        for i in range(1, n + 1):
            radar.add_series(
                {
                    "name": [sheet.ws.name, spans.header, i],
                    "categories": [sheet.ws.name, spans.first, 0, spans.last, 0],
                    "values": [sheet.ws.name, spans.first, i, spans.last, i],
                }
            )
        radar.set_title({"name": "Scores by partner"})
        radar.set_y_axis({"min": 0, "max": r.template.engine_scale.values[-1], "major_unit": 1})
        radar.set_size(RADAR_SIZE)
        sheet.ws.insert_chart(1, spans.charts, radar)
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
    sheet.ws.insert_chart(below_radar, spans.charts, bars)


def _comparison_scores(sheet: _Sheet, r, partners: list, fn: formulas.Functions) -> _Spans:
    """Principle x partner scores with mean, spread, SD and agreement (live formulas that
    carry the engine's values), the overall row and the weakest principle."""
    n = len(partners)
    limit = formulas.num(r.template.thresholds.disagreement)
    sheet.heading("Scores")
    header = ["Principle"] + [f"{pr.partner} (n={len(pr.respondents)})" for pr in partners]
    header_row = sheet.header([*header, "Mean", "Spread", "SD", "Agreement"])
    for principle in r.template.principles:
        summary = r.principles[principle.id]
        scores = [pr.principles[principle.id].score for pr in partners]
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
            [Styled(principle.name, "bold")]
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
        weakest = r.template.principle(r.weakest)
        mean = r.principles[r.weakest].mean
        sheet.append([Styled(f"Weakest principle: {weakest.name} (mean {mean:.1f}).", "bold")])
    return spans


def _comparison_bands(sheet: _Sheet, r, partners: list) -> None:
    sheet.blank()
    sheet.heading("Bands")
    sheet.header(["Principle"] + [pr.partner for pr in partners] + ["Mean"])
    first = sheet.row
    for principle in r.template.principles:
        results = [pr.principles[principle.id] for pr in partners]
        sheet.append(
            [Styled(principle.name, "bold")]
            + [_band_text(x.band, x.provisional) for x in results]
            + [_band_text(r.principles[principle.id].band)]
        )
    _band_colours(sheet, first, 1, sheet.row - 1, len(partners) + 1)


def _comparison_coverage(sheet: _Sheet, r, partners: list) -> None:
    sheet.blank()
    sheet.heading("Coverage: rated answers of questions asked")
    sheet.header(["Principle"] + [pr.partner for pr in partners])
    for principle in r.template.principles:
        sheet.append(
            [Styled(principle.name, "bold")]
            + [Styled(pr.principles[principle.id].coverage, "pct") for pr in partners]
        )


# --- Questions ----------------------------------------------------------------------


def _questions(book: _Book, result: Consolidation, level: str, anonymise: bool) -> None:
    rounds = [p.rounds[-1] for p in result.partnerships if p.rounds]
    widths = {0: 14, 1: 22, 2: 52}
    if level == PARTNER:
        most = max(
            (sum(len(pr.respondents) for pr in r.partners.values()) for r in rounds), default=0
        )
        for i in range(most):
            widths[3 + 2 * i], widths[4 + 2 * i] = 20, 32
        widths[3 + 2 * most], widths[4 + 2 * most] = 8, 18
    else:
        widths.update({3: 8, 4: 8, 5: 9, 6: 18})
    sheet = book.sheet("Questions", widths, freeze=(0, 3))
    sheet.title(
        "Answers side by side",
        "Answers and comments exactly as typed. A flag marks questions where partners' "
        "scores differ by the template's disagreement threshold or more.",
    )
    for p in result.partnerships:
        if not p.rounds:
            continue
        r = p.rounds[-1]
        th = r.template.thresholds
        partners = list(r.partners.values())
        columns: list[tuple[str, ReturnRecord]] = []
        for pr in partners:
            for i, record in enumerate(pr.respondents, start=1):
                columns.append((f"{pr.partner}: {_respondent(record, anonymise, i)}", record))
        sheet.heading(f"{p.name}: {r.round}")
        if level == PARTNER:
            labels = ["Principle", "Question id", "Statement"]
            for label, _ in columns:
                labels += [f"{label}: answer", f"{label}: comment"]
            sheet.header([*labels, "Spread", "Flag"])
        else:
            sheet.header(
                ["Principle", "Question id", "Statement", "Mean", "Spread", "Partners", "Flag"]
            )
        means = {pr.partner: pr.question_scores() for pr in partners}
        for principle, q in r.template.questions:
            partner_scores = [m[q.id] for m in means.values() if q.id in m]
            spread = scoring.spread(partner_scores)
            flag = DISAGREE if scoring.disagree(partner_scores, th.disagreement) else ""
            row: list[Any] = [principle.name, q.id, Styled(q.text, "wrap")]
            if level == PARTNER:
                for _, record in columns:
                    answer = typed_value(record.answers.get(q.id))
                    comment = record.comments.get(q.id, "")
                    row += [answer, Styled(comment, "wrap") if comment else ""]
                row += [Styled(_score(spread), "score"), flag]
            else:
                mean = scoring.mean(partner_scores)
                row += [
                    Styled(_score(mean), "score"),
                    Styled(_score(spread), "score"),
                    len(partner_scores),
                    flag,
                ]
            sheet.append(row)
        sheet.blank()


# --- Actions, Trend, Returns log, Data ----------------------------------------------


def _actions(book: _Book, result: Consolidation, level: str, anonymise: bool) -> None:
    if level == PARTNER:
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
    for p in result.partnerships:
        for r in p.rounds:
            for pr in r.partners.values():
                for record in pr.respondents:
                    for a in record.actions:
                        principle = r.template.principle(a.principle_id).name
                        typed = [Styled(a.action, "wrap"), a.owner, a.by_when]
                        who = "" if anonymise else record.respondent_name
                        if level == PARTNER:
                            sheet.append([p.name, r.round, pr.partner, who, principle, *typed])
                        else:
                            sheet.append([p.name, r.round, principle, *typed])


def _progress(book: _Book, result: Consolidation, level: str) -> None:
    """The agreed actions of each round, every partner's view side by side (at partner
    level) or the number of each view (at partnership level), flagged where partners
    see an action differently, and closed or open."""
    rounds = [(p, r) for p in result.partnerships for r in p.rounds if r.progress]
    if not rounds:
        return
    sheet = book.sheet("Action progress", {0: 13, 1: 14, 2: 40, 3: 14, 4: 11}, freeze=(3, 0))
    sheet.title(
        "Progress on agreed actions",
        "Each action agreed after the round before, as every partner sees it. Closed: every "
        "view given is Done or Dropped. Partners differ: Done or Dropped against an open view.",
    )
    for p, r in rounds:
        partners = list(r.partners)
        sheet.heading(f"{p.name} · {r.round}: {progress_line(r.progress)}")
        fixed = ["Action id", "Principle", "Agreed action", "Lead", "Due"]
        if level == PARTNER:
            views = [label for name in partners for label in (name, f"{name}: comment")]
        else:
            views = [*STATUSES, "No answer"]
        for col in range(len(fixed), len(fixed) + len(views)):
            comment = level == PARTNER and (col - len(fixed)) % 2 == 1
            sheet.widths[col] = 30 if comment else 14
            sheet.ws.set_column(col, col, sheet.widths[col])
        header_row = sheet.header([*fixed, *views, "Partners differ", "Closed"])
        for progress in r.progress:
            a = progress.action
            try:
                principle = r.template.principle(a.principle_id).name
            except KeyError:
                principle = a.principle_id
            row: list[Any] = [a.id, principle, Styled(a.text, "wrap"), a.lead, a.due]
            if level == PARTNER:
                for name in partners:
                    mine = [v for v in progress.views if v.partner == name]
                    row.append("; ".join(v.status or v.typed for v in mine))
                    row.append(Styled("; ".join(v.comment for v in mine if v.comment), "wrap"))
            else:
                counts = progress.counts()
                row += [counts[s] or "" for s in (*STATUSES, "no answer")]
            row += ["differ" if progress.disagree else "", "closed" if progress.closed else "open"]
            # Every cell at the top of its row, as the wrapped text is.
            sheet.append([v if isinstance(v, Styled) else Styled(v, "wrap") for v in row])
        last = sheet.row - 1
        flag = len(fixed) + len(views)
        differ = f'=${column_letters(flag)}{header_row + 2}="differ"'
        sheet.highlight(header_row + 1, flag, last, flag, differ, "error")
        sheet.blank()


def _trend(book: _Book, result: Consolidation, level: str) -> None:
    with_trend = [p for p in result.partnerships if p.trend]
    if not with_trend:
        return
    most = max(len(p.rounds) for p in with_trend)
    sheet = book.sheet("Trend", {0: 26, 1: 18} | {2 + i: 12 for i in range(most + 1)})
    sheet.title("Change since the last round", "Rounds are ordered by their round date.")
    for p in with_trend:
        labels = [r.round for r in p.rounds]
        sheet.heading(p.name)
        sheet.header(["Partner", "Principle", *labels, "Change"])
        names = {pr.id: pr.name for r in p.rounds for pr in r.template.principles}
        for row in p.trend:
            if row.partner and level != PARTNER:
                continue
            sheet.append(
                [row.partner or "All partners (mean)", names[row.principle_id]]
                + [Styled(_score(row.scores.get(label)), "score") for label in labels]
                + [Styled(_score(row.change), "change")]
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


def _log(book: _Book, result: Consolidation, anonymise: bool) -> None:
    widths = {0: 44, 1: 22, 2: 9, 3: 16, 4: 12, 5: 70, 6: 24, 7: 14, 8: 22, 9: 20, 10: 34}
    widths.update({11: 14, 12: 17, 13: 66})
    sheet = book.sheet("Returns log", widths, freeze=(4, 1))
    sheet.title(
        "Returns log",
        "Every file read, with its verdict: one row for each thing found in it.",
    )
    sheet.header(LOG_COLUMNS)
    for finding in result.findings:
        sheet.append(
            ["(the run)", "", finding.severity.value, "", "", Styled(finding.message, "wrap")]
        )
    for f in result.files:
        rec = f.record
        counted = " (counted)" if f.counted else ""
        about: list[Any] = []
        if rec is not None:
            about = [
                rec.meta.partnership_name,
                rec.meta.round,
                rec.meta.partner,
                "" if anonymise else rec.respondent_name,
                rec.meta.return_id,
                f"{rec.template.id} {rec.template.version}",
                Styled(rec.when.replace(tzinfo=None), "datetime"),
                rec.sha256,
            ]
        for finding in f.findings or [None]:
            row: list[Any] = [str(f.path), f.verdict.value + counted]
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


def _data(book: _Book, result: Consolidation, anonymise: bool, streamed: StreamedRows) -> None:
    """The Data sheet as a frame (header, first row, table), and the rest of its rows
    into ``streamed`` (see streamed.py), spliced in once the workbook is closed."""
    widths = {0: 24, 1: 14, 2: 12, 3: 22, 4: 18, 5: 34, 6: 16, 7: 24, 8: 50, 9: 24, 10: 8, 11: 50}
    sheet = book.sheet("Data", widths, freeze=(1, 0))
    rows = answer_rows(result, anonymise)
    first = next(rows, None)
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
    for item in rows:
        streamed.add(_data_values(item))
    # An Excel table over every row, ready for pivot tables; its header row is written
    # by the table itself. It spans the frame here: the splice stretches it.
    sheet.ws.add_table(
        0,
        0,
        1,
        len(DATA_COLUMNS) - 1,
        {
            "name": "CoupleData",
            "style": "Table Style Medium 2",
            "columns": [{"header": name} for name in DATA_COLUMNS],
        },
    )


def write_summary(
    result: Consolidation,
    path: Path,
    level: str = PARTNER,
    anonymise: bool = False,
    generated: dt.datetime | None = None,
) -> Path:
    """Write the summary workbook atomically (a temporary file, then a rename)."""
    generated = generated or dt.datetime.now(dt.timezone.utc)
    with atomic_target(path) as tmp:
        # At partner level the Data sheet's rows are streamed in after XlsxWriter has
        # closed a frame of the workbook (see streamed.py).
        frame = tmp.with_name(tmp.stem + "-frame.xlsx") if level == PARTNER else tmp
        try:
            _write_book(result, frame, level, anonymise, generated, tmp)
        finally:
            if frame != tmp:
                frame.unlink(missing_ok=True)
    return path


def _write_book(
    result: Consolidation,
    frame: Path,
    level: str,
    anonymise: bool,
    generated: dt.datetime,
    target: Path,
) -> None:
    book = _Book(str(frame))
    fn = formulas.Functions(formulas.ADDIN)
    _overview(book, result, level, generated)
    for i, p in enumerate((p for p in result.partnerships if p.rounds), start=1):
        _comparison(book, p, level, i, fn)
    _questions(book, result, level, anonymise)
    _actions(book, result, level, anonymise)
    _progress(book, result, level)
    _trend(book, result, level)
    if level != PARTNER:
        book.wb.close()
        return
    _log(book, result, anonymise)
    with StreamedRows(2, DATA_COLUMNS, DATE_COLUMN, "CoupleData") as streamed:
        _data(book, result, anonymise, streamed)
        book.wb.close()
        streamed.splice(frame, _part_of(book, "Data"), target)


def _part_of(book: _Book, title: str) -> str:
    """The part XlsxWriter packs a worksheet into (it numbers them in order)."""
    sheets = [ws for ws in book.wb.worksheets() if not ws.is_chartsheet]
    index = next(i for i, ws in enumerate(sheets, start=1) if ws.name == title)
    return f"xl/worksheets/sheet{index}.xml"
