"""Returns straight from saved emails (.eml, and Outlook's .msg with the optional
``outlook`` extra): the workbooks attached, read in memory.

An email is parsed through the read boundary like any other file from outside. Its
attachments are only ever labels and bytes: an attachment's name is never used as a
path, and nothing from an email is written to disk. Forwarded messages
(message/rfc822) are searched, at most MAX_DEPTH levels deep.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import messages as say
from .boundary import MiB, describe, guarded, read_file
from .errors import CoupleError, Finding, Location, ReadError, Severity
from .metadata import control_character

OUTLOOK_SUFFIX = ".msg"
EMAIL_SUFFIXES = {".eml", OUTLOOK_SUFFIX}
# extract-msg is GPL-licensed, so it is an optional extra, installed from a copy of the
# repository with this command.
OUTLOOK_INSTALL = 'pip install ".[outlook]"'
MAX_EMAIL_BYTES = 50 * MiB
MAX_DEPTH = 5  # forwarded messages searched, one inside the other
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
}
TNEF = ("winmail.dat", "application/ms-tnef", "application/vnd.ms-tnef")
SEND_AGAIN = "ask the partner to send it again with the workbook attached as an ordinary file"


@dataclass(frozen=True)
class Attachment:
    """A workbook attached to an email: a label for the log, its bytes, and when sent."""

    label: Path  # "reply.eml › answers.xlsx": only ever shown, never opened
    data: bytes
    sent: dt.datetime | None
    about: str  # the email it came in, in words, for the returns log


@dataclass
class Opened:
    """What an email held: its workbooks, and anything to say about it."""

    attachments: list[Attachment] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    draft: bool = False  # an X-Unsent draft: what was sent, not a return


def safe_label(name: str) -> str:
    """An attachment's name as a label: no path separators, no control characters."""
    cleaned = "".join("_" if ch in "/\\" or control_character(ch) else ch for ch in name)
    return cleaned.strip() or "attachment"


def open_email(path: Path) -> Opened:
    """Parse a saved email and collect its workbook attachments (ReadError if unreadable)."""
    if path.suffix.lower() == OUTLOOK_SUFFIX:
        return _open_outlook(path)
    from email import policy
    from email.parser import BytesParser

    where = Location(file=path)
    data = read_file(path, MAX_EMAIL_BYTES, "the email")
    with guarded(where, "the email", "save the email again from your mail program"):
        message = BytesParser(policy=policy.default).parsebytes(data)
        opened = Opened(draft=str(message.get("X-Unsent", "")).strip() == "1")
        if not opened.draft:
            _collect(message, path, opened, depth=0)
        # An email with no usable Date is dated by its file, for ordering re-sends.
        saved = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        opened.attachments = [a if a.sent else replace(a, sent=saved) for a in opened.attachments]
    return _named_if_empty(opened, where)


def _is_workbook(name: str, kind: str) -> bool:
    """An attachment that is a workbook, by its name or its declared type."""
    return name.lower().endswith(WORKBOOK_SUFFIXES) or kind.lower() in WORKBOOK_TYPES


def _attachment(path: Path, name: str, data: bytes, sent, about: str) -> Attachment:
    """A workbook attachment, labelled by the email and its (cleaned) name."""
    return Attachment(Path(f"{path} › {safe_label(name) or 'workbook.xlsx'}"), data, sent, about)


def _too_deep(path: Path) -> Finding:
    return Finding(
        f"a message forwarded more than {MAX_DEPTH} levels deep was not searched: {SEND_AGAIN}",
        Location(file=path),
        Severity.WARNING,
    )


def _named_if_empty(opened: Opened, where: Location) -> Opened:
    """An email with nothing to read and nothing said about it is named: no workbook."""
    if not opened.draft and not opened.attachments and not opened.findings:
        opened.findings.append(
            Finding(f"no workbook attached: {SEND_AGAIN}", where, Severity.WARNING)
        )
    return opened


def _describe(message) -> tuple[str, dt.datetime | None]:
    from email.utils import parsedate_to_datetime

    sent = None
    try:
        sent = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        sent = None
    return _about(message.get("From", ""), message.get("Subject", ""), sent)


def _about(sender: object, subject: object, sent: dt.datetime | None):
    """The email an attachment came in, in words for the log, and when it was sent."""
    sender = " ".join(str(sender or "unknown sender").split())
    subject = " ".join(str(subject or "(no subject)").split())
    if sent is not None and sent.tzinfo is None:
        sent = sent.replace(tzinfo=dt.timezone.utc)
    when = f" on {sent:%d %B %Y %H:%M}" if sent else ""
    return f"from the email “{subject[:120]}” sent by {sender[:120]}{when}", sent


