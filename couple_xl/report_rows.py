"""The rows of a consolidation that more than one output writes: one for each answer,
and one for each score. The summary workbook (summary.py) and the CSV and JSON
exports (exports.py) both build on these, side by side."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .consolidate import Consolidation
from .levels import PARTNER
from .returns import typed_value


def answer_rows(result: Consolidation, anonymise: bool = False) -> Iterator[dict[str, Any]]:
    """One dict per answered (or commented) question of every counted respondent."""
    for p in result.partnerships:
        for r in p.rounds:
            for pr in r.partners.values():
                for record in pr.respondents:
                    invalid = {
                        bad.question_id
                        for res in record.assessment.principles.values()
                        for bad in res.invalid
                    }
                    for principle, q in record.template.questions:
                        raw = record.answers.get(q.id)
                        comment = record.comments.get(q.id, "")
                        if raw is None and not comment:
                            continue
                        yield {
                            "partnership_id": p.partnership_id,
                            "partnership": p.name,
                            "round": r.round,
                            "round_date": r.round_date,
                            "partner": pr.partner,
                            "respondent": "" if anonymise else record.respondent_name,
                            "return_id": record.meta.return_id,
                            "principle": principle.id,
                            "question_id": q.id,
                            "question": q.text,
                            "answer": typed_value(raw),
                            "score": record.assessment.values.get(q.id),
                            "valid": q.id not in invalid,
                            "comment": comment,
                        }


def score_rows(result: Consolidation, level: str = PARTNER) -> list[dict[str, Any]]:
    rows = []
    for p in result.partnerships:
        for r in p.rounds:
            base = {"partnership": p.partnership_id, "round": r.round}
            for principle in r.template.principles:
                s = r.principles[principle.id]
                rows.append(
                    {
                        **base,
                        "partner": "",
                        "principle": principle.id,
                        "score": s.mean,
                        "band": s.band or "",
                        "answered": "",
                        "total": "",
                        "provisional": "",
                    }
                )
            if level != PARTNER:
                continue
            for pr in r.partners.values():
                for principle in r.template.principles:
                    s = pr.principles[principle.id]
                    rows.append(
                        {
                            **base,
                            "partner": pr.partner,
                            "principle": principle.id,
                            "score": s.score,
                            "band": s.band or "",
                            "answered": s.answered,
                            "total": s.total,
                            "provisional": s.provisional,
                        }
                    )
    return rows


def progress_rows(result: Consolidation, level: str = PARTNER) -> list[dict[str, Any]]:
    """The progress of agreed actions: at partner level one row per view (status and
    comment as typed); at partnership level totals only, one row per status given, with
    no partner names and no comments."""
    rows = []
    for p in result.partnerships:
        for r in p.rounds:
            for progress in r.progress:
                a = progress.action
                base = {
                    "partnership": p.partnership_id,
                    "round": r.round,
                    "action_id": a.id,
                    "principle": a.principle_id,
                    "action": a.text,
                    "lead": a.lead,
                    "due": a.due,
                    "closed": progress.closed,
                    "disagree": progress.disagree,
                }
                if level == PARTNER:
                    for view in progress.views:
                        status = view.status or view.typed
                        rows.append({**base, "partner": view.partner, "status": status,
                                     "comment": view.comment, "count": 1})  # fmt: skip
                    continue
                for status, count in progress.counts().items():
                    if count:
                        rows.append({**base, "partner": "", "status": status, "comment": "",
                                     "count": count})  # fmt: skip
    return rows
