"""One rule each, across every command, built from the constants the CLI itself uses:

- an input path that does not exist is a usage error: exit 2;
- a problem in the input prints "Error:" once, then one line per problem, and exits 1;
- what a person edits or sends is never overwritten without --force; what couple_xl
  derives (the summary, its exports, the demo) is replaced; every --help says which.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from couple_xl.cli import (
    ERROR,
    EXIT_PROBLEMS,
    EXIT_RULES,
    EXIT_USAGE,
    NEEDS_FORCE,
    PROBLEMS,
    REPLACED,
    main,
)
from couple_xl.errors import CoupleError, ProblemsError
from couple_xl.inputs import PartnerEntry
from couple_xl.metadata import read_manifest
from couple_xl.template_sheets import import_template
from couple_xl.templates import load_template_file
from tests.helpers import fill


def _commands(group: click.Group = main, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _words(text: str) -> str:
    return " ".join(text.split())


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0
    return _words(result.output)


# What each command writes, and the rule for it (None: it writes nothing).
OUTPUTS = {
    ("new",): NEEDS_FORCE,
    ("templates", "list"): None,
    ("templates", "check"): None,
    ("templates", "export"): NEEDS_FORCE,
    ("templates", "import"): NEEDS_FORCE,
    ("addin",): NEEDS_FORCE,
    ("consolidate",): REPLACED,
    ("check",): None,
    ("plan",): NEEDS_FORCE,
    ("remind",): NEEDS_FORCE,
    ("demo",): REPLACED,
}


def test_the_rule_tables_cover_every_command():
    assert set(OUTPUTS) == {path for path, _ in _commands()}


@pytest.mark.parametrize("path", list(OUTPUTS), ids=" ".join)
def test_every_help_states_the_rules(path):
    text = _help(path)
    assert _words(EXIT_RULES) in text
    rule = OUTPUTS[path]
    command = dict(_commands())[path]
    has_force = any(p.name == "force" for p in command.params)
    if rule is None:
        assert NEEDS_FORCE not in text
        assert REPLACED not in text
    else:
        assert rule in text
    assert has_force == (rule == NEEDS_FORCE), path


# --- missing input paths: exit 2 everywhere ----------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory, template):
    """A round of two partners with email addresses, one return, and a questions workbook."""
    from couple_xl.generate import RoundRequest, new_round

    root = tmp_path_factory.mktemp("rules")
    sent = new_round(
        RoundRequest(
            partnership_name="Riverside Food Partnership",
            partners=[PartnerEntry("Alpha", "alpha@example.org"),
                      PartnerEntry("Beta", "beta@example.org")],
            template=template,
            out_dir=root / "sent",
            round_label="Autumn",
        )
    )  # fmt: skip
    returns = root / "returns"
    returns.mkdir()
    answers = {q.id: 4 for _, q in template.questions}
    actions = {"processes": [("Share the rota", "Ann", "June")]}
    fill(sent.workbooks[0].path, returns / "alpha.xlsx", answers, actions=actions)
    questions = root / "questions.xlsx"
    assert (
        CliRunner().invoke(main, ["templates", "export", "couple", "-o", str(questions)]).exit_code
        == 0
    )
    return {"root": root, "manifest": sent.manifest, "returns": returns, "questions": questions}


MISSING_CASES = {
    "new --partners-file": ["new", "P", "--partners-file", "{missing}.csv", "--out", "{out}"],
    "new --template": ["new", "P", "--partner", "A", "--template", "{missing}.toml", "--out",
                       "{out}"],
    "new --plan": ["new", "P", "--partner", "A", "--plan", "{missing}.xlsx", "--out", "{out}"],
    "templates check": ["templates", "check", "{missing}.toml"],
    "templates export": ["templates", "export", "{missing}.toml", "-o", "{out}/q.xlsx"],
    "templates import": ["templates", "import", "{missing}.xlsx", "-o", "{out}/t.toml"],
    "consolidate": ["consolidate", "{missing}", "-o", "{out}/s.xlsx"],
    "consolidate --manifest": ["consolidate", "{returns}", "--manifest",
                               "{missing}.manifest.json", "-o", "{out}/s.xlsx"],
    "consolidate --template": ["consolidate", "{returns}", "--template", "{missing}.toml",
                               "-o", "{out}/s.xlsx"],
    "check": ["check", "{missing}.xlsx"],
    "check --template": ["check", "{returns}", "--template", "{missing}.json"],
    "plan": ["plan", "{missing}", "-o", "{out}/p.xlsx"],
    "remind MANIFEST": ["remind", "{missing}.manifest.json", "{returns}", "--out", "{out}"],
    "remind RETURNS": ["remind", "{manifest}", "{missing}", "--out", "{out}"],
}  # fmt: skip


def _fill(args: list[str], **values) -> list[str]:
    return [a.format(**values) for a in args]


@pytest.mark.parametrize("args", MISSING_CASES.values(), ids=MISSING_CASES.keys())
def test_a_missing_input_path_is_a_usage_error_everywhere(world, tmp_path, args):
    missing, out = tmp_path / "does-not-exist", tmp_path / "out"
    values = {"missing": missing, "out": out, "returns": world["returns"],
              "manifest": world["manifest"]}  # fmt: skip
    result = CliRunner().invoke(main, _fill(args, **values))
    assert result.exit_code == EXIT_USAGE, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith(ERROR)]
    assert str(missing) in line
    assert not out.exists()


def test_every_command_with_an_input_path_is_in_the_missing_table():
    takes_inputs = set()
    for path, command in _commands():
        for param in command.params:
            if getattr(param.type, "exists", False) or param.name == "template_ref":
                takes_inputs.add(" ".join(path))
    covered = {re.sub(r" (--\S+|[A-Z]+)$", "", key) for key in MISSING_CASES}
    assert takes_inputs == covered


# --- "Error:" once, then one line per problem --------------------------------------------


@pytest.fixture
def bad_template(tmp_path, template) -> Path:
    data = json.loads(template.to_json())
    data["settings"]["strength"] = 2
    data["principles"][0]["questions"][0]["guidance"] = "x" * 300
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    return bad


@pytest.fixture
def bad_questions(tmp_path, world) -> Path:
    import openpyxl

    wb = openpyxl.load_workbook(world["questions"])
    ws = wb["questions"]
    ws["A2"].value = "no-such-principle"
    ws["B3"].value = "Not An Id"
    path = tmp_path / "bad-questions.xlsx"
    wb.save(path)
    return path


def _expected(err: CoupleError) -> list[str]:
    """ "Error:" once, then a line per problem: built from the CLI's own constants."""
    problems = err.problems if isinstance(err, ProblemsError) else [err]
    if len(problems) == 1:
        return [f"{ERROR}{problems[0]}"]
    return [ERROR + PROBLEMS.format(count=len(problems)), *(f"  {p}" for p in problems)]


