"""Email drafts for a round: one .eml per partner with an address, and a send list.

A draft carries ``X-Unsent: 1``, so that Outlook opens it as an editable message
ready to send (Thunderbird: Edit As New; Apple Mail: Send Again). Webmail cannot
open drafts, so the send list, an HTML page, has one row per partner with a mailto
link that fills in the address, subject and body, and names the file to attach.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

from .files import atomic_target, make_folder, write_text_atomically
from .inputs import parse_contact
from .naming import inside

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
MAILTO_LIMIT = 2000  # many browsers and mail programs cut longer mailto links
SEND_LIST = "send-list.html"


@dataclass(frozen=True)
class Invitation:
    """What one partner's email says, and the workbook it carries."""

    partner: str
    email: str
    contact: str  # the person at the partner organisation, if known
    workbook: Path
    note: str = ""  # a paragraph before the rest: a reminder, and why one is needed


@dataclass
class Drafts:
    """The drafts written, and the partners who need their workbook sent another way."""

    written: list[Path] = field(default_factory=list)
    send_list: Path | None = None  # None when no draft was written
    without_email: list[Invitation] = field(default_factory=list)  # no address to write to


def subject(partnership: str, round_label: str, reminder: bool = False) -> str:
    line = f"COUPLE partnership health check: {partnership} ({round_label})"
    return f"Reminder: {line}" if reminder else line


def body(
    partnership: str, round_label: str, due: str, reply_to: str, greeting: str, note: str = ""
) -> str:
    return (
        f"Dear {greeting},\n\n"
        + (f"{note}\n\n" if note else "")
        + f"As partners in {partnership}, we are checking how the partnership is working, "
        "using COUPLE: six principles (Commitment, Outcomes, Understanding, Processes, "
        "Leadership and Execution) that condense the British Standard for collaborative "
        "working.\n\n"
        "The attached workbook is for your organisation. Please open it in Excel, "
        "LibreOffice, Google Sheets or Numbers, choose an answer for each statement on "
        "each principle's sheet, add comments and suggested actions if you wish, save it "
        "as an Excel workbook (.xlsx) and send it back as an attachment. The Start sheet "
        "explains each step; there are no right answers.\n\n"
        f"Round: {round_label}\nPlease return it by: {due}\nReturn it to: {reply_to}\n\n"
        "Thank you.\n"
    )


def _html(text: str) -> str:
    paragraphs = text.strip().split("\n\n")
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def _mailto(email: str, subject_line: str, text: str) -> str:
    """A mailto link under MAILTO_LIMIT characters, shortening the body if need be."""
    head = f"mailto:{quote(email, safe='@')}?subject={quote(subject_line)}&body="
    encoded = quote(text)
    while len(head) + len(encoded) > MAILTO_LIMIT and text:
        text = text[: max(0, len(text) - 100)]
        encoded = quote(text.rstrip() + "\n…")
    return head + encoded


def write_drafts(
    folder: Path,
    invitations: list[Invitation],
    partnership: str,
    round_label: str,
    due: str,
    coordinator: str,
    reminder: bool = False,
) -> Drafts:
    """Write a draft for each invitation with an address, and the send list. With no
    address at all, nothing is written (not even the folder): the invitations are in
    ``without_email``, for their workbooks to be sent some other way."""
    out = Drafts(without_email=[inv for inv in invitations if not inv.email])
    if len(out.without_email) == len(invitations):
        return out
    make_folder(folder)
    reply_to = coordinator or "the partnership coordinator"
    sender = parse_contact(coordinator) if coordinator and "@" in coordinator else None
    rows = []
    for inv in invitations:
        if not inv.email:
            continue
        greeting = inv.contact or f"colleagues at {inv.partner}"
        text = body(partnership, round_label, due, reply_to, greeting, inv.note)
        title = subject(partnership, round_label, reminder)
        # Lines up to RFC 5322's 998 characters: a folded Subject reads back with a
        # leading space in some programs.
        message = EmailMessage(policy=policy.default.clone(max_line_length=998))
        if sender is not None:
            message["From"] = Address(display_name=sender.name, addr_spec=sender.email)
        message["To"] = Address(display_name=inv.contact or inv.partner, addr_spec=inv.email)
        message["Subject"] = title
        message["X-Unsent"] = "1"
        message.set_content(text)
        message.add_alternative(_html(text), subtype="html")
        message.add_attachment(
            inv.workbook.read_bytes(),
            maintype=XLSX_TYPE[0],
            subtype=XLSX_TYPE[1],
            filename=inv.workbook.name,
        )
        target = inside(folder, inv.workbook.with_suffix(".eml").name)
        with atomic_target(target) as tmp:
            tmp.write_bytes(bytes(message))
        out.written.append(target)
        rows.append((inv, _mailto(inv.email, title, text)))
    out.send_list = write_text_atomically(
        inside(folder, SEND_LIST),
        _send_list(rows, partnership, round_label, out.without_email, folder),
    )
    return out


def where_from(workbook: Path, folder: Path) -> str:
    """Where a workbook is, as seen from ``folder``: a relative path, or the absolute one
    when there is none (another drive, on Windows)."""
    try:
        return os.path.relpath(workbook, folder)
    except ValueError:
        return str(workbook.absolute())


def _send_list(
    rows, partnership: str, round_label: str, without: list[Invitation], folder: Path
) -> str:
    e = html.escape
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(subject(partnership, round_label))}: send list</title>",
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.4em .8em;"
        "border-bottom:1px solid #ccc;text-align:left}</style></head><body>",
        f"<h1>Send list: {e(partnership)}, {e(round_label)}</h1>",
        "<p>For each partner: click <em>Write the email</em>, attach the workbook named in "
        "the last column (where it is, from the folder of this page), check the text, and "
        "send.</p>",
        "<table><tr><th>Partner</th><th>Email</th><th>Email to send</th><th>File to attach"
        "</th></tr>",
    ]
    for inv, link in rows:
        lines.append(
            f"<tr><td>{e(inv.partner)}</td><td>{e(inv.email)}</td>"
            f'<td><a href="{e(link, quote=True)}">Write the email</a></td>'
            f"<td>{e(where_from(inv.workbook, folder))}</td></tr>"
        )
    lines.append("</table>")
    if without:
        lines.append(
            "<p>No email address for these partners: send them their workbook some other "
            "way (where it is, from the folder of this page):</p><ul>"
        )
        lines += [
            f"<li>{e(inv.partner)}: {e(where_from(inv.workbook, folder))}</li>" for inv in without
        ]
        lines.append("</ul>")
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"
