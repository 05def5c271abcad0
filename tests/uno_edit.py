"""Edit workbooks in LibreOffice through UNO, the way a partner would.

Run with the system interpreter (python3-uno works only there):
    /usr/bin/python3 tests/uno_edit.py jobs.json

jobs.json: {"profile": file-URI, "jobs": [{"input", "output", "ops": [...]}]}
Operations:
    {"op": "type", "name": "Q_x", "text": "4"}     type into a named cell (numbers parse)
    {"op": "type_text", "name": "Q_x", "text": "4"} enter as text
    {"op": "insert_rows", "sheet": "S", "before": 6, "count": 2}
    {"op": "insert_columns", "sheet": "S", "before": 3, "count": 1}  (1-based)
    {"op": "rename_sheet", "sheet": "S", "to": "T"}
    {"op": "move_sheet", "sheet": "S", "to_index": 0}
    {"op": "read", "name": "SCORE_x"}               value after recalculation
Prints a JSON list with one report per job.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.table.CellContentType import FORMULA, TEXT, VALUE


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(profile):
    pipe = f"couple_uno_{uuid.uuid4().hex}"
    proc = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.time() + 90
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.3)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return proc, desktop


def named_cell(doc, name):
    return doc.NamedRanges.getByName(name).getReferredCells().getCellByPosition(0, 0)


def with_unprotected(sheet, action):
    # The sheets are protected without a password; a partner can lift that in one click.
    protected = sheet.isProtected()
    if protected:
        sheet.unprotect("")
    try:
        action()
    finally:
        if protected:
            sheet.protect("")


def cell_value(cell):
    if cell.getError():
        return {"error": cell.getError()}
    kind = cell.getType()
    if kind == VALUE:
        return cell.getValue()
    if kind == TEXT:
        return cell.getString()
    if kind == FORMULA:
        result = cell.FormulaResultType2
        # com.sun.star.sheet.FormulaResult: VALUE = 1, STRING = 2, ERROR = 4
        if result == 1:
            return cell.getValue()
        if result == 2:
            return cell.getString()
        return {"error": cell.getString()}
    return None


def apply(doc, op):
    sheets = doc.Sheets
    kind = op["op"]
    if kind == "type":
        named_cell(doc, op["name"]).setFormula(op["text"])
    elif kind == "type_text":
        named_cell(doc, op["name"]).setString(op["text"])
    elif kind == "insert_rows":
        sheet = sheets.getByName(op["sheet"])
        with_unprotected(
            sheet, lambda: sheet.Rows.insertByIndex(op["before"] - 1, op.get("count", 1))
        )
    elif kind == "insert_columns":
        sheet = sheets.getByName(op["sheet"])
        with_unprotected(
            sheet, lambda: sheet.Columns.insertByIndex(op["before"] - 1, op.get("count", 1))
        )
    elif kind == "rename_sheet":
        sheets.getByName(op["sheet"]).setName(op["to"])
    elif kind == "move_sheet":
        sheets.moveByName(op["sheet"], op["to_index"])
    elif kind == "read":
        doc.calculateAll()
        return {op["name"]: cell_value(named_cell(doc, op["name"]))}
    else:
        raise ValueError(f"unknown operation {kind!r}")
    return None


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    proc, desktop = connect(spec["profile"])
    reports = []
    try:
        for job in spec["jobs"]:
            url = uno.systemPathToFileUrl(os.path.abspath(job["input"]))
            doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
            if doc is None:
                raise RuntimeError(f"LibreOffice could not open {job['input']}")
            report = {}
            try:
                for op in job.get("ops", []):
                    result = apply(doc, op)
                    if result:
                        report.update(result)
                if job.get("output"):
                    out = uno.systemPathToFileUrl(os.path.abspath(job["output"]))
                    doc.storeToURL(out, (prop("FilterName", "Calc MS Excel 2007 XML"),))
            finally:
                doc.close(True)
            reports.append(report)
    finally:
        with contextlib.suppress(Exception):
            desktop.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(json.dumps(reports))


if __name__ == "__main__":
    main()
