"""The trustees' report: a tagged PDF (PDF/UA-1), written from an audience view alone.

A page for each partnership (its latest round, with continuation pages where its actions
need them) and, when there are several, a first page listing them by name: never ranked,
since partnerships assess themselves, some on their own templates.

The words and numbers are worked out here, each number rounded as the summary workbook
shows it; the layout is Typst's (``report.typ``, with DejaVu Sans from ``fonts/``). The
data reaches Typst as JSON, never as markup, so a partner's ``#``, ``$`` or ``*`` prints
as typed. A character the font cannot draw is replaced, visibly, with U+FFFD, and
reported as a finding: under PDF/UA, Typst refuses text it cannot draw.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import scoring
from .actions import STATUSES
from .audience import NO_ANSWER, AudienceView, PartnershipView, ProgressView, RoundView
from .errors import CoupleError, Finding, Location, Severity
from .files import atomic_target
from .inputs import in_words
from .layout import BAND_STYLES
from .templates import Template

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "report.typ"
FONTS = HERE / "fonts"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
REPLACEMENT = "\ufffd"
LANGUAGE, REGION = "en", "gb"  # /Lang en-GB
# Up to this many partners, each is marked on the chart by its number; more would crowd
# it, so each is then a small dot (their numbers are in the partners' table).
NUMBERED_UP_TO = 8
# Markers are this far apart (a share of the scale) before one moves to a lane below, so
# that no marker hides another: a numbered circle, a dot.
MARKER_GAP, DOT_GAP = 0.045, 0.02

# Characters the font has no glyph for that still need none: Unicode's default-ignorable
# code points (joiners, variation selectors, bidirectional marks, tags) and the spaces
# and line breaks.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
_SPACES = ("Zs", "Zl", "Zp")


class ReportError(CoupleError):
    """The report could not be made."""


# --- numbers as the summary shows them ------------------------------------------------------


def shown(value: float | None) -> str:
    """A score as the summary shows it ("3.3"), or "" for no score."""
    return "" if value is None else str(scoring.shown_score(value))


def shown_change(value: float | None) -> str:
    """A change with its sign ("+0.4", "−0.2"); "0.0" when it rounds to nothing."""
    if value is None:
        return ""
    rounded = scoring.shown_score(value)
    if rounded == 0:
        return "0.0"
    return f"+{rounded}" if rounded > 0 else f"\u2212{-rounded}"


def _num(value: float) -> str:
    """A threshold or scale point as typed in a template: 4, 3.5."""
    return f"{value:g}"


# --- what the font can draw ---------------------------------------------------------------


@lru_cache(maxsize=1)
def drawable() -> frozenset[int]:
    """Every code point the report can print: those both fonts (regular and bold) have a
    glyph for, and those that need none."""
    from fontTools.ttLib import TTFont

    covered: set[int] | None = None
    for name in FONT_FILES:
        cmap = set(TTFont(FONTS / name, lazy=True).getBestCmap())
        covered = cmap if covered is None else covered & cmap
    assert covered is not None
    for first, last in _IGNORABLE:
        covered.update(range(first, last + 1))
    covered.add(ord("\n"))
    covered.discard(0xFEFF)  # the fonts map it, but PDF/UA forbids it in text
    return frozenset(covered)


def undrawable(text: str) -> list[str]:
    """The distinct characters of ``text`` the report cannot print, in order."""
    can = drawable()
    return list(
        dict.fromkeys(
            c for c in text if ord(c) not in can and unicodedata.category(c) not in _SPACES
        )
    )


def _describe(c: str) -> str:
    name = unicodedata.name(c, "")
    return f"U+{ord(c):04X}" + (f" {name}" if name else "")


@dataclass
class _Fitter:
    """Makes every text printable, and remembers each one it had to change."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def text(self, text: str) -> str:
        # Tabs and carriage returns lay out as a space and a line break; nothing is lost.
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        bad = undrawable(text)
        if not bad:
            return text
        fitted = "".join(REPLACEMENT if c in bad else c for c in text)
        if text not in self.seen:
            self.seen.add(text)
            chars = ", ".join(_describe(c) for c in bad)
            self.findings.append(
                Finding(
                    f"the report's font cannot draw {chars} in “{fitted}”: it is shown there "
                    f"as {REPLACEMENT}; the summary workbook and the exports keep the text "
                    "as typed",
                    Location(self.path),
                    Severity.WARNING,
                )
            )
        return fitted

    def walk(self, data: Any) -> Any:
        """``data`` with every string in it made printable."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {k: self.walk(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.walk(v) for v in data]
        return data


# --- the document, as data ------------------------------------------------------------------


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _listed(names: Iterable[str]) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _bands(t: Template) -> list[dict[str, Any]]:
    """The template's band regions on its scale, lowest first."""
    values = t.engine_scale.values
    lo, hi = values[0], values[-1]
    th = t.thresholds
    return [
        {"name": scoring.CONCERN, "from": lo, "to": th.developing},
        {"name": scoring.DEVELOPING, "from": th.developing, "to": th.strength},
        {"name": scoring.STRENGTH, "from": th.strength, "to": hi},
    ]


