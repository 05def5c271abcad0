"""Run the hostile-input corpus and print what became of it.

    python bench/hostile.py [--fuzz 1000]

Builds the corpus of tests/hostile_corpus.py (broken, hostile and odd files among
good returns) and a set of seeded byte-level mutations of a good return, then:
  - consolidates the corpus with the command line, in a fresh process, and the good
    returns alone the same way, and compares their peak memory (the process and its
    children counted; target: the corpus within 2x the good returns alone);
  - reads every input on its own, timing each, to find the slowest;
  - counts rejections with a message, crashes (tracebacks, internal errors, exit
    codes other than 0 or 1: target 0) and good answers lost (target 0).
No test asserts these figures: this script reports them, measured in one run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import memory  # noqa: E402

from couple_xl.consolidate import INTERNAL_ERROR, read_one  # noqa: E402
from couple_xl.returns import typed_value  # noqa: E402
from tests.hostile_corpus import CASES, Corpus, mutations  # noqa: E402

CRASH = INTERNAL_ERROR.split("(")[0]


def consolidate_cli(paths: list[Path], out: Path) -> memory.Measured:
    cmd = [sys.executable, "-m", "couple_xl", "consolidate", *map(str, paths)]
    cmd += ["-o", str(out / "summary.xlsx"), "--json", str(out / "summary.json")]
    out.mkdir(parents=True, exist_ok=True)
    return memory.run(cmd)


def answers_lost(summary_json: Path, typed: dict[str, dict]) -> tuple[int, int]:
    """(answers typed into the good returns, answers not found exactly as typed)."""
    data = json.loads(summary_json.read_text(encoding="utf-8"))
    found: dict[str, dict] = {}
    for p in data["partnerships"]:
        for r in p["rounds"]:
            for partner in r.get("partners", []):
                for resp in partner["respondents"]:
                    found[Path(resp["file"]).name] = {
                        qid: a["answer"] for qid, a in resp["answers"].items()
                    }
    total = lost = 0
    for name, answers in typed.items():
        for qid, value in answers.items():
            total += 1
            if found.get(name, {}).get(qid) != typed_value(value):
                lost += 1
    return total, lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fuzz", type=int, default=1000, help="mutations to read (default 1000)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="couple-hostile-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        corpus = Corpus(folder / "corpus")
        corpus.build()
        good = folder / "good"
        good.mkdir()
        for name in corpus.typed:
            shutil.copy(corpus.returns / name, good / name)
        print(f"Built {len(CASES)} hostile cases in {time.perf_counter() - start:.1f} s")

        hostile = consolidate_cli([corpus.returns], folder / "out-hostile")
        baseline = consolidate_cli([good], folder / "out-good")
        crashes = int(hostile.returncode not in (0, 1)) + hostile.stdout.count("Traceback")
        crashes += hostile.stderr.count("Traceback") + hostile.stdout.count(CRASH)
        total, lost = answers_lost(folder / "out-hostile" / "summary.json", corpus.typed)

        # Every input on its own, timed: the corpus's files, then the mutations.
        inputs = sorted(p for p in corpus.returns.iterdir() if p.is_file())
        timings: list[tuple[float, str]] = []
        rejected = with_message = 0
        for path in inputs:
            t = time.perf_counter()
            outcome = read_one(path)
            timings.append((time.perf_counter() - t, path.name))
            if outcome.record is None and not outcome.skipped:
                rejected += 1
                with_message += bool(outcome.finding and outcome.finding.message)
                crashes += outcome.finding.message.startswith(CRASH)
        source = (corpus.returns / next(iter(corpus.typed))).read_bytes()
        fuzz_rejected = fuzz_crashes = 0
        for i, data in enumerate(mutations(source, seed=2026, count=args.fuzz)):
            t = time.perf_counter()
            try:
                outcome = read_one(Path(f"mutant-{i}.xlsx"), data=data)
            except BaseException:
                fuzz_crashes += 1
                continue
            timings.append((time.perf_counter() - t, f"mutant {i}"))
            if outcome.record is None:
                fuzz_rejected += 1
                fuzz_crashes += outcome.finding.message.startswith(CRASH)
        crashes += fuzz_crashes
        slowest_time, slowest = max(timings)

    tried = len(inputs) + args.fuzz
    print(
        f"\ninputs tried:             {tried} ({len(inputs)} corpus files, {args.fuzz} mutations)"
    )
    print(f"rejected with a message:  {with_message} of {rejected} corpus rejections; "
          f"{fuzz_rejected} of {args.fuzz} mutations rejected, the rest read")  # fmt: skip
    print(f"crashes:                  {crashes}   (target 0)")
    print(f"good answers lost:        {lost} of {total}   (target 0)")
    print(f"slowest input:            {slowest} in {slowest_time:.2f} s")
    print(f"consolidate, corpus:      {hostile.seconds:.2f} s, exit {hostile.returncode}, "
          f"peak {hostile.peak_mb:.0f} MB (children counted)")  # fmt: skip
    print(f"consolidate, good only:   {baseline.seconds:.2f} s, exit {baseline.returncode}, "
          f"peak {baseline.peak_mb:.0f} MB")  # fmt: skip
    print(f"peak memory ratio:        {hostile.peak_mb / baseline.peak_mb:.2f}x   (target <= 2x)")
    if not hostile.sampled:
        print("(no /proc here: peaks are the largest single process, children not summed)")


if __name__ == "__main__":
    main()