def _raised(call) -> CoupleError:
    with pytest.raises(CoupleError) as caught:
        call()
    return caught.value


ONCE_CASES = {
    "new --template": (["new", "P", "--partner", "A", "--template", "{bad}", "--out", "{out}"],
                       "template"),
    "consolidate --template": (["consolidate", "{returns}", "--template", "{bad}", "-o",
                                "{out}/s.xlsx"], "template"),
    "check --template": (["check", "{returns}", "--template", "{bad}"], "template"),
    "templates check": (["templates", "check", "{bad}"], "template"),
    "templates export": (["templates", "export", "{bad}", "-o", "{out}/q.xlsx"], "template"),
    "templates import": (["templates", "import", "{questions}", "-o", "{out}/t.toml"],
                         "questions"),
    "remind": (["remind", "{broken}", "{returns}", "--out", "{out}"], "manifest"),
    "new --partners-file": (["new", "P", "--partners-file", "{partners}", "--out", "{out}"],
                            "partners"),
}  # fmt: skip


@pytest.mark.parametrize(("args", "source"), ONCE_CASES.values(), ids=ONCE_CASES.keys())
def test_error_once_then_one_line_per_problem_everywhere(
    world, tmp_path, bad_template, bad_questions, args, source
):
    from couple_xl.inputs import read_partners_file

    broken = tmp_path / "broken.manifest.json"
    broken.write_text('{"format": "couple_xl/1", "partnership_id": ', encoding="utf-8")
    partners = tmp_path / "partners.csv"
    partners.write_text("name,email\nAlpha,a@example.org\n", encoding="utf-8")
    out = tmp_path / "out"
    values = {"bad": bad_template, "returns": world["returns"], "questions": bad_questions,
              "broken": broken, "partners": partners, "out": out}  # fmt: skip
    err = _raised(
        {
            "template": lambda: load_template_file(bad_template),
            "questions": lambda: import_template(bad_questions),
            "manifest": lambda: read_manifest(broken),
            "partners": lambda: read_partners_file(partners),
        }[source]
    )
    result = CliRunner().invoke(main, _fill(args, **values))
    assert result.exit_code == EXIT_PROBLEMS, result.output
    assert result.stderr.splitlines() == _expected(err)
    if source in ("template", "questions"):
        assert len(_expected(err)) >= 3  # several problems: the header, then each
    assert not out.exists() or not any(out.iterdir())