def legend(t: Template) -> str:
    """The scale and the bands in words, in the template's own terms."""
    values = t.engine_scale.values
    th = t.thresholds
    return (
        f"Scores run from {_num(values[0])} to {_num(values[-1])}. "
        f"{scoring.STRENGTH}: {_num(th.strength)} or more; {scoring.DEVELOPING}: "
        f"{_num(th.developing)} or more; {scoring.CONCERN}: below {_num(th.developing)}."
    )


def _ticks(t: Template) -> list[dict[str, Any]]:
    """The scale's points and the thresholds, each once, for the chart's axis."""
    values = sorted({*t.engine_scale.values, t.thresholds.developing, t.thresholds.strength})
    return [{"at": v, "label": _num(v)} for v in values]


def _position(t: Template, score: float) -> float:
    """Where ``score`` lies on the template's scale, from 0 (its lowest) to 1."""
    values = t.engine_scale.values
    lo, hi = values[0], values[-1]
    return min(1.0, max(0.0, (score - lo) / (hi - lo)))


def _lanes(positions: list[tuple[int, float]], gap: float) -> dict[int, int]:
    """A lane (0, 1, …) for each partner's marker, so that markers closer than ``gap``
    never share one."""
    ends: list[float] = []
    lanes: dict[int, int] = {}
    for n, x in sorted(positions, key=lambda item: (item[1], item[0])):
        lane = next((i for i, end in enumerate(ends) if x - end >= gap), len(ends))
        if lane == len(ends):
            ends.append(x)
        else:
            ends[lane] = x
        lanes[n] = lane
    return lanes


def _band_shown(band: str | None, provisional: bool) -> str:
    """As the summary words it: "Developing", "Developing (provisional)", "No score"."""
    if band is None:
        return "No score"
    return f"{band} (provisional)" if provisional else band


def _tied(r: RoundView, pick: str) -> list[str]:
    """The principles with the highest (or lowest) mean: the view's choice first, then
    any principle with the same mean."""
    chosen = r.principle(pick) if pick else None
    if chosen is None or chosen.mean is None:
        return []
    same = [
        p.name
        for p in r.principles
        if p.mean is not None and p.id != chosen.id and round(p.mean - chosen.mean, 9) == 0
    ]
    return [chosen.name, *same]


