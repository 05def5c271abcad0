"""Benchmark `couple-xl consolidate` against simple ways of reading the same files.

    python bench/bench_consolidate.py [--n 1000] [--files DIR] [--repeat 3]

Generates N filled returns (spread over partnerships of 20 partners), then times,
each in a fresh process so that peak memory is its own:
  (a) a raw python-calamine read of every sheet of every file;
  (b) a naive loop that loads each file fully with openpyxl;
  (c) couple-xl consolidate, summary workbook included, and its reading phase
      alone (read, validate, score, compare; nothing written);
  (d) consolidate with the read boundary's checks taken out, a measurement only: how
      close to (a) this design could come if the checks cost nothing;
and prints the ratios (each quick task's best of --repeat runs, interleaved, since a
shared machine's speed drifts), peak memory (the largest of the runs), and the cold
start of `couple-xl --help`.
Targets: (c) at least 10x faster than (b), at most 2x (a) end to end, peak memory
for 1,000 returns within 1.5x of 40 (child processes counted), help under 0.25 s.
No test asserts timings: this script reports them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PER_PARTNERSHIP = 20
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/memory.py


def _make(args: tuple[int, str, int]) -> int:
    """Write the returns of one partnership (run in a worker process)."""
    import datetime as dt
    import uuid

    from couple_xl import __version__
    from couple_xl.layout import answer_name, comment_name
    from couple_xl.metadata import WorkbookMetadata
    from couple_xl.templates import resolve_template
    from couple_xl.workbook import build_workbook, named, save_atomically

    index, folder, count = args
    template = resolve_template("couple")
    rng = random.Random(index)
    choices = list(template.engine_scale.choices)
    for n in range(count):
        meta = WorkbookMetadata(
            template_id=template.id, template_version=template.version,
            template_sha256=template.fingerprint, partnership_id=f"bench-{index:03d}",
            partnership_name=f"Benchmark partnership {index}", partner=f"Partner {n:02d}",
            round="Round 1", round_date=dt.date(2026, 10, 1), return_id=uuid.uuid4().hex,
            created=dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc),
            generator=f"couple_xl {__version__}",
        )  # fmt: skip
        wb = build_workbook(template, meta)
        for _, q in template.questions:
            named(wb, answer_name(q.id)).value = rng.choice(choices)
            if rng.random() < 0.2:
                named(wb, comment_name(q.id)).value = "A comment typed by the partner."
        save_atomically(wb, Path(folder) / f"p{index:03d}-{n:02d}.xlsx")
    return count


def generate(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    existing = len(list(folder.glob("*.xlsx")))
    if existing == n:
        print(f"Reusing {n} returns in {folder}")
        return
    for old in folder.glob("*.xlsx"):
        old.unlink()
    jobs = []
    for index in range((n + PER_PARTNERSHIP - 1) // PER_PARTNERSHIP):
        jobs.append((index, str(folder), min(PER_PARTNERSHIP, n - index * PER_PARTNERSHIP)))
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        made = sum(pool.map(_make, jobs))
    print(f"Generated {made} returns in {time.perf_counter() - start:.1f} s")


# --- the measured tasks, each run in its own process ----------------------------------


def task_calamine(files: list[str]) -> None:
    from python_calamine import CalamineWorkbook

    for f in files:
        wb = CalamineWorkbook.from_path(f)
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()


def task_openpyxl(files: list[str]) -> None:
    import openpyxl

    for f in files:
        openpyxl.load_workbook(f).close()


def task_consolidate(files: list[str]) -> None:
    from couple_xl.pipeline import ConsolidateOptions, run_consolidate

    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_consolidate(
            ConsolidateOptions(paths=[Path(f) for f in files], output=Path(tmp) / "s.xlsx")
        )
        assert not outcome.result.rejected
        assert len(outcome.result.records) == len(files)


def task_unchecked(files: list[str]) -> None:
    """(d) consolidate with the read boundary's checks taken out: a measurement of what
    this design could reach if they cost nothing, never a mode of couple_xl (they are
    what stops hostile files). Only the parts the reader parses are taken from the zip,
    unmeasured; no sheet is scanned (so no error or formula cell is noticed) and no grid
    is checked. The reading pool's workers are forked, so they inherit the change."""
    import io
    import multiprocessing
    import zipfile

    from couple_xl import boundary, returns

    if multiprocessing.get_start_method() != "fork":
        raise SystemExit("the unchecked run needs worker processes that are forked")
    parsed = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "docProps/custom.xml",
              "docProps/core.xml", "docProps/app.xml")  # fmt: skip

    def unchecked(data, location, limits=boundary.LIMITS):
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = {n: archive.read(n) for n in parsed if n in archive.NameToInfo}
        return boundary.Package(location, parts, data, limits)

    returns.open_package = unchecked
    boundary.scan_sheet = lambda data: boundary.SheetScan(formula_cells=set())
    boundary.Package.check_grid = lambda self, sheet: None
    task_consolidate(files)


