"""Every function and coercion the workbooks use, as single formulas with Excel's
documented result (tests/probes.py), in LibreOffice, Gnumeric, formualizer and IronCalc.

A formula the workbooks rely on must give Excel's result in every engine, so a future
formula that depends on a behaviour only some engines share fails here first. A
behaviour the workbooks avoid may differ in an engine, but only by the departure
recorded for it, so that a change in an engine shows here too.
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from couple_xl.workbook import write_empty_cells_as_excel
from tests import gnumeric, libreoffice
from tests.excel_engines import IN_PROCESS, ErrorValue, cached_values
from tests.helpers import generate, review_workbook
from tests.probes import INPUT_SHEET, INPUTS, PROBE_SHEET, PROBES, Probe

pytestmark = [pytest.mark.libreoffice, pytest.mark.gnumeric]

ENGINES = ("libreoffice", "gnumeric", *IN_PROCESS)
TOLERANCE = 1e-9


def probe_workbook(path: Path) -> Path:
    """The inputs on one sheet, each probe's formula on another, one a row (A1, A2…)."""
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = INPUT_SHEET
    for ref, value in INPUTS.items():
        inputs[ref] = value
        if isinstance(value, str) and not value.startswith(("=", "#")):
            inputs[ref].data_type = "s"
    probes = wb.create_sheet(PROBE_SHEET)
    for row, probe in enumerate(PROBES, start=1):
        probes.cell(row, 1).value = probe.formula
    wb.save(path)
    write_empty_cells_as_excel(path)
    return path


def same(got, want) -> bool:
    """Type and value: TRUE is not 1, the text "#N/A" is not the error #N/A."""
    if isinstance(want, ErrorValue):
        return got == want
    if isinstance(want, bool):
        return isinstance(got, bool) and got == want
    if isinstance(want, float):
        return isinstance(got, float) and not isinstance(got, bool) and abs(got - want) <= TOLERANCE
    return isinstance(got, str) and not isinstance(got, ErrorValue) and got == want


@pytest.fixture(scope="module")
def results(tmp_path_factory, soffice, ssconvert) -> dict[str, dict[str, object]]:
    """Each engine's result for each probe, by engine and probe id."""
    folder = tmp_path_factory.mktemp("probes")
    book = probe_workbook(folder / "probes.xlsx")
    cells = {p.id: (PROBE_SHEET, row, 1) for row, p in enumerate(PROBES, start=1)}
    (lo,) = libreoffice.recalculate([book], folder / "libreoffice")
    (gn,) = gnumeric.recalculate([book], folder / "gnumeric")
    out = {"libreoffice": cached_values(lo, cells), "gnumeric": cached_values(gn, cells)}
    for engine, read in IN_PROCESS.items():
        out[engine] = read(book, cells)
    return out


def test_probe_ids_are_unique_and_departures_name_known_engines():
    assert len({p.id for p in PROBES}) == len(PROBES)
    for probe in PROBES:
        assert set(probe.departures) <= set(ENGINES), probe.id
        assert not (probe.relied and probe.departures), f"{probe.id}: relied on, yet departs"
        assert probe.says


def _functions_in(path: Path) -> set[str]:
    """Every function name the formulas of a workbook's sheets call."""
    calls = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_.]*)\(")
    names = set()
    with zipfile.ZipFile(path) as z:
        for part in z.namelist():
            if part.startswith("xl/worksheets/sheet"):
                xml = html.unescape(z.read(part).decode("utf-8"))
                for formula in re.findall(r"<f[^>]*>([^<]*)</f>", xml):
                    names.update(calls.findall(re.sub(r'"[^"]*"', '""', formula)))
    return {_kind(n) for n in names}


def _kind(function: str) -> str:
    """A function's name; the COUPLE_ functions count as one, as none is built in (the
    IFERROR probes cover what a workbook does without the add-in)."""
    return re.sub(r"^(_XLDUDF_)?COUPLE_[A-Z_]+$", r"\1COUPLE_*", function.upper())


def test_every_function_the_workbooks_call_has_a_probe_they_rely_on(tmp_path, template):
    """A formula calling a function no relied-on probe covers fails here first."""
    books = [
        *(w.path for w in generate(tmp_path / "native", scoring_mode="native").workbooks),
        *(w.path for w in generate(tmp_path / "addin").workbooks),
        *(w.path for w in generate(tmp_path / "lite", embed_lite=True).workbooks),
        review_workbook(tmp_path, template, ["Done", "Completed"]),
    ]
    used = set().union(*(_functions_in(book) for book in books))
    probed = set().union(
        *(
            {_kind(n) for n in re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\(", p.formula)}
            for p in PROBES
            if p.relied
        )
    )
    assert used, "no formulas found"
    assert used - probed == set()


def _table(results, probes: list[Probe]) -> str:
    lines = []
    for probe in probes:
        cells = [repr(results[e][probe.id]) for e in ENGINES]
        lines.append(f"{probe.id}: Excel {probe.excel!r} | " + " | ".join(cells))
    return "\n".join(lines)


def test_what_the_workbooks_rely_on_is_excels_result_in_every_engine(results):
    wrong = [
        f"{probe.id} ({probe.formula}) in {engine}: {results[engine][probe.id]!r}, "
        f"Excel gives {probe.excel!r}"
        for probe in PROBES
        if probe.relied
        for engine in ENGINES
        if not same(results[engine][probe.id], probe.excel)
    ]
    assert not wrong, "\n".join(wrong)


def test_what_the_workbooks_avoid_departs_only_as_recorded(results):
    wrong = []
    for probe in PROBES:
        if probe.relied:
            continue
        for engine in ENGINES:
            want = probe.departures.get(engine, probe.excel)
            got = results[engine][probe.id]
            if not same(got, want):
                wrong.append(
                    f"{probe.id} ({probe.formula}) in {engine}: {got!r}, recorded {want!r}"
                )
    print("\n" + _table(results, PROBES))
    assert not wrong, "\n".join(wrong)