def _headline(r: RoundView) -> dict[str, Any]:
    th = r.template.thresholds
    scored = [p for p in r.principles if p.mean is not None]
    strongest = _tied(r, r.strongest or "")
    weakest = _tied(r, r.weakest or "")
    if not scored:
        extremes = "No principle has a score yet."
    elif len(strongest) == len(scored):
        extremes = f"Every principle scores the same: {shown(scored[0].mean)}."
    else:
        best = r.principle(r.strongest or "")
        worst = r.principle(r.weakest or "")
        extremes = (
            f"Strongest: {_listed(strongest)} ({shown(best.mean if best else None)}). "
            f"Weakest: {_listed(weakest)} ({shown(worst.mean if worst else None)})."
        )
    disagreed = [p.name for p in r.principles if p.disagree]
    limit = _num(th.disagreement)
    if disagreed:
        disagree = (
            f"Partners disagree on {len(disagreed)} of {len(r.principles)} principles "
            f"(their scores differ by {limit} or more): {_listed(disagreed)}."
        )
    elif r.returned > 1:
        disagree = f"Partners agree within {limit} on every principle."
    else:
        disagree = "With one partner's return, there is no disagreement to measure."
    coverage = f"{th.min_coverage:.0%}"
    if r.provisional:
        provisional = (
            "Provisional: on some principles a partner answered fewer than "
            f"{coverage} of the statements, so these scores may still move."
        )
    else:
        provisional = (
            f"Not provisional: every partner answered at least {coverage} of every principle."
        )
    return {
        "overall": shown(r.overall),
        "band": r.overall_band or "No score",
        "provisional": r.provisional,
        "provisional_line": provisional,
        "extremes": extremes,
        "disagree": disagree,
    }


def _returned(r: RoundView) -> list[str]:
    """Who returned, and (where the view names them) who has not."""
    if r.expected is None:
        lines = [
            f"{_plural(r.returned, 'partner')} returned (no manifest was given, so how "
            "many were expected is not known)."
        ]
    else:
        lines = [f"{r.returned} of {_plural(r.expected, 'partner')} returned."]
    if r.counted != r.returned:
        lines[0] = lines[0][:-1] + f", {_plural(r.counted, 'return')} counted in all."
    if r.missing:
        lines.append(f"Not yet returned: {_listed(m.partner for m in r.missing)}.")
    elif r.not_returned:
        lines.append(f"{_plural(r.not_returned, 'partner has', 'partners have')} not returned yet.")
    if r.unexpected:
        names = _listed(dict.fromkeys(u.partner for u in r.unexpected))
        lines.append(f"Counted, though the manifest did not expect them: {names}.")
    return lines


def _principles(r: RoundView, per_partner: bool) -> list[dict[str, Any]]:
    rows = []
    for p in r.principles:
        marks = []
        if per_partner:
            scores = [(n, pv.principle(p.id).score) for n, pv in enumerate(r.partners, 1)]
            marks = _marks(r.template, scores)
        rows.append(
            {
                "name": p.name,
                "at": None if p.mean is None else _position(r.template, p.mean),
                "score": shown(p.mean),
                "band": _band_shown(p.band, p.provisional),
                "provisional": p.provisional,
                "change": shown_change(p.change),
                "spread": shown(p.spread),
                "disagree": "Yes" if p.disagree else "No",
                "marks": marks,
            }
        )
    return rows


def _marks(t: Template, scores: list[tuple[int, float | None]]) -> list[dict[str, Any]]:
    """Each partner's marker on the chart: its number, where it is, and its lane."""
    positions = [(n, _position(t, s)) for n, s in scores if s is not None]
    lanes = _lanes(positions, MARKER_GAP if len(scores) <= NUMBERED_UP_TO else DOT_GAP)
    return [{"n": n, "at": x, "lane": lanes[n]} for n, x in positions]


def _overall(r: RoundView, per_partner: bool) -> dict[str, Any]:
    marks = []
    if per_partner:
        marks = _marks(r.template, [(n, pv.overall) for n, pv in enumerate(r.partners, 1)])
    return {
        "name": "Overall",
        "at": None if r.overall is None else _position(r.template, r.overall),
        "score": shown(r.overall),
        "band": _band_shown(r.overall_band, r.provisional),
        "provisional": r.provisional,
        "change": shown_change(r.overall_change),
        "marks": marks,
    }


