"""Test helpers: generate a round, fill a workbook as a partner would, read names back,
random answers people really type, and an edge-case template. Imported by the tests as
`tests.helpers`; fixtures live in conftest.py."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import openpyxl
from openpyxl.utils.datetime import to_excel

from couple_xl.actions import AgreedAction
from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from couple_xl.layout import status_name
from couple_xl.metadata import WorkbookMetadata
from couple_xl.templates import Template, resolve_template
from couple_xl.workbook import named as named_cell
from couple_xl.workbook import write_empty_cells_as_excel, write_workbook

__all__ = [
    "DISPUTED_ANSWERS",
    "EMOJI",
    "ROUND_DATE",
    "assert_read_from_email",
    "custom_properties",
    "edge_template",
    "edge_template_data",
    "fill",
    "generate",
    "hand_cells",
    "hand_value",
    "named_cell",
    "random_answers",
    "read_names",
    "review_workbook",
]

ROUND_DATE = dt.date(2026, 10, 1)
EMOJI = "\U0001f91d"  # 🤝: one Python character, two UTF-16 units


def generate(
    out_dir: Path,
    partners: list[str] | tuple[str, ...] = ("Age UK Riverside", "Riverside Foodbank"),
    template: Template | None = None,
    **kwargs,
):
    """Write a round of workbooks; returns the RoundResult."""
    request = RoundRequest(
        partnership_name=kwargs.pop("partnership_name", "Riverside Food Partnership"),
        partners=[PartnerEntry(p) for p in partners],
        template=template or resolve_template("couple"),
        out_dir=out_dir,
        round_date=kwargs.pop("round_date", ROUND_DATE),
        **kwargs,
    )
    return new_round(request)


def fill(
    source: Path,
    target: Path,
    answers: dict,
    comments: dict | None = None,
    respondent: tuple[str, str] = ("", ""),
    actions: dict | None = None,
) -> Path:
    """Fill a generated workbook as a partner would, through its named cells: answers
    (Q_<id>), comments (N_<id>, always text), respondent, and action rows per principle."""
    wb = openpyxl.load_workbook(source)
    for qid, value in answers.items():
        named_cell(wb, f"Q_{qid}").value = value
    for qid, text in (comments or {}).items():
        cell = named_cell(wb, f"N_{qid}")
        cell.value = text
        cell.data_type = "s"
    named_cell(wb, "RESPONDENT_NAME").value = respondent[0] or None
    named_cell(wb, "RESPONDENT_ROLE").value = respondent[1] or None
    for pid, rows in (actions or {}).items():
        for cells, values in zip(named_cell(wb, f"ACTIONS_{pid}"), rows):
            for c, v in zip(cells, values):
                c.value = v
                c.data_type = "s"
    wb.save(target)
    # As the partner's spreadsheet app would save it: openpyxl writes an empty cell
    # with a type, which some engines read as 0.
    write_empty_cells_as_excel(target)
    return target


def review_workbook(folder: Path, template: Template, statuses: list) -> Path:
    """A round-two workbook that asks how len(statuses) agreed actions are going, with
    each status typed in (None leaves it blank)."""
    actions = [
        AgreedAction(f"a20261001_{n}", "execution", f"Agreed action {n}", "Sam", "June")
        for n in range(1, len(statuses) + 1)
    ]
    meta = WorkbookMetadata(
        template_id=template.id,
        template_version=template.version,
        template_sha256=template.fingerprint,
        partnership_id="riverside-food-partnership",
        partnership_name="Riverside Food Partnership",
        partner="Reviewer",
        round="Spring 2027",
        round_date=dt.date(2027, 4, 1),
        return_id="0" * 32,
        created=dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc),
        generator="tests",
    )
    blank = write_workbook(template, meta, folder / "review-blank.xlsx", agreed=actions)
    wb = openpyxl.load_workbook(blank)
    for action, typed in zip(actions, statuses):
        named_cell(wb, status_name(action.id)).value = typed
    target = folder / "review.xlsx"
    wb.save(target)
    write_empty_cells_as_excel(target)
    return target


def read_names(path: Path, names: list[str]) -> dict:
    """Cached values of named cells, as a spreadsheet app last calculated them."""
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        return {name: named_cell(wb, name).value for name in names}
    finally:
        wb.close()


# Answer spellings people actually produce: dropdown picks, typed numbers, bare labels
# in odd case, autocorrected apostrophes, stray spaces; and invalid entries.
def random_answers(template: Template, rng: random.Random, invalid_rate: float = 0.0) -> dict:
    scale = template.engine_scale
    picks = list(scale.choices)
    typed = [
        *[p.value for p in scale.points],
        *[f" {p.value} " for p in scale.points],
        *[p.label.upper() for p in scale.points],
        *[f"  {p.label.lower()}" for p in scale.points],
        "don\u2019t know",
        " n/a ",
        "NA",
        "4 - agree",
    ]
    invalid = ["bogus", 0, 6, 2.5, "?", "*", "Agreed", "5 – Strongly disagree"]
    answers = {}
    for _, q in template.questions:
        roll = rng.random()
        if roll < invalid_rate:
            answers[q.id] = rng.choice(invalid)
        elif roll < 0.15 + invalid_rate:
            answers[q.id] = None
        elif roll < 0.35 + invalid_rate:
            answers[q.id] = rng.choice(typed)
        else:
            answers[q.id] = rng.choice(picks)
    return answers


def edge_template(template, **changes):
    data = json.loads(template.to_json())
    data["id"] = "edge"
    for key, value in changes.items():
        data[key] = value
    return data


def edge_template_data(template) -> dict:
    """A 31-unit principle name ending in an emoji, apostrophes, 20 questions, a 1-7 scale."""
    data = edge_template(template)
    first, second = data["principles"][0], data["principles"][1]
    first["name"] = "Commitment to each other now " + EMOJI  # 29 characters + 2 units
    second["name"] = 'Partners\' "shared" outcomes'
    first["questions"] = [
        {"id": f"q{i:02d}", "text": f"Statement {i}", "guidance": "", "weight": 1.0}
        for i in range(1, 21)
    ]
    data["scale"]["points"] = [{"value": v, "label": f"Level {v}"} for v in range(1, 8)]
    data["scale"]["aliases"] = {}
    data["settings"].update({"strength": 5.5, "developing": 3.5})
    return data


# --- a second scorer, written apart from couple_xl/scoring.py -----------------------
# The standard template's answers, as a partner might type them. Used as an oracle:
# tests compare consolidation's scores with these, never with the engine itself.
_LABELS = {
    "strongly disagree": 1,
    "disagree": 2,
    "neither agree nor disagree": 3,
    "agree": 4,
    "strongly agree": 5,
}
_NOT_RATED = {"n/a", "na", "not applicable", "don't know", "dont know", "do not know", "dk"}


def hand_value(answer) -> int | str | None:
    """1-5 for a rated answer, None for blank or not rated, "invalid" otherwise.

    TRUE and FALSE are invalid; a date counts as the day number a spreadsheet keeps for
    it (openpyxl's conversion, not the engine's); a number within 1e-9 of 1-5 is that
    point; text is cleaned of control characters, non-breaking spaces and curly
    apostrophes, and runs of spaces, then compared whole."""
    if answer is None:
        return None
    if isinstance(answer, bool):
        return "invalid"
    if isinstance(answer, (dt.date, dt.time, dt.timedelta)):
        answer = to_excel(answer)
    if isinstance(answer, (int, float)):
        nearest = round(answer)
        return nearest if nearest in (1, 2, 3, 4, 5) and abs(answer - nearest) < 1e-9 else "invalid"
    text = "".join(ch for ch in str(answer) if ord(ch) >= 32)
    for curly in ("\u2019", "\u2018"):
        text = text.replace(curly, "'")
    text = " ".join(w for w in text.replace("\u00a0", " ").lower().split(" ") if w)
    if not text or text in _NOT_RATED:
        return None
    if text in _LABELS:
        return _LABELS[text]
    number, _, label = text.partition(" ")
    label = label.lstrip("–-").strip()
    if number in {"1", "2", "3", "4", "5"} and (not label or _LABELS.get(label) == int(number)):
        return int(number)
    return "invalid"


def hand_scores(template: Template, answers: dict) -> dict[str, float | None]:
    """Each principle's mean of rated answers (the standard template weighs all equally)."""
    scores = {}
    for p in template.principles:
        rated = [hand_value(answers.get(q.id)) for q in p.questions]
        rated = [v for v in rated if isinstance(v, int)]
        scores[p.id] = sum(rated) / len(rated) if rated else None
    return scores


