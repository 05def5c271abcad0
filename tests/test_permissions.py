"""Every file couple_xl writes gets the permissions any program's new file gets, so that
colleagues on a shared drive can open it; a file it replaces keeps its own."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl.cli import main
from tests.helpers import fill, generate

pytestmark = pytest.mark.skipif(os.name == "nt", reason="Windows has no umask or Unix modes")


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def run(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def modes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_every_kind_of_output_gets_the_umasks_mode(tmp_path, umask, template):
    """new (workbooks, manifest, drafts, send list), consolidate (summary, CSV, JSON),
    plan, new --plan, remind (drafts, send list), templates export and import, addin
    (classic and Lite) and demo, each writing into ``out``; the returns the test fills
    in stand apart."""
    out = tmp_path / "out"
    partners = tmp_path / "partners.csv"
    partners.write_text("partner,email\nAlpha,alpha@example.org\nBeta,beta@example.org\n")
    contact = "Sam Lee <sam@example.org>"
    run("new", "P", "--partners-file", partners, "--round", "One", "--round-date",
        "2026-10-01", "--contact", contact, "--out", out / "sent1", "--email")  # fmt: skip
    returns = tmp_path / "returns"
    returns.mkdir()
    for n, book in enumerate(sorted((out / "sent1").glob("*.xlsx"))):
        actions = {"processes": [[f"Action {n}", "", ""]]}
        fill(book, returns / book.name, {q.id: 4 for _, q in template.questions}, actions=actions)
    run("consolidate", returns, out / "sent1", "-o", out / "summary.xlsx", "--csv",
        out / "csv", "--json", out / "summary.json")  # fmt: skip
    run("plan", returns, "-o", out / "plan.xlsx")
    agreed = openpyxl.load_workbook(out / "plan.xlsx")
    agreed["Plan"]["G5"] = "Yes"
    agreed.save(tmp_path / "agreed.xlsx")
    run("new", "P", "--partners-file", partners, "--round", "Two", "--round-date",
        "2027-03-01", "--contact", contact, "--out", out / "sent2", "--plan",
        tmp_path / "agreed.xlsx")  # fmt: skip
    (manifest,) = (out / "sent2").glob("*.manifest.json")
    run("remind", manifest, returns, "--out", out / "reminders")
    run("templates", "export", "couple", "-o", out / "questions.xlsx")
    run("templates", "import", out / "questions.xlsx", "-o", out / "template.toml")
    run("addin", "--out", out / "addin")
    run("addin", "--lite", "--out", out / "lite")
    run("demo", "--out", out / "demo")

    found = modes(out)
    kinds = {Path(name).suffix or Path(name).name for name in found}
    assert kinds == {".xlsx", ".json", ".eml", ".html", ".csv", ".toml", ".conf", ".py",
                     ".txt", ".couple-demo", ".pdf"}  # fmt: skip
    assert "reminders/send-list.html" in found
    assert "demo/plan-spring-2026-agreed.xlsx" in found
    # 0666 less the umask, worked out by hand.
    expected = {0o022: 0o644, 0o077: 0o600}[umask]
    assert {name: oct(m) for name, m in found.items() if m != expected} == {}


@pytest.mark.parametrize(
    ("kept", "umask"),
    [(0o600, 0o022), (0o644, 0o077)],
    ids=["private summary, open umask", "open summary, private umask"],
)
def test_a_replaced_summary_keeps_its_mode(tmp_path, returned, kept, umask):
    """A summary made private (0600) is not opened up by the next run under umask 022,
    nor one shared with colleagues (0644) closed by a run under 077."""
    path, _, _ = returned
    summary = tmp_path / "summary.xlsx"
    summary.write_bytes(b"last week's summary")
    summary.chmod(kept)
    old = os.umask(umask)
    try:
        run("consolidate", path, "-o", summary)
    finally:
        os.umask(old)
    assert summary.read_bytes().startswith(b"PK")  # replaced
    assert stat.S_IMODE(summary.stat().st_mode) == kept


def test_a_new_round_written_again_keeps_the_modes_given_to_its_files(tmp_path):
    """`new --force` replaces each workbook and the manifest; a coordinator who opened
    them to the team (0664) finds them still open."""
    sent = generate(tmp_path / "sent", partners=["Alpha"])
    files = [sent.manifest, *(w.path for w in sent.workbooks)]
    for path in files:
        path.chmod(0o664)
    generate(tmp_path / "sent", partners=["Alpha"], force=True)
    assert [stat.S_IMODE(p.stat().st_mode) for p in files] == [0o664] * len(files)
