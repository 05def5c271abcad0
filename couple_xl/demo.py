"""An example partnership, end to end: workbooks, simulated returns, a summary.

The simulated partners answer from seeded random numbers around their own view
of the partnership, so they really disagree; some answers are N/A or Don't
know, some carry comments, and each suggests actions. One partner never replies
in the second round.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, Location
from .files import atomic_target, copy_atomically, write_text_atomically
from .generate import RoundRequest, new_round
from .inputs import PartnerEntry
from .layout import (
    RESPONDENT_DATE,
    RESPONDENT_NAME,
    RESPONDENT_ROLE,
    actions_name,
    answer_name,
    comment_name,
    note_name,
    status_name,
)
from .pipeline import ConsolidateOptions, ConsolidateOutcome, run_consolidate
from .templates import Template, resolve_template

MARKER = ".couple-demo"
PARTNERSHIP = "Riverside Food Partnership"
CONTACT = "Sam Lee <sam.lee@riverside-food.example>"

# name, email, respondent, role, and how the partner sees each principle (mean, 1–5).
PARTNERS = [
    (
        "Age UK Riverside",
        "ann.patel@ageuk-riverside.example",
        "Ann Patel",
        "Services manager",
        {
            "commitment": 4.4,
            "outcomes": 3.6,
            "understanding": 3.2,
            "processes": 2.6,
            "leadership": 3.9,
            "execution": 3.1,
        },
    ),
    (
        "Riverside Foodbank",
        "joe.okafor@riverside-foodbank.example",
        "Joe Okafor",
        "Coordinator",
        {
            "commitment": 4.1,
            "outcomes": 3.1,
            "understanding": 2.7,
            "processes": 2.2,
            "leadership": 1.8,
            "execution": 2.6,
        },
    ),
    (
        "St Mark's Community Kitchen",
        "kitchen@stmarks.example",
        "Rev. Clare Hughes",
        "Trustee",
        {
            "commitment": 3.8,
            "outcomes": 2.9,
            "understanding": 3.5,
            "processes": 3.0,
            "leadership": 4.3,
            "execution": 3.3,
        },
    ),
    (
        "Riverside Borough Council",
        "commissioning@riverside.gov.example",
        "Priya Shah",
        "Commissioning officer",
        {
            "commitment": 3.4,
            "outcomes": 4.2,
            "understanding": 2.9,
            "processes": 3.6,
            "leadership": 4.0,
            "execution": 3.8,
        },
    ),
]
ROUNDS = [
    ("Spring 2026", dt.date(2026, 4, 1), dt.date(2026, 4, 30), 0.0),
    ("Autumn 2026", dt.date(2026, 10, 1), dt.date(2026, 10, 30), 0.35),
]
MISSING_IN_LAST_ROUND = "Riverside Borough Council"
COMMENTS = [
    "We discussed this at the last steering group.",
    "Depends which partner you ask, honestly.",
    "Evidence: minutes of the joint board, March.",
    "Not sure the newer staff know this.",
    "Our trustees raised this in their last meeting.",
]
ACTIONS = {
    "processes": ("Agree one referral form for all partners", "Operations leads", "End of quarter"),
    "leadership": ("Write down who decides what, and share it", "Chairs", "Next board"),
    "understanding": ("Hold a half-day visit to each partner", "Coordinator", "Within 3 months"),
    "execution": ("Put the joint plan on every meeting agenda", "Coordinator", "Next meeting"),
}


@dataclass
class DemoOutcome:
    folder: Path
    workbooks: list[Path]
    returns: list[Path]
    missing: list[str]
    consolidation: ConsolidateOutcome
    plans: list[Path] = field(default_factory=list)  # as written, then as agreed


def _prepare(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise InputError(
            "exists and is not a demo folder: choose an empty or new --out folder",
            Location(file=folder),
        )
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    write_text_atomically(folder / MARKER, "Made by couple-xl demo; safe to delete.\n")


def _answer(template: Template, rng: random.Random, mean: float) -> object:
    """A dropdown pick near ``mean``; sometimes N/A or Don't know; sometimes typed."""
    roll = rng.random()
    if roll < 0.05:
        return "N/A"
    if roll < 0.10:
        return "Don't know"
    value = min(5, max(1, round(rng.gauss(mean, 0.7))))
    point = next(p for p in template.engine_scale.points if p.value == value)
    return value if roll > 0.9 else point.choice  # a few typed as plain numbers


# How the demo's meeting words the actions it agrees, who leads them and by when.
LEADS = [("Priya Shah", "31 July 2026"), ("Sam Lee", "30 June 2026"), ("Tom Okafor", "September")]
# How partners see progress by the next round: mostly moving, not all agreeing.
PROGRESS = [("Done", 4), ("On track", 3), ("Behind", 2), ("Not started", 1), ("Don't know", 1)]
PROGRESS_NOTES = ["Used at every referral since June.", "Waiting for the council's sign-off.",
                  "Raised at the May board; no date yet."]  # fmt: skip


