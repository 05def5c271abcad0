"""The layout of a generated workbook: sheet names, rows, columns, markers, colours.

Shared by the writer (workbook.py) and the readers (returns.py, summary.py), and
free of spreadsheet libraries so that reading never has to import openpyxl.
"""

from __future__ import annotations

from . import scoring

META_SHEET = "_couple"
START_SHEET = "Start"
SUMMARY_SHEET = "Summary"


def column_index(letter: str) -> int:
    """0-based index of a column letter ("A" is 0)."""
    n = 0
    for ch in letter:
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_letters(index: int) -> str:
    """The letters of a 0-based column index (0 is "A", 26 is "AA")."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# Defined names: the workbook's public contract (README). workbook.py writes them, and
# returns.py and the demo find cells by them; none of them spells a name itself.
RESPONDENT_NAME, RESPONDENT_ROLE, RESPONDENT_DATE = (
    "RESPONDENT_NAME",
    "RESPONDENT_ROLE",
    "RESPONDENT_DATE",
)


def answer_name(question_id: str) -> str:
    return f"Q_{question_id}"


def comment_name(question_id: str) -> str:
    return f"N_{question_id}"


def actions_name(principle_id: str) -> str:
    """The block of a principle's suggested-action rows."""
    return f"ACTIONS_{principle_id}"


def status_name(action_id: str) -> str:
    """The partner's view of an agreed action (a dropdown of the statuses)."""
    return f"ACTION_STATUS_{action_id}"


def note_name(action_id: str) -> str:
    """The partner's comment on an agreed action."""
    return f"ACTION_NOTE_{action_id}"


# Names screen readers look for, so that moving through a table they announce its
# headings (JAWS's convention, which NVDA follows): a name that starts with ColumnTitle
# names the first cell of a row of column titles, RowTitle the first cell of a column of
# row titles, and Title a cell that is both. After a unique part, ".<first>.<last>"
# bounds the region they title, so that each table of a sheet announces its own. They
# are workbook-scoped, like every name of the contract; readers never look them up.
COLUMN_TITLE, ROW_TITLE, TITLE = "ColumnTitle", "RowTitle", "Title"


def title_names(
    key: str,
    top: int,
    left: int,
    bottom: int,
    right: int,
    row_titles: int | None = None,
    column_titles: bool = True,
) -> list[tuple[str, str]]:
    """The names that title the table from row ``top`` (its headings, when
    ``column_titles``) to ``bottom`` and column ``left`` to ``right`` (0-based), with its
    row titles in column ``row_titles`` (None: none), each with the absolute cell it
    names. ``key`` (letters, digits and _) tells apart the tables of a workbook."""
    region = f"{column_letters(left)}{top + 1}.{column_letters(right)}{bottom + 1}"

    def cell(col: int) -> str:
        return f"${column_letters(col)}${top + 1}"

    if column_titles and row_titles == left:
        return [(f"{TITLE}_{key}.{region}", cell(left))]
    names = [(f"{COLUMN_TITLE}_{key}.{region}", cell(left))] if column_titles else []
    if row_titles is not None:
        names.append((f"{ROW_TITLE}_{key}.{region}", cell(row_titles)))
    return names


# The keys of the partner workbook's titled tables other than the principles' (whose
# keys are their ids, which never start with "_").
START_KEY, REVIEW_KEY, SUMMARY_KEY = "_start", "_agreed_actions", "_summary"
ACTIONS_KEY = "_actions"  # after a principle's id: its suggested-actions table


