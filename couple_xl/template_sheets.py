"""Templates to and from Excel, for coordinators who would rather edit questions in a
spreadsheet than in TOML.

The exported workbook has three sheets, each a table with a header row:
  questions   principle, id, statement, guidance, weight (one row per statement)
  principles  id, name, description
  template    setting, value, text, meaning (id, version, title, introduction, the band
              settings, then the scale: a row per point, per unscored answer and per alias)
Only the questions sheet is needed to import: without the principles sheet the six
built-in COUPLE principles apply; without the template sheet the standard scale and
settings do. Every problem is located by sheet, row and column. An export followed by
an import gives the same template, fingerprint and all.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CoupleError, Location, TemplateError
from .files import atomic_target, make_folder, refuse_overwrite
from .inputs import cell_text
from .layout import column_letters, title_names
from .metadata import FORMAT, PROPERTY_PREFIX, QUESTIONS
from .templates import Template, resolve_template, template_from_data

QUESTION_COLUMNS = ("principle", "id", "statement", "guidance", "weight")
PRINCIPLE_COLUMNS = ("id", "name", "description")
TEMPLATE_COLUMNS = ("setting", "value", "text", "meaning")
REQUIRED = {"questions": ("principle", "id", "statement"), "principles": PRINCIPLE_COLUMNS,
            "template": ("setting", "value")}  # fmt: skip
STANDARD = "couple"  # the template whose principles, scale and settings are the default
SETTINGS = ("strength", "developing", "min_coverage", "disagreement", "action_rows")
MEANINGS = {
    "id": "the template's id: lower-case letters, digits and _",
    "version": "change it whenever the questions change (1.0.0, 1.1.0 …)",
    "title": "the workbook's title",
    "introduction": "the paragraph on the Start sheet",
    "strength": "band 'Strength' from this score up",
    "developing": "band 'Developing' from this score up (below it: 'Concern')",
    "min_coverage": "a score is provisional below this share of statements answered",
    "disagreement": "partners disagree when their scores differ by this much or more",
    "action_rows": "rows for suggested actions on each principle's sheet",
    "point": "an answer on the scale: value, then its words",
    "alias": "another spelling accepted for the answer named in value",
    "unscored": "an answer that is recorded but never scored",
    "unscored alias": "another spelling of the unscored answer named in value",
}
INSTRUCTION = "open it in your spreadsheet app and save it again as .xlsx"


# --- the two commands --------------------------------------------------------------


def export_questions(ref: str | Path, path: Path, force: bool = False) -> Template:
    """`templates export`: the template (built-in id or file) as a questions workbook."""
    template = resolve_template(ref)
    _refuse_existing(path, force)
    export_template(template, path)
    return template


def import_questions(path: Path, output: Path, force: bool = False) -> Template:
    """`templates import`: a questions workbook as a template file (TOML)."""
    template = import_template(path)
    _refuse_existing(output, force)
    write_template_toml(template, output)
    return template


def _refuse_existing(path: Path, force: bool) -> None:
    refuse_overwrite(path, force)
    make_folder(path.parent)


# --- export ----------------------------------------------------------------------


def export_template(template: Template, path: Path) -> Path:
    """Write ``template`` as a questions workbook (atomically)."""
    import xlsxwriter

    with atomic_target(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        wb.set_properties({"title": f"{template.title}: questions", "author": "couple_xl"})
        wb.set_custom_property(PROPERTY_PREFIX + "format", FORMAT)
        wb.set_custom_property(PROPERTY_PREFIX + "kind", QUESTIONS)
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        questions = [[p.id, q.id, q.text, q.guidance, q.weight] for p, q in template.questions]
        _table(wb, "questions", QUESTION_COLUMNS, questions, [14, 26, 70, 50, 8], wrap, 2)
        principles = [[p.id, p.name, p.description] for p in template.principles]
        _table(wb, "principles", PRINCIPLE_COLUMNS, principles, [14, 20, 90], wrap, 1)
        settings = _settings_rows(template)
        _table(wb, "template", TEMPLATE_COLUMNS, settings, [16, 30, 60, 50], wrap, 0)
        wb.close()
    return path


def _table(
    wb, name: str, columns, rows: list[list], widths: list[int], wrap, row_titles: int
) -> None:
    """A sheet holding one table: a header row, then ``rows``; its headings named for
    screen readers (layout.title_names), each row told by its column ``row_titles``."""
    ws = wb.add_worksheet(name)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width, wrap)
    ws.write_row(0, 0, columns, wb.add_format({"bold": True, "bg_color": "#DDEBF7"}))
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    ws.freeze_panes(1, 0)
    last = max(len(rows), 1)
    ws.autofilter(0, 0, last, len(columns) - 1)
    for title, cell in title_names(name, 0, 0, last, len(columns) - 1, row_titles):
        wb.define_name(title, f"='{name}'!{cell}")


def _settings_rows(t: Template) -> list[list]:
    rows: list[list] = [
        [key, getattr(t, key), "", MEANINGS[key]] for key in ("id", "version", "title")
    ]
    rows.append(["introduction", "", t.introduction, MEANINGS["introduction"]])
    rows += [[key, getattr(t.settings, key), "", MEANINGS[key]] for key in SETTINGS]
    rows += [["point", p.value, p.label, MEANINGS["point"]] for p in t.scale.points]
    # Aliases in the template's own order, so that an import gives the same template.
    for label, aliases in t.scale.aliases.items():
        rows += [["alias", label, a, MEANINGS["alias"]] for a in aliases]
    for u in t.scale.unscored:
        rows.append(["unscored", u.label, "", MEANINGS["unscored"]])
        rows += [["unscored alias", u.label, a, MEANINGS["unscored alias"]] for a in u.aliases]
    return rows


# --- import ----------------------------------------------------------------------


@dataclass
class _Sheet:
    """One sheet's table: its rows by header name, and where each cell is."""

    file: Path
    name: str
    header: dict[str, int]
    rows: list[tuple[int, list[Any]]]  # (1-based row number, values)

    def at(self, row: int, column: str | None = None) -> Location:
        if column is None:
            return Location(file=self.file, sheet=self.name, cell=f"row {row}")
        letter = column_letters(self.header[column])
        return Location(file=self.file, sheet=self.name, cell=f"{letter}{row}")

    def get(self, values: list[Any], column: str) -> Any:
        j = self.header.get(column)
        return values[j] if j is not None and j < len(values) else None


