"""Single-formula probes: one for each function and coercion the workbooks use, with
Excel's result.

Each probe cites the sentence of Microsoft's function reference that decides its result;
where the reference says nothing, the probe is marked undocumented and says why its
result is what Excel gives. `relied` marks the behaviours couple_xl's formulas depend
on: those must give Excel's result in every engine. The others are behaviours the
formulas avoid on purpose (formulas.py says why); for them an engine may record a
known departure, which the test asserts exactly, so that a change in an engine shows.

The probes read a small sheet of inputs (INPUTS), laid out as the workbooks' own
helper cells are: scored values beside text marks, a typed error, a boolean cell, text
that looks like a number, a date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tests.excel_engines import ErrorValue

INPUT_SHEET, PROBE_SHEET = "Inputs", "Probes"

SUMPRODUCT = "https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.sumproduct"
SUM = "https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.sum"
COUNT = "https://support.microsoft.com/en-us/excel/count-function"
AVERAGE = "https://learn.microsoft.com/en-us/previous-versions/office/developer/office-2010/ff836809(v=office.14)"
COUNTIF = "https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.countif"
COUNTBLANK = "https://support.microsoft.com/en-us/Excel/countblank-function"
TRIM = "https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.trim"
CLEAN = "https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.clean"
SUBSTITUTE = "https://support.microsoft.com/en-US/excel/functions/substitute-function"
LOWER = "https://support.microsoft.com/en-us/excel/lower-function"
IS_FUNCTIONS = "https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.islogical"
ISERROR = "https://learn.microsoft.com/en-us/previous-versions/office/developer/office-2010/ff835263(v=office.14)"
IFERROR = "https://support.microsoft.com/en-US/Excel/iferror-function"
NA = "https://support.microsoft.com/de-de/excel/functions/na-function"
MATCH = "https://learn.microsoft.com/en-us/office/VBA/api/excel.worksheetfunction.match"
ROUND = "https://learn.microsoft.com/en-us/office/vba/api/excel.worksheetfunction.round"
MID = "https://support.microsoft.com/zh-CN/Excel/functions/mid-function"
COUNTA = "https://support.microsoft.com/en-us/Excel/functions/counta-function"
OR = "https://learn.microsoft.com/en-gb/office/vba/api/excel.worksheetfunction.or"

# The inputs, by cell of INPUT_SHEET. A formula (a str starting with "=") is written as
# one; "#DIV/0!" is written as a typed error value.
INPUTS: dict[str, object] = {
    # A scored value, a blank helper (formula ""), the unscored mark, an invalid answer.
    "A1": 4, "A2": '=""', "A3": "unscored", "A4": "=NA()",
    "B1": 1, "B2": 1, "B3": 1, "B4": 1,
    # The accepted-answer lookup: text and value.
    "C1": "agree", "C2": "disagree", "C3": "n/a", "C4": "strongly agree",
    "D1": 4, "D2": 2, "D3": -1, "D4": 5,
    # The scale's values.
    "E1": 1, "E2": 2, "E3": 3, "E4": 4, "E5": 5,
    # Cells a partner can type: a boolean, a number as text, a number, an error, a date,
    # a number a hair off the scale, a non-breaking space, a tab, wildcards.
    "F1": True, "F2": "4", "F3": 4, "F4": "#DIV/0!", "F5": dt.date(2026, 4, 5),
    "F6": 5.000000000000004, "F7": "\u00a0agree", "F8": "\tagree", "F9": "?",
    # For SUMPRODUCT over text and booleans: the text "4", TRUE and 5, with weights 1.
    "G1": "4", "G2": True, "G3": 5, "H1": 1, "H2": 1, "H3": 1,
    # Answered counts, two of them 0.
    "I1": 0, "I2": 2, "I3": 0,
}  # fmt: skip


@dataclass(frozen=True)
class Probe:
    """One formula, Excel's result for it, and where that result is documented."""

    id: str
    formula: str
    excel: object  # float, str, bool or ErrorValue
    relied: bool  # couple_xl's formulas depend on it
    source: str  # the page of Microsoft's reference, "" when undocumented
    says: str  # the sentence that decides the result, or why it is expected
    # Engines known to give something else (only for behaviours the formulas avoid):
    # engine name -> what it gives.
    departures: dict[str, object] = field(default_factory=dict)

    @property
    def documented(self) -> bool:
        return bool(self.source)


