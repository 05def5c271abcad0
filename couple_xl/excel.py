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

import math
import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from functools import lru_cache

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


def fit_words(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` units, else its first whole words followed by
    "…" (cut inside the first word only when that word alone is too long)."""
    text = " ".join(text.split())
    if units(text) <= limit:
        return text
    words = text.split(" ")
    for n in range(len(words) - 1, 0, -1):
        start = " ".join(words[:n]).rstrip(" ,;:-–—·")
        if start and units(start + ELLIPSIS) <= limit:
            return start + ELLIPSIS
    return fit(text, limit)


def sheet_title(name: str, taken: Container[str] = (), prefix: str = "") -> str:
    """A sheet name made of ``prefix`` and ``name`` that Excel accepts: ``name`` without the
    characters a sheet name may not hold, shortened at a word boundary with "…" to fit
    31 units, and numbered " (2)", " (3)", … where it would repeat a name in ``taken``
    (given in lower case: Excel compares sheet names ignoring case)."""
    clean = "".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in name)
    clean = " ".join(clean.split()).strip("'").strip() or "Sheet"
    n = 1
    while True:
        suffix = "" if n == 1 else f" ({n})"
        room = SHEET_NAME - units(prefix) - units(suffix)
        title = (prefix + fit_words(clean, room)).rstrip("' ") + suffix
        if title.casefold() not in taken and sheet_name_problem(title) is None:
            return title
        n += 1


# --- text as Excel measures it, for column widths and row heights ----------------------
# XlsxWriter's table of character widths is Calibri 11's, in pixels at 96 dpi, as its
# autofit() uses them; other sizes scale with the font. Bold Calibri (and Carlito, its
# metric twin that LibreOffice uses) is about 2% wider: 5% leaves a margin.

BASE_FONT_SIZE = 11
CELL_PADDING = 7  # pixels Excel keeps around a cell's text (what autofit adds)
BOLD_WIDTH = 1.05
LINE_POINTS = 15 / 11  # a line of text, in points of row height per point of font size
DEFAULT_ROW_POINTS = 15.0  # a row of Calibri 11
DEFAULT_COLUMN_PIXELS = 64  # a column of Excel's default width, 8.43 characters
MAX_COLUMN_PIXELS = 1790  # the widest column Excel allows, 255 characters
# Where a word too long for its line may break: after these, else between characters.
_BREAK_AFTER = re.compile(r"[^-/\\]+[-/\\]*|[-/\\]+")


def _scale(size: float, bold: bool) -> float:
    return size / BASE_FONT_SIZE * (BOLD_WIDTH if bold else 1.0)


# The summary measures the same few texts (headings, statements, the scale's words) again
# and again among texts that never recur (file names, ids): a small cache keeps the first
# and lets the others go, where a large one held every text of a large run.
MEASURES_KEPT = 1 << 12


@lru_cache(maxsize=MEASURES_KEPT)
def text_pixels(text: str, size: float = BASE_FONT_SIZE, bold: bool = False) -> int:
    """The width a cell needs to show ``text`` (its widest line) unwrapped, in pixels,
    padding included: XlsxWriter's ``cell_autofit_width``, scaled to the font."""
    from xlsxwriter.utility import cell_autofit_width

    widest = max((cell_autofit_width(line) for line in text.split("\n")), default=0)
    if not widest:
        return 0
    return math.ceil((widest - CELL_PADDING) * _scale(size, bold)) + CELL_PADDING


@lru_cache(maxsize=MEASURES_KEPT)
def wrapped_lines(text: str, pixels: int, size: float = BASE_FONT_SIZE, bold: bool = False) -> int:
    """How many lines ``text`` takes when wrapped in a cell ``pixels`` wide: words fill
    each line in turn, as Excel and LibreOffice wrap them; a word longer than a line is
    broken after a hyphen or slash, else between characters."""
    from xlsxwriter.utility import xl_pixel_width

    scale = _scale(size, bold)
    room = max(1.0, (pixels - CELL_PADDING) / scale)
    space = xl_pixel_width(" ")
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split(" "):
            gap = space if used else 0
            width = xl_pixel_width(word)
            if used + gap + width <= room:
                used += gap + width
                continue
            if width <= room:
                lines, used = lines + (1 if used else 0), width
                continue
            for piece in _pieces(word, room, xl_pixel_width):
                width = xl_pixel_width(piece)
                gap = space if used and piece is word else 0
                if used and used + gap + width > room:
                    lines, used = lines + 1, 0.0
                used += width
    return lines


def _pieces(word: str, room: float, measure: Callable[[str], int]) -> list[str]:
    """A word too wide for a line, in the pieces a line can hold."""
    pieces: list[str] = []
    current = ""
    for part in _BREAK_AFTER.findall(word):
        if measure(current + part) <= room:
            current += part
            continue
        if current:
            pieces.append(current)
            current = ""
        for ch in part:
            if current and measure(current + ch) > room:
                pieces.append(current)
                current = ""
            current += ch
    if current:
        pieces.append(current)
    return pieces


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def break_lines(
    text: str, pixels: int, size: float = BASE_FONT_SIZE, bold: bool = False
) -> list[str]:
    """``text`` as lines that each fit, unwrapped, in ``pixels`` (``text_pixels``): for
    text that runs on over empty cells, a line a row, where a merged cell would make
    screen readers lose their place. Whole sentences share a line while they fit; a
    sentence too long for one is broken between words (a word too long for a line,
    between characters); each paragraph ("\n") starts a line."""

    def fits(line: str) -> bool:
        return text_pixels(line, size, bold) <= pixels

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for sentence in _SENTENCE.split(paragraph.strip()):
            joined = f"{line} {sentence}" if line else sentence
            if fits(joined):
                line = joined
                continue
            if line:
                lines.append(line)
            line = ""
            for word in sentence.split(" "):
                joined = f"{line} {word}" if line else word
                if fits(joined):
                    line = joined
                    continue
                if line:
                    lines.append(line)
                line = word
                while not fits(line) and len(line) > 1:
                    cut = len(line) - 1
                    while cut > 1 and not fits(line[:cut]):
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
        lines.append(line)
    return lines


def line_points(size: float = BASE_FONT_SIZE) -> float:
    """The row height one line of text of ``size`` points needs, in points."""
    return size * LINE_POINTS


def column_pixels(width: float) -> int:
    """A column width in Excel's character units, in pixels (as XlsxWriter converts it)."""
    return int(width * 7 + 0.5) + 5
