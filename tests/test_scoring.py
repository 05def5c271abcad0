"""The scoring engine: rules from the brief, by example and by property."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from couple_xl import scoring
from couple_xl.scoring import STANDARD_SCALE, Thresholds, read_answer, score_principle


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        (None, scoring.BLANK, None),
        ("", scoring.BLANK, None),
        ("   ", scoring.BLANK, None),
        (4, scoring.SCORED, 4),
        (4.0, scoring.SCORED, 4),
        ("4", scoring.SCORED, 4),
        (" 4 ", scoring.SCORED, 4),
        ("4 – Agree", scoring.SCORED, 4),
        ("4 - agree", scoring.SCORED, 4),
        ("AGREE", scoring.SCORED, 4),
        ("  strongly   agree ", scoring.SCORED, 5),
        ("1 – Strongly disagree", scoring.SCORED, 1),
        ("N/A", scoring.UNSCORED, None),
        ("n/a", scoring.UNSCORED, None),
        ("Not applicable", scoring.UNSCORED, None),
        ("Don't know", scoring.UNSCORED, None),
        ("don\u2019t KNOW", scoring.UNSCORED, None),
        ("Don\u2018t know", scoring.UNSCORED, None),
        ("Don't\u00a0know", scoring.UNSCORED, None),
        ("Don't\tknow", scoring.INVALID, None),  # CLEAN removes the tab: "don'tknow"
        ("dk", scoring.UNSCORED, None),
        (0, scoring.INVALID, None),
        (6, scoring.INVALID, None),
        (2.5, scoring.INVALID, None),
        (float("nan"), scoring.INVALID, None),
        (True, scoring.INVALID, None),
        ("?", scoring.INVALID, None),
        ("*", scoring.INVALID, None),
        ("4.0", scoring.INVALID, None),
        ("5 – Strongly disagree", scoring.INVALID, None),
        ("#N/A", scoring.INVALID, None),
        # Answers that spreadsheet engines disagree on, decided once here.
        (False, scoring.INVALID, None),
        ("TRUE", scoring.INVALID, None),
        (5 + 4e-15, scoring.SCORED, 5),  # what the cell shows
        (2 - 3e-15, scoring.SCORED, 2),
        (5.000001, scoring.INVALID, None),
        (0.9999999, scoring.INVALID, None),
        (dt.date(2026, 4, 5), scoring.INVALID, None),  # day 46117
        (dt.datetime(2026, 4, 5, 9, 30), scoring.INVALID, None),
        (dt.date(1900, 1, 4), scoring.SCORED, 4),  # day 4, as every formula sees it
        (dt.datetime(1900, 1, 4), scoring.SCORED, 4),
        (dt.time(4, 0), scoring.INVALID, None),
        (dt.timedelta(days=3), scoring.SCORED, 3),
        ("a?ree", scoring.INVALID, None),
        ("agree*", scoring.INVALID, None),
        ("~4", scoring.INVALID, None),
        ("4?", scoring.INVALID, None),
        ("strongly\u00a0\u00a0agree", scoring.SCORED, 5),
        ("\u00a04\u00a0", scoring.SCORED, 4),
        ("#DIV/0!", scoring.INVALID, None),
    ],
)
def test_read_answer(raw, kind, value):
    answer = read_answer(raw)
    assert (answer.kind, answer.value) == (kind, value)


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (dt.date(1900, 1, 1), 1),
        (dt.date(1900, 2, 28), 59),  # Excel then counts a 29 February 1900 as day 60
        (dt.date(1900, 3, 1), 61),
        (dt.date(2026, 4, 5), 46117),
        (dt.datetime(2026, 4, 5, 18), 46117.75),
        (dt.time(12), 0.5),
        (dt.timedelta(hours=36), 1.5),
    ],
)
def test_spreadsheet_number_counts_days_as_excel_does(value, number):
    assert scoring.spreadsheet_number(value) == number


def test_unscored_answers_leave_the_denominator():
    result = score_principle([5, "N/A", "Don't know", None, 3])
    assert result.score == 4.0
    assert result.answered == 2
    assert result.unscored == 2
    assert result.total == 5
    assert result.coverage == pytest.approx(0.4)
    assert result.provisional is True  # 40% < 50%
    assert result.band == scoring.STRENGTH


def test_weighted_mean_scales_the_maximum_too():
    result = score_principle([5, 5, 1], weights=[2, 2, 1])
    assert result.score == pytest.approx((5 * 2 + 5 * 2 + 1 * 1) / 5)
    all_top = score_principle([5, 5, 5], weights=[3, 1, 0.5])
    assert all_top.score == 5.0


def test_invalid_answers_are_reported_with_question_id_and_not_counted():
    result = score_principle(["4", "bogus", 2], question_ids=["a", "b", "c"])
    assert result.invalid == (scoring.InvalidAnswer("b", "bogus"),)
    assert result.has_error
    assert result.score == 3.0
    assert result.answered == 2


def test_nothing_answered():
    result = score_principle([None, "N/A", ""])
    assert result.score is None
    assert result.band is None
    assert result.answered == 0
    assert result.coverage == 0
    assert result.provisional is True


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (5.0, scoring.STRENGTH),
        (4.0, scoring.STRENGTH),
        (3.9999, scoring.DEVELOPING),
        (3.96, scoring.DEVELOPING),  # shows as 4.0 but bands from the unrounded score
        (3.0, scoring.DEVELOPING),
        (2.99, scoring.CONCERN),
        (1.0, scoring.CONCERN),
        (None, None),
    ],
)
def test_band_thresholds(score, band):
    assert scoring.band(score) == band


def test_band_ignores_floating_point_noise():
    # 0.1 + 0.2 + 0.3 + ... style sums can land 1 ulp under a threshold.
    just_under = 4.0 - 4.0 * 2**-52
    assert scoring.band(just_under) == scoring.STRENGTH


def test_custom_thresholds():
    th = Thresholds(strength=4.5, developing=2.5, min_coverage=0.75)
    result = score_principle([4, 4, 4, None], thresholds=th)
    assert result.band == scoring.DEVELOPING
    assert result.provisional is False  # exactly 75%
    assert score_principle([4, 4, None, None], thresholds=th).provisional is True


def test_overall():
    a = score_principle([5, 5])
    b = score_principle([2, None])
    c = score_principle([None, "N/A"])
    result = scoring.overall([a, b, c])
    assert result.score == pytest.approx(3.5)  # c has no score and is left out
    assert result.provisional is True  # c has no score
    assert result.counted == 2
    full = scoring.overall([a, score_principle([3, 4])])
    assert full.score == pytest.approx(4.25)
    assert full.provisional is False
    assert full.band == scoring.STRENGTH


def test_overall_of_nothing():
    result = scoring.overall([])
    assert result.score is None
    assert result.provisional is True


def test_spread_sd_disagree():
    scores = [4.5, 2.5, None, 3.0]
    assert scoring.spread(scores) == 2.0
    assert scoring.population_sd(scores) == pytest.approx(statistics.pstdev([4.5, 2.5, 3.0]))
    assert scoring.disagree(scores) is True
    assert scoring.disagree([3.0, 4.9]) is False
    assert scoring.spread([None]) is None
    assert scoring.disagree([]) is False


def test_accepted_table_rejects_ambiguous_spellings():
    scale = scoring.Scale(
        points=(scoring.ScalePoint(1, "No"), scoring.ScalePoint(2, "Yes")),
        unscored=("N/A",),
        aliases={"N/A": ("no",)},
    )
    with pytest.raises(ValueError, match="ambiguous"):
        scale.accepted()


# --- properties -------------------------------------------------------------

answer_values = st.one_of(
    st.none(),
    st.sampled_from(STANDARD_SCALE.choices),
    st.sampled_from([1, 2, 3, 4, 5, "1", "2", "3", "4", "5"]),
)
weights_st = st.floats(min_value=0.1, max_value=10, allow_nan=False)


@given(st.lists(st.tuples(answer_values, weights_st), min_size=1, max_size=12))
def test_score_is_the_weighted_mean_of_scored_answers(pairs):
    answers = [a for a, _ in pairs]
    weights = [w for _, w in pairs]
    result = score_principle(answers, weights=weights)
    scored = [(read_answer(a).value, w) for a, w in pairs if read_answer(a).kind == "scored"]
    if not scored:
        assert result.score is None
        return
    expected = math.fsum(v * w for v, w in scored) / math.fsum(w for _, w in scored)
    assert result.score == pytest.approx(expected, rel=1e-12)
    assert 1 - 1e-12 <= result.score <= 5 + 1e-12
    assert result.answered == len(scored)
    assert result.coverage == pytest.approx(len(scored) / len(pairs))


@given(st.lists(answer_values, min_size=1, max_size=12), st.integers(0, 5))
def test_adding_unscored_answers_changes_coverage_not_score(answers, extra):
    base = score_principle(answers)
    more = score_principle(answers + ["N/A", "Don't know"] * extra)
    assert more.score == base.score
    assert more.answered == base.answered
    assert more.total == base.total + 2 * extra


@given(st.lists(answer_values, min_size=1, max_size=12), st.randoms())
def test_order_does_not_matter(answers, rnd):
    shuffled = answers[:]
    rnd.shuffle(shuffled)
    a, b = score_principle(answers), score_principle(shuffled)
    assert (a.answered, a.band) == (b.answered, b.band)
    assert a.score == pytest.approx(b.score) if a.score is not None else b.score is None


@given(st.text(max_size=30))
def test_normalise_text_is_idempotent(text):
    once = scoring.normalise_text(text)
    assert scoring.normalise_text(once) == once
    # Like Excel's TRIM: plain spaces only (a NEL or an em space is left alone).
    assert once == once.strip(" ")
    assert "  " not in once
    assert all(ord(ch) >= 32 for ch in once)


def _normalised_step_by_step(text: str) -> str:
    """The clean-up as normalise_text's docstring describes it, one step at a time."""
    text = "".join(ch for ch in text if ord(ch) >= 32)
    text = text.replace("\u00a0", " ")
    for apostrophe in ("\u2019", "\u2018"):
        text = text.replace(apostrophe, "'")
    return " ".join(part for part in text.split(" ") if part).lower()


