"""Time the offline plan of every stack, the gates and a diff, with peak memory, against an empty program's floor.

Each measurement is a fresh process (``python -m infractl ...``), as a developer or CI
runs it, so imports count. The floor is an empty Pulumi program run the same way: the
ratio says how much the platform itself costs over the SDK and mock runtime. The pull-request
targets (issue 15) are checked in the same run: the matrix gate (every stack on every cloud with
Kubernetes) at most 24x the floor, a one-stack diff against HEAD at most 2.5x that stack's plan.
The peak is the largest process of a run (the command or one of its workers).

    python bench/run.py [--repeat N] [--stack S ...] [--diff-stack S]

It ends with the blue-green rollback latency: seconds from an alarm firing to the starting
weights being back, for ``infractl shift`` against moto_server on 127.0.0.1 (SPEC.md: < 2 min).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OTHER_CLOUDS = ("azure", "gcp")
MATRIX_TARGET = 24.0  # x the floor
DIFF_TARGET = 2.5  # x the stack's plan


def run_once(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MiB of one ``python -m infractl <args>`` and its workers."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "infractl", *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)  # ru_maxrss: the largest of it and its workers
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1 is a verdict (a violation, a broken contract): timed
        raise SystemExit(
            f"infractl {' '.join(args)} failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # KiB on Linux


def measure(commands: dict[str, list[str]], repeat: int) -> list[tuple[str, float, float, float, float]]:
    """Name, median and spread (max - min) of wall seconds, median CPU seconds and peak MiB of each command.

    The repeats go round-robin over every command, so a machine that gets busier or quieter
    during the run shifts every measurement alike and the ratios stay comparable.
    """
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, args in commands.items():
            runs[name].append(run_once(args))
    rows = []
    for name, results in runs.items():
        wall, cpu, peak = zip(*results, strict=True)
        rows.append((name, statistics.median(wall), max(wall) - min(wall), statistics.median(cpu), max(peak)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stack", action="append", help="stack(s) to measure (default: every stack file)")
    parser.add_argument("--diff-stack", default="prod", help="stack of the one-stack diff (default: prod)")
    options = parser.parse_args()
    stacks = options.stack or sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))

    with tempfile.TemporaryDirectory() as empty:
        Path(empty, "Pulumi.yaml").write_text("name: empty\nruntime: python\n")
        Path(empty, "Pulumi.bench.yaml").write_text("config: {}\n")
        Path(empty, "__main__.py").write_text("")
        commands = {"floor (empty program)": ["plan", "--stack", "bench", "--program", empty]}
        commands |= {f"plan {stack}": ["plan", "--stack", stack] for stack in stacks}
        # The stack files ship AWS; the largest stack on each other cloud shows what its SDK costs.
        commands |= {
            f"plan prod on {cloud}": ["plan", "--stack", "prod", "--config", f'clouds=["{cloud}"]']
            for cloud in OTHER_CLOUDS
        }
        # The offline policy gate over the same stacks, then over every stack x cloud with Kubernetes.
        commands["policy (all stacks)"] = ["policy", *(f"--stack={s}" for s in stacks)]
        commands["policy --matrix"] = ["policy", "--matrix"]
        commands[f"diff {options.diff_stack} vs HEAD"] = ["diff", "--stack", options.diff_stack, "--base", "HEAD"]
        rows = measure(commands, options.repeat)

    seconds = {name: value for name, value, *_ in rows}
    floor, floor_cpu = rows[0][1], rows[0][3]
    print(
        f"{'measurement':<24} {'seconds':>8} {'spread':>7} {'x floor':>8} {'cpu s':>7} {'x floor':>8} {'peak MiB':>9}"
    )
    for name, value, spread, cpu, peak in rows:
        print(
            f"{name:<24} {value:8.2f} {spread:7.2f} {value / floor:8.1f} {cpu:7.2f} {cpu / floor_cpu:8.1f} {peak:9.0f}"
        )
    load = os.getloadavg()[0]
    print(
        f"(median of {options.repeat} round-robin runs; load average {load:.1f} on {os.cpu_count()} cores at the end)"
    )
    matrix = seconds["policy --matrix"] / floor
    one_diff = seconds[f"diff {options.diff_stack} vs HEAD"] / seconds[f"plan {options.diff_stack}"]
    print(f"\nmatrix gate: {matrix:.1f}x the floor (target <= {MATRIX_TARGET:g}x)")
    print(f"diff {options.diff_stack}: {one_diff:.2f}x its plan (target <= {DIFF_TARGET:g}x)")
    print(f"\nshift rollback, alarm -> starting weights restored (poll {ROLLBACK_POLL_SECONDS}s, moto_server):")
    print(f"  median {rollback_latency(options.repeat):.2f} s over {options.repeat} runs")


ROLLBACK_POLL_SECONDS = 0.1


def rollback_latency(repeat: int) -> float:
    """Median seconds from ``set_alarm_state(ALARM)`` to the listener's starting weights, seen from outside.

    A shift runs in a thread against moto_server; once its first step is live the alarm fires
    and the weights are polled every 10 ms until they are back at 100/0.
    """
    import contextlib  # noqa: PLC0415  (moto and the test fixtures load only for this measurement)
    import io  # noqa: PLC0415
    import logging  # noqa: PLC0415
    import threading  # noqa: PLC0415
    from unittest import mock  # noqa: PLC0415

    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    sys.path.insert(0, str(ROOT))
    from infractl import cli  # noqa: PLC0415
    from tests.ops.conftest import make_alb, shift_args  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    fake_aws = {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_DEFAULT_REGION": "us-east-1"}
    fake_aws |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    latencies = []
    try:
        with mock.patch.dict(os.environ, fake_aws), contextlib.redirect_stdout(io.StringIO()):
            for _ in range(repeat):
                alb = make_alb()
                argv = shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--bake-seconds", "60")
                argv += ["--poll-seconds", str(ROLLBACK_POLL_SECONDS)]
                with contextlib.redirect_stderr(io.StringIO()):
                    shift = threading.Thread(target=cli.main, args=(argv,))
                    shift.start()
                    while alb.weights()["green"] == 0:
                        time.sleep(0.01)
                    start = time.perf_counter()
                    alb.set_alarm("ALARM", "benchmark")
                    while alb.weights()["blue"] != 100:
                        time.sleep(0.01)
                    latencies.append(time.perf_counter() - start)
                    shift.join()
                urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"))
    finally:
        server.stop()
    return statistics.median(latencies)


if __name__ == "__main__":
    main()
