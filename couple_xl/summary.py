"""Write the consolidated summary workbook.

Written in openpyxl's write-only mode, row by row, so that memory stays flat
however many returns there are. Every piece of text that came from a return is
written as text, never as a formula, even when it starts with "=".
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, RadarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from . import formulas, scoring
from .consolidate import Consolidation, PartnershipResult
from .returns import ReturnRecord, typed_value
from .workbook import (
    ACCENT,
    BAND_STYLES,
    ERROR_STYLE,
    FONT,
    HEADER_FILL,
    INK,
    MUTED,
    highlight,
    save_atomically,
)

PARTNER = "partner"
PARTNERSHIP = "partnership"
LEVELS = (PARTNER, PARTNERSHIP)
DISAGREE = "Partners disagree"
TITLE = Font(name=FONT, size=16, bold=True, color=ACCENT)
HEADING = Font(name=FONT, size=12, bold=True, color=ACCENT)
BOLD = Font(name=FONT, size=11, bold=True, color=INK)
NOTE = Font(name=FONT, size=9, italic=True, color=MUTED)
WRAP = Alignment(wrap_text=True, vertical="top")


class _Sheet:
    """A write-only sheet with small helpers for styled rows."""

    def __init__(
        self,
        wb: Workbook,
        title: str,
        widths: dict[str, float],
        *,
        landscape: bool = True,
        one_page: bool = False,
        freeze: str | None = None,
    ) -> None:
        # A write-only sheet writes its header (columns, panes, page fit) with its first
        # row, so everything about the sheet itself is set here, before any row.
        self.ws = wb.create_sheet(title[:31])
        self.widths = widths
        for column, width in widths.items():
            self.ws.column_dimensions[column].width = width
        if freeze:
            self.ws.freeze_panes = freeze
        self._print_setup(landscape, one_page)
        self.row = 0

    def cell(
        self,
        value: Any,
        font: Font | None = None,
        fmt: str | None = None,
        fill=None,
        wrap: bool = False,
        text: bool = False,
    ) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        if text and isinstance(value, str):
            cell.data_type = "s"  # typed by a partner: never a formula
        if font is not None:
            cell.font = font
        if fmt:
            cell.number_format = fmt
        if fill is not None:
            cell.fill = fill
        if wrap:
            cell.alignment = WRAP
        return cell

    def append(self, values: list[Any]) -> int:
        """Append a row, tall enough for its wrapped text (heights must come first)."""
        lines = 1
        for i, value in enumerate(values):
            if isinstance(value, Cell) and value.alignment.wrap_text and value.value:
                width = self.widths.get(get_column_letter(i + 1), 8.43)
                lines = max(lines, _lines(str(value.value), width))
        if lines > 1:
            self.ws.row_dimensions[self.row + 1].height = 15 * lines + 2
        self.ws.append(values)
        self.row += 1
        return self.row

    def title(self, text: str, note: str | None = None) -> None:
        self.append([self.cell(text, TITLE)])
        if note:
            self.append([self.cell(note, NOTE)])
        self.append([])

    def heading(self, text: str) -> int:
        return self.append([self.cell(text, HEADING)])

    def header(self, labels: list[str]) -> int:
        return self.append(
            [self.cell(label, BOLD, fill=HEADER_FILL, wrap=True) for label in labels]
        )

    def _print_setup(self, landscape: bool, one_page: bool) -> None:
        ws = self.ws
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if one_page else 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddFooter.left.text = "&A"
        ws.oddFooter.right.text = "Page &P of &N"


def _lines(text: str, width: float) -> int:
    per_line = max(1, int(width * 1.1))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _band_colours(sheet: _Sheet, cells: str, first_cell: str) -> None:
    for word, (fill, color) in BAND_STYLES.items():
        highlight(sheet.ws, cells, f'ISNUMBER(SEARCH("{word}",{first_cell}))', fill, color)


def _score_colours(sheet: _Sheet, cells: str, first_cell: str, th: scoring.Thresholds) -> None:
    """Colour numeric scores by band, with the engine's rounding guard."""
    v = f"ROUND({first_cell},{scoring.COMPARE_DIGITS})"
    rules = {
        scoring.STRENGTH: f"{v}>={th.strength}",
        scoring.DEVELOPING: f"AND({v}>={th.developing},{v}<{th.strength})",
        scoring.CONCERN: f"{v}<{th.developing}",
    }
    for word, (fill, color) in BAND_STYLES.items():
        highlight(sheet.ws, cells, f"AND(ISNUMBER({first_cell}),{rules[word]})", fill, color)


