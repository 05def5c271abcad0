"""What identifies a workbook (its metadata) and a round (its manifest)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import InputError, Location

FORMAT = "couple_xl/1"
# Prefix of the custom document properties that carry the metadata.
PROPERTY_PREFIX = "couple."
MANIFEST_SUFFIX = ".manifest.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkbookMetadata(_Model):
    """Identity of one partner's workbook. Stored twice in every workbook: as custom
    document properties and on a very-hidden sheet, because LibreOffice turns
    very-hidden into plain hidden when it re-saves, and either copy may be edited."""

    format: str = FORMAT
    template_id: str
    template_version: str
    template_sha256: str
    partnership_id: str
    partnership_name: str
    partner: str
    round: str
    round_date: dt.date
    due_date: dt.date | None = None
    contact: str = ""
    return_id: str
    created: dt.datetime
    generator: str

    def as_strings(self) -> dict[str, str]:
        """Every field as text, in field order; '' for a missing value."""
        out = {}
        for key, value in self.model_dump(mode="json").items():
            out[key] = "" if value is None else str(value)
        return out


class ManifestPartner(_Model):
    partner: str
    return_id: str
    file: str
    email: str = ""
    contact: str = ""


class Manifest(_Model):
    """Written beside the workbooks by `couple-xl new`: who is expected to return what."""

    format: str = FORMAT
    partnership_id: str
    partnership_name: str
    round: str
    round_date: dt.date
    due_date: dt.date | None = None
    contact: str = ""
    template_id: str
    template_version: str
    created: dt.datetime
    partners: list[ManifestPartner]

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def read_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except OSError as err:
        raise InputError(f"cannot read the manifest: {err.strerror}", Location(file=path)) from None
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(
            f"not a couple_xl manifest: {key}: {first['msg']}", Location(file=path)
        ) from None
