"""Whose return it is: `check` names the partnership, round, partner and respondent of
every return it reads, and both commands say when the files belong to several
partnerships; `consolidate` says when a round has no manifest (so no chase list)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from couple_xl import messages as say
from couple_xl.cli import main
from tests.helpers import fill, generate


@pytest.fixture
def two_partnerships(tmp_path, template):
    """Returns of two partnerships in one folder, and the folders the rounds were sent from."""
    riverside = generate(
        tmp_path / "sent-riverside", ["Age UK Riverside", "Foodbank"], round_label="Autumn 2026"
    )
    northfield = generate(
        tmp_path / "sent-northfield", ["Council"], round_label="Spring",
        partnership_name="Northfield Partnership",
    )  # fmt: skip
    returns = tmp_path / "returns"
    returns.mkdir()
    answers = {q.id: 4 for _, q in template.questions}
    age = fill(riverside.workbooks[0].path, returns / "age-uk.xlsx", answers,
               respondent=("Ann Lee", "Chair"))  # fmt: skip
    food = fill(riverside.workbooks[1].path, returns / "foodbank.xlsx", answers)
    council = fill(northfield.workbooks[0].path, returns / "council.xlsx", answers)
    return returns, (age, food, council), (riverside, northfield)


def _whose(name: str, pid: str, round_: str, partner: str, respondent: str = "") -> str:
    line = say.WHOSE.format(name=name, id=pid, round=round_, partner=partner)
    return line + (say.WHOSE_RESPONDENT.format(respondent=respondent) if respondent else "")


RIVERSIDE = ("Riverside Food Partnership", "riverside-food-partnership", "Autumn 2026")
NORTHFIELD = ("Northfield Partnership", "northfield-partnership", "Spring")


def test_check_says_whose_each_return_is_and_warns_of_two_partnerships(two_partnerships):
    _, (age, food, council), _ = two_partnerships
    result = CliRunner().invoke(main, ["check", str(age), str(food), str(council)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for path, whose in [
        (age, _whose(*RIVERSIDE, "Age UK Riverside", "Ann Lee")),
        (food, _whose(*RIVERSIDE, "Foodbank")),
        (council, _whose(*NORTHFIELD, "Council")),
    ]:
        at = lines.index(f"accepted: {path}")
        assert lines[at + 1] == f"    {whose}"
    which = (
        "Northfield Partnership (northfield-partnership, 1 file); "
        "Riverside Food Partnership (riverside-food-partnership, 2 files)"
    )
    warning = "Warning: " + say.SEVERAL_PARTNERSHIPS_CHECKED.format(count=2, which=which)
    assert [x for x in lines if x.startswith("Warning:")] == [warning]


def test_check_of_one_partnership_warns_of_nothing(two_partnerships):
    _, (age, food, _), _ = two_partnerships
    result = CliRunner().invoke(main, ["check", str(age), str(food)])
    assert result.exit_code == 0
    assert "Warning" not in result.output
    assert "Note" not in result.output


def test_a_rejected_return_still_says_whose_it_is(tmp_path, template):
    """A return of a template that cannot be compared with the others is rejected, and
    still named, so that the coordinator knows whom to ask."""
    import json

    from couple_xl.templates import template_from_data

    data = json.loads(template.to_json())
    data["id"], data["principles"] = "short", data["principles"][:2]
    short = template_from_data(data, "short")
    std = generate(tmp_path / "std", partners=["A", "B"], round_label="R")
    odd = generate(tmp_path / "odd", partners=["C"], round_label="R", template=short)
    paths = [fill(w.path, tmp_path / f"{w.partner}.xlsx", {"commitment_choice": 4})
             for w in [*std.workbooks, *odd.workbooks]]  # fmt: skip
    result = CliRunner().invoke(main, ["check", *map(str, paths)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith(f"rejected: {paths[2]}"))
    assert lines[at + 1] == f"    {_whose(*RIVERSIDE[:2], 'R', 'C')}"


def test_consolidate_says_once_that_it_combines_partnerships_and_how_to_pick(
    two_partnerships, tmp_path
):
    returns, _, (riverside, northfield) = two_partnerships
    out = tmp_path / "s.xlsx"
    args = ["consolidate", str(returns), str(riverside.manifest), str(northfield.manifest)]
    result = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    which = (
        "Northfield Partnership (northfield-partnership, 1 file); "
        "Riverside Food Partnership (riverside-food-partnership, 2 files)"
    )
    note = "Note: " + say.SEVERAL_PARTNERSHIPS_COMBINED.format(count=2, which=which)
    assert [x for x in result.output.splitlines() if x.startswith("Note:")] == [note]
    assert "--partnership ID" in note
    one = CliRunner().invoke(
        main, [*args, "-o", str(out), "--partnership", "northfield-partnership"]
    )
    assert one.exit_code == 0, one.output
    assert "Note:" not in one.output


def test_consolidate_says_when_no_manifest_was_given_and_how_to_add_it(two_partnerships, tmp_path):
    returns, _, (riverside, _) = two_partnerships
    out = tmp_path / "s.xlsx"
    pick = ["--partnership", "riverside-food-partnership"]
    bare = CliRunner().invoke(main, ["consolidate", str(returns), "-o", str(out), *pick])
    assert bare.exit_code == 0, bare.output
    rounds = "partnership riverside-food-partnership, round Autumn 2026"
    note = "Note: " + say.NO_MANIFEST.format(rounds=rounds)
    assert [x for x in bare.output.splitlines() if x.startswith("Note:")] == [note]
    assert "sent folder" in note
    assert "--manifest FILE" in note
    # With the round's sent folder (its manifest, and the untouched copies sent), no note.
    sent = riverside.manifest.parent
    full = CliRunner().invoke(main, ["consolidate", str(returns), str(sent), "-o", str(out), *pick])
    assert full.exit_code == 0, full.output
    assert "Note:" not in full.output
    both = CliRunner().invoke(main, ["consolidate", str(returns), "-o", str(out)])
    rounds = "2 rounds (northfield-partnership: Spring; riverside-food-partnership: Autumn 2026)"
    assert "Note: " + say.NO_MANIFEST.format(rounds=rounds) in both.output.splitlines()
