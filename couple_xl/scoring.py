"""The COUPLE scoring engine: the single source of truth for every score.

Pure Python, standard library only, no Excel and no couple_xl imports: the
xlwings Lite code is generated from this file's own source, so it must stand
alone. The native workbook formulas and the consolidator are tested against it.

Rules:
- A principle score is the weighted mean of its scored answers. Blank, N/A and
  "Don't know" answers are left out of the denominator, never counted as 0.
- answered = number of scored answers; coverage = answered / questions.
- A score is provisional when coverage is below the minimum.
- The band comes from the unrounded score (display rounds to 1 decimal).
- Overall = mean of the principle scores that have at least one scored answer;
  it is provisional when any principle is provisional or has no score.
- Any other answer is invalid: it is reported with its question id and not counted.

What an answer is, decided once here for every engine (the workbook formulas in
formulas.py, the COUPLE_ functions in udfs.py and the consolidator all follow it):
- A number counts when it equals a point of the scale to COMPARE_DIGITS decimals
  (5.000000000000001 is 5, as the cell shows it; 5.000001 is invalid).
- TRUE and FALSE are invalid, never 1 or 0.
- A date or a time is the number a spreadsheet keeps for it (days since 1900), so a
  real date is far off the scale and invalid, exactly as the formulas see it.
- Text is compared whole, after normalise_text: ?, * and ~ are ordinary characters.
- An error value (#DIV/0!, #N/A) is invalid.

What a reader sees: a score is shown to one decimal, rounded half away from zero as
Excel's 0.0 format rounds it (shown_score), and a change between two rounds is the
difference of the scores as shown (change_as_shown), so that the numbers on a page
always subtract: 3.8 to 4.1 is +0.3, never the +0.2 of the unrounded 3.81 and 4.06.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

STRENGTH = "Strength"
DEVELOPING = "Developing"
CONCERN = "Concern"
BANDS = (STRENGTH, DEVELOPING, CONCERN)

# Comparisons with thresholds round to this many decimals first, so that a mean
# Excel sums in another order (1 ulp away) never lands in a different band.
COMPARE_DIGITS = 9

# In an accepted-answer table (as on a workbook's hidden sheet), the value that marks
# an unscored answer such as N/A. Scale values are never negative.
UNSCORED_CODE = -1

# Characters that autocorrect or copy-and-paste put into typed answers. The
# workbook formulas apply exactly the same clean-up (see normalise_text).
_APOSTROPHES = ("\u2019", "\u2018")
_NBSP = "\u00a0"
# The clean-up as one table for str.translate: control characters (below 32) removed,
# the non-breaking space made plain, curly apostrophes made straight. Each character
# is mapped on its own, so one pass gives what the steps give one after the other.
_CLEAN_UP = {code: None for code in range(32)} | {
    ord(_NBSP): " ",
    **{ord(apostrophe): "'" for apostrophe in _APOSTROPHES},
}


def normalise_text(text: str) -> str:
    """Clean typed text the way the workbook's formulas do, then lower-case it.

    Mirrors LOWER(TRIM(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(CLEAN(x), NBSP, " "),
    "’", "'"), "‘", "'"))): control characters removed, non-breaking spaces made
    plain, curly apostrophes made straight, spaces trimmed and runs of spaces
    folded to one.
    """
    return " ".join(filter(None, text.translate(_CLEAN_UP).split(" "))).lower()


def _stable(x: float) -> float:
    return round(x, COMPARE_DIGITS)


# Day 0 of the spreadsheet calendar: serial 61 is 1 March 1900. Excel also counts a
# 29 February 1900 that never was, so serials before 61 are one day less than the
# calendar says (1 January 1900 is 1).
_DAY_ZERO = dt.datetime(1899, 12, 30)
_FIRST_TRUE_SERIAL = 61
_DAY = dt.timedelta(days=1)


def spreadsheet_number(value: dt.date | dt.time | dt.timedelta) -> float:
    """The number a spreadsheet stores for a date, time or duration (days since 1900,
    as Excel counts them): what a formula sees in a cell that shows a date."""
    if isinstance(value, dt.timedelta):
        return value / _DAY
    if isinstance(value, dt.time):
        since_midnight = dt.datetime.combine(dt.date.min, value.replace(tzinfo=None))
        return (since_midnight - dt.datetime.min) / _DAY
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    serial = (value.replace(tzinfo=None) - _DAY_ZERO) / _DAY
    return serial - 1 if serial < _FIRST_TRUE_SERIAL else serial


@dataclass(frozen=True)
class ScalePoint:
    """One rated point of the scale, for example 4 "Agree"."""

    value: int
    label: str

    @property
    def choice(self) -> str:
        """The text offered in the workbook's dropdown, for example "4 – Agree"."""
        return f"{self.value} – {self.label}"


