"""`couple-xl remind`: drafts only for partners whose return has not arrived or counts."""

from __future__ import annotations

import datetime as dt
import json
import os
from email import policy
from email.parser import BytesParser

import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl.cli import main
from couple_xl.generate import RoundRequest, new_round
from couple_xl.inputs import PartnerEntry
from tests.helpers import fill, generate
from tests.hostile_corpus import _set_metadata


def _draft(path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def test_remind_writes_drafts_for_the_missing_and_the_rejected(tmp_path, template):
    round_ = new_round(
        RoundRequest(
            partnership_name="Riverside Food Partnership",
            partners=[PartnerEntry(n, f"{n.lower()}@example.org", f"{n} Contact")
                      for n in ("Alpha", "Beta", "Gamma")],
            template=template,
            out_dir=tmp_path / "round",
            round_label="Autumn",
            due_date=dt.date(2026, 12, 18),
            contact="Sam Lee <sam@example.org>",
        )
    )  # fmt: skip
    alpha, beta, gamma = round_.workbooks
    returns = tmp_path / "returns"
    returns.mkdir()
    answers = {q.id: 4 for _, q in template.questions}
    fill(alpha.path, returns / "alpha.xlsx", answers)
    # Gamma's return arrives with a kind couple_xl never writes: it is rejected before its
    # identity is read, so Gamma is simply still missing.
    broken = fill(gamma.path, returns / "gamma.xlsx", answers)
    wb = openpyxl.load_workbook(broken)
    _set_metadata(wb, "kind", "virus")
    wb.save(broken)

    out = tmp_path / "reminders"
    result = CliRunner().invoke(
        main, ["remind", str(round_.manifest), str(returns), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Not yet returned: Beta, Gamma" in result.output
    drafts = {_draft(p)["To"].addresses[0].addr_spec: _draft(p) for p in out.glob("*.eml")}
    assert set(drafts) == {"beta@example.org", "gamma@example.org"}
    beta_draft = drafts["beta@example.org"]
    assert str(beta_draft["Subject"]).startswith("Reminder: COUPLE partnership health check")
    text = beta_draft.get_body(("plain",)).get_content()
    assert (
        "we have not yet received your organisation's return, which was due 18 December 2026"
        in (text)
    )
    (attachment,) = list(beta_draft.iter_attachments())
    assert attachment.get_content() == beta.path.read_bytes()
    assert (out / "send-list.html").exists()


def test_remind_with_nobody_missing_says_so(tmp_path, template):
    round_ = generate(tmp_path / "round", partners=["Alpha"])
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(round_.workbooks[0].path, returns / "a.xlsx", {q.id: 3 for _, q in template.questions})
    out = tmp_path / "reminders"
    result = CliRunner().invoke(
        main, ["remind", str(round_.manifest), str(returns), "--out", str(out)]
    )
    assert result.exit_code == 0
    assert result.output == "Every partner's return has arrived and counts: no reminders needed.\n"
    assert not out.exists()


def _evil_manifest(round_, folder, file_name, email="x@example.org"):
    """The round's manifest, edited: its first partner's workbook file and email."""
    data = json.loads(round_.manifest.read_text(encoding="utf-8"))
    data["partners"][0]["file"] = file_name
    data["partners"][0]["email"] = email
    path = folder / "evil.manifest.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("file_name", "why"),
    [
        ("../../../../../etc/passwd", "it leads up out of the folder ('..')"),
        ("/etc/passwd", "it is an absolute path"),
        ("C:\\Windows\\win.ini", "it starts with a drive letter"),
        ("\\\\server\\share\\secret.xlsx", "it is a network path"),
        ("sub/alpha.xlsx", "it names a folder as well as a file"),
    ],
)
def test_a_manifest_naming_a_file_outside_its_folder_is_refused(tmp_path, file_name, why):
    round_ = generate(tmp_path / "sent", partners=["Alpha", "Beta"])
    evil = _evil_manifest(round_, tmp_path / "sent", file_name)
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "rem"
    result = CliRunner().invoke(main, ["remind", str(evil), str(empty), "--out", str(out)])
    assert result.exit_code == 1, result.output
    said = (
        f"Error: {evil}: partners[0].file: the file name '{file_name}' cannot be used: {why}; "
        "a manifest names each workbook by its file name alone"
    )
    assert said in result.output
    assert not out.exists()  # nothing attached, nothing written
    # consolidate refuses the same manifest, with the same key.
    summary = tmp_path / "s.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(evil), "-o", str(summary)])
    assert result.exit_code == 1
    assert f"rejected: {evil}: partners[0].file: the file name '{file_name}'" in result.output


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_link_in_the_sent_folder_to_a_file_outside_it_is_never_attached(tmp_path):
    round_ = generate(tmp_path / "sent", partners=["Alpha", "Beta"])
    secret = tmp_path / "secret.xlsx"
    secret.write_bytes(b"PK not for partners")
    alpha = round_.workbooks[0].path
    alpha.unlink()
    alpha.symlink_to(secret)  # the manifest's own, plain, file name now leads outside
    data = json.loads(round_.manifest.read_text(encoding="utf-8"))
    data["partners"][0]["email"] = "alpha@example.org"
    round_.manifest.write_text(json.dumps(data), encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "rem"
    result = CliRunner().invoke(
        main, ["remind", str(round_.manifest), str(empty), "--out", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert (
        f"Error: {round_.manifest}: partners[0].file: the file name '{alpha.name}' cannot be "
        "used: it is a link to a file outside the folder;"
    ) in result.output
    assert not out.exists()


def test_remind_names_the_workbook_to_send_a_partner_with_no_address(tmp_path, template):
    round_ = generate(tmp_path / "sent", partners=["Alpha", "Beta"])  # no addresses at all
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(round_.workbooks[0].path, returns / "a.xlsx", {q.id: 3 for _, q in template.questions})
    out = tmp_path / "reminders"
    result = CliRunner().invoke(
        main, ["remind", str(round_.manifest), str(returns), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Not yet returned: Beta\n"
        "No email address for Beta: send them their workbook some other way: "
        f"{round_.workbooks[1].path}\n"
    )
    assert not out.exists()  # no empty send list, no empty folder