def import_template(path: Path) -> Template:
    """Read a questions workbook into a template; TemplateError lists every problem."""
    from .inputs import sheet_named, workbook_tables

    path = Path(path)
    tables = workbook_tables(path, "the questions workbook", INSTRUCTION)
    problems: list[CoupleError] = []
    sheets: dict[str, _Sheet] = {}
    broken = False  # a sheet that cannot be read as its table: nothing more can be said
    for name, columns in (("questions", QUESTION_COLUMNS), ("principles", PRINCIPLE_COLUMNS),
                          ("template", TEMPLATE_COLUMNS)):  # fmt: skip
        found = sheet_named(tables, name)
        rows = tables.get(found, []) if found is not None else []
        if not any(cell_text(v) for row in rows for v in row):  # absent, or empty
            if name == "questions":
                problems.append(
                    CoupleError(
                        "no 'questions' sheet, or it is empty: export a template first "
                        "(couple-xl templates export couple -o questions.xlsx) and edit that",
                        Location(file=path, sheet=found),
                    )
                )
                broken = True
            continue
        sheet = _header(path, found, rows, columns, problems)
        if sheet is None:
            broken = True
        else:
            sheets[name] = sheet
    if broken:
        raise TemplateError(problems)
    where: dict[str, Location] = {}
    data = _template_data(path, sheets, where, problems)
    # The model checks the rest (id patterns, lengths, the scale); each problem's key
    # path ("principles[1].questions[3].text") names the cell it came from.
    try:
        template = template_from_data(data, path)
    except TemplateError as err:
        problems += [_relocated(p, where) for p in err.problems]
    if problems:
        raise TemplateError(problems)
    return template


def _key(*parts: str | int) -> str:
    """A key path as the model's problems give it: principles[1].questions[2].text."""
    key = ""
    for part in parts:
        key += f"[{part + 1}]" if isinstance(part, int) else ("." if key else "") + part
    return key


def _relocated(problem: CoupleError, where: dict[str, Location]) -> CoupleError:
    key = problem.location.key or ""
    while key and key not in where:
        shorter = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", key)
        if shorter == key:  # "(top level)": a rule across the whole template
            break
        key = shorter
    location = where.get(key)
    if location is None:
        return problem
    return CoupleError(problem.message, location)


def _header(
    path: Path, name: str, rows: list[list[Any]], columns, problems: list[CoupleError]
) -> _Sheet | None:
    at = next(i for i, r in enumerate(rows) if any(cell_text(v) for v in r))
    header: dict[str, int] = {}
    for j, value in enumerate(rows[at]):
        title = cell_text(value).lower()
        if not title:
            continue
        if title not in columns:
            problems.append(
                CoupleError(
                    f"unknown column '{cell_text(value)[:40]}' (the columns are "
                    f"{', '.join(columns)}): check the spelling",
                    Location(file=path, sheet=name, cell=f"{column_letters(j)}{at + 1}"),
                )
            )
        elif title in header:
            problems.append(
                CoupleError(
                    f"the column '{title}' appears twice",
                    Location(file=path, sheet=name, cell=f"{column_letters(j)}{at + 1}"),
                )
            )
        else:
            header[title] = j
    missing = [c for c in REQUIRED[name.strip().lower()] if c not in header]
    for column in missing:
        problems.append(
            CoupleError(
                f"the header row has no '{column}' column",
                Location(file=path, sheet=name, cell=f"row {at + 1}"),
            )
        )
    if missing:
        return None
    body = [
        (i, r) for i, r in enumerate(rows[at + 1 :], start=at + 2) if any(cell_text(v) for v in r)
    ]
    return _Sheet(path, name, header, body)


