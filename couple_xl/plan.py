"""The action plan: a round's suggested actions as a workbook the partners' meeting fills
in (which to do, reworded, who leads, by when), and that workbook read back for the
next round (`couple-xl new --plan`).

The plan's sheet holds one Excel table, CouplePlan, whose header names are a contract
other tools can rely on (PLAN_COLUMNS). Each row has a stable action id, derived from the
round's id and the suggestion itself (actions.action_id), and carried unchanged into later
rounds while the action is open. The plan carries its partnership and round as document
properties and on a hidden sheet, like a return, and says it is a plan, so consolidation
skips it. The principle column shows names; the hidden sheet keeps the principles' ids
and names, so the reader maps a name (or an id) back to its id.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .actions import (
    ACTION_ID,
    CODE_LENGTH,
    AgreedAction,
    action_id,
    spare_key,
    suggestion_key,
)
from .consolidate import Consolidation, PartnershipResult, RoundResult, consolidate
from .errors import CoupleError, InputError, Location, PlanError
from .files import atomic_target, make_folder, refuse_inputs, refuse_overwrite
from .inputs import cell_text, in_words, typed_date
from .layout import (
    ACCENT,
    BORDER_COLOUR,
    HEADER_COLOUR,
    INK,
    INPUT_COLOUR,
    META_FIRST_ROW,
    META_SHEET,
    META_TITLE,
    MUTED,
    column_letters,
    title_names,
    wrapped_lines,
)
from .metadata import FORMAT, PLAN, PROPERTY_PREFIX
from .scoring import normalise_text

PLAN_SHEET = "Plan"
PLAN_TABLE = "CouplePlan"
PLAN_COLUMNS = (
    "id",
    "principle",
    "suggested action",
    "suggested by",
    "owner",
    "by when",
    "agreed",
    "agreed action",
    "lead",
    "due",
)
COLUMN = {name: i for i, name in enumerate(PLAN_COLUMNS)}
SPARE_ROWS = 5
YES, NO = "Yes", "No"


@dataclass
class PlanRow:
    """One row of the plan: a suggestion (or a carried or spare action)."""

    id: str
    principle: str = ""
    suggested: str = ""
    suggested_by: list[str] = field(default_factory=list)
    owner: str = ""
    by_when: str = ""
    agreed: str = ""
    agreed_text: str = ""
    lead: str = ""
    due: str = ""

    @property
    def spare(self) -> bool:
        """A row for an action of the meeting's own (no suggestion, nothing carried)."""
        return not self.suggested

    def values(self) -> list[str]:
        return [self.id, self.principle, self.suggested, ", ".join(self.suggested_by),
                self.owner, self.by_when, self.agreed, self.agreed_text, self.lead,
                self.due]  # fmt: skip


@dataclass
class Plan:
    """A plan read back: whose, from which round, and the actions agreed in it."""

    path: Path
    partnership_id: str
    round: str
    actions: list[AgreedAction]


# --- building the plan ---------------------------------------------------------------


def round_identity(latest: RoundResult) -> str:
    """The round id of a round as consolidated, from its returns and its manifest; when
    returns of two `new` runs carry one label (a round made again with --force), the
    later run's. InputError when neither is there (only untouched copies were given)."""
    found = [(r.meta.created, r.meta.round_id) for p in latest.partners.values()
             for r in p.respondents]  # fmt: skip
    if latest.manifest is not None:
        found.append((latest.manifest.created, latest.manifest.round_id))
    if not found:
        raise InputError(
            f"no return of round '{latest.round}' counts yet, so there is nothing to plan: "
            "run couple-xl plan once filled-in returns have arrived (or give the round's "
            "manifest too, for a plan of spare rows only)"
        )
    return max(found, key=lambda f: (f[0].timestamp(), f[1]))[1]