def _score(value: float | None) -> float | str:
    return "" if value is None else value


def _band_text(band: str | None, provisional: bool = False) -> str:
    if band is None:
        return "No score"
    return f"{band} (provisional)" if provisional else band


def _respondent(record: ReturnRecord, anonymise: bool, index: int) -> str:
    if anonymise or not record.respondent_name:
        return f"Respondent {index}"
    return record.respondent_name


# --- Overview -----------------------------------------------------------------------


def _overview(wb: Workbook, result: Consolidation, level: str, generated: dt.datetime) -> None:
    rounds = [r for p in result.partnerships for r in p.rounds]
    principles: list[tuple[str, str]] = []
    for r in rounds:
        for p in r.template.principles:
            if p.id not in [pid for pid, _ in principles]:
                principles.append((p.id, p.name))
    width = {"A": 30, "B": 14, "C": 11, "D": 10, "E": 10}
    for i in range(len(principles) + 2):
        width[get_column_letter(6 + i)] = 13
    sheet = _Sheet(wb, "Overview", width, one_page=True, freeze="A5")
    sheet.title(
        "COUPLE partnership summary",
        f"Made {generated:%d %B %Y %H:%M} UTC from {len(result.records)} counted returns. "
        "Scores run from 1 to 5; each is the mean of partners' scores.",
    )
    header = ["Partnership", "Round", "Round date", "Returned", "Expected"]
    header += [name for _, name in principles] + ["Overall", "Band"]
    first = sheet.header(header) + 1
    for r in rounds:
        row = [
            sheet.cell(r.partnership_name, text=True),
            sheet.cell(r.round, text=True),
            sheet.cell(r.round_date, fmt="yyyy-mm-dd"),
            r.returned,
            "" if r.expected is None else r.expected,
        ]
        for pid, _ in principles:
            summary = r.principles.get(pid)
            row.append(sheet.cell(_score(summary.mean if summary else None), fmt="0.0"))
        row.append(sheet.cell(_score(r.overall), BOLD, fmt="0.0"))
        row.append(sheet.cell(_band_text(r.overall_band), BOLD))
        sheet.append(row)
    last = sheet.row
    band_col = get_column_letter(len(header))
    if rounds:
        _band_colours(sheet, f"{band_col}{first}:{band_col}{last}", f"${band_col}{first}")
        th = rounds[0].template.thresholds
        for i in range(len(principles) + 1):
            col = get_column_letter(6 + i)
            _score_colours(sheet, f"{col}{first}:{col}{last}", f"{col}{first}", th)
    sheet.append(
        [
            sheet.cell(
                "Band words: Strength 4.0 or more, Developing 3.0 or more, otherwise Concern "
                "(as set by each template). Colour repeats the band; it never stands alone.",
                NOTE,
            )
        ]
    )

    chase = [(r, m) for r in rounds for m in r.missing]
    if chase and level == PARTNER:
        sheet.append([])
        sheet.heading("Not yet returned")
        sheet.header(["Partner", "Round", "Email and contact"])
        for partnership in dict.fromkeys(r.partnership_name for r, _ in chase):
            if len(result.partnerships) > 1:
                sheet.append([sheet.cell(partnership, BOLD, text=True)])
            for r, m in chase:
                if r.partnership_name != partnership:
                    continue
                who = " · ".join(v for v in (m.email, m.contact) if v) or "no email in the manifest"
                # The last cell overflows into the empty cells beside it: nothing is cut off.
                sheet.append(
                    [
                        sheet.cell(m.partner, text=True),
                        sheet.cell(r.round, text=True),
                        sheet.cell(who, text=True),
                    ]
                )
    elif chase:
        sheet.append([])
        sheet.append([sheet.cell(f"{len(chase)} expected returns have not arrived yet.", NOTE)])
    unexpected = [(r, rec) for r in rounds for rec in r.unexpected]
    if unexpected and level == PARTNER:
        sheet.append([])
        sheet.heading("Returns no manifest expected")
        sheet.header(["Partnership", "Round", "Partner", "File"])
        for r, rec in unexpected:
            sheet.append(
                [
                    sheet.cell(v, text=True)
                    for v in (r.partnership_name, r.round, rec.meta.partner, rec.path.name)
                ]
            )

    if rounds:
        chart = BarChart()
        chart.type = "col"
        chart.title = "Mean score by principle"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 5
        chart.y_axis.majorUnit = 1
        chart.y_axis.delete = False
        chart.x_axis.delete = False
        data = Reference(
            sheet.ws, min_col=6, max_col=5 + len(principles), min_row=first, max_row=last
        )
        chart.add_data(data, from_rows=True, titles_from_data=False)
        chart.set_categories(
            Reference(sheet.ws, min_col=6, max_col=5 + len(principles), min_row=first - 1)
        )
        for series, r in zip(chart.series, rounds):
            from openpyxl.chart.series import SeriesLabel

            series.tx = SeriesLabel(v=f"{r.partnership_name} · {r.round}"[:60])
        chart.height, chart.width = 7.5, 22
        sheet.ws.add_chart(chart, f"A{sheet.row + 3}")


