"""Call Excel functions through xlwings' own custom-function protocol.

This is the path xlwings Lite and xlwings Server take when Excel calls a
function: custom_functions_meta registers the module's functions, and
custom_functions_call converts Excel's arguments and calls one of them.

Run in a subprocess: XLWINGS_ON_SERVER must be set before xlwings is first
imported, or custom_functions_meta silently finds no functions. The xlwings
server code is PolyForm Noncommercial; the "noncommercial" key covers these tests.

    python tests/xlwings_protocol.py < spec.json
spec: {"module": name or path to a .py file, "block": [module prefixes that must
not import], "calls": [[FUNC_NAME, [arg, ...]], ...]}
Prints {"meta": ..., "blocked_import_failed": bool, "results": [{"value": v} or
{"error": "Type: message"}, ...]}.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve()


class _Blocker(importlib.abc.MetaPathFinder):
    def __init__(self, prefixes: list[str]) -> None:
        self.prefixes = prefixes

    def find_spec(self, name, path=None, target=None):
        if any(name == p or name.startswith(p + ".") for p in self.prefixes):
            raise ImportError(f"{name} is blocked in this interpreter")
        return None


def _load(module: str):
    if module.endswith(".py"):
        spec = importlib.util.spec_from_file_location("lite_main", module)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["lite_main"] = mod
        spec.loader.exec_module(mod)
        return mod
    return importlib.import_module(module)


def _run(spec: dict) -> dict:
    os.environ["XLWINGS_ON_SERVER"] = "true"
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    blocked = spec.get("block", [])
    if blocked:
        sys.meta_path.insert(0, _Blocker(blocked))
    import xlwings
    from xlwings.server import custom_functions_call, custom_functions_meta

    blocked_import_failed = True
    for name in blocked:
        try:
            importlib.import_module(name)
            blocked_import_failed = False
        except ImportError:
            pass
    module = _load(spec["module"])
    meta = custom_functions_meta(module)
    loop = asyncio.new_event_loop()
    results = []
    for name, args in spec["calls"]:
        data = {
            "func_name": name,
            "args": args,
            "version": xlwings.__version__,
            "client": "Office.js",
            "caller_address": "Summary!C6",
            "formula_args": None,
            "culture_info_name": "en-GB",
            "date_format": "dd/mm/yyyy",
            "runtime": "1.4",
        }
        try:
            value = loop.run_until_complete(custom_functions_call(data, module))
            results.append({"value": value})
        except Exception as err:  # the protocol turns any exception into an Excel error
            results.append({"error": f"{type(err).__name__}: {err}"})
    loop.close()
    return {"meta": meta, "blocked_import_failed": blocked_import_failed, "results": results}


def call_functions(
    module: str | Path, calls: list, block: list[str] | None = None, python: str | None = None
) -> dict:
    """Run ``calls`` against ``module`` in a fresh interpreter (this one, or ``python``,
    for another xlwings); see the module docstring."""
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    spec = {"module": str(module), "block": block or [], "calls": calls}
    proc = subprocess.run(
        [python or sys.executable, str(SCRIPT)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if proc.returncode != 0:
        raise AssertionError(f"protocol run failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


if __name__ == "__main__":
    print(json.dumps(_run(json.load(sys.stdin))))
