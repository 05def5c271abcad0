"""The COUPLE_ Excel functions, called through xlwings' own custom-function protocol.

Arguments are shaped as Excel sends them: ranges as 2-D lists, None for blank
cells, a single cell as [[value]], numbers as floats.
"""

from __future__ import annotations

import ast
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from couple_xl import addin, scoring
from couple_xl.cli import main
from tests import libreoffice
from tests.helpers import generate
from tests.xlwings_protocol import call_functions

FUNCTIONS = {
    "COUPLE_ANSWERED",
    "COUPLE_BAND",
    "COUPLE_COVERAGE",
    "COUPLE_DISAGREE",
    "COUPLE_OVERALL",
    "COUPLE_PROVISIONAL",
    "COUPLE_SCORE",
    "COUPLE_SD",
    "COUPLE_SPREAD",
}
ACCEPT = [[text, float(value)] for text, value in scoring.accept_rows(scoring.STANDARD_SCALE)]


# How Office.js hands an error cell (here #N/A) to a custom function.
NA_CELL = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


def col(*values):
    """A one-column range as Excel sends it."""
    return [[v] for v in values]


# (function, args, expected value or an error fragment)
CASES = [
    ("COUPLE_SCORE", [col(4.0, "5 – Strongly agree", None, "N/A")], 4.5),
    ("COUPLE_SCORE", [col(" agree ", "DON’T KNOW", 2.0)], 3.0),
    ("COUPLE_SCORE", [col(5.0, 1.0), col(3.0, 1.0)], 4.0),
    ("COUPLE_SCORE", [col(5.0, 1.0), col(3.0, 1.0), ACCEPT], 4.0),
    ("COUPLE_SCORE", [[[4.0]]], 4.0),  # a single cell
    ("COUPLE_SCORE", [None], ""),  # a single blank cell arrives as None
    ("COUPLE_SCORE", ["4"], 4.0),  # a literal argument
    ("COUPLE_SCORE", [[[None, "N/A"], ["", None]]], ""),  # 2-D, nothing rated
    ("COUPLE_SCORE", [col(4.0, "bogus")], "ValueError: #2: 'bogus' is not one of the answers"),
    ("COUPLE_SCORE", [col(2.5)], "ValueError: #1: 2.5 is not one of the answers"),
    ("COUPLE_SCORE", [col(4.0, "#N/A")], "ValueError: #2: '#N/A' is not one of the answers"),
    ("COUPLE_SCORE", [col(4.0, 3.0), col(1.0)], "ValueError: 2 answers but 1 weights"),
    ("COUPLE_SCORE", [col(4.0), col(0.0)], "ValueError: weights must be above 0"),
    ("COUPLE_SCORE", [col(True)], "ValueError: #1: True is not one of the answers"),
    # Answers engines disagree on, as Excel hands them over: each decided as the engine
    # decides it (booleans, a date's day number, errors and wildcards are invalid).
    ("COUPLE_SCORE", [col(4.0, False)], "ValueError: #2: False is not one of the answers"),
    ("COUPLE_SCORE", [col(5.000000000000004, 3.0)], 4.0),
    ("COUPLE_SCORE", [col(5.000001)], "ValueError: #1: 5.000001 is not one of the answers"),
    ("COUPLE_SCORE", [col(46117.0)], "ValueError: #1: 46117.0 is not one of the answers"),
    ("COUPLE_SCORE", [col("#DIV/0!")], "ValueError: #1: '#DIV/0!' is not one of the answers"),
    ("COUPLE_SCORE", [col("a?ree", 4.0)], "ValueError: #1: 'a?ree' is not one of the answers"),
    ("COUPLE_SCORE", [col("agree*")], "ValueError: #1: 'agree*' is not one of the answers"),
    ("COUPLE_SCORE", [col("strongly\u00a0\u00a0agree", "\u00a03\u00a0", "4")], 4.0),
    ("COUPLE_ANSWERED", [col(True, 4.0, "don’t\u00a0know")], "ValueError: #1: True"),
    ("COUPLE_ANSWERED", [col(4.0, "N/A", None, "agree")], 2),
    ("COUPLE_COVERAGE", [col(4.0, "N/A", None, "agree")], 0.5),
    ("COUPLE_COVERAGE", [col("x")], "ValueError"),
    ("COUPLE_BAND", [3.96], "Developing"),
    ("COUPLE_BAND", [4.0], "Strength"),
    ("COUPLE_BAND", [2.5, 3.0, 2.0], "Developing"),
    ("COUPLE_BAND", [None], ""),
    ("COUPLE_BAND", ["high"], "ValueError: the score must be a number, not 'high'"),
    ("COUPLE_PROVISIONAL", [0.25], True),
    ("COUPLE_PROVISIONAL", [0.5], False),
    ("COUPLE_PROVISIONAL", [0.6, 0.75], True),
    ("COUPLE_OVERALL", [col(4.0, 3.0, None, 2.0)], 3.0),
    ("COUPLE_OVERALL", [col(None, "")], ""),
    ("COUPLE_OVERALL", [col(4.0, "#N/A")], "ValueError: a score must be a number, not '#N/A'"),
    ("COUPLE_OVERALL", [col(4.0, NA_CELL)], "ValueError: a score must be a number, not '#N/A'"),
    ("COUPLE_SCORE", [col(4.0, NA_CELL)], "ValueError: #2: '#N/A' is not one of the answers"),
    ("COUPLE_SPREAD", [col(4.0, NA_CELL)], "ValueError"),
    ("COUPLE_SPREAD", [col(4.5, 2.0, None)], 2.5),
    ("COUPLE_SPREAD", [None], ""),
    ("COUPLE_SD", [col(2.0, 4.0)], 1.0),
    ("COUPLE_DISAGREE", [col(4.5, 2.5)], True),
    ("COUPLE_DISAGREE", [col(4.5, 2.6)], False),
    ("COUPLE_DISAGREE", [col(4.5, 3.5), 1.0], True),
]