def _plan_meeting(folder: Path, returns: Path, label: str) -> list[Path]:
    """couple-xl plan on the round so far, then the partners' meeting: the first
    suggestions agreed (with a lead and a date), the rest not. Returns both files."""
    from openpyxl import load_workbook

    from .plan import PLAN_COLUMNS, PLAN_SHEET, PlanOptions, run_plan

    slug = label.lower().replace(" ", "-")
    written = folder / f"plan-{slug}.xlsx"
    run_plan(PlanOptions([returns], written))
    wb = load_workbook(written)
    ws = wb[PLAN_SHEET]
    header = next(r for r in ws.iter_rows() if r[0].value == PLAN_COLUMNS[0])
    col = {c.value: c.column for c in header}
    suggestions = [r for r in ws.iter_rows(min_row=header[0].row + 1)
                   if r[col["suggested action"] - 1].value]  # fmt: skip
    for n, row in enumerate(suggestions):
        r = row[0].row
        if n < len(LEADS):
            ws.cell(r, col["agreed"]).value = "Yes"
            ws.cell(r, col["lead"]).value, ws.cell(r, col["due"]).value = LEADS[n]
        else:
            ws.cell(r, col["agreed"]).value = "No"
    agreed = folder / f"plan-{slug}-agreed.xlsx"
    with atomic_target(agreed) as tmp:
        wb.save(tmp)
    return [written, agreed]


def _fill(
    source: Path,
    target: Path,
    template: Template,
    rng: random.Random,
    view: dict,
    respondent: str,
    role: str,
    completed: dt.date,
    agreed: list[str] | None = None,
) -> None:
    from openpyxl import load_workbook

    from .workbook import named

    wb = load_workbook(source)

    named(wb, RESPONDENT_NAME).value = respondent
    named(wb, RESPONDENT_ROLE).value = role
    named(wb, RESPONDENT_DATE).value = completed
    for principle in template.principles:
        for q in principle.questions:
            named(wb, answer_name(q.id)).value = _answer(template, rng, view[principle.id])
            if rng.random() < 0.2:
                named(wb, comment_name(q.id)).value = rng.choice(COMMENTS)
        action = ACTIONS.get(principle.id)
        if action and view[principle.id] < 3.2:
            first = named(wb, actions_name(principle.id))[0]
            for c, value in zip(first, action):
                c.value = value
    for action_id in agreed or []:
        statuses, weights = zip(*PROGRESS)
        named(wb, status_name(action_id)).value = rng.choices(statuses, weights)[0]
        if rng.random() < 0.4:
            named(wb, note_name(action_id)).value = rng.choice(PROGRESS_NOTES)
    with atomic_target(target) as tmp:
        wb.save(tmp)
        _keep_chart_text(source, tmp)


def _keep_chart_text(source: Path, saved: Path) -> None:
    """Give the charts of ``saved`` the alternative text they had in ``source``: a
    partner's spreadsheet app keeps it, but openpyxl, which fills in the demo's returns,
    drops it when it saves."""
    import zipfile

    from .workbook import chart_descriptions, describe_charts, write_parts

    with zipfile.ZipFile(source) as z:
        texts = chart_descriptions(
            {n: z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels"))}
        )
    with zipfile.ZipFile(saved) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    write_parts(saved, describe_charts(parts, texts))


def run_demo(folder: Path, seed: int = 2026) -> DemoOutcome:
    """Build the example in ``folder`` (replacing an earlier demo there) and consolidate it."""
    _prepare(folder)
    template = resolve_template("couple")
    rng = random.Random(seed)
    workbooks: list[Path] = []
    returns: list[Path] = []
    returns_dir = folder / "returns"
    returns_dir.mkdir()
    plans: list[Path] = []
    for index, (label, date, due, improvement) in enumerate(ROUNDS):
        # Between rounds, the plan: the last round's suggestions, some agreed.
        if index:
            plans += _plan_meeting(folder, returns_dir, ROUNDS[index - 1][0])
        out = folder / "workbooks" / label.lower().replace(" ", "-")
        result = new_round(
            RoundRequest(
                partnership_name=PARTNERSHIP,
                partners=[PartnerEntry(name, email) for name, email, *_ in PARTNERS],
                template=template,
                out_dir=out,
                round_label=label,
                round_date=date,
                due_date=due,
                contact=CONTACT,
                plan=plans[-1] if plans else None,
            )
        )
        workbooks += [w.path for w in result.workbooks]
        copy_atomically(result.manifest, returns_dir / result.manifest.name)
        last = index == len(ROUNDS) - 1
        for (name, _, respondent, role, view), written in zip(PARTNERS, result.workbooks):
            if last and name == MISSING_IN_LAST_ROUND:
                continue
            adjusted = {k: min(5.0, v + improvement) for k, v in view.items()}
            target = returns_dir / f"{written.path.stem} (returned).xlsx"
            _fill(
                written.path,
                target,
                template,
                rng,
                adjusted,
                respondent,
                role,
                due - dt.timedelta(days=3),
                [a.id for a in result.agreed],
            )
            returns.append(target)
    outcome = run_consolidate(
        ConsolidateOptions(
            paths=[returns_dir],
            output=folder / "couple-summary.xlsx",
            csv_dir=folder / "exports",
            json_path=folder / "exports" / "summary.json",
            pdf_path=folder / "couple-report.pdf",
        )
    )
    return DemoOutcome(folder, workbooks, returns, [MISSING_IN_LAST_ROUND], outcome, plans)