def _template_data(
    path: Path, sheets: dict[str, _Sheet], where: dict[str, Location], problems
) -> dict[str, Any]:
    standard = resolve_template(STANDARD)
    data: dict[str, Any] = {
        "id": _default_id(path),
        "version": "1.0.0",
        "title": standard.title,
        "introduction": standard.introduction,
        "settings": standard.settings.as_data(),
        "scale": standard.scale.as_data(),
    }
    if "template" in sheets:
        _read_settings(sheets["template"], data, where, problems)
    given = "principles" in sheets
    principles = (
        _read_principles(sheets["principles"])
        if given
        else [(p.id, p.name, p.description, None) for p in standard.principles]
    )
    questions = _read_questions(sheets["questions"], [p[0] for p in principles], problems)
    if not given:  # the built-in principles that have statements, in their own order
        principles = [p for p in principles if p[0].lower() in questions]
    data["principles"] = []
    for pid, name, description, row in principles:
        listed = questions.get(pid.lower(), [])
        if not listed:  # only a listed principle can be without statements
            problems.append(
                CoupleError(
                    f"the principle {pid} has no statements: add at least one row for it "
                    "on the questions sheet, or delete its row here",
                    sheets["principles"].at(row, "id"),
                )
            )
            continue
        index = len(data["principles"])
        data["principles"].append(
            {
                "id": pid,
                "name": name,
                "description": description,
                "questions": [q for q, _ in listed],
            }
        )
        if row is not None:
            where[_key("principles", index)] = sheets["principles"].at(row)
            for key in PRINCIPLE_COLUMNS:
                where[_key("principles", index, key)] = sheets["principles"].at(row, key)
        for j, (_, cells) in enumerate(listed):
            for key, location in cells.items():
                parts = ("principles", index, "questions", j) + ((key,) if key else ())
                where[_key(*parts)] = location
    return data


def _read_settings(sheet: _Sheet, data: dict, where: dict[str, Location], problems) -> None:
    scale: dict[str, Any] = {"points": [], "unscored": [], "aliases": {}}
    unscored: dict[str, dict] = {}
    for row, values in sheet.rows:
        setting = cell_text(sheet.get(values, "setting")).lower()
        value = sheet.get(values, "value")
        text = cell_text(sheet.get(values, "text"))
        if setting in ("id", "version", "title"):
            data[setting] = cell_text(value)
            where[setting] = sheet.at(row, "value")
        elif setting == "introduction":
            data[setting] = text or cell_text(value)
            where[setting] = sheet.at(row, "text" if "text" in sheet.header else "value")
        elif setting in SETTINGS:
            data["settings"][setting] = _number(value)
            where[f"settings.{setting}"] = sheet.at(row, "value")
        elif setting == "point":
            where[_key("scale", "points", len(scale["points"]))] = sheet.at(row)
            scale["points"].append({"value": _number(value), "label": text})
        elif setting == "alias":
            scale["aliases"].setdefault(cell_text(value), []).append(text)
            where["scale.aliases"] = sheet.at(row)
        elif setting == "unscored":
            where[_key("scale", "unscored", len(scale["unscored"]))] = sheet.at(row)
            unscored[cell_text(value)] = {"label": cell_text(value), "aliases": []}
            scale["unscored"].append(unscored[cell_text(value)])
        elif setting == "unscored alias":
            if cell_text(value) not in unscored:
                problems.append(
                    CoupleError(
                        f"'{cell_text(value)[:40]}' is not an unscored answer listed above "
                        "this row",
                        sheet.at(row, "value"),
                    )
                )
                continue
            unscored[cell_text(value)]["aliases"].append(text)
        else:
            problems.append(
                CoupleError(
                    f"unknown setting '{setting[:40]}' (the settings are {', '.join([*MEANINGS])})",
                    sheet.at(row, "setting"),
                )
            )
    # Scale rows replace the standard scale only when the sheet gives one.
    if scale["points"] or scale["unscored"] or scale["aliases"]:
        data["scale"] = scale
        where.setdefault("scale", Location(file=sheet.file, sheet=sheet.name))


