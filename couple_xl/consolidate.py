"""Consolidate returned workbooks into partner and partnership results.

Every file gets one verdict: accepted, accepted with warnings, rejected or
skipped, with reasons that name the file, sheet and cell where known. Nothing a
partner typed is dropped silently: duplicates are logged, corrected re-sends are
logged beside what they replace, and copies answered by different colleagues are
kept as separate respondents and flagged.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import scoring
from .errors import CoupleError, InputError, Location, ReadError
from .metadata import MANIFEST_SUFFIX, Manifest, ManifestPartner, read_manifest
from .returns import OTHER_SPREADSHEETS, XLSX_SUFFIXES, ReturnRecord, read_return
from .templates import Template

ACCEPTED = "accepted"
WARNINGS = "accepted with warnings"
REJECTED = "rejected"
SKIPPED = "skipped"


@dataclass
class FileLog:
    """One line of the returns log."""

    path: Path
    verdict: str
    reasons: list[str] = field(default_factory=list)
    record: ReturnRecord | None = None
    counted: bool = False
    note: str = ""


@dataclass(frozen=True)
class PartnerScore:
    """One partner's result for one principle, pooled over its respondents."""

    score: float | None
    n: int
    answered: int
    total: int
    coverage: float
    provisional: bool
    band: str | None


@dataclass
class PartnerResult:
    partner: str
    respondents: list[ReturnRecord]
    principles: dict[str, PartnerScore]
    overall: float | None
    overall_band: str | None
    overall_provisional: bool

    def question_scores(self) -> dict[str, float]:
        """Mean scored value per question over this partner's respondents."""
        values: dict[str, list[int]] = defaultdict(list)
        for record in self.respondents:
            for qid, value in record.assessment.values.items():
                if value is not None:
                    values[qid].append(value)
        return {qid: scoring.mean(v) for qid, v in values.items()}


@dataclass(frozen=True)
class PrincipleSummary:
    """One principle across the partners of a round."""

    mean: float | None
    spread: float | None
    sd: float | None
    disagree: bool
    band: str | None


@dataclass
class RoundResult:
    partnership_id: str
    partnership_name: str
    round: str
    round_date: dt.date
    template: Template
    partners: dict[str, PartnerResult]
    principles: dict[str, PrincipleSummary]
    overall: float | None
    overall_band: str | None
    weakest: str | None
    manifest: Manifest | None = None
    missing: list[ManifestPartner] = field(default_factory=list)
    unexpected: list[ReturnRecord] = field(default_factory=list)

    @property
    def expected(self) -> int | None:
        return None if self.manifest is None else len(self.manifest.partners)

    @property
    def returned(self) -> int:
        return len(self.partners)


@dataclass(frozen=True)
class TrendRow:
    partner: str  # "" for the partnership as a whole
    principle_id: str
    scores: dict[str, float | None]  # round label -> score
    change: float | None  # latest round minus the one before it


@dataclass
class PartnershipResult:
    partnership_id: str
    name: str
    rounds: list[RoundResult]
    trend: list[TrendRow]


@dataclass
class Consolidation:
    """The result of consolidating a set of files."""

    files: list[FileLog]
    partnerships: list[PartnershipResult]
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> list[FileLog]:
        return [f for f in self.files if f.verdict == REJECTED]

    @property
    def records(self) -> list[ReturnRecord]:
        return [f.record for f in self.files if f.counted and f.record is not None]

    @property
    def inputs(self) -> set[Path]:
        return {f.path.resolve() for f in self.files}


# --- gathering inputs -----------------------------------------------------------


def gather(paths: Iterable[Path]) -> tuple[list[Path], list[Path], list[FileLog]]:
    """Split inputs into workbooks, manifests and skipped files. Folders are searched
    recursively; every file found is accounted for."""
    workbooks: list[Path] = []
    manifests: list[Path] = []
    skipped: list[FileLog] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputError("no such file or folder", Location(file=path))
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in found:
            key = file.resolve()
            if key in seen:
                continue
            seen.add(key)
            name, suffix = file.name, file.suffix.lower()
            if name.startswith("~$"):
                skipped.append(FileLog(file, SKIPPED, ["Office lock file: the workbook is open"]))
            elif name.endswith(MANIFEST_SUFFIX):
                manifests.append(file)
            elif name.startswith("."):
                skipped.append(FileLog(file, SKIPPED, ["hidden file"]))
            elif suffix in XLSX_SUFFIXES or suffix in OTHER_SPREADSHEETS:
                workbooks.append(file)
            else:
                skipped.append(FileLog(file, SKIPPED, ["not a spreadsheet"]))
    return workbooks, manifests, skipped


