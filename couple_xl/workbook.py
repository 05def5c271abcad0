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

A round's workbooks differ only in the partner and the return id (RoundWorkbook):
one is built with placeholders for them, and each partner's is stamped from it.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import posixpath
import re
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape as xml_escape

from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import RadarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from . import excel, formulas, scoring
from .actions import STATUS_TEXTS, STATUSES, AgreedAction
from .files import atomic_target
from .inputs import due_in_words
from .layout import (
    ACCENT,
    ACTION_COLUMNS,
    ACTION_HEADERS,
    ACTION_MARK,
    ACTIONS_KEY,
    ANSWER_COLUMN,
    BAND_STYLES,
    BORDER_COLOUR,
    COMMENT_COLUMN,
    ERROR_STYLE,
    FIRST_QUESTION_ROW,
    FONT,
    HEADER_COLOUR,
    HEADER_ROW,
    HEADERS,
    HIDDEN_HEADERS,
    INK,
    INPUT_COLOUR,
    META_ACCEPT_TEXT_COLUMN,
    META_ACCEPT_VALUE_COLUMN,
    META_FIRST_ROW,
    META_KEY_COLUMN,
    META_SCALE_COLUMN,
    META_SHEET,
    META_TITLE,
    META_VALUE_COLUMN,
    MUTED,
    NORMAL_COLUMN,
    NUMBER_COLUMN,
    OVERALL,
    OVERALL_NAMES,
    PLAN_JSON,
    QID_COLUMN,
    RESPONDENT_DATE,
    RESPONDENT_NAME,
    RESPONDENT_ROLE,
    RESULT_NAMES,
    REVIEW_BANNER_ROW,
    REVIEW_CHECK_COLUMN,
    REVIEW_COLUMNS,
    REVIEW_HEADER_ROW,
    REVIEW_ID_COLUMN,
    REVIEW_KEY,
    REVIEW_NORMAL_COLUMN,
    REVIEW_SHEET,
    REVIEW_WIDTHS,
    START_KEY,
    START_SHEET,
    STATEMENT_COLUMN,
    SUMMARY_COLUMN,
    SUMMARY_COLUMNS,
    SUMMARY_KEY,
    SUMMARY_SHEET,
    TEMPLATE_CHUNK,
    VALUE_COLUMN,
    WEIGHT_COLUMN,
    WIDTHS,
    actions_name,
    answer_name,
    column_index,
    comment_name,
    note_name,
    result_name,
    status_name,
    title_names,
    wrapped_lines,
)
from .metadata import MAX_NAME, PROPERTY_PREFIX, WorkbookMetadata
from .stamp import CannotStamp, Placeholder, Stencil
from .templates import Principle, Question, Template

INPUT_FILL = PatternFill("solid", fgColor=INPUT_COLOUR)
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOUR)
THIN = Side(style="thin", color=BORDER_COLOUR)
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


def _paragraph_height(*cells: tuple[str, float], size: float = 11, bold: bool = False) -> float:
    """The height of a row of wrapped paragraphs, each (text, column width): its tallest
    one's lines as Excel measures them (excel.wrapped_lines, whose widths are generous
    enough for LibreOffice's stand-ins where Calibri is missing)."""
    lines = max(
        excel.wrapped_lines(text, excel.column_pixels(width), size, bold) for text, width in cells
    )
    return round(lines * excel.line_points(size) + 3, 1)


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


def _title_table(
    wb: Workbook,
    ws: Worksheet,
    key: str,
    corners: tuple[str, str],
    row_titles: str | None = None,
    column_titles: bool = True,
) -> None:
    """Name a table's headings for screen readers (layout.title_names): the table runs
    from ``corners[0]`` (its first heading) to ``corners[1]``, with row titles in the
    column ``row_titles``."""
    (left, top), (right, bottom) = (_split(cell) for cell in corners)
    titles = None if row_titles is None else column_index(row_titles)
    for name, cell in title_names(key, top - 1, left, bottom - 1, right, titles, column_titles):
        _add_name(wb, name, ws.title, cell)


def _split(cell: str) -> tuple[int, int]:
    """A cell's 0-based column and its row: "C5" is (2, 5)."""
    letters = cell.rstrip("0123456789")
    return column_index(letters), int(cell[len(letters) :])


def _prompt(ws: Worksheet, cells: list[str], title: str, message: str) -> None:
    """An input message on ``cells``, which take any value: Excel and LibreOffice show
    it when a cell is selected, and screen readers read it out."""
    dv = DataValidation(
        allow_blank=True,
        showInputMessage=True,
        promptTitle=excel.fit(title, excel.VALIDATION_TITLE),
        prompt=excel.fit(message, excel.VALIDATION_TEXT),
    )
    for cell in cells:
        dv.add(cell)
    ws.add_data_validation(dv)


# Each side of a page header gets this many units of Excel's 255 for the whole header
# ("&L&9 " and "&R&9 " take the rest).
HEADER_SIDE = 120


def escape_header(text: str) -> str:
    """Text for a page header or footer: "&" starts a code there, so "&&" prints one."""
    return text.replace("&", "&&")


def header_text(text: str) -> str:
    """Text for one side of a page header: escaped, shortened with "…" to fit."""
    return excel.fit(escape_header(text), HEADER_SIDE).replace("&…", "…")


def property_text(text: str) -> str:
    """Text for a custom document property: as much as Excel keeps (the hidden sheet
    keeps the whole value), and "-" for none, as a property cannot be empty."""
    return excel.cut(text, excel.CUSTOM_PROPERTY) or "-"


def as_it_is(text: str) -> str:
    return text


# Every form in which a workbook shows a text of its metadata: as it is (cells, the
# title), in a page header, and as a custom property. A new form must join them, or
# stamping a round's workbooks refuses (see stamp.py).
TEXT_FORMS = (as_it_is, header_text, property_text)


def _header_footer(ws: Worksheet, meta: WorkbookMetadata) -> None:
    for header in (ws.oddHeader, ws.evenHeader):
        header.left.text = header_text(meta.partnership_name)
        header.left.size = 9
        header.right.text = header_text(meta.partner)
        header.right.size = 9
    for footer in (ws.oddFooter, ws.evenFooter):
        footer.left.text = f"{escape_header(meta.round)} · &A"
        footer.left.size = 8
        footer.right.text = "Page &P of &N"
        footer.right.size = 8
    # Printed at their own size, whatever the sheet's scale: 8 points is the least on paper.
    ws.HeaderFooter.scaleWithDoc = False


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


# A portrait A4 page's height inside its margins, in points, and the smallest scale a
# sheet of 11-point text is fitted to one page at (its text prints at 8.8 points).
PORTRAIT_ROOM = 841.89 - 72 * 1.5
ONE_PAGE_SCALE = 0.8


