"""``infractl shift`` against moto in-process, with a fake clock so bakes take no time."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest

from infractl import cli, errors
from infractl.ops import common, shift
from tests.ops.conftest import REGION, Alb, FakeClock, make_alb, run_command, shift_args

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def alb() -> Alb:
    return make_alb()


def record(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return json.loads(capsys.readouterr().out)


def test_full_shift_moves_every_step_to_green(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    status = run_command(shift, shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--json"), clock)
    assert status == errors.EXIT_OK
    assert alb.weights() == {"blue": 0, "green": 100}
    out = record(capsys)
    assert out["outcome"] == "completed"
    assert [e["weights"]["green"] for e in out["events"]] == [10, 25, 50, 100]
    assert all(sum(e["weights"].values()) == 100 for e in out["events"])
    assert sum(clock.sleeps) == 3 * shift.DEFAULTS.bake_seconds  # baked between steps, not after the last


def test_shift_back_to_blue_and_api_rule(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["shift", "--listener-arn", alb.rule, "--blue-tg", alb.pools["api"]["blue"]]
    argv += ["--green-tg", alb.pools["api"]["green"], "--steps", "50,100", "--bake-seconds", "0"]
    assert cli.main([*argv, "--to", "green"]) == errors.EXIT_OK
    assert alb.weights(alb.rule) == {"blue": 0, "green": 100}
    assert alb.weights() == {"blue": 100, "green": 0}  # the web listener is untouched
    assert cli.main([*argv, "--to", "blue"]) == errors.EXIT_OK
    assert alb.weights(alb.rule) == {"blue": 100, "green": 0}


def test_outputs_file_supplies_the_api_tier(alb: Alb, tmp_path: Any) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(alb.outputs()))
    argv = ["shift", "--outputs", str(path), "--tier", "api", "--to", "green", "--steps", "100"]
    assert cli.main(argv) == errors.EXIT_OK
    assert alb.weights(alb.rule) == {"blue": 0, "green": 100}


def test_alarm_during_bake_restores_the_starting_weights(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    """The alarm fires while 25 % is baking: the split goes back to where this run began, exit 3."""

    def fire_at_25(clock: FakeClock) -> None:
        if alb.weights()["green"] == 25:
            alb.set_alarm("ALARM", "5xx over threshold")

    argv = shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--poll-seconds", "5", "--json")
    assert run_command(shift, argv, FakeClock(fire_at_25)) == shift.EXIT_ROLLED_BACK
    assert alb.weights() == {"blue": 100, "green": 0}
    out = record(capsys)
    assert out["outcome"] == "rolled_back"
    assert "web-5xx is in ALARM" in out["reason"]
    assert [e["result"] for e in out["events"]] == ["ok", "rolled_back"]
    assert out["rollback_seconds"] is not None
    assert out["alarm_to_restored_seconds"] < shift.MAX_ROLLBACK_SECONDS


def test_unhealthy_green_targets_roll_back(alb: Alb) -> None:
    def stop_green(clock: FakeClock) -> None:
        boto3.client("ec2", region_name=REGION).stop_instances(InstanceIds=[alb.instances["web-green"]])

    assert run_command(shift, shift_args(alb, "--to", "green"), FakeClock(stop_green)) == shift.EXIT_ROLLED_BACK
    assert alb.weights() == {"blue": 100, "green": 0}


def test_rerun_after_interruption_continues_from_current_weights(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupt_at_25(clock: FakeClock) -> None:
        if alb.weights()["green"] == 25:
            raise KeyboardInterrupt

    argv = shift_args(alb, "--to", "green", "--json")
    assert run_command(shift, argv, FakeClock(interrupt_at_25)) == shift.EXIT_INTERRUPTED
    assert alb.weights() == {"blue": 75, "green": 25}  # a valid split, left for the re-run
    assert record(capsys)["outcome"] == "interrupted"

    assert run_command(shift, argv, FakeClock()) == errors.EXIT_OK
    out = record(capsys)
    assert out["started_from"] == {"blue": 75, "green": 25}
    assert [e["weights"]["green"] for e in out["events"]] == [50, 100]
    assert alb.weights() == {"blue": 0, "green": 100}
    assert run_command(shift, argv, FakeClock()) == errors.EXIT_OK  # nothing left to do
    assert record(capsys)["outcome"] == "already_done"


def test_dry_run_changes_nothing(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(shift_args(alb, "--to", "green", "--dry-run")) == errors.EXIT_OK
    assert alb.weights() == {"blue": 100, "green": 0}
    assert "would set green to 10%" in capsys.readouterr().out


def test_alarm_already_firing_refuses_to_start(alb: Alb) -> None:
    alb.set_alarm("ALARM")
    assert cli.main(shift_args(alb, "--to", "green", "--alarm", alb.alarm)) == errors.EXIT_FAILED
    assert alb.weights() == {"blue": 100, "green": 0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda argv, alb: [*argv, "--steps", "10,abc,100"], "invalid literal"),
        (lambda argv, alb: [*argv, "--steps", "50,25,100"], "strictly increasing"),
        (lambda argv, alb: [*argv, "--alarm", "no-such-alarm"], "no such CloudWatch alarm: no-such-alarm"),
        (lambda argv, alb: [*argv, "--poll-seconds", "600"], "--poll-seconds"),
        (lambda argv, alb: [a.replace(alb.listener, alb.listener[:-4] + "beef") for a in argv], "ListenerNotFound"),
        (lambda argv, alb: [a.replace(alb.listener, "not-an-arn") for a in argv], "not an ARN"),
        (lambda argv, alb: [a.replace(alb.pools["web"]["green"], alb.pools["web"]["blue"]) for a in argv], "same"),
        (lambda argv, alb: [a.replace(alb.pools["web"]["green"], alb.pools["api"]["green"]) for a in argv], "drop"),
        (lambda argv, alb: [a for a in argv if a != "--green-tg" and a != alb.pools["web"]["green"]], "--green-tg"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(
    alb: Alb, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    assert cli.main(change(shift_args(alb, "--to", "green", "--bake-seconds", "0"), alb)) == errors.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert alb.weights() == {"blue": 100, "green": 0}


def test_target_group_of_another_load_balancer_is_refused(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    other = make_alb("other")
    argv = shift_args(alb, "--to", "green")
    argv[argv.index("--green-tg") + 1] = other.pools["web"]["green"]
    assert cli.main(argv) == errors.EXIT_USAGE
    assert "is not attached to" in capsys.readouterr().err
    assert alb.weights() == {"blue": 100, "green": 0}


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = common.Progress(4, stream)
        progress.update(1, "green 10%")
        progress.tick("baking, 5s left")
        progress.update(2, "green 25%")
        progress.close()
    assert terminal.getvalue().count("\r") == 3 and "[#######" in terminal.getvalue()
    assert log.getvalue() == "[1/4] green 10%\n[2/4] green 25%\n"