@dataclass(frozen=True)
class Scale:
    """The answer scale: rated points, and unscored answers such as N/A."""

    points: tuple[ScalePoint, ...]
    unscored: tuple[str, ...] = ("N/A", "Don't know")
    # Extra spellings accepted for an answer, keyed by that answer's canonical text
    # (a point's label or an unscored answer), for example {"N/A": ("NA",)}.
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A ready-made accepted-answer table, when the scale comes from a workbook.
    table: Mapping[str, int | None] | None = None

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(p.value for p in self.points)

    @property
    def choices(self) -> tuple[str, ...]:
        """Dropdown entries, in order: the rated points, then the unscored answers."""
        return tuple(p.choice for p in self.points) + tuple(self.unscored)

    def accepted(self) -> dict[str, int | None]:
        """Every accepted spelling, normalised, mapped to its value (None = unscored).

        A rated point is accepted as its number ("4"), its dropdown text
        ("4 – Agree", also with a plain hyphen) and its bare label ("Agree").
        """
        if self.table is not None:
            return dict(self.table)
        table: dict[str, int | None] = {}

        def add(text: str, value: int | None) -> None:
            key = normalise_text(text)
            if key in table and table[key] != value:
                raise ValueError(f"the answer text {text!r} is ambiguous")
            table[key] = value

        for point in self.points:
            add(str(point.value), point.value)
            add(point.choice, point.value)
            add(f"{point.value} - {point.label}", point.value)
            add(point.label, point.value)
            for alias in self.aliases.get(point.label, ()):
                add(alias, point.value)
        for text in self.unscored:
            add(text, None)
            for alias in self.aliases.get(text, ()):
                add(alias, None)
        return table


def accept_rows(scale: Scale) -> list[tuple[str, int]]:
    """The accepted-answer table as rows of (normalised text, value or UNSCORED_CODE)."""
    return [
        (text, UNSCORED_CODE if value is None else value)
        for text, value in scale.accepted().items()
    ]


def scale_from_rows(rows: Iterable[Sequence[Any]]) -> Scale:
    """Rebuild a scale from accept_rows() output, as read back from a workbook.

    Raises ValueError when a row is not (text, whole number >= -1).
    """
    table: dict[str, int | None] = {}
    for row in rows:
        if not row or all(c is None or c == "" for c in row):
            continue
        if len(row) < 2 or not isinstance(row[0], str) or isinstance(row[1], bool):
            raise ValueError(f"scale table row {list(row)!r} is not (answer text, value)")
        value = row[1]
        if not isinstance(value, (int, float)) or value != int(value) or value < UNSCORED_CODE:
            raise ValueError(f"scale table row {list(row)!r} has no valid value")
        table[normalise_text(row[0])] = None if value == UNSCORED_CODE else int(value)
    values = sorted({v for v in table.values() if v is not None})
    if not values:
        raise ValueError("the scale table has no rated answers")
    return Scale(points=tuple(ScalePoint(v, str(v)) for v in values), unscored=(), table=table)


