"""The workbook's own formulas, recalculated in two independent engines, agree with the engine.

Every workbook here is filled as a partner would fill it, recalculated in a real
spreadsheet engine (LibreOffice headless, forced to recalculate on load, and Gnumeric's
ssconvert --recalc), and every named result cell (SCORE_, BAND_, ANSWERED_,
COVERAGE_, PROVISIONAL_ for each principle, and the overall ones) is compared with the
scoring engine's result for the same answers. No cell is skipped because an answer is
invalid: an invalid answer must show exactly #N/A in its principle's score and band.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import openpyxl
import pytest

from couple_xl import formulas, scoring
from couple_xl.metadata import PROPERTY_PREFIX
from couple_xl.templates import Assessment, Template
from tests import gnumeric, libreoffice
from tests.helpers import fill, generate, named_cell, random_answers, read_names
from tests.xlwings_protocol import call_functions

pytestmark = pytest.mark.libreoffice

FIDELITY_CASES = 100
TOLERANCE = 1e-9
NA = "#N/A"


def _is_error(value) -> bool:
    return isinstance(value, str) and value.startswith("#")


def _blank(value) -> bool:
    return value is None or value == ""


def expected_cells(template: Template, assessment: Assessment) -> dict:
    """What each named result cell must show for an engine result."""
    out = {}
    for p in template.principles:
        r = assessment.principles[p.id]
        out[f"ANSWERED_{p.id}"] = r.answered
        out[f"COVERAGE_{p.id}"] = r.coverage
        if r.has_error:
            out[f"SCORE_{p.id}"] = out[f"BAND_{p.id}"] = NA
            out[f"PROVISIONAL_{p.id}"] = f"Check the answers on the {p.name} sheet"
        else:
            out[f"SCORE_{p.id}"] = r.score
            out[f"BAND_{p.id}"] = r.band
            out[f"PROVISIONAL_{p.id}"] = formulas.PROVISIONAL if r.provisional else None
    o = assessment.overall
    out["SCORE_OVERALL"] = NA if o.has_error else o.score
    out["BAND_OVERALL"] = NA if o.has_error else o.band
    out["PROVISIONAL_OVERALL"] = formulas.PROVISIONAL if o.provisional else None
    return out


def mismatches(path: Path, template: Template, assessment: Assessment) -> tuple[int, list[str]]:
    """(cells compared, a description of each cell that differs from the engine)."""
    expected = expected_cells(template, assessment)
    actual = read_names(path, list(expected))
    wrong = []
    for name, want in expected.items():
        got = actual[name]
        if want is None:
            ok = _blank(got)
        elif isinstance(want, float) and not isinstance(want, bool):
            ok = isinstance(got, (int, float)) and abs(got - want) <= TOLERANCE
        else:
            ok = got == want
        if not ok:
            wrong.append(f"{path.name}: {name}: {got!r}, engine {want!r}")
    return len(expected), wrong


def assert_agrees(path: Path, template: Template, assessment: Assessment) -> int:
    compared, wrong = mismatches(path, template, assessment)
    assert not wrong, "\n".join(wrong)
    return compared


def _position_sets(template: Template) -> list[dict]:
    """For every Summary row: that principle all blank, then all N/A, the rest answered."""
    sets = []
    for p in template.principles:
        others = {
            q.id: 4 for other in template.principles if other is not p for q in other.questions
        }
        sets.append(others)
        sets.append({**others, **{q.id: "N/A" for q in p.questions}})
    return sets


@pytest.fixture(scope="module")
def filled_round(tmp_path_factory, template):
    """FIDELITY_CASES random answer sets (a third with invalid answers) in workbooks of all
    three scoring modes, and every principle blank or all N/A in every Summary row."""
    folder = tmp_path_factory.mktemp("fidelity")
    rng = random.Random(20261126)
    answer_sets = [
        random_answers(template, rng, invalid_rate=0.08 if i % 3 == 0 else 0.0)
        for i in range(FIDELITY_CASES)
    ]
    answer_sets += _position_sets(template)
    modes = ["addin", "native", "lite"]
    filled = []
    (folder / "filled").mkdir()
    for mode in modes:
        indices = [i for i in range(len(answer_sets)) if i % len(modes) == modes.index(mode)]
        result = generate(
            folder / mode,
            partners=[f"Partner {i:03d}" for i in indices],
            scoring_mode="addin" if mode == "lite" else mode,
            embed_lite=mode == "lite",
        )
        for i, written in zip(indices, result.workbooks):
            target = folder / "filled" / f"{i:03d}-{mode}.xlsx"
            filled.append((i, fill(written.path, target, answer_sets[i])))
    filled.sort()
    return folder, [path for _, path in filled], answer_sets


@pytest.fixture(scope="module")
def fidelity_round(filled_round, soffice):
    """The filled workbooks, recalculated by LibreOffice in one call."""
    folder, paths, answer_sets = filled_round
    outputs = libreoffice.recalculate(paths, folder / "libreoffice")
    return list(zip(outputs, answer_sets))


@pytest.fixture(scope="module")
def gnumeric_round(filled_round, ssconvert):
    folder, paths, answer_sets = filled_round
    outputs = gnumeric.recalculate(paths, folder / "gnumeric")
    return list(zip(outputs, answer_sets))


@pytest.mark.parametrize(
    "engine", ["fidelity_round", pytest.param("gnumeric_round", marks=pytest.mark.gnumeric)]
)
def test_every_result_cell_equals_the_engine(request, engine, template):
    recalculated = request.getfixturevalue(engine)
    assert len(recalculated) >= FIDELITY_CASES
    compared, wrong, with_errors = 0, [], 0
    for path, answers in recalculated:
        assessment = template.score(answers)
        with_errors += assessment.overall.has_error
        n, bad = mismatches(path, template, assessment)
        compared += n
        wrong += bad
    print(f"{engine}: {compared} cells compared, {len(wrong)} mismatches")
    assert not wrong, f"{len(wrong)} of {compared} cells differ:\n" + "\n".join(wrong[:40])
    # The random sets really did exercise both paths.
    assert 0 < with_errors < len(recalculated)


def test_libreoffice_resave_keeps_identity(fidelity_round):
    path, _ = fidelity_round[0]
    wb = openpyxl.load_workbook(path)
    props = {p.name: p.value for p in wb.custom_doc_props}
    assert props[PROPERTY_PREFIX + "partnership_id"] == "riverside-food-partnership"
    assert len(props[PROPERTY_PREFIX + "return_id"]) == 32
    # LibreOffice demotes very-hidden to hidden: readers must not rely on it.
    assert wb["_couple"].sheet_state in {"hidden", "veryHidden"}
    assert "Q_commitment_choice" in wb.defined_names


@pytest.mark.gnumeric
def test_edge_cases_recalculate_like_the_engine(tmp_path, soffice, ssconvert, template):
    """Hand-picked cases: all blank, all N/A, thresholds hit exactly, one invalid answer."""
    ids = [q.id for _, q in template.questions]
    by_principle = {p.id: [q.id for q in p.questions] for p in template.principles}
    cases = {
        "blank": {},
        "all-na": dict.fromkeys(ids, "N/A"),
        "exact-4": dict.fromkeys(ids, "4 – Agree"),
        "exact-3": {qid: (2 if i % 2 else 4) for i, qid in enumerate(ids)},
        "half-answered": {q: 5 for p in by_principle.values() for q in p[: (len(p) + 1) // 2]},
        "wildcards": {ids[0]: "?", ids[5]: "*", ids[9]: "~"},
        "tab-and-nbsp": {ids[0]: "don't\u00a0know", ids[1]: "\tagree"},
        "error-only": {ids[0]: "nonsense"},
    }
    result = generate(tmp_path / "blank", partners=list(cases))
    filled = [
        fill(w.path, tmp_path / f"{w.path.stem}-filled.xlsx", answers)
        for w, answers in zip(result.workbooks, cases.values())
    ]
    outputs = libreoffice.recalculate(filled, tmp_path / "libreoffice")
    outputs += gnumeric.recalculate(filled, tmp_path / "gnumeric")
    for path, answers in zip(outputs, [*cases.values(), *cases.values()]):
        assert_agrees(path, template, template.score(answers))


def test_partner_edits_in_libreoffice_keep_scores_right(tmp_path, uno, template):
    """Rows and columns inserted, a sheet renamed and moved, answers typed as numbers
    and text, all through LibreOffice itself: the scores still equal the engine's."""
    result = generate(tmp_path / "blank", partners=["Edited"])
    source = result.workbooks[0].path
    answers = {
        "commitment_choice": "4",
        "commitment_values": "Strongly agree",
        "commitment_all_sides": "don\u2019t know",
        "outcomes_purpose": "2",
        "outcomes_gains": "3 – Neither agree nor disagree",
        "execution_plan": " 1 ",
    }
    ops = [
        {"op": "insert_rows", "sheet": "Commitment", "before": 6, "count": 2},
        {"op": "insert_columns", "sheet": "Commitment", "before": 3, "count": 1},
        {"op": "insert_rows", "sheet": "Outcomes", "before": 1, "count": 3},
        {"op": "rename_sheet", "sheet": "Outcomes", "to": "Our outcomes"},
        {"op": "move_sheet", "sheet": "Execution", "to_index": 1},
    ]
    for qid, text in answers.items():
        kind = "type_text" if qid == "execution_plan" else "type"
        ops.append({"op": kind, "name": f"Q_{qid}", "text": text})
    edited = tmp_path / "edited.xlsx"
    libreoffice.uno_edit([{"input": str(source), "output": str(edited), "ops": ops}])

    wb = openpyxl.load_workbook(edited)
    assert named_cell(wb, "Q_commitment_values").coordinate == "D8"
    assert named_cell(wb, "Q_outcomes_purpose").parent.title == "Our outcomes"
    typed = named_cell(wb, "Q_commitment_choice").value
    assert typed == 4  # LibreOffice turned the typed "4" into a number
    assert named_cell(wb, "Q_execution_plan").value == " 1 "
    wb.close()

    copy = tmp_path / "edited-copy.xlsx"
    shutil.copy(edited, copy)
    (recalculated,) = libreoffice.recalculate([copy], tmp_path / "recalculated")
    assert_agrees(recalculated, template, template.score(answers))