def hand_cells(template: Template, answers: dict) -> dict[str, object]:
    """What every named result cell of a standard-template workbook must show for these
    answers, worked out by hand: a number, a word, None for an empty cell, or "#N/A"
    (compare with excel_engines.ErrorValue). Bands at 4 and 3, provisional below half."""
    out: dict[str, object] = {}
    scores, any_invalid, any_provisional = [], False, False
    for p in template.principles:
        values = [hand_value(answers.get(q.id)) for q in p.questions]
        rated = [v for v in values if isinstance(v, int)]
        invalid = "invalid" in values
        coverage = len(rated) / len(values)
        score = sum(rated) / len(rated) if rated else None
        provisional = round(coverage, 9) < 0.5
        out[f"ANSWERED_{p.id}"] = float(len(rated))
        out[f"COVERAGE_{p.id}"] = coverage
        if invalid:
            out[f"SCORE_{p.id}"] = out[f"BAND_{p.id}"] = "#N/A"
            out[f"PROVISIONAL_{p.id}"] = f"Check the answers on the {p.name} sheet"
        else:
            out[f"SCORE_{p.id}"] = score
            out[f"BAND_{p.id}"] = _hand_band(score)
            out[f"PROVISIONAL_{p.id}"] = "Provisional" if provisional else None
        any_invalid |= invalid
        any_provisional |= provisional or score is None
        if score is not None:
            scores.append(score)
    overall = sum(scores) / len(scores) if scores else None
    out["SCORE_OVERALL"] = "#N/A" if any_invalid else overall
    out["BAND_OVERALL"] = "#N/A" if any_invalid else _hand_band(overall)
    out["PROVISIONAL_OVERALL"] = "Provisional" if any_provisional else None
    return out


