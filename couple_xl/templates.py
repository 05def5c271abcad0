"""Assessment templates: pydantic models, loading, listing and checking."""

from __future__ import annotations

import hashlib
import json
import sys
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from . import excel, scoring
from .errors import CoupleError, Location, TemplateError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# Ids become parts of Excel defined names (Q_<id>, SCORE_<id>), so they are kept to
# lower-case letters, digits and underscores, and short.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# Sheet names that the workbook uses for itself.
RESERVED_SHEETS = {"start", "summary", "_couple"}


def _guidance(text: str) -> str:
    """Guidance is a dropdown's input message: Excel shows at most 255 units of it."""
    if excel.units(text) > excel.VALIDATION_TEXT:
        raise ValueError(
            f"guidance is {excel.units(text)} characters as Excel counts them; a dropdown's "
            f"message can have at most {excel.VALIDATION_TEXT}: shorten it"
        )
    return text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Guidance = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_guidance)]


class Question(_Model):
    """A rated statement."""

    id: Identifier
    text: Text
    guidance: Annotated[
        str, StringConstraints(strip_whitespace=True), AfterValidator(_guidance)
    ] = ""
    weight: float = Field(default=1.0, gt=0, le=100)


class Principle(_Model):
    """One of the COUPLE principles, with its statements."""

    id: Identifier
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    description: Text
    questions: list[Question] = Field(min_length=1, max_length=20)

    @field_validator("name")
    @classmethod
    def _sheet_name(cls, name: str) -> str:
        problem = excel.sheet_name_problem(name)
        if problem:
            raise ValueError(f"a principle name is a sheet name, and this one {problem}")
        if name.lower() in RESERVED_SHEETS:
            raise ValueError(f"'{name}' is the name of a sheet the workbook already has")
        return name


class Point(_Model):
    """A rated point of the scale."""

    value: int = Field(ge=0, le=100)
    label: Text


class UnscoredAnswer(_Model):
    """An answer that is recorded but never scored, such as N/A."""

    label: Text
    aliases: list[Text] = []


class ScaleModel(_Model):
    """The answer scale."""

    points: list[Point] = Field(min_length=2, max_length=11)
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
        aliases = {label: tuple(a) for label, a in self.aliases.items()}
        aliases.update({u.label: tuple(u.aliases) for u in self.unscored})
        return scoring.Scale(
            points=tuple(scoring.ScalePoint(p.value, p.label) for p in self.points),
            unscored=tuple(u.label for u in self.unscored),
            aliases=aliases,
        )


class Settings(_Model):
    """Thresholds for bands, coverage and disagreement."""

    strength: float = scoring.DEFAULT_THRESHOLDS.strength
    developing: float = scoring.DEFAULT_THRESHOLDS.developing
    min_coverage: float = Field(default=scoring.DEFAULT_THRESHOLDS.min_coverage, ge=0, le=1)
    disagreement: float = Field(default=scoring.DEFAULT_THRESHOLDS.disagreement, gt=0)
    action_rows: int = Field(default=5, ge=1, le=30)

    @model_validator(mode="after")
    def _ordered(self) -> Settings:
        if self.strength <= self.developing:
            raise ValueError("strength must be above developing")
        return self

    def thresholds(self) -> scoring.Thresholds:
        return scoring.Thresholds(
            strength=self.strength,
            developing=self.developing,
            min_coverage=self.min_coverage,
            disagreement=self.disagreement,
        )


