"""Assessment templates: plain frozen data, their checks, loading, listing and checking.

A template is read by everything that scores, writes or compares returns; it is built
from data only once that data has passed the template rules. The rules are stated in
couple_xl/schemas.py as pydantic models, which put every mistake in words. A template
couple_xl wrote (embedded in a return, or a built-in one) is vouched for by a plain
check here, which accepts only what the rules accept, exactly as they would take it;
anything else goes to the rules. Reading a return therefore needs no pydantic, which
keeps `couple-xl check` quick to start; tests hold the check and the rules to the same
answers.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

from . import excel, scoring
from .errors import CoupleError, Location, TemplateError

# The rules, shared by the plain check and schemas.py. Ids become parts of Excel
# defined names (Q_<id>, SCORE_<id>), so they are kept to lower-case letters, digits
# and underscores, and short.
IDENTIFIER = r"^[a-z][a-z0-9_]{0,39}$"
VERSION = r"^\d+(\.\d+){0,2}$"
MAX_WEIGHT = 100
MAX_QUESTIONS = 20
MAX_POINT = 100
MIN_POINTS, MAX_POINTS = 2, 11
MAX_ACTION_ROWS = 30
MAX_PRINCIPLES = 12
# Sheet names that the workbook uses for itself.
RESERVED_SHEETS = {"start", "summary", "_couple"}


@dataclass(frozen=True, kw_only=True)
class Question:
    """A rated statement."""

    id: str
    text: str
    guidance: str = ""
    weight: float = 1.0


@dataclass(frozen=True, kw_only=True)
class Principle:
    """One of the COUPLE principles, with its statements."""

    id: str
    name: str
    description: str
    questions: list[Question]


@dataclass(frozen=True, kw_only=True)
class Point:
    """A rated point of the scale."""

    value: int
    label: str


@dataclass(frozen=True, kw_only=True)
class UnscoredAnswer:
    """An answer that is recorded but never scored, such as N/A."""

    label: str
    aliases: list[str] = field(default_factory=list)


def engine_scale(
    points: Iterable[tuple[int, str]],
    unscored: Iterable[tuple[str, Iterable[str]]],
    aliases: dict[str, list[str]],
) -> scoring.Scale:
    """The scoring engine's scale for a template's points, unscored answers and aliases."""
    unscored = list(unscored)
    every_alias = {label: tuple(a) for label, a in aliases.items()}
    every_alias.update({label: tuple(a) for label, a in unscored})
    return scoring.Scale(
        points=tuple(scoring.ScalePoint(value, label) for value, label in points),
        unscored=tuple(label for label, _ in unscored),
        aliases=every_alias,
    )


@dataclass(frozen=True, kw_only=True)
class ScaleModel:
    """The answer scale."""

    points: list[Point]
    unscored: list[UnscoredAnswer]
    aliases: dict[str, list[str]] = field(default_factory=dict)

    def engine(self) -> scoring.Scale:
        return engine_scale(
            [(p.value, p.label) for p in self.points],
            [(u.label, u.aliases) for u in self.unscored],
            self.aliases,
        )

    def as_data(self) -> dict[str, Any]:
        """The scale as template data (what a template file says)."""
        return _as_data(self)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Thresholds for bands, coverage and disagreement."""

    strength: float = scoring.DEFAULT_THRESHOLDS.strength
    developing: float = scoring.DEFAULT_THRESHOLDS.developing
    min_coverage: float = scoring.DEFAULT_THRESHOLDS.min_coverage
    disagreement: float = scoring.DEFAULT_THRESHOLDS.disagreement
    action_rows: int = 5

    def thresholds(self) -> scoring.Thresholds:
        return scoring.Thresholds(
            strength=self.strength,
            developing=self.developing,
            min_coverage=self.min_coverage,
            disagreement=self.disagreement,
        )

    def as_data(self) -> dict[str, Any]:
        """The settings as template data (what a template file says)."""
        return _as_data(self)


@dataclass(frozen=True, kw_only=True)
class Template:
    """A complete assessment template. Made by template_from_data and the loaders
    below, which check it first."""

    id: str
    version: str
    title: str
    introduction: str
    settings: Settings = field(default_factory=Settings)
    scale: ScaleModel
    principles: list[Principle]
    # The canonical JSON the rules gave, when they made it (see to_json).
    canonical: str | None = field(default=None, repr=False, compare=False)

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
        """Canonical JSON, as embedded in workbooks: compact, every field in order,
        defaults included, text as it is (as pydantic writes it)."""
        return self._json

    @cached_property
    def _json(self) -> str:
        # A template is frozen, so its JSON and fingerprint are worked out once: both are
        # asked for once per return read. The plain check takes only numbers that the
        # standard library writes as pydantic does (no exponent), so both agree.
        if self.canonical is not None:
            return self.canonical
        return json.dumps(_as_data(self), ensure_ascii=False, separators=(",", ":"))

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON: changes whenever any wording or setting does."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    @cached_property
    def _plan(self) -> list[tuple[str, list[str], list[float]]]:
        """Each principle's id, question ids and weights: what scoring asks for each time."""
        return [
            (p.id, [q.id for q in p.questions], [q.weight for q in p.questions])
            for p in self.principles
        ]

    def score(self, answers: dict[str, Any]) -> Assessment:
        """Score one respondent's answers, keyed by question id."""
        scale, thresholds, accepted = self.engine_scale, self.thresholds, self.accepted
        results = {
            pid: scoring.score_principle(
                [answers.get(qid) for qid in qids],
                weights=weights,
                question_ids=qids,
                scale=scale,
                thresholds=thresholds,
                accepted=accepted,
            )
            for pid, qids, weights in self._plan
        }
        values = {
            qid: value
            for pid, qids, _ in self._plan
            for qid, value in zip(qids, results[pid].values)
        }
        return Assessment(results, scoring.overall(results.values(), self.thresholds), values)