STANDARD_SCALE = Scale(
    points=(
        ScalePoint(1, "Strongly disagree"),
        ScalePoint(2, "Disagree"),
        ScalePoint(3, "Neither agree nor disagree"),
        ScalePoint(4, "Agree"),
        ScalePoint(5, "Strongly agree"),
    ),
    unscored=("N/A", "Don't know"),
    aliases={"N/A": ("NA", "Not applicable"), "Don't know": ("Dont know", "Do not know", "DK")},
)


@dataclass(frozen=True)
class Thresholds:
    """Band cut-offs, the coverage minimum and the disagreement threshold."""

    strength: float = 4.0
    developing: float = 3.0
    min_coverage: float = 0.5
    disagreement: float = 2.0


DEFAULT_THRESHOLDS = Thresholds()

BLANK = "blank"
SCORED = "scored"
UNSCORED = "unscored"
INVALID = "invalid"


@dataclass(frozen=True)
class Answer:
    """One answer as classified by the engine."""

    kind: str  # BLANK, SCORED, UNSCORED or INVALID
    value: int | None
    raw: Any


def read_answer(raw: Any, scale: Scale = STANDARD_SCALE, accepted: Mapping | None = None) -> Answer:
    """Classify one cell's content: a number, a numeric string or a label (the rules
    are in this module's docstring).

    Pass ``accepted`` (from ``scale.accepted()``) when classifying many answers.
    """
    if raw is None:
        return Answer(BLANK, None, raw)
    if isinstance(raw, bool):
        return Answer(INVALID, None, raw)
    number = raw
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        number = spreadsheet_number(raw)
    if isinstance(number, (int, float)):
        if math.isfinite(number) and _stable(number) in scale.values:
            return Answer(SCORED, int(_stable(number)), raw)
        return Answer(INVALID, None, raw)
    if isinstance(raw, str):
        key = normalise_text(raw)
        if not key:
            return Answer(BLANK, None, raw)
        table = scale.accepted() if accepted is None else accepted
        if key in table:
            value = table[key]
            return Answer(UNSCORED if value is None else SCORED, value, raw)
    return Answer(INVALID, None, raw)


@dataclass(frozen=True)
class InvalidAnswer:
    """An answer that is neither a scale value nor an unscored answer."""

    question_id: str
    raw: Any

    def __str__(self) -> str:
        return f"{self.question_id}: {self.raw!r} is not one of the answers on the scale"


@dataclass(frozen=True)
class PrincipleResult:
    """The score of one principle for one respondent."""

    score: float | None
    answered: int
    total: int
    coverage: float
    provisional: bool
    band: str | None
    unscored: int = 0
    invalid: tuple[InvalidAnswer, ...] = ()
    # Each question's scored value, in question order (None: blank, unscored or invalid).
    values: tuple[int | None, ...] = ()

    @property
    def has_error(self) -> bool:
        """True when an invalid answer was found: the workbook shows an error."""
        return bool(self.invalid)


def weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float | None:
    """sum(v·w) / sum(w), summed left to right as SUMPRODUCT does; None when empty."""
    if not values:
        return None
    total_weight = sum(weights)
    return sum(v * w for v, w in zip(values, weights)) / total_weight


def band(score: float | None, strength: float = 4.0, developing: float = 3.0) -> str | None:
    """The band word for an (unrounded) score; None when there is no score."""
    if score is None:
        return None
    if _stable(score) >= strength:
        return STRENGTH
    if _stable(score) >= developing:
        return DEVELOPING
    return CONCERN


def coverage(answered: int, total: int) -> float:
    """answered ÷ questions (0 when there are no questions)."""
    return answered / total if total else 0.0


def is_provisional(coverage: float, minimum: float = 0.5) -> bool:
    """A score is provisional when too few questions were answered."""
    return _stable(coverage) < minimum


