"""`couple-xl remind`: drafts only for partners whose return has not arrived or counts."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.parser import BytesParser

import openpyxl
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
