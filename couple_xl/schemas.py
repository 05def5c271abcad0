"""The rules of what a template, a workbook's metadata and a manifest may hold, stated as
pydantic models, which also put every mistake in words (``key.path: message``).

Imported only when they are needed: for a file a coordinator supplies (a template, a
manifest), for a workbook `new` writes, and for metadata or an embedded template that
the plain checks in templates.py and metadata.py cannot vouch for. Those checks accept
nothing these models refuse, and give what these models give; reading returns that
couple_xl wrote therefore needs no pydantic, which keeps `couple-xl check` quick.
Templates and workbook metadata are handed on as the plain classes of templates.py and
metadata.py; a manifest is handed on as the model below.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from . import excel, scoring
from . import metadata as meta
from . import templates as tpl
from .files import name_refusal, plain_name_problem

__all__ = ["ValidationError"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- templates -------------------------------------------------------------------------

# Ids become parts of Excel defined names (Q_<id>, SCORE_<id>), so they are kept to
# lower-case letters, digits and underscores, and short.
Identifier = Annotated[str, StringConstraints(pattern=tpl.IDENTIFIER)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _guidance(text: str) -> str:
    """Guidance is a dropdown's input message: Excel shows at most 255 units of it."""
    if excel.units(text) > excel.VALIDATION_TEXT:
        raise ValueError(
            f"guidance is {excel.units(text)} characters as Excel counts them; a dropdown's "
            f"message can have at most {excel.VALIDATION_TEXT}: shorten it"
        )
    return text


Guidance = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_guidance)]


class Question(_Model):
    """A rated statement."""

    id: Identifier
    text: Text
    guidance: Annotated[
        str, StringConstraints(strip_whitespace=True), AfterValidator(_guidance)
    ] = ""
    weight: float = Field(default=1.0, gt=0, le=tpl.MAX_WEIGHT)


class Principle(_Model):
    """One of the COUPLE principles, with its statements."""

    id: Identifier
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    description: Text
    questions: list[Question] = Field(min_length=1, max_length=tpl.MAX_QUESTIONS)

    @field_validator("name")
    @classmethod
    def _sheet_name(cls, name: str) -> str:
        problem = excel.sheet_name_problem(name)
        if problem:
            raise ValueError(f"a principle name is a sheet name, and this one {problem}")
        if name.lower() in tpl.RESERVED_SHEETS:
            raise ValueError(f"'{name}' is the name of a sheet the workbook already has")
        return name


class Point(_Model):
    """A rated point of the scale."""

    value: int = Field(ge=0, le=tpl.MAX_POINT)
    label: Text


class UnscoredAnswer(_Model):
    """An answer that is recorded but never scored, such as N/A."""

    label: Text
    aliases: list[Text] = []


class ScaleModel(_Model):
    """The answer scale."""

    points: list[Point] = Field(min_length=tpl.MIN_POINTS, max_length=tpl.MAX_POINTS)
    unscored: list[UnscoredAnswer] = Field(min_length=1)
    aliases: dict[str, list[Text]] = {}

    @model_validator(mode="after")
    def _consistent(self) -> ScaleModel:
        values = [p.value for p in self.points]
        if values != sorted(set(values)):
            raise ValueError("point values must be unique and in rising order")
        known = {p.label for p in self.points}
        for label in self.aliases:
            if label not in known:
                raise ValueError(f"aliases given for {label!r}, which is not a point label")
        choices = self.engine().choices
        for choice in choices:
            if "," in choice or '"' in choice:
                raise ValueError(f"{choice!r}: answers cannot contain commas or double quotes")
        if excel.units(",".join(choices)) > excel.LIST_SOURCE:
            raise ValueError(
                f"the answer list is longer than Excel's {excel.LIST_SOURCE} characters: "
                "use shorter labels"
            )
        try:
            self.engine().accepted()
        except ValueError as err:
            raise ValueError(str(err)) from None
        return self

    def engine(self) -> scoring.Scale:
        return tpl.engine_scale(
            [(p.value, p.label) for p in self.points],
            [(u.label, u.aliases) for u in self.unscored],
            self.aliases,
        )


class Settings(_Model):
    """Thresholds for bands, coverage and disagreement."""

    strength: float = scoring.DEFAULT_THRESHOLDS.strength
    developing: float = scoring.DEFAULT_THRESHOLDS.developing
    min_coverage: float = Field(default=scoring.DEFAULT_THRESHOLDS.min_coverage, ge=0, le=1)
    disagreement: float = Field(default=scoring.DEFAULT_THRESHOLDS.disagreement, gt=0)
    action_rows: int = Field(default=5, ge=1, le=tpl.MAX_ACTION_ROWS)

    @model_validator(mode="after")
    def _ordered(self) -> Settings:
        if self.strength <= self.developing:
            raise ValueError("strength must be above developing")
        return self