def _as_data(value: Any) -> Any:
    """A template's parts as the data a template file holds, fields in their order."""
    if isinstance(value, list):
        return [_as_data(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_data(item) for key, item in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _as_data(getattr(value, f.name)) for f in fields(value) if f.compare}
    return value


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
    template = _checked(data)
    if template is not None:
        return template
    from .schemas import Template as Rules
    from .schemas import ValidationError

    try:
        model = Rules.model_validate(data)
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
    return _built(model.model_dump(), model.model_dump_json(exclude_defaults=False))


def _built(data: dict[str, Any], canonical: str | None = None) -> Template:
    """A template from data that passed the rules (missing keys take their defaults)."""
    settings = data.get("settings")
    scale = data["scale"]
    return Template(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        introduction=data["introduction"],
        settings=Settings() if settings is None else _settings(settings),
        scale=ScaleModel(
            points=[Point(value=p["value"], label=p["label"]) for p in scale["points"]],
            unscored=[
                UnscoredAnswer(label=u["label"], aliases=list(u.get("aliases", ())))
                for u in scale["unscored"]
            ],
            aliases={label: list(a) for label, a in scale.get("aliases", {}).items()},
        ),
        principles=[
            Principle(
                id=p["id"],
                name=p["name"],
                description=p["description"],
                questions=[
                    Question(
                        id=q["id"],
                        text=q["text"],
                        guidance=q.get("guidance", ""),
                        weight=float(q.get("weight", 1.0)),
                    )
                    for q in p["questions"]
                ],
            )
            for p in data["principles"]
        ],
        canonical=canonical,
    )


def _settings(data: dict[str, Any]) -> Settings:
    given = {key: data[key] for key in _SETTINGS if key in data}
    floats = {k: float(v) for k, v in given.items() if k != "action_rows"}
    return Settings(**{**given, **floats})


# --- the plain check: what the rules accept, unchanged ----------------------------------
#
# Each function below answers True only when the rules in schemas.py would accept the
# value exactly as it is (no whitespace to strip, no number to convert but an int to a
# float); anything else, right or wrong, is left to the rules, which have the words for
# what is wrong. Text must be valid Unicode (no lone surrogate), and numbers must be
# ones the standard library writes in JSON as pydantic does, so that the JSON of a
# template made here is the one the rules would make.

_TEMPLATE = {"id", "version", "title", "introduction", "settings", "scale", "principles"}
_PRINCIPLE = {"id", "name", "description", "questions"}
_QUESTION = {"id", "text", "guidance", "weight"}
_SCALE = {"points", "unscored", "aliases"}
_POINT = {"value", "label"}
_UNSCORED = {"label", "aliases"}
_SETTINGS = ("strength", "developing", "min_coverage", "disagreement", "action_rows")
_IDENTIFIER = re.compile(IDENTIFIER)
_VERSION = re.compile(VERSION, re.ASCII)  # [0-9] only: the rules' \d takes any digit


def _checked(data: Any) -> Template | None:
    """The template, when the plain check vouches for ``data``; else None."""
    try:
        if _template_ok(data):
            return _built(data)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError):  # the rules say
        pass
    return None


def _keys(data: Any, allowed: set[str] | tuple[str, ...], required: set[str]) -> bool:
    return type(data) is dict and data.keys() <= set(allowed) and required <= data.keys()


def _unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: Any) -> bool:
    """Text the rules take as it is: no surrounding whitespace, not empty."""
    return type(value) is str and value != "" and value == value.strip() and _unicode(value)


def _identifier(value: Any) -> bool:
    return type(value) is str and _IDENTIFIER.fullmatch(value) is not None


def _number(value: Any, low: float, high: float, low_open: bool = False) -> bool:
    """An int or float within the bounds (as the rules' float takes it), one that JSON
    writes as pydantic does: finite, and without an exponent."""
    if type(value) is int and abs(value) <= 2**53:  # converted to a float exactly
        value = float(value)
    if type(value) is not float or not math.isfinite(value) or "e" in repr(value):
        return False
    return (low < value if low_open else low <= value) and value <= high


