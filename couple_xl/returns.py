"""Read one returned workbook: identity, template, answers, comments, actions.

Reading is built for speed and correctness together. python-calamine reads the
cell values (many times faster than openpyxl) but cannot see defined names or
document properties, so those come from the workbook's own XML parts, parsed by
the read boundary (which refuses any document type declaration). Answers are
found by question id: through the Q_<id> defined names, which follow their cells
when a partner inserts rows or renames sheets, and failing that through the
hidden question-id cells. Cached formula results
are never trusted: every score is recomputed by the engine.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import excel, scoring
from . import messages as say
from .actions import ACTION_ID, STATUSES, ActionView, AgreedAction, status_of
from .boundary import (
    LIMITS,
    Book,
    Limits,
    Sheet,
    cell_name,
    describe,
    guarded,
    open_book,
    read_file,
)
from .errors import (
    Finding,
    Location,
    NotAReturn,
    ReadError,
    Severity,
    TemplateError,
)
from .layout import (
    ACTION_COLUMNS,
    ACTION_FROM_ANSWER,
    ACTION_MARK,
    ANSWER_FROM_QID,
    ANSWER_HEADER,
    META_FIRST_ROW,
    META_KEY_COLUMN,
    META_SHEET,
    META_TITLE,
    META_VALUE_COLUMN,
    PLAN_JSON,
    QID_HEADER,
    RESPONDENT_DATE,
    RESPONDENT_NAME,
    RESPONDENT_ROLE,
    actions_name,
    answer_name,
    column_index,
    comment_name,
    note_name,
    result_name,
    status_name,
)
from .metadata import (
    FIELDS,
    FORMAT,
    KINDS,
    PROPERTY_PREFIX,
    RETURN,
    MetadataProblem,
    WorkbookMetadata,
)
from .templates import Assessment, Template, template_from_data

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
# What is read as a workbook when found in a folder: the files a partner may send back.
# The content, not the name, then decides what a file is (an .xls that is really an
# .xlsx is read; an empty .ods is empty); a file named on the command line is read
# whatever its name.
SPREADSHEET_SUFFIXES = XLSX_SUFFIXES | {
    ".xls", ".xlt", ".xlsb", ".xltx", ".xltm", ".ods", ".ots", ".fods", ".gnumeric",
    ".numbers", ".csv",
}  # fmt: skip
IDENTITY_KEYS = ("return_id", "partnership_id", "template_id", "template_version", "kind")
# Excel's limit on the text of one cell; longer text cannot have been typed in Excel.
MAX_CELL_TEXT = 32_767
# The title XlsxWriter gives every summary, before summaries carried couple.kind.
SUMMARY_TITLE = "COUPLE partnership summary"
FRESH_COPY = "send the partner a fresh copy of their workbook (or re-make it with `couple-xl new`)"


class CellError(str):
    """An error value a cell shows (#N/A, #DIV/0!), as opposed to text someone typed."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"the error {self!s}"


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
        return f"{self.sheet}!{self.cell}"

    @property
    def cell(self) -> str:
        return cell_name(self.row, self.col)


@functools.lru_cache(maxsize=4096)
def parse_ref(text: str) -> CellRef | None:
    """Parse a defined name's reference such as 'My sheet'!$C$5 or Summary!$B$2:$D$6."""
    m = _REF.match(text.strip())
    if not m:
        return None
    sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
    row, col = int(m.group(4)) - 1, column_index(m.group(3))
    last_row, last_col = (
        (int(m.group(6)) - 1, column_index(m.group(5))) if m.group(5) else (row, col)
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
    warnings: list[Finding] = field(default_factory=list)
    app: str = ""  # the program that last saved it, as docProps/app.xml says
    # The actions agreed after the last round, as embedded, and this return's view of each.
    agreed: list[AgreedAction] = field(default_factory=list)
    views: dict[str, ActionView] = field(default_factory=dict)

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
    def whose(self) -> str:
        """Whose return this is, in words: partnership, round, partner and respondent."""
        meta = self.meta
        text = say.WHOSE.format(
            name=meta.partnership_name, id=meta.partnership_id, round=meta.round,
            partner=meta.partner,
        )  # fmt: skip
        if self.respondent_name:
            text += say.WHOSE_RESPONDENT.format(respondent=self.respondent_name)
        return text

    @property
    def when(self) -> dt.datetime:
        """When the partner last saved it: the document's own time, else the file's."""
        return self.saved or self.file_modified

    @property
    def is_empty(self) -> bool:
        """No answers: nothing to score."""
        return not any(
            scoring.normalise_text(str(v)) for v in self.answers.values() if v is not None
        )

    @property
    def untouched(self) -> bool:
        """Nothing typed at all: the workbook as it was sent."""
        return (
            self.is_empty
            and not self.comments
            and not self.actions
            and not any(v.typed or v.comment for v in self.views.values())
            and not (self.respondent_name or self.respondent_role or self.respondent_date)
        )

    def content_key(self) -> str:
        """A fingerprint of everything the partner typed."""
        typed = {
            "answers": {k: typed_value(v) for k, v in sorted(self.answers.items())},
            "comments": dict(sorted(self.comments.items())),
            "actions": [(a.principle_id, a.action, a.owner, a.by_when) for a in self.actions],
            "respondent": [self.respondent_name, self.respondent_role],
            "progress": {k: [v.typed, v.comment] for k, v in sorted(self.views.items())},
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


class _Cells:
    """The cells of a loaded book by sheet, row and column: a blank cell as None and an
    error cell as CellError (python-calamine reads it as "")."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.names = book.sheet_names
        self.present = frozenset(book.sheet_names)
        self._sheets: dict[str, Sheet] = {}

    def sheet(self, name: str) -> Sheet:
        loaded = self._sheets.get(name)
        if loaded is None:
            loaded = self._sheets[name] = self.book.sheet(name)
        return loaded

    def rows(self, sheet: str) -> list[list[Any]]:
        return self.sheet(sheet).rows

    def value(self, sheet: str, row: int, col: int) -> Any:
        loaded = self._sheets.get(sheet) or self.sheet(sheet)
        error = loaded.errors.get((row, col)) if loaded.errors else None
        if error is not None:
            return CellError(error)
        rows = loaded.rows
        if row < len(rows):
            cells = rows[row]
            if col < len(cells):
                value = cells[col]
                return None if value == "" else value
        return None

    def formula(self, sheet: str, row: int, col: int) -> str | None:
        """The formula in a cell (without its "="), or None when it holds none."""
        return self.sheet(sheet).formula(row, col)


def _text(value: Any) -> str:
    if value is None:
        return ""
    value = typed_value(value)
    return value if isinstance(value, str) else str(value)


def _hidden_sheet(sheets: _Cells) -> tuple[str | None, dict[str, str]]:
    """The key/value table of the metadata sheet, wherever it is."""
    candidates = [META_SHEET] + [s for s in sheets.names if s != META_SHEET]
    for name in candidates:
        if name not in sheets.present:
            continue
        rows = sheets.rows(name)
        if not rows or not str(rows[0][0] if rows[0] else "").startswith(META_TITLE):
            continue
        return name, key_values(rows)
    return None, {}


def key_values(rows: list[list[Any]]) -> dict[str, str]:
    """The key/value table of a metadata sheet's rows (a return's, or a plan's)."""
    key, value = column_index(META_KEY_COLUMN), column_index(META_VALUE_COLUMN)
    table = {}
    for row in rows[META_FIRST_ROW - 1 :]:
        if len(row) > value and isinstance(row[key], str) and row[key]:
            table[row[key]] = _text(row[value] if row[value] != "" else None)
    return table


_template_cache: dict[str, Template] = {}
# Distinct templates remembered; a run has one or two, a hostile folder could have many.
_TEMPLATE_CACHE_SIZE = 32


def cached_template(payload: str, source: str) -> Template:
    """A template from its JSON text, validated once per distinct text.

    Raises json.JSONDecodeError or TemplateError."""
    if payload not in _template_cache:
        template = template_from_data(json.loads(payload), source)
        if len(_template_cache) >= _TEMPLATE_CACHE_SIZE:
            _template_cache.pop(next(iter(_template_cache)))
        _template_cache[payload] = template
    return _template_cache[payload]


def _joined(table: dict[str, str], label: str) -> str:
    """A payload embedded in chunks (label.1, label.2 …), joined; "" when there is none."""
    chunks = sorted(
        (int(k.split(".", 1)[1]), v)
        for k, v in table.items()
        if k.startswith(label + ".") and k.split(".", 1)[1].isdigit()
    )
    return "".join(v for _, v in chunks)


def _embedded_template(table: dict[str, str], path: Path, sheet: str | None) -> Template | None:
    payload = _joined(table, "template_json")
    if not payload:
        return None
    where = Location(file=path, sheet=sheet, key="template_json")
    try:
        return cached_template(payload, f"{path}: embedded template")
    except json.JSONDecodeError as err:
        raise ReadError(
            f"the embedded template is damaged ({say.WHY_JSON}): {FRESH_COPY}",
            where,
            detail=describe(err),
        ) from None
    except TemplateError as err:
        raise ReadError(
            f"the embedded template is not valid ({err.problems[0].message}): {FRESH_COPY}",
            where,
        ) from None


def _embedded_plan(table: dict[str, str], where: Location) -> list[AgreedAction] | str:
    """The agreed actions embedded by new --plan (none when there were none), or why
    they cannot be read."""
    payload = _joined(table, PLAN_JSON)
    if not payload:
        return []
    try:
        data = json.loads(payload)
        actions = [AgreedAction.from_dict(item) for item in data]
    except (ValueError, TypeError, AttributeError):
        return "the embedded agreed actions are damaged (edited, or cut short)"
    bad = [a.id for a in actions if not ACTION_ID.match(a.id)]
    if bad:
        return f"the embedded agreed actions carry an id that is not one ({bad[0][:40]!r})"
    return actions


def _metadata(
    props: dict[str, str],
    table: dict[str, str],
    where: Location,
    warnings: list[Finding],
) -> WorkbookMetadata:
    fields = set(FIELDS)
    from_props = {k: ("" if v == "-" else v) for k, v in props.items() if k in fields}
    from_sheet = {k: v for k, v in table.items() if k in fields}
    if not from_props and not from_sheet:
        raise ReadError(
            "not a couple_xl return: it has no couple_xl metadata (neither the document "
            "properties nor the hidden _couple sheet); if it is not a return, move it out "
            "of the returns folder",
            Location(file=where.file),
        )
    for key in sorted(set(from_props) & set(from_sheet)):
        a, b = from_props[key], from_sheet[key]
        if a == b:
            continue
        if b.startswith(a) and a == excel.cut(b, excel.CUSTOM_PROPERTY):
            # Excel keeps 255 units of a property: the sheet holds the whole value.
            from_props[key] = b
            continue
        if key in IDENTITY_KEYS:
            raise ReadError(
                f"its two copies of the metadata disagree on {key} ('{a}' in the document "
                f"properties, '{b}' on the hidden sheet): it may have been edited or pieced "
                f"together from two workbooks: {FRESH_COPY}",
                where,
            )
        warnings.append(
            Finding(
                f"metadata {key} differs: '{a}' in the document properties, '{b}' on the "
                "hidden sheet; the document properties are used",
                where,
            )
        )
    if not from_props:
        warnings.append(
            Finding(
                "document properties missing (re-saved by another app?); the hidden sheet was used",
                where,
                Severity.NOTE,
            )
        )
    elif not from_sheet:
        warnings.append(
            Finding(
                "hidden metadata sheet missing; the document properties were used",
                Location(file=where.file),
                Severity.NOTE,
            )
        )
    merged = {**from_sheet, **from_props}
    merged = {k: (None if v == "" and k == "due_date" else v) for k, v in merged.items()}
    try:
        return WorkbookMetadata.validate(merged)
    except MetadataProblem as err:
        key, message = err.key, err.message
        shown = str(merged.get(key, ""))[:60]
        raise ReadError(
            f"its couple_xl metadata has a value couple_xl never writes ({key} '{shown}': "
            f"{message}): it may have been tampered with: {FRESH_COPY}",
            Location(file=where.file, sheet=where.sheet, key=key),
            detail=err.detail,
        ) from None


def _kind(props: dict[str, str], table: dict[str, str], title: str, where: Location) -> None:
    """Skip couple_xl workbooks that are not returns (a summary, a plan)."""
    kind = props.get("kind") or table.get("kind") or ""
    if not kind and not props and not table and title == SUMMARY_TITLE:
        kind = "summary"
    if kind and kind != RETURN:
        if kind not in KINDS:
            raise ReadError(
                f"it says it is a couple_xl '{kind[:40]}', which couple_xl never writes: "
                + FRESH_COPY,
                where,
            )
        raise NotAReturn(f"a couple_xl {kind}, not a return", where)
    fmt = props.get("format") or table.get("format")
    if fmt and fmt != FORMAT and fmt.startswith("couple_xl/"):
        raise ReadError(
            f"it was made by a newer couple_xl ({fmt}): upgrade couple_xl to read it", where
        )


class _Finder:
    """Finds cells by defined name, or by the hidden question-id cells."""

    def __init__(self, sheets: _Cells, names: dict[str, str], template: Template) -> None:
        self.sheets = sheets
        self.names = names
        self.qids = {q.id for _, q in template.questions}
        self._index: dict[str, tuple[str, int, int]] | None = None
        self._answer_col: dict[str, int] = {}

    def named(self, name: str) -> CellRef | None:
        text = self.names.get(name)
        ref = parse_ref(text) if text else None
        if ref is None or ref.sheet not in self.sheets.present:
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
                    elif value == QID_HEADER:
                        for c2, header in enumerate(row):
                            if header == ANSWER_HEADER:
                                self._answer_col[sheet] = c2
        return index

    def by_hidden_id(self, key: str) -> tuple[str, int, int] | None:
        if self._index is None:
            self._index = self._build_index()
        return self._index.get(key)

    def answer_column(self, sheet: str, qid_col: int) -> int:
        if self._index is None:
            self._index = self._build_index()
        return self._answer_col.get(sheet, qid_col - ANSWER_FROM_QID)


def read_return(
    path: str | Path,
    template_override: Template | None = None,
    *,
    data: bytes | None = None,
    modified: dt.datetime | None = None,
    limits: Limits = LIMITS,
) -> ReturnRecord:
    """Read one returned workbook through the read boundary.

    ``data`` and ``modified`` give a workbook already in memory (an email attachment);
    otherwise the file at ``path`` is read. Raises ReadError (rejected) or NotAReturn
    (skipped), each located; no other exception escapes.
    """
    path = Path(path)
    where = Location(file=path)
    if data is None:
        data = read_file(path, limits.file_bytes, "the workbook")
        with guarded(where, "the file"):
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
    with guarded(where, "the workbook"):
        book = open_book(data, where, limits=limits, suffix=path.suffix)
        return _Reader(path, book, template_override).read(
            hashlib.sha256(data).hexdigest(), modified or dt.datetime.now(dt.timezone.utc)
        )


class _Reader:
    """The steps of reading one checked, loaded workbook into a ReturnRecord."""

    def __init__(self, path: Path, book: Book, override: Template | None) -> None:
        self.path = path
        self.book = book
        self.override = override
        self.warnings: list[Finding] = []
        self.app = ""

    def at(self, ref: CellRef | None = None, key: str | None = None) -> Location:
        if ref is None:
            return Location(file=self.path, key=key)
        return Location(file=self.path, sheet=ref.sheet, cell=ref.cell, key=key)

    def warn(self, message: str, location: Location, severity: Severity = Severity.WARNING):
        self.warnings.append(Finding(message, location, severity))

    def read(self, sha256: str, modified: dt.datetime) -> ReturnRecord:
        book, path = self.book, self.path
        document = book.document
        props = {
            name.removeprefix(PROPERTY_PREFIX): text
            for name, text in document.custom.items()
            if name.startswith(PROPERTY_PREFIX)
        }
        self.app = document.application
        saved, title = document.saved, document.title
        sheets = _Cells(book)
        macros = book.macro_sheets
        if macros:
            names_said = ", ".join(f"'{name}'" for name in macros)
            self.warn(say.MACRO_SHEET.format(count=len(macros), names=names_said), self.at())
        meta_sheet, table = _hidden_sheet(sheets)
        _kind(props, table, title, Location(file=path))
        meta = _metadata(props, table, Location(file=path, sheet=meta_sheet), self.warnings)
        template = self._template(table, meta, meta_sheet)

        finder = _Finder(sheets, book.names, template)
        answers, comments, cells = self._answers(template, finder, sheets)

        def named_text(name: str) -> str:
            ref = finder.named(name)
            return "" if ref is None else _text(sheets.value(ref.sheet, ref.row, ref.col))

        actions = _actions(template, finder, sheets)
        agreed = _embedded_plan(table, Location(file=path, sheet=meta_sheet, key=PLAN_JSON))
        if isinstance(agreed, str):
            self.warn(f"{agreed}: the progress of agreed actions is not counted", self.at())
            agreed = []
        views = self._views(agreed, finder, sheets, meta.partner)
        assessment = template.score(answers)
        self._check_scores(assessment, finder, sheets, cells)
        for action in actions:
            for text in (action.action, action.owner, action.by_when):
                if len(text) > MAX_CELL_TEXT:
                    self._too_long(text, Location(file=path, key=action.cell))
        return ReturnRecord(
            path=path,
            sha256=sha256,
            file_modified=modified,
            saved=saved,
            meta=meta,
            template=template,
            respondent_name=named_text(RESPONDENT_NAME).strip(),
            respondent_role=named_text(RESPONDENT_ROLE).strip(),
            respondent_date=named_text(RESPONDENT_DATE).strip(),
            answers=answers,
            comments=comments,
            cells=cells,
            actions=actions,
            assessment=assessment,
            warnings=self.warnings,
            app=self.app,
            agreed=agreed,
            views=views,
        )

    def _views(
        self, agreed: list[AgreedAction], finder: _Finder, sheets: _Cells, partner: str
    ) -> dict[str, ActionView]:
        """This return's view of each agreed action. Text that is not a listed status is
        kept as typed, with a warning, and counts as no view."""
        views = {}
        for action in agreed:
            status_ref = finder.named(status_name(action.id))
            note_ref = finder.named(note_name(action.id))
            if status_ref is None:
                self.warn(
                    f"the progress cell of agreed action {action.id} was not found: no view "
                    "of it is counted",
                    self.at(key=action.id),
                )
                continue
            value = sheets.value(status_ref.sheet, status_ref.row, status_ref.col)
            typed = "" if isinstance(value, CellError) else _text(value).strip()
            comment = ""
            if note_ref is not None:
                comment = _text(sheets.value(note_ref.sheet, note_ref.row, note_ref.col))
            status = status_of(typed)
            if (typed and status is None) or isinstance(value, CellError):
                self.warn(
                    f"the progress of agreed action {action.id} is {str(value)[:60]!r}, not one "
                    f"of {', '.join(STATUSES)}: kept as typed, and counted as no view",
                    self.at(status_ref),
                )
            views[action.id] = ActionView(partner, status, typed, comment.strip())
        return views

    def _template(
        self, table: dict[str, str], meta: WorkbookMetadata, meta_sheet: str | None
    ) -> Template:
        embedded = _embedded_template(table, self.path, meta_sheet)
        where = Location(file=self.path, sheet=meta_sheet)
        if self.override is not None:
            template = self.override
            if embedded is not None and embedded.fingerprint != template.fingerprint:
                self.warn(
                    f"scored with the template given ({template.id} {template.version}), not "
                    f"the one embedded ({embedded.id} {embedded.version})",
                    where,
                )
            return template
        if embedded is None:
            raise ReadError(
                "the embedded template is missing: score it with --template ID|PATH", where
            )
        if embedded.fingerprint != meta.template_sha256:
            self.warn(
                "the embedded template differs from the one the workbook was made with", where
            )
        return embedded

    def _answers(
        self, template: Template, finder: _Finder, sheets: _Cells
    ) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
        answers: dict[str, Any] = {}
        comments: dict[str, str] = {}
        cells: dict[str, str] = {}
        for principle, q in template.questions:
            ref = finder.named(answer_name(q.id))
            comment_ref = finder.named(comment_name(q.id))
            if ref is None:
                hit = finder.by_hidden_id(q.id)
                if hit is None:
                    self.warn(
                        f"question {q.id} ({principle.name}) not found: counted as unanswered",
                        Location(file=self.path, key=q.id),
                    )
                    answers[q.id] = None
                    continue
                sheet, row, qid_col = hit
                col = finder.answer_column(sheet, qid_col)
                ref = CellRef(sheet, row, col, row, col)
                comment_ref = CellRef(sheet, row, col + 1, row, col + 1)
                self.warn(
                    f"question {q.id} found by its hidden id, not by its name",
                    self.at(ref),
                    Severity.NOTE,
                )
            answers[q.id] = self._answer(q.id, ref, sheets)
            cells[q.id] = str(ref)
            if comment_ref is None:
                comment_ref = CellRef(ref.sheet, ref.row, ref.col + 1, ref.row, ref.col + 1)
            comment = _text(sheets.value(comment_ref.sheet, comment_ref.row, comment_ref.col))
            if comment.strip():
                comments[q.id] = comment
                if len(comment) > MAX_CELL_TEXT:
                    self._too_long(comment, self.at(comment_ref))
        return answers, comments, cells

    def _answer(self, qid: str, ref: CellRef, sheets: _Cells) -> Any:
        """The value an answer cell shows. A formula's saved result counts, with a
        warning; an error value is kept as a CellError (an invalid answer)."""
        value = sheets.value(ref.sheet, ref.row, ref.col)
        formula = sheets.formula(ref.sheet, ref.row, ref.col)
        if formula is not None and not isinstance(value, CellError):
            if value is None:
                self.warn(
                    f"the answer to {qid} is a formula (={formula[:60]}) with no saved result: "
                    "counted as unanswered; ask the partner to choose an answer from the list",
                    self.at(ref),
                )
            else:
                self.warn(
                    f"the answer to {qid} is a formula (={formula[:60]}), not a choice from "
                    f"the list: its result {typed_value(value)!r} is used",
                    self.at(ref),
                )
        if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
            self._too_long(value, self.at(ref))
        return value

    def _too_long(self, text: str, where: Location) -> None:
        """Warn that text is longer than a spreadsheet cell holds, if it is."""
        if len(text) > MAX_CELL_TEXT:
            self.warn(
                f"the text is {len(text):,} characters long, more than a spreadsheet cell "
                f"holds ({MAX_CELL_TEXT:,}): the summary workbook shows the first "
                f"{MAX_CELL_TEXT:,}; the JSON export keeps it all",
                where,
            )

    def _check_scores(
        self,
        assessment: Assessment,
        finder: _Finder,
        sheets: _Cells,
        cells: dict[str, str],
    ) -> None:
        unseen: list[tuple[CellRef, CellError]] = []  # scores the partner's app could not show
        for pid, result in assessment.principles.items():
            for bad in result.invalid:
                ref = parse_ref(cells[bad.question_id]) if bad.question_id in cells else None
                where = self.at(ref, None if ref else bad.question_id)
                if isinstance(bad.raw, CellError):
                    self.warn(
                        f"the answer to {bad.question_id} shows the error {bad.raw} (a formula "
                        "that fails, or an error typed): not counted; ask the partner to "
                        "choose an answer from the list",
                        where,
                    )
                else:
                    self.warn(
                        f"answer {typed_value(bad.raw)!r} to {bad.question_id} is not on the "
                        "scale: not counted; ask the partner to choose an answer from the list",
                        where,
                    )
            ref = finder.named(result_name("SCORE", pid))
            cached = sheets.value(ref.sheet, ref.row, ref.col) if ref else None
            if isinstance(cached, CellError) and not result.has_error:
                unseen.append((ref, cached))
            if (
                isinstance(cached, float)
                and result.score is not None
                and not result.has_error
                and abs(cached - result.score) > 1e-6
            ):
                self.warn(
                    f"the workbook shows {cached:.2f} for {pid} but its answers score "
                    f"{result.score:.2f}: its formulas may have been edited; the recomputed "
                    "score is used",
                    self.at(ref),
                )
        if unseen:
            ref, error = unseen[0]
            app = f" ({self.app})" if self.app else ""
            self.warn(
                f"the partner's spreadsheet app{app} could not compute this workbook's scores: "
                f"it showed {error} for {len(unseen)} of {len(assessment.principles)} "
                "principles, so the partner saw no score there. Their answers are fine and "
                "were scored here",
                self.at(ref),
            )


def _actions(template: Template, finder: _Finder, sheets: _Cells) -> list[Action]:
    actions = []
    for principle in template.principles:
        ref = finder.named(actions_name(principle.id))
        blocks: list[tuple[str, int, int]] = []
        if ref is not None:
            blocks = [(ref.sheet, r, ref.col) for r in range(ref.row, ref.last_row + 1)]
        else:
            n = 1
            while (hit := finder.by_hidden_id(f"{ACTION_MARK}:{principle.id}:{n}")) is not None:
                sheet, row, qid_col = hit
                blocks.append(
                    (sheet, row, finder.answer_column(sheet, qid_col) + ACTION_FROM_ANSWER)
                )
                n += 1
        for sheet, row, col in blocks:
            action, owner, when = (
                _text(sheets.value(sheet, row, col + i)) for i in range(len(ACTION_COLUMNS))
            )
            if action.strip() or owner.strip() or when.strip():
                cell = str(CellRef(sheet, row, col, row, col))
                actions.append(Action(principle.id, action, owner, when, cell))
    return actions