# --- what is overwritten, and what needs --force -----------------------------------------


def _mark(target: Path) -> dict[Path, bytes]:
    """Replace every file at ``target`` (a file or a folder) with a marker of its own."""
    files = [target] if target.is_file() else sorted(p for p in target.rglob("*") if p.is_file())
    assert files, target
    marks = {}
    for path in files:
        marks[path] = f"marker for {path.name}".encode()
        path.write_bytes(marks[path])
    return marks


FORCE_CASES = {
    "new": (["new", "P", "--partner", "A", "--round", "R", "--out", "{out}"], "{out}"),
    "templates export": (["templates", "export", "couple", "-o", "{out}/q.xlsx"],
                         "{out}/q.xlsx"),
    "templates import": (["templates", "import", "{questions}", "-o", "{out}/t.toml"],
                         "{out}/t.toml"),
    "addin --lite": (["addin", "--lite", "--out", "{out}"], "{out}"),
    "addin": (["addin", "--out", "{out}"], "{out}"),
    "plan": (["plan", "{returns}", "-o", "{out}/plan.xlsx"], "{out}/plan.xlsx"),
    "remind": (["remind", "{manifest}", "{returns}", "--out", "{out}"], "{out}"),
}  # fmt: skip


@pytest.mark.parametrize(("args", "target"), FORCE_CASES.values(), ids=FORCE_CASES.keys())
def test_what_a_person_edits_or_sends_needs_force(world, tmp_path, args, target):
    values = {"out": tmp_path / "out", "questions": world["questions"],
              "returns": world["returns"], "manifest": world["manifest"]}  # fmt: skip
    args, target = _fill(args, **values), Path(target.format(**values))
    runner = CliRunner()
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    marks = _mark(target)
    again = runner.invoke(main, args)
    assert again.exit_code == EXIT_PROBLEMS, again.output
    (line,) = again.stderr.splitlines()
    assert line.startswith(ERROR)
    assert "--force" in line
    assert all(path.read_bytes() == mark for path, mark in marks.items())
    forced = runner.invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert any(path.read_bytes() != mark for path, mark in marks.items())


REPLACED_CASES = {
    "consolidate": (["consolidate", "{returns}", "{manifest}", "-o", "{out}/s.xlsx", "--csv",
                     "{out}/csv", "--json", "{out}/s.json"], "{out}"),
    "demo": (["demo", "--out", "{out}"], "{out}/couple-summary.xlsx"),
}  # fmt: skip


@pytest.mark.parametrize(("args", "target"), REPLACED_CASES.values(), ids=REPLACED_CASES.keys())
def test_what_couple_xl_derives_is_replaced(world, tmp_path, args, target):
    values = {"out": tmp_path / "out", "returns": world["returns"], "manifest": world["manifest"]}
    args, target = _fill(args, **values), Path(target.format(**values))
    runner = CliRunner()
    assert runner.invoke(main, args).exit_code == 0
    marks = _mark(target)
    again = runner.invoke(main, args)
    assert again.exit_code == 0, again.output
    assert all(path.read_bytes() != mark for path, mark in marks.items())


def test_the_readme_states_the_rules():
    text = _words((Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8"))
    rules = text.split("### Rules every command follows")[1].split("<!-- cli-reference")[0]
    for said in ("2: a usage error", "input file or folder that does not exist",
                 "`Error:` once, then one line per problem", "never overwritten without `--force`",
                 "`remind`'s drafts", "is replaced: the summary"):  # fmt: skip
        assert said in rules, said