# --- Comparison ---------------------------------------------------------------------


def _comparison(
    wb: Workbook, p: PartnershipResult, level: str, index: int, fn: formulas.Functions
) -> None:
    r = p.rounds[-1]
    th = r.template.thresholds
    partners = list(r.partners.values()) if level == PARTNER else []
    n = len(partners)
    widths = {"A": 24}
    for i in range(n + 4):
        widths[get_column_letter(2 + i)] = 20 if i < n else 12
    title = f"Compare {index} {p.partnership_id}"[:31]
    sheet = _Sheet(wb, title, widths)
    sheet.title(
        f"{p.name}: {r.round} ({r.round_date:%d %B %Y})",
        "Scores are each partner's mean over its respondents (n). "
        f"Partners disagree when their scores differ by {formulas.num(th.disagreement)} or more. "
        + ("Earlier rounds are on the Trend sheet." if len(p.rounds) > 1 else ""),
    )
    sheet.heading("Scores")
    header = ["Principle"] + [f"{pr.partner} (n={len(pr.respondents)})" for pr in partners]
    header += ["Mean", "Spread", "SD", "Agreement"]
    head_row = sheet.header(header)
    first = head_row + 1
    for principle in r.template.principles:
        summary = r.principles[principle.id]
        row_no = sheet.row + 1
        scores = [
            sheet.cell(_score(pr.principles[principle.id].score), fmt="0.0") for pr in partners
        ]
        if n:
            rng = f"B{row_no}:{get_column_letter(1 + n)}{row_no}"
            mean = fn.wrap("COUPLE_OVERALL", (rng,), f'=IF(COUNT({rng})=0,"",AVERAGE({rng}))')
            spread = fn.wrap(
                "COUPLE_SPREAD", (rng,), f'=IF(COUNT({rng})=0,"",MAX({rng})-MIN({rng}))'
            )
            sd = fn.wrap("COUPLE_SD", (rng,), f'=IF(COUNT({rng})=0,"",STDEVP({rng}))')
            limit = formulas.num(th.disagreement)
            test = fn.test(
                "COUPLE_DISAGREE", (rng, limit), f"ROUND(MAX({rng})-MIN({rng}),9)>={limit}"
            )
            agree = f'=IF(COUNT({rng})<2,"",IF({test},"{DISAGREE}","Agree"))'
        else:
            mean, spread, sd = _score(summary.mean), _score(summary.spread), _score(summary.sd)
            agree = (
                DISAGREE if summary.disagree else ("Agree" if summary.spread is not None else "")
            )
        sheet.append(
            [
                sheet.cell(principle.name, BOLD),
                *scores,
                sheet.cell(mean, BOLD, fmt="0.0"),
                sheet.cell(spread, fmt="0.0"),
                sheet.cell(sd, fmt="0.00"),
                sheet.cell(agree),
            ]
        )
    last = sheet.row
    overall_row = [sheet.cell("Overall", BOLD)]
    overall_row += [sheet.cell(_score(pr.overall), BOLD, fmt="0.0") for pr in partners]
    overall_row += [sheet.cell(_score(r.overall), BOLD, fmt="0.0")]
    sheet.append(overall_row)
    agree_col = get_column_letter(5 + n)
    highlight(
        sheet.ws,
        f"{agree_col}{first}:{agree_col}{last}",
        f'{agree_col}{first}="{DISAGREE}"',
        *ERROR_STYLE,
    )
    if r.weakest:
        weakest = r.template.principle(r.weakest)
        sheet.append(
            [
                sheet.cell(
                    f"Weakest principle: {weakest.name} (mean {r.principles[r.weakest].mean:.1f}).",
                    BOLD,
                )
            ]
        )

    if partners:
        sheet.append([])
        sheet.heading("Bands")
        sheet.header(["Principle"] + [pr.partner for pr in partners] + ["Mean"])
        band_first = sheet.row + 1
        for principle in r.template.principles:
            s = r.principles[principle.id]
            sheet.append(
                [sheet.cell(principle.name, BOLD)]
                + [
                    sheet.cell(
                        _band_text(
                            pr.principles[principle.id].band,
                            pr.principles[principle.id].provisional,
                        )
                    )
                    for pr in partners
                ]
                + [sheet.cell(_band_text(s.band))]
            )
        end = get_column_letter(2 + n)
        _band_colours(sheet, f"B{band_first}:{end}{sheet.row}", f"B{band_first}")

        sheet.append([])
        sheet.heading("Coverage: rated answers of questions asked")
        sheet.header(["Principle"] + [pr.partner for pr in partners])
        for principle in r.template.principles:
            sheet.append(
                [sheet.cell(principle.name, BOLD)]
                + [sheet.cell(pr.principles[principle.id].coverage, fmt="0%") for pr in partners]
            )

        radar = RadarChart()
        radar.type = "marker"
        radar.title = "Scores by partner"
        radar.y_axis.scaling.min = 0
        radar.y_axis.scaling.max = r.template.engine_scale.values[-1]
        radar.y_axis.majorUnit = 1
        radar.y_axis.delete = False
        data = Reference(sheet.ws, min_col=2, max_col=1 + n, min_row=head_row, max_row=last)
        radar.add_data(data, titles_from_data=True)
        radar.set_categories(Reference(sheet.ws, min_col=1, min_row=first, max_row=last))
        radar.height, radar.width = 10, 15
        sheet.ws.add_chart(radar, f"{get_column_letter(n + 7)}2")

    bars = BarChart()
    bars.type = "bar"
    bars.title = "Spread between partners"
    bars.y_axis.scaling.min = 0
    bars.y_axis.delete = False
    bars.x_axis.delete = False
    spread_col = 3 + n
    bars.add_data(
        Reference(sheet.ws, min_col=spread_col, min_row=head_row, max_row=last),
        titles_from_data=True,
    )
    bars.set_categories(Reference(sheet.ws, min_col=1, min_row=first, max_row=last))
    bars.legend = None
    bars.height, bars.width = 7, 15
    sheet.ws.add_chart(bars, f"{get_column_letter(n + 7)}21")


