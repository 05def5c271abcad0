"""Drive LibreOffice headless for the tests: recalculate workbooks, edit them over UNO.

LibreOffice shows the cached values stored in an .xlsx unless its profile says to
recalculate on load, and `soffice --convert-to` exits 0 even when a file fails to
load, so every call here uses a private profile that forces recalculation and
checks that each expected output exists.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
UNO_SCRIPT = Path(__file__).with_name("uno_edit.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require(what: str, available: bool) -> None:
    """Skip locally when a tool is missing; fail under CI, where it must be installed."""
    if available:
        return
    message = f"{what} is not installed"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}, and CI=true: .ci/run must install it", pytrace=False)
    pytest.skip(message)


def make_profile(folder: Path) -> str:
    """A private LibreOffice profile that recalculates every formula on load."""
    user = folder / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_PROFILE, encoding="utf-8")
    return folder.resolve().as_uri()


def recalculate(files: list[Path], out_dir: Path, fmt: str = "xlsx") -> list[Path]:
    """Open each file in LibreOffice, recalculate, and save a copy in ``out_dir``.

    One soffice call for all files. Returns the outputs in input order.
    """
    soffice = soffice_path()
    assert soffice, "LibreOffice is not installed"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        cmd = [
            soffice,
            f"-env:UserInstallation={make_profile(Path(profile))}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(out_dir),
            *map(str, files),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    outputs = [out_dir / f"{Path(f).stem}.{fmt}" for f in files]
    missing = [str(o) for o in outputs if not o.exists()]
    assert not missing, f"LibreOffice did not write {missing}: {proc.stdout}\n{proc.stderr}"
    return outputs


def uno_available() -> bool:
    if not (soffice_path() and Path(SYSTEM_PYTHON).exists()):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
    return probe.returncode == 0


def uno_edit(jobs: list[dict]) -> list[dict]:
    """Run edit jobs in one LibreOffice session through UNO, as a person would edit.

    Each job: {"input": path, "output": path, "ops": [...]}; see uno_edit.py.
    Returns each job's report (for example values read back).
    """
    with tempfile.TemporaryDirectory(prefix="lo-uno-") as tmp:
        spec = Path(tmp) / "jobs.json"
        spec.write_text(json.dumps({"profile": make_profile(Path(tmp) / "profile"), "jobs": jobs}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        proc = subprocess.run(
            [SYSTEM_PYTHON, str(UNO_SCRIPT), str(spec)],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        if proc.returncode != 0:
            raise AssertionError(f"UNO edit failed:\n{proc.stdout}\n{proc.stderr}")
        return json.loads(proc.stdout)


if __name__ == "__main__":  # pragma: no cover - manual use
    print(recalculate([Path(p) for p in sys.argv[1:]], Path("recalculated")))