def plan_rows(partnership: PartnershipResult) -> tuple[RoundResult, list[PlanRow]]:
    """The latest round's plan: earlier agreed actions still open, then the round's
    suggestions (identical ones once, naming every partner), then spare rows.

    Each new row's id comes from the round's id and what the row is (actions.action_id),
    so making the plan again after more returns arrive keeps every id it gave before.
    """
    latest = partnership.rounds[-1]
    round_id = round_identity(latest)
    rows: list[PlanRow] = []
    for progress in latest.progress:
        if progress.closed:
            continue
        a = progress.action
        rows.append(PlanRow(a.id, a.principle_id, a.text, ["agreed earlier"], a.lead,
                            a.due_shown, YES, a.text, a.lead, a.due))  # fmt: skip
    # Ids are compared without case, as Excel compares names. Every id agreed so far
    # counts, closed ones too: should a code ever repeat one (a 1 in 2**40 chance), it
    # grows a character rather than give one id to two actions.
    taken = {p.action.id.lower() for r in partnership.rounds for p in r.progress}

    def new_id(key: str) -> str:
        length = CODE_LENGTH
        while (aid := action_id(latest.round_date, round_id, key, length)).lower() in taken:
            length += 1
        taken.add(aid.lower())
        return aid

    by_text: dict[str, PlanRow] = {}
    for principle in latest.template.principles:
        for partner, result in sorted(latest.partners.items()):
            for record in result.respondents:
                for a in record.actions:
                    if a.principle_id != principle.id or not a.action.strip():
                        continue
                    key = suggestion_key(principle.id, a.action)
                    row = by_text.get(key)
                    if row is None:
                        row = PlanRow(new_id(key), principle.id, a.action.strip(), [],
                                      a.owner.strip(), a.by_when.strip(), "",
                                      a.action.strip())  # fmt: skip
                        by_text[key] = row
                        rows.append(row)
                    if partner not in row.suggested_by:
                        row.suggested_by.append(partner)
    rows += [PlanRow(new_id(spare_key(n))) for n in range(1, SPARE_ROWS + 1)]
    return latest, rows


@dataclass
class PlanOptions:
    paths: list[Path]
    output: Path
    partnership: str | None = None
    force: bool = False


@dataclass
class PlanOutcome:
    result: Consolidation
    written: Path | None = None
    rows: list[PlanRow] = field(default_factory=list)
    round: RoundResult | None = None


def run_plan(options: PlanOptions, progress=None) -> PlanOutcome:
    """`couple-xl plan`: read the returns as consolidate does, then write the plan of
    one partnership's latest round."""
    refuse_overwrite(options.output, options.force)
    result = consolidate(options.paths, partnership=options.partnership, progress=progress)
    refuse_inputs([options.output], result.inputs)
    with_rounds = [p for p in result.partnerships if p.rounds]
    if not with_rounds:
        return PlanOutcome(result)
    if len(with_rounds) > 1:
        ids = ", ".join(p.partnership_id for p in with_rounds)
        raise InputError(
            f"the returns are from {len(with_rounds)} partnerships ({ids}): choose one with "
            "--partnership ID"
        )
    latest, rows = plan_rows(with_rounds[0])
    make_folder(options.output.parent)
    write_plan(latest, rows, options.output)
    return PlanOutcome(result, options.output, rows, latest)


# --- writing ---------------------------------------------------------------------

# On the hidden sheet: each principle's id and name, as [[id, name], …], so that the
# principle column can show names and still be read back as ids.
PRINCIPLES_KEY = "principles_json"
# The columns the meeting fills in, on every row; on a spare row, the principle too.
INPUT_COLUMNS = ("agreed", "agreed action", "lead", "due")
DATE_FORMAT = "d mmmm yyyy"  # "31 July 2027", as the workbooks write dates in words


def _identity(latest: RoundResult) -> dict[str, str]:
    return {
        "format": FORMAT,
        "kind": PLAN,
        "partnership_id": latest.partnership_id,
        "partnership_name": latest.partnership_name,
        "round": latest.round,
        "round_date": latest.round_date.isoformat(),
        "round_id": round_identity(latest),
    }


