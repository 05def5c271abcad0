"""The COUPLE_ functions for Excel: xlwings Lite code, embedding it, classic set-up.

The xlwings Lite main.py is generated from the engine's and udfs' own source
files, so it cannot drift from them: there is one copy of every rule.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import Location, ReadError
from .files import refuse_overwrite, write_text_atomically

# What xlwings Lite itself records in workbooks it saves (see the README): these
# versions are seen together in real Lite-saved files.
LITE_STORE_ID = "wa200008175"
LITE_REFERENCE_VERSION = "1.0.0.0"  # the store add-in's version, in we:reference
LITE_ADDIN_VERSION = "1.0.0.0-17"  # the addinVersion property Lite writes
LITE_PYODIDE_VERSION = "0.27.5"
LITE_XLWINGS_VERSION = "0.33.14"
# Lite's editor marks the packages it needs itself "# required".
LITE_REQUIREMENTS = (
    f"xlwings=={LITE_XLWINGS_VERSION}  # required",
    "python-dotenv==1.1.0  # required",
    "pyodide-http  # required",
    "black  # required",
)
UDF_MODULE = "couple_xl.udfs"
# How Excel stores a call to an add-in's custom function in a cell's formula.
_CUSTOM_CALL = re.compile(r"_xldudf_([A-Za-z0-9_.]+)\(")

_ENGINE_IMPORT = re.compile(
    r"^# --- engine import:.*?^# --- end engine import ---\n", flags=re.S | re.M
)
_FUTURE = "from __future__ import annotations\n"

NS_TASKPANES = "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"
NS_WEBEXT = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
REL_TASKPANES = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
REL_WEBEXTENSION = "http://schemas.microsoft.com/office/2011/relationships/webextension"
TASKPANES_PART = "xl/webextensions/taskpanes.xml"
WEBEXTENSION_PART = "xl/webextensions/webextension1.xml"
TASKPANES_RELS = "xl/webextensions/_rels/taskpanes.xml.rels"


def _source(module_name: str) -> str:
    # Read beside this file rather than import: importing udfs would import xlwings.
    return Path(__file__).with_name(f"{module_name}.py").read_text(encoding="utf-8")


def lite_main_source() -> str:
    """A self-contained main.py for xlwings Lite: the engine, then the functions."""
    engine = _source("scoring")
    functions = _source("udfs")
    if _FUTURE not in engine or _FUTURE not in functions:
        raise RuntimeError("scoring.py and udfs.py must use `from __future__ import annotations`")
    if not _ENGINE_IMPORT.search(functions):
        raise RuntimeError("udfs.py has lost its marked engine import block")
    functions = _ENGINE_IMPORT.sub("", functions.replace(_FUTURE, "", 1))
    engine = engine.replace(_FUTURE, "", 1)
    header = (
        f'"""COUPLE scoring functions for xlwings Lite (couple_xl {__version__}).\n\n'
        "Generated from couple_xl's own scoring engine: do not edit here. To update,\n"
        'run `couple-xl addin --lite --out DIR` and paste the new main.py.\n"""\n\n'
    )
    return (
        f"{header}{_FUTURE}\n"
        "# ===== The COUPLE scoring engine (couple_xl/scoring.py) =====\n"
        f"{engine}\n\n"
        "# ===== The Excel functions (couple_xl/udfs.py) =====\n"
        f"{functions}"
    )


def lite_requirements() -> str:
    return "\n".join(LITE_REQUIREMENTS) + "\n"


@dataclass
class AddinFiles:
    """Files written by `couple-xl addin`."""

    written: list[Path]


def _write_new(path: Path, text: str, force: bool) -> Path:
    refuse_overwrite(path, force)
    return write_text_atomically(path, text)