def _template_ok(data: Any) -> bool:
    if not _keys(data, _TEMPLATE, _TEMPLATE - {"settings"}):
        return False
    if not (_identifier(data["id"]) and type(data["version"]) is str):
        return False
    if not (_VERSION.fullmatch(data["version"]) and _text(data["title"])):
        return False
    settings = data.get("settings", {})
    principles = data["principles"]
    if not (_text(data["introduction"]) and _settings_ok(settings)):
        return False
    if not (_scale_ok(data["scale"]) and type(principles) is list):
        return False
    if not 1 <= len(principles) <= MAX_PRINCIPLES or not all(map(_principle_ok, principles)):
        return False
    names = [p["name"].lower() for p in principles]
    qids = [q["id"] for p in principles for q in p["questions"]]
    ids = [p["id"] for p in principles]
    if len(set(ids)) < len(ids) or len(set(names)) < len(names) or len(set(qids)) < len(qids):
        return False
    points = data["scale"]["points"]
    developing = settings.get("developing", scoring.DEFAULT_THRESHOLDS.developing)
    strength = settings.get("strength", scoring.DEFAULT_THRESHOLDS.strength)
    return points[0]["value"] <= developing < strength <= points[-1]["value"]


def _settings_ok(data: Any) -> bool:
    if not _keys(data, _SETTINGS, set()):
        return False
    strength = data.get("strength", scoring.DEFAULT_THRESHOLDS.strength)
    developing = data.get("developing", scoring.DEFAULT_THRESHOLDS.developing)
    min_coverage = data.get("min_coverage", scoring.DEFAULT_THRESHOLDS.min_coverage)
    disagreement = data.get("disagreement", scoring.DEFAULT_THRESHOLDS.disagreement)
    action_rows = data.get("action_rows", 5)
    return (
        _number(strength, -math.inf, math.inf)
        and _number(developing, -math.inf, math.inf)
        and _number(min_coverage, 0, 1)
        and _number(disagreement, 0, math.inf, low_open=True)
        and type(action_rows) is int
        and 1 <= action_rows <= MAX_ACTION_ROWS
        and strength > developing
    )


def _scale_ok(data: Any) -> bool:
    if not _keys(data, _SCALE, {"points", "unscored"}):
        return False
    points, unscored = data["points"], data["unscored"]
    aliases = data.get("aliases", {})
    if type(points) is not list or not MIN_POINTS <= len(points) <= MAX_POINTS:
        return False
    if type(unscored) is not list or not unscored or type(aliases) is not dict:
        return False
    for point in points:
        if not _keys(point, _POINT, _POINT) or not _text(point["label"]):
            return False
        if type(point["value"]) is not int or not 0 <= point["value"] <= MAX_POINT:
            return False
    for answer in unscored:
        if not _keys(answer, _UNSCORED, {"label"}) or not _text(answer["label"]):
            return False
        spellings = answer.get("aliases", [])
        if type(spellings) is not list or not all(map(_text, spellings)):
            return False
    for label, spellings in aliases.items():
        if type(label) is not str or not _unicode(label) or type(spellings) is not list:
            return False
        if not all(map(_text, spellings)):
            return False
    values = [p["value"] for p in points]
    if values != sorted(set(values)) or not aliases.keys() <= {p["label"] for p in points}:
        return False
    scale = engine_scale(
        [(p["value"], p["label"]) for p in points],
        [(u["label"], u.get("aliases", [])) for u in unscored],
        aliases,
    )
    choices = scale.choices
    if any("," in choice or '"' in choice for choice in choices):
        return False
    if excel.units(",".join(choices)) > excel.LIST_SOURCE:
        return False
    scale.accepted()  # raises ValueError when an answer's spelling is ambiguous
    return True


def _principle_ok(data: Any) -> bool:
    if not _keys(data, _PRINCIPLE, _PRINCIPLE):
        return False
    name, questions = data["name"], data["questions"]
    if not (_identifier(data["id"]) and _text(name) and _text(data["description"])):
        return False
    if excel.sheet_name_problem(name) or name.lower() in RESERVED_SHEETS:
        return False
    return (
        type(questions) is list
        and 1 <= len(questions) <= MAX_QUESTIONS
        and all(map(_question_ok, questions))
    )


def _question_ok(data: Any) -> bool:
    if not _keys(data, _QUESTION, {"id", "text"}):
        return False
    guidance = data.get("guidance", "")
    if not (_identifier(data["id"]) and _text(data["text"]) and type(guidance) is str):
        return False
    if guidance != guidance.strip() or not _unicode(guidance):
        return False
    if excel.units(guidance) > excel.VALIDATION_TEXT:
        return False
    return _number(data.get("weight", 1.0), 0, MAX_WEIGHT, low_open=True)


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
    from .boundary import toml

    tomllib = toml()
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