def _row_points(ws: Worksheet, row: int) -> float:
    return ws.row_dimensions[row].height or excel.DEFAULT_ROW_POINTS


def _pages_by_section(ws: Worksheet, sections: list[int], last_row: int) -> None:
    """Fit a portrait sheet to one page, down as well as across, where that keeps its
    text readable (``ONE_PAGE_SCALE``); else let it run on to more pages, each breaking
    before a section (``sections``: their first rows) rather than inside one."""
    rows = sum(_row_points(ws, r) for r in range(1, last_row + 1))
    if PORTRAIT_ROOM / rows >= ONE_PAGE_SCALE:
        ws.page_setup.fitToHeight = 1
        return
    page_start = 1
    ends = [*sections[1:], last_row + 1]
    for start, end in zip(sections, ends):
        section = sum(_row_points(ws, r) for r in range(start, end))
        used = sum(_row_points(ws, r) for r in range(page_start, start))
        if used and used + section > PORTRAIT_ROOM:
            ws.row_breaks.append(Break(id=start - 1))
            page_start = start


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
    template: Template,
    meta: WorkbookMetadata,
    scoring_mode: str = formulas.ADDIN,
    agreed: Sequence[AgreedAction] = (),
) -> Workbook:
    """The workbook for one partner, in memory.

    ``scoring_mode``: "addin" (COUPLE_ functions with native fallbacks), "lite" (the
    same, spelt as xlwings Lite stores them) or "native" (native formulas only).
    ``agreed``: the actions agreed after the last round, reviewed on a sheet of their own.
    """
    functions = formulas.Functions(scoring_mode)
    wb = Workbook()
    wb.calculation.fullCalcOnLoad = True
    # The round's time, not the clock's: a workbook is the same whoever builds it when.
    created = meta.created.astimezone(dt.timezone.utc).replace(tzinfo=None)
    wb.properties.created = wb.properties.modified = created
    wb.properties.title = f"{template.title}: {meta.partner}"
    wb.properties.subject = meta.partnership_name
    wb.properties.creator = "couple_xl"
    wb.properties.keywords = "COUPLE partnership assessment"

    start = wb.active
    start.title = START_SHEET
    review = wb.create_sheet(REVIEW_SHEET) if agreed else None
    principle_sheets = [wb.create_sheet(p.name) for p in template.principles]
    summary = wb.create_sheet(SUMMARY_SHEET)
    hidden = wb.create_sheet(META_SHEET)

    _write_metadata(wb, hidden, template, meta, agreed)
    if review is not None:
        _write_review(wb, review, template, meta, agreed)
    note = _summary_note(template)
    header = _summary_header_row(note)
    cells: dict[str, PrincipleCells] = {}
    for index, (principle, ws) in enumerate(zip(template.principles, principle_sheets)):
        cells[principle.id] = _write_principle(
            wb, ws, template, principle, meta, summary_row=header + 1 + index
        )
    _write_summary(wb, summary, template, meta, cells, functions, note)
    _write_start(wb, start, template, meta, bool(agreed))
    return wb


# --- hidden metadata sheet ----------------------------------------------------


def _write_metadata(
    wb: Workbook,
    ws: Worksheet,
    template: Template,
    meta: WorkbookMetadata,
    agreed: Sequence[AgreedAction] = (),
) -> None:
    ws.sheet_state = "veryHidden"
    key, value = META_KEY_COLUMN, META_VALUE_COLUMN
    ws["A1"] = f"{META_TITLE}: do not edit. Scoring and consolidation rely on it."
    heading = META_FIRST_ROW - 1
    ws[f"{key}{heading}"], ws[f"{value}{heading}"] = "key", "value"
    row = META_FIRST_ROW
    for name, text in meta.as_strings().items():
        ws[f"{key}{row}"] = name
        if text:  # an empty text cell would be an inline string with no text
            _text(ws[f"{value}{row}"], text)
        wb.custom_doc_props.append(
            StringProperty(name=PROPERTY_PREFIX + name, value=property_text(text))
        )
        row += 1
    payloads = [("template_json", template.to_json())]
    if agreed:  # embedded like the template, so a return is read without the plan file
        payloads.append((PLAN_JSON, json.dumps([a.as_dict() for a in agreed])))
    for label, payload in payloads:
        for n, start in enumerate(range(0, len(payload), TEMPLATE_CHUNK), start=1):
            ws[f"{key}{row}"] = f"{label}.{n}"
            _text(ws[f"{value}{row}"], payload[start : start + TEMPLATE_CHUNK])
            row += 1
    _write_answer_lookup(wb, ws, template)
    _protect(ws)


def _write_answer_lookup(wb: Workbook, ws: Worksheet, template: Template) -> None:
    """The lookup the native formulas use: every accepted spelling, normalised, with its
    value (UNSCORED_CODE for N/A and the like), and the scale's values."""
    text_col, value_col, scale_col = (
        META_ACCEPT_TEXT_COLUMN,
        META_ACCEPT_VALUE_COLUMN,
        META_SCALE_COLUMN,
    )
    heading, first = META_FIRST_ROW - 1, META_FIRST_ROW
    ws[f"{text_col}{heading}"] = "accepted answer"
    ws[f"{value_col}{heading}"] = "value"
    ws[f"{scale_col}{heading}"] = "scale values"
    accepted = scoring.accept_rows(template.engine_scale)
    for row, (answer, value) in enumerate(accepted, start=first):
        _text(ws[f"{text_col}{row}"], answer)
        ws[f"{value_col}{row}"] = value
    last = first + len(accepted) - 1
    _add_name(wb, formulas.ACCEPT_TEXT, META_SHEET, _span(text_col, first, text_col, last))
    _add_name(wb, formulas.ACCEPT_VALUE, META_SHEET, _span(value_col, first, value_col, last))
    _add_name(wb, formulas.ACCEPT_TABLE, META_SHEET, _span(text_col, first, value_col, last))
    points = template.engine_scale.values
    for row, value in enumerate(points, start=first):
        ws[f"{scale_col}{row}"] = value
    last = first + len(points) - 1
    _add_name(wb, formulas.SCALE_VALUES, META_SHEET, _span(scale_col, first, scale_col, last))


def _span(first_col: str, first_row: int, last_col: str, last_row: int) -> str:
    return f"{_abs(first_col, first_row)}:{_abs(last_col, last_row)}"


# --- the review of last round's agreed actions -----------------------------------


