"""What identifies a workbook (its metadata) and a round (its manifest).

A workbook's metadata is plain, frozen data (WorkbookMetadata), made only from values
that pass its rules. The rules are stated in couple_xl/schemas.py as pydantic models,
which put every mistake in words; metadata that `new` wrote is vouched for by a plain
check here, which accepts only what the rules accept, exactly as they would take it, so
that reading returns needs no pydantic. A manifest is read and written through its
pydantic model, Manifest (imported from here, built on first use).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Location, ReadError

if TYPE_CHECKING:
    from .schemas import Manifest, ManifestPartner

FORMAT = "couple_xl/1"
# Prefix of the custom document properties that carry the metadata.
PROPERTY_PREFIX = "couple."
MANIFEST_SUFFIX = ".manifest.json"

# What kind of couple_xl workbook a file is (the custom property couple.kind). Readers
# of returns skip the other kinds with a note.
RETURN = "return"
SUMMARY = "summary"
PLAN = "plan"
QUESTIONS = "questions"
KINDS = (RETURN, SUMMARY, PLAN, QUESTIONS)

# The values `couple-xl new` can write. A return carrying anything else was edited by
# hand or made by something else, and is refused as tampered with.
MAX_NAME = 200  # partner names
MAX_PARTNERSHIP_NAME = 300  # shortened with "…" where Excel allows less (page headers)
MAX_LABEL = 80  # round labels
MAX_CONTACT = 320
MAX_GENERATOR = 100
PARTNERSHIP_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PARTNERSHIP_ID = 40
RETURN_ID = r"^[0-9a-f]{32}$"
ROUND_ID = RETURN_ID  # random at `new`, or derived for rounds sent before round ids
TEMPLATE_ID = r"^[a-z][a-z0-9_]{0,39}$"
TEMPLATE_VERSION = r"^\d+(\.\d+){0,2}$"
MAX_TEMPLATE_VERSION = 20
SHA256 = r"^[0-9a-f]{64}$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def control_character(text: str) -> str | None:
    """The first control character (tab, newline, bell…) in ``text``, or None."""
    m = _CONTROL.search(text)
    return m.group(0) if m else None


def plain_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a name or label couple_xl writes, or None."""
    if control_character(text) is not None:
        return "contains a control character (a tab, line break or similar)"
    if text != " ".join(text.split()):
        return "has spaces at its ends or two spaces in a row"
    return None