def _read_principles(sheet: _Sheet) -> list[tuple[str, str, str, int | None]]:
    """(id, name, description, row) for each principle listed."""
    return [
        (
            cell_text(sheet.get(values, "id")),
            cell_text(sheet.get(values, "name")),
            cell_text(sheet.get(values, "description")),
            row,
        )
        for row, values in sheet.rows
    ]


def _read_questions(
    sheet: _Sheet, principle_ids: list[str], problems
) -> dict[str, list[tuple[dict[str, Any], dict[str, Location]]]]:
    """Each principle's statements (by lower-cased principle id), in the order of their
    rows, each with the cells its values came from."""
    known = {pid.lower() for pid in principle_ids}
    found: dict[str, list[tuple[dict[str, Any], dict[str, Location]]]] = {}
    first_row: dict[str, int] = {}  # each question id's first row, to name a repeat
    if not sheet.rows:
        problems.append(CoupleError("the sheet lists no statements", sheet.at(1)))
    for row, values in sheet.rows:
        pid = cell_text(sheet.get(values, "principle")).lower()
        if pid not in known:
            listed = ", ".join(principle_ids)
            problems.append(
                CoupleError(
                    f"'{pid[:40]}' is not a principle id (the principles are {listed})"
                    if pid
                    else f"no principle given (one of {listed})",
                    sheet.at(row, "principle"),
                )
            )
            continue
        question: dict[str, Any] = {
            "id": cell_text(sheet.get(values, "id")),
            "text": cell_text(sheet.get(values, "statement")),
            "guidance": cell_text(sheet.get(values, "guidance")),
        }
        weight = sheet.get(values, "weight")
        if "weight" in sheet.header and cell_text(weight):
            question["weight"] = _number(weight)
        qid = question["id"]
        if qid and qid in first_row:
            problems.append(
                CoupleError(
                    f"the question id '{qid[:40]}' is also used on row {first_row[qid]}: "
                    "every statement needs an id of its own",
                    sheet.at(row, "id"),
                )
            )
            continue
        first_row.setdefault(qid, row)
        cells = {"": sheet.at(row)}
        for key, column in (("id", "id"), ("text", "statement"), ("guidance", "guidance"),
                            ("weight", "weight")):  # fmt: skip
            if column in sheet.header:
                cells[key] = sheet.at(row, column)
        found.setdefault(pid, []).append((question, cells))
    return found


def _number(value: Any) -> Any:
    """A number cell as the number (an int when whole); text is left for the model to
    refuse with its own message."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return value


def _default_id(path: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "my_" + slug
    return slug[:40].rstrip("_")


# --- TOML ------------------------------------------------------------------------


def template_toml(template: Template) -> str:
    """The template as TOML that loads back to the same template (same fingerprint)."""
    t = template
    lines = [
        f"# {t.title}: written by couple-xl templates import. Question ids are the stable",
        "# identity of every answer: give a question a new id when its meaning changes.",
        "",
        f"id = {_str(t.id)}",
        f"version = {_str(t.version)}",
        f"title = {_str(t.title)}",
        f"introduction = {_str(t.introduction)}",
        "",
        "[settings]",
        *(f"{key} = {_value(getattr(t.settings, key))}" for key in SETTINGS),
        "",
        "[scale]",
        "points = [",
        *(f"    {{ value = {p.value}, label = {_str(p.label)} }}," for p in t.scale.points),
        "]",
    ]
    if t.scale.aliases:
        lines += ["", "[scale.aliases]"]
        lines += [f"{_str(k)} = [{', '.join(map(_str, v))}]" for k, v in t.scale.aliases.items()]
    for u in t.scale.unscored:
        lines += ["", "[[scale.unscored]]", f"label = {_str(u.label)}"]
        lines.append(f"aliases = [{', '.join(map(_str, u.aliases))}]")
    for p in t.principles:
        lines += ["", "[[principles]]", f"id = {_str(p.id)}", f"name = {_str(p.name)}",
                  f"description = {_str(p.description)}"]  # fmt: skip
        for q in p.questions:
            lines += ["", "[[principles.questions]]", f"id = {_str(q.id)}",
                      f"text = {_str(q.text)}", f"guidance = {_str(q.guidance)}",
                      f"weight = {_value(q.weight)}"]  # fmt: skip
    return "\n".join(lines) + "\n"


def _str(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except DEL, which TOML escapes too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(number: float | int) -> str:
    return repr(float(number)) if isinstance(number, float) else str(number)


def write_template_toml(template: Template, path: Path) -> Path:
    """Write the template's TOML atomically, having checked that it loads back the same."""
    from .boundary import toml

    text = template_toml(template)
    again = template_from_data(toml().loads(text), path)
    if again.fingerprint != template.fingerprint:  # a bug of ours, never the user's
        raise RuntimeError("the TOML written does not load back to the same template")
    with atomic_target(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return path
