"""Consolidation: round trips, every awkward kind of return, and the outputs."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl import messages as say
from couple_xl.cli import main
from couple_xl.consolidate import ACCEPTED, REJECTED, SKIPPED, WARNINGS, consolidate
from couple_xl.pipeline import ConsolidateOptions, run_consolidate
from couple_xl.returns import read_return
from tests import libreoffice
from tests.helpers import fill, generate, hand_scores, named_cell, random_answers

TRICKY_TEXT = [
    "=SUM(A1:A3)",
    "+44 7700 900123",
    "-5 is what we'd say",
    "@everyone please read",
    "  leading and trailing spaces  ",
    "Line one\nline two",
    "Café, naïve, 日本語, emoji 🙂",
    "Don\u2019t know why \u201cthis\u201d happens",
]


def summary_values(path: Path, sheet: str) -> list[list]:
    wb = openpyxl.load_workbook(path)
    try:
        return [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


@pytest.fixture
def round1(tmp_path):
    return generate(
        tmp_path / "sent",
        partners=["Age UK Riverside", "Riverside Foodbank", "St Mark's Kitchen"],
        round_label="Round 1",
    )


# --- round trip ---------------------------------------------------------------------


def test_round_trip_keeps_everything_typed(tmp_path, round1, template):
    rng = random.Random(7)
    returns = tmp_path / "returns"
    returns.mkdir()
    typed: dict[str, tuple[dict, dict]] = {}
    for i, w in enumerate(round1.workbooks):
        answers = random_answers(template, rng)
        qids = list(answers)
        comments = {qids[(i * 5 + k) % len(qids)]: t for k, t in enumerate(TRICKY_TEXT)}
        actions = {"processes": [("=Agree a referral form", "@ops lead", "31/01/2027")]}
        fill(
            w.path,
            returns / f"reply {i}.xlsx",
            answers,
            comments,
            (f"Person {i}", "Manager"),
            actions,
        )
        typed[w.partner] = (answers, comments)
    out = tmp_path / "summary.xlsx"
    outcome = run_consolidate(
        ConsolidateOptions(
            paths=[returns, round1.manifest],
            output=out,
            json_path=tmp_path / "s.json",
            csv_dir=tmp_path / "csv",
        )
    )
    assert outcome.ok
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    (partnership,) = data["partnerships"]
    (round_,) = partnership["rounds"]
    assert round_["returned"] == round_["expected"] == 3
    for partner in round_["partners"]:
        answers, comments = typed[partner["partner"]]
        (respondent,) = partner["respondents"]
        for qid, value in answers.items():
            stored = respondent["answers"].get(qid, {}).get("answer")
            assert stored == value, (partner["partner"], qid)
        for qid, text in comments.items():
            assert respondent["answers"][qid]["comment"] == text
        assert respondent["actions"] == [
            {
                "principle": "processes",
                "action": "=Agree a referral form",
                "owner": "@ops lead",
                "by_when": "31/01/2027",
            }
        ]
        # Scores equal a second scorer's, written apart from the engine (tests/helpers.py).
        for pid, expected in hand_scores(template, answers).items():
            assert partner["principles"][pid]["score"] == pytest.approx(expected)

    # The summary holds the same text, as text (never turned into formulas).
    questions = summary_values(out, "Questions")
    flat = [v for row in questions for v in row if v is not None]
    for answers, comments in typed.values():
        for text in comments.values():
            assert text in flat
        for value in answers.values():
            assert value is None or value in flat
    data_rows = summary_values(out, "Data")
    header, rows = data_rows[0], data_rows[1:]
    col = {name: header.index(name) for name in header}
    for row in rows:
        answers, comments = typed[row[col["Partner"]]]
        assert row[col["Answer"]] == answers[row[col["Question id"]]]
        assert row[col["Comment"]] in ("", None, comments.get(row[col["Question id"]]))
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        for r in ws.iter_rows():
            for c in r:
                if isinstance(c.value, str) and c.value in TRICKY_TEXT:
                    assert c.data_type == "s", (ws.title, c.coordinate)

    # CSV: UTF-8 with a BOM, formula-like text escaped with a leading apostrophe.
    raw = (tmp_path / "csv" / "answers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(tmp_path / "csv" / "answers.csv", encoding="utf-8-sig", newline="") as f:
        csv_rows = list(csv.DictReader(f))
    comments_csv = {r["comment"] for r in csv_rows if r["comment"]}
    assert "'=SUM(A1:A3)" in comments_csv
    assert "'+44 7700 900123" in comments_csv
    assert "'@everyone please read" in comments_csv
    assert "Café, naïve, 日本語, emoji 🙂" in comments_csv


@pytest.mark.libreoffice
def test_round_trip_through_libreoffice(tmp_path, round1, template, uno):
    """Re-saved by LibreOffice, and restructured through UNO as a partner would."""
    first, second, _third = round1.workbooks
    resaved_answers = {
        "commitment_choice": "4 – Agree",
        "outcomes_purpose": "N/A",
        "execution_plan": "strongly disagree",
    }
    filled = fill(
        first.path,
        tmp_path / "first.xlsx",
        resaved_answers,
        {"commitment_choice": "Typed in Excel"},
        ("Ann", "Lead"),
    )
    (resaved,) = libreoffice.recalculate([filled], tmp_path / "lo")

    typed = {
        "commitment_choice": ("type", "2"),
        "commitment_values": ("type", "Agree"),
        "outcomes_gains": ("type_text", " 5 "),
        "leadership_roles": ("type", "dk"),
        "execution_sustain": ("type", "bogus"),
    }
    ops = [
        {"op": "insert_rows", "sheet": "Commitment", "before": 5, "count": 3},
        {"op": "insert_columns", "sheet": "Leadership", "before": 2, "count": 2},
        {"op": "rename_sheet", "sheet": "Outcomes", "to": "Outcomes (ours)"},
        {"op": "move_sheet", "sheet": "Summary", "to_index": 0},
    ] + [{"op": kind, "name": f"Q_{qid}", "text": text} for qid, (kind, text) in typed.items()]
    # Text that looks like the file format's own character escapes must survive too.
    ops.append({"op": "type_text", "name": "N_outcomes_gains", "text": "see _x0041_ & <b>"})
    restructured = tmp_path / "restructured.xlsx"
    libreoffice.uno_edit([{"input": str(second.path), "output": str(restructured), "ops": ops}])

    returns = tmp_path / "returns"
    returns.mkdir()
    shutil.copy(resaved, returns / "first.xlsx")
    shutil.copy(restructured, returns / "second.xlsx")
    result = consolidate([returns])
    by_partner = {r.meta.partner: r for r in result.records}
    a = by_partner[first.partner]
    assert {k: v for k, v in a.answers.items() if v is not None} == resaved_answers
    assert a.comments == {"commitment_choice": "Typed in Excel"}
    assert a.respondent_name == "Ann"
    b = by_partner[second.partner]
    expected = {
        "commitment_choice": 2,
        "commitment_values": "Agree",
        "outcomes_gains": " 5 ",
        "leadership_roles": "dk",
        "execution_sustain": "bogus",
    }
    assert {k: v for k, v in b.answers.items() if v is not None} == expected
    assert b.comments == {"outcomes_gains": "see _x0041_ & <b>"}
    assert b.cells["commitment_values"] == "Commitment!C9"
    assert b.cells["outcomes_gains"].startswith("Outcomes (ours)!")
    assert b.cells["leadership_roles"] == "Leadership!E6"
    assert b.assessment.principles["execution"].invalid[0].question_id == "execution_sustain"
    log = {f.path.name: f for f in result.files}
    assert log["second.xlsx"].verdict == WARNINGS
    assert any("execution_sustain is not on the scale" in m for m in log["second.xlsx"].messages())
    for record in (a, b):
        for pid, expected in hand_scores(template, record.answers).items():
            assert record.assessment.principles[pid].score == pytest.approx(expected)


def test_answers_found_by_hidden_id_when_names_are_lost(tmp_path, round1, template):
    """Apps that drop defined names (or a partner who deletes them) still work."""
    source = fill(
        round1.workbooks[0].path,
        tmp_path / "a.xlsx",
        {"commitment_choice": 5, "leadership_roles": "Agree"},
        {"leadership_roles": "see minutes"},
    )
    wb = openpyxl.load_workbook(source)
    for name in [n for n in wb.defined_names if n.startswith(("Q_", "N_"))]:
        del wb.defined_names[name]
    wb.save(source)
    record = read_return(source)
    assert record.answers["commitment_choice"] == 5
    assert record.answers["leadership_roles"] == "Agree"
    assert record.comments == {"leadership_roles": "see minutes"}
    assert any("found by its hidden id" in w.message for w in record.warnings)


# --- the awkward cases ----------------------------------------------------------------


def _answers(template, value) -> dict:
    return {q.id: value for _, q in template.questions}


def test_missing_partner_partial_and_empty_returns(tmp_path, round1, template):
    a, b, c = round1.workbooks
    returns = tmp_path / "returns"
    returns.mkdir()
    partial = {q.id: 4 for _, q in template.questions[:5]}
    fill(a.path, returns / "a.xlsx", _answers(template, "Agree"), respondent=("Ann", ""))
    fill(b.path, returns / "b.xlsx", partial, respondent=("Bob", ""))
    shutil.copy(c.path, returns / "c-empty.xlsx")  # sent back untouched
    result = consolidate([returns, round1.manifest])
    (p,) = result.partnerships
    (r,) = p.rounds
    assert set(r.partners) == {a.partner, b.partner}
    assert [m.partner for m in r.missing] == [c.partner]
    assert r.expected == 3
    log = {f.path.name: f for f in result.files}
    assert log["c-empty.xlsx"].counted is False
    assert log["c-empty.xlsx"].messages() == [
        "as sent: nothing typed in it; not counted: the partner stays on the chase list "
        "until a filled copy arrives"
    ]
    assert log["c-empty.xlsx"].verdict == ACCEPTED
    bob = r.partners[b.partner]
    assert bob.principles["commitment"].score == 4.0
    assert bob.principles["commitment"].provisional is False  # 4 of 4
    assert bob.principles["outcomes"].provisional is True  # 1 of 4
    assert bob.principles["execution"].score is None
    assert bob.overall_provisional is True


def test_duplicates_resends_and_colleagues(tmp_path, round1, template):
    a, b, c = round1.workbooks
    returns = tmp_path / "returns"
    returns.mkdir()
    # Partner A: the same file twice (a duplicate).
    fill(a.path, returns / "a.xlsx", _answers(template, 4), respondent=("Ann", ""))
    shutil.copy(returns / "a.xlsx", returns / "a copy.xlsx")
    # Partner B: a corrected re-send by the same respondent.
    old = fill(b.path, returns / "b-first.xlsx", _answers(template, 1), respondent=("Bob", ""))
    new = fill(b.path, returns / "b-fixed.xlsx", _answers(template, 3), respondent=("bob ", ""))
    _set_saved(old, dt.datetime(2026, 10, 5, 9, 0))
    _set_saved(new, dt.datetime(2026, 10, 6, 9, 0))
    # Partner C: two colleagues answered copies of the same workbook.
    fill(c.path, returns / "c-cara.xlsx", _answers(template, 5), respondent=("Cara", ""))
    fill(c.path, returns / "c-dev.xlsx", _answers(template, 2), respondent=("Dev", ""))
    result = consolidate([returns])
    log = {f.path.name: f for f in result.files}
    assert [log["a.xlsx"].counted, log["a copy.xlsx"].counted] == [True, False]
    assert log["a copy.xlsx"].messages()[0].startswith("duplicate of a.xlsx")
    assert log["b-first.xlsx"].counted is False
    assert "superseded by b-fixed.xlsx" in log["b-first.xlsx"].messages()[0]
    assert log["b-fixed.xlsx"].counted is True
    for name in ("c-cara.xlsx", "c-dev.xlsx"):
        assert log[name].counted is True
        assert "possible duplicate, check" in log[name].messages()[-1]
    assert all(f.verdict in (ACCEPTED, WARNINGS) for f in log.values())
    (r,) = result.partnerships[0].rounds
    assert r.partners[b.partner].principles["leadership"].score == 3.0
    kitchen = r.partners[c.partner]
    assert len(kitchen.respondents) == 2
    assert kitchen.principles["leadership"].score == 3.5  # mean of the colleagues, n=2
    assert kitchen.principles["leadership"].n == 2


def _set_saved(path: Path, when: dt.datetime) -> None:
    wb = openpyxl.load_workbook(path)
    wb.properties.modified = when
    wb.save(path)


def test_multiple_rounds_give_a_trend(tmp_path, template):
    partners = ["A", "B"]
    r1 = generate(
        tmp_path / "r1", partners=partners, round_label="Spring", round_date=dt.date(2026, 4, 1)
    )
    r2 = generate(
        tmp_path / "r2", partners=partners, round_label="Autumn", round_date=dt.date(2026, 10, 1)
    )
    returns = tmp_path / "returns"
    returns.mkdir()
    for i, (w1, w2) in enumerate(zip(r1.workbooks, r2.workbooks)):
        fill(w1.path, returns / f"s{i}.xlsx", _answers(template, 2))
        fill(w2.path, returns / f"t{i}.xlsx", _answers(template, 4 + i))
    result = consolidate([returns])
    (p,) = result.partnerships
    assert [r.round for r in p.rounds] == ["Spring", "Autumn"]
    overall = {(t.partner, t.principle_id): t for t in p.trend}
    assert overall[("", "commitment")].scores == {"Spring": 2.0, "Autumn": 4.5}
    assert overall[("", "commitment")].change == 2.5
    assert overall[("B", "execution")].change == 3.0
    out = tmp_path / "summary.xlsx"
    run_consolidate(ConsolidateOptions(paths=[returns], output=out))
    trend = summary_values(out, "Trend")
    assert ["Partner", "Principle", "Spring", "Autumn", "Change"] in trend


def test_rejections_are_located(tmp_path, round1, template):
    returns = tmp_path / "returns"
    returns.mkdir()
    plain = openpyxl.Workbook()
    plain.save(returns / "not-ours.xlsx")
    (returns / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (returns / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 legacy")
    (returns / "from-numbers.ods").write_bytes(b"PK")
    (returns / "~$a.xlsx").write_bytes(b"lock")
    (returns / "notes.txt").write_text("hello")
    edited = fill(round1.workbooks[0].path, returns / "edited.xlsx", {"commitment_choice": 4})
    wb = openpyxl.load_workbook(edited)
    ws = wb["_couple"]
    for row in ws.iter_rows(min_row=3):
        if row[0].value == "return_id":
            row[1].value = "0" * 32
    wb.save(edited)
    result = consolidate([returns])
    log = {f.path.name: f for f in result.files}
    assert log["not-ours.xlsx"].verdict == REJECTED
    (finding,) = log["not-ours.xlsx"].findings
    assert finding.location.file == returns / "not-ours.xlsx"
    assert finding.message.startswith("not a couple_xl return: it has no couple_xl metadata")
    assert "damaged or cut short" in log["broken.xlsx"].messages()[0]
    assert (
        "old-style Excel file (.xls): open it and save it as an Excel workbook"
        in (log["old.xls"].messages()[0])
    )
    # Content first: two bytes of a zip are a zip cut short, whatever the name says.
    assert log["from-numbers.ods"].messages() == [say.CUT_SHORT.format(kind=".ods")]
    assert log["~$a.xlsx"].verdict == SKIPPED
    assert log["notes.txt"].verdict == SKIPPED
    assert log["edited.xlsx"].verdict == REJECTED
    (edited_finding,) = log["edited.xlsx"].findings
    assert "disagree on return_id" in edited_finding.message
    assert edited_finding.location.file == returns / "edited.xlsx"
    assert edited_finding.location.sheet == "_couple"


def test_incompatible_template_is_rejected(tmp_path, template):
    data = json.loads(template.to_json())
    data["id"], data["principles"] = "short", data["principles"][:2]
    custom = tmp_path / "short.json"
    custom.write_text(json.dumps(data), encoding="utf-8")
    from couple_xl.templates import resolve_template

    std = generate(tmp_path / "std", partners=["A", "B"], round_label="R")
    short = generate(
        tmp_path / "short", partners=["C"], round_label="R", template=resolve_template(str(custom))
    )
    returns = tmp_path / "returns"
    returns.mkdir()
    for w in [*std.workbooks, *short.workbooks]:
        fill(w.path, returns / w.path.name, {"commitment_choice": 4})
    result = consolidate([returns])
    log = {f.path.name: f for f in result.files}
    rejected = [f for f in log.values() if f.verdict == REJECTED]
    assert [f.record.meta.partner for f in rejected] == ["C"]
    assert (
        "principles commitment, outcomes instead of commitment, outcomes, understanding"
        in (rejected[0].messages()[-1])
    )


def test_edited_cached_score_is_flagged(tmp_path, round1, template):
    path = fill(
        round1.workbooks[0].path, tmp_path / "x.xlsx", {q.id: 2 for _, q in template.questions}
    )
    wb = openpyxl.load_workbook(path)
    named_cell(wb, "SCORE_commitment").value = 4.9  # a formula overwritten by a number
    wb.save(path)
    record = read_return(path)
    assert record.assessment.principles["commitment"].score == 2.0
    assert any(
        "shows 4.90 for commitment but its answers score 2.00" in w.message for w in record.warnings
    )


def test_partnership_filter(tmp_path, template):
    # What --anonymise and --level leave out of every output: tests/test_audience.py.
    one = generate(tmp_path / "one", partners=["A"], partnership_name="One")
    two = generate(tmp_path / "two", partners=["B"], partnership_name="Two")
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(one.workbooks[0].path, returns / "a.xlsx", {"commitment_choice": 4})
    fill(two.workbooks[0].path, returns / "b.xlsx", {"commitment_choice": 2})
    out = tmp_path / "s.xlsx"
    outcome = run_consolidate(ConsolidateOptions(paths=[returns], output=out, partnership="one"))
    assert [p.partnership_id for p in outcome.result.partnerships] == ["one"]
    log = {f.path.name: f for f in outcome.result.files}
    assert log["b.xlsx"].verdict == SKIPPED
    assert log["b.xlsx"].messages() == ["partnership two, not one"]
    sheets = openpyxl.load_workbook(out).sheetnames
    assert [name for name in sheets if name in ("One", "Two")] == ["One"]  # its own sheet


# --- the command line -----------------------------------------------------------------


def test_cli_exit_codes_and_strict(tmp_path, round1, template):
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(round1.workbooks[0].path, returns / "good.xlsx", _answers(template, 4))
    runner = CliRunner()
    out = tmp_path / "s.xlsx"
    ok = runner.invoke(main, ["consolidate", str(returns), "-o", str(out), "--quiet"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.endswith(f"1 return(s) counted, 0 rejected. Wrote:\n  {out}\n")

    (returns / "bad.xlsx").write_bytes(b"garbage")
    out2 = tmp_path / "s2.xlsx"
    bad = runner.invoke(main, ["consolidate", str(returns), "-o", str(out2), "--quiet"])
    assert bad.exit_code == 1
    assert f"rejected: {returns / 'bad.xlsx'}: {say.TEXT}" in bad.output
    assert out2.exists()
    out3 = tmp_path / "s3.xlsx"
    strict = runner.invoke(main, ["consolidate", str(returns), "-o", str(out3), "--strict"])
    assert strict.exit_code == 1
    assert strict.output.endswith("1 file(s) rejected and --strict is set: nothing written.\n")
    assert not out3.exists()

    usage = runner.invoke(main, ["consolidate", str(returns), "-o", str(tmp_path / "s.csv")])
    assert usage.exit_code == 2
    assert "Error: the summary (-o) must be an .xlsx file" in usage.output


def test_cli_refuses_to_overwrite_an_input(tmp_path, round1, template):
    good = fill(round1.workbooks[0].path, tmp_path / "good.xlsx", _answers(template, 4))
    before = good.read_bytes()
    result = CliRunner().invoke(main, ["consolidate", str(good), "-o", str(good)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {good}: is one of the input files: choose another output name\n"
    )
    assert good.read_bytes() == before


def test_inputs_are_never_modified(tmp_path, round1, template):
    returns = tmp_path / "returns"
    returns.mkdir()
    for i, w in enumerate(round1.workbooks):
        fill(w.path, returns / f"{i}.xlsx", _answers(template, "Agree"))
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in returns.iterdir()}
    run_consolidate(ConsolidateOptions(paths=[returns], output=tmp_path / "s.xlsx"))
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in returns.iterdir()}
    assert after == before


def test_check_command(tmp_path, round1, template):
    good = fill(round1.workbooks[0].path, tmp_path / "good.xlsx", {"commitment_choice": "x"})
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nope")
    runner = CliRunner()
    one = runner.invoke(main, ["check", str(good)])
    assert one.exit_code == 0
    whose = say.WHOSE.format(
        name="Riverside Food Partnership", id="riverside-food-partnership", round="Round 1",
        partner=round1.workbooks[0].partner,
    )  # fmt: skip
    assert one.output == (
        f"accepted with warnings: {good}\n"
        f"    {whose}\n"
        "    warning: sheet 'Commitment', cell C5: answer 'x' to commitment_choice is not on "
        "the scale: not counted; ask the partner to choose an answer from the list\n"
    )
    both = runner.invoke(main, ["check", str(good), str(bad)])
    assert both.exit_code == 1
    # One line for the bad file: the file, what is wrong and what to do; its path once.
    (line,) = [x for x in both.output.splitlines() if str(bad) in x]
    assert line == f"rejected: {bad}: {say.TEXT}"


def test_demo_command(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.endswith(f"Open the summary: {out / 'couple-summary.xlsx'}\n")
    data = json.loads((out / "exports" / "summary.json").read_text(encoding="utf-8"))
    (partnership,) = data["partnerships"]
    spring, autumn = partnership["rounds"]
    assert (spring["returned"], autumn["returned"], autumn["expected"]) == (4, 3, 4)
    assert [m["partner"] for m in autumn["missing"]] == ["Riverside Borough Council"]
    assert any(s["disagree"] for s in autumn["principles"].values())
    answers = [
        a["answer"]
        for p in autumn["partners"]
        for r in p["respondents"]
        for a in r["answers"].values()
    ]
    assert "N/A" in answers
    # Running it again replaces the demo; another folder is never overwritten.
    assert CliRunner().invoke(main, ["demo", "--out", str(out)]).exit_code == 0
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    refused = CliRunner().invoke(main, ["demo", "--out", str(other)])
    assert refused.exit_code == 1
    assert "is not a demo folder" in refused.output
    assert (other / "keep.txt").exists()


def test_rounds_with_different_question_sets_compare_by_principle(tmp_path, template):
    from couple_xl.templates import template_from_data

    data = json.loads(template.to_json())
    data["version"] = "1.1.0"
    commitment = data["principles"][0]["questions"]
    commitment.pop()  # commitment_resources retired
    commitment.append(
        {
            "id": "commitment_time",
            "text": "We give the partnership time.",
            "guidance": "",
            "weight": 1.0,
        }
    )
    newer = template_from_data(data, "v1.1")
    r1 = generate(
        tmp_path / "r1", partners=["A"], round_label="One", round_date=dt.date(2026, 1, 1)
    )
    r2 = generate(
        tmp_path / "r2",
        partners=["A"],
        round_label="Two",
        template=newer,
        round_date=dt.date(2026, 6, 1),
    )
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(
        r1.workbooks[0].path,
        returns / "1.xlsx",
        {"commitment_choice": 2, "commitment_resources": 2},
    )
    fill(r2.workbooks[0].path, returns / "2.xlsx", {"commitment_choice": 4, "commitment_time": 5})
    result = consolidate([returns])
    assert not result.rejected
    (p,) = result.partnerships
    one, two = p.rounds
    assert (one.template.version, two.template.version) == ("1.0.0", "1.1.0")
    assert one.principles["commitment"].mean == 2.0
    assert two.principles["commitment"].mean == 4.5
    (row,) = [t for t in p.trend if t.partner == "" and t.principle_id == "commitment"]
    assert row.change == 2.5
    out = tmp_path / "s.xlsx"
    run_consolidate(ConsolidateOptions(paths=[returns], output=out))
    questions = [r[1] for r in summary_values(out, "Questions")]
    assert "commitment_time" in questions
    assert "commitment_resources" not in questions


@pytest.mark.libreoffice
def test_summary_formulas_match_their_stored_values(tmp_path, round1, template, soffice):
    """A spreadsheet that shows stored values (LibreOffice by default) shows the engine's
    numbers, and recalculating the formulas (through their native fallbacks) agrees."""
    returns = tmp_path / "returns"
    returns.mkdir()
    for i, w in enumerate(round1.workbooks):
        rng = random.Random(i)
        answers = {q.id: rng.choice([1, 2, 3, 4, 5, "N/A"]) for _, q in template.questions}
        fill(w.path, returns / f"{i}.xlsx", answers)
    out = tmp_path / "summary.xlsx"
    outcome = run_consolidate(ConsolidateOptions(paths=[returns], output=out))
    (r,) = outcome.result.partnerships[0].rounds

    def block(path: Path) -> list[list]:
        wb = openpyxl.load_workbook(path, data_only=True)
        ws = wb.worksheets[1]  # the first Compare sheet
        every = [list(row) for row in ws.iter_rows(values_only=True)]
        wb.close()
        header = next(i for i, row in enumerate(every) if row[0] == "Principle")
        rows = every[header + 1 : header + 7]
        return [row[4:8] for row in rows]  # Mean, Spread, SD, Agreement

    stored = block(out)
    for row, principle in zip(stored, template.principles):
        s = r.principles[principle.id]
        assert row[0] == pytest.approx(s.mean)
        assert row[1] == pytest.approx(s.spread)
        assert row[2] == pytest.approx(s.sd)
        assert row[3] == ("Partners disagree" if s.disagree else "Agree")
    (recalculated,) = libreoffice.recalculate([out], tmp_path / "lo")
    for mine, theirs in zip(stored, block(recalculated)):
        assert theirs[:3] == pytest.approx(mine[:3])
        assert theirs[3] == mine[3]


def test_partner_and_partnership_results_by_hand(tmp_path, template):
    """Two colleagues answer for A (all 4s and all 2s), B answers all 5s. By hand: A scores
    (4 + 2) / 2 = 3.0 everywhere, B 5.0; the partnership's mean is (3 + 5) / 2 = 4.0 with
    a spread of 2.0 (partners disagree at 2) and a population SD of 1.0."""
    sent = generate(tmp_path / "sent", partners=["A", "B"])
    a, b = sent.workbooks
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(a.path, returns / "a1.xlsx", _answers(template, 4), respondent=("Ann", ""))
    fill(a.path, returns / "a2.xlsx", _answers(template, 2), respondent=("Amir", ""))
    fill(b.path, returns / "b.xlsx", _answers(template, "5 – Strongly agree"))
    (r,) = consolidate([returns]).partnerships[0].rounds
    partner_a, partner_b = r.partners["A"], r.partners["B"]
    for p in template.principles:
        assert partner_a.principles[p.id].score == 3.0
        assert partner_a.principles[p.id].n == 2
        assert partner_a.principles[p.id].band == "Developing"
        assert partner_b.principles[p.id].score == 5.0
        summary = r.principles[p.id]
        assert (summary.mean, summary.spread, summary.sd) == (4.0, 2.0, 1.0)
        assert summary.disagree is True
        assert summary.band == "Strength"
    assert (partner_a.overall, partner_b.overall, r.overall) == (3.0, 5.0, 4.0)
    assert r.overall_band == "Strength"


def test_writing_hands_back_only_what_it_froze():
    # The outputs are written with the existing objects frozen out of the collector's
    # way. An application that froze objects itself must find them still frozen.
    import gc

    from couple_xl.pipeline import _settled

    assert gc.get_freeze_count() == 0
    with _settled():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with _settled():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_rounds_on_one_date_are_ordered_by_when_they_were_generated(
    tmp_path, template, monkeypatch
):
    # "Round B" was sent at 9:00 and "Round A" at 10:00, on the same round date: A is the
    # later round, although its label sorts first.
    import types

    from couple_xl import generate as generating

    class Clock(dt.datetime):
        moment = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.timezone.utc)

        @classmethod
        def now(cls, tz=None):
            return cls.moment

    monkeypatch.setattr(
        generating, "dt", types.SimpleNamespace(datetime=Clock, timezone=dt.timezone)
    )
    first = generate(tmp_path / "b", template=template, round_label="Round B")
    Clock.moment += dt.timedelta(hours=1)
    second = generate(tmp_path / "a", template=template, round_label="Round A")
    answers = {q.id: "Agree" for _, q in template.questions}
    replies = []
    for sent in (first, second):
        replies.append(fill(sent.workbooks[0].path, tmp_path / f"{sent.round_label}.xlsx", answers))
    # From the returns alone, and from the manifests alone.
    for paths, manifests in ((replies, []), ([], [second.manifest, first.manifest])):
        (partnership,) = consolidate(paths, manifests=manifests).partnerships
        assert [r.round for r in partnership.rounds] == ["Round B", "Round A"]


def _two_rounds_an_hour_apart(tmp_path, template, monkeypatch):
    """Two `new` runs that both default their label to the same date, an hour apart."""
    import types

    from couple_xl import generate as generating

    class Clock(dt.datetime):
        moment = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.timezone.utc)

        @classmethod
        def now(cls, tz=None):
            return cls.moment

    monkeypatch.setattr(
        generating, "dt", types.SimpleNamespace(datetime=Clock, timezone=dt.timezone)
    )
    first = generate(tmp_path / "one", template=template, partners=["A", "B"])
    Clock.moment += dt.timedelta(hours=1)
    second = generate(tmp_path / "two", template=template, partners=["A", "B"])
    return first, second


def test_rounds_sharing_a_label_are_counted_apart_and_told_apart(tmp_path, template, monkeypatch):
    # Two rounds, each with its own returns and manifest, never merged into one because
    # of their label.
    first, second = _two_rounds_an_hour_apart(tmp_path, template, monkeypatch)
    label = first.round_label
    assert second.round_label == label  # the premise: the labels are the same
    low = {q.id: 2 for _, q in template.questions}
    high = {q.id: 5 for _, q in template.questions}
    replies = [
        fill(first.workbooks[0].path, tmp_path / "one-a.xlsx", low),
        fill(second.workbooks[0].path, tmp_path / "two-a.xlsx", high),
        fill(second.workbooks[1].path, tmp_path / "two-b.xlsx", high),
    ]
    result = consolidate(replies, manifests=[first.manifest, second.manifest])
    (partnership,) = result.partnerships
    assert [r.round for r in partnership.rounds] == [label, f"{label} (2)"]
    earlier, later = partnership.rounds
    assert (earlier.returned, earlier.expected) == (1, 2)
    assert (later.returned, later.expected) == (2, 2)
    assert [m.partner for m in earlier.missing] == ["B"]
    assert not later.missing
    assert earlier.overall == pytest.approx(2)
    assert later.overall == pytest.approx(5)
    (note,) = [f for f in result.findings if "rounds labelled" in f.message]
    assert f"'{label}', '{label} (2)'" in note.message
    # Both rounds have a column of their own in the trend.
    overall = {(t.partner, t.principle_id): t.scores for t in partnership.trend}
    assert overall[("", "commitment")] == {label: pytest.approx(2), f"{label} (2)": 5}


# Two long names that differ only after their first 40 characters of slug.
NORTH = "Northfield and Riverside Community Food Partnership for the North Ward"
SOUTH = "Northfield and Riverside Community Food Partnership for the South Ward"


def test_a_partnership_id_made_from_the_first_words_only_is_pointed_out(tmp_path, template):
    north = generate(tmp_path / "north", template=template, partnership_name=NORTH)
    south = generate(tmp_path / "south", template=template, partnership_name=SOUTH)
    # The premise: both long names give one id.
    assert north.partnership_id == south.partnership_id
    for sent in (north, south):
        assert any("--partnership-id" in w and north.partnership_id in w for w in sent.warnings)
    answers = {q.id: 4 for _, q in template.questions}
    replies = [
        fill(north.workbooks[0].path, tmp_path / "north.xlsx", answers),
        fill(south.workbooks[0].path, tmp_path / "south.xlsx", answers),
    ]
    result = consolidate(replies)
    (warning,) = [f for f in result.findings if "named in two or more ways" in f.message]
    assert NORTH in warning.message
    assert SOUTH in warning.message
    # One partnership named alike in every file, and a short name: nothing to say.
    short = generate(tmp_path / "short", template=template)
    assert not any("--partnership-id" in w for w in short.warnings)
    alone = consolidate([fill(short.workbooks[0].path, tmp_path / "s.xlsx", answers)])
    assert not any("named in two or more ways" in f.message for f in alone.findings)


def test_a_partnership_id_given_by_the_coordinator_is_not_warned_about(tmp_path, template):
    sent = generate(tmp_path / "n", template=template, partnership_name=NORTH,
                    partnership_id="north-ward")  # fmt: skip
    assert sent.partnership_id == "north-ward"
    assert not any("--partnership-id" in w for w in sent.warnings)