def _write_review(
    wb: Workbook,
    ws: Worksheet,
    template: Template,
    meta: WorkbookMetadata,
    agreed: Sequence[AgreedAction],
) -> None:
    """One row per agreed action: its wording, lead and due date, and the partner's view
    of it (ACTION_STATUS_<id>, a dropdown) with a comment (ACTION_NOTE_<id>)."""
    columns = {key: column for key, (column, _) in REVIEW_COLUMNS.items()}
    for column, width in REVIEW_WIDTHS.items():
        ws.column_dimensions[column].width = width
    ws.column_dimensions[REVIEW_ID_COLUMN].hidden = True
    # Each line in one cell, running on over the empty cells beside it: a merged cell
    # would make screen readers lose their place.
    _text(ws["A1"], "The actions the partnership agreed last round")
    ws["A1"].font = _font(16, bold=True, color=ACCENT)
    ws.row_dimensions[1].height = 26
    _text(
        ws["A2"],
        "For each action, choose how it is going, as far as your organisation can tell, "
        "and add a comment if you can. Choose Don't know if you cannot judge it.",
    )
    ws["A2"].font = _font(10, italic=True, color=MUTED)
    ws["A2"].alignment = Alignment(vertical="top")
    ws.row_dimensions[2].height = 18
    _header_row(ws, REVIEW_HEADER_ROW, dict(REVIEW_COLUMNS.values()), wrap=True)
    for column in (REVIEW_NORMAL_COLUMN, REVIEW_CHECK_COLUMN):
        ws.column_dimensions[column].hidden = True
    names = {p.id: p.name for p in template.principles}
    statuses = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        showInputMessage=True,
        promptTitle="How is this action going?",
        prompt=f"Choose from the list: {_in_words(STATUSES)}. Choose Don't know if you "
        "cannot judge it.",
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Not one of the listed answers",
        error="Please choose from the list. You can keep what you typed, but it will not "
        "count as a view of this action.",
    )
    ws.add_data_validation(statuses)
    for n, action in enumerate(agreed, start=1):
        row = REVIEW_HEADER_ROW + n
        _number_cell(ws, row, n)
        for key, value in (("principle", names.get(action.principle_id, action.principle_id)),
                           ("action", action.text), ("lead", action.lead),
                           ("due", action.due_shown)):  # fmt: skip
            cell = ws[f"{columns[key]}{row}"]
            _text(cell, value)
            cell.font = _font()
            cell.alignment = WRAP_TOP
        for key, name in (("status", status_name), ("note", note_name)):
            _input(ws[f"{columns[key]}{row}"])
            _add_name(wb, name(action.id), ws.title, _abs(columns[key], row))
        statuses.add(f"{columns['status']}{row}")
        ws[f"{REVIEW_ID_COLUMN}{row}"] = action.id
        status, normal = f"{columns['status']}{row}", f"{REVIEW_NORMAL_COLUMN}{row}"
        ws[normal] = formulas.normalised(status)
        ws[f"{REVIEW_CHECK_COLUMN}{row}"] = formulas.status_check(status, normal, STATUS_TEXTS)
        for column in (REVIEW_NORMAL_COLUMN, REVIEW_CHECK_COLUMN):
            ws[f"{column}{row}"].protection = Protection(locked=True, hidden=True)
        ws.row_dimensions[row].height = _height(
            (action.text, REVIEW_WIDTHS[columns["action"]]),
            (action.lead, REVIEW_WIDTHS[columns["lead"]]),
        )
    first, last_row = REVIEW_HEADER_ROW + 1, REVIEW_HEADER_ROW + len(agreed)
    _prompt(
        ws,
        [f"{columns['note']}{first}:{columns['note']}{last_row}"],
        "Comment",
        "Optional: a comment on how this action is going, as your organisation sees it. "
        "Press Tab to go on to the next action.",
    )
    _title_table(
        wb,
        ws,
        REVIEW_KEY,
        (f"{columns['number']}{REVIEW_HEADER_ROW}", f"{columns['note']}{last_row}"),
        row_titles=columns["action"],
    )
    # A status typed outside the list turns red like an invalid answer, and the line
    # above the table names the action, so that colour is never the only sign.
    highlight(
        ws,
        f"{columns['status']}{first}:{columns['status']}{last_row}",
        f"${REVIEW_CHECK_COLUMN}{first}=1",
        *ERROR_STYLE,
    )
    banner = ws[f"A{REVIEW_BANNER_ROW}"]
    banner.value = formulas.status_banner(
        [f"{REVIEW_CHECK_COLUMN}{r}" for r in range(first, last_row + 1)]
    )
    banner.font = _font(11, bold=True, color=ERROR_STYLE[1])
    ws.row_dimensions[REVIEW_BANNER_ROW].height = 20
    ws.freeze_panes = f"A{REVIEW_HEADER_ROW + 1}"
    _print_setup(ws, meta, landscape=True)
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
    for column, width in WIDTHS.items():
        ws.column_dimensions[column].width = width
    for column in HIDDEN_HEADERS:
        ws.column_dimensions[column].hidden = True
    _principle_heading(ws, principle)
    _header_row(ws, HEADER_ROW, {**HEADERS, **HIDDEN_HEADERS}, wrap=True)
    ws.row_dimensions[HEADER_ROW].height = 20
    choices = ",".join(template.engine_scale.choices)
    row = FIRST_QUESTION_ROW
    for number, question in enumerate(principle.questions, start=1):
        _question_row(wb, ws, principle, question, number, row, choices)
        row += 1
    first, last = FIRST_QUESTION_ROW, row - 1
    # An answer the formulas cannot score turns red, as well as the score showing an error.
    highlight(
        ws,
        f"{ANSWER_COLUMN}{first}:{ANSWER_COLUMN}{last}",
        f"ISERROR(${VALUE_COLUMN}{first})",
        *ERROR_STYLE,
    )
    _prompt(
        ws,
        [f"{COMMENT_COLUMN}{first}:{COMMENT_COLUMN}{last}"],
        HEADERS[COMMENT_COLUMN],
        "Optional: explain your answer, or say where the evidence is. The coordinator "
        "sees your comments next to other partners'. Press Tab to go on to the next "
        "statement.",
    )
    # A reader hears the column's heading and the statement at each answer and comment.
    _title_table(
        wb,
        ws,
        principle.id,
        (f"{NUMBER_COLUMN}{HEADER_ROW}", f"{COMMENT_COLUMN}{last}"),
        row_titles=STATEMENT_COLUMN,
    )
    _action_table(wb, ws, principle, last + 2, template.settings.action_rows)
    ws.freeze_panes = f"{NUMBER_COLUMN}{FIRST_QUESTION_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.sheet_view.zoomScale = 100
    ws.sheet_properties.tabColor = ACCENT
    _print_setup(ws, meta, landscape=True)
    _protect(ws)
    return PrincipleCells(ws.title, first, last, summary_row)