# --- grouping and de-duplication --------------------------------------------------


def _most_common(templates: list[Template], key: Callable[[Template], object]) -> Template | None:
    """The template most of these returns carry, judged by ``key``; None if none."""
    counts = Counter(key(t) for t in templates)
    if not counts:
        return None
    top = counts.most_common(1)[0][0]
    return next(t for t in templates if key(t) == top)


def _describe_incompatibility(template: Template, reference: Template) -> str:
    ours, theirs = [p.id for p in template.principles], [p.id for p in reference.principles]
    if ours != theirs:
        return f"principles {', '.join(ours)} instead of {', '.join(theirs)}"
    return "a different answer scale"


def _dedupe(group: list[FileLog]) -> None:
    """Decide, for logs sharing one return id, which count as respondents."""
    by_content: dict[str, list[FileLog]] = defaultdict(list)
    for log in group:
        by_content[log.record.content_key()].append(log)
    distinct: list[FileLog] = []
    for logs in by_content.values():
        # Of identical copies, the oldest file is the original.
        logs.sort(key=lambda f: (f.record.file_modified, str(f.path)))
        keep, *copies = logs
        distinct.append(keep)
        for copy in copies:
            copy.counted = False
            copy.note = f"duplicate of {keep.path.name}: identical answers and comments"
            keep.note = keep.note or f"identical copy {copy.path.name} not counted again"
    by_respondent: dict[str, list[FileLog]] = defaultdict(list)
    unnamed: list[FileLog] = []
    for log in distinct:
        name = " ".join(log.record.respondent_name.split()).casefold()
        (by_respondent[name] if name else unnamed).append(log)
    separate = list(unnamed)
    for logs in by_respondent.values():
        logs.sort(key=lambda f: (f.record.when, str(f.path)))
        *older, latest = logs
        separate.append(latest)
        for old in older:
            old.counted = False
            old.note = (
                f"superseded by {latest.path.name}: a corrected re-send by the same "
                "respondent (the later one counts)"
            )
        if older:
            latest.note = f"corrected re-send: replaces {', '.join(o.path.name for o in older)}"
    if len(separate) > 1:
        for log in separate:
            log.note = (log.note + "; " if log.note else "") + (
                "possible duplicate, check: another copy of this workbook "
                "(same return id) has different answers and is counted as another respondent"
            )


def _partner_result(partner: str, records: list[ReturnRecord], template: Template) -> PartnerResult:
    th = template.thresholds
    principles: dict[str, PartnerScore] = {}
    for p in template.principles:
        results = [
            r.assessment.principles[p.id] for r in records if p.id in r.assessment.principles
        ]
        scores = [x.score for x in results if x.score is not None]
        answered = sum(x.answered for x in results)
        total = sum(x.total for x in results)
        cov = scoring.coverage(answered, total)
        score = scoring.mean(scores)
        principles[p.id] = PartnerScore(
            score=score,
            n=len(scores),
            answered=answered,
            total=total,
            coverage=cov,
            provisional=scoring.is_provisional(cov, th.min_coverage),
            band=scoring.band(score, th.strength, th.developing),
        )
    overall = scoring.mean(s.score for s in principles.values())
    return PartnerResult(
        partner=partner,
        respondents=records,
        principles=principles,
        overall=overall,
        overall_band=scoring.band(overall, th.strength, th.developing),
        overall_provisional=any(s.provisional or s.score is None for s in principles.values()),
    )


