"""Recalculate workbooks in the two engines written to Excel's rules, in this process.

formualizer and IronCalc install from the package index with no system dependencies,
so they are plain test dependencies: never skipped. Both recalculate every formula
(neither trusts a file's cached values; a test checks it), and both report a cell's
value with its type, so a result is read here as a number (float), text, a boolean,
None for an empty cell, or an ErrorValue. Cached values written by LibreOffice or
Gnumeric are read into the same shapes by `cached_values`.

IronCalc panics on some inputs: the panic reaches Python as pyo3's PanicException,
a BaseException, so it is caught here and raised as EngineFailure, which the tests
count as a failure, never as a pass.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl.utils.cell import column_index_from_string

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_CELL_NAME = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)$")

# formualizer names an error by its kind; these are the error values Excel shows.
_FORMUALIZER_ERRORS = {
    "Na": "#N/A",
    "Div": "#DIV/0!",
    "Value": "#VALUE!",
    "Ref": "#REF!",
    "Name": "#NAME?",
    "Num": "#NUM!",
    "Null": "#NULL!",
    "Spill": "#SPILL!",
    "Calc": "#CALC!",
}


class ErrorValue(str):
    """An error value a cell shows (#N/A), never equal to text someone typed."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorValue) and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return f"error {str.__str__(self)}"


class EngineFailure(Exception):
    """An engine could not load or recalculate a workbook (a panic included)."""


Cell = tuple[str, int, int]  # sheet name, row, column (1-based)


def cells_of_names(path: Path, names: list[str]) -> dict[str, Cell]:
    """Where each workbook-scoped defined name points, read from the workbook's XML."""
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("xl/workbook.xml"))
    found: dict[str, Cell] = {}
    for node in root.iterfind("m:definedNames/m:definedName", NS):
        name = node.get("name")
        if name not in names or node.get("localSheetId") is not None:
            continue
        match = _CELL_NAME.match((node.text or "").strip())
        if match is None:
            raise AssertionError(f"{path.name}: {name} is not one cell: {node.text!r}")
        quoted, plain, column, row = match.groups()
        sheet = quoted.replace("''", "'") if quoted else plain
        found[name] = (sheet, int(row), column_index_from_string(column))
    missing = sorted(set(names) - set(found))
    if missing:
        raise AssertionError(f"{path.name} has no names {missing}")
    return found


def _formualizer_value(value: Any) -> Any:
    if isinstance(value, dict) and value.get("type") == "Error":
        kind = value.get("kind", "")
        return ErrorValue(_FORMUALIZER_ERRORS.get(kind, f"#{kind}"))
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def formualizer_values(path: Path, cells: dict[str, Cell]) -> dict[str, Any]:
    """The cells' values once formualizer has recalculated the whole workbook."""
    import formualizer

    try:
        wb = formualizer.load_workbook(str(path))
        wb.evaluate_all()
        return {key: _formualizer_value(wb.get_value(*cell)) for key, cell in cells.items()}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:
        raise EngineFailure(f"formualizer failed on {path.name}: {err!r}") from err


def ironcalc_values(path: Path, cells: dict[str, Cell]) -> dict[str, Any]:
    """The cells' values once IronCalc has recalculated the whole workbook."""
    import ironcalc

    try:
        model = ironcalc.load_from_xlsx(str(path))
        model.evaluate()
        sheets = [p["name"] for p in model.get_worksheets_properties()]
        out = {}
        for key, (sheet, row, col) in cells.items():
            index = sheets.index(sheet)
            value = model.get_cell_value(index, row, col)
            if model.get_cell_type(index, row, col) == ironcalc.CellType.ErrorValue:
                value = ErrorValue(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                value = float(value)
            out[key] = value
        return out
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # PanicException is a BaseException
        raise EngineFailure(f"IronCalc failed on {path.name}: {err!r}") from err


def cached_values(path: Path, cells: dict[str, Cell]) -> dict[str, Any]:
    """The cells' values as the app that saved the file last calculated them
    (LibreOffice, Gnumeric), in the same shapes as the in-process engines give."""
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        out = {}
        for key, (sheet, row, col) in cells.items():
            cell = wb[sheet].cell(row, col)
            value = cell.value
            if cell.data_type == "e":
                value = ErrorValue(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                value = float(value)
            out[key] = value
        return out
    finally:
        wb.close()


Reader = Callable[[Path, dict[str, Cell]], dict[str, Any]]


def named_values(read: Reader, path: Path, names: list[str]) -> dict[str, Any]:
    """The values of workbook-scoped defined names, as ``read`` gives them."""
    return read(path, cells_of_names(path, names))


# Each engine that runs in this process, by the name the tests report it under.
IN_PROCESS: dict[str, Reader] = {
    "formualizer": formualizer_values,
    "ironcalc": ironcalc_values,
}
