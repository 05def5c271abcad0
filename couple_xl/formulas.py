"""Native spreadsheet formulas that reproduce the scoring engine exactly.

They use only functions that Excel (2013+), Excel on the web, LibreOffice and
Google Sheets all share, and avoid MATCH/COUNTIF on typed text, whose wildcards
(* ? ~) would let a typed "?" match an answer. Text is compared with "=", after
the same clean-up as scoring.normalise_text. Functions newer than Excel 2007 are
written with their _xlfn. prefix, as the file format requires.
"""

from __future__ import annotations

from . import scoring

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
    inner = f'SUBSTITUTE({inner},_xlfn.UNICHAR(160)," ")'
    inner = f'SUBSTITUTE({inner},_xlfn.UNICHAR(8217),"\'")'
    inner = f'SUBSTITUTE({inner},_xlfn.UNICHAR(8216),"\'")'
    return f'=IF(ISNUMBER({answer}),"",LOWER(TRIM({inner})))'


def answer_value(answer: str, normal: str) -> str:
    """The scored value of an answer; "" for blank, a text mark for unscored, #N/A if invalid."""
    hits = f"({ACCEPT_TEXT}={normal})"
    looked_up = f"SUMPRODUCT({hits}*{ACCEPT_VALUE})"
    return (
        f"=IF(ISNUMBER({answer}),IF(SUMPRODUCT(--({SCALE_VALUES}={answer}))>0,{answer},NA()),"
        f'IF({normal}="","",IF(SUMPRODUCT(--{hits})=0,NA(),'
        f"IF({looked_up}<0,{text(UNSCORED_MARK)},{looked_up}))))"
    )


def principle_score(values: str, weights: str) -> str:
    """Weighted mean of the scored values; "" when none; an error when any answer is invalid."""
    return (
        f'=IF(COUNT({values})+SUMPRODUCT(--ISERROR({values}))=0,"",'
        f"SUMPRODUCT({values},{weights})/SUMPRODUCT(--ISNUMBER({values}),{weights}))"
    )


def answered(values: str) -> str:
    return f"=COUNT({values})"


def question_count(question_ids: str) -> str:
    return f"=COUNTA({question_ids})"


def coverage(answered_cell: str, total_cell: str) -> str:
    return f"=IF({total_cell}=0,0,{answered_cell}/{total_cell})"


def below_minimum(coverage_cell: str, minimum: float) -> str:
    """TRUE when a coverage is below the minimum (no leading =)."""
    return f"ROUND({coverage_cell},{_R})<{num(minimum)}"


def band(score_cell: str, thresholds: scoring.Thresholds) -> str:
    s = f"ROUND({score_cell},{_R})"
    return (
        f'=IF({score_cell}="","",IF({s}>={num(thresholds.strength)},{text(scoring.STRENGTH)},'
        f"IF({s}>={num(thresholds.developing)},{text(scoring.DEVELOPING)},"
        f"{text(scoring.CONCERN)})))"
    )


def overall_score(scores: str) -> str:
    return f'=IF(COUNT({scores})+SUMPRODUCT(--ISERROR({scores}))=0,"",AVERAGE({scores}))'


def overall_provisional(provisional_cells: str, answered_cells: str) -> str:
    return (
        f"=IF(OR(COUNTIF({provisional_cells},{text(PROVISIONAL)})>0,"
        f'COUNTIF({answered_cells},0)>0),{text(PROVISIONAL)},"")'
    )


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
