"""The command line: exact messages and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl.cli import ERROR, EXIT_USAGE, PROBLEMS, main
from couple_xl.errors import TemplateError
from couple_xl.metadata import read_manifest
from couple_xl.templates import load_template_file


@pytest.fixture
def run():
    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_new_writes_one_workbook_per_partner(run, tmp_path):
    out = tmp_path / "round1"
    result = run(
        "new", "Riverside Food Partnership",
        "--partner", "Age UK Riverside", "--partner", "Riverside Foodbank",
        "--round", "Autumn 2026", "--round-date", "2026-10-01", "--due", "18/12/2026",
        "--contact", "Sam Lee <sam@example.org>", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Partnership riverside-food-partnership, round Autumn 2026: 2 workbook(s) in {out}\n"
        "  riverside-food-partnership_autumn-2026_age-uk-riverside.xlsx  (Age UK Riverside)\n"
        "  riverside-food-partnership_autumn-2026_riverside-foodbank.xlsx  (Riverside Foodbank)\n"
        "  riverside-food-partnership_autumn-2026.manifest.json  "
        "(manifest: keep it for consolidation)\n"
    )
    manifest = read_manifest(out / "riverside-food-partnership_autumn-2026.manifest.json")
    assert manifest.due_date.isoformat() == "2026-12-18"
    assert manifest.contact == "Sam Lee <sam@example.org>"
    assert manifest.round == "Autumn 2026"
    wb = openpyxl.load_workbook(out / manifest.partners[0].file)
    assert wb["Start"]["C6"].value == "18 December 2026"
    assert wb["Start"]["C7"].value == "Sam Lee <sam@example.org>"


def test_new_with_partners_file(run, tmp_path):
    partners = tmp_path / "partners.csv"
    partners.write_text("partner,email\nFoodbank,food@example.org\nAge UK,\n", encoding="utf-8")
    result = run(
        "new", "P", "--partner", "Council", "--partners-file", str(partners),
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = read_manifest(next((tmp_path / "o").glob("*.manifest.json")))
    assert [(p.partner, p.email) for p in manifest.partners] == [
        ("Council", ""),
        ("Foodbank", "food@example.org"),
        ("Age UK", ""),
    ]


def test_new_refuses_to_overwrite(run, tmp_path):
    args = ["new", "P", "--partner", "A", "--round", "R1", "--out", str(tmp_path)]
    assert run(*args).exit_code == 0
    target = tmp_path / "p_r1_a.xlsx"
    before = target.read_bytes()
    result = run(*args)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {target.resolve()}: already exists; use --force to overwrite it, "
        "or choose another --out folder\n"
    )
    assert target.read_bytes() == before
    assert run(*args, "--force").exit_code == 0


def test_new_needs_partners(run, tmp_path):
    result = run("new", "P", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: no partners given: use --partner ORG (repeatable) or --partners-file FILE\n"
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--due",
            "03/04/2026",
            "Error: Invalid value for '--due': '03/04/2026' is ambiguous: it could be "
            "3 April 2026 or 4 March 2026. Write it as YYYY-MM-DD, for example 2026-04-03\n",
        ),
        (
            "--round-date",
            "yesterday",
            "Error: Invalid value for '--round-date': 'yesterday' is not a date: use "
            "YYYY-MM-DD, for example 2026-03-31\n",
        ),
        (
            "--contact",
            "Sam <sam@>",
            "Error: Invalid value for '--contact': contact 'Sam <sam@>' is not in the form "
            '"NAME <EMAIL>": for example "Sam Lee <sam@example.org>"\n',
        ),
        (
            "--contact",
            "priya at northfield",
            "Error: Invalid value for '--contact': contact 'priya at northfield' looks like an "
            "email address with its @ written out: write the address with @, for example "
            '"Sam Lee <sam@example.org>"\n',
        ),
        (
            "--contact",
            "Priya Shah",
            "Error: Invalid value for '--contact': contact 'Priya Shah' has no email address: "
            "partners return their workbook to it, so give a name and email address, for "
            'example "Sam Lee <sam@example.org>"\n',
        ),
    ],
)
def test_bad_dates_and_contacts_are_usage_errors(run, tmp_path, option, value, message):
    result = run("new", "P", "--partner", "A", option, value, "--out", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.endswith(message)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("partner", "filename"),
    [
        ("CON", "p_r_con-partner.xlsx"),
        ("../../etc/passwd", "p_r_etc-passwd.xlsx"),
        ("A/B: C", "p_r_a-b-c.xlsx"),
        ("Ünïcødé Ltd.", "p_r_unicode-ltd.xlsx"),
        ("慈善团体", None),
    ],
)
def test_awkward_partner_names_stay_inside_out(run, tmp_path, partner, filename):
    out = tmp_path / "out"
    result = run("new", "P", "--partner", partner, "--round", "R", "--out", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir() if p.suffix == ".xlsx")
    assert len(files) == 1
    if filename:
        assert files == [filename]
    else:
        assert files[0].startswith("p_r_partner-")
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != out] == []
    wb = openpyxl.load_workbook(out / files[0])
    assert wb["Start"]["C4"].value == partner


def test_duplicate_partner_is_an_input_error(run, tmp_path):
    result = run("new", "P", "--partner", "A", "--partner", " a ", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == "Error: the partner 'a' is listed twice\n"


def test_bad_template_in_new(run, tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text('id = "Bad"\n', encoding="utf-8")
    result = run("new", "P", "--partner", "A", "--template", str(bad), "--out", str(tmp_path))
    assert result.exit_code == 1
    with pytest.raises(TemplateError) as caught:
        load_template_file(bad)
    problems = caught.value.problems
    assert result.output.startswith(
        f"{ERROR}{PROBLEMS.format(count=len(problems))}\n"
        f"  {bad}: id: String should match pattern '^[a-z][a-z0-9_]{{0,39}}$'\n"
    )
    assert f"  {bad}: version: required key is missing\n" in result.output


def test_templates_list(run):
    result = run("templates", "list")
    assert result.exit_code == 0
    assert result.output == (
        "couple  1.0.0  COUPLE partnership health check  (6 principles, 25 statements)\n"
    )


def test_templates_check(run, tmp_path, template):
    good = tmp_path / "good.json"
    good.write_text(template.to_json(), encoding="utf-8")
    result = run("templates", "check", str(good))
    assert result.exit_code == 0
    assert result.output == f"{good}: OK: template couple 1.0.0, 6 principles, 25 statements\n"

    data = json.loads(template.to_json())
    data["settings"]["strength"] = 2
    data["principles"][0]["questions"][0]["guidance"] = "x" * 300
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run("templates", "check", str(bad))
    assert result.exit_code == 1
    assert result.output == (
        f"{ERROR}{PROBLEMS.format(count=2)}\n"
        f"  {bad}: settings: strength must be above developing\n"
        f"  {bad}: principles[1].questions[1].guidance: guidance is 300 characters as Excel "
        "counts them; a dropdown's message can have at most 255: shorten it\n"
    )


def test_templates_check_missing_file(run, tmp_path):
    missing = tmp_path / "nope.toml"
    result = run("templates", "check", str(missing))
    assert result.exit_code == EXIT_USAGE
    assert f"'{missing}' does not exist" in result.output


def test_every_command_has_help_with_an_example():
    def walk(command: click.Command, path: list[str]):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])

    for path, command in walk(main, []):
        assert command.help, path
        if not isinstance(command, click.Group):
            assert "Example:" in command.help, path


def test_help_starts_without_heavy_imports():
    code = (
        "import sys, couple_xl.cli; "
        "heavy = [m for m in ('openpyxl', 'pydantic', 'xlwings') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
