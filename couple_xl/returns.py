"""Read one returned workbook: identity, template, answers, comments, actions.

Reading is built for speed and correctness together. python-calamine reads the
cell values (many times faster than openpyxl) but cannot see defined names or
document properties, so those come from the workbook's own XML parts, parsed
with defusedxml. Answers are found by question id: through the Q_<id> defined
names, which follow their cells when a partner inserts rows or renames sheets,
and failing that through the hidden question-id cells. Cached formula results
are never trusted: every score is recomputed by the engine.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import scoring
from .errors import Location, ReadError, TemplateError
from .layout import ACTION_MARK, META_SHEET
from .metadata import PROPERTY_PREFIX, WorkbookMetadata
from .templates import Assessment, Template, template_from_data

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
OTHER_SPREADSHEETS = {
    ".xls": "an old-style Excel file (.xls)",
    ".xlsb": "a binary Excel file (.xlsb)",
    ".ods": "an OpenDocument spreadsheet (.ods)",
    ".numbers": "an Apple Numbers file",
    ".csv": "a CSV file",
}
IDENTITY_KEYS = ("return_id", "partnership_id", "template_id", "template_version")

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_NS_DCTERMS = "{http://purl.org/dc/terms/}"
_REF = re.compile(
    r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$"
)


@dataclass(frozen=True)
class CellRef:
    """A cell or block of cells, 0-based, on a named sheet."""

    sheet: str
    row: int
    col: int
    last_row: int
    last_col: int

    def __str__(self) -> str:
        from xlsxwriter.utility import xl_rowcol_to_cell

        return f"{self.sheet}!{xl_rowcol_to_cell(self.row, self.col)}"


@functools.lru_cache(maxsize=4096)
def parse_ref(text: str) -> CellRef | None:
    """Parse a defined name's reference such as 'My sheet'!$C$5 or Summary!$B$2:$D$6."""
    from xlsxwriter.utility import xl_cell_to_rowcol

    m = _REF.match(text.strip())
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
    row, col = xl_cell_to_rowcol(f"{m.group(3)}{m.group(4)}")
    last_row, last_col = (
        xl_cell_to_rowcol(f"{m.group(5)}{m.group(6)}") if m.group(5) else (row, col)
    )
    return CellRef(sheet, row, col, last_row, last_col)


@dataclass(frozen=True)
class Action:
    """A suggested action typed into a principle's action table."""

    principle_id: str
    action: str
    owner: str
    by_when: str
    cell: str


@dataclass
class ReturnRecord:
    """Everything read from one returned workbook."""

    path: Path
    sha256: str
    file_modified: dt.datetime
    saved: dt.datetime | None
    meta: WorkbookMetadata
    template: Template
    respondent_name: str
    respondent_role: str
    respondent_date: str
    answers: dict[str, Any]
    comments: dict[str, str]
    cells: dict[str, str]
    actions: list[Action]
    assessment: Assessment
    warnings: list[str] = field(default_factory=list)

    def __getstate__(self) -> dict:
        # Sent between processes without the template object: its JSON text is enough,
        # and each distinct template is then validated once, not once per return.
        state = self.__dict__.copy()
        state["template"] = self.template.to_json()
        return state

    def __setstate__(self, state: dict) -> None:
        state["template"] = cached_template(state["template"], "embedded template")
        self.__dict__.update(state)

    @property
    def when(self) -> dt.datetime:
        """When the partner last saved it: the document's own time, else the file's."""
        return self.saved or self.file_modified

    @property
    def is_empty(self) -> bool:
        return not any(
            scoring.normalise_text(str(v)) for v in self.answers.values() if v is not None
        )

    def content_key(self) -> str:
        """A fingerprint of everything the partner typed."""
        typed = {
            "answers": {k: typed_value(v) for k, v in sorted(self.answers.items())},
            "comments": dict(sorted(self.comments.items())),
            "actions": [(a.principle_id, a.action, a.owner, a.by_when) for a in self.actions],
            "respondent": [self.respondent_name, self.respondent_role],
        }
        return hashlib.sha256(json.dumps(typed, sort_keys=True).encode()).hexdigest()