def _principle_heading(ws: Worksheet, principle: Principle) -> None:
    """Rows 1 to 3: the name, the description, and the live score (or which statements
    need another look). No cell is merged (screen readers lose their place in merged
    cells): the name runs on over the empty cells beside it, and the description wraps
    in the statements' column, above the statements."""
    title = ws[f"{NUMBER_COLUMN}1"]
    _text(title, principle.name)
    title.font = _font(18, bold=True, color=ACCENT)
    ws.row_dimensions[1].height = 30
    about = ws[f"{STATEMENT_COLUMN}2"]
    _text(about, principle.description)
    about.font = _font(11, color=MUTED)
    about.alignment = WRAP_TOP
    ws.row_dimensions[2].height = _paragraph_height(
        (principle.description, WIDTHS[STATEMENT_COLUMN])
    )
    label = ws[f"{STATEMENT_COLUMN}3"]
    label.value = "Your score for this principle (it updates as you answer):"
    label.alignment = Alignment(horizontal="right", vertical="center")
    label.font = _font(11, color=MUTED)
    live = ws[f"{ANSWER_COLUMN}3"]
    rows = range(FIRST_QUESTION_ROW, FIRST_QUESTION_ROW + len(principle.questions))
    live.value = formulas.score_banner(principle.id, [f"{VALUE_COLUMN}{r}" for r in rows])
    live.font = _font(12, bold=True, color=ACCENT)
    live.alignment = Alignment(vertical="center")
    ws.row_dimensions[3].height = 24


