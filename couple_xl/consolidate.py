"""Consolidate returned workbooks into partner and partnership results.

Every file gets one verdict, derived from its findings: rejected when any is an
error, accepted with warnings when any is a warning, otherwise accepted (or skipped,
for files that are not returns). Findings name the file, sheet and cell where known.
Nothing a partner typed is dropped silently: duplicates are logged, corrected re-sends
are logged beside what they replace, and copies answered by different colleagues are
kept as separate respondents and flagged.

The run is a short series of stages: gather the files, read them (on every core when
there are many; a file that crashes its reader costs only itself), set aside what
cannot be compared, then work out each partnership's rounds.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import messages as say
from . import scoring
from .actions import ActionProgress
from .boundary import describe
from .errors import CoupleError, Finding, InputError, Location, NotAReturn, Severity
from .files import resolved
from .mail import EMAIL_SUFFIXES, open_email
from .metadata import MANIFEST_SUFFIX, read_manifest
from .returns import SPREADSHEET_SUFFIXES, ReturnRecord, read_return
from .templates import Template

if TYPE_CHECKING:
    from .metadata import Manifest, ManifestPartner


class Verdict(str, enum.Enum):
    """What became of one file."""

    ACCEPTED = "accepted"
    WARNINGS = "accepted with warnings"
    REJECTED = "rejected"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


ACCEPTED, WARNINGS, REJECTED, SKIPPED = Verdict


@dataclass
class FileLog:
    """One file read, with everything found about it. Its verdict follows from those."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    record: ReturnRecord | None = None
    counted: bool = False
    skipped: bool = False  # not a return (a lock file, a summary, another partnership)

    @property
    def verdict(self) -> Verdict:
        severities = {f.severity for f in self.findings}
        if Severity.ERROR in severities:
            return REJECTED
        if self.skipped:
            return SKIPPED
        return WARNINGS if Severity.WARNING in severities else ACCEPTED

    def add(
        self, message: str, severity: Severity = Severity.NOTE, location: Location | None = None
    ) -> None:
        """Record something about this file: the one way a note or warning is added."""
        self.findings.append(Finding(message, location or Location(file=self.path), severity))

    def messages(self, *severities: Severity) -> list[str]:
        """The messages of this file's findings (of the given severities, or all)."""
        return [f.message for f in self.findings if not severities or f.severity in severities]


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
    # The actions agreed after the round before, with every respondent's view of each.
    progress: list[ActionProgress] = field(default_factory=list)

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
    # Findings about the run as a whole, not one file (no returns found, say).
    findings: list[Finding] = field(default_factory=list)

    @property
    def rejected(self) -> list[FileLog]:
        return [f for f in self.files if f.verdict == REJECTED]

    @property
    def problems(self) -> bool:
        """True when the exit code should say the input had problems."""
        return bool(self.rejected) or any(f.severity == Severity.ERROR for f in self.findings)

    @property
    def records(self) -> list[ReturnRecord]:
        return [f.record for f in self.files if f.counted and f.record is not None]

    @property
    def inputs(self) -> set[Path]:
        return {resolved(f.path) for f in self.files}


# --- gathering inputs -----------------------------------------------------------


@dataclass
class Gathered:
    """The inputs found under the paths given, every file accounted for."""

    workbooks: list[Path] = field(default_factory=list)
    emails: list[Path] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    logs: list[FileLog] = field(default_factory=list)  # files skipped while gathering


def _files_below(folder: Path, logs: list[FileLog]) -> list[Path]:
    """Every file below a folder, in order. Linked folders are not followed (a link can
    loop back on itself); a folder that cannot be read is logged, not fatal."""
    found: list[Path] = []

    def unreadable(err: OSError) -> None:
        where = Path(err.filename) if err.filename else folder
        log = FileLog(where)
        log.add(f"cannot read this folder: {err.strerror}", Severity.ERROR)
        logs.append(log)

    for root, dirs, files in os.walk(folder, onerror=unreadable, followlinks=False):
        dirs.sort()
        for name in dirs:
            if (Path(root) / name).is_symlink():
                log = FileLog(Path(root) / name, skipped=True)
                log.add("a link to a folder: not followed")
                logs.append(log)
        found += [Path(root) / name for name in sorted(files)]
    return found