def check(results: list[dict]) -> None:
    assert len(results) == len(CASES)
    for (name, args, expected), result in zip(CASES, results):
        where = f"{name}{args}"
        if isinstance(expected, str) and expected.startswith("ValueError"):
            assert "error" in result, f"{where}: expected an error, got {result}"
            assert result["error"].startswith(expected), where
        elif isinstance(expected, float):
            assert result["value"][0][0] == pytest.approx(expected, abs=1e-12), where
        else:
            assert result["value"] == [[expected]], where


def _calls():
    # Excel's JavaScript shim sends the Python function name, not the Excel one.
    return [[name.lower(), args] for name, args, _ in CASES]


@pytest.fixture(scope="module")
def desktop_run():
    return call_functions("couple_xl.udfs", _calls())


def test_functions_are_registered_with_help(desktop_run):
    functions = {f["name"]: f for f in desktop_run["meta"]["functions"]}
    assert set(functions) == FUNCTIONS
    for f in functions.values():
        assert f["description"]
        assert not f["description"].startswith("Python function")
        for param in f["parameters"]:
            assert param["description"]
            assert not param["description"].startswith("Positional")
    score_params = [p["name"] for p in functions["COUPLE_SCORE"]["parameters"]]
    assert score_params == ["answers", "weights", "scale"]
    assert [p.get("optional", False) for p in functions["COUPLE_SCORE"]["parameters"]] == [
        False,
        True,
        True,
    ]


def test_functions_through_the_protocol(desktop_run):
    check(desktop_run["results"])


