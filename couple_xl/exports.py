"""CSV and JSON exports of an audience view (audience.py decides what they may hold)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from .audience import AudienceView, Respondent, RoundView, SuggestedAction
from .errors import Finding
from .files import atomic_target, make_folder
from .report_rows import answer_rows, progress_rows, score_rows

ANSWER_FIELDS = [
    "partnership",
    "round",
    "partner",
    "respondent",
    "principle",
    "question_id",
    "question",
    "answer",
    "score",
    "comment",
]
SCORE_FIELDS = [
    "partnership",
    "round",
    "partner",
    "principle",
    "score",
    "band",
    "answered",
    "total",
    "provisional",
]
PROGRESS_FIELDS = [
    "partnership",
    "round",
    "action_id",
    "principle",
    "action",
    "lead",
    "due",
    "partner",
    "status",
    "comment",
    "count",
    "closed",
    "disagree",
]
ANSWERS_CSV, SCORES_CSV, PROGRESS_CSV = "answers.csv", "scores.csv", "actions_progress.csv"
CSV_FILES = (ANSWERS_CSV, SCORES_CSV, PROGRESS_CSV)  # what write_csv may write
# Characters that make a spreadsheet treat a CSV cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _atomic_text(path: Path, write) -> None:
    with atomic_target(path) as tmp:
        encoding = "utf-8-sig" if path.suffix == ".csv" else "utf-8"
        with open(tmp, "w", encoding=encoding, newline="") as f:
            write(f)


def write_csv(view: AudienceView, folder: Path) -> list[Path]:
    """answers.csv (when the view holds respondents), scores.csv and, when agreed actions
    were reviewed, actions_progress.csv; UTF-8 with a BOM for Excel."""
    make_folder(folder)
    written = []

    def table(path: Path, fields: list[str], rows) -> None:
        def write(f) -> None:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            for row in rows:
                w.writerow({k: csv_safe("" if row.get(k) is None else row.get(k)) for k in fields})

        _atomic_text(path, write)
        written.append(path)

    if view.per_partner:
        table(
            folder / ANSWERS_CSV,
            ANSWER_FIELDS,
            ({**row, "partnership": row["partnership_id"]} for row in answer_rows(view)),
        )
    table(folder / SCORES_CSV, SCORE_FIELDS, score_rows(view))
    if any(r.progress for r in view.rounds):
        table(folder / PROGRESS_CSV, PROGRESS_FIELDS, progress_rows(view))
    return written


def as_json(view: AudienceView) -> dict[str, Any]:
    """Everything the view holds, with text exactly as typed."""
    return {key: list(value) if key in _LISTED else value for key, value in _json_parts(view)}


_LISTED = ("partnerships", "files")  # made one item at a time (_json_parts)


def _json_parts(view: AudienceView) -> Iterator[tuple[str, Any]]:
    """The JSON's keys and values, in order; the long lists as iterators of their items,
    so that a writer can hold one partnership or file at a time."""
    yield "format", "couple_xl/summary/1"
    yield "partnerships", (
        {"partnership_id": p.id, "name": p.name,
         "rounds": [_round_json(r, view.per_partner) for r in p.rounds]}
        for p in view.partnerships
    )  # fmt: skip
    yield "actions_progress", progress_rows(view)
    yield (
        "files",
        (
            {
                "file": f.path,
                "verdict": f.verdict,
                "counted": f.counted,
                "reasons": [finding_json(finding) for finding in f.findings],
                "sha256": f.sha256,
            }
            for f in view.files
        ),
    )
    yield "findings", [finding_json(f) for f in view.findings]


def _dump_json(view: AudienceView, f: IO[str]) -> None:
    """``as_json(view)`` written as ``json.dump(..., indent=2)`` writes it, character for
    character, one partnership and one file at a time: a run of 10,000 returns would
    otherwise hold its whole JSON in memory at once."""

    def dumped(value: Any, depth: int) -> str:
        # Text in JSON never holds a raw line break, so every line break is indentation.
        text = json.dumps(value, ensure_ascii=False, indent=2)
        return text.replace("\n", "\n" + "  " * depth)

    f.write("{")
    for n, (key, value) in enumerate(_json_parts(view)):
        f.write(("," if n else "") + "\n  " + json.dumps(key, ensure_ascii=False) + ": ")
        if key not in _LISTED:
            f.write(dumped(value, 1))
            continue
        count = 0
        for count, item in enumerate(value, start=1):
            f.write(("[" if count == 1 else ",") + "\n    " + dumped(item, 2))
        f.write("\n  ]" if count else "[]")
    f.write("\n}")


def _round_json(r: RoundView, per_partner: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "round": r.round,
        "round_date": r.round_date.isoformat(),
        "template": {"id": r.template.id, "version": r.template.version},
        "returned": r.returned,
        "expected": r.expected,
        "overall": r.overall,
        "band": r.overall_band,
        "weakest_principle": r.weakest,
        "agreed_actions": {
            "total": len(r.progress),
            "closed": r.actions_closed,
            "disagree": r.actions_disagreed,
        },
        "principles": {
            s.id: {
                "mean": s.mean,
                "spread": s.spread,
                "sd": s.sd,
                "disagree": s.disagree,
                "band": s.band,
            }
            for s in r.principles
        },
    }
    # Every action suggested in the round, saying who suggested it where the view does
    # (at partner level each respondent's are also listed with the respondent).
    entry["actions"] = [_action_json(a) for a in r.actions]
    if not per_partner:  # these lists would be empty, which would say nobody is missing
        return entry
    entry["missing"] = [asdict(m) for m in r.missing]
    entry["unexpected"] = [u.file for u in r.unexpected]
    entry["partners"] = [
        {
            "partner": pr.name,
            "overall": pr.overall,
            "band": pr.overall_band,
            "provisional": pr.overall_provisional,
            "principles": {
                s.id: {
                    "score": s.score,
                    "n": s.n,
                    "answered": s.answered,
                    "total": s.total,
                    "coverage": s.coverage,
                    "provisional": s.provisional,
                    "band": s.band,
                }
                for s in pr.principles
            },
            "respondents": [_respondent_json(who) for who in pr.respondents],
        }
        for pr in r.partners
    ]
    return entry


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding as JSON: severity, message, and where, each in its own key."""
    where = finding.location
    return {
        "severity": finding.severity.value,
        "message": finding.message,
        "file": None if where.file is None else str(where.file),
        "sheet": where.sheet,
        "cell": where.cell,
        "key": where.key,
    }


def _action_json(a: SuggestedAction, who: bool = True) -> dict[str, Any]:
    entry = {"principle": a.principle_id, "action": a.action, "owner": a.owner,
             "by_when": a.by_when}  # fmt: skip
    if who and a.partner is not None:
        entry["partner"], entry["respondent"] = a.partner, a.respondent
    return entry


def _respondent_json(who: Respondent) -> dict[str, Any]:
    return {
        "name": who.name,
        "role": who.role,
        "date": who.date,
        "return_id": who.return_id,
        "file": who.file,
        "answers": {a.question_id: {"answer": a.answer, "comment": a.comment} for a in who.answers},
        "actions": [_action_json(a, who=False) for a in who.actions],
        "scores": dict(who.scores),
    }


def write_json(view: AudienceView, path: Path) -> Path:
    """Everything the view holds as JSON (UTF-8, text exactly as typed), atomically."""
    _atomic_text(path, lambda f: _dump_json(view, f))
    return path
