"""The workbook's own formulas, recalculated in four independent engines, agree with a
second scorer.

Every workbook here is filled as a partner would fill it and recalculated in real
spreadsheet engines: LibreOffice headless (forced to recalculate on load), Gnumeric's
ssconvert --recalc, and, in this process, formualizer and IronCalc, two engines written
to Excel's rules, on the workbooks as written and on LibreOffice's saved copies. Every
named result cell (SCORE_, BAND_, ANSWERED_, COVERAGE_, PROVISIONAL_ for each principle,
and the overall ones) is compared with what the tests' own second scorer
(helpers.hand_cells) says it must show: never with an engine's own answer. No cell is
skipped because an answer is invalid: an invalid answer must show exactly #N/A in its
principle's score and band.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import to_excel

from couple_xl import scoring
from couple_xl.layout import (
    ANSWER_COLUMN,
    REVIEW_BANNER_ROW,
    REVIEW_HEADER_ROW,
    REVIEW_SHEET,
    column_index,
)
from couple_xl.metadata import PROPERTY_PREFIX
from couple_xl.templates import Template
from tests import gnumeric, libreoffice
from tests.excel_engines import (
    IN_PROCESS,
    EngineFailure,
    ErrorValue,
    cached_values,
    named_values,
)
from tests.helpers import (
    DISPUTED_ANSWERS,
    fill,
    generate,
    hand_cells,
    hand_value,
    named_cell,
    random_answers,
    review_workbook,
)
from tests.xlwings_protocol import call_functions

pytestmark = pytest.mark.libreoffice

FIDELITY_CASES = 100
TOLERANCE = 1e-9
NA = "#N/A"
MODES = ("addin", "native", "lite")


def _is_error(value) -> bool:
    return isinstance(value, str) and value.startswith("#")


def _blank(value) -> bool:
    return value is None or value == ""


def agrees(got, want) -> bool:
    """A cell's value against the second scorer's: an error only as an error value,
    numbers within TOLERANCE, an empty cell as None or ""."""
    if want == NA:
        return got == ErrorValue(NA)
    if want is None:
        return _blank(got) and not isinstance(got, ErrorValue)
    if isinstance(want, float):
        return isinstance(got, float) and abs(got - want) <= TOLERANCE
    return got == want and not isinstance(got, ErrorValue)


def mismatches(values: dict, answers: dict, template: Template, label: str) -> list[str]:
    """A description of each named result cell that differs from the second scorer."""
    expected = hand_cells(template, answers)
    return [
        f"{label}: {name}: {values[name]!r}, expected {want!r}"
        for name, want in expected.items()
        if not agrees(values[name], want)
    ]


def result_names(template: Template) -> list[str]:
    return list(hand_cells(template, {}))


def assert_agrees(path: Path, template: Template, answers: dict) -> int:
    names = result_names(template)
    wrong = mismatches(named_values(cached_values, path, names), answers, template, path.name)
    assert not wrong, "\n".join(wrong)
    return len(names)


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


def disputed_sets(template: Template, rng: random.Random) -> list[dict]:
    """Every answer engines have disagreed on, one to a principle in each set (so that a
    principle's result shows what that one answer does), the others answered."""
    picks = list(template.engine_scale.choices)
    sets: list[dict] = []
    items = list(DISPUTED_ANSWERS)
    per_set = len(template.principles)
    for start in range(0, len(items), per_set):
        answers = {q.id: rng.choice(picks) for _, q in template.questions}
        for p, (value, _) in zip(template.principles, items[start : start + per_set]):
            answers[rng.choice(p.questions).id] = value
        sets.append(answers)
    return sets


@pytest.fixture(scope="module")
def filled_round(tmp_path_factory, template):
    """FIDELITY_CASES random answer sets (a third with invalid answers), every principle
    blank or all N/A in every Summary row, in workbooks of one of the three scoring modes
    each; and every disputed answer, in workbooks of all three modes.
    Returns (folder, [(path, answers)])."""
    folder = tmp_path_factory.mktemp("fidelity")
    rng = random.Random(20261126)
    answer_sets = [
        random_answers(template, rng, invalid_rate=0.08 if i % 3 == 0 else 0.0)
        for i in range(FIDELITY_CASES)
    ]
    answer_sets += _position_sets(template)
    jobs = [(i, MODES[i % len(MODES)]) for i in range(len(answer_sets))]
    for answers in disputed_sets(template, rng):
        answer_sets.append(answers)
        jobs += [(len(answer_sets) - 1, mode) for mode in MODES]
    filled = []
    (folder / "filled").mkdir()
    for mode in MODES:
        indices = [i for i, m in jobs if m == mode]
        result = generate(
            folder / mode,
            partners=[f"Partner {i:03d}" for i in indices],
            scoring_mode="addin" if mode == "lite" else mode,
            embed_lite=mode == "lite",
        )
        for i, written in zip(indices, result.workbooks):
            target = folder / "filled" / f"{i:03d}-{mode}.xlsx"
            filled.append((target.name, fill(written.path, target, answer_sets[i]), i))
    filled.sort()
    return folder, [(path, answer_sets[i]) for _, path, i in filled]


@pytest.fixture(scope="module")
def fidelity_round(filled_round, soffice):
    """The filled workbooks, recalculated and saved by LibreOffice in one call."""
    folder, filled = filled_round
    outputs = libreoffice.recalculate([path for path, _ in filled], folder / "libreoffice")
    return [(out, answers) for out, (_, answers) in zip(outputs, filled)]


@pytest.fixture(scope="module")
def gnumeric_round(filled_round, ssconvert):
    folder, filled = filled_round
    outputs = gnumeric.recalculate([path for path, _ in filled], folder / "gnumeric")
    return [(out, answers) for out, (_, answers) in zip(outputs, filled)]


# (engine, which files): LibreOffice and Gnumeric are read from the copies they saved;
# formualizer and IronCalc recalculate the workbooks as written and LibreOffice's copies.
RUNS = {
    "libreoffice": ("libreoffice", "fidelity_round"),
    "gnumeric": ("gnumeric", "gnumeric_round"),
    "formualizer": ("formualizer", "filled_round"),
    "ironcalc": ("ironcalc", "filled_round"),
    "formualizer, LibreOffice's copies": ("formualizer", "fidelity_round"),
    "ironcalc, LibreOffice's copies": ("ironcalc", "fidelity_round"),
}


def _run_params():
    for run in RUNS:
        marks = [pytest.mark.gnumeric] if run == "gnumeric" else []
        yield pytest.param(run, marks=marks, id=run.replace(", LibreOffice's copies", "-lo"))


@pytest.mark.parametrize("run", list(_run_params()))
def test_every_result_cell_equals_the_second_scorer(request, run, template):
    engine, files = RUNS[run]
    workbooks = request.getfixturevalue(files)
    if files == "filled_round":
        workbooks = workbooks[1]
    read = IN_PROCESS.get(engine, cached_values)
    names = result_names(template)
    compared, wrong, with_errors = 0, [], 0
    for path, answers in workbooks:
        try:
            values = named_values(read, path, names)
        except EngineFailure as failure:  # a panic is a failure, never a pass
            wrong.append(str(failure))
            continue
        with_errors += hand_cells(template, answers)["SCORE_OVERALL"] == NA
        compared += len(names)
        wrong += mismatches(values, answers, template, path.name)
    print(f"{run}: {len(workbooks)} workbooks, {compared} cells compared, {len(wrong)} mismatches")
    assert not wrong, f"{len(wrong)} of {compared} cells differ:\n" + "\n".join(wrong[:40])
    assert len(workbooks) >= FIDELITY_CASES
    # The answer sets really did exercise both paths.
    assert 0 < with_errors < len(workbooks)


def test_the_engine_scores_every_answer_set_as_the_second_scorer(filled_round, template):
    """The scoring engine and the second scorer, on every answer set the workbooks get."""
    _, filled = filled_round
    wrong = []
    for path, answers in filled:
        a = template.score(answers)
        engine = {}
        for p in template.principles:
            r = a.principles[p.id]
            engine[f"ANSWERED_{p.id}"] = float(r.answered)
            engine[f"COVERAGE_{p.id}"] = r.coverage
            engine[f"SCORE_{p.id}"] = ErrorValue(NA) if r.has_error else r.score
            engine[f"BAND_{p.id}"] = ErrorValue(NA) if r.has_error else r.band
            engine[f"PROVISIONAL_{p.id}"] = (
                f"Check the answers on the {p.name} sheet"
                if r.has_error
                else ("Provisional" if r.provisional else None)
            )
        o = a.overall
        engine["SCORE_OVERALL"] = ErrorValue(NA) if o.has_error else o.score
        engine["BAND_OVERALL"] = ErrorValue(NA) if o.has_error else o.band
        engine["PROVISIONAL_OVERALL"] = "Provisional" if o.provisional else None
        wrong += mismatches(engine, answers, template, path.name)
    assert not wrong, "\n".join(wrong[:40])


def test_every_disputed_answer_counts_as_decided(template):
    """The engine and the second scorer read each disputed answer as the table says."""
    for raw, decided in DISPUTED_ANSWERS:
        answer = scoring.read_answer(raw, template.engine_scale)
        engine = {
            scoring.SCORED: answer.value,
            scoring.UNSCORED: None,
            scoring.BLANK: None,
            scoring.INVALID: "invalid",
        }[answer.kind]
        assert engine == hand_value(raw) == decided, raw


def _stale_cache(source: Path, target: Path) -> Path:
    """A copy whose cached formula results (numbers and text) all say 99."""
    cached = re.compile(rb'(<c [^>]*t="(?:n|str)"[^>]*><f[^>]*>[^<]*</f><v>)[^<]*(</v>)')
    with zipfile.ZipFile(source) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename.startswith("xl/worksheets/"):
                data = cached.sub(rb"\g<1>99\g<2>", data)
            z.writestr(info, data)
    return target


@pytest.mark.parametrize("engine", list(IN_PROCESS))
def test_in_process_engines_recalculate_rather_than_read_the_cache(
    fidelity_round, tmp_path, template, engine
):
    path, answers = next((p, a) for p, a in fidelity_round if "native" in p.name)
    stale = _stale_cache(path, tmp_path / "stale.xlsx")
    names = result_names(template)
    assert named_values(cached_values, stale, ["ANSWERED_commitment"]) == {
        "ANSWERED_commitment": 99.0
    }
    values = named_values(IN_PROCESS[engine], stale, names)
    assert mismatches(values, answers, template, stale.name) == []


def test_a_fresh_workbook_writes_empty_cells_as_excel_does(blank_workbook, template):
    """No cell without a value carries a type: IronCalc reads <c t="n"/> as 0."""
    valueless = re.compile(rb"<c\b[^>]*?(?:/>|>\s*</c>)")
    with zipfile.ZipFile(blank_workbook) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        cells = [c for n in sheets for c in valueless.findall(z.read(n))]
    assert cells, "expected empty styled cells (the answer cells)"
    typed = [c for c in cells if b" t=" in c]
    assert typed == []
    # …and IronCalc (and formualizer) score the untouched workbook as unanswered.
    for engine, read in IN_PROCESS.items():
        values = named_values(read, blank_workbook, result_names(template))
        assert mismatches(values, {}, template, engine) == []


def test_libreoffice_resave_keeps_identity(fidelity_round):
    path, _ = fidelity_round[0]
    wb = openpyxl.load_workbook(path)
    props = {p.name: p.value for p in wb.custom_doc_props}
    assert props[PROPERTY_PREFIX + "partnership_id"] == "riverside-food-partnership"
    assert len(props[PROPERTY_PREFIX + "return_id"]) == 32
    # LibreOffice demotes very-hidden to hidden: readers must not rely on it.
    assert wb["_couple"].sheet_state in {"hidden", "veryHidden"}
    assert "Q_commitment_choice" in wb.defined_names


def _one_decimal(score: float) -> str:
    """A score as TEXT(score, "0.0") shows it: halves rounded away from zero."""
    return str(Decimal(repr(score)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def expected_banners(template: Template, answers: dict) -> dict[str, str]:
    """The line above each principle's statements, worked out by hand."""
    cells = hand_cells(template, answers)
    out = {}
    for p in template.principles:
        score = cells[f"SCORE_{p.id}"]
        bad = [
            str(n)
            for n, q in enumerate(p.questions, start=1)
            if hand_value(answers.get(q.id)) == "invalid"
        ]
        if len(bad) == 1:
            out[p.name] = f"Check your answer to statement {bad[0]}: it is not from the list"
        elif bad:
            out[p.name] = (
                f"Check your answers to statements {', '.join(bad)}: they are not from the list"
            )
        elif score is None:
            out[p.name] = "Not answered yet"
        else:
            provisional = " (provisional)" if cells[f"PROVISIONAL_{p.id}"] else ""
            out[p.name] = f"{_one_decimal(score)} – {cells[f'BAND_{p.id}']}{provisional}"
    return out


BANNER_COLUMN = column_index(ANSWER_COLUMN) + 1
# The spellings of a status that count, written out by hand (see actions.status_of).
LISTED_STATUSES = {
    "done", "on track", "behind", "not started", "dropped", "don't know", "dont know",
    "do not know",
}  # fmt: skip
TYPED_STATUSES = [
    "Done", "Completed", " on  TRACK ", "Don\u2019t know", 4, True, None, "dont know",
    "complete?", "Dropped",
]  # fmt: skip


def _hand_status_ok(typed) -> bool:
    if typed is None:
        return True
    if not isinstance(typed, str):
        return False
    text = " ".join(typed.replace("\u2019", "'").lower().split())
    return text == "" or text in LISTED_STATUSES


def expected_review_banner() -> str:
    bad = [str(n) for n, typed in enumerate(TYPED_STATUSES, start=1) if not _hand_status_ok(typed)]
    if not bad:
        return ""
    if len(bad) == 1:
        return f"Check the status of action {bad[0]}: it is not from the list"
    return f"Check the statuses of actions {', '.join(bad)}: they are not from the list"


def reviewing_workbook(folder: Path, template: Template) -> Path:
    """A round-two workbook asking about agreed actions, with TYPED_STATUSES typed in."""
    return review_workbook(folder, template, TYPED_STATUSES)


@pytest.mark.gnumeric
def test_edge_cases_and_banners_in_every_engine(tmp_path, soffice, ssconvert, template):
    """Hand-picked cases (all blank, all N/A, thresholds hit exactly, invalid answers one
    and several to a principle, TRUE) in all four engines: every result cell, and the
    line above each principle's statements; and an Agreed actions sheet whose line above
    the table names each action whose status is not from the list."""
    ids = [q.id for _, q in template.questions]
    by_principle = {p.id: [q.id for q in p.questions] for p in template.principles}
    commitment = by_principle["commitment"]
    cases = {
        "blank": {},
        "all-na": dict.fromkeys(ids, "N/A"),
        "exact-4": dict.fromkeys(ids, "4 – Agree"),
        "exact-3": {qid: (2 if i % 2 else 4) for i, qid in enumerate(ids)},
        "half-answered": {q: 5 for p in by_principle.values() for q in p[: (len(p) + 1) // 2]},
        "wildcards": {ids[0]: "?", ids[5]: "*", ids[9]: "~"},
        "tab-and-nbsp": {ids[0]: "don't\u00a0know", ids[1]: "\tagree"},
        "error-only": {ids[0]: "nonsense"},
        "one-invalid": {**dict.fromkeys(ids, 3), commitment[2]: "Agreed"},
        "two-invalid": {**dict.fromkeys(ids, 5), commitment[1]: "x", commitment[3]: 7},
        "boolean": {**dict.fromkeys(ids, 4), commitment[0]: True, ids[-1]: False},
    }
    result = generate(tmp_path / "blank", partners=list(cases))
    filled = [
        fill(w.path, tmp_path / f"{w.path.stem}-filled.xlsx", answers)
        for w, answers in zip(result.workbooks, cases.values())
    ]
    review = reviewing_workbook(tmp_path, template)
    by_engine = {
        "libreoffice": libreoffice.recalculate([*filled, review], tmp_path / "libreoffice"),
        "gnumeric": gnumeric.recalculate([*filled, review], tmp_path / "gnumeric"),
        **{engine: [*filled, review] for engine in IN_PROCESS},
    }
    banner_cells = {p.name: (p.name, 3, BANNER_COLUMN) for p in template.principles}
    review_banner = {"banner": (REVIEW_SHEET, REVIEW_BANNER_ROW, 1)}
    wrong = []
    for engine, paths in by_engine.items():
        read = IN_PROCESS.get(engine, cached_values)
        for path, answers in zip(paths, cases.values()):
            label = f"{engine}: {path.name}"
            values = named_values(read, path, result_names(template))
            wrong += mismatches(values, answers, template, label)
            banners = read(path, banner_cells)
            for sheet, want in expected_banners(template, answers).items():
                if banners[sheet] != want or isinstance(banners[sheet], ErrorValue):
                    wrong.append(f"{label}: {sheet} banner {banners[sheet]!r}, expected {want!r}")
        got = read(paths[-1], review_banner)["banner"]
        if not (_blank(got) if expected_review_banner() == "" else got == expected_review_banner()):
            wrong.append(f"{engine}: review banner {got!r}, expected {expected_review_banner()!r}")
    assert not wrong, "\n".join(wrong)


def test_a_status_from_outside_the_list_turns_red(tmp_path, template):
    """The status cells carry the same red rule as invalid answers, keyed on the check."""
    review = reviewing_workbook(tmp_path, template)
    ws = openpyxl.load_workbook(review)[REVIEW_SHEET]
    rules = {
        str(rng.sqref): [r.formula for r in rules]
        for rng, rules in ws.conditional_formatting._cf_rules.items()
    }
    first, last = REVIEW_HEADER_ROW + 1, REVIEW_HEADER_ROW + len(TYPED_STATUSES)
    assert rules == {f"F{first}:F{last}": [[f"$J{first}=1"]]}


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
    assert_agrees(recalculated, template, answers)


# How Office.js hands an error cell to a custom function, by the error typed.
OFFICE_ERRORS = {
    "#N/A": {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"},
    "#DIV/0!": {"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"},
}
NA_CELL = OFFICE_ERRORS["#N/A"]


def _excel_value(value):
    """A cell value as Excel hands it to a function: numbers (and dates, as their day
    numbers) as floats, error values as Office.js describes them."""
    if isinstance(value, (dt.date, dt.time)):
        return float(to_excel(value))
    if isinstance(value, str) and value in OFFICE_ERRORS:
        return OFFICE_ERRORS[value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def test_second_scorer_xlwings_and_libreoffice_agree(fidelity_round, template):
    """Three-way agreement on every answer set, invalid and disputed answers included:
    the COUPLE_ functions through xlwings' protocol, LibreOffice's cached results, and
    the second scorer."""
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
    names = result_names(template)
    for n, (path, answers) in enumerate(fidelity_round):
        want = hand_cells(template, answers)
        cached = named_values(cached_values, path, names)
        for p in template.principles:
            score, answered = by_set[n][p.id]
            where = f"set {n}, {p.id}"
            if want[f"SCORE_{p.id}"] == NA:
                assert "error" in score, where
                assert "error" in answered, where
                assert cached[f"SCORE_{p.id}"] == ErrorValue(NA), where
            else:
                udf = score["value"][0][0]
                if want[f"SCORE_{p.id}"] is None:
                    assert udf == "", where
                else:
                    assert abs(udf - want[f"SCORE_{p.id}"]) <= TOLERANCE, where
                assert agrees(cached[f"SCORE_{p.id}"], want[f"SCORE_{p.id}"]), where
                assert answered["value"][0][0] == want[f"ANSWERED_{p.id}"], where
                band = next(bands)["value"][0][0]
                assert band == (want[f"BAND_{p.id}"] or ""), where
                assert agrees(cached[f"BAND_{p.id}"], want[f"BAND_{p.id}"]), where
            compared += 1
        overall = overalls[n]
        if want["SCORE_OVERALL"] == NA:
            assert "error" in overall
        elif want["SCORE_OVERALL"] is None:
            assert overall["value"][0][0] == ""
        else:
            assert abs(overall["value"][0][0] - want["SCORE_OVERALL"]) <= TOLERANCE
        assert agrees(cached["SCORE_OVERALL"], want["SCORE_OVERALL"])
    assert compared == len(fidelity_round) * len(template.principles) >= 100


def test_an_ironcalc_panic_is_a_failure_never_a_pass(monkeypatch, blank_workbook, template):
    """IronCalc's panics arrive as pyo3's PanicException, a BaseException: the harness
    turns one into EngineFailure, which the fidelity runs count as a mismatch."""
    import ironcalc

    def panic(*args, **kwargs):
        ironcalc.test_panic()

    monkeypatch.setattr(ironcalc, "load_from_xlsx", panic)
    with pytest.raises(EngineFailure, match="IronCalc failed"):
        named_values(IN_PROCESS["ironcalc"], blank_workbook, result_names(template))
