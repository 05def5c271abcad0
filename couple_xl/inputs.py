"""Parsing what a coordinator types or supplies: dates, contacts and partner lists."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from .boundary import LIMITS, open_book, read_file
from .errors import InputError, Location
from .metadata import MAX_NAME, control_character

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def parse_date(text: str, what: str = "date") -> dt.date:
    """Parse YYYY-MM-DD, or DD/MM/YYYY when the day and month cannot be confused.

    "03/04/2026" could be 3 April or 4 March, so it is refused; "25/12/2026" is not.
    """
    text = text.strip()
    if m := _ISO.match(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
        if month > 12 and day <= 12:
            raise InputError(
                f"{what} '{text}' looks like month/day/year; write it as "
                f"{year:04d}-{day:02d}-{month:02d} (YYYY-MM-DD)"
            )
        if day <= 12 and month <= 12 and day != month:
            raise InputError(
                f"{what} '{text}' is ambiguous: it could be {_long(year, month, day)} or "
                f"{_long(year, day, month)}. Write it as YYYY-MM-DD, for example "
                f"{year:04d}-{month:02d}-{day:02d}"
            )
    else:
        raise InputError(f"{what} '{text}' is not a date: use YYYY-MM-DD, for example 2026-03-31")
    try:
        return dt.date(year, month, day)
    except ValueError as err:
        raise InputError(f"{what} '{text}' is not a real date ({err})") from None


_MONTHS = {
    name: n
    for n, full in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"), start=1)
    for name in (full, full[:3])
} | {"sept": 9}  # fmt: skip
_WORDS_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")
_WORDS_MDY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NUMERIC = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$")


def typed_date(text: str, what: str = "date") -> dt.date | None:
    """The date a person typed, when it can only be one: YYYY-MM-DD (or YYYY/MM/DD),
    DD/MM/YYYY as parse_date takes it, or in words ("30 June 2027", "June 30, 2027").
    None when the text is not a date at all ("next board meeting"). InputError when it
    is a date that could be read two ways (03/04/2027), or is not a real one."""
    text = " ".join(text.split())
    lowered = text.lower()
    if m := _WORDS_DMY.match(lowered):
        day, month, year = m.group(1), m.group(2), m.group(3)
    elif m := _WORDS_MDY.match(lowered):
        month, day, year = m.group(1), m.group(2), m.group(3)
    elif m := _YMD.match(text):
        return parse_date("-".join(m.groups()), what)
    elif _NUMERIC.match(text):
        if not (_ISO.match(text) or _DMY.match(text.replace("-", "/"))):
            raise InputError(
                f"{what} '{text}' cannot be read for certain: write it as YYYY-MM-DD, for "
                "example 2027-07-31"
            )
        return parse_date(text if _ISO.match(text) else text.replace("-", "/"), what)
    else:
        return None
    if month not in _MONTHS:
        return None  # "3 weeks 2027", not a date
    try:
        return dt.date(int(year), _MONTHS[month], int(day))
    except ValueError as err:
        raise InputError(f"{what} '{text}' is not a real date ({err})") from None


def in_words(date: dt.date) -> str:
    """A date as people read it: "18 December 2026"."""
    return date.strftime("%d %B %Y").lstrip("0")


def due_in_words(due: dt.date | None) -> str:
    """A return-by date as partners read it, or "as soon as you can"."""
    return in_words(due) if due else "as soon as you can"


def _long(year: int, month: int, day: int) -> str:
    try:
        return in_words(dt.date(year, month, day))
    except ValueError:
        return f"{year:04d}-{month:02d}-{day:02d}"


def check_email(text: str, where: Location | None = None) -> str:
    text = text.strip()
    bad = control_character(text)
    if bad is not None:
        raise InputError(
            f"the email address contains a control character (U+{ord(bad):04X}): retype it",
            where,
        )
    if text and not _EMAIL.match(text):
        raise InputError(f"'{text}' is not an email address", where)
    return text


@dataclass(frozen=True)
class Contact:
    """Who partners return their workbook to."""

    name: str
    email: str

    def __str__(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email


CONTACT_EXAMPLE = '"Sam Lee <sam@example.org>"'
# "priya at northfield dot org", "priya(at)northfield.org": an address with its @ written
# out, as people do to fool harvesters.
_SPELLED_AT = re.compile(r"[\s(\[{]at[\s)\]}]|[\s(\[{]dot[\s)\]}]", re.IGNORECASE)


def parse_contact(text: str) -> Contact:
    """Parse "Name <email>" or a bare email. A contact must carry an email address:
    partners are told to return their workbook to it, and drafts are sent from it."""
    text = clean_text(text, "contact", Location(key="--contact"), 320) if text.strip() else ""
    if not text:
        raise InputError(f"the contact is empty: give a name and email address, for example "
                         f"{CONTACT_EXAMPLE}")  # fmt: skip
    if "@" not in text:
        if _SPELLED_AT.search(f" {text} "):
            raise InputError(
                f"contact '{text}' looks like an email address with its @ written out: "
                f"write the address with @, for example {CONTACT_EXAMPLE}"
            )
        raise InputError(
            f"contact '{text}' has no email address: partners return their workbook to it, "
            f"so give a name and email address, for example {CONTACT_EXAMPLE}"
        )
    name, email = parseaddr(text)
    if not email or ("<" in text and ">" not in text):
        raise InputError(
            f"contact '{text}' is not in the form \"NAME <EMAIL>\": for example {CONTACT_EXAMPLE}"
        )
    return Contact(name.strip(), check_email(email))


@dataclass(frozen=True)
class PartnerEntry:
    """A partner organisation, with optional contact details."""

    name: str
    email: str = ""
    contact: str = ""


def clean_text(text: str, what: str, where: Location | None, max_length: int) -> str:
    """Text a workbook will carry as an identity (a name, a round label): spaces folded,
    control characters refused, as readers of returns check it again."""
    bad = control_character(text)
    if bad is not None:
        raise InputError(
            f"the {what} contains a control character (U+{ord(bad):04X}): retype it", where
        )
    text = " ".join(text.split())
    if not text:
        raise InputError(f"the {what} is blank", where)
    if len(text) > max_length:
        raise InputError(f"the {what} is longer than {max_length} characters: shorten it", where)
    return text


def _clean_name(name: str, where: Location) -> str:
    return clean_text(name, "partner name", where, MAX_NAME)


def partner_entries(names: list[str], file_entries: list[PartnerEntry]) -> list[PartnerEntry]:
    """Combine --partner names and partners-file rows, refusing duplicates."""
    entries = [PartnerEntry(_clean_name(n, Location(key="--partner"))) for n in names]
    entries += file_entries
    seen: dict[str, str] = {}
    for entry in entries:
        key = entry.name.casefold()
        if key in seen:
            raise InputError(f"the partner '{entry.name}' is listed twice")
        seen[key] = entry.name
    return entries


def read_partners_file(path: str | Path) -> list[PartnerEntry]:
    """Read partners from a CSV or XLSX file with a header row.

    Columns (any case): partner (required), email, contact. Blank rows are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("the partners file does not exist", Location(file=path))
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        rows, sheet = _xlsx_rows(path)
    elif suffix in {".csv", ".txt"}:
        rows, sheet = _csv_rows(read_file(path, LIMITS.text_bytes, "the partners file")), None
    else:
        raise InputError(
            "the partners file must be .csv or .xlsx (save other formats as one of those)",
            Location(file=path),
        )

    def where(row: int, col: int | None = None) -> Location:
        if sheet is None:
            return Location(file=path, cell=f"row {row}")
        from openpyxl.utils import get_column_letter

        return Location(file=path, sheet=sheet, cell=f"{get_column_letter(col or 1)}{row}")

    header_at = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if header_at is None:
        raise InputError("the partners file is empty", Location(file=path))
    header = [c.strip().lower() for c in rows[header_at]]
    if "partner" not in header:
        raise InputError(
            "no 'partner' column in the header row (columns: partner, email, contact)",
            where(header_at + 1),
        )
    unknown = [h for h in header if h and h not in {"partner", "email", "contact"}]
    if unknown:
        raise InputError(
            f"unknown column '{unknown[0]}' (expected partner, email, contact)",
            where(header_at + 1, header.index(unknown[0]) + 1),
        )
    cols = {name: header.index(name) for name in ("partner", "email", "contact") if name in header}
    entries = []
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            j = cols.get(name)
            return row[j].strip() if j is not None and j < len(row) else ""

        name_loc = where(i, cols["partner"] + 1)
        name = _clean_name(cell("partner"), name_loc)
        email_loc = where(i, cols.get("email", 0) + 1)
        contact_loc = where(i, cols.get("contact", 0) + 1)
        contact = cell("contact")
        if contact:
            contact = clean_text(contact, "contact", contact_loc, MAX_NAME)
        entries.append(PartnerEntry(name, check_email(cell("email"), email_loc), contact))
    if not entries:
        raise InputError("the partners file lists no partners", Location(file=path))
    return entries