def _p(*args, **kwargs) -> Probe:
    return Probe(*args, **kwargs)


PROBES: list[Probe] = [
    # --- SUMPRODUCT over text and booleans ---------------------------------------
    _p("sumproduct-text-marks", "=SUMPRODUCT(Inputs!A1:A3,Inputs!B1:B3)", 4.0, True,
       SUMPRODUCT, "SumProduct treats array entries that are not numeric as if they were zeros."),
    _p("sumproduct-error", "=ISERROR(SUMPRODUCT(Inputs!A1:A4,Inputs!B1:B4))", True, True,
       "", "Undocumented: an error value in an array that is multiplied is the result, as "
       "in any arithmetic on an error (an invalid answer's #N/A reaches the score)."),
    _p("sumproduct-number-text", "=SUMPRODUCT(Inputs!G1:G3,Inputs!H1:H3)", 5.0, False,
       SUMPRODUCT, "SumProduct treats array entries that are not numeric as if they were "
       "zeros: the text \"4\" and TRUE count 0, so only the 5 is summed.",
       departures={"libreoffice": 6.0, "formualizer": 10.0}),  # TRUE as 1; "4" as 4 too
    _p("sumproduct-double-negation", '=SUMPRODUCT(--(Inputs!C1:C4="agree"))', 1.0, True,
       "", "Undocumented: -- turns each TRUE of a comparison into 1 and FALSE into 0, "
       "which is how Excel's own SUMPRODUCT example counts matches."),
    _p("sumproduct-lookup", '=SUMPRODUCT((Inputs!C1:C4="n/a")*Inputs!D1:D4)', -1.0, True,
       "", "Undocumented: multiplying a comparison by a range multiplies TRUE as 1 and "
       "FALSE as 0, picking the one matching value."),
    # --- SUMIF, SUM, COUNT, AVERAGE ------------------------------------------------
    _p("sumif-numbers-only", '=SUMIF(Inputs!A1:A3,">=0",Inputs!B1:B3)', 1.0, True,
       "", "Undocumented: a numeric criterion such as \">=0\" matches numbers only, so the "
       "text mark and the empty text add no weight."),
    _p("sum-error", "=ISERROR(SUM(Inputs!A1:A4))", True, True,
       SUM, "Arguments that are error values or text that cannot be translated into "
       "numbers cause errors."),
    _p("count-numbers-only", "=COUNT(Inputs!A1:A4)", 1.0, True,
       COUNT, "If an argument is an array or reference, only numbers in that array or "
       "reference are counted. Empty cells, logical values, text, or error values in the "
       "array or reference are ignored."),
    _p("average-ignores-text", "=AVERAGE(Inputs!A1:A3)", 4.0, True,
       AVERAGE, "If an array or reference argument contains text, logical values, or empty "
       "cells, those values are ignored; however, cells with the value zero are included."),
    _p("counta-text", "=COUNTA(Inputs!C1:C4)", 4.0, True,
       COUNTA, "The COUNTA function counts the number of cells that are not empty in a range."),
    _p("countblank-empty-text", "=COUNTBLANK(Inputs!A1:A3)", 1.0, False,
       COUNTBLANK, 'Cells with formulas that return "" (empty text) are also counted.'),
    # --- COUNTIF with numbers, and the wildcards it is never given -----------------
    _p("countif-number", "=COUNTIF(Inputs!E1:E5,4)", 1.0, True,
       COUNTIF, "The criteria in the form of a number, expression, cell reference, or text "
       "that defines which cells will be counted. For example, criteria can be expressed "
       "as 32, \"32\", \">32\", \"apples\", or B4."),
    _p("countif-zero", "=COUNTIF(Inputs!I1:I3,0)", 2.0, True,
       COUNTIF, "The criteria in the form of a number ... that defines which cells will be "
       "counted."),
    _p("countif-rounded", "=COUNTIF(Inputs!E1:E5,ROUND(Inputs!F6,9))", 1.0, True,
       ROUND, "If num_digits is greater than 0 (zero), number is rounded to the specified "
       "number of decimal places: 5.000000000000004 becomes 5."),
    _p("countif-wildcard", '=COUNTIF(Inputs!C1:C4,"a?ree")', 1.0, False,
       COUNTIF, "Use the wildcard characters, question mark (?) and asterisk (*), for the "
       "criteria. A question mark matches any single character."),
    _p("countif-tilde", '=COUNTIF(Inputs!F8:F9,"~?")', 1.0, False,
       COUNTIF, "If you want to find an actual question mark or asterisk, type a tilde (~) "
       "before the character."),
    _p("countif-one-cell", "=COUNTIF(Inputs!F3,4)", 1.0, False,
       COUNTIF, "The range of cells from which you want to count cells: one cell is a "
       "range (the workbooks always write a range as A1:B2, even of one cell).",
       departures={"ironcalc": ErrorValue("#VALUE!")}),
    # --- the clean-up of typed text ------------------------------------------------
    _p("trim-inner-spaces", '=TRIM("  strongly   agree ")', "strongly agree", True,
       TRIM, "Removes all spaces from text except for single spaces between words."),
    _p("trim-keeps-nbsp", "=TRIM(Inputs!F7)", "\u00a0agree", False,
       TRIM, "By itself, the Trim function and WorksheetFunction.Trim method don't remove "
       "this nonbreaking space character.",
       departures={"gnumeric": "agree", "formualizer": "agree"}),
    _p("substitute-nbsp", '=SUBSTITUTE(Inputs!F7,"\u00a0"," ")', " agree", True,
       SUBSTITUTE, "Otherwise, every occurrence of old_text in text is changed to new_text."),
    _p("clean-tab", "=CLEAN(Inputs!F8)", "agree", True,
       CLEAN, "The Clean function was designed to remove the first 32 nonprinting "
       "characters in the 7-bit ASCII code (values 0 through 31) from text."),
    _p("lower-curly", '=LOWER("DON\u2019T KNOW")', "don\u2019t know", True,
       LOWER, "Converts all uppercase letters in a text string to lowercase."),
    # Not relied on by the standard template, whose answers are plain ASCII; a custom
    # template with accented labels, typed in capitals, does rely on it.
    _p("lower-accents", '=LOWER("ÉCOLE")', "école", False,
       LOWER, "Converts all uppercase letters in a text string to lowercase.",
       departures={"formualizer": "École"}),
    # --- telling a boolean, a number, text, an error and a date apart --------------
    _p("islogical-true", "=ISLOGICAL(Inputs!F1)", True, True,
       IS_FUNCTIONS, "Checks the type of value and returns True or False depending on "
       "whether the value refers to a logical value."),
    _p("isnumber-boolean", "=ISNUMBER(Inputs!F1)", False, False,
       IS_FUNCTIONS, "The value arguments of the IS functions are not converted.",
       departures={"libreoffice": True}),
    _p("isnumber-text-number", "=ISNUMBER(Inputs!F2)", False, True,
       IS_FUNCTIONS, "In the formula ISNUMBER(\"19\"), 19 is not converted from a text "
       "value, and the IsNumber function returns False."),
    _p("isnumber-date", "=ISNUMBER(Inputs!F5)", True, True,
       COUNT, "Arguments that are numbers, dates, or a text representation of numbers (for "
       "example, a number enclosed in quotation marks, such as \"1\") are counted: a date "
       "is a number."),
    _p("iserror-typed-error", "=ISERROR(Inputs!F4)", True, True,
       ISERROR, "Checks the type of value and returns TRUE or FALSE depending if the value "
       "refers to any error value (#N/A, #VALUE!, #REF!, #DIV/0!, #NUM!, #NAME?, or #NULL!)."),
    _p("clean-of-boolean", "=LOWER(TRIM(CLEAN(Inputs!F1)))", "true", False,
       "", "Undocumented: a text function given TRUE works on its text, \"TRUE\"; the "
       "formulas ask ISLOGICAL first instead.", departures={"libreoffice": "1"}),
    # --- coercion and comparison ---------------------------------------------------
    _p("double-negation-text", "=--Inputs!F2", 4.0, False,
       IS_FUNCTIONS, "In most other functions where a number is required, the text value 19 "
       "is converted to the number 19."),
    _p("number-equals-empty-text", '=Inputs!F3=""', False, True,
       "", "Undocumented: a comparison never converts between text and numbers, so a "
       "number is never equal to \"\" (a score cell is tested against \"\")."),
    _p("text-equals-number", "=Inputs!F2=Inputs!F3", False, False,
       "", "Undocumented: a comparison never converts text to a number, so \"4\" is not 4."),
    _p("text-above-numbers", "=Inputs!C1>Inputs!F3", True, False,
       MATCH, "Lookup_array must be placed in ascending order: ...-2, -1, 0, 1, 2, ..., "
       "A-Z, FALSE, TRUE: text sorts after every number."),
    _p("text-equals-ignores-case", '="Agree"="agree"', True, False,
       "", "Undocumented: Excel compares text without regard to case (MATCH and COUNTIF "
       "say the same of themselves)."),
    _p("or-of-tests", "=OR(ISLOGICAL(Inputs!F3),ISERROR(Inputs!F4))", True, True,
       OR, "Returns True if any argument is True; returns False if all arguments are False."),
    _p("if-lazy-branch", '=IF(ISERROR(Inputs!F4),"invalid",LOWER(Inputs!F4))', "invalid", True,
       "", "Undocumented: IF evaluates only the branch its test chooses, so an error in "
       "the other branch never shows (the answer's clean-up is skipped for an error)."),
    _p("true-plus-true", "=0+(Inputs!F3=4)+(Inputs!F3=4)", 2.0, True,
       "", "Undocumented: TRUE in arithmetic is 1 (the banners count invalid answers so)."),
    # --- INDEX/MATCH, and MATCH's wildcards ----------------------------------------
    _p("index-match", '=INDEX(Inputs!D1:D4,MATCH("n/a",Inputs!C1:C4,0))', -1.0, False,
       MATCH, "If match_type is 0, Match finds the first value that is exactly equal to "
       "lookup_value."),
    _p("match-wildcard", '=MATCH("a?ree",Inputs!C1:C4,0)', 1.0, False,
       MATCH, "If match_type is 0 and lookup_value is text, you can use the wildcard "
       "characters, question mark (?) and asterisk (*), in lookup_value."),
    # --- errors, and the fallback of the COUPLE_ functions -------------------------
    _p("na", "=NA()", ErrorValue("#N/A"), True,
       NA, "Returns the error value #N/A."),
    _p("iferror-unknown-function", '=IFERROR(COUPLE_SCORE(Inputs!E1:E5),"fallback")',
       "fallback", True,
       IFERROR, "The following error types are evaluated: #N/A, #VALUE!, #REF!, #DIV/0!, "
       "#NUM!, #NAME?, or #NULL!. (A function no add-in provides is #NAME?.)"),
    _p("iferror-lite-function",
       '=IFERROR(_xldudf_COUPLE_SCORE(Inputs!E1:E5),"fallback")', "fallback", True,
       IFERROR, "The following error types are evaluated: #N/A, #VALUE!, #REF!, #DIV/0!, "
       "#NUM!, #NAME?, or #NULL!. (xlwings Lite's functions, where Lite is absent, are "
       "#NAME?.)"),
    # --- what the banners and bands show -------------------------------------------
    _p("mid-rest", '=MID(", 2, 4",3,99)', "2, 4", True,
       MID, "If start_num is less than the length of text, but start_num plus num_chars "
       "exceeds the length of text, MID returns the characters up to the end of text."),
    _p("text-one-decimal", '=TEXT(3.96,"0.0")', "4.0", True,
       "", "Undocumented here: the format \"0.0\" shows one decimal, rounded (the reference "
       "documents format codes on another page)."),
    _p("round-band", "=ROUND(3.9999999999,9)>=4", True, True,
       ROUND, "If num_digits is greater than 0 (zero), number is rounded to the specified "
       "number of decimal places."),
]  # fmt: skip
