"""What identifies a workbook (its metadata) and a round (its manifest)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from .errors import Location, ReadError
from .files import name_refusal, plain_name_problem

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
PARTNERSHIP_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PARTNERSHIP_ID = 40
RETURN_ID = r"^[0-9a-f]{32}$"
ROUND_ID = RETURN_ID  # random at `new`, or derived for rounds sent before round ids
TEMPLATE_ID = r"^[a-z][a-z0-9_]{0,39}$"
TEMPLATE_VERSION = r"^\d+(\.\d+){0,2}$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def control_character(text: str) -> str | None:
    """The first control character (tab, newline, bell…) in ``text``, or None."""
    m = _CONTROL.search(text)
    return m.group(0) if m else None


def _plain_text(text: str) -> str:
    if control_character(text) is not None:
        raise ValueError("contains a control character (a tab, line break or similar)")
    if text != " ".join(text.split()):
        raise ValueError("has spaces at its ends or two spaces in a row")
    return text


def _name(max_length: int, min_length: int = 1):
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_plain_text),
    ]


def _pattern(pattern: str, max_length: int = 64):
    return Annotated[str, StringConstraints(pattern=pattern, max_length=max_length)]


PartnershipId = _pattern(PARTNERSHIP_ID, MAX_PARTNERSHIP_ID)
Name = _name(MAX_NAME)
PartnershipName = _name(MAX_PARTNERSHIP_NAME)
Label = _name(MAX_LABEL)


def _plain_file_name(name: str) -> str:
    problem = plain_name_problem(name)
    if problem is not None:
        raise ValueError(name_refusal(name, problem))
    return name


# A file name written inside a file: a plain name in that file's folder, never a path.
FileName = Annotated[str, AfterValidator(_plain_file_name)]

_DATETIME = TypeAdapter(dt.datetime)


def derived_round_id(partnership_id: str, round_label: str, created: dt.datetime) -> str:
    """The round id of a round sent before rounds had one: every workbook of a round and
    its manifest carry the same partnership, label and creation time (to the second), so
    each derives the same id, and two rounds never do unless all three are equal."""
    text = f"couple_xl round\n{partnership_id}\n{round_label}\n{created.isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _with_round_id(data: Any) -> Any:
    """``data`` with its round id derived when it has none (see derived_round_id); left
    as it is when the fields it is derived from are themselves wrong (they are reported)."""
    if not isinstance(data, dict) or data.get("round_id"):
        return data
    try:
        created = _DATETIME.validate_python(data.get("created"))
        derived = derived_round_id(str(data["partnership_id"]), str(data["round"]), created)
    except (ValidationError, KeyError):
        return data
    return {**data, "round_id": derived}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkbookMetadata(_Model):
    """Identity of one partner's workbook. Stored twice in every workbook: as custom
    document properties and on a very-hidden sheet, because LibreOffice turns
    very-hidden into plain hidden when it re-saves, and either copy may be edited."""

    format: Literal["couple_xl/1"] = FORMAT
    kind: Literal["return"] = RETURN
    template_id: _pattern(TEMPLATE_ID)
    template_version: _pattern(TEMPLATE_VERSION, 20)
    template_sha256: _pattern(r"^[0-9a-f]{64}$")
    partnership_id: PartnershipId
    partnership_name: PartnershipName
    partner: Name
    round: Label
    round_date: dt.date
    due_date: dt.date | None = None
    contact: _name(320, 0) = ""
    return_id: _pattern(RETURN_ID)
    created: dt.datetime
    generator: _name(100)
    # The round's own identity, shared by every workbook of one `new`; action ids are
    # derived from it. Returns made before it existed get it derived from `created`.
    round_id: _pattern(ROUND_ID)

    @model_validator(mode="before")
    @classmethod
    def derive_round_id(cls, data: Any) -> Any:
        return _with_round_id(data)

    def as_strings(self) -> dict[str, str]:
        """Every field as text, in field order; '' for a missing value."""
        out = {}
        for key, value in self.model_dump(mode="json").items():
            out[key] = "" if value is None else str(value)
        return out


class ManifestPartner(_Model):
    partner: Name
    return_id: _pattern(RETURN_ID)
    file: FileName
    email: str = ""
    contact: str = ""


class Manifest(_Model):
    """Written beside the workbooks by `couple-xl new`: who is expected to return what."""

    format: Literal["couple_xl/1"] = FORMAT
    partnership_id: PartnershipId
    partnership_name: PartnershipName
    round: Label
    round_date: dt.date
    due_date: dt.date | None = None
    contact: str = ""
    template_id: str
    template_version: str
    created: dt.datetime
    partners: list[ManifestPartner]
    round_id: _pattern(ROUND_ID)  # as in the workbooks; derived for older manifests

    @model_validator(mode="before")
    @classmethod
    def derive_round_id(cls, data: Any) -> Any:
        return _with_round_id(data)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


# pydantic's own kinds of problem, in words (its messages quote patterns and types).
_PROBLEM_WORDS = {
    "missing": "missing",
    "extra_forbidden": "a key couple_xl never writes",
    "json_invalid": "not valid JSON: damaged, or edited by hand",
    "string_too_long": "longer than couple_xl writes",
    "string_too_short": "empty",
    "literal_error": "not a value couple_xl writes",
}


def validation_problem(err: ValidationError) -> tuple[str, str]:
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
