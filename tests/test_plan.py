"""The Execution loop: plan → new --plan → consolidate → plan again, compared with the
statuses the test itself types, and every kind of bad plan file refused with its place."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl.cli import main
from couple_xl.consolidate import consolidate
from couple_xl.errors import PlanError
from couple_xl.layout import BORDER_COLOUR, INPUT_COLOUR
from couple_xl.plan import PLAN_COLUMNS, PLAN_TABLE, read_plan
from tests.helpers import ROUND_DATE, custom_properties, fill, generate, named_cell

ROUND_1 = dt.date(2026, 10, 1)
ROUND_2 = dt.date(2027, 3, 1)
PARTNERS = ["Age UK Riverside", "Riverside Foodbank", "St Mark's Kitchen"]
SUGGESTED = {
    "Age UK Riverside": {
        "processes": [["Agree a referral form", "Ops lead", "January"]],
        "leadership": [["Meet every month", "", ""]],
    },
    # The same suggestion as Age UK's, typed differently: it appears once, naming both.
    "Riverside Foodbank": {"processes": [["agree a  REFERRAL form", "", ""]]},
    "St Mark's Kitchen": {"execution": [["Review the plan in March", "Sam", "March"]]},
}


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def expected_id(round_date: dt.date, round_id: str, key: str) -> str:
    """The README's rule for an action id, written out again: a<date>_ and the first 8
    characters of the lower-case base32 SHA-256 of "<round id>\\n<key>"."""
    digest = hashlib.sha256(f"{round_id}\n{key}".encode()).digest()
    return f"a{round_date:%Y%m%d}_" + base64.b32encode(digest).decode().lower()[:8]


def round_id_of(folder: Path) -> str:
    """The round id in the manifest `new` wrote into ``folder``, read as plain JSON."""
    (manifest,) = folder.glob("*.manifest.json")
    return json.loads(manifest.read_text(encoding="utf-8"))["round_id"]


def plan_table(path: Path) -> list[dict[str, str | None]]:
    ws = openpyxl.load_workbook(path)["Plan"]
    (table,) = ws.tables.values()
    assert table.displayName == PLAN_TABLE
    rows = [[c.value for c in row] for row in ws[table.ref]]
    assert tuple(rows[0]) == PLAN_COLUMNS
    return [dict(zip(PLAN_COLUMNS, row)) for row in rows[1:]]


def agree(plan: Path, target: Path, rows: dict[str, dict[str, str]]) -> Path:
    """The meeting fills in the plan: values by action id and column."""
    wb = openpyxl.load_workbook(plan)
    ws = wb["Plan"]
    header = next(r for r in ws.iter_rows() if r[0].value == "id")
    col = {c.value: c.column for c in header}
    for row in ws.iter_rows(min_row=header[0].row + 1):
        for column, value in rows.get(row[0].value, {}).items():
            ws.cell(row[0].row, col[column]).value = value
    wb.save(target)
    return target


def send_round_two(tmp_path: Path, agreed: Path, round_date: dt.date) -> tuple[Path, str]:
    """`new` for the partners' next round ("Spring"), asking about the agreed actions:
    the folder written, and what the command said."""
    sent2 = tmp_path / "sent2"
    each = [x for p in PARTNERS for x in ("--partner", p)]
    when = round_date.isoformat()
    result = run("new", "Riverside Food Partnership", *each, "--round", "Spring",
                 "--round-date", when, "--out", sent2, "--plan", agreed)  # fmt: skip
    assert result.exit_code == 0, result.output
    return sent2, result.output


@pytest.fixture
def cycle(tmp_path, template):
    """Round one returned, with suggestions, and its plan written."""
    sent = generate(tmp_path / "sent1", partners=PARTNERS, round_label="Autumn",
                    round_date=ROUND_1)  # fmt: skip
    returns = tmp_path / "returns1"
    returns.mkdir()
    for w in sent.workbooks:
        answers = {q.id: "Agree" for _, q in template.questions}
        fill(w.path, returns / f"{w.partner}.xlsx", answers, actions=SUGGESTED[w.partner])
    plan = tmp_path / "plan.xlsx"
    result = run("plan", returns, "-o", plan)
    assert result.exit_code == 0, result.output
    return tmp_path, returns, plan


def test_the_plan_lists_each_suggestion_once_with_spare_rows(cycle):
    tmp_path, returns, plan = cycle
    rows = plan_table(plan)
    ids = [r["id"] for r in rows]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", i) for i in ids)
    assert len(set(ids)) == len(ids)
    suggestions = [(r["principle"], r["suggested action"], r["suggested by"]) for r in rows
                   if r["suggested action"]]  # fmt: skip
    assert suggestions == [
        ("Processes", "Agree a referral form", "Age UK Riverside, Riverside Foodbank"),
        ("Leadership", "Meet every month", "Age UK Riverside"),
        ("Execution", "Review the plan in March", "St Mark's Kitchen"),
    ]
    # Each id from the round's id and the suggestion (principle id, text normalised by
    # hand here), and each spare row's from the round's id and its number.
    round_id = round_id_of(tmp_path / "sent1")
    keys = [
        "processes\nagree a referral form",
        "leadership\nmeet every month",
        "execution\nreview the plan in march",
        *(f"spare\n{n}" for n in range(1, 6)),
    ]
    assert ids == [expected_id(ROUND_1, round_id, key) for key in keys]  # fmt: skip
    spare = [r for r in rows if not r["suggested action"]]
    assert len(spare) >= 5
    assert all(r["id"] and not r["agreed"] and not r["principle"] for r in spare)
    # agreed action starts as the suggestion, for the coordinator to reword.
    assert [r["agreed action"] for r in rows[:3]] == [s[1] for s in suggestions]
    props = custom_properties(plan)
    assert props["couple.kind"] == "plan"
    assert props["couple.partnership_id"] == "riverside-food-partnership"
    assert props["couple.round"] == "Autumn"
    wb = openpyxl.load_workbook(plan)
    assert wb["Plan"].page_setup.paperSize == 9  # A4
    validations = {str(v.sqref): v.formula1 for v in wb["Plan"].data_validations.dataValidation}
    assert validations == {
        "G5:G12": '"Yes,No"',
        # The spare rows choose their principle by name.
        "B8:B12": '"Commitment,Outcomes,Understanding,Processes,Leadership,Execution"',
        # The other cells the meeting fills in take any text, with an input message.
        "H5:H12": None,
        "I5:I12": None,
        "J5:J12": None,
    }
    # Consolidation skips the plan left among the returns.
    shutil.copy(plan, returns / "plan.xlsx")
    (log,) = [f for f in consolidate([returns]).files if f.path.name == "plan.xlsx"]
    assert log.skipped


def test_plan_new_consolidate_plan_again(cycle, template):
    tmp_path, returns1, plan = cycle
    ids = [r["id"] for r in plan_table(plan)]
    referral, monthly, review, spare = ids[0], ids[1], ids[2], ids[3]
    agreed = agree(plan, tmp_path / "agreed.xlsx", {
        referral: {"agreed": "Yes", "agreed action": "Use one referral form", "lead": "Ann",
                   "due": "31 January 2027"},
        monthly: {"agreed": "YES"},
        review: {"agreed": "no"},
        spare: {"agreed": "Yes", "principle": "outcomes", "agreed action": "Write a joint bid"},
    })  # fmt: skip
    sent2, said = send_round_two(tmp_path, agreed, ROUND_2)
    assert "3 agreed action(s)" in said

    # Each partner types its view, as partners do: any case, curly apostrophes, and once
    # a word that is not on the list.
    typed = {
        "Age UK Riverside": {referral: ("Done", "In use since February"),
                             monthly: ("on  track", ""), spare: ("Finished!", "")},
        "Riverside Foodbank": {referral: ("Not started", "We have not seen it"),
                               monthly: ("Don’t know", ""), spare: ("DONE", "")},
        "St Mark's Kitchen": {referral: ("Done", ""), monthly: ("Behind", "")},
    }  # fmt: skip
    returns2 = tmp_path / "returns2"
    returns2.mkdir()
    for path in sorted(sent2.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        who = next(p for p in PARTNERS if p in str(wb.properties.title))
        assert wb.sheetnames.index("Agreed actions") == 1  # before the principles
        assert wb["Agreed actions"]["C5"].value == "Use one referral form"
        start = " ".join(str(c.value) for row in wb["Start"].iter_rows() for c in row if c.value)
        assert "Agreed actions" in start
        for _, q in template.questions:
            named_cell(wb, f"Q_{q.id}").value = "Disagree"
        for action_id, (status, comment) in typed[who].items():
            named_cell(wb, f"ACTION_STATUS_{action_id}").value = status
            if comment:
                named_cell(wb, f"ACTION_NOTE_{action_id}").value = comment
        wb.save(returns2 / path.name)

    out = tmp_path / "summary.xlsx"
    result = run("consolidate", returns1, returns2, "-o", out, "--csv", tmp_path / "csv",
                 "--json", tmp_path / "s.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "'Finished!', not one of Done" in result.output  # kept, with a located warning
    # Worked out by hand from the views typed above (Don't know and unknown text aside):
    # referral: Done, Not started, Done -> open, partners disagree;
    # monthly: On track, Behind -> open; spare: Done -> closed.
    (partnership,) = consolidate([returns1, returns2]).partnerships
    progress = {p.action.id: p for p in partnership.rounds[-1].progress}
    assert {k: (p.closed, p.disagree) for k, p in progress.items()} == {
        referral: (False, True),
        monthly: (False, False),
        spare: (True, False),
    }
    with open(tmp_path / "csv" / "actions_progress.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    got = {(r["action_id"], r["partner"]): (r["status"], r["comment"]) for r in rows}
    assert got[(referral, "Riverside Foodbank")] == ("Not started", "We have not seen it")
    assert got[(monthly, "Age UK Riverside")] == ("On track", "")
    assert got[(monthly, "Riverside Foodbank")] == ("Don't know", "")
    assert got[(spare, "Age UK Riverside")] == ("Finished!", "")  # as typed
    assert {r["lead"] for r in rows if r["action_id"] == referral} == {"Ann"}
    # count: 1 for a status from the list (Don't know is one), 0 for a partner who chose
    # none: St Mark's left the spare action blank, Age UK typed "Finished!".
    counts = {(r["action_id"], r["partner"]): r["count"] for r in rows}
    assert counts[(spare, "St Mark's Kitchen")] == "0"
    assert counts[(spare, "Age UK Riverside")] == "0"
    assert counts[(spare, "Riverside Foodbank")] == "1"
    assert counts[(monthly, "Riverside Foodbank")] == "1"
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert [r["count"] for r in data["actions_progress"]] == [int(r["count"]) for r in rows]
    overview = [c.value for row in openpyxl.load_workbook(out)["Overview"].iter_rows()
                for c in row if isinstance(c.value, str)]  # fmt: skip
    assert "Riverside Food Partnership · Spring: Agreed actions: 1 of 3 closed, 1 where " \
        "partners disagree." in overview  # fmt: skip
    sheet = openpyxl.load_workbook(out)["Action progress"]
    flat = [c.value for row in sheet.iter_rows() for c in row]
    assert "differ" in flat
    assert "In use since February" in flat
    # Whether partners differ and whether it is closed stand beside the action, in the
    # columns printed on every page across, never pages away from it.
    header = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "Action id")
    assert header[:5] == ("Action id", "Principle", "Agreed action", "Partners differ", "Closed")

    # Totals only at partnership level: counts, no partner names, no comments.
    result = run("consolidate", returns1, returns2, "-o", tmp_path / "t.xlsx", "--level",
                 "partnership", "--csv", tmp_path / "tcsv")  # fmt: skip
    assert result.exit_code == 0, result.output
    text = (tmp_path / "tcsv" / "actions_progress.csv").read_text(encoding="utf-8-sig")
    assert "Riverside Foodbank" not in text
    assert "We have not seen it" not in text
    with open(tmp_path / "tcsv" / "actions_progress.csv", encoding="utf-8-sig") as f:
        totals = {(r["action_id"], r["status"]): int(r["count"]) for r in csv.DictReader(f)}
    assert totals[(referral, "Done")] == 2
    assert totals[(referral, "Not started")] == 1
    # The views that chose no status are counted apart, as "no answer".
    assert totals[(spare, "Done")] == 1
    assert totals[(spare, "no answer")] == 2

    # The next plan: the open actions first, same ids, already agreed; then new ids.
    plan2 = tmp_path / "plan2.xlsx"
    result = run("plan", returns1, returns2, "-o", plan2)
    assert result.exit_code == 0, result.output
    rows2 = plan_table(plan2)
    assert [(r["id"], r["agreed"], r["agreed action"]) for r in rows2[:2]] == [
        (referral, "Yes", "Use one referral form"),
        (monthly, "Yes", "Meet every month"),
    ]
    assert spare not in [r["id"] for r in rows2]  # closed: not carried
    assert not set(r["id"] for r in rows2[2:]) & set(ids)  # never reused


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("other partnership", "this plan is for the partnership 'another-partnership'"),
        ("nothing agreed", "no row has agreed set to Yes"),
        ("agreed maybe", "cell G5: agreed is 'maybe': choose Yes or No"),
        ("duplicate ids", "cell A6: the id '{first}' is also on row 5"),
        ("renamed header", "cell G4: the column heading is 'agreed?', not 'agreed'"),
        ("agreed without id", "cell A6: an agreed row without an id"),
        ("a return", "this is a couple_xl return, not an action plan"),
    ],
)
def test_a_bad_plan_is_refused_with_its_place(cycle, case, says):
    tmp_path, returns1, plan = cycle
    first = plan_table(plan)[0]["id"]
    bad = tmp_path / "bad.xlsx"
    if case == "a return":
        shutil.copy(next(returns1.iterdir()), bad)
    elif case == "other partnership":
        wb = openpyxl.load_workbook(agree(plan, bad, {first: {"agreed": "Yes"}}))
        meta = wb["_couple"]
        for row in meta.iter_rows():
            if row[0].value == "partnership_id":
                row[1].value = "another-partnership"
        wb.save(bad)
    elif case == "nothing agreed":
        agree(plan, bad, {first: {"agreed": "No"}})
    elif case == "agreed maybe":
        agree(plan, bad, {first: {"agreed": "maybe"}})
    else:
        wb = openpyxl.load_workbook(agree(plan, bad, {first: {"agreed": "Yes"}}))
        ws = wb["Plan"]
        if case == "duplicate ids":
            ws["A6"] = first
        elif case == "renamed header":
            ws["G4"] = "agreed?"
        elif case == "agreed without id":
            ws["A6"], ws["G6"] = None, "Yes"
        wb.save(bad)
    out = tmp_path / "round2"
    result = run("new", "Riverside Food Partnership", "--partner", "A", "--out", out,
                 "--plan", bad)  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert str(bad) in result.output
    assert says.format(first=first) in result.output
    assert not out.exists() or not any(out.iterdir())


def test_plan_exits_1_when_a_file_is_rejected_and_still_writes(cycle):
    tmp_path, returns1, _ = cycle
    (returns1 / "broken.xlsx").write_bytes(b"PK\x03\x04 cut short")
    result = run("plan", returns1, "-o", tmp_path / "p.xlsx")
    assert result.exit_code == 1
    assert "rejected: " in result.output
    assert (tmp_path / "p.xlsx").exists()


def test_a_round_dated_like_the_last_never_reuses_a_closed_actions_id(cycle, template):
    # Ids are a<round date>_<n>. A second round on the same date as the first, whose
    # only closed action was the fourth id, must give its new rows other ids.
    tmp_path, returns1, plan = cycle
    ids = [r["id"] for r in plan_table(plan)]
    referral, spare = ids[0], ids[3]
    agreed = agree(plan, tmp_path / "agreed.xlsx", {
        referral: {"agreed": "Yes"},
        spare: {"agreed": "Yes", "principle": "outcomes", "agreed action": "Write a joint bid"},
    })  # fmt: skip
    sent2, _ = send_round_two(tmp_path, agreed, ROUND_1)
    returns2 = tmp_path / "returns2"
    returns2.mkdir()
    for path in sorted(sent2.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        for _, q in template.questions:
            named_cell(wb, f"Q_{q.id}").value = "Agree"
        named_cell(wb, f"ACTION_STATUS_{referral}").value = "Behind"
        named_cell(wb, f"ACTION_STATUS_{spare}").value = "Done"
        wb.save(returns2 / path.name)
    plan2 = tmp_path / "plan2.xlsx"
    result = run("plan", returns1, returns2, "-o", plan2)
    assert result.exit_code == 0, result.output
    rows2 = plan_table(plan2)
    assert rows2[0]["id"] == referral  # open: carried under its id
    new_ids = [r["id"] for r in rows2[1:]]
    assert spare not in new_ids
    assert referral not in new_ids
    assert len(set(new_ids)) == len(new_ids) >= 5


# --- action ids: from the round's own id and the suggestion, never from a row ----------


def _returns(template, sent, folder: Path, suggested: dict) -> Path:
    folder.mkdir(exist_ok=True)
    for w in sent.workbooks:
        if w.partner in suggested:
            fill(w.path, folder / f"{w.partner}.xlsx", {q.id: 3 for _, q in template.questions},
                 actions=suggested[w.partner])  # fmt: skip
    return folder


def test_two_rounds_on_one_date_never_share_an_action_id(tmp_path, template):
    # Both rounds default their date (and so their label) to today, as in the issue.
    each = [x for p in PARTNERS for x in ("--partner", p)]
    ids = []
    for n in (1, 2):
        sent = tmp_path / f"sent{n}"
        result = run("new", "Riverside Food Partnership", *each, "--out", sent)
        assert result.exit_code == 0, result.output
        books = sorted(sent.glob("*.xlsx"))
        returns = tmp_path / f"returns{n}"
        returns.mkdir()
        for book, (_, actions) in zip(books, sorted(SUGGESTED.items())):
            actions = {p: [[f"{text} ({n})", *rest] for text, *rest in rows]
                       for p, rows in actions.items()}  # fmt: skip
            fill(book, returns / book.name, {q.id: 3 for _, q in template.questions},
                 actions=actions)  # fmt: skip
        result = run("plan", returns, "-o", tmp_path / f"plan{n}.xlsx")
        assert result.exit_code == 0, result.output
        rows = plan_table(tmp_path / f"plan{n}.xlsx")
        today = dt.date.today()
        assert all(r["id"].startswith(f"a{today:%Y%m%d}_") for r in rows)
        ids.append({r["id"].lower() for r in rows})
    assert len(ids[0]) == len(ids[1]) == 8  # three suggestions and five spare rows each
    assert not ids[0] & ids[1]  # not even a spare row's


def test_a_late_return_shifts_no_id(tmp_path, template):
    sent = generate(tmp_path / "sent", partners=PARTNERS, round_label="Autumn",
                    round_date=ROUND_1)  # fmt: skip
    early = {p: SUGGESTED[p] for p in ("Riverside Foodbank", "St Mark's Kitchen")}
    returns = _returns(template, sent, tmp_path / "returns", early)
    assert run("plan", returns, "-o", tmp_path / "before.xlsx").exit_code == 0

    def by_suggestion(rows) -> dict[tuple[str, str], str]:
        """Row ids by principle and suggestion (case and spacing aside), spare rows by
        their place among the spare rows."""
        spare = iter(range(1, 100))
        return {(r["principle"], " ".join(r["suggested action"].lower().split())
                 if r["suggested action"] else f"spare {next(spare)}"): r["id"]
                for r in rows}  # fmt: skip

    before = by_suggestion(plan_table(tmp_path / "before.xlsx"))
    # Age UK's return arrives late, with a suggestion under an earlier principle than
    # any before (so it comes first in the plan) and one the Foodbank made too.
    late = {"Age UK Riverside": {
        "commitment": [["Sign the partnership agreement again", "", ""]],
        "processes": [["Agree a referral form", "", ""]],
    }}  # fmt: skip
    _returns(template, sent, returns, late)
    assert run("plan", returns, "-o", tmp_path / "after.xlsx").exit_code == 0
    rows = plan_table(tmp_path / "after.xlsx")
    after = by_suggestion(rows)
    assert rows[0]["suggested action"] == "Sign the partnership agreement again"
    assert len(before) == 7  # two suggestions and five spare rows
    assert {k: after[k] for k in before} == before  # every one keeps its id
    round_id = round_id_of(tmp_path / "sent")
    assert rows[0]["id"] == expected_id(
        ROUND_1, round_id, "commitment\nsign the partnership agreement again"
    )


def test_returns_and_manifests_from_before_round_ids_derive_one(tmp_path, template):
    """A round sent before rounds had ids: its returns and manifest carry none, so each
    derives it from the partnership, the label and the creation time they share."""
    sent = generate(tmp_path / "sent", partners=PARTNERS[:2], round_label="Autumn",
                    round_date=ROUND_1)  # fmt: skip
    manifest = json.loads(sent.manifest.read_text(encoding="utf-8"))
    assert manifest["round_id"] == sent.round_id
    del manifest["round_id"]
    sent.manifest.write_text(json.dumps(manifest), encoding="utf-8")
    returns = tmp_path / "returns"
    returns.mkdir()
    for w in sent.workbooks:
        answers = {q.id: 3 for _, q in template.questions}
        actions = {"outcomes": [["Share the figures", "", ""]]}
        path = fill(w.path, returns / f"{w.partner}.xlsx", answers, actions=actions)
        wb = openpyxl.load_workbook(path)
        assert custom_properties(wb)["couple.round_id"] == sent.round_id
        wb.custom_doc_props.props = [p for p in wb.custom_doc_props.props
                                     if p.name != "couple.round_id"]  # fmt: skip
        for row in wb["_couple"].iter_rows():
            if row[0].value == "round_id":
                row[0].value = row[1].value = None
        wb.save(path)
    created = dt.datetime.fromisoformat(manifest["created"].replace("Z", "+00:00"))
    text = f"couple_xl round\nriverside-food-partnership\nAutumn\n{created.isoformat()}"
    derived = hashlib.sha256(text.encode()).hexdigest()[:32]
    result = consolidate([returns, sent.manifest])
    assert [f.verdict for f in result.files] == ["accepted"] * 2, [
        str(x) for f in result.files for x in f.findings
    ]
    assert {r.meta.round_id for r in result.records} == {derived}
    (partnership,) = result.partnerships
    assert partnership.rounds[0].manifest.round_id == derived
    assert run("plan", returns, sent.manifest, "-o", tmp_path / "plan.xlsx").exit_code == 0
    first = plan_table(tmp_path / "plan.xlsx")[0]
    assert first["id"] == expected_id(ROUND_1, derived, "outcomes\nshare the figures")


# --- the plan as the meeting fills it in ----------------------------------------------


def test_the_cells_to_fill_in_are_marked_as_the_workbooks_mark_theirs(cycle):
    _, _, plan = cycle
    ws = openpyxl.load_workbook(plan)["Plan"]
    col = {h: i for i, h in enumerate(PLAN_COLUMNS, start=1)}
    rows = plan_table(plan)
    for n, row in enumerate(rows, start=5):
        spare = not row["suggested action"]
        for heading in PLAN_COLUMNS:
            cell = ws.cell(n, col[heading])
            typed = heading in ("agreed", "agreed action", "lead", "due") or (
                spare and heading == "principle"
            )
            fill_colour = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
            assert (fill_colour == "FF" + INPUT_COLOUR) is typed, (cell.coordinate, heading)
            assert (cell.border.left.style == "thin") is typed, cell.coordinate
            if typed:
                assert cell.border.left.color.rgb == "FF" + BORDER_COLOUR
    assert "the yellow cells are yours to fill in" in ws["A2"].value
    assert not ws.merged_cells.ranges  # screen readers lose their place in merged cells


def test_principles_are_shown_by_name_and_read_back_by_id(cycle):
    tmp_path, _, plan = cycle
    ids = [r["id"] for r in plan_table(plan)]
    spare = ids[3:]
    good = agree(plan, tmp_path / "good.xlsx", {
        spare[0]: {"agreed": "Yes", "principle": "Outcomes", "agreed action": "A joint bid"},
        spare[1]: {"agreed": "Yes", "principle": "  understanding ", "agreed action": "Visit"},
        spare[2]: {"agreed": "Yes", "principle": "execution", "agreed action": "Review"},
        ids[0]: {"agreed": "Yes"},  # shows "Processes"
    })  # fmt: skip
    actions = {a.id: a.principle_id for a in read_plan(good).actions}
    assert actions == {ids[0]: "processes", spare[0]: "outcomes", spare[1]: "understanding",
                       spare[2]: "execution"}  # fmt: skip
    bad = agree(plan, tmp_path / "bad.xlsx", {
        spare[0]: {"agreed": "Yes", "principle": "Outcome", "agreed action": "A joint bid"},
    })  # fmt: skip
    with pytest.raises(PlanError) as info:
        read_plan(bad)
    assert str(info.value) == (
        f"{bad}: sheet 'Plan': cell B8: the principle 'Outcome' is not one of Commitment, "
        "Outcomes, Understanding, Processes, Leadership, Execution: choose one from the list"
    )


@pytest.mark.parametrize(
    ("typed", "due"),
    [
        (dt.datetime(2027, 6, 30), "2027-06-30"),  # a date cell, as Excel stores a date
        ("30 June 2027", "2027-06-30"),
        ("June 30, 2027", "2027-06-30"),
        ("31/07/2027", "2027-07-31"),
        ("2027-07-31", "2027-07-31"),
        ("next board meeting", "next board meeting"),  # not a date: kept as typed
        ("September", "September"),
        ("", ""),
    ],
)
def test_a_due_date_is_a_date_and_other_words_are_kept(cycle, typed, due):
    tmp_path, _, plan = cycle
    first = plan_table(plan)[0]["id"]
    agreed = agree(plan, tmp_path / "agreed.xlsx", {first: {"agreed": "Yes", "due": typed}})
    (action,) = read_plan(agreed).actions
    assert action.due == due


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("03/04/2027", "the due date '03/04/2027' is ambiguous: it could be 3 April 2027 or "
                       "4 March 2027. Write it as YYYY-MM-DD, for example 2027-04-03"),
        ("31/07/27", "the due date '31/07/27' cannot be read for certain: write it as "
                     "YYYY-MM-DD"),
        ("31 June 2027", "the due date '31 June 2027' is not a real date"),
    ],
)  # fmt: skip
def test_a_due_date_that_could_be_misread_is_refused_with_its_cell(cycle, typed, says):
    tmp_path, _, plan = cycle
    first = plan_table(plan)[0]["id"]
    agreed = agree(plan, tmp_path / "agreed.xlsx", {first: {"agreed": "Yes", "due": typed}})
    with pytest.raises(PlanError) as info:
        read_plan(agreed)
    assert str(info.value).startswith(f"{agreed}: sheet 'Plan': cell J5: {says}")


def test_due_dates_are_words_in_the_workbooks_and_iso_in_the_exports(cycle, template):
    tmp_path, _, plan = cycle
    ids = [r["id"] for r in plan_table(plan)]
    agreed = agree(plan, tmp_path / "agreed.xlsx", {
        ids[0]: {"agreed": "Yes", "due": "31/07/2027"},
        ids[1]: {"agreed": "Yes", "due": dt.datetime(2027, 6, 30)},
        ids[2]: {"agreed": "Yes", "due": "next board meeting"},
    })  # fmt: skip
    sent2, _ = send_round_two(tmp_path, agreed, ROUND_2)
    returns2 = tmp_path / "returns2"
    returns2.mkdir()
    for n, path in enumerate(sorted(sent2.glob("*.xlsx"))):
        wb = openpyxl.load_workbook(path)
        shown = [wb["Agreed actions"].cell(r, 5).value for r in (5, 6, 7)]
        assert shown == ["31 July 2027", "30 June 2027", "next board meeting"]
        for _, q in template.questions:
            named_cell(wb, f"Q_{q.id}").value = "Agree"
        named_cell(wb, f"ACTION_STATUS_{ids[0]}").value = "Behind" if n else "Done"
        wb.save(returns2 / path.name)
    csv_dir = tmp_path / "csv"
    result = run("consolidate", returns2, "-o", tmp_path / "s.xlsx", "--csv", csv_dir,
                 "--json", tmp_path / "s.json")  # fmt: skip
    assert result.exit_code == 0, result.output
    with open(csv_dir / "actions_progress.csv", encoding="utf-8-sig") as f:
        due = {r["action_id"]: r["due"] for r in csv.DictReader(f)}
    assert due == {ids[0]: "2027-07-31", ids[1]: "2027-06-30", ids[2]: "next board meeting"}
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert {r["action_id"]: r["due"] for r in data["actions_progress"]} == due
    sheet = openpyxl.load_workbook(tmp_path / "s.xlsx")["Action progress"]
    flat = [c.value for row in sheet.iter_rows() for c in row]
    assert "31 July 2027" in flat
    assert "2027-07-31" not in flat
    # The next plan carries the open actions with their dates, as dates.
    plan2 = tmp_path / "plan2.xlsx"
    assert run("plan", returns2, "-o", plan2).exit_code == 0
    carried = {r["id"]: r["due"] for r in plan_table(plan2) if r["agreed"] == "Yes"}
    assert carried[ids[0]] == dt.datetime(2027, 7, 31)
    assert carried[ids[2]] == "next board meeting"
    # …and read back as they were agreed.
    assert {a.id: a.due for a in read_plan(plan2).actions} == due


def test_a_round_with_no_counted_return_and_no_manifest_has_nothing_to_plan(tmp_path):
    sent = generate(tmp_path / "sent", partners=["Alpha"])
    copies = tmp_path / "copies"
    copies.mkdir()
    shutil.copy(sent.workbooks[0].path, copies / "alpha.xlsx")  # as sent: not counted
    result = run("plan", copies, "-o", tmp_path / "plan.xlsx")
    assert result.exit_code == 1
    assert "Error: no return of round '2026-10-01' counts yet, so there is nothing to plan" in (
        result.output
    )
    assert not (tmp_path / "plan.xlsx").exists()
    # With the manifest, the round has its id: a plan of spare rows only.
    result = run("plan", copies, sent.manifest, "-o", tmp_path / "plan.xlsx")
    assert result.exit_code == 0, result.output
    ids = [r["id"] for r in plan_table(tmp_path / "plan.xlsx")]
    assert ids == [expected_id(ROUND_DATE, sent.round_id, f"spare\n{n}") for n in range(1, 6)]


def test_a_cell_left_to_fill_in_is_blank_not_an_empty_string(cycle):
    """An empty string becomes a text cell with no text once another app saves the
    plan (openpyxl writes it as an inline string with no string), which Excel's file
    rules do not expect; a blank cell stays blank."""
    _, _, plan = cycle
    with zipfile.ZipFile(plan) as z:
        strings = re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode(), re.S)
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    used = [int(i) for i in re.findall(r'<c [^>]*t="s"[^>]*><v>(\d+)</v>', sheet)]
    empty = [strings[i] for i in used if re.fullmatch(r"<t[^>]*>\s*</t>|<t/>", strings[i])]
    assert not empty
    # The rows to fill in are still there, as styled blank cells.
    assert re.search(r'<c r="I5" s="\d+"/>', sheet)