def derived_round_id(partnership_id: str, round_label: str, created: dt.datetime) -> str:
    """The round id of a round sent before rounds had one: every workbook of a round and
    its manifest carry the same partnership, label and creation time (to the second), so
    each derives the same id, and two rounds never do unless all three are equal."""
    text = f"couple_xl round\n{partnership_id}\n{round_label}\n{created.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class MetadataProblem(ValueError):
    """Metadata its rules refuse: the key path, and the first problem in words."""

    def __init__(self, key: str, message: str, detail: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message
        self.detail = detail  # what pydantic said, for --debug


@dataclass(frozen=True, init=False)
class WorkbookMetadata:
    """Identity of one partner's workbook. Stored twice in every workbook: as custom
    document properties and on a very-hidden sheet, because LibreOffice turns
    very-hidden into plain hidden when it re-saves, and either copy may be edited.

    Made from keyword values that must pass the rules (schemas.WorkbookMetadata), as
    they give them (a date given as text becomes a date); raises MetadataProblem."""

    format: str
    kind: str
    template_id: str
    template_version: str
    template_sha256: str
    partnership_id: str
    partnership_name: str
    partner: str
    round: str
    round_date: dt.date
    due_date: dt.date | None
    contact: str
    return_id: str
    created: dt.datetime
    generator: str
    # The round's own identity, shared by every workbook of one `new`; action ids are
    # derived from it. Returns made before it existed get it derived from `created`.
    round_id: str

    def __init__(self, **values: Any) -> None:
        for key, value in _validated(values).items():
            object.__setattr__(self, key, value)

    @classmethod
    def validate(cls, data: dict[str, Any]) -> WorkbookMetadata:
        """Metadata from a mapping of field names to values; raises MetadataProblem."""
        return cls(**data)

    def unchecked_copy(self, **changes: Any) -> WorkbookMetadata:
        """A copy with ``changes`` made and not checked: for the placeholders a round's
        workbook is built with, which are longer than a name may be. Never for values
        read from outside."""
        copy = object.__new__(WorkbookMetadata)
        for f in fields(self):
            object.__setattr__(copy, f.name, changes.get(f.name, getattr(self, f.name)))
        return copy

    def as_strings(self) -> dict[str, str]:
        """Every field as text, in field order, as the rules write it; '' for a missing
        value."""
        from .schemas import WorkbookMetadata as Rules

        model = Rules.model_construct(**{f.name: getattr(self, f.name) for f in fields(self)})
        out = {}
        for key, value in model.model_dump(mode="json").items():
            out[key] = "" if value is None else str(value)
        return out


FIELDS = tuple(f.name for f in fields(WorkbookMetadata))
_DEFAULTS = {"format": FORMAT, "kind": RETURN, "due_date": None, "contact": ""}
_REQUIRED = frozenset(FIELDS) - _DEFAULTS.keys() - {"round_id"}


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    """The values of every field, as the rules give them; raises MetadataProblem."""
    checked = _checked(values)
    if checked is not None:
        return checked
    from .schemas import ValidationError
    from .schemas import WorkbookMetadata as Rules

    try:
        model = Rules.model_validate(values)
    except ValidationError as err:
        key, message = validation_problem(err)
        raise MetadataProblem(key, message, str(err)) from None
    return {key: getattr(model, key) for key in FIELDS}


# --- the plain check: what the rules accept, unchanged ----------------------------------
#
# As in templates.py: True only for values the rules would take exactly as they are
# (dates in ISO form become dates, as the rules make them); anything else is left to
# the rules.

_PATTERNS = {
    "template_id": (re.compile(TEMPLATE_ID), 64),
    "template_version": (re.compile(TEMPLATE_VERSION, re.ASCII), MAX_TEMPLATE_VERSION),
    "template_sha256": (re.compile(SHA256), 64),
    "partnership_id": (re.compile(PARTNERSHIP_ID), MAX_PARTNERSHIP_ID),
    "return_id": (re.compile(RETURN_ID), 64),
    "round_id": (re.compile(ROUND_ID), 64),
}
_NAMES = {
    "partnership_name": (1, MAX_PARTNERSHIP_NAME),
    "partner": (1, MAX_NAME),
    "round": (1, MAX_LABEL),
    "contact": (0, MAX_CONTACT),
    "generator": (1, MAX_GENERATOR),
}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Seconds, with a fraction of up to six digits, and an offset (or none): what the rules
# and the standard library read alike.
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def _checked(values: dict[str, Any]) -> dict[str, Any] | None:
    """Every field's value when the plain check vouches for ``values``, else None."""
    if not values.keys() <= set(FIELDS) or not values.keys() >= _REQUIRED:
        return None
    out = {**_DEFAULTS, **values}
    if out["format"] != FORMAT or out["kind"] != RETURN:
        return None
    if type(out["format"]) is not str or type(out["kind"]) is not str:
        return None
    for key in ("round_date", "due_date"):
        value = out[key]
        if value is None and key == "due_date":
            continue
        date = _date(value)
        if date is None:
            return None
        out[key] = date
    created = _datetime(out["created"])
    if created is None:
        return None
    out["created"] = created
    if not out.get("round_id"):
        if type(out["partnership_id"]) is not str or type(out["round"]) is not str:
            return None
        out["round_id"] = derived_round_id(out["partnership_id"], out["round"], created)
    for key, (pattern, longest) in _PATTERNS.items():
        value = out[key]
        if type(value) is not str or len(value) > longest or not pattern.fullmatch(value):
            return None
    for key, (shortest, longest) in _NAMES.items():
        value = out[key]
        if type(value) is not str or not shortest <= len(value) <= longest:
            return None
        if not _unicode(value) or plain_text_problem(value) is not None:
            return None
    return {key: out[key] for key in FIELDS}


def _unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _date(value: Any) -> dt.date | None:
    if type(value) is dt.date:
        return value
    if type(value) is str and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _datetime(value: Any) -> dt.datetime | None:
    if type(value) is dt.datetime:
        return value
    if type(value) is not str:
        return None
    m = _ISO_DATETIME.fullmatch(value)
    if m is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value[: m.start(1)] if m.group(1) else value)
    except ValueError:
        return None
    offset = m.group(1)
    if offset == "Z":
        return moment.replace(tzinfo=dt.timezone.utc)
    if offset:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            return None
        sign = -1 if offset[0] == "-" else 1
        delta = dt.timedelta(hours=hours, minutes=minutes) * sign
        return moment.replace(tzinfo=dt.timezone(delta))
    return moment


