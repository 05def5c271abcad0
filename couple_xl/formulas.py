"""Native spreadsheet formulas that reproduce the scoring engine exactly.

Partners open their workbook in whatever they have, so every formula here must give
the engine's value in Excel (2013 and later, and on the web), LibreOffice, Gnumeric
and Google Sheets alike. The tests recalculate real workbooks in LibreOffice, Gnumeric,
formualizer and IronCalc (the last two written to Excel's rules), compare every result
cell with a second scorer, and run every function and coercion used here as a single-
formula probe against Excel's documented result (tests/probes.py). What is avoided, and why:

- Array evaluation inside scalar functions, such as ``SUMPRODUCT(--ISNUMBER(range))``
  or ``ROUND(range, 9)``: Excel and LibreOffice evaluate the range cell by cell,
  Gnumeric takes the cell on the formula's own row (implicit intersection), so the
  result depends on where the formula sits. Ranges are only ever given to functions
  that take ranges (SUM, COUNT, AVERAGE, SUMIF, COUNTIF, SUMPRODUCT of plain ranges or
  of one comparison), and a test over several cells is written out cell by cell.
- MATCH and COUNTIF on typed text: their wildcards (* ? ~) would let a typed "?" match
  an answer. Text is compared with "=", after the same clean-up as
  ``scoring.normalise_text``; COUNTIF is used only with a fixed word of ours or a number.
- UNICHAR (and any function newer than Excel 2007): a Gnumeric save turns
  ``_xlfn.UNICHAR`` into ``_xlfngnumeric.UNICHAR``, which no other app knows. The
  characters to fold (a non-breaking space, curly apostrophes) are written literally.
- Telling a boolean from a number with ISNUMBER: LibreOffice keeps TRUE as the number 1
  (ISNUMBER(TRUE) is TRUE there), so ISLOGICAL is asked first.
- Equality of numbers that differ in the last bits: LibreOffice's "=" and COUNTIF treat
  nearly equal numbers as equal, Excel and Gnumeric do not; answers are rounded first.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import scoring
from .layout import result_name

# Defined names of the lookup table on the hidden sheet.
ACCEPT_TEXT = "COUPLE_ACCEPT_TEXT"
ACCEPT_VALUE = "COUPLE_ACCEPT_VALUE"
SCALE_VALUES = "COUPLE_SCALE_VALUES"
ACCEPT_TABLE = "COUPLE_ACCEPT"  # both columns, for the COUPLE_ functions
UNSCORED_CODE = scoring.UNSCORED_CODE
# What a helper cell shows for an unscored answer; text, so COUNT and SUMPRODUCT skip it.
UNSCORED_MARK = "unscored"
PROVISIONAL = "Provisional"

_R = scoring.COMPARE_DIGITS


def num(x: float) -> str:
    """A number as a formula literal (no exponent, no trailing .0)."""
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


def text(s: str) -> str:
    """A string as a formula literal."""
    return '"' + s.replace('"', '""') + '"'


def normalised(answer: str) -> str:
    """The cleaned, lower-cased text of an answer cell (see scoring.normalise_text)."""
    inner = f"CLEAN({answer})"
    inner = f'SUBSTITUTE({inner},"\u00a0"," ")'
    inner = f'SUBSTITUTE({inner},"\u2019","\'")'
    inner = f'SUBSTITUTE({inner},"\u2018","\'")'
    return f'=IF(ISNUMBER({answer}),"",LOWER(TRIM({inner})))'


def answer_value(answer: str, normal: str) -> str:
    """The scored value of an answer; "" for blank, a text mark for unscored, #N/A if invalid.

    The rules are scoring.read_answer's: TRUE and FALSE and error values are invalid
    (ISLOGICAL first, as LibreOffice counts TRUE as the number 1), and a number counts
    when it is a point of the scale to COMPARE_DIGITS decimals (LibreOffice would match
    5.000000000000004 with 5 anyway, Gnumeric would not)."""
    hits = f"({ACCEPT_TEXT}={normal})"
    looked_up = f"SUMPRODUCT({hits}*{ACCEPT_VALUE})"
    number = f"ROUND({answer},{_R})"
    return (
        f"=IF(OR(ISLOGICAL({answer}),ISERROR({answer})),NA(),"
        f"IF(ISNUMBER({answer}),IF(COUNTIF({SCALE_VALUES},{number})>0,{number},NA()),"
        f'IF({normal}="","",IF(SUMPRODUCT(--{hits})=0,NA(),'
        f"IF({looked_up}<0,{text(UNSCORED_MARK)},{looked_up})))))"
    )


def _flagged(flags: Sequence[str], what: str, one: str, several: str) -> tuple[str, str]:
    """(how many of ``flags`` are TRUE, a sentence naming them by their 1-based number).

    Each flag is tested on its own cell (no range inside a scalar function), and the
    count starts from 0+ so that a single TRUE becomes the number 1."""
    count = "(0+" + "+".join(f"({flag})" for flag in flags) + ")"
    numbers = "&".join(f'IF({flag},", {n}","")' for n, flag in enumerate(flags, start=1))
    which = f"MID({numbers},3,{8 * len(flags) + 8})"
    sentence = (
        f'IF({count}=1,"{one} {what} "&{which}&": it is not from the list",'
        f'"{several} {what}s "&{which}&": they are not from the list")'
    )
    return count, sentence


def _blank_or_error(values: str) -> str:
    """For a range with no number: its first error (#N/A from an invalid answer), else ""."""
    return f'IF(ISERROR(SUM({values})),SUM({values}),"")'


def principle_score(values: str, weights: str) -> str:
    """Weighted mean of the scored values; "" when none; #N/A when any answer is invalid.

    SUMPRODUCT and SUM pass an error on; SUMIF(values, ">=0", weights) adds the weights
    of the scored values only (text marks and blanks never match a number)."""
    return (
        f"=IF(COUNT({values})=0,{_blank_or_error(values)},"
        f'SUMPRODUCT({values},{weights})/SUMIF({values},">=0",{weights}))'
    )


def score_banner(principle_id: str, values: Sequence[str]) -> str:
    """The line above a principle's statements: its live score and band, in words, or
    which statements (by number) have an answer that is not from the list. ``values``
    are the statements' value cells, in order."""
    score, band, prov = (result_name(k, principle_id) for k in ("SCORE", "BAND", "PROVISIONAL"))
    count, which = _flagged(
        [f"ISERROR({v})" for v in values],
        "statement",
        "Check your answer to",
        "Check your answers to",
    )
    return (
        f'=IF(ISERROR({score}),IF({count}=0,"Check your answers",{which}),'
        f'IF({score}="","Not answered yet",'
        f'TEXT({score},"0.0")&" – "&{band}&'
        f'IF({prov}="",""," (provisional)")))'
    )


def status_check(status: str, normal: str, accepted: Sequence[str]) -> str:
    """1 when an agreed action's status cell holds anything but one of the listed
    statuses (``accepted``: their normalised spellings, see actions.status_of), else 0."""
    listed = ",".join(f"{normal}={text(a)}" for a in accepted)
    return (
        f"=IF(OR(ISNUMBER({status}),ISLOGICAL({status}),ISERROR({status})),1,"
        f'IF({normal}="",0,IF(OR({listed}),0,1)))'
    )


def status_banner(checks: Sequence[str]) -> str:
    """Above the agreed actions: which actions (by number) have a status that is not
    from the list; blank when there is none. ``checks`` are the status_check cells."""
    count, which = _flagged(
        [f"{c}=1" for c in checks], "action", "Check the status of", "Check the statuses of"
    )
    return f'=IF({count}=0,"",{which})'


def answered(values: str) -> str:
    return f"=COUNT({values})"


def question_count(question_ids: str) -> str:
    return f"=COUNTA({question_ids})"


def coverage(answered_cell: str, total_cell: str) -> str:
    return f"=IF({total_cell}=0,0,{answered_cell}/{total_cell})"


def below_minimum(coverage_cell: str, minimum: float) -> str:
    """TRUE when a coverage is below the minimum (no leading =)."""
    return f"ROUND({coverage_cell},{_R})<{num(minimum)}"


def principle_status(score_cell: str, below_minimum_test: str, principle_name: str) -> str:
    """A principle's Status: where to look when an answer is invalid, else Provisional
    when too few statements are rated, else blank."""
    check = text(f"Check the answers on the {principle_name} sheet")
    return f'=IF(ISERROR({score_cell}),{check},IF({below_minimum_test},{text(PROVISIONAL)},""))'


def band(score_cell: str, thresholds: scoring.Thresholds) -> str:
    s = f"ROUND({score_cell},{_R})"
    return (
        f'=IF({score_cell}="","",IF({s}>={num(thresholds.strength)},{text(scoring.STRENGTH)},'
        f"IF({s}>={num(thresholds.developing)},{text(scoring.DEVELOPING)},"
        f"{text(scoring.CONCERN)})))"
    )


def overall_score(scores: str) -> str:
    return f"=IF(COUNT({scores})=0,{_blank_or_error(scores)},AVERAGE({scores}))"


def overall_provisional(coverage_cells: list[str], answered_cells: str, minimum: float) -> str:
    """Provisional when any principle's coverage is below the minimum or it has no rated
    answer, as the engine says, whether or not a principle also has an invalid answer.
    Each coverage is tested on its own: ROUND over a range would be an array."""
    tests = [below_minimum(cell, minimum) for cell in coverage_cells]
    return f'=IF(OR({",".join(tests)},COUNTIF({answered_cells},0)>0),{text(PROVISIONAL)},"")'


# --- statistics across partners (the summary's Compare sheets) -------------------


def mean_of(cells: str) -> str:
    return f'=IF(COUNT({cells})=0,"",AVERAGE({cells}))'


def spread_of(cells: str) -> str:
    return f'=IF(COUNT({cells})=0,"",MAX({cells})-MIN({cells}))'


def sd_of(cells: str) -> str:
    """The population standard deviation, as scoring.population_sd."""
    return f'=IF(COUNT({cells})=0,"",STDEVP({cells}))'


def spread_reaches(cells: str, limit: str) -> str:
    """TRUE when the spread reaches ``limit``, rounded as the engine rounds (no leading =)."""
    return f"ROUND(MAX({cells})-MIN({cells}),{_R})>={limit}"


def agreement(cells: str, disagree_test: str, disagree_word: str) -> str:
    """Blank with fewer than two scores; else the disagreement word or "Agree"."""
    return f'=IF(COUNT({cells})<2,"",IF({disagree_test},{text(disagree_word)},"Agree"))'


# --- COUPLE_ functions with a native fallback ------------------------------------

NATIVE = "native"  # native formulas only
ADDIN = "addin"  # COUPLE_ functions by plain name (classic add-in), native fallback
LITE = "lite"  # COUPLE_ functions as xlwings Lite persists them, native fallback
MODES = (ADDIN, NATIVE, LITE)

# Excel stores a call to an Office add-in's custom function (xlwings Lite) with this
# prefix; a VBA function (the classic add-in) is stored by its plain name.
LITE_PREFIX = "_xldudf_"


class Functions:
    """Writes score formulas for one mode: a COUPLE_ call wrapped in IFERROR around
    the native formula, or the native formula alone."""

    def __init__(self, mode: str = ADDIN) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown scoring mode {mode!r}; use one of {', '.join(MODES)}")
        self.mode = mode

    def call(self, name: str, *args: str) -> str | None:
        if self.mode == NATIVE:
            return None
        prefix = LITE_PREFIX if self.mode == LITE else ""
        return f"{prefix}{name}({','.join(args)})"

    def wrap(self, name: str, args: tuple[str, ...], native: str) -> str:
        """=IFERROR(COUPLE_X(args), native): the add-in's answer where it runs, the
        native formula's where it does not (#NAME?) or where the answer is invalid."""
        udf = self.call(name, *args)
        return native if udf is None else f"=IFERROR({udf},{native.removeprefix('=')})"

    def test(self, name: str, args: tuple[str, ...], native_test: str) -> str:
        """A TRUE/FALSE test from the add-in, falling back to a native test."""
        udf = self.call(name, *args)
        return native_test if udf is None else f"IFERROR({udf},{native_test})"