def _header_row(ws: Worksheet, row: int, labels: dict[str, str], wrap: bool = False) -> None:
    for column, label in labels.items():
        cell = ws[f"{column}{row}"]
        cell.value = label
        cell.font = _font(11, bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
        if wrap:
            cell.alignment = Alignment(vertical="center", wrap_text=True)


def _in_words(items: Sequence[str]) -> str:
    """["a", "b", "c"] as "a, b or c"."""
    return f"{', '.join(items[:-1])} or {items[-1]}" if len(items) > 1 else "".join(items)


def _number_cell(ws: Worksheet, row: int, number: int) -> None:
    cell = ws[f"{NUMBER_COLUMN}{row}"]
    cell.value = number
    cell.alignment = Alignment(horizontal="center", vertical="top")
    cell.font = _font(color=MUTED)


def _question_row(
    wb: Workbook,
    ws: Worksheet,
    principle: Principle,
    question: Question,
    number: int,
    row: int,
    choices: str,
) -> None:
    """One statement: its text, the answer and comment cells, its dropdown, the hidden
    helper formulas, and the Q_ and N_ names."""
    _number_cell(ws, row, number)
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
    _input(ws[f"{COMMENT_COLUMN}{row}"])
    ws.add_data_validation(_dropdown(principle, question, number, choices, answer.coordinate))

    ws[f"{QID_COLUMN}{row}"] = question.id
    answer_ref, normal_ref = f"{ANSWER_COLUMN}{row}", f"{NORMAL_COLUMN}{row}"
    ws[normal_ref] = formulas.normalised(answer_ref)
    ws[f"{VALUE_COLUMN}{row}"] = formulas.answer_value(answer_ref, normal_ref)
    ws[f"{WEIGHT_COLUMN}{row}"] = question.weight
    for column in HIDDEN_HEADERS:
        ws[f"{column}{row}"].protection = Protection(locked=True, hidden=True)

    _add_name(wb, answer_name(question.id), ws.title, _abs(ANSWER_COLUMN, row))
    _add_name(wb, comment_name(question.id), ws.title, _abs(COMMENT_COLUMN, row))
    width = WIDTHS[STATEMENT_COLUMN]
    guidance_lines = _lines(question.guidance, width * 1.2) if question.guidance else 0
    ws.row_dimensions[row].height = max(_height((question.text, width)) + guidance_lines * 12.5, 36)


def _dropdown(
    principle: Principle, question: Question, number: int, choices: str, cell: str
) -> DataValidation:
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
    dv.add(cell)
    return dv


def _action_table(wb: Workbook, ws: Worksheet, principle: Principle, row: int, rows: int) -> None:
    """The suggested-actions table from ``row``: a heading, a line of help, a header
    row, then ``rows`` rows to type into, named ACTIONS_<principle>."""
    heading = ws[f"{NUMBER_COLUMN}{row}"]
    heading.value = "Suggested actions"
    heading.font = _font(13, bold=True, color=ACCENT)
    ws.row_dimensions[row].height = 22
    help_text = (
        "What would strengthen this part of the partnership? Suggest actions, "
        "who could own them and by when."
    )
    help_cell = ws[f"{STATEMENT_COLUMN}{row + 1}"]
    help_cell.value = help_text
    help_cell.font = _font(10, italic=True, color=MUTED)
    help_cell.alignment = WRAP_TOP
    ws.row_dimensions[row + 1].height = _paragraph_height(
        (help_text, WIDTHS[STATEMENT_COLUMN]), size=10
    )
    header = row + 2
    _header_row(ws, header, dict(zip((NUMBER_COLUMN, *ACTION_COLUMNS), ("#", *ACTION_HEADERS))))
    for n in range(1, rows + 1):
        r = header + n
        _number_cell(ws, r, n)
        for column in ACTION_COLUMNS:
            _input(ws[f"{column}{r}"])
        ws[f"{QID_COLUMN}{r}"] = f"{ACTION_MARK}:{principle.id}:{n}"
        ws.row_dimensions[r].height = 32
    span = _span(ACTION_COLUMNS[0], header + 1, ACTION_COLUMNS[-1], header + rows)
    _add_name(wb, actions_name(principle.id), ws.title, span)
    action, owner, by_when = ACTION_COLUMNS
    for column, title, message in (
        (action, "Suggested action",
         "Optional: an action that would strengthen this part of the partnership."),
        (owner, "Who could own it", "Who could own the action on this row: a person, a "
         "role or an organisation."),
        (by_when, "By when", "When the action on this row could be done: a date, or "
         "words such as 'by the next meeting'."),
    ):  # fmt: skip
        _prompt(ws, [f"{column}{header + 1}:{column}{header + rows}"], title, message)
    _title_table(
        wb,
        ws,
        principle.id + ACTIONS_KEY,
        (f"{NUMBER_COLUMN}{header}", f"{ACTION_COLUMNS[-1]}{header + rows}"),
        row_titles=action,
    )


# --- summary sheet ------------------------------------------------------------


SUMMARY_WIDTHS = {"A": 3, "B": 22, "C": 10, "D": 13, "E": 11, "F": 12, "G": 12, "H": 44}


def _write_summary(
    wb: Workbook,
    ws: Worksheet,
    template: Template,
    meta: WorkbookMetadata,
    cells: dict[str, PrincipleCells],
    fn: formulas.Functions,
    note: list[str],
) -> None:
    for column, width in SUMMARY_WIDTHS.items():
        ws.column_dimensions[column].width = width
    _summary_intro(ws, meta, note)
    header = _summary_header_row(note)
    labels = {column: label for column, label in SUMMARY_COLUMNS.values()}
    _header_row(ws, header, labels)
    for column in labels:
        ws[f"{column}{header}"].alignment = Alignment(horizontal=_align(column))
    for principle in template.principles:
        row = _principle_result(ws, template, principle, cells[principle.id], fn)
        _name_row(wb, ws, principle.id, row, RESULT_NAMES)
    first = header + 1
    last = first + len(template.principles) - 1
    _overall_result(ws, template, first, last, fn)
    _name_row(wb, ws, OVERALL, last + 1, OVERALL_NAMES)
    _style_results(ws, first, last + 1)
    _title_table(
        wb, ws, SUMMARY_KEY, (_at("name", header), _at("prov", last + 1)), SUMMARY_COLUMN["name"]
    )
    ws.add_chart(_radar(ws, template, header, last), f"{SUMMARY_COLUMN['name']}{last + 4}")
    # Landscape: the table and the chart print at full size, the notes at 10 points.
    _print_setup(ws, meta, landscape=True)
    _protect(ws)
    ws.sheet_view.selection[0].activeCell = ws.sheet_view.selection[0].sqref = _at("name", 1)


def _align(column: str) -> str:
    """Text columns (the principle and its status) left, numbers and bands centred."""
    return "left" if column in (SUMMARY_COLUMN["name"], SUMMARY_COLUMN["prov"]) else "center"


def _at(key: str, row: int) -> str:
    return f"{SUMMARY_COLUMN[key]}{row}"


NOTE_SIZE = 10  # points: the explanations under titles, and the dropdowns' guidance is 9
# The width a line of the Summary's note may take, of the table's: a font wider than
# Calibri (LibreOffice's stand-in where Calibri is missing) still keeps it on the page.
NOTE_ROOM = 0.85


def _summary_note(template: Template) -> list[str]:
    """How to read the scores, in lines that each fit across the Summary's table."""
    th = template.thresholds
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
    table = [column for column, _ in SUMMARY_COLUMNS.values()]
    room = sum(excel.column_pixels(SUMMARY_WIDTHS[c]) for c in table) * NOTE_ROOM
    return excel.break_lines(note, int(room), NOTE_SIZE)


def _summary_header_row(note: list[str]) -> int:
    """The Summary's table starts after the title, who, the note's lines and a blank row."""
    return 3 + len(note) + 1


def _summary_intro(ws: Worksheet, meta: WorkbookMetadata, note: list[str]) -> None:
    """The title, who and which round, and how to read the scores: a line a row, each
    running on over the empty cells beside it (a merged cell would make screen readers
    lose their place)."""
    title, who = ws[_at("name", 1)], ws[_at("name", 2)]
    title.value = "Your COUPLE summary"
    title.font = _font(18, bold=True, color=ACCENT)
    ws.row_dimensions[1].height = 30
    _text(who, f"{meta.partner} · {meta.partnership_name} · {meta.round}")
    who.font = _font(11, color=MUTED)
    for row, line in enumerate(note, start=3):
        cell = ws[_at("name", row)]
        _text(cell, line)
        cell.font = _font(NOTE_SIZE, color=MUTED)


def _principle_result(
    ws: Worksheet,
    template: Template,
    principle: Principle,
    pc: PrincipleCells,
    fn: formulas.Functions,
) -> int:
    """A principle's row of results, from its sheet's answers; returns the row."""
    th = template.thresholds
    limits = (formulas.num(th.strength), formulas.num(th.developing))

    def column(letter: str) -> str:
        return _ref(pc.sheet, _span(letter, pc.first_row, letter, pc.last_row))

    values, weights = column(VALUE_COLUMN), column(WEIGHT_COLUMN)
    answers, qids = column(ANSWER_COLUMN), column(QID_COLUMN)
    row = pc.summary_row
    score, band, ans, tot, cov, prov = (
        _at(key, row) for key in ("score", "band", "ans", "tot", "cov", "prov")
    )
    _text(ws[_at("name", row)], principle.name)
    ws[score] = fn.wrap(
        "COUPLE_SCORE",
        (answers, weights, formulas.ACCEPT_TABLE),
        formulas.principle_score(values, weights),
    )
    ws[band] = fn.wrap("COUPLE_BAND", (score, *limits), formulas.band(score, th))
    ws[ans] = fn.wrap(
        "COUPLE_ANSWERED", (answers, formulas.ACCEPT_TABLE), formulas.answered(values)
    )
    ws[tot] = formulas.question_count(qids)
    ws[cov] = formulas.coverage(ans, tot)
    below = fn.test(
        "COUPLE_PROVISIONAL",
        (cov, formulas.num(th.min_coverage)),
        formulas.below_minimum(cov, th.min_coverage),
    )
    ws[prov] = formulas.principle_status(score, below, principle.name)
    return row


def _overall_result(
    ws: Worksheet, template: Template, first: int, last: int, fn: formulas.Functions
) -> None:
    """The Overall row, under the principles' rows ``first`` to ``last``."""
    th = template.thresholds
    limits = (formulas.num(th.strength), formulas.num(th.developing))
    row = last + 1

    def rows_of(key: str) -> str:
        return f"{_at(key, first)}:{_at(key, last)}"

    score = _at("score", row)
    ws[_at("name", row)] = "Overall"
    ws[score] = fn.wrap(
        "COUPLE_OVERALL", (rows_of("score"),), formulas.overall_score(rows_of("score"))
    )
    ws[_at("band", row)] = fn.wrap("COUPLE_BAND", (score, *limits), formulas.band(score, th))
    ws[_at("ans", row)] = f"=SUM({rows_of('ans')})"
    ws[_at("tot", row)] = f"=SUM({rows_of('tot')})"
    ws[_at("cov", row)] = formulas.coverage(_at("ans", row), _at("tot", row))
    ws[_at("prov", row)] = formulas.overall_provisional(
        [_at("cov", r) for r in range(first, last + 1)], rows_of("ans"), th.min_coverage
    )


def _name_row(wb: Workbook, ws: Worksheet, suffix: str, row: int, names: dict[str, str]) -> None:
    for kind, key in names.items():
        _add_name(wb, result_name(kind, suffix), ws.title, _abs(SUMMARY_COLUMN[key], row))


def _style_results(ws: Worksheet, first: int, overall: int) -> None:
    """Borders, fonts and number formats of the result rows, and the band colours."""
    for row in range(first, overall + 1):
        for column, _ in SUMMARY_COLUMNS.values():
            cell = ws[f"{column}{row}"]
            cell.border = BOX
            cell.font = _font(11, bold=row == overall)
            cell.alignment = Alignment(horizontal=_align(column), vertical="center")
        ws[_at("score", row)].number_format = "0.0"
        ws[_at("cov", row)].number_format = "0%"
        ws.row_dimensions[row].height = 20
    scores = f"{_at('score', first)}:{_at('band', overall)}"
    band_cell = f"${SUMMARY_COLUMN['band']}{first}"
    for band_word, (fill, color) in BAND_STYLES.items():
        highlight(ws, scores, f'{band_cell}="{band_word}"', fill, color)
    highlight(ws, scores, f"ISERROR(${SUMMARY_COLUMN['score']}{first})", *ERROR_STYLE)


def _radar(ws: Worksheet, template: Template, header: int, last: int) -> RadarChart:
    """The radar of the principles' scores in rows ``header`` + 1 to ``last``, with
    alternative text that says what it shows and where the same numbers are."""
    first = header + 1
    chart = RadarChart()
    chart.type = "marker"
    chart.style = 26
    chart.title = "Your scores by principle"
    score_col = column_index(SUMMARY_COLUMN["score"]) + 1
    name_col = column_index(SUMMARY_COLUMN["name"]) + 1
    data = Reference(ws, min_col=score_col, min_row=header, max_row=last)
    labels = Reference(ws, min_col=name_col, min_row=first, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    top = template.engine_scale.points[-1].value
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = top
    chart.y_axis.majorUnit = 1
    chart.y_axis.delete = False
    chart.legend = None
    chart.height = 9
    chart.width = 16
    count = len(template.principles)
    describe(
        chart,
        f"Radar chart of your score for each of the {_number_word(count)} principles, "
        f"on a scale of 0 to {formulas.num(top)}. The same scores are in the table above "
        f"it, at {_at('score', first)}:{_at('score', last)}, with each principle's band, "
        "how many statements you answered and its status.",
    )
    return chart


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight",
                 "nine", "ten", "eleven", "twelve")  # fmt: skip


def _number_word(n: int) -> str:
    return _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)


