"""CSV and JSON exports of a consolidation."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .consolidate import Consolidation
from .errors import Finding
from .files import atomic_target, make_folder
from .levels import PARTNER
from .report_rows import answer_rows, progress_rows, score_rows
from .returns import typed_value

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


def write_csv(
    result: Consolidation, folder: Path, level: str = PARTNER, anonymise: bool = False
) -> list[Path]:
    """answers.csv (partner level only), scores.csv and, when agreed actions were
    reviewed, actions_progress.csv; UTF-8 with a BOM for Excel."""
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

    if level == PARTNER:
        table(
            folder / ANSWERS_CSV,
            ANSWER_FIELDS,
            (
                {**row, "partnership": row["partnership_id"]}
                for row in answer_rows(result, anonymise)
            ),
        )
    table(folder / SCORES_CSV, SCORE_FIELDS, score_rows(result, level))
    if any(r.progress for p in result.partnerships for r in p.rounds):
        table(folder / PROGRESS_CSV, PROGRESS_FIELDS, progress_rows(result, level))
    return written


def as_json(result: Consolidation, level: str = PARTNER, anonymise: bool = False) -> dict[str, Any]:
    """Everything, with text exactly as typed."""
    partnerships = []
    for p in result.partnerships:
        rounds = []
        for r in p.rounds:
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
                    "closed": sum(a.closed for a in r.progress),
                    "disagree": sum(a.disagree for a in r.progress),
                },
                "principles": {
                    pid: {
                        "mean": s.mean,
                        "spread": s.spread,
                        "sd": s.sd,
                        "disagree": s.disagree,
                        "band": s.band,
                    }
                    for pid, s in r.principles.items()
                },
            }
            if level == PARTNER:
                entry["missing"] = [m.model_dump() for m in r.missing]
                entry["unexpected"] = [str(rec.path) for rec in r.unexpected]
                entry["partners"] = [
                    {
                        "partner": pr.partner,
                        "overall": pr.overall,
                        "band": pr.overall_band,
                        "provisional": pr.overall_provisional,
                        "principles": {
                            pid: {
                                "score": s.score,
                                "n": s.n,
                                "answered": s.answered,
                                "total": s.total,
                                "coverage": s.coverage,
                                "provisional": s.provisional,
                                "band": s.band,
                            }
                            for pid, s in pr.principles.items()
                        },
                        "respondents": [_respondent_json(rec, anonymise) for rec in pr.respondents],
                    }
                    for pr in r.partners.values()
                ]
            rounds.append(entry)
        partnerships.append({"partnership_id": p.partnership_id, "name": p.name, "rounds": rounds})
    files = (
        [
            {
                "file": str(f.path),
                "verdict": f.verdict.value,
                "counted": f.counted,
                "reasons": [finding_json(finding) for finding in f.findings],
                "sha256": f.record.sha256 if f.record else None,
            }
            for f in result.files
        ]
        if level == PARTNER
        else []
    )
    return {
        "format": "couple_xl/summary/1",
        "partnerships": partnerships,
        "actions_progress": progress_rows(result, level),
        "files": files,
        "findings": [finding_json(f) for f in result.findings],
    }


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


def _respondent_json(rec, anonymise: bool) -> dict[str, Any]:
    return {
        "name": "" if anonymise else rec.respondent_name,
        "role": "" if anonymise else rec.respondent_role,
        "date": rec.respondent_date,
        "return_id": rec.meta.return_id,
        "file": str(rec.path),
        "answers": {
            qid: {"answer": typed_value(raw), "comment": rec.comments.get(qid, "")}
            for qid, raw in rec.answers.items()
            if raw is not None or qid in rec.comments
        },
        "actions": [
            {
                "principle": a.principle_id,
                "action": a.action,
                "owner": a.owner,
                "by_when": a.by_when,
            }
            for a in rec.actions
        ],
        "scores": {pid: res.score for pid, res in rec.assessment.principles.items()},
    }


def write_json(
    result: Consolidation, path: Path, level: str = PARTNER, anonymise: bool = False
) -> Path:
    data = as_json(result, level, anonymise)
    _atomic_text(path, lambda f: json.dump(data, f, ensure_ascii=False, indent=2))
    return path