def gather(paths: Iterable[Path]) -> Gathered:
    """Split inputs into workbooks, manifests and skipped files. Folders are searched
    recursively; every file found is accounted for. In a folder, only files named as
    spreadsheets are read as workbooks; a file named on its own is read whatever its
    name, so that it gets a verdict from what it holds."""
    out = Gathered()
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if not path.exists() and not path.is_symlink():
            raise InputError("no such file or folder", Location(file=path))
        named = not path.is_dir()
        for file in [path] if named else _files_below(path, out.logs):
            key = resolved(file)
            if key in seen:
                continue
            seen.add(key)
            name, suffix = file.name, file.suffix.lower()
            if name.startswith("~$"):
                _skip(out, file, "Office lock file: the workbook is open")
            elif name.endswith(MANIFEST_SUFFIX):
                out.manifests.append(file)
            elif name.startswith(".") and not named:
                _skip(out, file, "hidden file")
            elif not file.is_file():
                _skip(out, file, "not a regular file (a broken link, or a device)")
            elif suffix in EMAIL_SUFFIXES:
                out.emails.append(file)
            elif named or suffix in SPREADSHEET_SUFFIXES:
                out.workbooks.append(file)
            else:
                _skip(out, file, "not a spreadsheet")
    return out


def _skip(out: Gathered, path: Path, why: str) -> None:
    log = FileLog(path, skipped=True)
    log.add(why)
    out.logs.append(log)


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


def _set_aside(log: FileLog, message: str, severity: Severity = Severity.WARNING) -> None:
    log.counted = False
    log.add(message, severity)


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
            _set_aside(copy, f"duplicate of {keep.path.name}: identical answers and comments")
        if copies:
            keep.add(f"identical copy {copies[0].path.name} not counted again")
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
            _set_aside(
                old,
                f"superseded by {latest.path.name}: a corrected re-send by the same "
                "respondent (the later one counts)",
            )
        if older:
            latest.add(f"corrected re-send: replaces {', '.join(o.path.name for o in older)}")
    if len(separate) > 1:
        for log in separate:
            log.add(
                "possible duplicate, check: another copy of this workbook (same return id) "
                "has different answers and is counted as another respondent",
                Severity.WARNING,
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
        progress=_progress(partners),
    )
    if manifest:
        returned_ids = {r.meta.return_id for r in records}
        result.missing = [p for p in manifest.partners if p.return_id not in returned_ids]
        expected_ids = {p.return_id for p in manifest.partners}
        result.unexpected = [r for r in records if r.meta.return_id not in expected_ids]
    return result


def _progress(partners: dict[str, PartnerResult]) -> list[ActionProgress]:
    """Each agreed action of the round (as the first return to carry it words it), with
    the view of every respondent, partner by partner."""
    progress: dict[str, ActionProgress] = {}
    for result in partners.values():
        for record in result.respondents:
            # A return's views are of the actions it carries, so each is filed here.
            for action in record.agreed:
                entry = progress.setdefault(action.id, ActionProgress(action))
                if action.id in record.views:
                    entry.views.append(record.views[action.id])
    return list(progress.values())


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
            change = None
            if len(present) >= 2:
                change = scoring.change_as_shown(present[-1], present[-2])
            if present:
                rows.append(TrendRow(partner, pid, scores, change))
    return rows


# --- reading, on every core when there are many files -------------------------------

# Below this many files a process pool costs more than it saves: on 2 cores, 24 files
# took as long either way and 40 files took 0.26 s with a pool against 0.35 s without.
PARALLEL_FROM = 32
# {} is what happened, in words; what the code raised is in the finding's detail.
INTERNAL_ERROR = (
    "couple_xl could not read this file ({}): please report it; run again with --debug to "
    "see the details"
)
AN_INTERNAL_ERROR = "an internal error"
READER_DIED = "the process reading it stopped"


@dataclass(frozen=True)
class ReadOutcome:
    """What reading one file gave: a record, or the finding that says why not."""

    record: ReturnRecord | None = None
    finding: Finding | None = None
    skipped: bool = False