# --- Questions ----------------------------------------------------------------------


def _questions(wb: Workbook, result: Consolidation, level: str, anonymise: bool) -> None:
    rounds = [p.rounds[-1] for p in result.partnerships if p.rounds]
    widths = {"A": 14, "B": 22, "C": 52}
    if level == PARTNER:
        most = max(
            (sum(len(pr.respondents) for pr in r.partners.values()) for r in rounds), default=0
        )
        for i in range(most):
            widths[get_column_letter(4 + 2 * i)] = 20
            widths[get_column_letter(5 + 2 * i)] = 32
        widths[get_column_letter(4 + 2 * most)] = 8
        widths[get_column_letter(5 + 2 * most)] = 18
    else:
        widths.update({"D": 8, "E": 8, "F": 9, "G": 18})
    sheet = _Sheet(wb, "Questions", widths, freeze="D1")
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
                who = _respondent(record, anonymise, i)
                columns.append((f"{pr.partner}: {who}", record))
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
            row = [sheet.cell(principle.name), sheet.cell(q.id), sheet.cell(q.text, wrap=True)]
            if level == PARTNER:
                for _, record in columns:
                    answer = typed_value(record.answers.get(q.id))
                    comment = record.comments.get(q.id, "")
                    row += [
                        sheet.cell(answer, text=True, wrap=True),
                        sheet.cell(comment, text=True, wrap=True),
                    ]
                row += [sheet.cell(_score(spread), fmt="0.0"), sheet.cell(flag)]
            else:
                mean = sum(partner_scores) / len(partner_scores) if partner_scores else None
                row += [
                    sheet.cell(_score(mean), fmt="0.0"),
                    sheet.cell(_score(spread), fmt="0.0"),
                    len(partner_scores),
                    sheet.cell(flag),
                ]
            sheet.append(row)
        sheet.append([])


