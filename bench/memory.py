"""Run a command and measure its peak memory with its child processes counted.

The peak is the largest sum of resident memory over the process and all its
descendants, sampled from /proc every few milliseconds (Linux); the kernel's own
high-water mark of the command's process (VmHWM, which starts afresh at exec) is a
floor under it, so a short spike between samples is not missed in a single-process
run. (ru_maxrss of children is no use here: Linux carries the parent's high-water
mark across fork and exec.) Elsewhere only ru_maxrss is available, and the result
says so.
"""

from __future__ import annotations

import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str
    sampled: bool  # False where /proc is missing: peak_mb is the largest single process


def _status_kb(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    pids, stack = [], [pid]
    while stack:
        p = stack.pop()
        pids.append(p)
        try:
            for task in (PROC / str(p) / "task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except OSError:
            continue
    return pids


def run(cmd: list[str], interval: float = 0.005, **kwargs) -> Measured:
    sampled = PROC.is_dir()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )
    peak_kb = floor_kb = 0
    if sampled:
        while proc.poll() is None:
            peak_kb = max(peak_kb, sum(_status_kb(p) for p in _tree(proc.pid)))
            floor_kb = max(floor_kb, _status_kb(proc.pid, "VmHWM"))
            time.sleep(interval)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    if not sampled:
        floor_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Measured(
        seconds, max(peak_kb, floor_kb) / 1024, proc.returncode, stdout, stderr, sampled
    )


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    m = run(sys.argv[1:])
    print(f"{m.seconds:.2f} s, peak {m.peak_mb:.0f} MB (exit {m.returncode})", file=sys.stderr)
    sys.exit(m.returncode)
