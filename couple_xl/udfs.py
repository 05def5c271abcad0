"""Excel functions over the scoring engine, declared with xlwings.

Every function delegates to couple_xl.scoring; there is no scoring logic here,
only the unpacking of what Excel hands over:
- a range arrives as a 2-D list; a single cell as [[value]]; a single *blank*
  cell as None (xlwings turns [[None]] into None before conversion);
- an error value in a range arrives as its text ("#N/A") because every range
  argument asks for err_to_str; without it xlwings would hand over None and an
  invalid principle would silently drop out of an overall score;
- an empty string arrives as None.
Invalid input raises, so that Excel shows a real error value (#VALUE!) that
IFERROR and ISERROR recognise; error *text* would pass through IFERROR.

The xlwings Lite main.py is generated from this file and the engine's source
(couple_xl.lite), so nothing here may import couple_xl outside the marked block.
Never import xlwings.server or xlwings.pro here: without a licence key they raise.
"""

from __future__ import annotations

from typing import Any

import xlwings as xw

# --- engine import: the xlwings Lite main.py has the engine's source instead ---
from couple_xl.scoring import (
    DEFAULT_THRESHOLDS,
    STANDARD_SCALE,
    Scale,
    Thresholds,
    band,
    disagree,
    is_provisional,
    mean,
    population_sd,
    scale_from_rows,
    score_principle,
    spread,
)

# --- end engine import ---

_RANGE = {"ndim": 2, "err_to_str": True}


def _cells(value: Any) -> list[Any]:
    """All cells of an argument, row by row, whatever shape xlwings gave it."""
    if value is None:
        return [None]
    if isinstance(value, (list, tuple)):
        out: list[Any] = []
        for item in value:
            out.extend(_cells(item) if isinstance(item, (list, tuple)) else [item])
        return out
    return [value]


def _cell(result: Any) -> Any:
    """What Excel shows for a result: an empty cell when there is none."""
    return "" if result is None else result


def _present(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, not {value!r}")
    return float(value)


def _optional_number(value: Any, default: float, what: str) -> float:
    cells = _cells(value)
    if len(cells) != 1:
        raise ValueError(f"{what} must be a single value")
    return default if not _present(cells[0]) else _number(cells[0], what)


def _scores(values: Any) -> list[float]:
    """The numbers in a range of scores; blanks are skipped, anything else raises."""
    return [_number(v, "a score") for v in _cells(values) if _present(v)]


def _scale(table: Any) -> Scale:
    if table is None:
        return STANDARD_SCALE
    rows = table if isinstance(table, list) and table and isinstance(table[0], list) else [table]
    return scale_from_rows(rows)


def _principle(answers: Any, weights: Any, scale: Any):
    cells = _cells(answers)
    if weights is None:
        weight_values = None
    else:
        weight_values = [_number(w, "a weight") for w in _cells(weights)]
        if len(weight_values) != len(cells):
            raise ValueError(f"{len(cells)} answers but {len(weight_values)} weights")
        if any(w <= 0 for w in weight_values):
            raise ValueError("weights must be above 0")
    result = score_principle(cells, weights=weight_values, scale=_scale(scale))
    if result.invalid:
        raise ValueError(str(result.invalid[0]))
    return result


@xw.func
@xw.arg("answers", doc="The answer cells of one principle.", **_RANGE)
@xw.arg("weights", doc="Optional: a weight for each answer cell (default 1 each).", **_RANGE)
@xw.arg("scale", doc="Optional: the workbook's accepted-answer table, COUPLE_ACCEPT.", **_RANGE)
def couple_score(answers, weights=None, scale=None):
    """Weighted mean of the rated answers. N/A, Don't know and blanks are left out;
    "" when nothing is rated; an error when an answer is not on the scale."""
    return _cell(_principle(answers, weights, scale).score)


@xw.func
@xw.arg("answers", doc="The answer cells of one principle.", **_RANGE)
@xw.arg("scale", doc="Optional: the workbook's accepted-answer table, COUPLE_ACCEPT.", **_RANGE)
def couple_answered(answers, scale=None):
    """How many answers are rated (N/A, Don't know and blanks are not)."""
    return _principle(answers, None, scale).answered


@xw.func
@xw.arg("answers", doc="The answer cells of one principle.", **_RANGE)
@xw.arg("scale", doc="Optional: the workbook's accepted-answer table, COUPLE_ACCEPT.", **_RANGE)
def couple_coverage(answers, scale=None):
    """Share of the answer cells that are rated, from 0 to 1."""
    return _principle(answers, None, scale).coverage


@xw.func
@xw.arg("score", doc="A score, or a cell holding one.", **_RANGE)
@xw.arg("strength", doc=f"Optional: lowest Strength score (default {DEFAULT_THRESHOLDS.strength}).")
@xw.arg(
    "developing",
    doc=f"Optional: lowest Developing score (default {DEFAULT_THRESHOLDS.developing}).",
)
def couple_band(score, strength=None, developing=None):
    """The band word for a score: Strength, Developing or Concern ("" for no score)."""
    cells = _cells(score)
    if len(cells) != 1:
        raise ValueError("the score must be a single value")
    value = cells[0]
    if not _present(value):
        return ""
    th = Thresholds(
        strength=_optional_number(strength, DEFAULT_THRESHOLDS.strength, "strength"),
        developing=_optional_number(developing, DEFAULT_THRESHOLDS.developing, "developing"),
    )
    return band(_number(value, "the score"), th.strength, th.developing)


@xw.func
@xw.arg("coverage_value", doc="A coverage from 0 to 1, or a cell holding one.", **_RANGE)
@xw.arg(
    "minimum", doc=f"Optional: the minimum coverage (default {DEFAULT_THRESHOLDS.min_coverage})."
)
def couple_provisional(coverage_value, minimum=None):
    """TRUE when the coverage is below the minimum, so the score is provisional."""
    value = _optional_number(coverage_value, 0.0, "the coverage")
    return is_provisional(
        value, _optional_number(minimum, DEFAULT_THRESHOLDS.min_coverage, "minimum")
    )


@xw.func
@xw.arg("principle_scores", doc="The principle scores; blanks are left out.", **_RANGE)
def couple_overall(principle_scores):
    """Mean of the principle scores that exist ("" when there are none)."""
    return _cell(mean(_scores(principle_scores)))


@xw.func
@xw.arg("scores", doc="One principle's scores across partners.", **_RANGE)
def couple_spread(scores):
    """Highest minus lowest score ("" when there are none)."""
    return _cell(spread(_scores(scores)))


@xw.func
@xw.arg("scores", doc="One principle's scores across partners.", **_RANGE)
def couple_sd(scores):
    """Population standard deviation of the scores ("" when there are none)."""
    return _cell(population_sd(_scores(scores)))


@xw.func
@xw.arg("scores", doc="One principle's scores across partners.", **_RANGE)
@xw.arg(
    "threshold",
    doc=f"Optional: the spread that counts (default {DEFAULT_THRESHOLDS.disagreement}).",
)
def couple_disagree(scores, threshold=None):
    """TRUE when partners' scores differ by the threshold or more."""
    limit = _optional_number(threshold, DEFAULT_THRESHOLDS.disagreement, "threshold")
    return disagree(_scores(scores), limit)


__all__ = [
    "couple_answered",
    "couple_band",
    "couple_coverage",
    "couple_disagree",
    "couple_overall",
    "couple_provisional",
    "couple_score",
    "couple_sd",
    "couple_spread",
]
