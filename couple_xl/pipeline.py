"""One library function per command that reads returns: consolidate and check."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .consolidate import Consolidation, consolidate, several_partnerships, without_manifest
from .errors import Finding
from .files import make_folder, refuse_inputs, resolved
from .levels import PARTNER
from .templates import Template


@dataclass
class ConsolidateOptions:
    paths: list[Path]
    output: Path
    manifests: list[Path] = field(default_factory=list)
    partnership: str | None = None
    csv_dir: Path | None = None
    json_path: Path | None = None
    pdf_path: Path | None = None  # the trustees' report
    anonymise: bool = False
    level: str = PARTNER
    strict: bool = False
    template: Template | None = None


@dataclass
class ConsolidateOutcome:
    result: Consolidation
    written: list[Path]
    # What writing changed or left out: to fit Excel's limits (the summary says it too),
    # or characters the report's font cannot draw.
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.result.problems


def run_consolidate(
    options: ConsolidateOptions, progress: Callable[[Path, int], None] | None = None
) -> ConsolidateOutcome:
    """Consolidate the returns and write the summary, any exports and the report.

    With strict, nothing is written when any file is rejected. With nothing to show
    (no returns, and no manifest to build a chase list from) nothing is written. Level
    and anonymity are applied once, in the audience view every output is written from.
    """
    from .audience import Audience, audience_view
    from .exports import CSV_FILES, write_csv, write_json
    from .report import write_report
    from .summary import write_summary

    audience = Audience(options.level, options.anonymise)  # a wrong level fails before reading
    result = consolidate(
        options.paths, options.manifests, options.partnership, options.template, progress
    )
    if result.records:
        said = [several_partnerships(result, combined=True), without_manifest(result)]
        result.findings += [finding for finding in said if finding is not None]
    inputs = result.inputs | {resolved(m) for m in options.manifests}
    targets = [options.output]
    if options.json_path:
        targets.append(options.json_path)
    if options.pdf_path:
        targets.append(options.pdf_path)
    if options.csv_dir:
        targets += [options.csv_dir / name for name in CSV_FILES]
    refuse_inputs(targets, inputs)
    if (options.strict and result.rejected) or not result.partnerships:
        return ConsolidateOutcome(result, [])
    view = audience_view(result, audience)
    written = []
    make_folder(options.output.parent)
    with _settled():
        findings = write_summary(view, options.output)
        written.append(options.output)
        if options.csv_dir:
            written += write_csv(view, options.csv_dir)
        if options.json_path:
            make_folder(options.json_path.parent)
            written.append(write_json(view, options.json_path))
        if options.pdf_path:
            make_folder(options.pdf_path.parent)
            findings += write_report(view, options.pdf_path)
            written.append(options.pdf_path)
    return ConsolidateOutcome(result, written, findings)


@contextmanager
def _settled() -> Iterator[None]:
    """While the outputs are written, the garbage collector leaves alone the objects that
    exist already (gc.freeze): the consolidation's million objects all live until then,
    and walking them at every collection the writers' allocations set off cost a quarter
    of writing a summary of 1,000 returns. They are handed back afterwards. An
    application that has frozen objects itself is left as it is: unfreezing would hand
    its objects back too."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_check(paths: list[Path], template: Template | None = None) -> Consolidation:
    """Validate returns as they arrive, exactly as consolidation would; writes nothing.
    Returns of more than one partnership are pointed out (one may be in the wrong
    folder)."""
    result = consolidate(paths, template=template)
    several = several_partnerships(result, combined=False)
    if several is not None:
        result.findings.append(several)
    return result