# --- Actions, Trend, Returns log, Data ----------------------------------------------


def _actions(wb: Workbook, result: Consolidation, level: str, anonymise: bool) -> None:
    sheet = _Sheet(
        wb, "Actions", {"A": 24, "B": 14, "C": 22, "D": 16, "E": 16, "F": 60, "G": 18, "H": 14}
    )
    sheet.title("Suggested actions", "Every action partners suggested, as typed.")
    if level == PARTNER:
        sheet.header(
            [
                "Partnership",
                "Round",
                "Partner",
                "Respondent",
                "Principle",
                "Action",
                "Owner",
                "By when",
            ]
        )
    else:
        sheet.header(["Partnership", "Round", "Principle", "Action", "Owner", "By when"])
    for p in result.partnerships:
        for r in p.rounds:
            for pr in r.partners.values():
                for record in pr.respondents:
                    for a in record.actions:
                        principle = r.template.principle(a.principle_id).name
                        typed = [
                            sheet.cell(a.action, text=True, wrap=True),
                            sheet.cell(a.owner, text=True),
                            sheet.cell(a.by_when, text=True),
                        ]
                        if level == PARTNER:
                            who = "" if anonymise else record.respondent_name
                            sheet.append(
                                [
                                    sheet.cell(p.name, text=True),
                                    sheet.cell(r.round, text=True),
                                    sheet.cell(pr.partner, text=True),
                                    sheet.cell(who, text=True),
                                    principle,
                                    *typed,
                                ]
                            )
                        else:
                            sheet.append(
                                [
                                    sheet.cell(p.name, text=True),
                                    sheet.cell(r.round, text=True),
                                    principle,
                                    *typed,
                                ]
                            )


def _trend(wb: Workbook, result: Consolidation, level: str) -> None:
    with_trend = [p for p in result.partnerships if p.trend]
    if not with_trend:
        return
    sheet = _Sheet(wb, "Trend", {"A": 26, "B": 18})
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
                [
                    sheet.cell(row.partner or "All partners (mean)", text=True),
                    names[row.principle_id],
                ]
                + [sheet.cell(_score(row.scores.get(label)), fmt="0.0") for label in labels]
                + [sheet.cell(_score(row.change), BOLD, fmt="+0.0;-0.0;0.0")]
            )
        sheet.append([])


def _log(wb: Workbook, result: Consolidation, anonymise: bool) -> None:
    sheet = _Sheet(
        wb,
        "Returns log",
        {
            "A": 48,
            "B": 20,
            "C": 70,
            "D": 24,
            "E": 14,
            "F": 22,
            "G": 20,
            "H": 34,
            "I": 14,
            "J": 20,
            "K": 66,
        },
        freeze="B5",
    )
    sheet.title("Returns log", "Every file read, with its verdict and the reasons.")
    sheet.header(
        [
            "File",
            "Verdict",
            "Reasons and notes",
            "Partnership",
            "Round",
            "Partner",
            "Respondent",
            "Return id",
            "Template",
            "Saved",
            "SHA-256",
        ]
    )
    for f in result.files:
        rec = f.record
        reasons = "; ".join([*f.reasons, *([f.note] if f.note else [])])
        counted = " (counted)" if f.counted else ""
        row = [
            sheet.cell(str(f.path), text=True),
            f.verdict + counted,
            sheet.cell(reasons, text=True, wrap=True),
        ]
        if rec is not None:
            row += [
                sheet.cell(rec.meta.partnership_name, text=True),
                sheet.cell(rec.meta.round, text=True),
                sheet.cell(rec.meta.partner, text=True),
                sheet.cell("" if anonymise else rec.respondent_name, text=True),
                rec.meta.return_id,
                f"{rec.template.id} {rec.template.version}",
                sheet.cell(rec.when.replace(tzinfo=None), fmt="yyyy-mm-dd hh:mm"),
                rec.sha256,
            ]
        sheet.append(row)


