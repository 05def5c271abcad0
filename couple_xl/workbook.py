"""Build one partner's assessment workbook (.xlsx) from a template.

The public contract of a generated workbook (documented in the README):
- workbook-scoped names Q_<question id> (answer cell) and N_<question id>
  (comment cell); ACTIONS_<principle id> (action table); RESPONDENT_NAME,
  RESPONDENT_ROLE, RESPONDENT_DATE;
- SCORE_<principle id>, BAND_, ANSWERED_, COVERAGE_, PROVISIONAL_ per principle,
  and SCORE_OVERALL, BAND_OVERALL, PROVISIONAL_OVERALL;
- metadata as custom document properties "couple.<key>" and on the very-hidden
  sheet "_couple", with the whole template embedded as JSON;
- the question id in a hidden cell (column QID_COLUMN) beside each answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import RadarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from . import excel, formulas, scoring
from .files import atomic_target
from .layout import (
    ACCENT,
    ACTION_MARK,
    ANSWER_COLUMN,
    BAND_STYLES,
    COMMENT_COLUMN,
    ERROR_STYLE,
    FIRST_QUESTION_ROW,
    FONT,
    HEADER_COLOUR,
    HEADER_ROW,
    HIDDEN_HEADERS,
    INK,
    INPUT_COLOUR,
    META_SHEET,
    MUTED,
    NORMAL_COLUMN,
    NUMBER_COLUMN,
    QID_COLUMN,
    START_SHEET,
    STATEMENT_COLUMN,
    SUMMARY_COLUMNS,
    SUMMARY_HEADER_ROW,
    SUMMARY_SHEET,
    TEMPLATE_CHUNK,
    VALUE_COLUMN,
    WEIGHT_COLUMN,
    WIDTHS,
    wrapped_lines,
)
from .metadata import PROPERTY_PREFIX, WorkbookMetadata
from .templates import Principle, Template

INPUT_FILL = PatternFill("solid", fgColor=INPUT_COLOUR)
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOUR)
THIN = Side(style="thin", color="9CA3AF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)


def highlight(ws: Worksheet, cells: str, formula: str, fill: str, color: str) -> None:
    """Colour ``cells`` (fill and bold text) wherever ``formula`` is true."""
    ws.conditional_formatting.add(
        cells,
        FormulaRule(
            formula=[formula],
            fill=PatternFill("solid", fgColor=fill, bgColor=fill),
            font=Font(color=color, bold=True),
        ),
    )


@dataclass(frozen=True)
class PrincipleCells:
    """Where a principle's numbers live in a generated workbook."""

    sheet: str
    first_row: int
    last_row: int
    summary_row: int


def _font(size: float = 11, bold: bool = False, italic: bool = False, color: str = INK) -> Font:
    return Font(name=FONT, size=size, bold=bold, italic=italic, color=color)


def _lines(text: str, width: float) -> int:
    """Lines that wrapped 11-point Calibri needs (a generous estimate)."""
    return wrapped_lines(text, width, 1.15)


def _height(*cells: tuple[str, float], size: float = 11) -> float:
    lines = max(_lines(t, w) for t, w in cells)
    return round(lines * size * 1.35 + 6, 1)


def named(wb: Workbook, name: str):
    """The cell (or block of cells) a workbook-scoped defined name points to, in an
    openpyxl workbook: how couple_xl's own tools fill a workbook by name."""
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    # openpyxl leaves a quoted sheet name's apostrophes doubled ('Partners'' view').
    return wb[sheet.replace("''", "'")][ref.replace("$", "")]


def _text(cell, value: str) -> None:
    """Put text in a cell as text: openpyxl would take text starting with "=" for a formula."""
    cell.value = value
    cell.data_type = "s"


def _ref(sheet: str, cell: str) -> str:
    return f"'{sheet.replace(chr(39), chr(39) * 2)}'!{cell}"


def _abs(column: str, row: int) -> str:
    return f"${column}${row}"


def _add_name(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=_ref(sheet, ref))


# Each side of a page header gets this many units of Excel's 255 for the whole header
# ("&L&9 " and "&R&9 " take the rest).
HEADER_SIDE = 120


