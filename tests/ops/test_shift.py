"""``infractl shift`` against moto in-process, with a fake clock so bakes take no time."""

from __future__ import annotations

import io
import json
import shlex
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.parsers import ResponseParserError

from infractl import cli, errors
from infractl.ops import common, lease, shift
from tests.ops.conftest import REGION, Alb, FakeClock, Faults, client_error, make_alb, run_command, shift_args

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


def outputs_file(tmp_path: Any, outputs: dict[str, Any]) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return str(path)


def test_outputs_file_supplies_the_api_tier(alb: Alb, tmp_path: Any) -> None:
    argv = ["shift", "--outputs", outputs_file(tmp_path, alb.outputs()), "--tier", "api", "--to", "green"]
    assert cli.main([*argv, "--steps", "100"]) == errors.EXIT_OK
    assert alb.weights(alb.rule) == {"blue": 0, "green": 100}


@pytest.mark.parametrize(
    ("fires", "extra", "status"),
    [
        ("platform-green-rollback", [], shift.EXIT_ROLLED_BACK),  # the target colour's alarm, from the outputs
        ("platform-blue-rollback", [], errors.EXIT_OK),  # the colour traffic leaves is not what is being released
        ("web-5xx", ["--alarm", "web-5xx"], shift.EXIT_ROLLED_BACK),  # --alarm adds to the outputs' alarms
        ("platform-green-rollback", ["--alarm", "web-5xx"], shift.EXIT_ROLLED_BACK),  # ... and does not replace them
    ],
)
def test_outputs_name_the_rollback_alarms_of_the_target_colour(
    alb: Alb, tmp_path: Any, capsys: pytest.CaptureFixture[str], fires: str, extra: list[str], status: int
) -> None:
    def fire_at_25(clock: FakeClock) -> None:
        if alb.weights()["green"] == 25:
            alb.set_alarm("ALARM", "p95 over 500 ms", name=fires)

    argv = ["shift", "--outputs", outputs_file(tmp_path, alb.outputs()), "--tier", "web", "--to", "green", "--json"]
    assert run_command(shift, [*argv, *extra], FakeClock(fire_at_25)) == status
    out = record(capsys)
    if status == shift.EXIT_ROLLED_BACK:
        assert alb.weights() == {"blue": 100, "green": 0}
        assert fires in out["reason"] and out["rollback_succeeded"] is True
    else:
        assert alb.weights() == {"blue": 0, "green": 100}


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (None, "name no rollback alarms for green (aws_rollback_alarm_ids.green"),
        ({"blue": ["platform-blue-rollback"], "green": []}, "name no rollback alarms for green"),
        ({"green": "platform-green-rollback"}, "expected {colour: [names]}"),
        ({"green": ["no-such-alarm"]}, "no such CloudWatch alarm: no-such-alarm"),
    ],
)
def test_outputs_without_rollback_alarms_are_bad_input(
    alb: Alb, tmp_path: Any, capsys: pytest.CaptureFixture[str], ids: Any, message: str
) -> None:
    outputs = {k: v for k, v in alb.outputs().items() if k != "aws_rollback_alarm_ids"}
    if ids is not None:
        outputs["aws_rollback_alarm_ids"] = ids
    argv = ["shift", "--outputs", outputs_file(tmp_path, outputs), "--to", "green"]
    assert cli.main(argv) == errors.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert alb.weights() == {"blue": 100, "green": 0} and alb.leases() == {}


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