def _round_result(
    records: list[ReturnRecord],
    template: Template,
    manifest: Manifest | None,
    pid: str,
    name: str,
    label: str,
    date: dt.date,
) -> RoundResult:
    th = template.thresholds
    by_partner: dict[str, list[ReturnRecord]] = defaultdict(list)
    for record in records:
        by_partner[record.meta.partner].append(record)
    order = [p.partner for p in manifest.partners] if manifest else []
    names = sorted(by_partner, key=lambda n: (order.index(n) if n in order else len(order), n))
    partners = {n: _partner_result(n, by_partner[n], template) for n in names}
    principles = {}
    for p in template.principles:
        scores = [pr.principles[p.id].score for pr in partners.values()]
        mean = scoring.mean(scores)
        principles[p.id] = PrincipleSummary(
            mean=mean,
            spread=scoring.spread(scores),
            sd=scoring.population_sd(scores),
            disagree=scoring.disagree(scores, th.disagreement),
            band=scoring.band(mean, th.strength, th.developing),
        )
    overall = scoring.mean(s.mean for s in principles.values())
    means = {k: v.mean for k, v in principles.items() if v.mean is not None}
    weakest = min(means, key=lambda k: means[k]) if means else None
    result = RoundResult(
        partnership_id=pid,
        partnership_name=name,
        round=label,
        round_date=date,
        template=template,
        partners=partners,
        principles=principles,
        overall=overall,
        overall_band=scoring.band(overall, th.strength, th.developing),
        weakest=weakest,
        manifest=manifest,
    )
    if manifest:
        returned_ids = {r.meta.return_id for r in records}
        result.missing = [p for p in manifest.partners if p.return_id not in returned_ids]
        expected_ids = {p.return_id for p in manifest.partners}
        result.unexpected = [r for r in records if r.meta.return_id not in expected_ids]
    return result


def _trend(rounds: list[RoundResult]) -> list[TrendRow]:
    if len(rounds) < 2:
        return []
    rows = []
    labels = [r.round for r in rounds]
    principle_ids = [p.id for p in rounds[-1].template.principles]
    partners = sorted({name for r in rounds for name in r.partners})
    for partner in ["", *partners]:
        for pid in principle_ids:
            scores: dict[str, float | None] = {}
            for r in rounds:
                if partner:
                    pr = r.partners.get(partner)
                    scores[r.round] = (
                        pr.principles[pid].score if pr and pid in pr.principles else None
                    )
                else:
                    scores[r.round] = r.principles[pid].mean if pid in r.principles else None
            present = [scores[label] for label in labels if scores[label] is not None]
            change = present[-1] - present[-2] if len(present) >= 2 else None
            if present:
                rows.append(TrendRow(partner, pid, scores, change))
    return rows


# --- reading, on every core when there are many files -------------------------------

# Below this many files a process pool costs more than it saves.
PARALLEL_FROM = 64


def _read_one(job: tuple[Path, Template | None]) -> ReturnRecord | str:
    """Read one file; a rejection comes back as its message (it crosses processes)."""
    path, template = job
    try:
        return read_return(path, template)
    except ReadError as err:
        return str(err)


def _read_all(
    paths: list[Path], template: Template | None
) -> Iterator[tuple[Path, ReturnRecord | str]]:
    """Each path with its record or rejection message, in order, as they are read."""
    workers = min(os.cpu_count() or 1, 8)
    pool = None
    if len(paths) >= PARALLEL_FROM and workers > 1:
        try:
            pool = ProcessPoolExecutor(workers)
        except (OSError, NotImplementedError):
            pool = None  # no process pool on this host: read in this process
    if pool is None:
        for path in paths:
            yield path, _read_one((path, template))
        return
    with pool:
        jobs = [(p, template) for p in paths]
        yield from zip(paths, pool.map(_read_one, jobs, chunksize=16))


# --- the whole run ----------------------------------------------------------------


