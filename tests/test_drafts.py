"""Email drafts and the webmail send list written by `new --email`."""

from __future__ import annotations

import html
import re
from email import policy
from email.parser import BytesParser

import pytest
from click.testing import CliRunner

from couple_xl.cli import main
from couple_xl.drafts import MAILTO_LIMIT
from couple_xl.metadata import read_manifest
from couple_xl.returns import read_return


def test_new_with_email_writes_drafts_and_a_send_list(tmp_path):
    partners = tmp_path / "partners.csv"
    partners.write_text(
        "partner,email,contact\n"
        "Age UK Riverside,ann@ageuk.example,Zoë Ångström\n"
        "<b>Bold</b> & Co,bold@example.org,\n"
        "No Address Ltd,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "sent"
    result = CliRunner().invoke(
        main,
        ["new", "Riverside Food Partnership", "--partners-file", str(partners),
         "--round", "Autumn 2026", "--due", "2026-12-18", "--contact",
         "Sam Lee <sam@example.org>", "--out", str(out), "--email"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    no_address = out / "riverside-food-partnership_autumn-2026_no-address-ltd.xlsx"
    assert (
        f"No email address for No Address Ltd: send them their workbook some other way: "
        f"{no_address}\n"
    ) in result.output
    manifest = read_manifest(next(out.glob("*.manifest.json")))
    ids = {p.partner: p.return_id for p in manifest.partners}
    drafts = sorted((out / "emails").glob("*.eml"))
    assert len(drafts) == 2
    for path in drafts:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert message["X-Unsent"] == "1"
        assert message["Subject"] == (
            "COUPLE partnership health check: Riverside Food Partnership (Autumn 2026)"
        )
        assert str(message["From"]) == "Sam Lee <sam@example.org>"
        text = message.get_body(("plain",)).get_content()
        assert "18 December 2026" in text
        assert "Sam Lee <sam@example.org>" in text
        assert message.get_body(("html",)) is not None
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        record = read_return(attachment.get_filename(), data=attachment.get_content())
        assert record.meta.return_id == ids[record.meta.partner]
    raw = drafts[0].read_bytes() + drafts[1].read_bytes()
    assert b"=?utf-8?" in raw  # the non-ASCII contact name, RFC 2047-encoded
    to = {str(BytesParser(policy=policy.default).parsebytes(p.read_bytes())["To"]) for p in drafts}
    assert to == {"Zoë Ångström <ann@ageuk.example>", '"<b>Bold</b> & Co" <bold@example.org>'}

    page = (out / "emails" / "send-list.html").read_text(encoding="utf-8")
    assert "<b>Bold</b>" not in page  # partner names are escaped
    assert html.escape("<b>Bold</b> & Co") in page
    links = [html.unescape(m) for m in re.findall(r'href="([^"]+)"', page)]
    assert len(links) == 2
    assert all(link.startswith("mailto:") and len(link) < MAILTO_LIMIT for link in links)
    assert any("bold@example.org" in link for link in links)
    # The page says where each workbook is, from its own folder, and who has no address.
    assert "<td>../riverside-food-partnership_autumn-2026_age-uk-riverside.xlsx</td>" in page
    assert f"<li>No Address Ltd: ../{no_address.name}</li>" in page


def test_a_control_character_in_an_email_address_is_refused_with_its_row(tmp_path):
    partners = tmp_path / "partners.csv"
    partners.write_text('partner,email\nA,a@b.org\nB,"x\x07@y.org"\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["new", "P", "--partners-file", str(partners), "--out", str(tmp_path / "o"),
               "--email"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"{partners}: row 3: the email address contains a control character (U+0007)" in (
        result.output
    )


@pytest.mark.parametrize(
    ("row", "what"),
    [
        ('"Evil Ltd\r\nBcc: everyone@example.org",a@b.org,', "the partner name"),
        ('Fine Ltd,a@b.org,"Ann\nBcc: everyone@example.org"', "the contact"),
        ('Fine Ltd,"a@b.org\r\nBcc: everyone@example.org",', "the email address"),
    ],
)
def test_a_header_injection_through_the_partners_file_is_refused(tmp_path, row, what):
    """A line break in a name, contact or address would start a new header in a draft
    (Bcc: everyone): new refuses it, says where, and writes nothing."""
    partners = tmp_path / "partners.csv"
    partners.write_text(f"partner,email,contact\nGood Org,g@example.org,\n{row}\n", "utf-8")
    out = tmp_path / "o"
    result = CliRunner().invoke(
        main, ["new", "P", "--partners-file", str(partners), "--out", str(out), "--email"]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{partners}: row 3: {what} contains a control character (U+000" in result.output
    assert not out.exists() or not any(out.rglob("*.eml"))


def test_drafts_among_the_inputs_are_skipped_with_a_note(tmp_path):
    out = tmp_path / "sent"
    runner = CliRunner()
    partners = tmp_path / "p.csv"
    partners.write_text("partner,email\nA,a@example.org\n", encoding="utf-8")
    assert runner.invoke(main, ["new", "P", "--partners-file", str(partners), "--out", str(out),
                                "--email"]).exit_code == 0  # fmt: skip
    result = runner.invoke(main, ["check", str(out)])
    assert "an unsent draft (X-Unsent): what was sent out, not a return" in result.output