def _shown(row: PlanRow, names: dict[str, str]) -> list[str]:
    """A row's cells as the plan shows them: principle names, due dates in words."""
    values = row.values()
    values[COLUMN["principle"]] = names.get(row.principle, row.principle)
    values[COLUMN["due"]] = AgreedAction("", "", "", due=row.due).due_shown
    return values


# Each column's width, in characters: together they print on a landscape A4 page at 84%,
# so that the plan's 10-point text prints at 8 points or more.
WIDTHS = (17, 13, 30, 17, 13, 11, 8, 30, 13, 12)
BODY_SIZE = 10  # points, on screen: at least 9
MARGIN = 0.5  # inches, left and right
# What the meeting is asked to type, in each column it fills in: a cell's input message,
# which Excel and LibreOffice show when it is selected and screen readers read out.
PROMPTS = {
    "agreed": ("Agreed?", "Choose Yes if the meeting agreed to take this action, No if not."),
    "agreed action": ("Agreed action", "The action as agreed: reword the suggestion if you "
                      "like, or write an action of your own on a spare row."),
    "lead": ("Lead", "Who leads the action: a person, a role or an organisation."),
    "due": ("Due", "When it is due: a date (31 July 2027, or 2027-07-31), or words such as "
            "'next board meeting'."),
    "principle": ("Principle", "Choose the principle the action on this spare row is for."),
}  # fmt: skip


def write_plan(latest: RoundResult, rows: list[PlanRow], path: Path) -> Path:
    """Write the plan workbook atomically: one table, printable on A4, the cells to fill
    in marked as the partner workbooks mark theirs, each with an input message."""
    import xlsxwriter

    from .excel import CUSTOM_PROPERTY, break_lines, column_pixels, cut

    identity = _identity(latest)
    names = {p.id: p.name for p in latest.template.principles}
    with atomic_target(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                            "strings_to_numbers": False,
                                            "strings_to_urls": False})  # fmt: skip
        wb.set_properties({"title": f"Action plan: {latest.partnership_name}",
                           "author": "couple_xl"})  # fmt: skip
        for key, value in identity.items():
            wb.set_custom_property(PROPERTY_PREFIX + key, cut(value, CUSTOM_PROPERTY) or "-")
        ws = wb.add_worksheet(PLAN_SHEET)
        cell = {"text_wrap": True, "valign": "top", "font_size": BODY_SIZE}
        wrap = wb.add_format(cell)
        typed = {**cell, "bg_color": f"#{INPUT_COLOUR}", "border": 1,
                 "border_color": f"#{BORDER_COLOUR}"}  # fmt: skip
        field = wb.add_format(typed)
        date_field = wb.add_format({**typed, "num_format": DATE_FORMAT, "align": "left"})
        title = wb.add_format({"bold": True, "font_size": 14, "font_color": f"#{ACCENT}"})
        note = wb.add_format({"italic": True, "font_size": BODY_SIZE, "font_color": f"#{MUTED}"})
        for col, width in enumerate(WIDTHS):
            ws.set_column(col, col, width, wrap)
        ws.write_string(0, 0, f"Action plan: {latest.partnership_name}, {latest.round}", title)
        ws.set_row(0, 21)  # a line of 14 points
        # A line a row, each running on over the empty cells beside it: a merged cell
        # would make screen readers lose their place.
        room = sum(column_pixels(w) for w in WIDTHS)
        lines = [line for text in PLAN_NOTE for line in break_lines(text, room, BODY_SIZE)]
        for offset, line in enumerate(lines, start=1):
            ws.write_string(offset, 0, line, note)
        first = 1 + len(lines)
        header = wb.add_format({"bold": True, "bg_color": f"#{HEADER_COLOUR}",
                                "font_color": f"#{INK}", "text_wrap": True,
                                "valign": "top", "font_size": BODY_SIZE})  # fmt: skip
        ws.add_table(first, 0, first + len(rows), len(PLAN_COLUMNS) - 1, {
            "name": PLAN_TABLE,
            "style": "Table Style Light 9",
            "columns": [{"header": h, "header_format": header} for h in PLAN_COLUMNS],
        })  # fmt: skip
        inputs = {COLUMN[c] for c in INPUT_COLUMNS}
        for offset, row in enumerate(rows, start=1):
            r = first + offset
            shown = _shown(row, names)
            due = AgreedAction("", "", "", due=row.due).due_date
            for col, text in enumerate(shown):
                spare_principle = col == COLUMN["principle"] and row.spare
                if col == COLUMN["due"]:
                    form = date_field
                else:
                    form = field if col in inputs or spare_principle else wrap
                if col == COLUMN["due"] and due is not None:
                    ws.write_datetime(r, col, dt.datetime(due.year, due.month, due.day), form)
                elif text:
                    ws.write_string(r, col, text, form)
                else:
                    # A blank cell, as Excel leaves one, rather than an empty string.
                    ws.write_blank(r, col, None, form)
            # No spreadsheet app sizes a row to its wrapped text when it opens a file.
            needed = max(wrapped_lines(v, w, 1.2) for v, w in zip(shown, WIDTHS))
            ws.set_row(r, 13 * needed + 3)
        agreed = COLUMN["agreed"]
        ws.data_validation(first + 1, agreed, first + len(rows), agreed, {
            "validate": "list", "source": [YES, NO],
            "error_title": "Agreed?", "error_message": "Choose Yes or No.",
            **_prompt("agreed"),
        })  # fmt: skip
        for name in ("agreed action", "lead", "due"):
            c = COLUMN[name]
            ws.data_validation(first + 1, c, first + len(rows), c,
                               {"validate": "any", **_prompt(name)})  # fmt: skip
        _principle_list(ws, first, rows, list(names.values()))
        _title_table(wb, first, len(rows))
        ws.freeze_panes(first + 1, 0)
        ws.set_paper(9)  # A4
        ws.set_landscape()
        ws.set_margins(left=MARGIN, right=MARGIN)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(first)
        ws.set_footer("&L&A&RPage &P of &N")
        principles = json.dumps([[p.id, p.name] for p in latest.template.principles])
        _hidden_identity(wb, {**identity, PRINCIPLES_KEY: principles})
        wb.close()
    return path