def consolidate(
    paths: Iterable[Path],
    manifests: Iterable[Path] = (),
    partnership: str | None = None,
    template: Template | None = None,
    progress: Callable[[Path], None] | None = None,
) -> Consolidation:
    """Read, validate and compare returns. Never writes anything."""
    workbooks, found_manifests, logs = gather(paths)
    warnings: list[str] = []
    loaded: list[Manifest] = []
    for path in [*manifests, *found_manifests]:
        try:
            loaded.append(read_manifest(path))
        except CoupleError as err:
            warnings.append(str(err))

    read: list[FileLog] = []
    for path, record in _read_all(workbooks, template):
        if isinstance(record, str):
            logs.append(FileLog(path, REJECTED, [record]))
        else:
            log = FileLog(
                path, WARNINGS if record.warnings else ACCEPTED, list(record.warnings), record
            )
            if partnership and record.meta.partnership_id != partnership:
                log.verdict, log.reasons = (
                    SKIPPED,
                    [f"partnership {record.meta.partnership_id}, not {partnership}"],
                )
                logs.append(log)
            else:
                read.append(log)
        if progress:
            progress(path)

    by_partnership: dict[str, list[FileLog]] = defaultdict(list)
    for log in read:
        by_partnership[log.record.meta.partnership_id].append(log)

    results: list[PartnershipResult] = []
    manifests_by_key = {(m.partnership_id, m.round): m for m in loaded}
    partnership_ids = sorted(
        set(by_partnership)
        | {m.partnership_id for m in loaded if not partnership or m.partnership_id == partnership}
    )
    for pid in partnership_ids:
        group = by_partnership.get(pid, [])
        reference = _most_common([log.record.template for log in group], lambda t: t.comparison_key)
        usable: list[FileLog] = []
        for log in group:
            if log.record.template.comparison_key != reference.comparison_key:
                t = log.record.template
                log.verdict = REJECTED
                log.reasons.append(
                    f"{log.path}: its template ({t.id} {t.version}) does not match the other "
                    f"returns of partnership {pid}: {_describe_incompatibility(t, reference)}"
                )
            else:
                usable.append(log)
        by_round: dict[str, list[FileLog]] = defaultdict(list)
        for log in usable:
            by_round[log.record.meta.round].append(log)
        round_labels = set(by_round) | {m.round for m in loaded if m.partnership_id == pid}
        rounds: list[RoundResult] = []
        name = next(
            (log.record.meta.partnership_name for log in usable),
            next((m.partnership_name for m in loaded if m.partnership_id == pid), pid),
        )
        for label in round_labels:
            round_logs = by_round.get(label, [])
            manifest = manifests_by_key.get((pid, label))
            for log in round_logs:
                log.counted = True
            by_return: dict[str, list[FileLog]] = defaultdict(list)
            for log in round_logs:
                by_return[log.record.meta.return_id].append(log)
            for same_id in by_return.values():
                if len(same_id) > 1:
                    _dedupe(same_id)
            for log in round_logs:
                if log.counted and log.record.is_empty:
                    log.counted = False
                    log.note = (log.note + "; " if log.note else "") + (
                        "empty return: no answers, not counted as a respondent"
                    )
            counted = [log.record for log in round_logs if log.counted]
            dates = sorted({log.record.meta.round_date for log in round_logs})
            if len(dates) > 1:
                warnings.append(
                    f"partnership {pid}, round {label}: returns carry different round dates "
                    f"({', '.join(d.isoformat() for d in dates)}); using the earliest"
                )
            date = dates[0] if dates else manifest.round_date
            # Each round is shown with its own template (the most common among its returns),
            # so a later version's new questions appear; rounds compare by principle.
            round_template = (
                _most_common([log.record.template for log in round_logs], lambda t: t.fingerprint)
                or reference
                or _manifest_template(manifest, template)
            )
            if round_template is None:
                warnings.append(
                    f"partnership {pid}, round {label}: no returns yet, and no template to "
                    "show them against"
                )
                continue
            result = _round_result(counted, round_template, manifest, pid, name, label, date)
            rounds.append(result)
            for record in result.unexpected:
                log = next(f for f in round_logs if f.record is record)
                log.note = (log.note + "; " if log.note else "") + (
                    "not expected by the manifest for this round"
                )
        rounds.sort(key=lambda r: (r.round_date, r.round))
        results.append(PartnershipResult(pid, name, rounds, _trend(rounds)))

    for log in read:
        if log.verdict == ACCEPTED and log.note and not log.counted:
            log.verdict = WARNINGS
    logs.extend(read)
    logs.sort(key=lambda f: str(f.path))
    return Consolidation(logs, results, warnings)


def _manifest_template(manifest: Manifest | None, override: Template | None) -> Template | None:
    if override is not None:
        return override
    if manifest is None:
        return None
    from .templates import builtin_templates, load_template_file

    path = builtin_templates().get(manifest.template_id)
    if path is None:
        return None
    template = load_template_file(path)
    return template if template.version == manifest.template_version else None
