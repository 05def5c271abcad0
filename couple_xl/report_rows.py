"""The rows of an audience view that more than one output writes: one for each answer,
one for each score, and one for each view of an agreed action (or each status's count).
The summary workbook (summary.py) and the CSV and JSON exports (exports.py) both build
on these, side by side; what the rows may hold the view has already decided."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .audience import AudienceView


def answer_rows(view: AudienceView) -> Iterator[dict[str, Any]]:
    """One dict per answered (or commented) question of every respondent the view holds
    (none at partnership level)."""
    for p in view.partnerships:
        for r in p.rounds:
            for pr in r.partners:
                for who in pr.respondents:
                    for a in who.answers:
                        yield {
                            "partnership_id": p.id,
                            "partnership": p.name,
                            "round": r.round,
                            "round_date": r.round_date,
                            "partner": pr.name,
                            "respondent": who.name,
                            "return_id": who.return_id,
                            "principle": a.principle_id,
                            "question_id": a.question_id,
                            "question": a.question,
                            "answer": a.answer,
                            "score": a.score,
                            "valid": a.valid,
                            "comment": a.comment,
                        }


def score_rows(view: AudienceView) -> list[dict[str, Any]]:
    """Each round's means (partner ""), then each partner's scores where the view has them."""
    rows = []
    for p in view.partnerships:
        for r in p.rounds:
            base = {"partnership": p.id, "round": r.round}
            for s in r.principles:
                rows.append(
                    {
                        **base,
                        "partner": "",
                        "principle": s.id,
                        "score": s.mean,
                        "band": s.band or "",
                        "answered": "",
                        "total": "",
                        "provisional": "",
                    }
                )
            for pr in r.partners:
                for s in pr.principles:
                    rows.append(
                        {
                            **base,
                            "partner": pr.name,
                            "principle": s.id,
                            "score": s.score,
                            "band": s.band or "",
                            "answered": s.answered,
                            "total": s.total,
                            "provisional": s.provisional,
                        }
                    )
    return rows


def progress_rows(view: AudienceView) -> list[dict[str, Any]]:
    """The progress of agreed actions. With partners' views (partner level): one row per
    view, its status as typed and its comment, and a count of 1 when it chose a status from
    the list, 0 when it chose none (blank, or text that is not a status). Totals only: one
    row per status chosen, with how many chose it, and the views that chose none as
    "no answer"; no partner names and no comments."""
    rows = []
    for p in view.partnerships:
        for r in p.rounds:
            for progress in r.progress:
                a = progress.action
                base = {
                    "partnership": p.id,
                    "round": r.round,
                    "action_id": a.id,
                    "principle": a.principle_id,
                    "action": a.text,
                    "lead": a.lead,
                    "due": a.due,
                    "closed": progress.closed,
                    "disagree": progress.disagree,
                }
                if view.per_partner:
                    for v in progress.views:
                        status, counted = v.status or v.typed, int(v.status is not None)
                        rows.append({**base, "partner": v.partner, "status": status,
                                     "comment": v.comment, "count": counted})  # fmt: skip
                    continue
                for status, count in progress.counts:
                    if count:
                        rows.append({**base, "partner": "", "status": status, "comment": "",
                                     "count": count})  # fmt: skip
    return rows