def _excel_value(value):
    """A cell value as Excel hands it to a function: numbers as floats."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


NA_CELL = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


def test_engine_xlwings_and_libreoffice_agree(fidelity_round, template):
    """Three-way agreement on every random answer set, invalid answers included."""
    accept = [[t, float(v)] for t, v in scoring.accept_rows(template.engine_scale)]
    th = template.thresholds
    calls, plan = [], []
    for n, (_, answers) in enumerate(fidelity_round):
        for p in template.principles:
            column = [[_excel_value(answers.get(q.id))] for q in p.questions]
            weights = [[float(q.weight)] for q in p.questions]
            calls.append(["couple_score", [column, weights, accept]])
            calls.append(["couple_answered", [column, accept]])
            plan.append((n, p.id))
    run = call_functions("couple_xl.udfs", calls)
    results = iter(run["results"])
    by_set: dict[int, dict] = {}
    for n, pid in plan:
        by_set.setdefault(n, {})[pid] = (next(results), next(results))

    band_calls, overall_calls = [], []
    for n in range(len(fidelity_round)):
        cells = []
        for p in template.principles:
            score, _ = by_set[n][p.id]
            value = NA_CELL if "error" in score else score["value"][0][0]
            cells.append([value])
            if "error" not in score:
                band_calls.append(["couple_band", [value, th.strength, th.developing]])
        overall_calls.append(["couple_overall", [cells]])
    second = call_functions("couple_xl.udfs", band_calls + overall_calls)["results"]
    bands, overalls = iter(second[: len(band_calls)]), second[len(band_calls) :]

    compared = 0
    for n, (path, answers) in enumerate(fidelity_round):
        assessment = template.score(answers)
        names = [f"{k}_{p.id}" for p in template.principles for k in ("SCORE", "BAND")]
        cached = read_names(path, [*names, "SCORE_OVERALL"])
        for p in template.principles:
            r = assessment.principles[p.id]
            score, answered = by_set[n][p.id]
            lo_score = cached[f"SCORE_{p.id}"]
            where = f"set {n}, {p.id}"
            if r.has_error:
                assert "error" in score, where
                assert "error" in answered, where
                assert _is_error(lo_score), where
            else:
                udf = score["value"][0][0]
                if r.score is None:
                    assert udf == "", where
                    assert _blank(lo_score), where
                else:
                    assert abs(udf - r.score) <= TOLERANCE, where
                    assert abs(lo_score - r.score) <= TOLERANCE, where
                assert answered["value"][0][0] == r.answered, where
                band = next(bands)["value"][0][0]
                assert band == (r.band or "") == (cached[f"BAND_{p.id}"] or ""), where
            compared += 1
        overall = overalls[n]
        if assessment.overall.has_error:
            assert "error" in overall
            assert _is_error(cached["SCORE_OVERALL"])
        elif assessment.overall.score is None:
            assert overall["value"][0][0] == ""
        else:
            assert abs(overall["value"][0][0] - assessment.overall.score) <= TOLERANCE
            assert abs(cached["SCORE_OVERALL"] - assessment.overall.score) <= TOLERANCE
    assert compared == len(fidelity_round) * len(template.principles) >= 100