def _prompt(column: str) -> dict[str, str]:
    title, message = PROMPTS[column]
    return {"input_title": title, "input_message": message}


def _principle_list(ws: Any, first: int, rows: list[PlanRow], names: list[str]) -> None:
    """A dropdown of the principles' names on the spare rows, where the meeting says which
    principle its own action is for. Another text is allowed, with a warning (the plan's
    reader says which names it knows); where Excel cannot hold the list, the cells take
    any text, with the same input message."""
    spare = [first + i for i, row in enumerate(rows, start=1) if row.spare]
    if not spare:
        return
    col = COLUMN["principle"]
    if any("," in n for n in names) or len(",".join(names)) > 255:
        ws.data_validation(spare[0], col, spare[-1], col,
                           {"validate": "any", **_prompt("principle")})  # fmt: skip
        return
    ws.data_validation(spare[0], col, spare[-1], col, {
        "validate": "list", "source": names, "error_type": "warning",
        "error_title": "Principle", "error_message": "Choose one of the principles.",
        **_prompt("principle"),
    })  # fmt: skip


def _title_table(wb: Any, first: int, count: int) -> None:
    """Name the table's headings for screen readers (layout.title_names): each row is
    told by its suggested action."""
    sheet = f"'{PLAN_SHEET}'"
    last = len(PLAN_COLUMNS) - 1
    titles = COLUMN["suggested action"]
    for name, cell in title_names("plan", first, 0, first + count, last, titles):
        wb.define_name(name, f"={sheet}!{cell}")


# What the due date and a spare row's principle take is in their cells' input messages.
PLAN_NOTE = (
    "For the partners' meeting: the yellow cells are yours to fill in. Set agreed to Yes for "
    "each action you will take, reword it in agreed action if you like, and fill in lead and "
    "due.",
    "Use the spare rows at the end, whose ids are ready, for actions of your own. Then give "
    "this file to couple-xl new --plan: the next round asks every partner how each one is "
    "going.",
)


