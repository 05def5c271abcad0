"""The README stays true: its command reference matches --help, and CI runs its test command."""

from __future__ import annotations

import os
import re
from pathlib import Path

from click.testing import CliRunner

from couple_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def cli_reference() -> str:
    blocks = []
    for args in (
        ["--help"],
        ["new", "--help"],
        ["templates", "list", "--help"],
        ["templates", "check", "--help"],
        ["templates", "export", "--help"],
        ["templates", "import", "--help"],
        ["addin", "--help"],
        ["consolidate", "--help"],
        ["check", "--help"],
        ["plan", "--help"],
        ["remind", "--help"],
        ["demo", "--help"],
    ):
        result = CliRunner().invoke(main, args, prog_name="couple-xl", terminal_width=80)
        assert result.exit_code == 0
        blocks.append(f"$ couple-xl {' '.join(args)}\n{result.output}")
    return "```\n" + "\n".join(blocks) + "```"


def test_readme_cli_reference_matches_help():
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(START)
    _, after = rest.split(END)
    expected = f"{before}{START}\n{cli_reference()}\n{END}{after}"
    if os.environ.get("UPDATE_README") == "1":
        README.write_text(expected, encoding="utf-8")
    assert text == expected, "README is stale: run UPDATE_README=1 python -m pytest " + __file__


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_readme_opens_with_two_setup_commands_and_ci_runs_the_test_one():
    text = README.read_text(encoding="utf-8")
    setup = text.split("## How a round works")[0]
    demo, tests = _bash_blocks(setup)[:2]
    assert "pip install ." in demo
    assert "couple-xl" in demo
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci


def test_readme_states_the_read_limits_in_force():
    from couple_xl.boundary import LIMITS, MiB

    text = README.read_text(encoding="utf-8")
    table = text.split("### Reading files safely: the limits")[1].split("###")[0]
    assert f"| size of a workbook file | {LIMITS.file_bytes // MiB} MB" in table
    assert f"| parts in a workbook's zip | {LIMITS.entries:,} |" in table
    assert f"{LIMITS.part_bytes // MiB} MB; {LIMITS.total_bytes // MiB} MB for all" in table
    assert f"{LIMITS.ratio} to 1" in table
    assert f"| {LIMITS.grid_cells:,} cells |" in table
    assert f"partners CSV | {LIMITS.text_bytes // MiB} MB |" in table


def _commands(block: str) -> list[str]:
    """The commands of a bash block, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]


def test_every_consolidate_in_the_readme_gives_the_rounds_manifest():
    """Without the manifest a summary has no chase list: the README's examples never
    leave it out (the round's sent folder, a manifest, or --manifest)."""
    text = README.read_text(encoding="utf-8")
    commands = [c for b in _bash_blocks(text) for c in _commands(b) if "xl consolidate" in c]
    assert len(commands) >= 3
    for command in commands:
        args = command.split()
        assert any(a.startswith("sent/") or a == "--manifest" for a in args), command