def score_principle(
    answers: Sequence[Any],
    *,
    weights: Sequence[float] | None = None,
    question_ids: Sequence[str] | None = None,
    scale: Scale = STANDARD_SCALE,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    accepted: Mapping[str, int | None] | None = None,
) -> PrincipleResult:
    """Score one principle from its raw answers, in question order.

    Pass ``accepted`` (``scale.accepted()``) when scoring many principles.
    """
    n = len(answers)
    weights = [1.0] * n if weights is None else list(weights)
    ids = [f"#{i + 1}" for i in range(n)] if question_ids is None else list(question_ids)
    if len(weights) != n or len(ids) != n:
        raise ValueError("answers, weights and question ids must have the same length")
    if accepted is None:
        accepted = scale.accepted()
    values: list[float] = []
    used_weights: list[float] = []
    invalid: list[InvalidAnswer] = []
    per_question: list[int | None] = []
    unscored = 0
    for raw, weight, qid in zip(answers, weights, ids):
        answer = read_answer(raw, scale, accepted)
        per_question.append(answer.value if answer.kind == SCORED else None)
        if answer.kind == SCORED:
            values.append(answer.value)  # type: ignore[arg-type]
            used_weights.append(weight)
        elif answer.kind == UNSCORED:
            unscored += 1
        elif answer.kind == INVALID:
            invalid.append(InvalidAnswer(qid, raw))
    score = weighted_mean(values, used_weights)
    cov = coverage(len(values), n)
    return PrincipleResult(
        score=score,
        answered=len(values),
        total=n,
        coverage=cov,
        provisional=is_provisional(cov, thresholds.min_coverage),
        band=band(score, thresholds.strength, thresholds.developing),
        unscored=unscored,
        invalid=tuple(invalid),
        values=tuple(per_question),
    )


@dataclass(frozen=True)
class OverallResult:
    """The overall score across principles."""

    score: float | None
    provisional: bool
    band: str | None
    counted: int
    has_error: bool = False


def overall(
    results: Iterable[PrincipleResult], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> OverallResult:
    """Mean of the principle scores that have at least one scored answer."""
    results = list(results)
    score = mean(r.score for r in results)
    provisional = any(r.provisional or r.score is None for r in results) or not results
    return OverallResult(
        score=score,
        provisional=provisional,
        band=band(score, thresholds.strength, thresholds.developing),
        counted=sum(r.score is not None for r in results),
        has_error=any(r.has_error for r in results),
    )


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values present (None is missing, not 0); None when there are none.

    An overall score is the mean of its principle scores; a partner's principle score
    the mean of its respondents'; a partnership's the mean of its partners'.
    """
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def spread(scores: Iterable[float | None]) -> float | None:
    """max − min of the scores present; None when there are none."""
    present = [s for s in scores if s is not None]
    return max(present) - min(present) if present else None


def population_sd(scores: Iterable[float | None]) -> float | None:
    """Population standard deviation of the scores present; None when there are none."""
    present = [s for s in scores if s is not None]
    if not present:
        return None
    centre = sum(present) / len(present)
    return math.sqrt(sum((s - centre) ** 2 for s in present) / len(present))


def disagree(scores: Iterable[float | None], threshold: float = 2.0) -> bool:
    """Partners disagree when the spread of their scores reaches the threshold."""
    s = spread(scores)
    return s is not None and _stable(s) >= threshold


def shown_score(value: float) -> Decimal:
    """``value`` to one decimal as Excel's ``0.0`` format shows it: from the 15
    significant digits Excel keeps, rounded half away from zero (3.25 to 3.3, 1.15 to
    1.2, -0.25 to -0.3), where Python's ``format`` rounds the binary value (3.2, 1.1)."""
    return Decimal(f"{value:.15g}").quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def change_as_shown(now: float | None, before: float | None) -> float | None:
    """The change from ``before`` to ``now`` as a reader can check it: the difference
    of the two scores as shown (exact to one decimal), or None without both."""
    if now is None or before is None:
        return None
    return float(shown_score(now) - shown_score(before))
