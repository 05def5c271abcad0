"""Outlook's .msg emails, read through the optional extract-msg (the `outlook` extra,
which the test extra installs): a real message saved by Outlook, the same message with
a return inside it, a damaged one, and the message given when the extra is missing."""

from __future__ import annotations

import io
import re
import shutil
import struct
import sys
import zipfile
from pathlib import Path

import olefile
from click.testing import CliRunner

from couple_xl.cli import main
from couple_xl.consolidate import Verdict, consolidate
from tests.helpers import assert_read_from_email

SAMPLE = Path(__file__).parent / "data" / "outlook" / "reply-with-a-picture.msg"
ATTACHMENT = "__attach_version1.0_#00000000/"
DATA = ATTACHMENT + "__substg1.0_37010102"  # the attachment's bytes
THEME = "xl/theme/theme1.xml"
NAMES = (ATTACHMENT + "__substg1.0_3707001F", ATTACHMENT + "__substg1.0_3001001F")


def _padded(workbook: bytes, size: int) -> bytes:
    """The same workbook, exactly ``size`` bytes long: the rest is a zip comment."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                # A return is a little larger than the sample's picture, so its theme
                # (optional in a workbook; colours only, nothing read or scored) is left
                # out, with the two lines that point to it.
                if info.filename == THEME:
                    continue
                if info.filename in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
                    data = re.sub(rb"<(Override|Relationship)\b[^>]*theme1\.xml[^>]*/>", b"", data)
                target.writestr(info, data)
    grown = out.getvalue()
    # Recompressing changes the size: the comment takes up what is left.
    spare = size - len(grown)
    assert 0 <= spare < 65_536, f"the workbook is {len(grown)} bytes; {size} fit"
    with zipfile.ZipFile(out, "a") as target:
        target.comment = b" " * spare
    result = out.getvalue()
    assert len(result) == size
    return result


def outlook_reply(tmp_path: Path, workbook: bytes, name: str = "return-AB.xlsx") -> Path:
    """The real sample with its picture swapped for ``workbook``, in place."""
    path = tmp_path / "reply.msg"
    shutil.copy(SAMPLE, path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        ole.write_stream(DATA, _padded(workbook, ole.get_size(DATA)))
        for stream in NAMES:
            label = name.encode("utf-16-le")
            assert len(label) == ole.get_size(stream), "the name must keep its length"
            ole.write_stream(stream, label)
    return path


def test_a_real_outlook_message_without_a_workbook_is_named(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE, inbox / "reply.msg")
    result = consolidate([inbox])
    (log,) = result.files
    assert log.skipped
    assert not log.counted
    assert [f.message for f in log.findings] == [
        "no workbook attached: ask the partner to send it again with the workbook attached "
        "as an ordinary file"
    ]


def test_a_return_inside_an_outlook_message_scores_as_the_bare_file(tmp_path, returned, template):
    path, answers, _ = returned
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    msg = outlook_reply(inbox, path.read_bytes())
    # The sample's own sender, subject and date (as Outlook saved them) name the email.
    assert_read_from_email(
        consolidate([inbox]),
        f"{msg} › return-AB.xlsx",
        "from the email “Re: test internal” sent by bedfortest at TEST on 06 October 2020 09:57",
        template,
        answers,
    )


def test_an_unsent_outlook_draft_is_skipped(tmp_path, returned):
    """Outlook marks a draft with MSGFLAG_UNSENT (8) in PR_MESSAGE_FLAGS: what was sent out,
    not a reply. The flag is set in place in the message's property stream."""
    path, _, _ = returned
    msg = outlook_reply(tmp_path, path.read_bytes())
    with olefile.OleFileIO(str(msg), write_mode=True) as ole:
        props = bytearray(ole.openstream("__properties_version1.0").read())
        for offset in range(32, len(props), 16):  # a 32-byte header, then 16-byte entries
            if struct.unpack_from("<I", props, offset)[0] == 0x0E070003:
                flags = struct.unpack_from("<I", props, offset + 8)[0]
                struct.pack_into("<I", props, offset + 8, flags | 8)
        ole.write_stream("__properties_version1.0", bytes(props))
    (log,) = consolidate([msg]).files
    assert log.skipped
    assert [f.message for f in log.findings] == [
        "an unsent draft (X-Unsent): what was sent out, not a return"
    ]


def test_a_damaged_outlook_message_gets_one_located_line(tmp_path, returned):
    path, _, _ = returned
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(path, inbox / "good.xlsx")
    data = SAMPLE.read_bytes()
    (inbox / "cut.msg").write_bytes(data[: len(data) // 3])
    (inbox / "not-ole.msg").write_bytes(b"From: someone\r\n\r\nan .eml saved as .msg")
    result = CliRunner().invoke(main, ["consolidate", str(inbox), "-o", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for name in ("cut.msg", "not-ole.msg"):
        (line,) = [x for x in result.output.splitlines() if str(inbox / name) in x]
        assert line.startswith(f"rejected: {inbox / name}: cannot read the Outlook message (")
        assert line.endswith("save it again from Outlook, or save it as .eml (File > Save As)")
    assert "1 return(s) counted" in result.output


def test_without_the_outlook_extra_the_message_says_how_to_install_it(
    tmp_path, monkeypatch, returned
):
    path, _, _ = returned
    msg = outlook_reply(tmp_path, path.read_bytes())
    monkeypatch.setitem(sys.modules, "extract_msg", None)  # import now fails
    (log,) = consolidate([msg]).files
    assert log.verdict is Verdict.REJECTED
    (finding,) = log.findings
    assert finding.location.file == msg
    assert 'pip install ".[outlook]"' in finding.message
    assert "save the email as .eml" in finding.message