# --- charts' alternative text ---------------------------------------------------------
# openpyxl has no place for a chart's alternative text (its drawing's description, what
# screen readers read and Excel's Accessibility Checker looks for), so it is written into
# each drawing part once the workbook's parts are made.

_DESCRIPTION = "description"  # the attribute of an openpyxl chart that holds it
_NS_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DRAWING_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_FRAME_NAME = re.compile(rb"<((?:\w+:)?)graphicFrame\b.*?<\1cNvPr\b([^>]*?)(/?)>", re.DOTALL)
_DESCR = re.compile(rb'\sdescr="[^"]*"')


def describe(chart, text: str) -> None:
    """Give an openpyxl ``chart`` its alternative text."""
    setattr(chart, _DESCRIPTION, text)


def _rels_of(parts: Mapping[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, target part)."""
    folder, name = part.rsplit("/", 1)
    data = parts.get(f"{folder}/_rels/{name}.rels")
    if data is None:
        return {}
    found = {}
    for rel in ElementTree.fromstring(data).iter(f"{_NS_REL}Relationship"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
        found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(target))
    return found


def sheet_drawings(parts: Mapping[str, bytes]) -> dict[str, str]:
    """Each sheet with a drawing (by name) and its drawing part."""
    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    rels = _rels_of(parts, "xl/workbook.xml")
    drawings = {}
    for sheet in book.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
        _, sheet_part = rels.get(sheet.get(_R_ID, ""), ("", ""))
        for kind, target in _rels_of(parts, sheet_part).values():
            if kind == _DRAWING_REL:
                drawings[sheet.get("name", "")] = target
    return drawings


def chart_descriptions(parts: Mapping[str, bytes]) -> dict[str, list[str]]:
    """Each sheet's charts' alternative text, in the order of its drawing."""
    found = {}
    for sheet, drawing in sheet_drawings(parts).items():
        texts = []
        for frame in _FRAME_NAME.finditer(parts[drawing]):
            descr = re.search(rb'\sdescr="([^"]*)"', frame.group(2))
            texts.append(html.unescape(descr.group(1).decode()) if descr else "")
        found[sheet] = texts
    return found


def describe_charts(
    parts: Mapping[str, bytes], texts: Mapping[str, Sequence[str]]
) -> dict[str, bytes]:
    """``parts`` with each sheet's charts given ``texts[sheet]``, in their drawing's order
    (an empty text leaves a chart as it was)."""
    described = dict(parts)
    for sheet, drawing in sheet_drawings(parts).items():
        given = iter(texts.get(sheet, ()))
        described[drawing] = _FRAME_NAME.sub(
            lambda frame, given=given: _give(frame, next(given, "")), parts[drawing]
        )
    return described


def _give(frame: re.Match, text: str) -> bytes:
    """A chart's frame, as ``_FRAME_NAME`` found it, with ``text`` as its description."""
    if not text:
        return frame.group(0)
    value = xml_escape(text, {'"': "&quot;", "\n": "&#10;"}).encode()
    attributes = _DESCR.sub(b"", frame.group(2)) + b' descr="' + value + b'"'
    head = frame.group(0)[: frame.start(2) - frame.start(0)]
    return head + attributes + frame.group(3) + b">"


# --- start sheet --------------------------------------------------------------


LABEL_COLUMN, TEXT_COLUMN = "B", "C"  # the Start sheet's two columns
START_WIDTHS = {"A": 3, LABEL_COLUMN: 24, TEXT_COLUMN: 72}
SENDING_BACK = [
    ("Excel or LibreOffice", "Save the file (keep it as .xlsx) and attach it to an email."),
    ("Google Sheets", "Choose File › Download › Microsoft Excel (.xlsx), then attach the "
     "downloaded file to an email. Please do not send a link to the sheet."),
    ("Apple Numbers", "Choose File › Export To › Excel…, then attach the exported file."),
]  # fmt: skip


def _write_start(
    wb: Workbook,
    ws: Worksheet,
    template: Template,
    meta: WorkbookMetadata,
    review: bool = False,
) -> None:
    """The Start sheet: a label in one column and its text beside it, row by row (a
    merged cell would make screen readers lose their place, and a reader moving down the
    texts hears each one's label). Its first lines say how to move between the cells to
    fill in and where the statements are."""
    for column, width in START_WIDTHS.items():
        ws.column_dimensions[column].width = width
    title = ws[f"{LABEL_COLUMN}1"]
    _text(title, template.title)
    title.font = _font(18, bold=True, color=ACCENT)
    ws.row_dimensions[1].height = 30
    _start_row(ws, 2, "Getting around", _getting_around(template, review))
    row = _start_facts(ws, meta, 3)
    row = _about_you(wb, ws, row + 1)
    sections = [1, row]  # where each part begins: a page may break before it
    row = _start_section(ws, row, "What is COUPLE?", [("", template.introduction)])
    sections.append(row)
    principles = [(p.name, p.description) for p in template.principles]
    row = _start_section(ws, row, "The principles", principles)
    sections.append(row)
    unscored = " or ".join(f"“{u}”" for u in template.engine_scale.unscored)
    steps = [
        "Fill in your name and role above.",
        *(
            [
                f"On the “{REVIEW_SHEET}” sheet, say how each action the partnership agreed "
                "last round is going."
            ]
            if review
            else []
        ),
        f"Each principle has its own sheet (see the tabs below). For each statement, "
        f"choose how far you agree from the list in the yellow “Your answer” cell. "
        f"If a statement does not apply or you cannot judge it, choose {unscored}: "
        f"these answers are left out of your score, never counted as zero.",
        "Use “Comments and evidence” to explain an answer or point to evidence. "
        "The coordinator will see your comments next to other partners’.",
        "At the bottom of each sheet, suggest actions, who could own them and by when.",
        "The Summary sheet shows your scores and updates as you answer. "
        "Answer for your own organisation; there are no right answers.",
    ]
    row = _start_section(
        ws,
        row,
        "How to answer",
        [
            *((f"Step {n}", step) for n, step in enumerate(steps, start=1)),
            ("Please note", "Only the yellow cells can be changed. Please do not rename "
             "or delete sheets."),
        ],
    )  # fmt: skip
    sections.append(row)
    last = _start_section(ws, row, "Sending it back", SENDING_BACK)
    _title_table(
        wb,
        ws,
        START_KEY,
        (f"{LABEL_COLUMN}2", f"{TEXT_COLUMN}{last - 1}"),
        row_titles=LABEL_COLUMN,
        column_titles=False,
    )
    _print_setup(ws, meta, landscape=False)
    _pages_by_section(ws, sections, last - 1)
    _protect(ws)
    ws.sheet_view.showGridLines = False
    # The sheet opens on its title, which a screen reader reads first.
    ws.sheet_view.selection[0].activeCell = ws.sheet_view.selection[0].sqref = title.coordinate


def _getting_around(template: Template, review: bool) -> str:
    """How to move between the cells to fill in, and where the statements are."""
    names = [p.name for p in template.principles]
    where = (
        f"the {_number_word(len(names))} principle sheets, {names[0]} to {names[-1]}"
        if len(names) > 1
        else f"the {names[0]} sheet"
    )
    first = f"the “{REVIEW_SHEET}” sheet, then on " if review else ""
    return (
        "The cells to fill in are yellow. Press Tab to go from one to the next (on these "
        "protected sheets Tab moves only between them) and Shift+Tab to go back. "
        f"Ctrl+Page Down goes to the next sheet: the statements are on {first}{where}, "
        "and your scores on the Summary sheet."
    )


def _label(ws: Worksheet, row: int, text: str, size: float = 11, heading: bool = False) -> None:
    cell = ws[f"{LABEL_COLUMN}{row}"]
    cell.value = text
    cell.font = _font(size, bold=True, color=ACCENT if heading else INK)
    cell.alignment = WRAP_TOP


def _start_row(ws: Worksheet, row: int, label: str, text: str) -> None:
    """A label and its text beside it, wrapped, in a row as tall as they need."""
    if label:
        _label(ws, row, label)
    cell = ws[f"{TEXT_COLUMN}{row}"]
    _text(cell, text)
    cell.font = _font()
    cell.alignment = WRAP_TOP
    label_height = _paragraph_height((label, START_WIDTHS[LABEL_COLUMN]), bold=True)
    ws.row_dimensions[row].height = max(
        label_height, _paragraph_height((text, START_WIDTHS[TEXT_COLUMN]))
    )


def _start_facts(ws: Worksheet, meta: WorkbookMetadata, row: int) -> int:
    """The partnership, the partner, the round, when and to whom; returns the next row."""
    facts = [
        ("Partnership", meta.partnership_name),
        ("Your organisation", meta.partner),
        ("Round", meta.round),
        ("Please return by", due_in_words(meta.due_date)),
        ("Return it to", meta.contact or "the partnership coordinator who sent it to you"),
    ]
    for label, value in facts:
        _label(ws, row, label)
        cell = ws[f"{TEXT_COLUMN}{row}"]
        _text(cell, value)
        cell.font = _font()
        cell.alignment = WRAP_TOP
        row += 1
    return row


RESPONDENT_PROMPTS = {
    RESPONDENT_NAME: "Type your name, so that the coordinator knows whose answers these are.",
    RESPONDENT_ROLE: "Type your role in your organisation, for example Trustee or Manager.",
    RESPONDENT_DATE: "Type the date you finished, for example 18 December 2026.",
}


def _about_you(wb: Workbook, ws: Worksheet, row: int) -> int:
    """The respondent's name, role and date, as named input cells; returns the next row."""
    _label(ws, row, "About you", 13, heading=True)
    row += 1
    for label, name, fmt in (
        ("Your name", RESPONDENT_NAME, None),
        ("Your role", RESPONDENT_ROLE, None),
        ("Date completed", RESPONDENT_DATE, "d mmmm yyyy"),
    ):
        _label(ws, row, label)
        _input(ws[f"{TEXT_COLUMN}{row}"], fmt)
        ws.row_dimensions[row].height = 20
        _add_name(wb, name, ws.title, _abs(TEXT_COLUMN, row))
        _prompt(ws, [f"{TEXT_COLUMN}{row}"], label, RESPONDENT_PROMPTS[name])
        row += 1
    return row


def _start_section(ws: Worksheet, row: int, title: str, items: list[tuple[str, str]]) -> int:
    """A heading after a blank row, then a row for each (label, text) item (a label may
    be empty); returns the next row."""
    row += 1
    _label(ws, row, title, 13, heading=True)
    row += 1
    for label, text in items:
        _start_row(ws, row, label, text)
        row += 1
    return row


# --- saving -------------------------------------------------------------------


# A cell with no value, as openpyxl writes it: <c r="C5" s="5" t="n"/> or with an empty
# closing tag. Excel writes <c r="C5" s="5"/>; some engines (IronCalc) read the former
# as the number 0, so that every blank answer would score as 0.
_VALUELESS_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>\s*</c>)")
_TYPE_ATTRIBUTE = re.compile(rb'\s+t="[^"]*"')


