"""Exceptions raised by couple_xl. Every one can say where the problem is."""

from __future__ import annotations

from dataclasses import dataclass
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
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if self.cell is not None:
            parts.append(self.cell if self.cell.startswith("row ") else f"cell {self.cell}")
        if self.key is not None:
            parts.append(self.key)
        return ": ".join(parts)


class CoupleError(Exception):
    """Base class for every error couple_xl raises on purpose."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message


class TemplateError(CoupleError):
    """A template file is missing, unreadable or invalid."""

    def __init__(self, problems: list[CoupleError]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems), problems[0].location)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class InputError(CoupleError):
    """A value the user gave (a name, a date, a partners file) cannot be used."""


class OutputExistsError(CoupleError):
    """Writing would overwrite a file, and overwriting was not asked for."""


class ReadError(CoupleError):
    """A workbook could not be read, or is not a couple_xl workbook."""
