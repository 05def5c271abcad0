"""Test helpers: generate a round, fill a workbook as a partner would, read names back,
random answers people really type, and an edge-case template. Imported by the tests as
`tests.helpers`; fixtures live in conftest.py."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import openpyxl

from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from couple_xl.templates import Template, resolve_template
from couple_xl.workbook import named as named_cell

__all__ = [
    "EMOJI",
    "ROUND_DATE",
    "assert_read_from_email",
    "custom_properties",
    "edge_template",
    "edge_template_data",
    "fill",
    "generate",
    "named_cell",
    "random_answers",
    "read_names",
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
    """1-5 for a rated answer, None for blank or not rated, "invalid" otherwise."""
    if answer is None:
        return None
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        return int(answer) if answer in (1, 2, 3, 4, 5) else "invalid"
    text = str(answer).replace("\u2019", "'").replace("\u00a0", " ").lower()
    text = " ".join(text.split())
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