def _hidden_identity(wb: Any, identity: dict[str, str]) -> None:
    """The identity again on a hidden sheet, as returns carry it: some apps drop
    document properties when they save."""
    ws = wb.add_worksheet(META_SHEET)
    ws.write_string(0, 0, f"{META_TITLE}: do not edit.")
    ws.write_row(META_FIRST_ROW - 2, 0, ["key", "value"])
    for offset, (key, value) in enumerate(identity.items()):
        ws.write_row(META_FIRST_ROW - 1 + offset, 0, [key, value])
    ws.hide()


# --- reading ---------------------------------------------------------------------

INSTRUCTION = "open it in your spreadsheet app and save it again as .xlsx"


def read_plan(path: Path, partnership_id: str | None = None) -> Plan:
    """Read a plan through the read boundary; PlanError lists every problem found."""
    from .inputs import sheet_named, workbook_tables
    from .returns import key_values

    path = Path(path)
    where = Location(file=path)
    tables = workbook_tables(path, "the plan", INSTRUCTION)
    identity = key_values(tables.get(META_SHEET, []))
    kind = identity.get("kind", "")
    if kind and kind != PLAN:
        raise InputError(
            f"this is a couple_xl {kind}, not an action plan: give the plan that "
            "couple-xl plan wrote",
            where,
        )
    sheet = sheet_named(tables, PLAN_SHEET)
    if sheet is None or not identity:
        raise InputError(
            "this is not an action plan written by couple-xl plan (no Plan sheet, or no "
            "partnership on it): run couple-xl plan to make one",
            where,
        )
    pid = identity.get("partnership_id", "")
    if partnership_id is not None and pid != partnership_id:
        raise InputError(
            f"this plan is for the partnership '{pid}', not '{partnership_id}': give the "
            "plan of this partnership",
            Location(file=path, sheet=META_SHEET, key="partnership_id"),
        )
    actions = _agreed_rows(path, sheet, tables[sheet], _principles(identity))
    return Plan(path, pid, identity.get("round", ""), actions)


def _principles(identity: dict[str, str]) -> list[tuple[str, str]]:
    """The principles' ids and names a plan was written with; none for a plan written
    before it carried them (its principle column holds ids)."""
    try:
        return [(str(pid), str(name)) for pid, name in json.loads(identity[PRINCIPLES_KEY])]
    except (KeyError, ValueError, TypeError):
        return []


def _text(value: Any) -> str:
    """A plan cell as text: whole numbers without ".0", dates in words."""
    return cell_text(value, dates=in_words)


@dataclass
class _PlanSheet:
    """The plan's sheet as read, and the problems found in it so far."""

    path: Path
    name: str
    rows: list[list[Any]]
    problems: list[CoupleError] = field(default_factory=list)

    def at(self, row: int, col: int | None = None) -> Location:
        cell = f"row {row + 1}" if col is None else f"{column_letters(col)}{row + 1}"
        return Location(file=self.path, sheet=self.name, cell=cell)

    def problem(self, message: str, row: int, col: int | None = None) -> None:
        self.problems.append(CoupleError(message, self.at(row, col)))

    def header(self) -> int:
        """The header row's index, once every heading is as the plan wrote it."""
        at = next((i for i, r in enumerate(self.rows) if r and _text(r[0]).lower() == "id"), None)
        if at is None:
            raise PlanError([CoupleError(
                "no header row starting with 'id': the plan's table header was changed; the "
                f"columns must be {', '.join(PLAN_COLUMNS)}", self.at(0))])  # fmt: skip
        found = [_text(v).lower() for v in self.rows[at]] + [""] * len(PLAN_COLUMNS)
        for col, expected in enumerate(PLAN_COLUMNS):
            if found[col] != expected:
                self.problem(
                    f"the column heading is '{found[col]}', not '{expected}': put the heading "
                    f"back (the columns are {', '.join(PLAN_COLUMNS)})",
                    at,
                    col,
                )
        if self.problems:
            raise PlanError(self.problems)
        return at