def read_one(path: Path, template: Template | None = None, **source) -> ReadOutcome:
    """Read one file; never raises except KeyboardInterrupt and SystemExit.

    ``source`` passes ``data`` and ``modified`` on to read_return, for a workbook
    already in memory.
    """
    try:
        return ReadOutcome(read_return(path, template, **source))
    except NotAReturn as err:
        return ReadOutcome(finding=err.finding, skipped=True)
    except CoupleError as err:
        return ReadOutcome(finding=err.finding)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # a bug of ours: the file is rejected, the run goes on
        import traceback

        detail = f"{describe(err)}\n{traceback.format_exc()}"
        return ReadOutcome(finding=_internal_error(path, AN_INTERNAL_ERROR, detail))


def _internal_error(path: Path, what: str, detail: str = "") -> Finding:
    return Finding(INTERNAL_ERROR.format(what), Location(file=path), Severity.ERROR, detail)


SHARED_TEXT = 80  # characters: longer texts are rarely repeated word for word


def _read_job(job: tuple[Path, Template | None]) -> ReadOutcome:
    return read_one(*job)


def _read_all(paths: list[Path], template: Template | None) -> Iterator[tuple[Path, ReadOutcome]]:
    """Each path with what reading it gave, in order, as they are read."""
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_FROM or workers < 2:
        for path in paths:
            yield path, read_one(path, template)
        return
    # Imported here: a few files (`check`, most of all) never start a pool.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        pool = ProcessPoolExecutor(workers)
    except (OSError, NotImplementedError):  # no process pool on this host
        for path in paths:
            yield path, read_one(path, template)
        return
    done = 0
    with pool:
        try:
            jobs = [(p, template) for p in paths]
            for outcome in pool.map(_read_job, jobs, chunksize=16):
                yield paths[done], outcome
                done += 1
        except BrokenProcessPool:
            # A worker died (killed for memory, or a crash no `try` can catch). The pool
            # is gone: read the rest one by one, each in a process of its own, so that
            # only the file that kills its reader is lost.
            for rest in paths[done:]:
                yield rest, _read_isolated(rest, template)


def _read_isolated(path: Path, template: Template | None) -> ReadOutcome:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(1) as single:
            return single.submit(_read_job, (path, template)).result()
    except BrokenProcessPool:
        return ReadOutcome(finding=_internal_error(path, READER_DIED))


# --- the whole run ----------------------------------------------------------------


def consolidate(
    paths: Iterable[Path],
    manifests: Iterable[Path] = (),
    partnership: str | None = None,
    template: Template | None = None,
    progress: Callable[[Path, int], None] | None = None,
) -> Consolidation:
    """Read, validate and compare returns. Never writes anything.

    ``progress`` is called once with (path, total) for each file read.
    """
    paths = list(paths)
    found = gather(paths)
    logs = list(found.logs)
    findings: list[Finding] = []
    loaded = _read_manifests([*manifests, *found.manifests], logs)
    total = len(found.workbooks) + len(found.emails)

    def done(path: Path) -> None:
        if progress:
            progress(path, total)

    reading = _Reading(template, partnership, logs, done)
    _read_returns(found.workbooks, reading)
    _read_emails(found.emails, reading)
    read = reading.read
    if not read and not any(log.verdict == REJECTED for log in logs):
        folders = [p for p in paths if Path(p).is_dir()]
        message = (
            say.NO_RETURNS_IN_FOLDERS.format(where=", ".join(str(p) for p in folders))
            if folders
            else say.NO_RETURNS_IN_FILES
        )
        findings.append(Finding(message, Location(), Severity.ERROR))
    results = [
        _partnership(pid, group, loaded, template, findings)
        for pid, group in _by_partnership(read, loaded, partnership)
    ]
    logs.extend(read)
    logs.sort(key=lambda f: str(f.path))
    return Consolidation(logs, results, findings)


def _read_manifests(paths: list[Path], logs: list[FileLog]) -> list[Manifest]:
    loaded: list[Manifest] = []
    for path in paths:
        try:
            loaded.append(read_manifest(path))
        except CoupleError as err:
            log = FileLog(path)
            log.findings.append(err.finding)
            logs.append(log)
    return loaded


