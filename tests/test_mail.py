"""Returns straight from saved emails: the same scores as the bare file, and every hostile
email gets one located line while the good files still land."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from couple_xl.cli import main
from couple_xl.consolidate import consolidate
from couple_xl.mail import MAX_DEPTH
from tests.helpers import assert_read_from_email, hand_scores

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def reply(workbook: bytes | None, name: str = "answers.xlsx", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.get("sender", "Ann Patel <ann@ageuk.example>")
    message["To"] = "Sam Lee <sam@example.org>"
    message["Subject"] = headers.get("subject", "Re: COUPLE health check")
    message["Date"] = headers.get("date", "Tue, 15 Dec 2026 10:30:00 +0000")
    message.set_content("Here is our return.")
    if workbook is not None:
        message.add_attachment(workbook, maintype=XLSX[0], subtype=XLSX[1], filename=name)
    return message


def forwarded(inner: EmailMessage, levels: int = 1) -> EmailMessage:
    for _ in range(levels):
        outer = EmailMessage()
        outer["From"] = "Office <office@ageuk.example>"
        outer["Subject"] = "Fwd: " + str(inner["Subject"])
        outer["Date"] = "Wed, 16 Dec 2026 09:00:00 +0000"
        outer.set_content("Forwarding.")
        outer.add_attachment(inner)
        inner = outer
    return inner


def save(folder: Path, name: str, message: EmailMessage) -> Path:
    path = folder / name
    path.write_bytes(bytes(message))
    return path


def test_a_return_in_an_email_and_a_forward_scores_as_the_bare_file(tmp_path, returned, template):
    path, answers, _ = returned
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    save(inbox, "reply.eml", reply(path.read_bytes()))
    assert_read_from_email(
        consolidate([inbox]),
        f"{inbox / 'reply.eml'} › answers.xlsx",
        "from the email “Re: COUPLE health check” sent by Ann Patel <ann@ageuk.example> "
        "on 15 December 2026 10:30",
        template,
        answers,
    )
    expected = hand_scores(template, answers)

    forward = tmp_path / "forward"
    forward.mkdir()
    save(forward, "fwd.eml", forwarded(reply(path.read_bytes())))
    (r2,) = consolidate([forward]).partnerships[0].rounds
    for pid, score in expected.items():
        assert r2.partners["A"].principles[pid].score == pytest.approx(score)


def test_hostile_emails_get_one_located_line_and_good_files_still_land(tmp_path, returned):
    path, _, _ = returned
    good = path.read_bytes()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    save(inbox, "good.eml", reply(good))
    save(inbox, "nothing.eml", reply(None))
    save(inbox, "deep.eml", forwarded(reply(good), levels=MAX_DEPTH + 1))
    save(inbox, "evil-name.eml", reply(good, name="../../x\x07.xlsx", subject="Re: again"))
    save(inbox, "bomb.eml", reply(b"PK\x03\x04 not a zip at all", name="bomb.xlsx"))
    draft = reply(good)
    draft["X-Unsent"] = "1"
    save(inbox, "draft.eml", draft)
    tnef = reply(None)
    tnef.add_attachment(b"\x78\x9f\x3e\x22", maintype="application", subtype="ms-tnef",
                        filename="winmail.dat")  # fmt: skip
    save(inbox, "winmail.eml", tnef)
    (inbox / "mangled.eml").write_bytes(b"\x00\xff\xfe garbage that is not an email\r\n\r\n")
    (inbox / "huge.eml").write_bytes(b"Subject: big\r\n\r\n" + b"x" * (50 * 1024 * 1024 + 1))
    before = sorted(p.name for p in tmp_path.rglob("*"))

    out = tmp_path / "s.xlsx"
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()

    def line(name: str) -> str:
        (found,) = [x for x in lines if str(inbox / name) in x and not x.startswith("    ")]
        return found

    assert line("nothing.eml").startswith("skipped")
    assert "no workbook attached" in result.output
    assert "forwarded more than 5 levels deep" in result.output
    assert (
        line("draft.eml") == f"skipped: {inbox / 'draft.eml'}: an unsent draft (X-Unsent): "
        "what was sent out, not a return"
    )
    assert line("winmail.eml").startswith("rejected")
    assert "winmail.dat" in line("winmail.eml")
    assert line("bomb.eml › bomb.xlsx").startswith("rejected")
    assert line("huge.eml").startswith(f"rejected: {inbox / 'huge.eml'}: the email is larger")
    assert line("mangled.eml").startswith("skipped")
    # The attachment's name is a label only: its path separators and control character
    # are gone, and nothing was written anywhere but the summary.
    assert f"{inbox / 'evil-name.eml'} › .._.._x_.xlsx" in result.output
    after = sorted(p.name for p in tmp_path.rglob("*"))
    assert set(after) - set(before) == {"s.xlsx"}
    # The good return still counts, once (the other copies are flagged against it).
    assert "return(s) counted" in result.output
    assert out.exists()
