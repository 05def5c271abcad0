"""Exceptions and findings. Every one can say where the problem is.

A *finding* is a problem found in something read from outside, kept as data: where it
is (file, sheet, cell), what to do about it, and how serious it is. Only cli.py turns
findings into text on the screen; the summary and the JSON export keep their parts apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where a problem is: any of file, sheet, cell (or row) and key path, as known."""

    file: str | Path | None = None
    sheet: str | None = None
    cell: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(str(self.file))
        parts.extend(self.inner_parts())
        return ": ".join(parts)

    def inner_parts(self) -> list[str]:
        """Where inside the file, as words: sheet, cell or row, key."""
        parts: list[str] = []
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if self.cell is not None:
            parts.append(self.cell if self.cell.startswith("row ") else f"cell {self.cell}")
        if self.key is not None:
            parts.append(self.key)
        return parts

    def inside(self) -> str:
        """Where inside the file, without the file: '' when nothing more is known."""
        return ", ".join(self.inner_parts())


class Severity(str, enum.Enum):
    """How a finding affects a file's verdict."""

    ERROR = "error"  # the file is rejected
    WARNING = "warning"  # accepted, with warnings
    NOTE = "note"  # the verdict is unchanged

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass(frozen=True)
class Finding:
    """One problem, located, with what to do about it. Picklable: it crosses processes."""

    message: str
    location: Location = field(default_factory=Location)
    severity: Severity = Severity.WARNING
    # A traceback or a library's own message, for --debug only: never shown otherwise.
    detail: str = ""

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message


class CoupleError(Exception):
    """Base class for every error couple_xl raises on purpose."""

    severity = Severity.ERROR

    def __init__(self, message: str, location: Location | None = None, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        # What a library said, for --debug only: never part of the message.
        self.detail = detail

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message

    @property
    def finding(self) -> Finding:
        return Finding(self.message, self.location, self.severity, self.detail)


class ProblemsError(CoupleError):
    """Several located problems found in one input, all reported at once."""

    def __init__(self, problems: list[CoupleError]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems), problems[0].location)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class TemplateError(ProblemsError):
    """A template file is missing, unreadable or invalid."""


class PlanError(ProblemsError):
    """An action plan that cannot be used, with every problem found in it."""


class InputError(CoupleError):
    """A value the user gave (a name, a date, a partners file) cannot be used."""


class OutputExistsError(CoupleError):
    """Writing would overwrite a file, and overwriting was not asked for."""


class ReadError(CoupleError):
    """A file from outside could not be read, or is not what it should be."""


class NotAReturn(CoupleError):
    """A file couple_xl can read but that is not a return (a summary, a plan): skipped."""

    severity = Severity.NOTE
