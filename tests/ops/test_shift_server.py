"""``infractl shift`` against ``moto_server`` on 127.0.0.1: real HTTP through ``AWS_ENDPOINT_URL``, real time."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from infractl import cli, errors
from infractl.ops import shift
from tests.conftest import ROOT
from tests.ops.conftest import Alb, make_alb, shift_args

pytestmark = pytest.mark.usefixtures("moto_server")
FAST = ("--bake-seconds", "0.3", "--poll-seconds", "0.05")


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


def test_rerun_after_an_interrupted_process(alb: Alb) -> None:
    """SIGINT to a real ``python -m infractl shift`` mid-bake, then a re-run that finishes the shift."""
    argv = [sys.executable, "-m", "infractl", *shift_args(alb, "--to", "green", "--json")]
    process = subprocess.Popen([*argv, "--bake-seconds", "60"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    wait_for(lambda: alb.weights()["green"] == 10)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == shift.EXIT_INTERRUPTED
    assert json.loads(out)["outcome"] == "interrupted"
    assert alb.weights() == {"blue": 90, "green": 10}

    rerun = subprocess.run([*argv, *FAST], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60)
    assert rerun.returncode == errors.EXIT_OK, rerun.stderr
    record = json.loads(rerun.stdout)
    assert record["started_from"] == {"blue": 90, "green": 10}
    assert [e["weights"]["green"] for e in record["events"]] == [25, 50, 100]
    assert alb.weights() == {"blue": 0, "green": 100}


def test_dry_run_changes_nothing(alb: Alb) -> None:
    assert cli.main(shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--dry-run", *FAST)) == errors.EXIT_OK
    assert alb.weights() == {"blue": 100, "green": 0}