def __getattr__(name: str) -> Any:
    # The manifest's models are pydantic's: built only when a manifest is read or written.
    if name in ("Manifest", "ManifestPartner"):
        from . import schemas

        return getattr(schemas, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# pydantic's own kinds of problem, in words (its messages quote patterns and types).
_PROBLEM_WORDS = {
    "missing": "missing",
    "extra_forbidden": "a key couple_xl never writes",
    "json_invalid": "not valid JSON: damaged, or edited by hand",
    "string_too_long": "longer than couple_xl writes",
    "string_too_short": "empty",
    "literal_error": "not a value couple_xl writes",
}


def validation_problem(err: Any) -> tuple[str, str]:
    """The key path (``partners[0].file``) and message of a pydantic error's first
    problem, in words: our own validators' messages as they are, pydantic's replaced by
    what they mean."""
    first = err.errors(include_url=False)[0]
    key = ""
    for part in first["loc"]:
        key += f"[{part}]" if isinstance(part, int) else ("." if key else "") + str(part)
    key = key or "(top level)"
    kind = first["type"]
    if kind == "value_error":
        return key, first["msg"].removeprefix("Value error, ")
    if kind.startswith(("date", "datetime")):
        return key, "not a date couple_xl writes"
    return key, _PROBLEM_WORDS.get(kind, "not in the form couple_xl writes")


# What to do about a manifest whose workbook file name is refused.
MANIFEST_FILES = (
    "a manifest names each workbook by its file name alone, and the workbook must be in "
    "the manifest's folder: use the folder and manifest `couple-xl new` wrote, unedited"
)


def read_manifest(path: str | Path) -> Manifest:
    """Read a manifest through the read boundary; ReadError says where it is wrong."""
    from .boundary import LIMITS, guarded, read_file
    from .schemas import Manifest, ValidationError

    path = Path(path)
    where = Location(file=path)
    data = read_file(path, LIMITS.text_bytes, "the manifest")
    with guarded(where, "the manifest", "use the manifest `couple-xl new` wrote"):
        try:
            return Manifest.model_validate_json(data)
        except ValidationError as err:
            key, message = validation_problem(err)
            if key.startswith("partners[") and key.endswith("].file"):
                raise ReadError(
                    f"{message}; {MANIFEST_FILES}", Location(file=path, key=key), detail=str(err)
                ) from None
            raise ReadError(
                f"not a couple_xl manifest ({message}): use the manifest `couple-xl new` "
                "wrote, unedited",
                Location(file=path, key=None if key == "(top level)" else key),
                detail=str(err),
            ) from None


__all__ = [
    "FIELDS",
    "FORMAT",
    "KINDS",
    "MANIFEST_FILES",
    "MANIFEST_SUFFIX",
    "PROPERTY_PREFIX",
    "Manifest",
    "ManifestPartner",
    "MetadataProblem",
    "WorkbookMetadata",
    "control_character",
    "derived_round_id",
    "read_manifest",
    "validation_problem",
]