def typed_value(value: Any) -> Any:
    """A typed value for JSON: whole numbers as ints, dates as ISO text, text as typed."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


class _Sheets:
    """Cell values of every sheet, read once with python-calamine."""

    def __init__(self, data: bytes, path: Path) -> None:
        from python_calamine import CalamineWorkbook

        try:
            self.book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as err:
            raise ReadError(f"cannot read the workbook: {err}", Location(file=path)) from None
        self.names = list(self.book.sheet_names)
        self._rows: dict[str, list[list[Any]]] = {}

    def rows(self, sheet: str) -> list[list[Any]]:
        if sheet not in self._rows:
            # With skip_empty_area=False the rows start at A1, whatever the sheet's extent.
            ws = self.book.get_sheet_by_name(sheet)
            self._rows[sheet] = ws.to_python(skip_empty_area=False)
        return self._rows[sheet]

    def value(self, sheet: str, row: int, col: int) -> Any:
        rows = self.rows(sheet)
        if row >= len(rows) or col >= len(rows[row]):
            return None
        value = rows[row][col]
        return None if value == "" else value


def _xml(parts: zipfile.ZipFile, name: str):
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(parts.read(name))
    except KeyError:
        return None


def _workbook_names(parts: zipfile.ZipFile, path: Path) -> dict[str, str]:
    root = _xml(parts, "xl/workbook.xml")
    if root is None:
        raise ReadError("not a spreadsheet: it has no workbook part", Location(file=path))
    names = {}
    for dn in root.iter(f"{_NS_MAIN}definedName"):
        # Only workbook-scoped names belong to the contract.
        if dn.get("localSheetId") is None and dn.text:
            names[dn.get("name")] = dn.text
    return names


def _custom_properties(parts: zipfile.ZipFile) -> dict[str, str]:
    root = _xml(parts, "docProps/custom.xml")
    if root is None:
        return {}
    props = {}
    for prop in root.iter(f"{_NS_CUSTOM}property"):
        name = prop.get("name", "")
        if name.startswith(PROPERTY_PREFIX) and len(prop):
            props[name.removeprefix(PROPERTY_PREFIX)] = prop[0].text or ""
    return props


def _saved_time(parts: zipfile.ZipFile) -> dt.datetime | None:
    root = _xml(parts, "docProps/core.xml")
    if root is None:
        return None
    node = root.find(f"{_NS_DCTERMS}modified")
    if node is None or not node.text:
        return None
    try:
        value = dt.datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _text(value: Any) -> str:
    if value is None:
        return ""
    value = typed_value(value)
    return value if isinstance(value, str) else str(value)


def _hidden_sheet(sheets: _Sheets) -> tuple[str | None, dict[str, str]]:
    """The key/value table of the metadata sheet, wherever it is."""
    candidates = [META_SHEET] + [s for s in sheets.names if s != META_SHEET]
    for name in candidates:
        if name not in sheets.names:
            continue
        rows = sheets.rows(name)
        if not rows or not str(rows[0][0] if rows[0] else "").startswith("couple_xl metadata"):
            continue
        table = {}
        for row in rows[2:]:
            if len(row) >= 2 and isinstance(row[0], str) and row[0]:
                table[row[0]] = _text(row[1] if row[1] != "" else None)
        return name, table
    return None, {}


_template_cache: dict[str, Template] = {}


def cached_template(payload: str, source: str) -> Template:
    """A template from its JSON text, validated once per distinct text.

    Raises json.JSONDecodeError or TemplateError."""
    if payload not in _template_cache:
        _template_cache[payload] = template_from_data(json.loads(payload), source)
    return _template_cache[payload]


def _embedded_template(table: dict[str, str], path: Path, sheet: str | None) -> Template | None:
    chunks = sorted(
        (int(k.split(".", 1)[1]), v)
        for k, v in table.items()
        if k.startswith("template_json.") and k.split(".", 1)[1].isdigit()
    )
    if not chunks:
        return None
    payload = "".join(v for _, v in chunks)
    if payload not in _template_cache:
        where = Location(file=path, sheet=sheet, key="template_json")
        try:
            data = json.loads(payload)
        except json.JSONDecodeError as err:
            raise ReadError(f"the embedded template is damaged: {err}", where) from None
        try:
            _template_cache[payload] = template_from_data(data, f"{path}: embedded template")
        except TemplateError as err:
            raise ReadError(
                f"the embedded template is not valid: {err.problems[0].message}", where
            ) from None
    return _template_cache[payload]


def _metadata(
    props: dict[str, str], table: dict[str, str], path: Path, sheet: str | None, warnings: list[str]
) -> WorkbookMetadata:
    fields = set(WorkbookMetadata.model_fields)
    from_props = {k: ("" if v == "-" else v) for k, v in props.items() if k in fields}
    from_sheet = {k: v for k, v in table.items() if k in fields}
    if not from_props and not from_sheet:
        raise ReadError(
            "not a couple_xl return: it has no couple_xl metadata (neither the document "
            "properties nor the hidden _couple sheet)",
            Location(file=path),
        )
    for key in sorted(set(from_props) & set(from_sheet)):
        a, b = from_props[key], from_sheet[key]
        if a == b:
            continue
        if key in IDENTITY_KEYS:
            raise ReadError(
                f"its two copies of the metadata disagree on {key} ('{a}' in the document "
                f"properties, '{b}' on the hidden sheet): it may have been edited or pieced "
                "together from two workbooks",
                Location(file=path, sheet=sheet),
            )
        warnings.append(
            f"metadata {key} differs: '{a}' in the document properties, '{b}' on the hidden "
            "sheet; using the document properties"
        )
    if not from_props:
        warnings.append(
            "document properties missing (re-saved by another app?); used the hidden sheet"
        )
    elif not from_sheet:
        warnings.append("hidden metadata sheet missing; used the document properties")
    merged = {**from_sheet, **from_props}
    merged = {k: (None if v == "" and k == "due_date" else v) for k, v in merged.items()}
    try:
        return WorkbookMetadata.model_validate(merged)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"])
        raise ReadError(
            f"the couple_xl metadata is damaged: {key}: {first['msg']}",
            Location(file=path, sheet=sheet),
        ) from None


class _Finder:
    """Finds cells by defined name, or by the hidden question-id cells."""

    def __init__(self, sheets: _Sheets, names: dict[str, str], template: Template) -> None:
        self.sheets = sheets
        self.names = names
        self.qids = {q.id for _, q in template.questions}
        self._index: dict[str, tuple[str, int, int]] | None = None
        self._answer_col: dict[str, int] = {}

    def named(self, name: str) -> CellRef | None:
        text = self.names.get(name)
        ref = parse_ref(text) if text else None
        if ref is None or ref.sheet not in self.sheets.names:
            return None
        return ref

    def _build_index(self) -> dict[str, tuple[str, int, int]]:
        index: dict[str, tuple[str, int, int]] = {}
        for sheet in self.sheets.names:
            for r, row in enumerate(self.sheets.rows(sheet)):
                for c, value in enumerate(row):
                    if isinstance(value, str) and (
                        value in self.qids or value.startswith(ACTION_MARK + ":")
                    ):
                        index.setdefault(value, (sheet, r, c))
                    elif value == "question_id":
                        for c2, header in enumerate(row):
                            if header == "Your answer":
                                self._answer_col[sheet] = c2
        return index

    def by_hidden_id(self, key: str) -> tuple[str, int, int] | None:
        if self._index is None:
            self._index = self._build_index()
        return self._index.get(key)

    def answer_column(self, sheet: str, qid_col: int) -> int:
        if self._index is None:
            self._index = self._build_index()
        return self._answer_col.get(sheet, qid_col - 2)


def read_return(path: str | Path, template_override: Template | None = None) -> ReturnRecord:
    """Read one returned workbook. Raises ReadError when it cannot be used at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in OTHER_SPREADSHEETS:
        raise ReadError(
            f"this is {OTHER_SPREADSHEETS[suffix]}: open it and save it as an Excel "
            "workbook (.xlsx), then try again",
            Location(file=path),
        )
    if suffix not in XLSX_SUFFIXES:
        raise ReadError("not a spreadsheet (.xlsx or .xlsm)", Location(file=path))
    try:
        data = path.read_bytes()
        stat = path.stat()
    except OSError as err:
        raise ReadError(f"cannot read the file: {err.strerror}", Location(file=path)) from None
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ReadError(
            "the file is password-protected or an old Excel format: remove the password "
            "(or save as .xlsx) and send it again",
            Location(file=path),
        )
    try:
        parts = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ReadError(
            "the file is damaged or not really an .xlsx workbook", Location(file=path)
        ) from None

    warnings: list[str] = []
    with parts:
        names = _workbook_names(parts, path)
        props = _custom_properties(parts)
        saved = _saved_time(parts)
    sheets = _Sheets(data, path)
    meta_sheet, table = _hidden_sheet(sheets)
    meta = _metadata(props, table, path, meta_sheet, warnings)

    embedded = _embedded_template(table, path, meta_sheet)
    if template_override is not None:
        template = template_override
        if embedded is not None and embedded.fingerprint != template.fingerprint:
            warnings.append(
                f"scored with the template given ({template.id} {template.version}), not the "
                f"one embedded ({embedded.id} {embedded.version})"
            )
    elif embedded is None:
        raise ReadError(
            "the embedded template is missing: score it with --template ID|PATH",
            Location(file=path, sheet=meta_sheet),
        )
    else:
        template = embedded
        if template.fingerprint != meta.template_sha256:
            warnings.append("the embedded template differs from the one the workbook was made with")

    finder = _Finder(sheets, names, template)
    answers: dict[str, Any] = {}
    comments: dict[str, str] = {}
    cells: dict[str, str] = {}
    for principle, q in template.questions:
        ref = finder.named(f"Q_{q.id}")
        comment_ref = finder.named(f"N_{q.id}")
        if ref is None:
            hit = finder.by_hidden_id(q.id)
            if hit is None:
                warnings.append(
                    f"question {q.id} ({principle.name}) not found: counted as unanswered"
                )
                answers[q.id] = None
                continue
            sheet, row, qid_col = hit
            col = finder.answer_column(sheet, qid_col)
            ref = CellRef(sheet, row, col, row, col)
            comment_ref = CellRef(sheet, row, col + 1, row, col + 1)
            warnings.append(f"question {q.id} found by its hidden id at {ref}, not by name")
        answers[q.id] = sheets.value(ref.sheet, ref.row, ref.col)
        cells[q.id] = str(ref)
        if comment_ref is None:
            comment_ref = CellRef(ref.sheet, ref.row, ref.col + 1, ref.row, ref.col + 1)
        comment = _text(sheets.value(comment_ref.sheet, comment_ref.row, comment_ref.col))
        if comment.strip():
            comments[q.id] = comment

    def named_text(name: str) -> str:
        ref = finder.named(name)
        return "" if ref is None else _text(sheets.value(ref.sheet, ref.row, ref.col))

    actions = _actions(template, finder, sheets)
    assessment = template.score(answers)
    for pid, result in assessment.principles.items():
        for bad in result.invalid:
            where = cells.get(bad.question_id, bad.question_id)
            warnings.append(
                f"{where}: answer {typed_value(bad.raw)!r} to {bad.question_id} "
                "is not on the scale: not counted"
            )
        ref = finder.named(f"SCORE_{pid}")
        cached = sheets.value(ref.sheet, ref.row, ref.col) if ref else None
        if (
            isinstance(cached, float)
            and result.score is not None
            and not result.has_error
            and abs(cached - result.score) > 1e-6
        ):
            warnings.append(
                f"{ref}: the workbook shows {cached:.2f} for {pid} but its answers score "
                f"{result.score:.2f}: its formulas may have been edited; "
                "the recomputed score is used"
            )

    return ReturnRecord(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        file_modified=dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc),
        saved=saved,
        meta=meta,
        template=template,
        respondent_name=named_text("RESPONDENT_NAME").strip(),
        respondent_role=named_text("RESPONDENT_ROLE").strip(),
        respondent_date=named_text("RESPONDENT_DATE").strip(),
        answers=answers,
        comments=comments,
        cells=cells,
        actions=actions,
        assessment=assessment,
        warnings=warnings,
    )


def _actions(template: Template, finder: _Finder, sheets: _Sheets) -> list[Action]:
    actions = []
    for principle in template.principles:
        ref = finder.named(f"ACTIONS_{principle.id}")
        blocks: list[tuple[str, int, int]] = []
        if ref is not None:
            blocks = [(ref.sheet, r, ref.col) for r in range(ref.row, ref.last_row + 1)]
        else:
            n = 1
            while (hit := finder.by_hidden_id(f"{ACTION_MARK}:{principle.id}:{n}")) is not None:
                sheet, row, qid_col = hit
                blocks.append((sheet, row, finder.answer_column(sheet, qid_col) - 1))
                n += 1
        for sheet, row, col in blocks:
            action, owner, when = (_text(sheets.value(sheet, row, col + i)) for i in range(3))
            if action.strip() or owner.strip() or when.strip():
                cell = str(CellRef(sheet, row, col, row, col))
                actions.append(Action(principle.id, action, owner, when, cell))
    return actions