@dataclass
class _Reading:
    """What reading the files of a run shares: the options, the log of files that are
    not returns of the run, the returns read so far, and the progress callback."""

    template: Template | None
    partnership: str | None
    logs: list[FileLog]
    done: Callable[[Path], None]
    read: list[FileLog] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # _share's: one copy of each

    def file(self, path: Path, outcome: ReadOutcome) -> FileLog:
        if outcome.record is not None:
            _share(outcome.record, self.texts)
        return _log_outcome(path, outcome, self.partnership, self.logs, self.read)


def _share(record: ReturnRecord, texts: dict[str, str]) -> None:
    """Make ``record`` hold one copy of each short text every return repeats (question
    ids, cell references, the scale's words), shared with the records read before: each
    record comes from a worker process with copies of its own, about half of its memory,
    and a run of 10,000 returns keeps them all until its summary is written. Nothing
    changes but which equal string object each value is."""

    def one(text: Any) -> Any:
        if type(text) is not str or len(text) > SHARED_TEXT:
            return text
        return texts.setdefault(text, text)

    record.answers = {one(k): one(v) for k, v in record.answers.items()}
    record.comments = {one(k): v for k, v in record.comments.items()}
    record.cells = {one(k): one(v) for k, v in record.cells.items()}
    assessment = record.assessment
    assessment.values = {one(k): v for k, v in assessment.values.items()}
    assessment.principles = {one(k): v for k, v in assessment.principles.items()}


def _read_returns(workbooks: list[Path], reading: _Reading) -> None:
    """Read every workbook, filing each among the returns of the run or in the log."""
    for path, outcome in _read_all(workbooks, reading.template):
        reading.file(path, outcome)
        reading.done(path)


def _log_outcome(
    path: Path,
    outcome: ReadOutcome,
    partnership: str | None,
    logs: list[FileLog],
    read: list[FileLog],
) -> FileLog:
    """File one reading's outcome: among the returns of the run, or straight in the log."""
    log = FileLog(path, record=outcome.record, skipped=outcome.skipped)
    if outcome.finding is not None:
        log.findings.append(outcome.finding)
    if outcome.record is None:
        logs.append(log)
        return log
    log.findings += outcome.record.warnings
    if partnership and outcome.record.meta.partnership_id != partnership:
        log.skipped = True
        log.add(f"partnership {outcome.record.meta.partnership_id}, not {partnership}")
        logs.append(log)
    else:
        read.append(log)
    return log


def _read_emails(emails: list[Path], reading: _Reading) -> None:
    """Read the workbooks attached to saved emails, in memory, as returns."""
    logs = reading.logs
    for path in emails:
        try:
            opened = open_email(path)
        except CoupleError as err:
            logs.append(FileLog(path, [err.finding]))
            continue
        if opened.draft:
            log = FileLog(path, skipped=True)
            log.add("an unsent draft (X-Unsent): what was sent out, not a return")
            logs.append(log)
        elif opened.findings:
            logs.append(FileLog(path, list(opened.findings), skipped=True))
        for attachment in opened.attachments:
            outcome = read_one(
                attachment.label, reading.template, data=attachment.data, modified=attachment.sent
            )
            log = reading.file(attachment.label, outcome)
            log.add(attachment.about, location=Location(file=path))
        reading.done(path)


def _by_partnership(
    read: list[FileLog], loaded: list[Manifest], partnership: str | None
) -> list[tuple[str, list[FileLog]]]:
    groups: dict[str, list[FileLog]] = defaultdict(list)
    for log in read:
        groups[log.record.meta.partnership_id].append(log)
    ids = set(groups) | {
        m.partnership_id for m in loaded if not partnership or m.partnership_id == partnership
    }
    return [(pid, groups.get(pid, [])) for pid in sorted(ids)]