def test_an_alarm_that_can_no_longer_be_read_rolls_back(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    """A watched alarm deleted mid-shift (or hidden by a bad reply) is not "OK": blind, the shift goes back."""

    def delete_at_25(clock: FakeClock) -> None:
        if alb.weights()["green"] == 25:
            boto3.client("cloudwatch", region_name=REGION).delete_alarms(AlarmNames=[alb.alarm])

    argv = shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--json")
    assert run_command(shift, argv, FakeClock(delete_at_25)) == shift.EXIT_ROLLED_BACK
    assert alb.weights() == {"blue": 100, "green": 0}
    assert record(capsys)["reason"] == "alarm web-5xx can no longer be read"


def test_unhealthy_green_targets_roll_back(alb: Alb) -> None:
    def stop_green(clock: FakeClock) -> None:
        boto3.client("ec2", region_name=REGION).stop_instances(InstanceIds=[alb.instances["web-green"]])

    assert run_command(shift, shift_args(alb, "--to", "green"), FakeClock(stop_green)) == shift.EXIT_ROLLED_BACK
    assert alb.weights() == {"blue": 100, "green": 0}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_bake_stops_on_a_valid_split_and_a_rerun_continues(
    alb: Alb, capsys: pytest.CaptureFixture[str], signum: int
) -> None:
    """SIGINT and SIGTERM alike: a record, the weights of the last whole write, the lease given back."""

    def signal_at_25(clock: FakeClock) -> None:
        if alb.weights()["green"] == 25:
            signal.raise_signal(signum)

    argv = shift_args(alb, "--to", "green", "--json")
    assert run_command(shift, argv, FakeClock(signal_at_25)) == errors.EXIT_SIGNAL_BASE + signum
    assert alb.weights() == {"blue": 75, "green": 25}  # a valid split, left for the re-run
    out = record(capsys)
    assert out["outcome"] == "interrupted" and signal.Signals(signum).name in out["reason"]
    assert out["live"] == {"blue": 75, "green": 25}
    assert "--to blue --steps 100" in out["next_commands"]["restore"]
    assert alb.leases() == {}
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handlers are put back

    assert run_command(shift, argv, FakeClock()) == errors.EXIT_OK
    out = record(capsys)
    assert out["started_from"] == {"blue": 75, "green": 25}
    assert [e["weights"]["green"] for e in out["events"]] == [50, 100]
    assert alb.weights() == {"blue": 0, "green": 100}
    assert run_command(shift, argv, FakeClock()) == errors.EXIT_OK  # nothing left to do
    assert record(capsys)["outcome"] == "already_done"


def test_signal_during_a_write_lets_the_write_finish(
    alb: Alb, faults: Faults, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SIGTERM that lands while the 25 % write is on the wire stops the shift after it, not half-way."""

    faults.add("ModifyListener", lambda: signal.raise_signal(signal.SIGTERM), skip=1, times=1)
    assert run_command(shift, shift_args(alb, "--to", "green", "--json"), FakeClock()) == 128 + signal.SIGTERM
    assert alb.weights() == {"blue": 75, "green": 25}
    out = record(capsys)
    assert out["live"] == {"blue": 75, "green": 25} and [e["weights"]["green"] for e in out["events"]] == [10, 25]


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


def claim(alb: Alb, key: str, who: str, until: datetime) -> None:
    """A lease as another run (or a crashed one) leaves it."""
    value = f"{who} until {until:{lease.TIME_FORMAT}}"
    boto3.client("elbv2", region_name=REGION).add_tags(ResourceArns=[alb.listener], Tags=[{"Key": key, "Value": value}])


@pytest.mark.parametrize(
    ("remaining", "take_over", "status"),
    [
        (timedelta(minutes=5), None, errors.EXIT_LEASE_HELD),  # another run is moving this listener
        (-timedelta(seconds=1), None, errors.EXIT_OK),  # a crashed run's lease has expired
        (timedelta(minutes=5), "infractl:lease:0123456789ab", errors.EXIT_OK),  # taken over by name
    ],
)
def test_lease_on_the_listener(
    alb: Alb,
    faults: Faults,
    capsys: pytest.CaptureFixture[str],
    remaining: timedelta,
    take_over: str | None,
    status: int,
) -> None:
    # Relative to now, not to collection: a slow suite must not let a live lease expire before the test runs.
    claim(alb, "infractl:lease:0123456789ab", "alice@ops-box pid 4242", datetime.now(UTC) + remaining)
    faults.calls.clear()
    argv = shift_args(alb, "--to", "green", "--bake-seconds", "0", *(["--take-over", take_over] if take_over else []))
    assert run_command(shift, argv, FakeClock()) == status
    if status == errors.EXIT_LEASE_HELD:
        err = capsys.readouterr().out
        assert "being moved by alice@ops-box pid 4242 (infractl:lease:0123456789ab, until" in err
        assert "--take-over infractl:lease:0123456789ab" in err
        assert not {"AddTags", "RemoveTags", "ModifyListener"} & set(faults.calls)  # refused having written nothing
        assert alb.weights() == {"blue": 100, "green": 0}
        assert list(alb.leases()) == ["infractl:lease:0123456789ab"]  # nothing written, the holder's lease kept
    else:
        assert alb.weights() == {"blue": 0, "green": 100}
        assert alb.leases() == {}  # the stale lease removed, ours given back


def test_lease_is_held_while_moving_and_names_this_run(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[dict[str, str]] = []
    run_command(shift, shift_args(alb, "--to", "green", "--json"), FakeClock(lambda clock: seen.append(alb.leases())))
    assert seen and all(len(leases) == 1 for leases in seen)
    ((key, value),) = seen[0].items()
    assert key == record(capsys)["lease"]
    assert value.startswith(lease.whoami()) and " until " in value
    assert alb.leases() == {}


def test_api_rule_and_web_listener_have_separate_leases(alb: Alb) -> None:
    claim(alb, "infractl:lease:0123456789ab", "alice@ops-box pid 4242", datetime.now(UTC) + timedelta(minutes=5))
    argv = ["shift", "--listener-arn", alb.rule, "--blue-tg", alb.pools["api"]["blue"]]
    argv += ["--green-tg", alb.pools["api"]["green"], "--to", "green"]
    assert run_command(shift, argv, FakeClock()) == errors.EXIT_OK
    assert alb.weights(alb.rule) == {"blue": 0, "green": 100}


def test_lost_lease_stops_without_writing(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    """Someone removed this run's lease (a take-over): at the next renewal it stops, the weights as they are."""

    def take_over(clock: FakeClock) -> None:
        if alb.weights()["green"] == 10 and alb.leases():
            boto3.client("elbv2", region_name=REGION).remove_tags(
                ResourceArns=[alb.listener], TagKeys=list(alb.leases())
            )

    argv = shift_args(alb, "--to", "green", "--lease-seconds", "30", "--poll-seconds", "5", "--json")
    assert run_command(shift, argv, FakeClock(take_over)) == errors.EXIT_CONFLICT
    assert alb.weights() == {"blue": 90, "green": 10}
    out = record(capsys)
    assert out["outcome"] == "conflict" and "was removed; stopped without writing" in out["reason"]


@pytest.mark.parametrize("when", ["step", "rollback"])
def test_weights_moved_by_someone_else_stop_the_shift_without_writing(
    alb: Alb, capsys: pytest.CaptureFixture[str], when: str
) -> None:
    """Before each write (a step or the rollback) the weights must be the ones this run last wrote."""

    def meddle(clock: FakeClock) -> None:
        if alb.weights()["green"] == 25:
            alb.set_weights(blue=40)  # someone moves traffic by hand
            if when == "rollback":
                alb.set_alarm("ALARM")

    argv = shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--json")
    assert run_command(shift, argv, FakeClock(meddle)) == errors.EXIT_CONFLICT
    assert alb.weights() == {"blue": 40, "green": 60}  # theirs, untouched
    out = record(capsys)
    assert out["outcome"] == "conflict" and out["live"] == {"blue": 40, "green": 60}
    assert "expected blue 75 / green 25, found blue 40 / green 60; stopped without writing" in out["reason"]
    assert out["rollback_attempted"] is (when == "rollback") and not out["rollback_succeeded"]
    assert [e["weights"]["green"] for e in out["events"]] == [10, 25]
    assert alb.leases() == {}


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--bake-seconds", "nan"),
        ("--bake-seconds", "inf"),
        ("--bake-seconds", "-1"),
        ("--bake-seconds", "3601"),
        ("--poll-seconds", "0"),
        ("--poll-seconds", "nan"),
        ("--poll-seconds", "-inf"),
        ("--poll-seconds", "120"),
        ("--lease-seconds", "nan"),
        ("--lease-seconds", "0"),
        ("--lease-seconds", "9"),  # not more than twice the 5 s poll: it could lapse between renewals
        ("--steps", "0,100"),
        ("--steps", "10,101"),
    ],
)
def test_bad_durations_exit_2_before_anything_changes(
    alb: Alb, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    argv = shift_args(alb, "--to", "green", f"{flag}={value}")
    try:
        status = cli.main(argv)
    except SystemExit as exit_:  # argparse rejects the value itself
        status = int(str(exit_.code))
    assert status == errors.EXIT_USAGE
    assert flag in capsys.readouterr().err
    assert alb.weights() == {"blue": 100, "green": 0} and alb.leases() == {}


def test_a_canary_stops_at_its_last_step(alb: Alb) -> None:
    assert run_command(shift, shift_args(alb, "--to", "green", "--steps", "10,25"), FakeClock()) == errors.EXIT_OK
    assert alb.weights() == {"blue": 75, "green": 25}


ENDPOINT_LOST = EndpointConnectionError(endpoint_url="https://elasticloadbalancing.us-east-1.amazonaws.com/")
GARBLED = ResponseParserError("Unable to parse response (no element found), invalid XML received")


@pytest.mark.parametrize(
    ("breaks", "live", "rolled_back"),
    [
        # a poll fails once (endpoint blip): the rollback that follows works, live = the start
        ([("DescribeAlarms", ENDPOINT_LOST, {"times": 1})], {"blue": 100, "green": 0}, True),
        ([("DescribeAlarms", GARBLED, {"times": 1})], {"blue": 100, "green": 0}, True),
        ([("DescribeTargetHealth", client_error("Throttling"), {"times": 1})], {"blue": 100, "green": 0}, True),
        # the endpoint is gone after the 10 % step: nothing can be rolled back, 10 % is live
        (
            [("DescribeAlarms", ENDPOINT_LOST, {}), ("DescribeListeners", ENDPOINT_LOST, {})],
            {"blue": 90, "green": 10},
            False,
        ),
        # the 25 % write itself fails and so does everything after: AWS cannot say which split is live
        # (the read before it still answers)
        ([("ModifyListener", ENDPOINT_LOST, {}), ("DescribeListeners", ENDPOINT_LOST, {"skip": 1})], None, False),
    ],
)
def test_endpoint_failure_mid_shift_says_what_is_live(
    alb: Alb, faults: Faults, capsys: pytest.CaptureFixture[str], breaks: list[Any], live: Any, rolled_back: bool
) -> None:
    def break_after_the_first_step(clock: FakeClock) -> None:
        if not faults.rules:
            for operation, error, match in breaks:
                faults.add(operation, error, **match)

    argv = shift_args(alb, "--to", "green", "--alarm", alb.alarm, "--json")
    assert run_command(shift, argv, FakeClock(break_after_the_first_step)) == errors.EXIT_AWS_FAILED
    out = record(capsys)
    assert out["outcome"] == "aws_failed" and out["reason"].startswith("AWS error: ")
    assert out["live"] == live
    assert out["rollback_attempted"] is True and out["rollback_succeeded"] is rolled_back
    if live is None:
        assert (
            "live weights unknown: blue 90 / green 10 if the last write did not apply, blue 75 / green 25 if it did"
            in (out["reason"])
        )
    commands = out["next_commands"]
    assert ("restore" in commands) is not rolled_back and "continue" in commands

    faults.clear()  # the endpoint is back: the printed command finishes the job
    finish = shlex.split(commands.get("restore") or commands["continue"])
    assert finish[:4] == ["python", "-m", "infractl", "shift"]
    assert run_command(shift, finish[3:], FakeClock()) == errors.EXIT_OK
    assert alb.weights() == ({"blue": 0, "green": 100} if rolled_back else {"blue": 100, "green": 0})
    assert alb.leases() == {}


def test_summary_says_what_is_live_and_how_to_finish(
    alb: Alb, faults: Faults, capsys: pytest.CaptureFixture[str]
) -> None:
    def lose_the_endpoint(clock: FakeClock) -> None:
        for operation in ("DescribeAlarms", "DescribeListeners", "RemoveTags"):
            faults.add(operation, ENDPOINT_LOST)

    assert run_command(shift, shift_args(alb, "--to", "green", "--alarm", alb.alarm), FakeClock(lose_the_endpoint)) == 6
    out = capsys.readouterr().out
    assert "from blue 100 / green 0 to green: aws_failed" in out
    assert "reason: AWS error: Could not connect to the endpoint URL" in out
    assert "rollback attempted: failed" in out and "live now: blue 90 / green 10" in out
    assert "it expires by itself" in out
    restore = next(line for line in out.splitlines() if line.startswith("  to restore blue 100 / green 0: "))
    assert "--to blue --steps 100 --bake-seconds 0" in restore and "--take-over infractl:lease:" in restore