def _partners(r: RoundView) -> list[dict[str, Any]]:
    return [
        {
            "n": n,
            "name": pv.name,
            "scores": [shown(pp.score) for pp in pv.principles],
            "overall": shown(pv.overall),
        }
        for n, pv in enumerate(r.partners, 1)
    ]


def _status_counts(progress: ProgressView) -> str:
    parts = [f"{status} {n}" for status, n in progress.counts if n]
    return ", ".join(parts) or "no views"


def _views(progress: ProgressView) -> dict[str, list[dict[str, str]]]:
    """Partners' views of an action, grouped by status (in the statuses' order, then text
    that is none of them, then no answer), and their comments."""
    groups: dict[str, list[str]] = {}
    for v in progress.views:
        if v.status:
            status = v.status
        elif v.typed.strip():
            status = f"“{v.typed}” (not one of the statuses)"
        else:
            status = NO_ANSWER
        groups.setdefault(status, []).append(v.partner)
    order = {s: i for i, s in enumerate(STATUSES)}
    ordered = sorted(groups, key=lambda s: order.get(s, len(order) + (s == NO_ANSWER)))
    return {
        "groups": [
            {"status": s, "count": str(len(groups[s])), "partners": _listed(groups[s])}
            for s in ordered
        ],
        "comments": [
            {"partner": v.partner, "comment": v.comment} for v in progress.views if v.comment
        ],
    }


def _actions(r: RoundView) -> dict[str, Any]:
    progress = r.progress
    if not progress:
        return {"line": "No agreed actions were followed up in this round.", "open": []}
    line = (
        f"{r.actions_closed} of {_plural(len(progress), 'agreed action')} closed, "
        f"{r.actions_disagreed} where partners disagree."
    )
    rows = [
        {
            "text": p.action.text,
            "principle": p.principle,
            "lead": p.action.lead or "not named",
            "due": p.action.due_shown or "not set",
            "disagree": p.disagree,
            "views": _views(p),
            "counts": _status_counts(p),
        }
        for p in progress
        if not p.closed
    ]
    if not rows:
        line += " Every one is closed."
    elif r.actions_closed:
        line += " The open ones:"
    return {"line": line, "open": rows}


def _alt(r: RoundView, per_partner: bool) -> str:
    """The chart's alternative text: what it shows, its numbers, and where they are as text."""
    t = r.template
    values = t.engine_scale.values
    th = t.thresholds
    who = ""
    if per_partner:
        numbered = len(r.partners) <= NUMBERED_UP_TO
        who = ", with each partner's score marked" + (" by its number" if numbered else "")
    means = "; ".join(f"{p.name} {shown(p.mean) or 'no score'}" for p in r.principles)
    tables = (
        "tables “Scores by principle” and “Each partner's scores”"
        if per_partner
        else "table “Scores by principle”"
    )
    return (
        f"Chart of the mean of the partners' scores for each of the {len(r.principles)} "
        f"principles and overall{who}, on the scale {_num(values[0])} to {_num(values[-1])}, "
        f"against the bands {scoring.CONCERN} (below {_num(th.developing)}), "
        f"{scoring.DEVELOPING} ({_num(th.developing)} to {_num(th.strength)}) and "
        f"{scoring.STRENGTH} ({_num(th.strength)} or more). Means: {means}; overall "
        f"{shown(r.overall) or 'no score'}. The same numbers are in the {tables} below."
    )