def task_read(files: list[str]) -> None:
    """Consolidation without writing anything: read, validate, score, compare."""
    from couple_xl.consolidate import consolidate

    result = consolidate([Path(f) for f in files])
    assert len(result.records) == len(files)


TASKS = {
    "calamine": task_calamine,
    "openpyxl": task_openpyxl,
    "read": task_read,
    "consolidate": task_consolidate,
    "unchecked": task_unchecked,
}


def _child(task: str, listing: str) -> None:
    import resource

    files = Path(listing).read_text().split("\n")
    start = time.perf_counter()
    TASKS[task](files)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_kb / 1024}))


def measure(task: str, files: list[Path]) -> dict:
    """Run a task in a fresh process; its peak memory counts its child processes (the
    reading pool's workers) as well, sampled by bench/memory.py."""
    import memory

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(str(p) for p in files))
        listing = f.name
    try:
        run = memory.run([sys.executable, __file__, "--child", task, listing])
    finally:
        os.unlink(listing)
    if run.returncode != 0:
        raise SystemExit(f"{task} failed:\n{run.stderr}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["peak_mb"] = max(result["peak_mb"], run.peak_mb)
    return result


def cold_start(runs: int = 7) -> float:
    exe = Path(sys.executable).with_name("couple-xl")
    cmd = [str(exe), "--help"] if exe.exists() else [sys.executable, "-m", "couple_xl", "--help"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="returns to generate (default 1000)")
    parser.add_argument("--files", type=Path, default=None, help="folder to keep the returns in")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each quick task, best kept (default 3)"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    folder = args.files or Path(tempfile.gettempdir()) / f"couple-bench-{args.n}"
    generate(folder, args.n)
    files = sorted(folder.glob("*.xlsx"))
    print(f"\n{len(files)} returns, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB\n")

    # This machine's speed drifts between runs: each task but the slow openpyxl loop is
    # run --repeat times, interleaved, and its best time kept (as timeit does); its
    # peak memory is the largest of its runs.
    runs: dict[str, list[dict]] = {task: [] for task in TASKS}
    for _ in range(args.repeat):
        for task in TASKS:
            if task != "openpyxl" or not runs[task]:
                runs[task].append(measure(task, files))
    results = {
        task: {
            "seconds": min(r["seconds"] for r in rs),
            "peak_mb": max(r["peak_mb"] for r in rs),
        }
        for task, rs in runs.items()
    }
    print(f"best of {args.repeat} runs (openpyxl: 1)")
    for task, r in results.items():
        per = r["seconds"] / len(files) * 1000
        print(f"{task:12s} {r['seconds']:7.2f} s  {per:6.2f} ms/file  peak {r['peak_mb']:6.0f} MB")
    c, a, b = (results[k]["seconds"] for k in ("consolidate", "calamine", "openpyxl"))
    print(f"\nconsolidate vs naive openpyxl (b): {b / c:5.2f}x faster   (target >= 10x)")
    print(f"consolidate vs raw calamine  (a): {c / a:5.2f}x the time")
    read = results["read"]["seconds"]
    print(
        f"reading phase alone (no summary written): {b / read:5.2f}x faster than (b), "
        f"{read / a:4.2f}x the time of (a)"
    )

    few = files[:40]
    small = max((measure("consolidate", few) for _ in range(args.repeat)),
                key=lambda r: r["peak_mb"])  # fmt: skip
    baseline = measure("consolidate", files[:1])
    whole = results["consolidate"]["peak_mb"]
    print(
        f"\npeak memory, child processes counted: {baseline['peak_mb']:.0f} MB for 1 return, "
        f"{small['peak_mb']:.0f} MB for {len(few)}, {whole:.0f} MB for {len(files)}"
    )
    print(f"consolidate, {len(files)} vs {len(few)} returns: {whole / small['peak_mb']:.2f}x the "
          "peak memory (target <= 1.5x)")  # fmt: skip
    print(f"consolidate vs raw calamine (a), end to end: {c / a:.2f}x (target <= 2x)")
    d = results["unchecked"]["seconds"]
    print(f"the same without the read boundary's checks (d): {d / a:.2f}x (this design's floor)")
    print(f"\ncouple-xl --help cold start: {cold_start():.3f} s (target <= 0.25 s)")


if __name__ == "__main__":
    main()
