"""Time the offline plan of every stack, with peak memory, against an empty program's floor.

Each measurement is a fresh process (``python -m infractl plan``), as a developer or CI
runs it, so imports count. The floor is an empty Pulumi program run the same way: the
ratio says how much the platform itself costs over the SDK and mock runtime.

    python bench/run.py [--repeat N] [--stack S ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(args: list[str], repeat: int) -> tuple[float, float]:
    """Median wall seconds and peak resident MiB of ``python -m infractl <args>``."""
    seconds, peaks = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "infractl", *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(
                f"infractl {' '.join(args)} failed: {process.stderr.read().decode() if process.stderr else ''}"
            )
        peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return statistics.median(seconds), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stack", action="append", help="stack(s) to measure (default: every stack file)")
    options = parser.parse_args()
    stacks = options.stack or sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))

    with tempfile.TemporaryDirectory() as empty:
        Path(empty, "Pulumi.yaml").write_text("name: empty\nruntime: python\n")
        Path(empty, "Pulumi.bench.yaml").write_text("config: {}\n")
        Path(empty, "__main__.py").write_text("")
        rows = [("floor (empty program)", *measure(["plan", "--stack", "bench", "--program", empty], options.repeat))]
    rows += [(f"plan {stack}", *measure(["plan", "--stack", stack], options.repeat)) for stack in stacks]

    floor = rows[0][1]
    print(f"{'measurement':<24} {'seconds':>8} {'x floor':>8} {'peak MiB':>9}")
    for name, seconds, peak in rows:
        print(f"{name:<24} {seconds:8.2f} {seconds / floor:8.1f} {peak:9.0f}")


if __name__ == "__main__":
    main()
