"""Reminders: drafts, and a send list, for the partners whose return has not arrived."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .consolidate import REJECTED, Consolidation, consolidate
from .drafts import SEND_LIST, Drafts, Invitation, write_drafts
from .errors import CoupleError, Location, ProblemsError, Severity
from .files import name_in_folder, refuse_overwrite
from .inputs import due_in_words
from .metadata import MANIFEST_FILES, Manifest, read_manifest


@dataclass
class Reminders:
    """Who was reminded, and what consolidation found on the way."""

    result: Consolidation
    missing: list[str] = field(default_factory=list)  # partners without a counted return
    drafts: Drafts | None = None
    no_workbook: list[str] = field(default_factory=list)  # original workbook not found


def remind(
    manifest_path: Path, returns: list[Path], out_dir: Path, force: bool = False
) -> Reminders:
    """Write reminders for the partners of a manifest with no counted return among
    ``returns``. A partner whose files were rejected is told why (where the file said
    whose it was). The original workbooks must be beside the manifest, as `new` wrote them;
    a file name in the manifest that leads anywhere else stops the run before anything is
    read or written (ProblemsError, each with its key). Drafts and a send list already in
    ``out_dir`` are overwritten only with ``force`` (OutputExistsError, before anything is
    written).
    """
    manifest = read_manifest(manifest_path)
    workbooks = _workbooks(manifest_path, manifest)
    result = consolidate(returns, partnership=manifest.partnership_id)
    returned = {r.meta.return_id for r in result.records if r.meta.round == manifest.round}
    rejected: dict[str, list[str]] = {}
    for log in result.files:
        if log.record is not None and log.verdict == REJECTED:
            errors = [f.message for f in log.findings if f.severity == Severity.ERROR]
            rejected.setdefault(log.record.meta.return_id, []).extend(errors)
    out = Reminders(result)
    invitations = []
    for partner in manifest.partners:
        if partner.return_id in returned:
            continue
        out.missing.append(partner.partner)
        workbook = workbooks[partner.return_id]
        if not workbook.is_file():
            out.no_workbook.append(partner.partner)
            continue
        note = (
            "This is a friendly reminder: we have not yet received your organisation's "
            f"return, which was due {due_in_words(manifest.due_date)}."
        )
        if partner.return_id in rejected:
            reasons = "; ".join(rejected[partner.return_id])
            note += f" We did receive a copy, but could not use it: {reasons}."
        invitations.append(Invitation(partner.partner, partner.email, partner.contact,
                                      workbook, note))  # fmt: skip
    if invitations:
        # A draft is named after its workbook, as write_drafts names it.
        drafts = [out_dir / i.workbook.with_suffix(".eml").name for i in invitations if i.email]
        for target in [*drafts, out_dir / SEND_LIST]:
            refuse_overwrite(target, force)
        out.drafts = write_drafts(
            out_dir,
            invitations,
            manifest.partnership_name,
            manifest.round,
            due_in_words(manifest.due_date),
            manifest.contact,
            reminder=True,
        )
    return out


def _workbooks(manifest_path: Path, manifest: Manifest) -> dict[str, Path]:
    """Each partner's workbook (by return id), every name checked to stay in the
    manifest's folder; ProblemsError lists each one that does not."""
    found: dict[str, Path] = {}
    problems: list[CoupleError] = []
    for i, partner in enumerate(manifest.partners):
        where = Location(file=manifest_path, key=f"partners[{i}].file")
        try:
            found[partner.return_id] = name_in_folder(
                manifest_path.parent, partner.file, where, MANIFEST_FILES
            )
        except CoupleError as err:
            problems.append(err)
    if problems:
        raise ProblemsError(problems)
    return found