def _hand_band(score: float | None) -> str | None:
    if score is None:
        return None
    score = round(score, 9)
    return "Strength" if score >= 4 else "Developing" if score >= 3 else "Concern"


# Answers that spreadsheet engines have disagreed on, each with what it must count as
# (1-5, None for not rated, "invalid"): the fidelity tests put every one of them into
# workbooks of every kind.
DISPUTED_ANSWERS: list[tuple[object, int | str | None]] = [
    (True, "invalid"),
    (False, "invalid"),
    ("TRUE", "invalid"),
    ("4", 4),
    (" 5 ", 5),
    ("\u00a03\u00a0", 3),
    ("strongly  agree", 5),
    ("4\u00a0–\u00a0Agree", 4),
    ("don\u2019t\u00a0\u00a0know", None),
    ("\tagree", 4),
    ("a?ree", "invalid"),
    ("4?", "invalid"),
    ("~4", "invalid"),
    ("agree*", "invalid"),
    ("*", "invalid"),
    ("?", "invalid"),
    ("~", "invalid"),
    (6, "invalid"),
    (0, "invalid"),
    (5.000001, "invalid"),
    (5 + 4e-15, 5),
    (2 - 3e-15, 2),
    (dt.date(2026, 4, 5), "invalid"),
    (dt.date(1900, 1, 4), 4),  # the day number 4: what every formula sees
    (dt.time(4, 0), "invalid"),
    ("#DIV/0!", "invalid"),  # openpyxl writes it as an error value, as typed in Excel
    ("#N/A", "invalid"),
]


def custom_properties(source) -> dict[str, str]:
    """A workbook's custom document properties (from an openpyxl workbook or a path)."""
    wb = source if isinstance(source, openpyxl.Workbook) else openpyxl.load_workbook(source)
    return {p.name: p.value for p in wb.custom_doc_props}


def assert_read_from_email(result, label: str, about: str, template, answers: dict) -> None:
    """The one file of a consolidation came in an email: counted, labelled by the email
    and its attachment, named by the email, and scored as a second scorer scores it."""
    import pytest

    (log,) = result.files
    assert log.counted, [str(f) for f in log.findings]
    assert str(log.path) == label
    assert [f.message for f in log.findings if "from the email" in f.message] == [about]
    (r,) = result.partnerships[0].rounds
    for pid, score in hand_scores(template, answers).items():
        assert r.partners["A"].principles[pid].score == pytest.approx(score)