def _parts(message):
    """The parts of a message, without going inside forwarded messages (those are
    searched by _collect, one level deeper each time)."""
    yield message
    if message.is_multipart() and message.get_content_type() != "message/rfc822":
        for sub in message.get_payload():
            yield from _parts(sub)


def _collect(message, path: Path, opened: Opened, depth: int) -> None:
    about, sent = _describe(message)
    for part in _parts(message):
        kind = part.get_content_type()
        if kind == "message/rfc822":
            if depth + 1 >= MAX_DEPTH:
                opened.findings.append(_too_deep(path))
                continue
            for inner in part.get_payload() or []:
                _collect(inner, path, opened, depth + 1)
            continue
        name = part.get_filename() or ""
        if name.lower() in TNEF or kind in TNEF:
            opened.findings.append(
                Finding(
                    "the attachments are wrapped in Outlook's winmail.dat, which couple_xl "
                    f"cannot open: {SEND_AGAIN} (in Outlook, send it as HTML or plain text)",
                    Location(file=path, key=safe_label(name) or "winmail.dat"),
                    Severity.ERROR,
                )
            )
            continue
        if _is_workbook(name, kind):
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                raise ReadError(f"the attachment {safe_label(name)!r} is damaged: {SEND_AGAIN}",
                                Location(file=path))  # fmt: skip
            opened.attachments.append(_attachment(path, name, data, sent, about))


# --- Outlook's own .msg files ------------------------------------------------------


@dataclass
class _Outlook:
    """What one Outlook message holds, copied out of extract-msg's objects."""

    sender: str
    subject: str
    sent: dt.datetime | None
    draft: bool
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, type, bytes
    forwarded: list[_Outlook] = field(default_factory=list)
    too_deep: bool = False


def _open_outlook(path: Path) -> Opened:
    where = Location(file=path)
    try:
        import extract_msg
    except ImportError:
        raise ReadError(
            "this is an Outlook message (.msg), which couple_xl reads only with its optional "
            f"Outlook support: install it with {OUTLOOK_INSTALL} in couple_xl's folder; or in "
            "Outlook save the email as .eml (File > Save As), or save the attached workbook",
            where,
        ) from None
    import logging

    # extract-msg logs what it finds odd; a library never prints, so neither does it here.
    logging.getLogger("extract_msg").addHandler(logging.NullHandler())
    data = read_file(path, MAX_EMAIL_BYTES, "the email")
    try:
        message = extract_msg.openMsg(data)
        try:
            outlook = _copy_outlook(message, depth=0)
        finally:
            message.close()
    except (KeyboardInterrupt, SystemExit, CoupleError):
        raise
    except Exception as err:  # only extract-msg and olefile run in here: the file is at fault
        raise ReadError(say.OUTLOOK_DAMAGED, where, detail=describe(err)) from None
    opened = Opened(draft=outlook.draft)
    if not opened.draft:
        _collect_outlook(outlook, path, opened)
    return _named_if_empty(opened, where)


def _copy_outlook(message, depth: int) -> _Outlook:
    from extract_msg.enums import AttachmentType

    # An item that is not an email (a contact, a meeting) counts as sent: it is read,
    # and found to hold no workbook.
    draft = not getattr(message, "isSent", True)
    outlook = _Outlook(message.sender, message.subject, message.date, draft)
    for attachment in message.attachments:
        if attachment.type == AttachmentType.MSG:
            if depth + 1 >= MAX_DEPTH:
                outlook.too_deep = True
            else:
                outlook.forwarded.append(_copy_outlook(attachment.data, depth + 1))
        elif attachment.type == AttachmentType.DATA and isinstance(attachment.data, bytes):
            name = attachment.longFilename or attachment.shortFilename or ""
            outlook.files.append((name, attachment.mimetype or "", attachment.data))
    return outlook


def _collect_outlook(outlook: _Outlook, path: Path, opened: Opened) -> None:
    about, sent = _about(outlook.sender, outlook.subject, outlook.sent)
    for name, kind, data in outlook.files:
        if _is_workbook(name, kind):
            opened.attachments.append(_attachment(path, name, data, sent, about))
    for inner in outlook.forwarded:
        _collect_outlook(inner, path, opened)
    if outlook.too_deep:
        opened.findings.append(_too_deep(path))
