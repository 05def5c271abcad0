"""Peak memory of `couple-xl consolidate` as the number of returns grows.

    python bench/bench_memory.py [--sizes 40,1000,10000] [--files DIR] [--repeat 1] [--pdf]

Returns come in partnerships of 20 partners over 4 rounds, as an umbrella body's would.
One partnership's 80 returns are built and filled for real; every other partnership is
a clone of them with its own partnership id and name, return ids and round ids, patched
into each part of the files (the ids are plain ASCII of fixed length, so a clone is what
`new` would have written for that partnership, filled the same way). The returns are
kept in --files (by default a folder under the system's temporary folder) for the next
run; they are never committed.

Each size runs `couple-xl consolidate` in a fresh process, as a user would (the summary,
CSV and JSON exports), on the first N returns (whole partnerships and rounds first), and
its peak memory is sampled as the sum over the process and its workers (bench/memory.py).
With --pdf the same runs are repeated with the trustees' report, measured apart.

Prints each peak, the ratios 10,000 / 1,000 and 1,000 / 40, the peak per return beyond
1,000 ((peak at 10,000 - peak at 1,000) / 9,000), and the machine's load average before
and after. Target: 10,000 returns within 2x the peak of 1,000 (1.5x the goal beyond).
No test asserts these figures: this script reports them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PARTNERS = 20
ROUNDS = 4
PER_PARTNERSHIP = PARTNERS * ROUNDS
CREATED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/memory.py


def _pid(index: int) -> str:
    return f"bench-{index:04d}"


def _name(index: int) -> str:
    return f"Benchmark partnership {index:04d}"


def _round(n: int) -> tuple[str, dt.date, dt.datetime]:
    """Round n's label, date and creation time (each round is sent a quarter apart)."""
    created = CREATED + dt.timedelta(days=91 * n)
    return f"Round {n + 1}", created.date(), created


def _fill(job: tuple[int, int, str]) -> list[tuple[str, str]]:
    """Build and fill partner ``partner``'s returns of every round (in a worker process);
    returns each file's name and its return id."""
    from couple_xl import __version__
    from couple_xl.layout import RESPONDENT_NAME, answer_name, comment_name
    from couple_xl.metadata import WorkbookMetadata
    from couple_xl.templates import resolve_template
    from couple_xl.workbook import build_workbook, named, save_atomically

    partner, seed, folder = job
    template = resolve_template("couple")
    rng = random.Random(seed * 1000 + partner)
    choices = list(template.engine_scale.choices)
    made = []
    for n in range(ROUNDS):
        label, date, created = _round(n)
        meta = WorkbookMetadata(
            template_id=template.id, template_version=template.version,
            template_sha256=template.fingerprint, partnership_id=_pid(0),
            partnership_name=_name(0), partner=f"Partner {partner:02d}", round=label,
            round_date=date, return_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            created=created, generator=f"couple_xl {__version__}",
        )  # fmt: skip
        wb = build_workbook(template, meta)
        named(wb, RESPONDENT_NAME).value = f"Respondent {partner:02d}"
        for _, q in template.questions:
            named(wb, answer_name(q.id)).value = rng.choice(choices)
            if rng.random() < 0.2:
                named(wb, comment_name(q.id)).value = "A comment typed by the partner."
        file = f"r{n + 1}-p{partner:02d}.xlsx"
        save_atomically(wb, Path(folder) / file)
        made.append((file, meta.return_id))
    return made


def _clone(job: tuple[str, int, list[tuple[str, str]]]) -> int:
    """Write partnership ``index``'s returns, each a copy of partnership 0's with the ids
    changed, into a folder of its own."""
    from couple_xl.metadata import derived_round_id

    folder, index, base = job
    root = Path(folder)
    rng = random.Random(index)
    swaps = [(_pid(0).encode(), _pid(index).encode()), (_name(0).encode(), _name(index).encode())]
    for n in range(ROUNDS):
        label, _, created = _round(n)
        old, new = (
            derived_round_id(_pid(0), label, created),
            derived_round_id(_pid(index), label, created),
        )
        swaps.append((old.encode(), new.encode()))
    target = root / _pid(index)
    target.mkdir(exist_ok=True)
    for file, return_id in base:
        these = [*swaps, (return_id.encode(), uuid.UUID(int=rng.getrandbits(128)).hex.encode())]
        with (
            zipfile.ZipFile(root / _pid(0) / file) as source,
            zipfile.ZipFile(target / file, "w", zipfile.ZIP_DEFLATED) as out,
        ):
            for info in source.infolist():
                data = source.read(info)
                for old, new in these:
                    data = data.replace(old, new)
                out.writestr(info, data)
    return len(base)


