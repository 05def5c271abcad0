"""Benchmark reading returns: `consolidate` and `check` against the simplest ways of doing
the same, measured side by side in one run.

    python bench/bench_consolidate.py [--n 1000] [--few 400] [--files DIR] [--repeat 3]

Generates N filled returns (partnerships of 20 partners; the first --few of them are the
smaller set), then, each task in a fresh process and every task once per round, for
--repeat rounds (interleaved, so that a shared machine's drift falls on all alike; each
task's best time counts):
  - a raw python-calamine read of every sheet of every file, at --few and at N returns;
  - couple-xl consolidate, summary workbook included, at --few and at N, and its reading
    phase alone (read, validate, score, compare; nothing written) at N;
  - a naive loop that loads each file fully with openpyxl, at --few;
  - `couple-xl check` of one return, and `python -c "import click, python_calamine"`
    (the imports check cannot do without), a few times a round;
then the peak memory of consolidate for 1, 40 and N returns (child processes counted)
and the cold start of `couple-xl --help`.

Targets: consolidate of N ÷ raw read ≤ 2.5× (2× is the goal beyond); naive openpyxl ÷
consolidate at --few ≥ 10×; check ÷ bare imports ≤ 3× (2× is the goal beyond); peak
memory for N within 1.5× of 40. No test asserts timings: this script reports them.

couple_xl's modules are compiled to bytecode first, as installing the package does, so
that no fresh process pays for compiling them (some environments never write bytecode).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PER_PARTNERSHIP = 20
BARE_IMPORTS = "import click, python_calamine"
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
    """Run a task in a fresh process; its time is the task's, measured inside the process
    from its start (imports included, the interpreter's own start-up not); its peak
    memory counts its child processes (the reading pool's workers) as well, sampled by
    bench/memory.py."""
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


def command(name: str) -> list[str]:
    """couple-xl as installed beside this Python, or run as a module."""
    exe = Path(sys.executable).with_name(name)
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "couple_xl"]


def wall(cmd: list[str], expect: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True)
    seconds = time.perf_counter() - start
    if done.returncode not in expect:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr.decode()}")
    return seconds


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="returns to generate (default 1000)")
    parser.add_argument("--few", type=int, default=400, help="the smaller set (default 400)")
    parser.add_argument("--files", type=Path, default=None, help="folder to keep the returns in")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of every task, best kept (default 3)"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    import couple_xl

    compileall.compile_dir(Path(couple_xl.__file__).parent, quiet=1)
    folder = args.files or Path(tempfile.gettempdir()) / f"couple-bench-{args.n}"
    generate(folder, args.n)
    files = sorted(folder.glob("*.xlsx"))
    few = files[: args.few]
    print(f"\n{len(files)} returns, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB")
    print(f"load average before: {load_average()}\n")

    check = [*command("couple-xl"), "check", str(files[0])]
    bare = [sys.executable, "-c", BARE_IMPORTS]
    plan = [
        ("calamine", few), ("consolidate", few), ("openpyxl", few),
        ("calamine", files), ("consolidate", files), ("read", files),
    ]  # fmt: skip
    seconds: dict[tuple[str, int], float] = {}
    peaks: dict[tuple[str, int], float] = {}
    cold: dict[str, float] = {"check": float("inf"), "bare": float("inf")}
    for _ in range(args.repeat):
        for task, chosen in plan:
            run = measure(task, chosen)
            key = (task, len(chosen))
            seconds[key] = min(seconds.get(key, float("inf")), run["seconds"])
            peaks[key] = max(peaks.get(key, 0.0), run["peak_mb"])
        for _ in range(5):  # the quick pair, side by side, a few times a round
            cold["check"] = min(cold["check"], wall(check))
            cold["bare"] = min(cold["bare"], wall(bare))

    print(f"best of {args.repeat} rounds, each task from its start, imports included")
    for (task, count), took in seconds.items():
        per = took / count * 1000
        print(
            f"{task:12s} {count:5d} returns {took:7.2f} s  {per:6.2f} ms/file  "
            f"peak {peaks[task, count]:5.0f} MB"
        )
    t = seconds
    nf, n = len(few), len(files)
    print()
    ratio_few = t["consolidate", nf] / t["calamine", nf]
    ratio = t["consolidate", n] / t["calamine", n]
    print(f"consolidate ÷ raw calamine read, {nf} returns:   {ratio_few:5.2f}x")
    target = "(target <= 2.5x, 2x beyond)"
    print(f"consolidate ÷ raw calamine read, {n} returns:  {ratio:5.2f}x   {target}")
    naive = t["openpyxl", nf] / t["consolidate", nf]
    print(f"naive openpyxl ÷ consolidate, {nf} returns:     {naive:5.2f}x   (target >= 10x)")
    read = t["read", n] / t["calamine", n]
    print(f"reading phase alone (no summary) ÷ raw read, {n}: {read:5.2f}x")
    print(
        f'check of one file ÷ `python -c "{BARE_IMPORTS}"`: {cold["check"] / cold["bare"]:5.2f}x '
        f"({cold['check']:.3f} s against {cold['bare']:.3f} s; target <= 3x, 2x beyond)"
    )
    print(f"load average after the timings: {load_average()}")

    small = max((measure("consolidate", files[:40]) for _ in range(args.repeat)),
                key=lambda r: r["peak_mb"])  # fmt: skip
    baseline = measure("consolidate", files[:1])
    whole = peaks["consolidate", n]
    growth = whole / small["peak_mb"]
    print(
        f"\npeak memory, child processes counted: {baseline['peak_mb']:.0f} MB for 1 return, "
        f"{small['peak_mb']:.0f} MB for 40, {whole:.0f} MB for {n}: {growth:.2f}x the peak "
        "for 40 (target <= 1.5x)"
    )
    helps = [wall([*command("couple-xl"), "--help"]) for _ in range(7)]
    print(f"couple-xl --help cold start: {min(helps):.3f} s (best of 7)")


if __name__ == "__main__":
    main()