class Template(_Model):
    """A complete assessment template."""

    id: Identifier
    version: Annotated[str, StringConstraints(pattern=r"^\d+(\.\d+){0,2}$")]
    title: Text
    introduction: Text
    settings: Settings = Settings()
    scale: ScaleModel
    principles: list[Principle] = Field(min_length=1, max_length=12)

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

    @cached_property
    def engine_scale(self) -> scoring.Scale:
        return self.scale.engine()

    @cached_property
    def accepted(self) -> dict[str, int | None]:
        """Every accepted answer spelling, normalised, with its value (None = unscored)."""
        return self.engine_scale.accepted()

    @cached_property
    def comparison_key(self) -> tuple:
        """What returns must share to be compared: principle ids and the answer scale.
        Templates that differ only in some questions compare by principle."""
        return (
            tuple(p.id for p in self.principles),
            self.engine_scale.values,
            tuple(sorted(self.accepted.items())),
        )

    @cached_property
    def thresholds(self) -> scoring.Thresholds:
        return self.settings.thresholds()

    @property
    def questions(self) -> list[tuple[Principle, Question]]:
        return [(p, q) for p in self.principles for q in p.questions]

    def principle(self, principle_id: str) -> Principle:
        for p in self.principles:
            if p.id == principle_id:
                return p
        raise KeyError(principle_id)

    def to_json(self) -> str:
        """Canonical JSON, as embedded in workbooks."""
        return self._json

    @cached_property
    def _json(self) -> str:
        # A template is frozen, so its JSON and fingerprint are worked out once: both are
        # asked for once per return read.
        return self.model_dump_json(exclude_defaults=False)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON: changes whenever any wording or setting does."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def score(self, answers: dict[str, Any]) -> Assessment:
        """Score one respondent's answers, keyed by question id."""
        results = {
            p.id: scoring.score_principle(
                [answers.get(q.id) for q in p.questions],
                weights=[q.weight for q in p.questions],
                question_ids=[q.id for q in p.questions],
                scale=self.engine_scale,
                thresholds=self.thresholds,
                accepted=self.accepted,
            )
            for p in self.principles
        }
        values = {
            q.id: value
            for p in self.principles
            for q, value in zip(p.questions, results[p.id].values)
        }
        return Assessment(results, scoring.overall(results.values(), self.thresholds), values)


class Assessment:
    """One respondent's principle results, overall result, and each question's value."""

    def __init__(
        self,
        principles: dict[str, scoring.PrincipleResult],
        overall: scoring.OverallResult,
        values: dict[str, int | None] | None = None,
    ) -> None:
        self.principles = principles
        self.overall = overall
        self.values = values or {}

    def __repr__(self) -> str:
        return f"Assessment({self.principles!r}, {self.overall!r})"


# --- locating and loading -------------------------------------------------------


def templates_dir() -> Path:
    """The folder of built-in templates: inside the package when installed from a
    wheel, at the top of the repository in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "workbook_templates", here.parent / "workbook_templates"):
        if candidate.is_dir():
            return candidate
    raise CoupleError(
        "the built-in templates folder is missing: reinstall couple_xl",
        Location(file=here / "workbook_templates"),
    )


def builtin_templates() -> dict[str, Path]:
    """Built-in template ids mapped to their files."""
    return {path.stem: path for path in sorted(templates_dir().glob("*.toml"))}


def _loc_to_key(loc: tuple[Any, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part + 1}]"
        else:
            key += ("." if key else "") + str(part)
    return key or "(top level)"


def template_from_data(data: Any, source: str | Path) -> Template:
    """Validate already-parsed template data; errors name ``source`` and the key path."""
    try:
        return Template.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors(include_url=False):
            message = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                message = "unknown key (check the spelling)"
            elif e["type"] == "missing":
                message = "required key is missing"
            problems.append(CoupleError(message, Location(file=source, key=_loc_to_key(e["loc"]))))
        raise TemplateError(problems) from None


def load_template_file(path: str | Path) -> Template:
    """Load and validate a template from a TOML (or JSON) file."""
    from .boundary import LIMITS, guarded, read_file

    path = Path(path)
    try:
        raw = read_file(path, LIMITS.text_bytes, "the template")
        with guarded(Location(file=path), "the template", "check it with a text editor"):
            return _parse_template(raw, path)
    except TemplateError:
        raise
    except CoupleError as err:
        raise TemplateError([err]) from None


def _parse_template(raw: bytes, path: Path) -> Template:
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except UnicodeDecodeError:
        raise TemplateError(
            [CoupleError("the template is not UTF-8 text", Location(file=path))]
        ) from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise TemplateError(
            [
                CoupleError(
                    f"not valid {path.suffix.lstrip('.').upper()}: {err}", Location(file=path)
                )
            ]
        ) from None
    return template_from_data(data, path)


def resolve_template(ref: str | Path | None = None) -> Template:
    """Load a template by built-in id (default "couple") or by path."""
    ref = "couple" if ref is None else ref
    builtin = builtin_templates()
    if isinstance(ref, str) and ref in builtin:
        return load_template_file(builtin[ref])
    path = Path(ref)
    if path.suffix.lower() in {".toml", ".json"} or path.exists():
        return load_template_file(path)
    raise TemplateError(
        [
            CoupleError(
                f"no built-in template '{ref}' and no such file; "
                f"built-in templates: {', '.join(builtin) or 'none'}"
            )
        ]
    )