@given(
    st.text(
        st.one_of(st.characters(), st.sampled_from(" \u00a0\u2019\u2018\u2003\t\n\x00\x1f\x7f")),
        max_size=40,
    )
)
def test_normalise_text_is_its_steps_in_one_pass(text):
    assert scoring.normalise_text(text) == _normalised_step_by_step(text)


@given(st.sampled_from(STANDARD_SCALE.choices), st.sampled_from([str.upper, str.lower, str.title]))
def test_case_and_spacing_never_change_an_answer(choice, case):
    typed = read_answer(f"  {case(choice)} ")
    picked = read_answer(choice)
    assert (typed.kind, typed.value) == (picked.kind, picked.value)
    assert picked.kind in {scoring.SCORED, scoring.UNSCORED}


@given(st.floats(min_value=1, max_value=5), st.floats(min_value=1, max_value=5))
def test_band_is_monotonic(a, b):
    order = {scoring.CONCERN: 0, scoring.DEVELOPING: 1, scoring.STRENGTH: 2}
    lo, hi = sorted((a, b))
    assert order[scoring.band(lo)] <= order[scoring.band(hi)]


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        # Worked by hand: each score to one decimal, half away from zero, then subtracted.
        (4.0595, 3.8125, 0.3),  # 4.1 - 3.8; unrounded 0.247 would show +0.2
        (3.5, 2.75, 0.7),  # 3.5 - 2.8; unrounded 0.75 would show +0.8
        (3.04, 3.0, 0.0),  # both show 3.0: no "+0.0" for a rise nobody can see
        (2.25, 3.25, -1.0),  # 2.3 - 3.3
        (1.15, 1.0, 0.2),  # 1.15 shows 1.2, as Excel rounds it
    ],
)
def test_a_change_is_the_difference_of_the_scores_as_shown(now, before, expected):
    assert scoring.change_as_shown(now, before) == pytest.approx(expected, abs=1e-12)
    assert scoring.change_as_shown(now, None) is None
    assert scoring.change_as_shown(None, before) is None