DATA_COLUMNS = [
    "Partnership id",
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


def _data(wb: Workbook, result: Consolidation, anonymise: bool) -> None:
    sheet = _Sheet(
        wb,
        "Data",
        {
            "A": 22,
            "B": 24,
            "C": 14,
            "D": 12,
            "E": 22,
            "F": 18,
            "G": 34,
            "H": 16,
            "I": 24,
            "J": 50,
            "K": 24,
            "L": 8,
            "M": 50,
        },
        freeze="A2",
    )
    sheet.header(DATA_COLUMNS)
    for row in answer_rows(result, anonymise):
        sheet.append(
            [
                sheet.cell(row["partnership_id"], text=True),
                sheet.cell(row["partnership"], text=True),
                sheet.cell(row["round"], text=True),
                sheet.cell(row["round_date"], fmt="yyyy-mm-dd"),
                sheet.cell(row["partner"], text=True),
                sheet.cell(row["respondent"], text=True),
                row["return_id"],
                row["principle"],
                row["question_id"],
                row["question"],
                sheet.cell(row["answer"], text=True),
                _score(row["score"]),
                sheet.cell(row["comment"], text=True),
            ]
        )
    last = max(sheet.row, 2)
    if sheet.row == 1:
        sheet.append([""] * len(DATA_COLUMNS))
    table = Table(displayName="CoupleData", ref=f"A1:{get_column_letter(len(DATA_COLUMNS))}{last}")
    table.tableColumns = [TableColumn(id=i, name=n) for i, n in enumerate(DATA_COLUMNS, start=1)]
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    with warnings.catch_warnings():
        # openpyxl warns on every write-only table; the columns are declared above.
        warnings.simplefilter("ignore", UserWarning)
        sheet.ws.add_table(table)


def answer_rows(result: Consolidation, anonymise: bool = False):
    """One dict per answered (or commented) question of every counted respondent."""
    for p in result.partnerships:
        for r in p.rounds:
            for pr in r.partners.values():
                for i, record in enumerate(pr.respondents, start=1):
                    accepted = record.template.accepted
                    for principle, q in record.template.questions:
                        raw = record.answers.get(q.id)
                        comment = record.comments.get(q.id, "")
                        if raw is None and not comment:
                            continue
                        answer = scoring.read_answer(raw, record.template.engine_scale, accepted)
                        yield {
                            "partnership_id": p.partnership_id,
                            "partnership": p.name,
                            "round": r.round,
                            "round_date": r.round_date,
                            "partner": pr.partner,
                            "respondent": "" if anonymise else record.respondent_name,
                            "respondent_number": i,
                            "return_id": record.meta.return_id,
                            "principle": principle.id,
                            "question_id": q.id,
                            "question": q.text,
                            "answer": typed_value(raw),
                            "score": answer.value,
                            "valid": answer.kind != scoring.INVALID,
                            "comment": comment,
                        }


def build_summary(
    result: Consolidation,
    level: str = PARTNER,
    anonymise: bool = False,
    generated: dt.datetime | None = None,
) -> Workbook:
    """The summary workbook, in memory (write-only: save it once)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    generated = generated or dt.datetime.now(dt.timezone.utc)
    wb = Workbook(write_only=True)
    wb.calculation.fullCalcOnLoad = True
    wb.properties.creator = "couple_xl"
    wb.properties.title = "COUPLE partnership summary"
    fn = formulas.Functions(formulas.ADDIN)
    _overview(wb, result, level, generated)
    for i, p in enumerate((p for p in result.partnerships if p.rounds), start=1):
        _comparison(wb, p, level, i, fn)
    _questions(wb, result, level, anonymise)
    _actions(wb, result, level, anonymise)
    _trend(wb, result, level)
    if level == PARTNER:
        _log(wb, result, anonymise)
        _data(wb, result, anonymise)
    return wb


def write_summary(wb: Workbook, path: Path) -> None:
    """Save the summary atomically."""
    save_atomically(wb, path)
