"""Names and texts are measured as Excel measures them (UTF-16 units), refused at the
door when Excel would refuse or cut them, and fitted where couple_xl builds them."""

from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl import excel
from couple_xl.cli import main
from couple_xl.returns import read_return
from couple_xl.templates import template_from_data
from tests.helpers import EMOJI, edge_template, edge_template_data, generate


def test_units_fit_and_cut_count_as_excel_does():
    assert excel.units("abc") == 3
    assert excel.units("a" + EMOJI) == 3
    assert excel.fit("a" * 29 + EMOJI, 31) == "a" * 29 + EMOJI  # 31 units: fits
    assert excel.fit("a" * 30 + EMOJI, 31) == "a" * 30 + "…"  # 32 units: cut
    # A cut never splits the emoji's surrogate pair: 254 units, not 255.
    assert excel.cut("x" * 254 + EMOJI + "y", 255) == "x" * 254


@pytest.fixture(scope="module")
def edge(template):
    return template_from_data(edge_template_data(template), "edge template")


def test_the_edge_template_is_accepted(edge):
    assert excel.units(edge.principles[0].name) == 31
    assert len(edge.principles[0].questions) == 20
    assert edge.engine_scale.values == tuple(range(1, 8))


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Commitment to each other now!!" + EMOJI, "is 32 characters as Excel counts them"),
        ("History", "'History' is a sheet name Excel keeps for itself"),
        ("Plans [draft]", "contains [ ], which Excel does not allow"),
        ("'Quoted'", "starts or ends with an apostrophe"),
    ],
)
def test_templates_check_refuses_what_excel_would(tmp_path, template, name, says):
    data = edge_template(template)
    data["principles"][2]["name"] = name
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["templates", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}: principles[3].name: a principle name is a sheet name, and this one {says}" in (
        result.output
    )


def test_guidance_over_255_units_is_refused(tmp_path, template):
    data = edge_template(template)
    data["principles"][0]["questions"][0]["guidance"] = EMOJI * 128  # 128 chars, 256 units
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["templates", "check", str(path)])
    assert result.exit_code == 1
    assert "principles[1].questions[1].guidance: guidance is 256 characters as Excel counts" in (
        result.output
    )


def _xml(path, part: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(part).decode("utf-8")


def test_edge_workbook_fits_every_excel_limit(tmp_path, edge):
    (written,) = generate(tmp_path, partners=["Org"], template=edge).workbooks
    wb = openpyxl.load_workbook(written.path)
    assert edge.principles[0].name in wb.sheetnames
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert excel.units(dv.promptTitle or "") <= excel.VALIDATION_TITLE
            assert excel.units(dv.prompt or "") <= excel.VALIDATION_TEXT
    titles = [dv.promptTitle for dv in wb[edge.principles[0].name].data_validations.dataValidation]
    # "name 20" would be 34 units: the name is shortened and the number kept.
    assert titles[0] == "Commitment to each other now… 1"
    assert titles[19] == "Commitment to each other now… 20"


def test_a_long_partnership_name_is_shortened_in_headers_and_kept_whole(tmp_path):
    name = " ".join(["Riverside Food & Community Partnership"] * 8)[:286].strip()
    assert len(name) == 286
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["new", name, "--partner", "Org", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "is shown shortened in the workbooks' page headers" in result.output
    (path,) = out.glob("*.xlsx")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for hf in (ws.oddHeader, ws.evenHeader, ws.oddFooter, ws.evenFooter):
            text = "".join(
                part.text or "" for part in (hf.left, hf.center, hf.right) if part is not None
            )
            assert excel.units(text) <= excel.HEADER_FOOTER - 10, ws.title
    props = {p.name: p.value for p in wb.custom_doc_props}
    assert excel.units(props["couple.partnership_name"]) == excel.CUSTOM_PROPERTY
    # The property is cut; the hidden sheet keeps the whole name, and readers use it.
    record = read_return(path)
    assert record.meta.partnership_name == name
    assert not record.warnings
