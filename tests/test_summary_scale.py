"""The summary speaks each template's own scale and bands, never a fixed 1 to 5."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl

from couple_xl.pipeline import ConsolidateOptions, run_consolidate
from couple_xl.templates import template_from_data
from tests.helpers import edge_template_data, fill, generate


def _overview_notes(path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [c.value for row in wb["Overview"].iter_rows() for c in row if isinstance(c.value, str)]


def _chart_max(path) -> str:
    with zipfile.ZipFile(path) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    return re.search(r'<c:max val="([^"]+)"', chart).group(1)


def test_a_one_to_seven_template_is_described_as_such(tmp_path, template):
    edge = template_from_data(edge_template_data(template), "edge template")
    (written,) = generate(tmp_path / "sent", partners=["Org"], template=edge).workbooks
    returns = tmp_path / "returns"
    returns.mkdir()
    fill(written.path, returns / "org.xlsx", {q.id: 7 for _, q in edge.questions})
    out = tmp_path / "s.xlsx"
    run_consolidate(ConsolidateOptions(paths=[returns], output=out))
    notes = " ".join(_overview_notes(out))
    assert "Scores run from 1 to 7." in notes
    assert "Band words: Strength 5.5 or more, Developing 3.5 or more, otherwise Concern." in notes
    assert "1 to 5" not in notes
    assert _chart_max(out) == "7"


def test_rounds_with_different_scales_say_so(tmp_path, template):
    edge = template_from_data(edge_template_data(template), "edge template")
    returns = tmp_path / "returns"
    returns.mkdir()
    for label, date, t in [
        ("Spring", dt.date(2026, 4, 1), template),
        ("Autumn", dt.date(2026, 10, 1), edge),
    ]:
        (written,) = generate(
            tmp_path / label,
            partners=["Org"],
            template=t,
            round_label=label,
            round_date=date,
            partnership_name=f"{label} partnership",
        ).workbooks
        fill(written.path, returns / f"{label}.xlsx", {q.id: 4 for _, q in t.questions})
    out = tmp_path / "s.xlsx"
    run_consolidate(ConsolidateOptions(paths=[returns], output=out))
    notes = " ".join(_overview_notes(out))
    assert (
        "The rounds shown use different templates, with different scales "
        "(edge 1.0.0: 1 to 7; couple 1.0.0: 1 to 5)." in notes
    )
    assert "Band words differ between the templates of these rounds" in notes
    assert _chart_max(out) == "7"


def _score_rules(ws, cell: str) -> list[str]:
    """The formulas of the band-colour rules that apply to one Overview score cell."""
    return [
        rule.formula[0]
        for cf in ws.conditional_formatting
        if cell in cf.sqref
        for rule in cf.rules
        if rule.formula and rule.formula[0].startswith("AND(ISNUMBER(")
    ]


def test_each_overview_row_is_coloured_by_its_own_templates_bands(tmp_path, template):
    edge = template_from_data(edge_template_data(template), "edge template")
    returns = tmp_path / "returns"
    returns.mkdir()
    plan = [("Alpha", template), ("Beta", edge), ("Gamma", edge), ("Delta", template)]
    for name, t in plan:
        (written,) = generate(
            tmp_path / name, partners=["Org"], template=t, partnership_name=f"{name} partnership"
        ).workbooks
        fill(written.path, returns / f"{name}.xlsx", {q.id: 4 for _, q in t.questions})
    out = tmp_path / "s.xlsx"
    run_consolidate(ConsolidateOptions(paths=[returns], output=out))
    ws = openpyxl.load_workbook(out)["Overview"]
    header = next(r for r in ws.iter_rows() if r[0].value == "Partnership")
    score_cols = [c.column_letter for c in header if c.column >= 6 and c.value != "Band"]
    bands = {f"{name} partnership": (t.thresholds.strength, t.thresholds.developing)
             for name, t in plan}  # fmt: skip
    rows = [r for r in ws.iter_rows(min_row=header[0].row + 1) if r[0].value in bands]
    assert len(rows) == len(plan)
    for row in rows:
        strength, developing = bands[row[0].value]
        for col in score_cols:
            rules = _score_rules(ws, f"{col}{row[0].row}")
            # Three rules (Strength, Developing, Concern), each written for the block's
            # top-left cell, with this row's template's cut-offs and no other.
            assert len(rules) == 3, (col, row[0].row, rules)
            cut_offs = {float(x) for rule in rules for x in re.findall(r"[<>]=?([\d.]+)", rule)}
            assert cut_offs == {strength, developing}