def _partnership(p: PartnershipView, r: RoundView, per_partner: bool, index: int) -> dict:
    t = r.template
    return {
        "key": f"partnership-{index}",
        "name": p.name,
        "round": r.round,
        "date": in_words(r.round_date),
        "template": f"{t.title} (template {t.id} {t.version})",
        "returned": _returned(r),
        "headline": _headline(r),
        "previous": r.previous or "",
        "first_round": "This is the partnership's first round in these returns, so there is "
        "no change to show.",
        "bands": _bands(t),
        "ticks": _ticks(t),
        "low": t.engine_scale.values[0],
        "high": t.engine_scale.values[-1],
        "legend": legend(t),
        "principles": _principles(r, per_partner),
        "overall": _overall(r, per_partner),
        "partners": _partners(r) if per_partner else [],
        "numbered": len(r.partners) <= NUMBERED_UP_TO,
        "actions": _actions(r),
        "suggested": (
            f"Partners suggested {_plural(len(r.actions), 'action')} in this round: the "
            "summary workbook's Actions sheet lists them, for the next plan."
            if r.actions
            else ""
        ),
        "alt": _alt(r, per_partner),
    }


def _natural(name: str) -> tuple:
    """How people sort names: ignoring case, and numbers by their value ("Area 9" before
    "Area 10")."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", name.casefold())
        if part
    )


def _listing_row(p: PartnershipView, r: RoundView, index: int) -> dict[str, str]:
    returned = f"{r.returned} of {r.expected}" if r.expected is not None else f"{r.returned}"
    return {
        "key": f"partnership-{index}",
        "name": p.name,
        "round": r.round,
        "date": in_words(r.round_date),
        "returned": returned,
        "overall": shown(r.overall),
        "band": r.overall_band or "No score",
        "provisional": "Yes" if r.provisional else "No",
    }


def report_data(view: AudienceView, generated: dt.datetime) -> dict[str, Any]:
    """Everything the report prints, as JSON-ready data (texts not yet fitted to the font)."""
    latest = sorted(view.latest, key=lambda pr: (_natural(pr[0].name), pr[0].name, pr[0].id))
    per_partner = view.per_partner
    if len(latest) == 1:
        p, r = latest[0]
        title = f"Partnership health check: {p.name}, {r.round}"
    else:
        title = f"Partnership health checks: {len(latest)} partnerships"
    legends = {legend(r.template) for _, r in latest}
    made = f"{in_words(generated.date())}, {generated:%H:%M} UTC"
    return {
        "title": title,
        "lang": LANGUAGE,
        "region": REGION,
        "band_styles": {
            word: {"fill": f"#{fill}", "ink": f"#{colour}"}
            for word, (fill, colour) in BAND_STYLES.items()
        },
        "made": made,
        "about": (
            f"Made on {made} from {_plural(view.counted, 'counted return')}, each scored "
            "with the template its round used. Each score is the mean of the partners' "
            "scores, to one decimal as the summary workbook shows it."
        ),
        "footer": f"Made {made} from {_plural(view.counted, 'return')}",
        "totals_only": not per_partner,
        "per_partner": per_partner,
        "listing": [_listing_row(p, r, i) for i, (p, r) in enumerate(latest)]
        if len(latest) > 1
        else [],
        "listing_legend": (
            next(iter(legends))
            if len(legends) == 1
            else "The templates differ: each partnership's page gives its own scale and bands."
        ),
        "partnerships": [_partnership(p, r, per_partner, i) for i, (p, r) in enumerate(latest)],
        "statuses": list(STATUSES),
    }


def write_report(
    view: AudienceView, path: Path, generated: dt.datetime | None = None
) -> list[Finding]:
    """Write the trustees' report of ``view`` to ``path`` (atomically), as a tagged PDF.

    Returns a finding for each text whose characters the font cannot draw (shown as
    U+FFFD in the report); empty when every character printed as typed.
    """
    import typst

    generated = generated or dt.datetime.now(dt.timezone.utc)
    fitter = _Fitter(path)
    data = fitter.walk(report_data(view, generated))
    try:
        pdf = typst.compile(
            str(SOURCE),
            root=str(HERE),
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
            pdf_standards=["ua-1"],
            timestamp=int(generated.timestamp()),
        )
    except Exception as err:  # typst raises its own error types; any is a bug of ours
        raise ReportError(f"the report could not be laid out ({err})", Location(path)) from err
    with atomic_target(path) as tmp:
        tmp.write_bytes(pdf)
    return fitter.findings