def generate(folder: Path, partnerships: int) -> list[Path]:
    """Every return of ``partnerships`` partnerships, in order: partnership, round, partner."""
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    first = folder / _pid(0)
    ids = folder / "ids.txt"
    if not ids.exists():
        first.mkdir(exist_ok=True)
        with ProcessPoolExecutor(os.cpu_count() or 2) as pool:
            made = pool.map(_fill, [(p, 0, str(first)) for p in range(PARTNERS)])
            base = sorted(pair for pairs in made for pair in pairs)
        ids.write_text("".join(f"{file} {rid}\n" for file, rid in base))
    base = [tuple(line.split()) for line in ids.read_text().splitlines()]
    todo = [i for i in range(1, partnerships)
            if len(list((folder / _pid(i)).glob("*.xlsx"))) != PER_PARTNERSHIP]  # fmt: skip
    if todo:
        with ProcessPoolExecutor(os.cpu_count() or 2) as pool:
            list(pool.map(_clone, [(str(folder), i, base) for i in todo], chunksize=8))
    print(
        f"{partnerships * PER_PARTNERSHIP:,} returns ready in {time.perf_counter() - start:.0f} s"
    )
    return [folder / _pid(i) / file for i in range(partnerships) for file, _ in sorted(base)]


def _subset(folder: Path, files: list[Path], n: int) -> Path:
    """A folder of hard links to the first ``n`` returns (a command line of 10,000 paths
    is longer than some systems take)."""
    target = folder / f"first-{n}"
    if len(list(target.rglob("*.xlsx"))) != n:
        subprocess.run(["rm", "-rf", str(target)], check=True)
        for f in files[:n]:
            link = target / f.parent.name / f.name
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(f, link)
    return target


def consolidate(returns: Path, out: Path, pdf: bool) -> tuple[float, float]:
    """Run the command in a fresh process; its seconds and peak MB, workers counted."""
    import memory

    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "couple_xl", "consolidate", str(returns), "--quiet",
           "-o", str(out / "summary.xlsx"), "--csv", str(out / "csv"),
           "--json", str(out / "summary.json")]  # fmt: skip
    if pdf:
        cmd += ["--pdf", str(out / "report.pdf")]
    run = memory.run(cmd)
    if run.returncode not in (0, 1):  # 1: some file rejected (none should be)
        raise SystemExit(f"consolidate failed:\n{run.stderr}")
    if run.returncode:
        raise SystemExit(f"consolidate rejected a generated return:\n{run.stdout}")
    return run.seconds, run.peak_mb


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="40,1000,10000", help="returns in each run")
    parser.add_argument("--files", type=Path, default=None, help="folder to keep the returns in")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each size, largest peak kept"
    )
    parser.add_argument("--pdf", action="store_true", help="also measure runs with --pdf")
    parser.add_argument("--keep", type=Path, default=None, help="keep the outputs in this folder")
    args = parser.parse_args()

    sizes = [int(s) for s in args.sizes.split(",")]
    folder = args.files or Path(tempfile.gettempdir()) / "couple-bench-memory"
    files = generate(folder, -(-max(sizes) // PER_PARTNERSHIP))
    print(f"load average before: {_load()}")
    kinds = [False, True] if args.pdf else [False]
    peaks: dict[tuple[bool, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        outputs = args.keep or Path(tmp)
        for _ in range(args.repeat):  # interleaved: the machine's load drifts
            for pdf in kinds:
                for n in sizes:
                    out = outputs / f"{n}{'-pdf' if pdf else ''}"
                    seconds, peak = consolidate(_subset(folder, files, n), out, pdf)
                    peaks[pdf, n] = max(peaks.get((pdf, n), 0.0), peak)
                    what = " with --pdf" if pdf else ""
                    print(f"  {n:>6,} returns{what}: {peak:6.0f} MB, {seconds:6.1f} s")
    print(f"load average after:  {_load()}")
    for pdf in kinds:
        print(f"\npeak memory of consolidate{' --pdf' if pdf else ''}, workers counted "
              f"(largest of {args.repeat} run(s)):")  # fmt: skip
        for n in sizes:
            print(f"  {n:>6,} returns: {peaks[pdf, n]:6.0f} MB")
        have = {n: peaks[pdf, n] for n in sizes}
        if 1000 in have and 10000 in have:
            print(f"  10,000 / 1,000: {have[10000] / have[1000]:.2f}x (target <= 2x, goal 1.5x)")
            per = (have[10000] - have[1000]) * 1024 / 9000
            print(f"  per return beyond 1,000: {per:.1f} KB")
        if 40 in have and 1000 in have:
            print(f"  1,000 / 40: {have[1000] / have[40]:.2f}x")


if __name__ == "__main__":
    main()