def test_lite_main_from_addin_command_runs_without_couple_xl(tmp_path):
    result = CliRunner().invoke(main, ["addin", "--lite", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    main_py = tmp_path / "main.py"
    assert (tmp_path / "requirements.txt").read_text() == addin.lite_requirements()
    tree = ast.parse(main_py.read_text(encoding="utf-8"))
    imported = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in getattr(n, "names", [])
    }
    assert not any(m and m.startswith("couple_xl") for m in imported)
    run = call_functions(main_py, _calls(), block=["couple_xl"])
    assert run["blocked_import_failed"]
    assert {f["name"] for f in run["meta"]["functions"]} == FUNCTIONS
    check(run["results"])


def test_lite_main_is_generated_from_the_engine_source():
    source = addin.lite_main_source()
    engine = Path(scoring.__file__).read_text(encoding="utf-8")
    body = engine.replace("from __future__ import annotations\n", "", 1)
    assert body in source
    assert "# --- engine import" not in source


def test_the_product_never_imports_xlwings_server_or_pro():
    package = Path(addin.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                assert not name.startswith(("xlwings.server", "xlwings.pro")), path


# --- embedding --------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embedded")
    return generate(folder, partners=["Lite Partner"], embed_lite=True).workbooks[0].path


def test_embedded_parts_follow_the_lite_format(embedded):
    with zipfile.ZipFile(embedded) as z:
        names = set(z.namelist())
        assert {addin.TASKPANES_PART, addin.WEBEXTENSION_PART, addin.TASKPANES_RELS} <= names
        rels = z.read("_rels/.rels").decode()
        assert f'Type="{addin.REL_TASKPANES}" Target="{addin.TASKPANES_PART}"' in rels
        types = z.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-office.webextensiontaskpanes+xml" in types
        assert "application/vnd.ms-office.webextension+xml" in types
        pane = z.read(addin.TASKPANES_PART).decode()
        assert 'visibility="0"' in pane
        assert 'dockstate="right"' in pane
        ext = z.read(addin.WEBEXTENSION_PART).decode()
        assert '<we:reference id="wa200008175" version="1.0.0.0"' in ext
        # As Lite writes it when cells call its functions: the flag, and every id the
        # cells use, sorted.
        assert '<we:containsCustomFunctions val="1"/>' in ext
        ids = re.findall(r"<we:customFunctionIds>([^<]+)</we:customFunctionIds>", ext)
        cells = "".join(z.read(n).decode() for n in names if n.startswith("xl/worksheets/sheet"))
        assert ids == sorted(set(re.findall(r"(_xldudf_[A-Z_]+)\(", cells)))
        assert "_xldudf_COUPLE_SCORE" in ids
        # Property values are JSON strings: quotes and \n escapes, then XML-escaped.
        assert 'value="&quot;' in ext
        sheet = z.read("xl/worksheets/sheet8.xml").decode()
        assert "_xldudf_COUPLE_SCORE(" in sheet
    props = addin.read_embedded_lite(embedded)
    assert props["main.py"] == addin.lite_main_source()
    assert props["requirements.txt"] == addin.lite_requirements()
    assert props["pyodideVersion"] == "0.27.5"
    assert props["addinVersion"] == "1.0.0.0-17"
    assert props["requirements.txt"].splitlines() == [
        "xlwings==0.33.14  # required",
        "python-dotenv==1.1.0  # required",
        "pyodide-http  # required",
        "black  # required",
    ]


def test_embedded_main_runs_through_the_protocol(embedded, tmp_path):
    main_py = tmp_path / "main.py"
    main_py.write_text(addin.read_embedded_lite(embedded)["main.py"], encoding="utf-8")
    run = call_functions(main_py, _calls(), block=["couple_xl"])
    assert run["blocked_import_failed"]
    check(run["results"])


@pytest.mark.xlwings
def test_embedded_main_runs_under_the_xlwings_lite_pins(embedded, tmp_path, pinned_xlwings):
    """The version requirements.txt pins, in an interpreter where couple_xl is not installed."""
    main_py = tmp_path / "main.py"
    main_py.write_text(addin.read_embedded_lite(embedded)["main.py"], encoding="utf-8")
    run = call_functions(main_py, _calls(), block=["couple_xl"], python=pinned_xlwings)
    assert {f["name"] for f in run["meta"]["functions"]} == FUNCTIONS
    check(run["results"])


def test_embedded_workbook_loads_and_recalculates(embedded, tmp_path, soffice, template):
    wb = openpyxl.load_workbook(embedded)
    assert "Q_commitment_choice" in wb.defined_names
    wb.close()
    (out,) = libreoffice.recalculate([embedded], tmp_path / "recalculated")
    values = openpyxl.load_workbook(out, data_only=True)
    ((sheet, cell),) = list(values.defined_names["ANSWERED_commitment"].destinations)
    assert values[sheet][cell.replace("$", "")].value == 0


def test_native_scoring_mode_has_no_function_calls(tmp_path):
    path = generate(tmp_path, partners=["Native"], scoring_mode="native").workbooks[0].path
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets"))
    assert "COUPLE_" not in xml.replace("COUPLE_ACCEPT", "").replace("COUPLE_SCALE", "")


def test_embed_lite_needs_addin_scoring(tmp_path):
    result = CliRunner().invoke(
        main, ["new", "P", "--partner", "A", "--scoring", "native", "--embed-lite",
               "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: --embed-lite needs --scoring addin: native formulas never call it\n"
    )


def test_addin_classic_prints_configuration():
    result = CliRunner().invoke(main, ["addin"])
    assert result.exit_code == 0
    assert 'type couple_xl.udfs into "UDF Modules"' in result.output
    assert result.output.endswith('xlwings.conf:\n"UDF_MODULES","couple_xl.udfs"\n')


def test_addin_lite_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["addin", "--lite", "--out", str(tmp_path)]).exit_code == 0
    again = runner.invoke(main, ["addin", "--lite", "--out", str(tmp_path)])
    assert again.exit_code == 1
    assert again.output == (
        f"Error: {tmp_path / 'main.py'}: already exists; use --force to overwrite it\n"
    )


def test_embedded_json_property_round_trip():
    text = 'a "quoted" line\nand <xml> & more'
    xml = addin._property("main.py", text)
    from defusedxml.ElementTree import fromstring

    element = fromstring(xml.replace("<we:", "<").replace("/>", ' xmlns=""/>'))
    assert json.loads(element.get("value")) == text