def excel_empty_cells(sheet_xml: bytes) -> bytes:
    """A worksheet part with every cell that holds no value written as Excel writes it:
    without a type (t) attribute. Cells that hold a value or a formula are untouched."""
    return _VALUELESS_CELL.sub(lambda m: _TYPE_ATTRIBUTE.sub(b"", m.group(0)), sheet_xml)


def write_empty_cells_as_excel(path: Path) -> None:
    """Rewrite a saved workbook's worksheet parts through excel_empty_cells, in place."""
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if _is_worksheet(info.filename):
                data = excel_empty_cells(data)
            z.writestr(info, data)


def _is_worksheet(part: str) -> bool:
    return part.startswith("xl/worksheets/") and part.endswith(".xml")


def workbook_parts(wb: Workbook, lite_extension: str | None = None) -> dict[str, bytes]:
    """Every part of ``wb`` as couple_xl writes it: openpyxl's, with empty cells as
    Excel writes them, and with the xlwings Lite code under the web extension id
    ``lite_extension`` when one is given."""
    buffer = io.BytesIO()
    # Stored, not deflated: the parts are read straight back.
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED)).save()
    with zipfile.ZipFile(buffer) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts = {
        name: excel_empty_cells(data) if _is_worksheet(name) else data
        for name, data in parts.items()
    }
    texts = {ws.title: [getattr(c, _DESCRIPTION, "") for c in ws._charts] for ws in wb.worksheets}
    parts = describe_charts(parts, texts)
    if lite_extension is None:
        return parts
    from .addin import embed_lite  # only for --embed-lite: it reads the engine's source

    return embed_lite(parts, lite_extension)


