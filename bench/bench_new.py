"""Benchmark `couple-xl new`: a round of 20 partners against a round of 1.

    python bench/bench_new.py [--partners 20] [--repeat 3]

Each measurement is a whole `couple-xl new` process writing into a fresh folder, so
start-up counts. The runs are interleaved (1 partner, N partners, the import floor, and
again) and each one's best time is kept, since a shared machine's speed drifts; its peak
memory is the largest of its runs (bench/memory.py, child processes counted). The import
floor is a bare interpreter importing what `new` cannot do without (click, pydantic,
openpyxl), for scale. One untimed run of each comes first, and Python may write bytecode
(as an installed package has it), so that no timed run compiles couple_xl's source. The
load average is printed before and after, and the processor time of each run (user and
system, from the operating system's accounting of the finished process) beside its wall
time, as it is steadier on a busy machine.
Target: `new` of 20 partners at most 1.5x `new` of 1. No test asserts timings.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/memory.py

import memory  # found through the path above

FLOOR = "import click, pydantic, openpyxl"


def _couple_xl() -> list[str]:
    exe = Path(sys.executable).with_name("couple-xl")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "couple_xl"]


def new_command(partners: int, out: Path) -> list[str]:
    names = [x for n in range(1, partners + 1) for x in ("--partner", f"Partner {n:02d}")]
    return [
        *_couple_xl(), "new", "Riverside Food Partnership", *names, "--round", "Autumn 2026",
        "--round-date", "2026-10-01", "--due", "2026-12-18",
        "--contact", "Sam Lee <sam@example.org>", "--out", str(out),
    ]  # fmt: skip


# Bytecode is written, so that the timed runs start as an installed package does.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: list[str]) -> tuple[memory.Measured, float]:
    """The run of ``cmd`` and its processor seconds (the runs are one at a time, so the
    growth of the finished children's total is this one's)."""
    before = _children_cpu()
    run = memory.run(cmd, env=ENV)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}… failed:\n{run.stderr}")
    return run, _children_cpu() - before


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=20, help="partners of the large round")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best kept")
    args = parser.parse_args()

    print(f"load average before: {load()}")
    tasks = {"new, 1 partner": 1, f"new, {args.partners} partners": args.partners, "floor": 0}
    runs: dict[str, list[tuple[memory.Measured, float]]] = {task: [] for task in tasks}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(-1, args.repeat):  # run -1 warms up, untimed
            for task, partners in tasks.items():
                out = Path(tmp) / f"{partners}-{n}"
                cmd = [sys.executable, "-c", FLOOR] if not partners else new_command(partners, out)
                measured = measure(cmd)
                if n >= 0:
                    runs[task].append(measured)
                if partners:
                    written = len(list(out.glob("*.xlsx")))
                    if written != partners:
                        raise SystemExit(f"{task}: {written} workbooks written")
                    shutil.rmtree(out)
    print(f"load average after:  {load()}\n")
    print(f"best of {args.repeat} runs, interleaved")
    best = {task: min(r.seconds for r, _ in rs) for task, rs in runs.items()}
    cpu = {task: min(c for _, c in rs) for task, rs in runs.items()}
    for task, rs in runs.items():
        peak = max(r.peak_mb for r, _ in rs)
        print(f"{task:20s} {best[task]:6.3f} s  (processor {cpu[task]:6.3f} s)  "
              f"peak {peak:5.1f} MB")  # fmt: skip
    large = f"new, {args.partners} partners"
    one, many = best["new, 1 partner"], best[large]
    print(f"\nnew, {args.partners} partners / 1 partner: {many / one:.2f}x (target <= 1.5x); "
          f"processor time {cpu[large] / cpu['new, 1 partner']:.2f}x")  # fmt: skip
    per = (cpu[large] - cpu["new, 1 partner"]) / (args.partners - 1) * 1000
    print(f"processor time of each partner after the first: {per:.1f} ms")
    print(f"start-up and one workbook above the import floor: {one - best['floor']:.3f} s")


if __name__ == "__main__":
    main()
