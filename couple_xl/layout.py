"""The layout of a generated workbook: sheet names, rows, columns, markers, colours.

Shared by the writer (workbook.py) and the readers (returns.py, summary.py), and
free of spreadsheet libraries so that reading never has to import openpyxl.
"""

from __future__ import annotations

from . import scoring

META_SHEET = "_couple"
START_SHEET = "Start"
SUMMARY_SHEET = "Summary"

# Principle sheet layout.
HEADER_ROW = 4
FIRST_QUESTION_ROW = 5
NUMBER_COLUMN, STATEMENT_COLUMN, ANSWER_COLUMN, COMMENT_COLUMN = "A", "B", "C", "D"
QID_COLUMN, NORMAL_COLUMN, VALUE_COLUMN, WEIGHT_COLUMN = "E", "F", "G", "H"
HIDDEN_HEADERS = {
    QID_COLUMN: "question_id",
    NORMAL_COLUMN: "normalised",
    VALUE_COLUMN: "value",
    WEIGHT_COLUMN: "weight",
}
ACTION_MARK = "action"
WIDTHS = {"A": 5, "B": 62, "C": 30, "D": 52}

# Summary sheet layout.
SUMMARY_HEADER_ROW = 5
SUMMARY_COLUMNS = ["Principle", "Score", "Band", "Answered", "Questions", "Coverage", "Status"]

# Hidden metadata sheet layout: key/value in A:B, answer lookup in D:E, scale values in G.
TEMPLATE_CHUNK = 30_000  # a cell holds at most 32,767 characters

FONT = "Calibri"
INK = "1F2937"
MUTED = "4B5563"
ACCENT = "1F4E79"


def wrapped_lines(text: str, width: float, chars_per_unit: float) -> int:
    """Lines that wrapped text needs in a column ``width`` units wide, at roughly
    ``chars_per_unit`` characters per unit of width (no library can auto-fit rows)."""
    per_line = max(1, int(width * chars_per_unit))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


HEADER_COLOUR = "DCE6F1"
INPUT_COLOUR = "FFF8DC"

BAND_STYLES = {
    scoring.STRENGTH: ("C6EFCE", "006100"),
    scoring.DEVELOPING: ("FFEB9C", "7A4F01"),
    scoring.CONCERN: ("FFC7CE", "9C0006"),
}
ERROR_STYLE = ("FFC7CE", "9C0006")
