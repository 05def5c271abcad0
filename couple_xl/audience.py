"""What an audience may see of a consolidation, decided once.

A consolidation holds everything read from the returns. Before anything is written it
passes through ``audience_view``, which keeps what the audience may see and nothing else:

- at **partner level** (the coordinator's own summary): every partner's scores and bands,
  its respondents with their answers and comments, who has not returned and how to reach
  them, returns no manifest expected, and the returns log;
- at **partnership level** (to share more widely): each round's totals only (means,
  spread, SD, agreement, bands, overall, weakest and strongest principle, returned x of
  y, how many have not returned, the progress of agreed actions as counts) and the
  suggested actions without who suggested them;
- **anonymised**: respondents are numbered (*Respondent 1*), their names and roles are
  left out, and their names and every email address are replaced in the file names and
  messages of the returns log too.

The view is plain, immutable data. Every writer (the summary workbook, the CSV and JSON
exports, the trustees' report) takes it and writes what it holds: none of them sees the
options. What a writer lays out differently at partner level (more columns) it asks of
``AudienceView.per_partner``, which says what the view holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from . import scoring
from .actions import STATUSES, ActionProgress, ActionView, AgreedAction
from .consolidate import Consolidation, FileLog, PartnerResult, PartnershipResult, RoundResult
from .errors import Finding, InputError, Location
from .levels import LEVELS, PARTNER
from .returns import Action, ReturnRecord, typed_value
from .templates import Template

NO_ANSWER = "no answer"  # the views of an agreed action that chose no status
RESPONDENT = "Respondent {}"  # how a respondent is named when names are left out
REDACTED = "(respondent)"  # a respondent's name in a file name or message
REDACTED_EMAIL = "(email address)"


@dataclass(frozen=True)
class Audience:
    """Who an output is for: the level of detail, and whether respondents are named."""

    level: str = PARTNER
    anonymise: bool = False

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise InputError(f"level must be one of {', '.join(LEVELS)}")

    @property
    def per_partner(self) -> bool:
        """Partner by partner (the coordinator's view), not totals only."""
        return self.level == PARTNER


# --- what each audience may see -------------------------------------------------------


class Answer(NamedTuple):
    """One answered (or commented) question of one respondent, as typed.

    A tuple rather than a dataclass: there is one for every answer of every return
    (25,000 for 1,000 returns), and tuples are made several times faster."""

    principle_id: str
    question_id: str
    question: str
    answer: Any  # as typed (a whole number as an int, a date as ISO text)
    score: float | None  # the value it scores, None when not rated
    valid: bool  # False for an answer that is not on the scale
    comment: str


@dataclass(frozen=True)
class SuggestedAction:
    """An action a respondent suggested, as typed. Who suggested it (partner and
    respondent) is None when the audience may not know."""

    principle_id: str
    principle: str  # the principle's name
    action: str
    owner: str
    by_when: str
    partner: str | None = None
    respondent: str | None = None  # the respondent's name, "" when not given or left out


@dataclass(frozen=True)
class Respondent:
    """One counted respondent of a partner (partner level only)."""

    label: str  # how outputs name them: the name typed, or "Respondent n"
    name: str  # as typed; "" when anonymised
    role: str  # as typed; "" when anonymised
    date: str  # the date they typed, as typed
    return_id: str
    file: str  # the file it was read from
    answers: tuple[Answer, ...]  # in the template's order; unanswered questions left out
    actions: tuple[SuggestedAction, ...]
    scores: tuple[tuple[str, float | None], ...]  # (principle id, score), template order

    @cached_property
    def _by_question(self) -> dict[str, Answer]:
        return {a.question_id: a for a in self.answers}

    def answer(self, question_id: str) -> Answer | None:
        return self._by_question.get(question_id)


@dataclass(frozen=True)
class PartnerPrinciple:
    """One partner's result for one principle, pooled over its respondents."""

    id: str
    name: str
    score: float | None
    n: int  # respondents with a score for it
    answered: int
    total: int
    coverage: float
    provisional: bool
    band: str | None


@dataclass(frozen=True)
class PartnerView:
    """One partner of a round (partner level only)."""

    name: str
    principles: tuple[PartnerPrinciple, ...]  # the round template's order
    overall: float | None
    overall_band: str | None
    overall_provisional: bool
    respondents: tuple[Respondent, ...]

    def principle(self, principle_id: str) -> PartnerPrinciple:
        return next(p for p in self.principles if p.id == principle_id)


@dataclass(frozen=True)
class PrincipleTotals:
    """One principle across the partners of a round."""

    id: str
    name: str
    mean: float | None
    spread: float | None
    sd: float | None
    disagree: bool
    band: str | None
    change: float | None  # the mean minus the round before's, where both have one
    # No mean, or some partner's score for it is provisional (its coverage too low).
    provisional: bool


@dataclass(frozen=True)
class QuestionTotals:
    """One question across the partners of a round: each partner's mean score for it
    (over its respondents), then their mean and spread."""

    principle_id: str
    principle: str
    id: str
    text: str
    mean: float | None
    spread: float | None
    partners: int  # partners with a score for it
    disagree: bool


@dataclass(frozen=True)
class ProgressView:
    """An agreed action (from the plan, so lead and due are the meeting's), with the
    number of views of each status and, at partner level only, every partner's view."""

    action: AgreedAction
    principle: str  # the principle's name (its id when the template has no such principle)
    closed: bool
    disagree: bool
    counts: tuple[tuple[str, int], ...]  # each status, then NO_ANSWER, with how many chose it
    views: tuple[ActionView, ...] = ()  # partner level only: status, as typed, and comment

    def count(self, status: str) -> int:
        return dict(self.counts)[status]


@dataclass(frozen=True)
class MissingPartner:
    """A partner the manifest expected that has not returned (partner level only)."""

    partner: str
    return_id: str
    file: str
    email: str
    contact: str


@dataclass(frozen=True)
class UnexpectedReturn:
    """A counted return that no manifest of its round expected (partner level only)."""

    partner: str
    file: str


@dataclass(frozen=True)
class RoundView:
    """One round of one partnership, as the audience may see it."""

    partnership_id: str
    partnership_name: str
    round: str  # its label
    round_date: dt.date
    template: Template  # the round's own: its principles, questions, scale and bands
    returned: int  # partners with a counted return
    expected: int | None  # partners in the manifest; None without one
    not_returned: int  # of those expected
    principles: tuple[PrincipleTotals, ...]
    overall: float | None
    overall_band: str | None
    overall_change: float | None  # since the round before, where both have an overall
    provisional: bool  # some principle is provisional (see PrincipleTotals)
    weakest: str | None  # principle id
    strongest: str | None
    previous: str | None  # the label of the round before, if any
    questions: tuple[QuestionTotals, ...]
    progress: tuple[ProgressView, ...]  # actions agreed after the round before
    actions: tuple[SuggestedAction, ...]  # suggested in this round
    counted: int  # counted returns (respondents)
    partners: tuple[PartnerView, ...] = ()  # partner level only
    missing: tuple[MissingPartner, ...] = ()  # partner level only
    unexpected: tuple[UnexpectedReturn, ...] = ()  # partner level only

    def principle(self, principle_id: str) -> PrincipleTotals | None:
        return next((p for p in self.principles if p.id == principle_id), None)

    @property
    def disagreements(self) -> int:
        """How many principles the partners disagree on."""
        return sum(p.disagree for p in self.principles)

    @property
    def actions_closed(self) -> int:
        return sum(p.closed for p in self.progress)

    @property
    def actions_disagreed(self) -> int:
        return sum(p.disagree for p in self.progress)


@dataclass(frozen=True)
class TrendLine:
    """One principle's score in every round of a partnership, for the partnership (partner
    "") or, at partner level only, for one partner."""

    partner: str
    principle_id: str
    principle: str
    scores: tuple[float | None, ...]  # one for each of the partnership's rounds, in order
    change: float | None  # the latest score minus the one before it


@dataclass(frozen=True)
class PartnershipView:
    id: str
    name: str
    rounds: tuple[RoundView, ...]  # ordered by round date
    trend: tuple[TrendLine, ...]  # empty with fewer than two rounds

    @property
    def latest(self) -> RoundView | None:
        return self.rounds[-1] if self.rounds else None


@dataclass(frozen=True)
class LoggedReturn:
    """What a file in the returns log says it is (partner level only)."""

    partnership_name: str
    round: str
    partner: str
    respondent: str  # the name typed; "" when anonymised
    return_id: str
    template: str  # "id version"
    saved: dt.datetime
    sha256: str


@dataclass(frozen=True)
class LoggedFile:
    """One file read, with its verdict and findings (partner level only)."""

    path: str
    verdict: str
    counted: bool
    findings: tuple[Finding, ...]
    sha256: str | None
    about: LoggedReturn | None  # None when it was not read as a return


@dataclass(frozen=True)
class AudienceView:
    """Everything one audience may see of a consolidation; every writer takes this."""

    audience: Audience
    partnerships: tuple[PartnershipView, ...]
    counted: int  # returns counted, over every partnership
    files: tuple[LoggedFile, ...] = ()  # the returns log: partner level only
    findings: tuple[Finding, ...] = ()  # about the run as a whole: partner level only

    @property
    def per_partner(self) -> bool:
        """The view holds partners, respondents, the chase list and the returns log."""
        return self.audience.per_partner

    @property
    def rounds(self) -> list[RoundView]:
        """Every round of every partnership, partnership by partnership."""
        return [r for p in self.partnerships for r in p.rounds]

    @property
    def latest(self) -> list[tuple[PartnershipView, RoundView]]:
        """Each partnership with its latest round (partnerships with none left out)."""
        return [(p, p.rounds[-1]) for p in self.partnerships if p.rounds]


# --- building the view ------------------------------------------------------------------


def audience_view(result: Consolidation, audience: Audience = Audience()) -> AudienceView:
    """What ``audience`` may see of ``result``: the one place that applies the level and
    anonymity. The result itself is left as it was."""
    build = _Builder(audience, _redactor(result) if audience.anonymise else _as_is)
    partnerships = tuple(build.partnership(p) for p in result.partnerships)
    if not audience.per_partner:
        return AudienceView(audience, partnerships, len(result.records))
    return AudienceView(
        audience,
        partnerships,
        len(result.records),
        files=tuple(build.file(f) for f in result.files),
        findings=tuple(build.finding(f) for f in result.findings),
    )


def _as_is(text: str) -> str:
    return text


@dataclass
class _Builder:
    audience: Audience
    redact: Callable[[str], str]

    def partnership(self, p: PartnershipResult) -> PartnershipView:
        rounds: list[RoundView] = []
        for r in p.rounds:
            rounds.append(self.round(r, rounds[-1] if rounds else None))
        names = {pr.id: pr.name for r in p.rounds for pr in r.template.principles}
        labels = [r.round for r in p.rounds]
        trend = tuple(
            TrendLine(
                row.partner,
                row.principle_id,
                names[row.principle_id],
                tuple(row.scores.get(label) for label in labels),
                row.change,
            )
            for row in p.trend
            if self.audience.per_partner or not row.partner
        )
        return PartnershipView(p.partnership_id, p.name, tuple(rounds), trend)

    def round(self, r: RoundResult, before: RoundView | None) -> RoundView:
        template = r.template
        principles = tuple(
            PrincipleTotals(
                p.id,
                p.name,
                s.mean,
                s.spread,
                s.sd,
                s.disagree,
                s.band,
                _change(s.mean, before.principle(p.id) if before else None),
                s.mean is None
                or any(pr.principles[p.id].provisional for pr in r.partners.values()),
            )
            for p in template.principles
            for s in (r.principles[p.id],)
        )
        means = {p.id: p.mean for p in principles if p.mean is not None}
        per_partner = self.audience.per_partner
        if per_partner:
            partners = tuple(self.partner(pr, template) for pr in r.partners.values())
            actions = tuple(a for pv in partners for rec in pv.respondents for a in rec.actions)
        else:
            partners = ()
            actions = tuple(
                _suggested(a, template)
                for pr in r.partners.values()
                for rec in pr.respondents
                for a in rec.actions
            )
        return RoundView(
            partnership_id=r.partnership_id,
            partnership_name=r.partnership_name,
            round=r.round,
            round_date=r.round_date,
            template=template,
            returned=r.returned,
            expected=r.expected,
            not_returned=len(r.missing),
            principles=principles,
            overall=r.overall,
            overall_band=r.overall_band,
            overall_change=scoring.change_as_shown(
                r.overall, None if before is None else before.overall
            ),
            provisional=any(p.provisional for p in principles),
            weakest=r.weakest,
            strongest=max(means, key=lambda k: means[k]) if means else None,
            previous=before.round if before else None,
            questions=_questions(r),
            progress=tuple(self.progress(a, template) for a in r.progress),
            actions=actions,
            counted=sum(len(pr.respondents) for pr in r.partners.values()),
            partners=partners,
            missing=tuple(
                MissingPartner(m.partner, m.return_id, m.file, m.email, m.contact)
                for m in (r.missing if per_partner else ())
            ),
            unexpected=tuple(
                UnexpectedReturn(rec.meta.partner, self.redact(str(rec.path)))
                for rec in (r.unexpected if per_partner else ())
            ),
        )

    def partner(self, pr: PartnerResult, template: Template) -> PartnerView:
        return PartnerView(
            name=pr.partner,
            principles=tuple(
                PartnerPrinciple(
                    p.id,
                    p.name,
                    s.score,
                    s.n,
                    s.answered,
                    s.total,
                    s.coverage,
                    s.provisional,
                    s.band,
                )
                for p in template.principles
                for s in (pr.principles[p.id],)
            ),
            overall=pr.overall,
            overall_band=pr.overall_band,
            overall_provisional=pr.overall_provisional,
            respondents=tuple(
                self.respondent(rec, i, pr.partner, template)
                for i, rec in enumerate(pr.respondents, start=1)
            ),
        )

    def respondent(
        self, rec: ReturnRecord, index: int, partner: str, template: Template
    ) -> Respondent:
        """A respondent, numbered ``index`` among its partner's; its actions are named
        with the principles of its round's template."""
        named = not self.audience.anonymise
        name = rec.respondent_name if named else ""
        return Respondent(
            label=name or RESPONDENT.format(index),
            name=name,
            role=rec.respondent_role if named else "",
            date=rec.respondent_date,
            return_id=rec.meta.return_id,
            file=self.redact(str(rec.path)),
            answers=tuple(_answers(rec)),
            actions=tuple(_suggested(a, template, partner, name) for a in rec.actions),
            scores=tuple((pid, res.score) for pid, res in rec.assessment.principles.items()),
        )

    def progress(self, progress: ActionProgress, template: Template) -> ProgressView:
        counts = progress.counts()
        return ProgressView(
            action=progress.action,
            principle=_principle_name(template, progress.action.principle_id),
            closed=progress.closed,
            disagree=progress.disagree,
            counts=tuple((s, counts[s]) for s in (*STATUSES, NO_ANSWER)),
            views=tuple(progress.views) if self.audience.per_partner else (),
        )

    def file(self, f: FileLog) -> LoggedFile:
        rec = f.record
        about = None
        if rec is not None:
            about = LoggedReturn(
                partnership_name=rec.meta.partnership_name,
                round=rec.meta.round,
                partner=rec.meta.partner,
                respondent="" if self.audience.anonymise else rec.respondent_name,
                return_id=rec.meta.return_id,
                template=f"{rec.template.id} {rec.template.version}",
                saved=rec.when,
                sha256=rec.sha256,
            )
        return LoggedFile(
            path=self.redact(str(f.path)),
            verdict=f.verdict.value,
            counted=f.counted,
            findings=tuple(self.finding(x) for x in f.findings),
            sha256=rec.sha256 if rec else None,
            about=about,
        )

    def finding(self, finding: Finding) -> Finding:
        if self.redact is _as_is:
            return finding
        where = finding.location
        return Finding(
            self.redact(finding.message),
            Location(
                None if where.file is None else self.redact(str(where.file)),
                where.sheet,
                where.cell,
                where.key,
            ),
            finding.severity,
            finding.detail,
        )


def _suggested(
    a: Action, template: Template, partner: str | None = None, who: str | None = None
) -> SuggestedAction:
    """A suggested action; who suggested it only when given (at partner level)."""
    return SuggestedAction(
        a.principle_id,
        _principle_name(template, a.principle_id),
        a.action,
        a.owner,
        a.by_when,
        partner,
        who,
    )


def _change(mean: float | None, before: PrincipleTotals | None) -> float | None:
    return scoring.change_as_shown(mean, None if before is None else before.mean)


def _principle_name(template: Template, principle_id: str) -> str:
    try:
        return template.principle(principle_id).name
    except KeyError:
        return principle_id


def _answers(rec: ReturnRecord) -> Iterator[Answer]:
    """A return's answered or commented questions, in its template's order."""
    invalid = {bad.question_id for res in rec.assessment.principles.values() for bad in res.invalid}
    values = rec.assessment.values
    for principle, q in rec.template.questions:
        raw = rec.answers.get(q.id)
        comment = rec.comments.get(q.id, "")
        if raw is None and not comment:
            continue
        yield Answer(
            principle.id,
            q.id,
            q.text,
            typed_value(raw),
            values.get(q.id),
            q.id not in invalid,
            comment,
        )


def _questions(r: RoundResult) -> tuple[QuestionTotals, ...]:
    threshold = r.template.thresholds.disagreement
    means = [pr.question_scores() for pr in r.partners.values()]
    totals = []
    for principle, q in r.template.questions:
        scores = [m[q.id] for m in means if q.id in m]
        totals.append(
            QuestionTotals(
                principle.id,
                principle.name,
                q.id,
                q.text,
                scoring.mean(scores),
                scoring.spread(scores),
                len(scores),
                scoring.disagree(scores, threshold),
            )
        )
    return tuple(totals)


# --- leaving respondents out of file names and messages -----------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"\w+")


def _redactor(result: Consolidation) -> Callable[[str], str]:
    """Replaces, in a file name or a message, every respondent's name typed in any return
    read, and every email address: a file saved under a respondent's name, or the sender
    of the email it came in, must not name them either. A name of several words matches in
    any case and with any spaces, hyphens, dots or underscores between its words (as in
    "ottoline-quimby.xlsx"); a one-word name only as typed, so that a respondent called
    Will leaves the word "will" alone. Roles are left: "Lead" or "Partner" would take
    words out of every message, and a role names nobody on its own."""
    names = {" ".join(f.record.respondent_name.split()) for f in result.files if f.record}
    # By first word, so that a text is searched only for the names that could be in it.
    by_first: dict[str, list[re.Pattern[str]]] = {}
    for name in sorted((n for n in names if len(n) >= 2), key=len, reverse=True):
        words = name.split()
        first = _WORD.findall(words[0].casefold())
        if not first:
            continue
        pattern = r"[\s._-]+".join(re.escape(w) for w in words)
        flags = re.IGNORECASE if len(words) > 1 else 0
        by_first.setdefault(first[0], []).append(re.compile(rf"(?<!\w){pattern}(?!\w)", flags))

    def redact(text: str) -> str:
        text = _EMAIL.sub(REDACTED_EMAIL, text)
        for word in set(_WORD.findall(text.casefold())):
            for pattern in by_first.get(word, ()):
                text = pattern.sub(REDACTED, text)
        return text

    return redact