class Template(_Model):
    """A complete assessment template."""

    id: Identifier
    version: Annotated[str, StringConstraints(pattern=tpl.VERSION)]
    title: Text
    introduction: Text
    settings: Settings = Settings()
    scale: ScaleModel
    principles: list[Principle] = Field(min_length=1, max_length=tpl.MAX_PRINCIPLES)

    @model_validator(mode="after")
    def _unique_ids(self) -> Template:
        seen: set[str] = set()
        for kind, values in (
            ("principle id", [p.id for p in self.principles]),
            ("principle name", [p.name.lower() for p in self.principles]),
            ("question id", [q.id for p in self.principles for q in p.questions]),
        ):
            seen.clear()
            for value in values:
                if value in seen:
                    raise ValueError(f"the {kind} '{value}' is used twice")
                seen.add(value)
        lo, hi = self.scale.points[0].value, self.scale.points[-1].value
        if not lo <= self.settings.developing < self.settings.strength <= hi:
            raise ValueError(
                f"settings.developing and settings.strength must lie within the scale ({lo}–{hi})"
            )
        return self


# --- workbook metadata and manifests ---------------------------------------------------


def _plain_text(text: str) -> str:
    problem = meta.plain_text_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _name(max_length: int, min_length: int = 1):
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_plain_text),
    ]


def _pattern(pattern: str, max_length: int = 64):
    return Annotated[str, StringConstraints(pattern=pattern, max_length=max_length)]


PartnershipId = _pattern(meta.PARTNERSHIP_ID, meta.MAX_PARTNERSHIP_ID)
Name = _name(meta.MAX_NAME)
PartnershipName = _name(meta.MAX_PARTNERSHIP_NAME)
Label = _name(meta.MAX_LABEL)


def _plain_file_name(name: str) -> str:
    problem = plain_name_problem(name)
    if problem is not None:
        raise ValueError(name_refusal(name, problem))
    return name


# A file name written inside a file: a plain name in that file's folder, never a path.
FileName = Annotated[str, AfterValidator(_plain_file_name)]

DATETIME = TypeAdapter(dt.datetime)


def _with_round_id(data: Any) -> Any:
    """``data`` with its round id derived when it has none (see derived_round_id); left
    as it is when the fields it is derived from are themselves wrong (they are reported)."""
    if not isinstance(data, dict) or data.get("round_id"):
        return data
    try:
        created = DATETIME.validate_python(data.get("created"))
        derived = meta.derived_round_id(str(data["partnership_id"]), str(data["round"]), created)
    except (ValidationError, KeyError):
        return data
    return {**data, "round_id": derived}


class WorkbookMetadata(_Model):
    """Identity of one partner's workbook (see metadata.WorkbookMetadata, the plain
    form every reader and writer uses)."""

    format: Literal["couple_xl/1"] = meta.FORMAT
    kind: Literal["return"] = meta.RETURN
    template_id: _pattern(meta.TEMPLATE_ID)
    template_version: _pattern(meta.TEMPLATE_VERSION, meta.MAX_TEMPLATE_VERSION)
    template_sha256: _pattern(meta.SHA256)
    partnership_id: PartnershipId
    partnership_name: PartnershipName
    partner: Name
    round: Label
    round_date: dt.date
    due_date: dt.date | None = None
    contact: _name(meta.MAX_CONTACT, 0) = ""
    return_id: _pattern(meta.RETURN_ID)
    created: dt.datetime
    generator: _name(meta.MAX_GENERATOR)
    # The round's own identity, shared by every workbook of one `new`; action ids are
    # derived from it. Returns made before it existed get it derived from `created`.
    round_id: _pattern(meta.ROUND_ID)

    @model_validator(mode="before")
    @classmethod
    def derive_round_id(cls, data: Any) -> Any:
        return _with_round_id(data)


class ManifestPartner(_Model):
    partner: Name
    return_id: _pattern(meta.RETURN_ID)
    file: FileName
    email: str = ""
    contact: str = ""


class Manifest(_Model):
    """Written beside the workbooks by `couple-xl new`: who is expected to return what."""

    format: Literal["couple_xl/1"] = meta.FORMAT
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
    round_id: _pattern(meta.ROUND_ID)  # as in the workbooks; derived for older manifests

    @model_validator(mode="before")
    @classmethod
    def derive_round_id(cls, data: Any) -> Any:
        return _with_round_id(data)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