def write_lite_files(out_dir: Path, force: bool = False) -> AddinFiles:
    """Write main.py and requirements.txt for pasting into the xlwings Lite editor."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return AddinFiles(
        [
            _write_new(out_dir / "main.py", lite_main_source(), force),
            _write_new(out_dir / "requirements.txt", lite_requirements(), force),
        ]
    )


def classic_config(interpreter: str | None = None) -> str:
    """The classic xlwings add-in configuration (xlwings.conf lines)."""
    lines = [f'"UDF_MODULES","{UDF_MODULE}"']
    if interpreter:
        lines.insert(0, f'"INTERPRETER_WIN","{interpreter}"')
    return "\n".join(lines) + "\n"


def write_classic_config(out_dir: Path, force: bool = False) -> AddinFiles:
    """Write xlwings.conf for the classic add-in, pointing at this Python."""
    out_dir.mkdir(parents=True, exist_ok=True)
    interpreter = sys.executable if sys.platform.startswith("win") else None
    return AddinFiles([_write_new(out_dir / "xlwings.conf", classic_config(interpreter), force)])


# --- embedding in a workbook ----------------------------------------------------


def _property(name: str, value: str) -> str:
    # Each value is a JSON-encoded string, then escaped for the XML attribute.
    from xml.sax.saxutils import quoteattr  # it imports urllib.request: only when embedding

    return f"<we:property name={quoteattr(name)} value={quoteattr(json.dumps(value))}/>"


def _webextension_xml(
    main_py: str, requirements: str, functions: list[str], extension_id: str
) -> str:
    """The web extension part. ``functions`` are the custom-function ids the cells call
    (``_xldudf_COUPLE_SCORE``…); Lite lists them, sorted, and flags that there are some."""
    props = "".join(
        _property(name, value)
        for name, value in (
            ("main.py", main_py),
            ("requirements.txt", requirements),
            ("pyodideVersion", LITE_PYODIDE_VERSION),
            ("addinVersion", LITE_ADDIN_VERSION),
        )
    )
    flag = '<we:containsCustomFunctions val="1"/>' if functions else "<we:containsCustomFunctions/>"
    ids = "".join(f"<we:customFunctionIds>{f}</we:customFunctionIds>" for f in functions)
    id_list = (
        f"<we:customFunctionIdList>{ids}</we:customFunctionIdList>"
        if ids
        else ("<we:customFunctionIdList/>")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<we:webextension xmlns:we="{NS_WEBEXT}" id="{{{extension_id}}}">'
        f'<we:reference id="{LITE_STORE_ID}" version="{LITE_REFERENCE_VERSION}" store="en-US" '
        'storeType="OMEX"/>'
        f'<we:alternateReferences><we:reference id="{LITE_STORE_ID.upper()}" '
        f'version="{LITE_REFERENCE_VERSION}" store="{LITE_STORE_ID.upper()}" storeType="OMEX"/>'
        "</we:alternateReferences>"
        f"<we:properties>{props}</we:properties>"
        f'<we:bindings/><we:snapshot xmlns:r="{NS_R}"/>'
        "<we:extLst>"
        f'<a:ext xmlns:a="{NS_A}" uri="{{D87F86FE-615C-45B5-9D79-34F1136793EB}}">'
        f"{flag}</a:ext>"
        f'<a:ext xmlns:a="{NS_A}" uri="{{7C84B067-C214-45C3-A712-C9D94CD141B2}}">'
        f"{id_list}</a:ext>"
        "</we:extLst></we:webextension>"
    )


def custom_functions_called(parts: dict[str, bytes]) -> list[str]:
    """The custom-function ids that the workbook's cells call, sorted."""
    found: set[str] = set()
    for name, data in parts.items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            found.update(f"_xldudf_{m}" for m in _CUSTOM_CALL.findall(data.decode("utf-8")))
    return sorted(found)


def _taskpanes_xml() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<wetp:taskpanes xmlns:wetp="{NS_TASKPANES}">'
        '<wetp:taskpane dockstate="right" visibility="0" width="438" row="3">'
        f'<wetp:webextensionref xmlns:r="{NS_R}" r:id="rId1"/>'
        "</wetp:taskpane></wetp:taskpanes>"
    )


def _taskpanes_rels() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_WEBEXTENSION}" Target="webextension1.xml"/>'
        "</Relationships>"
    )


def _insert_before(xml: str, closing: str, addition: str, part: str) -> str:
    if closing not in xml:
        raise RuntimeError(f"{part} has no {closing}")
    head, tail = xml.rsplit(closing, 1)
    return f"{head}{addition}{closing}{tail}"


def embed_lite(parts: dict[str, bytes], extension_id: str) -> dict[str, bytes]:
    """A workbook's parts (as openpyxl wrote them) with the xlwings Lite code added,
    under the web extension id ``extension_id`` (openpyxl cannot write it itself)."""
    if TASKPANES_PART in parts:
        raise RuntimeError("the workbook already carries a task pane")
    parts = dict(parts)
    rels = parts["_rels/.rels"].decode("utf-8")
    parts["_rels/.rels"] = _insert_before(
        rels,
        "</Relationships>",
        f'<Relationship Id="rIdCoupleLite" Type="{REL_TASKPANES}" Target="{TASKPANES_PART}"/>',
        "_rels/.rels",
    ).encode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")
    parts["[Content_Types].xml"] = _insert_before(
        types,
        "</Types>",
        f'<Override PartName="/{TASKPANES_PART}" '
        'ContentType="application/vnd.ms-office.webextensiontaskpanes+xml"/>'
        f'<Override PartName="/{WEBEXTENSION_PART}" '
        'ContentType="application/vnd.ms-office.webextension+xml"/>',
        "[Content_Types].xml",
    ).encode("utf-8")
    parts[TASKPANES_PART] = _taskpanes_xml().encode("utf-8")
    parts[TASKPANES_RELS] = _taskpanes_rels().encode("utf-8")
    functions = custom_functions_called(parts)
    parts[WEBEXTENSION_PART] = _webextension_xml(
        lite_main_source(), lite_requirements(), functions, extension_id
    ).encode("utf-8")
    return parts


def read_embedded_lite(path: Path) -> dict[str, str]:
    """The xlwings Lite properties embedded in a workbook, JSON-decoded ({} if none)."""
    from defusedxml.ElementTree import fromstring

    try:
        with zipfile.ZipFile(path) as z:
            if WEBEXTENSION_PART not in z.namelist():
                return {}
            root = fromstring(z.read(WEBEXTENSION_PART))
    except (OSError, zipfile.BadZipFile) as err:
        raise ReadError(f"cannot read the workbook: {err}", Location(file=path)) from err
    return {
        prop.get("name"): json.loads(prop.get("value"))
        for prop in root.iter(f"{{{NS_WEBEXT}}}property")
    }
