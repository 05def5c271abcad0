"""Excel's own limits, measured as Excel measures them: in UTF-16 code units.

An emoji or any character outside the Basic Multilingual Plane is one Python character
but two UTF-16 units, so a 31-character name ending in an emoji is 32 units long: too
long for a sheet name, though Python's len() says 31. Templates and names are checked
against these limits when they come in (`templates check`, `new`), and text that
couple_xl builds itself (a dropdown's title, a page header) is fitted to them.

A sheet's grid and a chart's series have limits too, which the summary meets at scale
(a Data row for every answer, a Questions column for every respondent, a chart series
for every round or partner). XlsxWriter refuses a cell past the grid and drops a series
past the 255th with no more than a log message, so the summary writer takes these
limits as a value (``SheetLimits``), which tests make small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SHEET_NAME = 31  # a sheet's name
VALIDATION_TITLE = 32  # a data validation's input-message and error titles
VALIDATION_TEXT = 255  # a data validation's input message and error message
LIST_SOURCE = 255  # a dropdown's list written into the validation itself
HEADER_FOOTER = 255  # one page header or footer, codes included
CUSTOM_PROPERTY = 255  # the text of a custom document property
CELL_TEXT = 32_767  # the text of one cell
ROWS = 1_048_576  # rows of a sheet
COLUMNS = 16_384  # columns of a sheet, A to XFD
CHART_SERIES = 255  # series of one chart
SHEET_NAME_FORBIDDEN = "[]:*?/\\"
# Sheet names Excel keeps for itself (it uses "History" for tracked changes).
RESERVED_SHEET_NAMES = frozenset({"history"})
ELLIPSIS = "…"


@dataclass(frozen=True)
class SheetLimits:
    """The size of a sheet and of a chart, as a writer must respect them."""

    rows: int = ROWS
    columns: int = COLUMNS
    chart_series: int = CHART_SERIES

    def __post_init__(self) -> None:
        # The smallest grid the summary can lay out: a Data sheet's header row and first
        # row; and the Questions sheet's seven columns for one respondent.
        if self.rows < 2 or self.columns < 7 or self.chart_series < 1:
            raise ValueError(f"limits too small to write a summary within: {self}")


SHEET_LIMITS = SheetLimits()


def units(text: str) -> int:
    """Length in UTF-16 code units, as Excel counts it."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int, measure: Callable[[str], int] = units) -> str:
    """``text`` if it fits in ``limit`` units, else as much as fits followed by "…",
    cut between characters (never inside a surrogate pair)."""
    if measure(text) <= limit:
        return text
    cut = text
    while cut and measure(cut + ELLIPSIS) > limit:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def cut(text: str, limit: int) -> str:
    """The longest start of ``text`` that fits in ``limit`` units, with no ellipsis (a
    custom property keeps this much; readers take it as agreeing with the full value)."""
    while units(text) > limit:
        text = text[: len(text) - max(1, (units(text) - limit) // 2)]
    return text


def sheet_name_problem(name: str) -> str | None:
    """Why Excel would refuse ``name`` as a sheet name, or None."""
    if units(name) > SHEET_NAME:
        return (
            f"is {units(name)} characters as Excel counts them (an emoji counts as two); "
            f"a sheet name can have at most {SHEET_NAME}"
        )
    bad = sorted({ch for ch in name if ch in SHEET_NAME_FORBIDDEN})
    if bad:
        return f"contains {' '.join(bad)}, which Excel does not allow in a sheet name"
    if name.startswith("'") or name.endswith("'"):
        return "starts or ends with an apostrophe, which Excel does not allow in a sheet name"
    if name.casefold() in RESERVED_SHEET_NAMES:
        return f"'{name}' is a sheet name Excel keeps for itself"
    return None
