"""``infractl shift`` against ``moto_server`` on 127.0.0.1: real HTTP through ``AWS_ENDPOINT_URL``, real time.

Runs in another process are followed through their progress lines on stderr (``[1/4] green 10%``),
so a test acts when the step has been written, never after a guessed delay.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infractl import cli, errors
from infractl.ops import common, lease, shift
from tests.conftest import ROOT
from tests.ops.conftest import Alb, Relay, make_alb, shift_args

pytestmark = pytest.mark.usefixtures("moto_server")
FAST = ("--bake-seconds", "0.3", "--poll-seconds", "0.05")
# Long enough that a run is always still baking when the test acts on it; the test ends it sooner.
FOREVER = ("--bake-seconds", "3600", "--poll-seconds", "0.05")
WATCHDOG_SECONDS = 120


@pytest.fixture
def alb() -> Alb:
    return make_alb()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> float:
    """Poll until ``condition()``; the monotonic time it became true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return time.monotonic()


class Run:
    """``python -m infractl ...`` in its own process, followed line by line on stderr."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infractl", *argv],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.stderr: list[str] = []

    def until(self, text: str) -> None:
        """Block until a stderr line contains ``text``; fail with what it printed if it exits first.

        A watchdog kills a run that never prints it, so a broken shift fails the test instead of hanging it.
        """
        assert self.process.stderr is not None
        watchdog = threading.Timer(WATCHDOG_SECONDS, self.process.kill)
        watchdog.start()
        try:
            while line := self.process.stderr.readline():
                self.stderr.append(line)
                if text in line:
                    return
        finally:
            watchdog.cancel()
        raise AssertionError(f"exited {self.process.wait()} before printing {text!r}: {''.join(self.stderr)}")

    def finish(self) -> tuple[int, dict[str, Any], str]:
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, json.loads(out), "".join(self.stderr) + err


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:  # a failed assertion must not leave a shift running
        if run.process.poll() is None:
            run.process.kill()
            run.process.communicate()


def test_full_shift_to_green(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--json", *FAST)) == errors.EXIT_OK
    assert alb.weights() == {"blue": 0, "green": 100}
    assert [e["weights"]["green"] for e in json.loads(capsys.readouterr().out)["events"]] == [10, 25, 50, 100]


def test_alarm_rolls_back_to_the_starting_weights(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    argv = shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--bake-seconds", "60", "--poll-seconds", "0.1")
    status: list[int] = []
    runner = threading.Thread(target=lambda: status.append(cli.main([*argv, "--json"])))
    runner.start()
    wait_for(lambda: alb.weights()["green"] == 10)
    alb.set_alarm("ALARM", "5xx over threshold")
    fired = time.monotonic()
    restored = wait_for(lambda: alb.weights() == {"blue": 100, "green": 0})
    runner.join(timeout=20)
    assert status == [shift.EXIT_ROLLED_BACK]
    assert restored - fired < shift.MAX_ROLLBACK_SECONDS
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "rolled_back" and "web-5xx" in out["reason"]


def test_outputs_alone_roll_back_on_the_target_colours_alarm(alb: Alb, tmp_path: Path, runs: list[Run]) -> None:
    """Issue 11: ``shift --outputs F --tier web --to green`` with no ``--alarm`` watches green's rollback alarms."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(alb.outputs()))
    runs.append(run := Run(["shift", "--outputs", str(outputs), "--tier", "web", "--to", "green", "--json", *FOREVER]))
    run.until("[1/4] green 10%")
    alb.set_alarm("ALARM", "p95 latency over 500 ms", name=alb.rollback_alarms["green"])
    status, record, _ = run.finish()
    assert status == shift.EXIT_ROLLED_BACK
    assert alb.weights() == {"blue": 100, "green": 0}
    assert record["started_from"] == {"blue": 100, "green": 0} and record["live"] == {"blue": 100, "green": 0}
    assert "alarm platform-green-rollback is in ALARM (p95 latency over 500 ms)" in record["reason"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_rerun_after_an_interrupted_process(alb: Alb, runs: list[Run], signum: int) -> None:
    """SIGINT or SIGTERM to a real ``python -m infractl shift`` mid-bake, then a re-run that finishes the shift."""
    argv = shift_args(alb, "--to", "green", "--json")
    runs.append(run := Run([*argv, *FOREVER]))
    run.until("[1/4] green 10%")
    run.process.send_signal(signum)
    status, record, err = run.finish()
    assert status == errors.EXIT_SIGNAL_BASE + signum, err
    assert record["outcome"] == "interrupted" and record["live"] == {"blue": 90, "green": 10}
    assert alb.weights() == {"blue": 90, "green": 10}
    assert alb.leases() == {}  # given back on the way out

    rerun = subprocess.run(
        [sys.executable, "-m", "infractl", *argv, *FAST], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert rerun.returncode == errors.EXIT_OK, rerun.stderr
    again = json.loads(rerun.stdout)
    assert again["started_from"] == {"blue": 90, "green": 10}
    assert [e["weights"]["green"] for e in again["events"]] == [25, 50, 100]
    assert alb.weights() == {"blue": 0, "green": 100}


def test_a_second_shift_on_the_same_listener_refuses_naming_the_holder(
    alb: Alb, runs: list[Run], capsys: pytest.CaptureFixture[str]
) -> None:
    runs.append(first := Run(shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--json", *FOREVER)))
    first.until("[1/4] green 10%")
    ((key, holder),) = alb.leases().items()
    assert f"pid {first.process.pid} until " in holder

    assert cli.main(shift_args(alb, "--to", "blue", "--bake-seconds", "0")) == errors.EXIT_LEASE_HELD
    out = capsys.readouterr().out
    assert f"is being moved by {holder.split(' until ')[0]} ({key}, until" in out
    assert alb.weights() == {"blue": 90, "green": 10}  # the second run wrote nothing

    alb.set_alarm("ALARM")  # end the first run: it rolls back, still holding its lease
    status, record, _ = first.finish()
    assert status == shift.EXIT_ROLLED_BACK and record["lease"] == key
    assert alb.weights() == {"blue": 100, "green": 0} and alb.leases() == {}


def test_two_shifts_started_together_never_both_move_traffic(alb: Alb) -> None:
    """Both ready, then released at the same instant: at most one moves traffic (both may refuse), and a
    refusal names its rival's lease."""
    parser = argparse.ArgumentParser()
    shift.register(parser.add_subparsers())
    shifts = [shift.prepare(parser.parse_args(shift_args(alb, "--to", "green", *FAST)), common.CLOCK)[0] for _ in "ab"]
    start = threading.Barrier(len(shifts))
    results: dict[int, shift.Record] = {}

    def go(index: int) -> None:
        start.wait()
        results[index] = shifts[index].execute()[1]

    threads = [threading.Thread(target=go, args=(index,)) for index in range(len(shifts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    moved = [index for index, record in results.items() if record.events]
    assert len(moved) <= 1
    for index, record in results.items():
        rival = shifts[1 - index].lease.key
        assert record.outcome == ("completed" if index in moved else "lease_held")
        assert index in moved or rival in (record.reason or "")
    assert alb.weights() == ({"blue": 0, "green": 100} if moved else {"blue": 100, "green": 0})
    assert alb.leases() == {}


def test_a_crashed_runs_lease_names_it_until_taken_over(
    alb: Alb, runs: list[Run], capsys: pytest.CaptureFixture[str]
) -> None:
    runs.append(crashed := Run(shift_args(alb, "--to", "green", "--json", *FOREVER)))
    crashed.until("[1/4] green 10%")
    crashed.process.kill()  # SIGKILL: no chance to give the lease back
    crashed.process.communicate()
    (key,) = alb.leases()

    retry = shift_args(alb, "--to", "green", "--bake-seconds", "0")
    assert cli.main(retry) == errors.EXIT_LEASE_HELD
    out = capsys.readouterr().out
    assert f"pid {crashed.process.pid} ({key}, until" in out and f"re-run with --take-over {key}" in out
    assert cli.main([*retry, "--take-over", key]) == errors.EXIT_OK
    assert alb.weights() == {"blue": 0, "green": 100} and alb.leases() == {}


def test_a_crashed_runs_lease_expires(alb: Alb, runs: list[Run]) -> None:
    runs.append(crashed := Run(shift_args(alb, "--to", "green", "--lease-seconds", "1", "--json", *FOREVER)))
    crashed.until("[1/4] green 10%")
    crashed.process.kill()
    crashed.process.communicate()
    (value,) = alb.leases().values()
    expiry = lease.Claim.parse("key", value).until
    assert expiry is not None
    wait_for(lambda: datetime.now(UTC) >= expiry)
    assert cli.main(shift_args(alb, "--to", "green", "--bake-seconds", "0")) == errors.EXIT_OK
    assert alb.weights() == {"blue": 0, "green": 100} and alb.leases() == {}


def test_lost_endpoint_mid_shift_prints_the_command_that_finishes(
    alb: Alb, moto_server: str, runs: list[Run], fast_failures: None
) -> None:
    """moto_server becomes unreachable during a bake: exit 6, what is live, the rollback's fate, the next command."""
    relay = Relay(moto_server)
    through_relay = {"AWS_ENDPOINT_URL": relay.url}
    runs.append(run := Run(shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--json", *FOREVER), through_relay))
    run.until("[1/4] green 10%")
    relay.cut()
    status, record, err = run.finish()
    assert status == errors.EXIT_AWS_FAILED, err
    assert record["outcome"] == "aws_failed" and "Could not connect to the endpoint URL" in record["reason"]
    assert record["live"] == {"blue": 90, "green": 10}
    assert record["rollback_attempted"] is True and record["rollback_succeeded"] is False
    assert alb.weights() == {"blue": 90, "green": 10}
    assert list(alb.leases()) == [record["lease"]]  # it could not give the lease back either

    relay.restore()
    finish = subprocess.run(
        [sys.executable, *shlex.split(record["next_commands"]["restore"])[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **through_relay},
    )
    assert finish.returncode == errors.EXIT_OK, finish.stderr
    assert alb.weights() == {"blue": 100, "green": 0} and alb.leases() == {}


def test_dry_run_changes_nothing(alb: Alb) -> None:
    assert cli.main(shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--dry-run", *FAST)) == errors.EXIT_OK
    assert alb.weights() == {"blue": 100, "green": 0} and alb.leases() == {}