def write_parts(path: Path, parts: Mapping[str, bytes]) -> Path:
    """Write a workbook's parts to ``path``: through a temporary file beside it, so that
    a reader never sees half a file and a failure leaves none (files.atomic_target)."""
    with atomic_target(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def save_atomically(wb: Workbook, path: Path) -> Path:
    """Save ``wb`` to ``path`` as write_parts does, with empty cells as Excel writes them."""
    return write_parts(path, workbook_parts(wb))


def _mode(scoring_mode: str, embed_lite: bool) -> str:
    # Carrying the Lite code, the functions are spelt as Lite stores them.
    return formulas.LITE if embed_lite and scoring_mode == formulas.ADDIN else scoring_mode


def write_workbook(
    template: Template,
    meta: WorkbookMetadata,
    path: Path,
    scoring_mode: str = formulas.ADDIN,
    embed_lite: bool = False,
    agreed: Sequence[AgreedAction] = (),
    extension_id: str | None = None,
) -> Path:
    """Build and save one partner's workbook, optionally carrying the xlwings Lite code
    (under ``extension_id``, a fresh one if not given)."""
    wb = build_workbook(template, meta, _mode(scoring_mode, embed_lite), agreed)
    lite = (extension_id or new_extension_id()) if embed_lite else None
    return write_parts(path, workbook_parts(wb, lite))


def new_extension_id() -> str:
    """A fresh id for the xlwings Lite web extension of one workbook, as Office writes it."""
    return str(uuid.uuid4()).upper()


# --- a round: one workbook built, each partner's stamped ------------------------------

# What differs between the workbooks of a round; the rest of their metadata is shared.
STAMPED = ("partner", "return_id")
EXTENSION_ID = "extension_id"  # the xlwings Lite web extension's id, one per workbook
# Given to the writer with a placeholder's token, so that each of TEXT_FORMS changes it
# in its own way: a page header doubles its "&" and shortens it, a property cuts it
# shorter still. Longer, in UTF-16 units, than any partner's name can be, so that every
# limit that could shorten a name shortens it.
_TEXT_FILLER = "&" + "x" * 2 * MAX_NAME


class RoundWorkbook:
    """A round's workbook, built once with placeholders where its partners differ
    (STAMPED, and the Lite extension's id); ``write`` stamps one partner's into it.
    What it writes equals, part by part, what write_workbook writes for that partner."""

    def __init__(
        self,
        template: Template,
        meta: WorkbookMetadata,
        scoring_mode: str = formulas.ADDIN,
        embed_lite: bool = False,
        agreed: Sequence[AgreedAction] = (),
    ) -> None:
        # A return id's placeholder is a return id itself; the Lite id is put into XML
        # as it is, so it gets no filler ("&" would not be escaped there).
        self._placeholders = {
            "partner": Placeholder.new(_TEXT_FILLER),
            "return_id": Placeholder.new(),
        }
        self._meta = self._placed(meta)
        self._alone = (template, scoring_mode, embed_lite, tuple(agreed))
        lite = None
        if embed_lite:
            self._placeholders[EXTENSION_ID] = Placeholder.new()
            lite = self._placeholders[EXTENSION_ID].text
        wb = build_workbook(template, self._meta, _mode(scoring_mode, embed_lite), agreed)
        self._stencil = Stencil.cut(workbook_parts(wb, lite), self._placeholders, TEXT_FORMS)

    def _placed(self, meta: WorkbookMetadata) -> WorkbookMetadata:
        # Unchecked: the text placeholder is longer than a name may be.
        return meta.unchecked_copy(**{f: self._placeholders[f].text for f in STAMPED})

    def write(self, meta: WorkbookMetadata, path: Path, extension_id: str | None = None) -> Path:
        """Write the workbook of the partner that ``meta`` describes to ``path``
        (atomically), with its Lite code under ``extension_id`` (fresh if not given).

        ValueError if ``meta`` differs from the round's in more than STAMPED.
        """
        if self._placed(meta) != self._meta:
            raise ValueError(f"a round's workbooks differ only in {', '.join(STAMPED)}")
        values = {field: getattr(meta, field) for field in STAMPED}
        if EXTENSION_ID in self._placeholders:
            values[EXTENSION_ID] = extension_id or new_extension_id()
        try:
            parts = self._stencil.stamp(values)
        except CannotStamp:
            # Rare: a name whose custom property is cut just after a space, say.
            template, scoring_mode, embed_lite, agreed = self._alone
            lite = values.get(EXTENSION_ID)
            return write_workbook(template, meta, path, scoring_mode, embed_lite, agreed, lite)
        return write_parts(path, parts)
