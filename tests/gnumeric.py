"""Recalculate workbooks in Gnumeric, the tests' second independent spreadsheet engine.

`ssconvert` keeps the cached values of an .xlsx unless it is given --recalc, and it
can exit 0 without writing, so every call checks that its output exists.
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def ssconvert_path() -> str | None:
    return shutil.which("ssconvert")


def _one(job: tuple[Path, Path]) -> Path:
    source, target = job
    proc = subprocess.run(
        [ssconvert_path(), "--recalc", "--export-type=Gnumeric_Excel:xlsx2", str(source),
         str(target)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert target.exists(), f"Gnumeric did not write {target}: {proc.stdout}\n{proc.stderr}"
    return target


def recalculate(files: list[Path], out_dir: Path) -> list[Path]:
    """Open each file in Gnumeric, recalculate, and save a copy in ``out_dir``."""
    assert ssconvert_path(), "Gnumeric (ssconvert) is not installed"
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(Path(f), out_dir / Path(f).name) for f in files]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(_one, jobs))