def _partnership(
    pid: str,
    group: list[FileLog],
    loaded: list[Manifest],
    override: Template | None,
    findings: list[Finding],
) -> PartnershipResult:
    """One partnership: set aside returns that cannot be compared, then each round."""
    reference = _most_common([log.record.template for log in group], lambda t: t.comparison_key)
    usable: list[FileLog] = []
    for log in group:
        t = log.record.template
        if t.comparison_key != reference.comparison_key:
            log.add(
                f"its template ({t.id} {t.version}) does not match the other returns of "
                f"partnership {pid}: {_describe_incompatibility(t, reference)}; score it "
                "separately, or with --template",
                Severity.ERROR,
            )
        else:
            usable.append(log)
    # A round is found by its id, never by its label: two rounds may share a label (both
    # defaulting to the same date), and each keeps its own returns and manifest.
    by_round: dict[str, list[FileLog]] = defaultdict(list)
    for log in usable:
        by_round[log.record.meta.round_id].append(log)
    ours = [m for m in loaded if m.partnership_id == pid]
    name = next(
        (log.record.meta.partnership_name for log in usable),
        next((m.partnership_name for m in ours), pid),
    )
    _one_name(pid, name, usable, ours, findings)
    manifests = {m.round_id: m for m in ours}
    rounds: list[RoundResult] = []
    for round_id in set(by_round) | set(manifests):
        logs, manifest = by_round.get(round_id, []), manifests.get(round_id)
        label = logs[0].record.meta.round if logs else manifest.round
        result = _round(pid, name, label, logs, manifest, reference, override, findings)
        if result is not None:
            rounds.append(result)
    rounds.sort(key=lambda r: (r.round_date, _generated(r), r.round))
    _tell_apart(pid, rounds, findings)
    return PartnershipResult(pid, name, rounds, _trend(rounds))


def _one_name(
    pid: str, shown: str, logs: list[FileLog], manifests: list[Manifest], findings: list[Finding]
) -> None:
    """A warning when the returns and manifests of one partnership id carry different
    partnership names: two partnerships whose long names start alike share an id (it is
    made from the first words), or the partnership was renamed between rounds."""
    from .naming import normalise_name

    names: Counter[str] = Counter()
    spelt: dict[str, str] = {}
    for text in [log.record.meta.partnership_name for log in logs] + [
        m.partnership_name for m in manifests
    ]:
        key = normalise_name(text)
        names[key] += 1
        spelt.setdefault(key, text)
    if len(names) < 2:
        return
    listed = "; ".join(f"'{spelt[key]}' ({n} file(s))" for key, n in names.most_common())
    findings.append(
        Finding(
            f"partnership {pid} is named in two or more ways among the files: {listed}. "
            f"If they are different partnerships, their returns are mixed in one summary "
            f"(shown as '{shown}'): consolidate each from its own folder with "
            "--partnership, and give one of them its own --partnership-id next round. If "
            "the partnership was renamed, nothing is wrong",
            Location(),
            Severity.WARNING,
        )
    )


def _tell_apart(pid: str, rounds: list[RoundResult], findings: list[Finding]) -> None:
    """Rounds of one partnership that share a label are shown as "label", "label (2)"…
    in the order they were generated, with a note saying so: every output names a round
    by its label, and two columns headed alike would be misread."""
    by_label: dict[str, list[RoundResult]] = defaultdict(list)
    for r in rounds:
        by_label[r.round].append(r)
    for label, same in by_label.items():
        if len(same) < 2:
            continue
        for n, r in enumerate(same[1:], start=2):
            r.round = f"{label} ({n})"
        shown = ", ".join(f"'{r.round}'" for r in same)
        findings.append(
            Finding(
                f"partnership {pid} has {len(same)} rounds labelled '{label}', each made by "
                f"its own `couple-xl new`: they are counted apart and shown as {shown}, in "
                "the order they were made. Give each round its own --round label; if a "
                "round was made again by mistake, consolidate only the returns of the "
                "workbooks that were sent",
                Location(),
                Severity.NOTE,
            )
        )


def _generated(result: RoundResult) -> float:
    """When a round's workbooks were generated (its manifest, or its earliest return):
    of two rounds on one date, the one generated later is the later round."""
    times = [r.meta.created for p in result.partners.values() for r in p.respondents]
    if result.manifest is not None:
        times.append(result.manifest.created)
    return min((t.timestamp() for t in times), default=math.inf)


