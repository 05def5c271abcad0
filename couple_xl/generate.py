"""Generate a round of workbooks for a partnership: one per partner, plus a manifest."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, excel
from .errors import InputError, Location, OutputExistsError
from .files import make_folder, write_text_atomically
from .inputs import PartnerEntry, clean_text, due_in_words, parse_contact
from .metadata import (
    MANIFEST_SUFFIX,
    MAX_LABEL,
    MAX_PARTNERSHIP_NAME,
    Manifest,
    ManifestPartner,
    WorkbookMetadata,
)
from .naming import (
    id_is_shortened,
    inside,
    partnership_id,
    safe_component,
    slugify,
    unique_filenames,
)
from .templates import Template
from .workbook import RoundWorkbook, escape_header, header_text

if TYPE_CHECKING:
    from .actions import AgreedAction
    from .drafts import Drafts


@dataclass(frozen=True)
class RoundRequest:
    """Everything `couple-xl new` needs to write a round."""

    partnership_name: str
    partners: list[PartnerEntry]
    template: Template
    out_dir: Path
    round_label: str | None = None
    round_date: dt.date = field(default_factory=dt.date.today)
    due_date: dt.date | None = None
    contact: str = ""
    partnership_id: str | None = None
    force: bool = False
    scoring_mode: str = "addin"
    embed_lite: bool = False
    email: bool = False  # also write email drafts and a send list
    plan: Path | None = None  # the last round's action plan: its agreed actions are reviewed


@dataclass
class WrittenWorkbook:
    partner: str
    path: Path
    return_id: str


@dataclass
class RoundResult:
    """What was written, and anything the coordinator should know."""

    partnership_id: str
    round_label: str
    workbooks: list[WrittenWorkbook]
    manifest: Path
    round_id: str = ""
    warnings: list[str] = field(default_factory=list)
    drafts: Drafts | None = None
    agreed: list[AgreedAction] = field(default_factory=list)


EMAILS_FOLDER = "emails"  # beside the workbooks: the drafts and the send list


def _check_partnership_id(value: str) -> str:
    value = value.strip().lower()
    if not value or slugify(value) != value:
        raise InputError(
            f"partnership id '{value}' must be lower-case letters, digits and hyphens",
            Location(key="--partnership-id"),
        )
    return value


def new_round(request: RoundRequest) -> RoundResult:
    """Write one workbook per partner and a manifest into ``request.out_dir``.

    Refuses to overwrite existing files unless ``force`` is set; nothing is written
    when any target exists.
    """
    name = clean_text(request.partnership_name, "partnership name", None, MAX_PARTNERSHIP_NAME)
    if not request.partners:
        raise InputError("no partners given: use --partner or --partners-file")
    pid = (
        _check_partnership_id(request.partnership_id)
        if request.partnership_id
        else partnership_id(name)
    )
    round_label = clean_text(
        request.round_label or request.round_date.isoformat(),
        "round label",
        Location(key="--round"),
        MAX_LABEL,
    )
    if request.contact.strip():  # the command line checked it already; other callers too
        request = replace(request, contact=str(parse_contact(request.contact)))
    warnings = _warnings(request, name)
    if not request.partnership_id and id_is_shortened(name):
        warnings.append(
            f"the partnership id '{pid}' is made from the first words of the name only: "
            "a partnership whose name starts with the same words would get the same id, "
            "and consolidating both would mix their returns. If you run one, give each its "
            "own --partnership-id (and keep using it in later rounds)"
        )

    # The plan is read before anything is written: a bad plan stops the round.
    agreed = []
    if request.plan is not None:
        from .plan import read_plan

        agreed = read_plan(request.plan, pid).actions
    out = request.out_dir
    # Shortened at a word boundary: "northfield-community-food", not "…-food-part".
    prefix = f"{safe_component(name, 'partnership', 30)}_{safe_component(round_label, 'round', 20)}"
    stems = [f"{prefix}_{safe_component(p.name, 'partner')}" for p in request.partners]
    filenames = unique_filenames(stems, ".xlsx")
    manifest_name = f"{prefix}{MANIFEST_SUFFIX}"
    make_folder(out)
    targets = [inside(out, f) for f in filenames]
    manifest_path = inside(out, manifest_name)
    if not request.force:
        for target in [*targets, manifest_path]:
            if target.exists():
                raise OutputExistsError(
                    "already exists; use --force to overwrite it, or choose another --out folder",
                    Location(file=target),
                )

    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    # Random, not derived from the date or the label: two rounds sent on one day (or
    # under one label) are still two rounds, and their action ids never meet.
    round_id = uuid.uuid4().hex
    template = request.template
    written = _write_workbooks(request, targets, pid, name, round_label, created, round_id, agreed)

    manifest = Manifest(
        partnership_id=pid,
        partnership_name=name,
        round=round_label,
        round_date=request.round_date,
        due_date=request.due_date,
        contact=request.contact,
        template_id=template.id,
        template_version=template.version,
        created=created,
        round_id=round_id,
        partners=[
            ManifestPartner(
                partner=w.partner,
                return_id=w.return_id,
                file=w.path.name,
                email=entry.email,
                contact=entry.contact,
            )
            for w, entry in zip(written, request.partners)
        ],
    )
    write_text_atomically(manifest_path, manifest.to_json())
    drafts = None
    if request.email:
        from .drafts import Invitation, write_drafts

        invitations = [
            Invitation(w.partner, entry.email, entry.contact, w.path)
            for w, entry in zip(written, request.partners)
        ]
        drafts = write_drafts(
            out / EMAILS_FOLDER,
            invitations,
            name,
            round_label,
            due_in_words(request.due_date),
            request.contact,
        )
    return RoundResult(pid, round_label, written, manifest_path, round_id, warnings, drafts, agreed)


def _warnings(request: RoundRequest, name: str) -> list[str]:
    """What the coordinator should know before sending: shortened headers, odd dates."""
    warnings: list[str] = []
    for what, text in [("partnership name", name)] + [
        ("partner name", p.name) for p in request.partners
    ]:
        if header_text(text) != escape_header(text):
            warnings.append(
                f"the {what} '{text[:40]}…' is shown shortened in the workbooks' page headers "
                f"(Excel allows {excel.HEADER_FOOTER} characters in a header)"
            )
    if request.due_date and request.due_date < request.round_date:
        warnings.append(
            f"the due date {request.due_date.isoformat()} is before the round date "
            f"{request.round_date.isoformat()}"
        )
    return warnings


def _write_workbooks(
    request: RoundRequest,
    targets: list[Path],
    pid: str,
    name: str,
    round_label: str,
    created: dt.datetime,
    round_id: str,
    agreed: list[AgreedAction],
) -> list[WrittenWorkbook]:
    """One workbook built for the round, then each partner's stamped from it."""
    template = request.template
    metas = [
        WorkbookMetadata(
            template_id=template.id,
            template_version=template.version,
            template_sha256=template.fingerprint,
            partnership_id=pid,
            partnership_name=name,
            partner=entry.name,
            round=round_label,
            round_date=request.round_date,
            due_date=request.due_date,
            contact=request.contact,
            return_id=uuid.uuid4().hex,
            created=created,
            generator=f"couple_xl {__version__}",
            round_id=round_id,
        )
        for entry in request.partners
    ]
    book = RoundWorkbook(template, metas[0], request.scoring_mode, request.embed_lite, agreed)
    return [
        WrittenWorkbook(meta.partner, book.write(meta, target), meta.return_id)
        for meta, target in zip(metas, targets)
    ]