def header_text(text: str) -> str:
    """Text for one side of a page header: "&" escaped, shortened with "…" to fit."""
    return excel.fit(text.replace("&", "&&"), HEADER_SIDE).replace("&…", "…")


def _header_footer(ws: Worksheet, meta: WorkbookMetadata) -> None:
    def esc(s: str) -> str:
        return s.replace("&", "&&")

    for header in (ws.oddHeader, ws.evenHeader):
        header.left.text = header_text(meta.partnership_name)
        header.left.size = 9
        header.right.text = header_text(meta.partner)
        header.right.size = 9
    for footer in (ws.oddFooter, ws.evenFooter):
        footer.left.text = f"{esc(meta.round)} · &A"
        footer.left.size = 8
        footer.right.text = "Page &P of &N"
        footer.right.size = 8


def _print_setup(ws: Worksheet, meta: WorkbookMetadata, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.print_options.horizontalCentered = True
    _header_footer(ws, meta)


def _protect(ws: Worksheet) -> None:
    """Protect without a password; rows and columns can still be resized."""
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False


def _input(cell, number_format: str | None = None) -> None:
    cell.protection = UNLOCKED
    cell.fill = INPUT_FILL
    cell.border = BOX
    cell.alignment = WRAP_TOP
    cell.font = _font()
    if number_format:
        cell.number_format = number_format


def build_workbook(
    template: Template, meta: WorkbookMetadata, scoring_mode: str = formulas.ADDIN
) -> Workbook:
    """The workbook for one partner, in memory.

    ``scoring_mode``: "addin" (COUPLE_ functions with native fallbacks), "lite" (the
    same, spelt as xlwings Lite stores them) or "native" (native formulas only).
    """
    functions = formulas.Functions(scoring_mode)
    wb = Workbook()
    wb.calculation.fullCalcOnLoad = True
    wb.properties.title = f"{template.title}: {meta.partner}"
    wb.properties.subject = meta.partnership_name
    wb.properties.creator = "couple_xl"
    wb.properties.keywords = "COUPLE partnership assessment"

    start = wb.active
    start.title = START_SHEET
    principle_sheets = [wb.create_sheet(p.name) for p in template.principles]
    summary = wb.create_sheet(SUMMARY_SHEET)
    hidden = wb.create_sheet(META_SHEET)

    _write_metadata(wb, hidden, template, meta)
    cells: dict[str, PrincipleCells] = {}
    for index, (principle, ws) in enumerate(zip(template.principles, principle_sheets)):
        cells[principle.id] = _write_principle(
            wb, ws, template, principle, meta, summary_row=SUMMARY_HEADER_ROW + 1 + index
        )
    _write_summary(wb, summary, template, meta, cells, functions)
    _write_start(wb, start, template, meta)
    return wb


# --- hidden metadata sheet ----------------------------------------------------


def _write_metadata(
    wb: Workbook, ws: Worksheet, template: Template, meta: WorkbookMetadata
) -> None:
    ws.sheet_state = "veryHidden"
    ws["A1"] = "couple_xl metadata: do not edit. Scoring and consolidation rely on it."
    ws["A2"], ws["B2"] = "key", "value"
    values = meta.as_strings()
    row = 3
    for key, value in values.items():
        ws.cell(row, 1, key)
        if value:  # an empty text cell would be an inline string with no text
            ws.cell(row, 2, value).data_type = "s"
        # Excel keeps 255 units of a property's text; the sheet keeps the whole value.
        prop = excel.cut(value, excel.CUSTOM_PROPERTY) or "-"
        wb.custom_doc_props.append(StringProperty(name=PROPERTY_PREFIX + key, value=prop))
        row += 1
    payload = template.to_json()
    for n, start in enumerate(range(0, len(payload), TEMPLATE_CHUNK), start=1):
        ws.cell(row, 1, f"template_json.{n}")
        ws.cell(row, 2, payload[start : start + TEMPLATE_CHUNK]).data_type = "s"
        row += 1

    # The answer lookup used by the native formulas: every accepted spelling,
    # normalised, with its value (UNSCORED_CODE for N/A and the like).
    ws["D2"], ws["E2"], ws["G2"] = "accepted answer", "value", "scale values"
    accepted = scoring.accept_rows(template.engine_scale)
    for i, (key, value) in enumerate(accepted, start=3):
        ws.cell(i, 4, key).data_type = "s"
        ws.cell(i, 5, value)
    last = 2 + len(accepted)
    _add_name(wb, formulas.ACCEPT_TEXT, META_SHEET, f"$D$3:$D${last}")
    _add_name(wb, formulas.ACCEPT_VALUE, META_SHEET, f"$E$3:$E${last}")
    _add_name(wb, formulas.ACCEPT_TABLE, META_SHEET, f"$D$3:$E${last}")
    points = template.engine_scale.values
    for i, value in enumerate(points, start=3):
        ws.cell(i, 7, value)
    _add_name(wb, formulas.SCALE_VALUES, META_SHEET, f"$G$3:$G${2 + len(points)}")
    _protect(ws)


# --- principle sheets ---------------------------------------------------------


def _write_principle(
    wb: Workbook,
    ws: Worksheet,
    template: Template,
    principle: Principle,
    meta: WorkbookMetadata,
    summary_row: int,
) -> PrincipleCells:
    scale = template.engine_scale
    for column, width in WIDTHS.items():
        ws.column_dimensions[column].width = width
    for column in HIDDEN_HEADERS:
        ws.column_dimensions[column].hidden = True
    text_width = sum(WIDTHS.values()) - 2

    ws.merge_cells("A1:D1")
    _text(ws["A1"], principle.name)
    ws["A1"].font = _font(18, bold=True, color=ACCENT)
    ws.row_dimensions[1].height = 30
    ws.merge_cells("A2:D2")
    _text(ws["A2"], principle.description)
    ws["A2"].font = _font(11, color=MUTED)
    ws["A2"].alignment = WRAP_TOP
    ws.row_dimensions[2].height = _height((principle.description, text_width))

    ws["B3"] = "Your score for this principle (it updates as you answer):"
    ws["B3"].alignment = Alignment(horizontal="right", vertical="center")
    ws["B3"].font = _font(11, color=MUTED)
    ws["C3"] = (
        f'=IF(ISERROR(SCORE_{principle.id}),"Check your answers: one is not from the list",'
        f'IF(SCORE_{principle.id}="","Not answered yet",'
        f'TEXT(SCORE_{principle.id},"0.0")&" – "&BAND_{principle.id}&'
        f'IF(PROVISIONAL_{principle.id}="",""," (provisional)")))'
    )
    ws["C3"].font = _font(12, bold=True, color=ACCENT)
    ws["C3"].alignment = Alignment(vertical="center")
    ws.row_dimensions[3].height = 24

    headers = {
        NUMBER_COLUMN: "#",
        STATEMENT_COLUMN: "Statement",
        ANSWER_COLUMN: "Your answer",
        COMMENT_COLUMN: "Comments and evidence",
        **HIDDEN_HEADERS,
    }
    for column, label in headers.items():
        cell = ws[f"{column}{HEADER_ROW}"]
        cell.value = label
        cell.font = _font(11, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.row_dimensions[HEADER_ROW].height = 20

    choices = ",".join(scale.choices)
    row = FIRST_QUESTION_ROW
    for number, question in enumerate(principle.questions, start=1):
        ws[f"A{row}"] = number
        ws[f"A{row}"].alignment = Alignment(horizontal="center", vertical="top")
        ws[f"A{row}"].font = _font(color=MUTED)
        statement = ws[f"{STATEMENT_COLUMN}{row}"]
        _text(statement, question.text)
        statement.font = _font()
        statement.alignment = WRAP_TOP
        statement.border = BOX
        if question.guidance:
            statement.value = CellRichText(
                TextBlock(InlineFont(rFont=FONT, sz=11, color=INK), question.text + "\n"),
                TextBlock(InlineFont(rFont=FONT, sz=9, i=True, color=MUTED), question.guidance),
            )
        answer = ws[f"{ANSWER_COLUMN}{row}"]
        _input(answer)
        comment = ws[f"{COMMENT_COLUMN}{row}"]
        _input(comment)

        dv = DataValidation(
            type="list",
            formula1=f'"{choices}"',
            allow_blank=True,
            showInputMessage=True,
            showErrorMessage=True,
            errorStyle="warning",
            # The name is shortened to fit Excel's 32 units; the number always shows.
            promptTitle=(
                excel.fit(principle.name, excel.VALIDATION_TITLE - len(f" {number}")) + f" {number}"
            ),
            prompt=question.guidance or "Choose an answer from the list.",
            errorTitle="Not one of the listed answers",
            error=(
                "Please choose an answer from the list. You can keep what you typed, "
                "but it will show as an error and will not be scored."
            ),
        )
        dv.add(answer.coordinate)
        ws.add_data_validation(dv)

        ws[f"{QID_COLUMN}{row}"] = question.id
        answer_ref = f"{ANSWER_COLUMN}{row}"
        normal_ref = f"{NORMAL_COLUMN}{row}"
        ws[normal_ref] = formulas.normalised(answer_ref)
        ws[f"{VALUE_COLUMN}{row}"] = formulas.answer_value(answer_ref, normal_ref)
        ws[f"{WEIGHT_COLUMN}{row}"] = question.weight
        for column in HIDDEN_HEADERS:
            ws[f"{column}{row}"].protection = Protection(locked=True, hidden=True)

        _add_name(wb, f"Q_{question.id}", ws.title, _abs(ANSWER_COLUMN, row))
        _add_name(wb, f"N_{question.id}", ws.title, _abs(COMMENT_COLUMN, row))
        guidance_lines = _lines(question.guidance, WIDTHS["B"] * 1.2) if question.guidance else 0
        ws.row_dimensions[row].height = max(
            _height((question.text, WIDTHS["B"])) + guidance_lines * 12.5, 36
        )
        row += 1
    first, last = FIRST_QUESTION_ROW, row - 1

    # An answer the formulas cannot score turns red, as well as the score showing an error.
    highlight(
        ws,
        f"{ANSWER_COLUMN}{first}:{ANSWER_COLUMN}{last}",
        f"ISERROR(${VALUE_COLUMN}{first})",
        *ERROR_STYLE,
    )

    # Actions table.
    row += 1
    ws[f"A{row}"] = "Suggested actions"
    ws[f"A{row}"].font = _font(13, bold=True, color=ACCENT)
    ws.merge_cells(f"A{row}:D{row}")
    ws.row_dimensions[row].height = 22
    row += 1
    ws[f"A{row}"] = (
        "What would strengthen this part of the partnership? Suggest actions, "
        "who could own them and by when."
    )
    ws[f"A{row}"].font = _font(10, italic=True, color=MUTED)
    ws.merge_cells(f"A{row}:D{row}")
    row += 1
    for column, label in zip("ABCD", ("#", "Action", "Owner", "By when")):
        cell = ws[f"{column}{row}"]
        cell.value = label
        cell.font = _font(11, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
    action_header = row
    for n in range(1, template.settings.action_rows + 1):
        row += 1
        ws[f"A{row}"] = n
        ws[f"A{row}"].alignment = Alignment(horizontal="center", vertical="top")
        ws[f"A{row}"].font = _font(color=MUTED)
        for column in "BCD":
            _input(ws[f"{column}{row}"])
        ws[f"{QID_COLUMN}{row}"] = f"{ACTION_MARK}:{principle.id}:{n}"
        ws.row_dimensions[row].height = 32
    _add_name(
        wb,
        f"ACTIONS_{principle.id}",
        ws.title,
        f"${STATEMENT_COLUMN}${action_header + 1}:${COMMENT_COLUMN}${row}",
    )

    ws.freeze_panes = f"A{FIRST_QUESTION_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.sheet_view.zoomScale = 100
    ws.sheet_properties.tabColor = ACCENT
    _print_setup(ws, meta, landscape=True)
    _protect(ws)
    return PrincipleCells(ws.title, first, last, summary_row)


# --- summary sheet ------------------------------------------------------------


def _write_summary(
    wb: Workbook,
    ws: Worksheet,
    template: Template,
    meta: WorkbookMetadata,
    cells: dict[str, PrincipleCells],
    fn: formulas.Functions,
) -> None:
    th = template.thresholds
    limits = (formulas.num(th.strength), formulas.num(th.developing))
    for column, width in zip("ABCDEFGH", (3, 22, 10, 13, 11, 12, 12, 44)):
        ws.column_dimensions[column].width = width
    ws.merge_cells("B1:H1")
    ws["B1"] = "Your COUPLE summary"
    ws["B1"].font = _font(18, bold=True, color=ACCENT)
    ws.row_dimensions[1].height = 30
    ws.merge_cells("B2:H2")
    _text(ws["B2"], f"{meta.partner} · {meta.partnership_name} · {meta.round}")
    ws["B2"].font = _font(11, color=MUTED)
    ws.merge_cells("B3:H3")
    points = template.engine_scale.points
    note = (
        f"Scores update as you answer. Each score is the average of your rated answers "
        f"({points[0].value} = {points[0].label}, {points[-1].value} = {points[-1].label}). "
        f"{' and '.join(template.engine_scale.unscored)} answers are left out, never counted "
        f"as zero. Bands: {scoring.STRENGTH} {formulas.num(th.strength)} or more, "
        f"{scoring.DEVELOPING} {formulas.num(th.developing)} or more, otherwise "
        f"{scoring.CONCERN}. A score is provisional when fewer than "
        f"{th.min_coverage:.0%} of its statements have a rated answer."
    )
    _text(ws["B3"], note)
    ws["B3"].font = _font(10, color=MUTED)
    ws["B3"].alignment = WRAP_TOP
    ws.row_dimensions[3].height = _height((note, 120), size=10)

    header = SUMMARY_HEADER_ROW
    for column, label in zip("BCDEFGH", SUMMARY_COLUMNS):
        cell = ws[f"{column}{header}"]
        cell.value = label
        cell.font = _font(11, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="left" if column in "BH" else "center")

    columns = dict(zip(("name", "score", "band", "ans", "tot", "cov", "prov"), "BCDEFGH"))

    def row_cells(r: int) -> dict[str, str]:
        return {key: f"{column}{r}" for key, column in columns.items()}

    def name_cells(suffix: str, r: int, names: dict[str, str]) -> None:
        for name, key in names.items():
            _add_name(wb, f"{name}_{suffix}", ws.title, _abs(columns[key], r))

    def provisional_test(coverage_cell: str) -> str:
        minimum = formulas.num(th.min_coverage)
        return fn.test(
            "COUPLE_PROVISIONAL",
            (coverage_cell, minimum),
            formulas.below_minimum(coverage_cell, th.min_coverage),
        )

    for principle in template.principles:
        pc = cells[principle.id]
        r = pc.summary_row
        c = row_cells(r)
        values = _ref(pc.sheet, f"${VALUE_COLUMN}${pc.first_row}:${VALUE_COLUMN}${pc.last_row}")
        weights = _ref(pc.sheet, f"${WEIGHT_COLUMN}${pc.first_row}:${WEIGHT_COLUMN}${pc.last_row}")
        qids = _ref(pc.sheet, f"${QID_COLUMN}${pc.first_row}:${QID_COLUMN}${pc.last_row}")
        _text(ws[c["name"]], principle.name)
        answers = _ref(pc.sheet, f"${ANSWER_COLUMN}${pc.first_row}:${ANSWER_COLUMN}${pc.last_row}")
        ws[c["score"]] = fn.wrap(
            "COUPLE_SCORE",
            (answers, weights, formulas.ACCEPT_TABLE),
            formulas.principle_score(values, weights),
        )
        ws[c["band"]] = fn.wrap("COUPLE_BAND", (c["score"], *limits), formulas.band(c["score"], th))
        ws[c["ans"]] = fn.wrap(
            "COUPLE_ANSWERED", (answers, formulas.ACCEPT_TABLE), formulas.answered(values)
        )
        ws[c["tot"]] = formulas.question_count(qids)
        ws[c["cov"]] = formulas.coverage(c["ans"], c["tot"])
        ws[c["prov"]] = (
            f"=IF(ISERROR({c['score']}),"
            f"{formulas.text(f'Check the answers on the {principle.name} sheet')},"
            f'IF({provisional_test(c["cov"])},{formulas.text(formulas.PROVISIONAL)},""))'
        )
        name_cells(
            principle.id,
            r,
            {
                "SCORE": "score",
                "BAND": "band",
                "ANSWERED": "ans",
                "COVERAGE": "cov",
                "PROVISIONAL": "prov",
            },
        )

    first = SUMMARY_HEADER_ROW + 1
    last = first + len(template.principles) - 1
    r = last + 1
    c = row_cells(r)
    ws[c["name"]] = "Overall"
    ws[c["score"]] = fn.wrap(
        "COUPLE_OVERALL", (f"C{first}:C{last}",), formulas.overall_score(f"C{first}:C{last}")
    )
    ws[c["band"]] = fn.wrap("COUPLE_BAND", (c["score"], *limits), formulas.band(c["score"], th))
    ws[c["ans"]] = f"=SUM(E{first}:E{last})"
    ws[c["tot"]] = f"=SUM(F{first}:F{last})"
    ws[c["cov"]] = formulas.coverage(c["ans"], c["tot"])
    ws[c["prov"]] = formulas.overall_provisional(
        [f"G{rr}" for rr in range(first, last + 1)], f"E{first}:E{last}", th.min_coverage
    )
    name_cells("OVERALL", r, {"SCORE": "score", "BAND": "band", "PROVISIONAL": "prov"})

    for rr in range(first, r + 1):
        bold = rr == r
        for column in "BCDEFGH":
            cell = ws[f"{column}{rr}"]
            cell.border = BOX
            cell.font = _font(11, bold=bold)
            cell.alignment = Alignment(
                horizontal="left" if column in "BH" else "center", vertical="center"
            )
        ws[f"C{rr}"].number_format = "0.0"
        ws[f"G{rr}"].number_format = "0%"
        ws.row_dimensions[rr].height = 20
    for band_word, (fill, color) in BAND_STYLES.items():
        highlight(ws, f"C{first}:D{r}", f'$D{first}="{band_word}"', fill, color)
    highlight(ws, f"C{first}:D{r}", f"ISERROR($C{first})", *ERROR_STYLE)

    chart = RadarChart()
    chart.type = "marker"
    chart.style = 26
    chart.title = "Your scores by principle"
    data = Reference(ws, min_col=3, min_row=header, max_row=last)
    labels = Reference(ws, min_col=2, min_row=first, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = template.engine_scale.points[-1].value
    chart.y_axis.majorUnit = 1
    chart.y_axis.delete = False
    chart.legend = None
    chart.height = 9
    chart.width = 16
    ws.add_chart(chart, f"B{r + 3}")

    _print_setup(ws, meta, landscape=False)
    _protect(ws)


# --- start sheet --------------------------------------------------------------


def _write_start(wb: Workbook, ws: Worksheet, template: Template, meta: WorkbookMetadata) -> None:
    ws.column_dimensions["A"].width = 3
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 72
    body_width = 96

    ws.merge_cells("B1:C1")
    _text(ws["B1"], template.title)
    ws["B1"].font = _font(18, bold=True, color=ACCENT)
    ws.row_dimensions[1].height = 30

    row = 3
    due = meta.due_date.strftime("%d %B %Y").lstrip("0") if meta.due_date else "as soon as you can"
    facts = [
        ("Partnership", meta.partnership_name),
        ("Your organisation", meta.partner),
        ("Round", meta.round),
        ("Please return by", due),
        ("Return it to", meta.contact or "the partnership coordinator who sent it to you"),
    ]
    for label, value in facts:
        ws[f"B{row}"] = label
        ws[f"B{row}"].font = _font(bold=True)
        ws[f"C{row}"] = value
        ws[f"C{row}"].data_type = "s"
        ws[f"C{row}"].font = _font()
        ws[f"C{row}"].alignment = WRAP_TOP
        row += 1

    row += 1
    ws[f"B{row}"] = "About you"
    ws[f"B{row}"].font = _font(13, bold=True, color=ACCENT)
    row += 1
    for label, name, fmt in (
        ("Your name", "RESPONDENT_NAME", None),
        ("Your role", "RESPONDENT_ROLE", None),
        ("Date completed", "RESPONDENT_DATE", "d mmmm yyyy"),
    ):
        ws[f"B{row}"] = label
        ws[f"B{row}"].font = _font(bold=True)
        _input(ws[f"C{row}"], fmt)
        ws.row_dimensions[row].height = 20
        _add_name(wb, name, ws.title, _abs("C", row))
        row += 1

    def section(title: str, paragraphs: list[str | tuple[str, str]]) -> None:
        nonlocal row
        row += 1
        ws[f"B{row}"] = title
        ws[f"B{row}"].font = _font(13, bold=True, color=ACCENT)
        row += 1
        for paragraph in paragraphs:
            ws.merge_cells(f"B{row}:C{row}")
            if isinstance(paragraph, tuple):
                lead, rest = paragraph
                ws[f"B{row}"] = CellRichText(
                    TextBlock(InlineFont(rFont=FONT, sz=11, b=True, color=INK), f"{lead}: "),
                    TextBlock(InlineFont(rFont=FONT, sz=11, color=INK), rest),
                )
                paragraph = f"{lead}: {rest}"
            else:
                _text(ws[f"B{row}"], paragraph)
            ws[f"B{row}"].font = _font()
            ws[f"B{row}"].alignment = WRAP_TOP
            ws.row_dimensions[row].height = _height((paragraph, body_width))
            row += 1

    section("What is COUPLE?", [template.introduction])
    section(
        "The principles",
        [(p.name, p.description) for p in template.principles],
    )
    unscored = " or ".join(f"“{u}”" for u in template.engine_scale.unscored)
    section(
        "How to answer",
        [
            "1. Fill in your name and role above.",
            f"2. Each principle has its own sheet (see the tabs below). For each statement, "
            f"choose how far you agree from the list in the yellow “Your answer” cell. "
            f"If a statement does not apply or you cannot judge it, choose {unscored}: "
            f"these answers are left out of your score, never counted as zero.",
            "3. Use “Comments and evidence” to explain an answer or point to evidence. "
            "The coordinator will see your comments next to other partners’.",
            "4. At the bottom of each sheet, suggest actions, who could own them and by when.",
            "5. The Summary sheet shows your scores and updates as you answer. "
            "Answer for your own organisation; there are no right answers.",
            "Only the yellow cells can be changed. Please do not rename or delete sheets.",
        ],
    )
    section(
        "Sending it back",
        [
            "Excel or LibreOffice: save the file (keep it as .xlsx) and attach it to an email.",
            "Google Sheets: choose File › Download › Microsoft Excel (.xlsx), then attach the "
            "downloaded file to an email. Please do not send a link to the sheet.",
            "Apple Numbers: choose File › Export To › Excel…, then attach the exported file.",
        ],
    )

    _print_setup(ws, meta, landscape=False)
    _protect(ws)
    ws.sheet_view.showGridLines = False


# --- saving -------------------------------------------------------------------


def save_atomically(wb: Workbook, path: Path, finish: Callable[[Path], None] | None = None) -> None:
    """Save to a temporary file beside ``path``, let ``finish`` amend it, then rename it
    into place: a reader never sees a half-written file, and a failure leaves none."""
    with atomic_target(path) as tmp:
        wb.save(tmp)
        if finish is not None:
            finish(tmp)


def write_workbook(
    template: Template,
    meta: WorkbookMetadata,
    path: Path,
    scoring_mode: str = formulas.ADDIN,
    embed_lite: bool = False,
) -> Path:
    """Build and save one partner's workbook, optionally carrying the xlwings Lite code."""
    if embed_lite and scoring_mode == formulas.ADDIN:
        scoring_mode = formulas.LITE
    finish = None
    if embed_lite:
        from .addin import embed_lite as finish
    save_atomically(build_workbook(template, meta, scoring_mode), path, finish)
    return path