def _csv_rows(raw: bytes) -> list[list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV (Comma delimited)" on Windows writes the ANSI code page.
        text = raw.decode("cp1252", errors="replace")
    text = text.replace("\x00", "")  # a NUL byte would stop the csv module
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), dialect)]


def _xlsx_rows(path: Path) -> tuple[list[list[str]], str]:
    """The first sheet's cells as text, read through the same guards as returns."""
    from .returns import typed_value

    instruction = "open it in your spreadsheet app and save it again as .xlsx, or as .csv"
    tables = workbook_tables(path, "the partners workbook", instruction, first_only=True)
    sheet, values = next(iter(tables.items()))
    return [["" if v == "" else str(typed_value(v)) for v in row] for row in values], sheet


def cell_text(value: Any, dates: Callable[[dt.date], str] = str) -> str:
    """A cell of a workbook_tables sheet as text: blank as "", a whole number as typed
    (1, not 1.0), a date by ``dates``, anything else without surrounding spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return dates(value)
    return str(value).strip()


def workbook_tables(
    path: Path, what: str, instruction: str, first_only: bool = False
) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values (or the first sheet's), read through the read boundary:
    the same package checks and limits as returns. Blank cells are ""."""
    where = Location(file=path)
    data = read_file(path, LIMITS.file_bytes, what)
    book = open_book(data, where, what=what, instruction=instruction, first_only=first_only)
    if not book.sheet_names:
        raise InputError(f"{what} has no sheets", where)
    names = book.sheet_names[:1] if first_only else book.sheet_names
    return {sheet: book.sheet(sheet).rows for sheet in names}


def sheet_named(tables: dict[str, Any], name: str) -> str | None:
    """The sheet that goes by ``name`` whatever its case or surrounding spaces (people
    rename "questions" to "Questions "), or None."""
    return next((s for s in tables if s.strip().lower() == name.lower()), None)