# Principle sheet layout.
HEADER_ROW = 4
FIRST_QUESTION_ROW = 5
NUMBER_COLUMN, STATEMENT_COLUMN, ANSWER_COLUMN, COMMENT_COLUMN = "A", "B", "C", "D"
QID_COLUMN, NORMAL_COLUMN, VALUE_COLUMN, WEIGHT_COLUMN = "E", "F", "G", "H"
ANSWER_HEADER = "Your answer"
HEADERS = {
    NUMBER_COLUMN: "#",
    STATEMENT_COLUMN: "Statement",
    ANSWER_COLUMN: ANSWER_HEADER,
    COMMENT_COLUMN: "Comments and evidence",
}
QID_HEADER = "question_id"
HIDDEN_HEADERS = {
    QID_COLUMN: QID_HEADER,
    NORMAL_COLUMN: "normalised",
    VALUE_COLUMN: "value",
    WEIGHT_COLUMN: "weight",
}
# Where the answer stands from its hidden question id, when no header row says so.
ANSWER_FROM_QID = column_index(QID_COLUMN) - column_index(ANSWER_COLUMN)
ACTION_MARK = "action"
# The action table: a number, then action, owner and by when, in the columns the
# statements, answers and comments use above it.
ACTION_COLUMNS = (STATEMENT_COLUMN, ANSWER_COLUMN, COMMENT_COLUMN)
ACTION_HEADERS = ("Action", "Owner", "By when")
# Where the action text stands from the answer column, for the hidden-id fallback.
ACTION_FROM_ANSWER = column_index(ACTION_COLUMNS[0]) - column_index(ANSWER_COLUMN)
WIDTHS = {"A": 5, "B": 62, "C": 30, "D": 52}

# The review of the actions agreed after the last round (new --plan): a sheet before the
# principles, one row per action, the partner's view in two input columns.
REVIEW_SHEET = "Agreed actions"
REVIEW_HEADER_ROW = 4
REVIEW_COLUMNS = {
    "number": ("A", "#"),
    "principle": ("B", "Principle"),
    "action": ("C", "Agreed action"),
    "lead": ("D", "Lead"),
    "due": ("E", "Due"),
    "status": ("F", "How is it going?"),
    "note": ("G", "Comment"),
}
REVIEW_ID_COLUMN = "H"  # hidden: the action id
# Hidden: the status as typed, cleaned (as an answer is), and 1 when it is not a listed one.
REVIEW_NORMAL_COLUMN, REVIEW_CHECK_COLUMN = "I", "J"
REVIEW_BANNER_ROW = 3  # names the actions whose status is not from the list
REVIEW_WIDTHS = {"A": 5, "B": 16, "C": 46, "D": 16, "E": 12, "F": 16, "G": 40}
PLAN_JSON = "plan_json"  # metadata keys plan_json.1, .2 … hold the agreed actions

# Summary sheet layout: a column for each part of a principle's result, in a table under
# the title and the lines that say how to read it (their number depends on the template).
SUMMARY_COLUMNS = {
    "name": ("B", "Principle"),
    "score": ("C", "Score"),
    "band": ("D", "Band"),
    "ans": ("E", "Answered"),
    "tot": ("F", "Questions"),
    "cov": ("G", "Coverage"),
    "prov": ("H", "Status"),
}
SUMMARY_COLUMN = {key: column for key, (column, _) in SUMMARY_COLUMNS.items()}
# Defined names on the Summary's result rows: <kind>_<principle id>, and <kind>_OVERALL
# on the overall row, each naming the column of its key above.
OVERALL = "OVERALL"
RESULT_NAMES = {
    "SCORE": "score",
    "BAND": "band",
    "ANSWERED": "ans",
    "COVERAGE": "cov",
    "PROVISIONAL": "prov",
}
OVERALL_NAMES = {"SCORE": "score", "BAND": "band", "PROVISIONAL": "prov"}


def result_name(kind: str, principle_id: str) -> str:
    """A result cell's defined name: result_name("SCORE", "commitment") is SCORE_commitment."""
    return f"{kind}_{principle_id}"


# Hidden metadata sheet layout: a title in A1, key/value pairs from row 3 in A:B, the
# accepted-answer lookup in D:E, the scale's values in G.
META_TITLE = "couple_xl metadata"
META_FIRST_ROW = 3
META_KEY_COLUMN, META_VALUE_COLUMN = "A", "B"
META_ACCEPT_TEXT_COLUMN, META_ACCEPT_VALUE_COLUMN, META_SCALE_COLUMN = "D", "E", "G"
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
BORDER_COLOUR = "9CA3AF"  # the thin border of input cells and boxes

BAND_STYLES = {
    scoring.STRENGTH: ("C6EFCE", "006100"),
    scoring.DEVELOPING: ("FFEB9C", "7A4F01"),
    scoring.CONCERN: ("FFC7CE", "9C0006"),
}
ERROR_STYLE = ("FFC7CE", "9C0006")