def _round(
    pid: str,
    name: str,
    label: str,
    round_logs: list[FileLog],
    manifest: Manifest | None,
    reference: Template | None,
    override: Template | None,
    findings: list[Finding],
) -> RoundResult | None:
    """One round of one partnership: decide which returns count, then score them."""
    for log in round_logs:
        log.counted = True
    by_return: dict[str, list[FileLog]] = defaultdict(list)
    for log in round_logs:
        by_return[log.record.meta.return_id].append(log)
    for same_id in by_return.values():
        _count_once(same_id)
    counted = [log.record for log in round_logs if log.counted]
    where = f"partnership {pid}, round {label}"
    dates = sorted({log.record.meta.round_date for log in round_logs})
    if len(dates) > 1:
        findings.append(
            Finding(
                f"{where}: returns carry different round dates "
                f"({', '.join(d.isoformat() for d in dates)}); the earliest is used",
            )
        )
    date = dates[0] if dates else manifest.round_date
    # Each round is shown with its own template (the most common among its returns),
    # so a later version's new questions appear; rounds compare by principle.
    round_template = (
        _most_common([log.record.template for log in round_logs], lambda t: t.fingerprint)
        or reference
        or _manifest_template(manifest, override)
    )
    if round_template is None:
        findings.append(Finding(f"{where}: no returns yet, and no template to show them against"))
        return None
    result = _round_result(counted, round_template, manifest, pid, name, label, date)
    for record in result.unexpected:
        log = next(f for f in round_logs if f.record is record)
        log.add("not expected by the manifest for this round", Severity.WARNING)
    return result


def _count_once(same_id: list[FileLog]) -> None:
    """Of the files sharing one return id, decide which count as respondents.

    Untouched copies (the workbook as sent) never count and are no duplicates; a
    return with typed content but no answers is noted and not counted.
    """
    typed = [log for log in same_id if not log.record.untouched]
    for log in same_id:
        if not log.record.untouched:
            continue
        # A note either way: sent copies are often consolidated beside the returns, and a
        # partner with nothing typed yet stays on the chase list, which is the real signal.
        why = (
            "the partner's return counts"
            if typed
            else "not counted: the partner stays on the chase list until a filled copy arrives"
        )
        _set_aside(log, f"as sent: nothing typed in it; {why}", Severity.NOTE)
    answered = []
    for log in typed:
        if log.record.is_empty:
            _set_aside(
                log,
                "empty return: no answers, not counted as a respondent (its comments and "
                "actions are in the log only)",
            )
        else:
            answered.append(log)
    if len(answered) > 1:
        _dedupe(answered)


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


# --- what a run combined, said once -------------------------------------------------


def several_partnerships(result: Consolidation, combined: bool) -> Finding | None:
    """A finding when the returns read belong to more than one partnership, or None.

    ``combined``: the partnerships are summarised together (consolidate), which is said
    as a note with how to pick one; otherwise (check) it is a warning to look at them.
    """
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for log in result.files:
        if log.record is not None and not log.skipped:
            counts[log.record.meta.partnership_id] += 1
            names[log.record.meta.partnership_id] = log.record.meta.partnership_name
    ids = [p.partnership_id for p in result.partnerships] if combined else sorted(counts)
    if len(ids) < 2:
        return None
    for p in result.partnerships:
        names.setdefault(p.partnership_id, p.name)
    which = "; ".join(
        f"{names.get(pid, pid)} ({pid}, {counts[pid]} {'file' if counts[pid] == 1 else 'files'})"
        for pid in ids
    )
    if combined:
        message = say.SEVERAL_PARTNERSHIPS_COMBINED.format(count=len(ids), which=which)
        return Finding(message, Location(), Severity.NOTE)
    message = say.SEVERAL_PARTNERSHIPS_CHECKED.format(count=len(ids), which=which)
    return Finding(message, Location(), Severity.WARNING)


def without_manifest(result: Consolidation) -> Finding | None:
    """A note naming the rounds summarised without their manifest (so with no chase
    list), or None when every round has one."""
    missing: dict[str, list[str]] = {}
    for partnership in result.partnerships:
        for r in partnership.rounds:
            if r.manifest is None:
                missing.setdefault(partnership.partnership_id, []).append(r.round)
    if not missing:
        return None
    count = sum(len(labels) for labels in missing.values())
    if count == 1:
        ((pid, (label,)),) = missing.items()
        rounds = f"partnership {pid}, round {label}"
    else:
        listed = "; ".join(f"{pid}: {', '.join(labels)}" for pid, labels in missing.items())
        rounds = f"{count} rounds ({listed})"
    return Finding(say.NO_MANIFEST.format(rounds=rounds), Location(), Severity.NOTE)