def _agreed_rows(
    path: Path, sheet: str, rows: list[list[Any]], principles: list[tuple[str, str]]
) -> list[AgreedAction]:
    """The agreed actions of the plan's table; PlanError lists every problem in it."""
    plan = _PlanSheet(path, sheet, rows)
    header = plan.header()
    actions: list[AgreedAction] = []
    seen: dict[str, int] = {}
    for i, values in enumerate(rows[header + 1 :], start=header + 1):
        raw = list(values) + [""] * len(PLAN_COLUMNS)
        cells = [_text(v) for v in raw]
        if any(cells):
            action = _agreed_row(plan, i, cells, raw, seen, principles)
            if action is not None:
                actions.append(action)
    if plan.problems:
        raise PlanError(plan.problems)
    if not actions:
        raise PlanError([CoupleError(
            "no row has agreed set to Yes: mark the actions the partners agreed, then try again",
            plan.at(header))])  # fmt: skip
    return actions


def _agreed_row(
    plan: _PlanSheet,
    i: int,
    cells: list[str],
    raw: list[Any],
    seen: dict[str, int],
    principles: list[tuple[str, str]],
) -> AgreedAction | None:
    """One row: its action when agreed, None when not (or when it has a problem)."""
    aid, agreed = cells[COLUMN["id"]], cells[COLUMN["agreed"]].lower()
    if aid and not ACTION_ID.match(aid):
        plan.problem(f"the id '{aid[:40]}' is not an action id (letters, digits and _, starting "
                     "with a letter): put back the id the plan gave", i, 0)  # fmt: skip
        return None
    # Excel's names ignore case, so ids that differ only in case would clash.
    if aid and aid.lower() in seen:
        plan.problem(f"the id '{aid}' is also on row {seen[aid.lower()] + 1}: each action "
                     "keeps its own id", i, 0)  # fmt: skip
        return None
    if aid:
        seen[aid.lower()] = i
    if agreed not in ("", "yes", "no"):
        plan.problem(f"agreed is '{cells[COLUMN['agreed']][:40]}': choose Yes or No (or leave "
                     "it blank)", i, COLUMN["agreed"])  # fmt: skip
        return None
    if agreed != "yes":
        return None
    if not aid:
        plan.problem("an agreed row without an id: move the action into one of the spare rows, "
                     "which have ids (couple_xl never changes the plan file)", i, 0)  # fmt: skip
        return None
    wording = cells[COLUMN["agreed action"]] or cells[COLUMN["suggested action"]]
    if not wording:
        plan.problem("an agreed row with no action: write the action in agreed action", i,
                     COLUMN["agreed action"])  # fmt: skip
        return None
    principle = _principle(plan, i, cells[COLUMN["principle"]], principles)
    due = _due(plan, i, raw[COLUMN["due"]])
    if principle is None or due is None:
        return None
    return AgreedAction(aid, principle, wording, cells[COLUMN["lead"]], due)


def _principle(
    plan: _PlanSheet, i: int, text: str, principles: list[tuple[str, str]]
) -> str | None:
    """The id of the principle a row names (by name or by id, in any case); None, with
    a problem, when it names none of the plan's."""
    if not text or not principles:
        return text
    typed = normalise_text(text)
    for pid, name in principles:
        if typed in (pid.lower(), normalise_text(name)):
            return pid
    known = ", ".join(name for _, name in principles)
    plan.problem(f"the principle '{text[:40]}' is not one of {known}: choose one from the "
                 "list", i, COLUMN["principle"])  # fmt: skip
    return None


def _due(plan: _PlanSheet, i: int, value: Any) -> str | None:
    """A row's due date as YYYY-MM-DD when it is a date cell or a date typed beyond
    doubt; other words as typed ("next board meeting"); None, with a problem, for a
    date that could be read two ways."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _text(value)
    try:
        date = typed_date(text, "the due date")
    except InputError as err:
        plan.problem(err.message, i, COLUMN["due"])
        return None
    return date.isoformat() if date else text
