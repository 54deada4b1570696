"""``infractl release`` against ``moto_server``: refuse on unhealthy targets, shift with rollback, print the config."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from infractl import cli, errors
from infractl.ops import release
from tests.ops.conftest import REGION, Alb, make_alb

pytestmark = pytest.mark.usefixtures("moto_server")
FAST = ("--bake-seconds", "0.2", "--poll-seconds", "0.05")


@pytest.fixture
def alb() -> Alb:
    return make_alb()


@pytest.fixture
def outputs(alb: Alb, tmp_path: Path) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(alb.outputs()))
    return str(path)


def config(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith("pulumi config set")]


def test_releases_to_healthy_targets_and_prints_the_config(
    alb: Alb, outputs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["release", "--outputs", outputs, "--tier", "web", "--to", "green", *FAST]) == errors.EXIT_OK
    assert alb.weights() == {"blue": 0, "green": 100}
    out = capsys.readouterr().out
    assert "to green: completed" in out
    assert config(out) == [
        "pulumi config set --path platform:blueGreen.activeColor green",
        "pulumi config set --path platform:blueGreen.canaryWeight 0",
    ]
    # the stack's weights drive both tiers, and api still sends everything to blue
    assert "warning: the stack's blueGreen weights drive both tiers and api is at blue 100 / green 0" in out


def test_both_tiers_released_leave_no_warning(alb: Alb, outputs: str, capsys: pytest.CaptureFixture[str]) -> None:
    for tier in ("api", "web"):
        assert cli.main(["release", "--outputs", outputs, "--tier", tier, "--to", "green", *FAST]) == errors.EXIT_OK
    out = capsys.readouterr().out
    assert out.count("warning:") == 1  # only after the first tier
    assert alb.weights() == alb.weights(alb.rule) == {"blue": 0, "green": 100}


@pytest.mark.parametrize("how", ["stopped", "deregistered"])
def test_refuses_unless_every_target_is_healthy(
    alb: Alb, outputs: str, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    if how == "stopped":
        boto3.client("ec2", region_name=REGION).stop_instances(InstanceIds=[alb.instances["web-green"]])
    else:
        boto3.client("elbv2", region_name=REGION).deregister_targets(
            TargetGroupArn=alb.pools["web"]["green"], Targets=[{"Id": alb.instances["web-green"]}]
        )
    argv = ["release", "--outputs", outputs, "--tier", "web", "--to", "green", *FAST]
    assert cli.main(argv) == errors.EXIT_FAILED
    captured = capsys.readouterr()
    assert "refusing: not every green target" in captured.err and "nothing changed" in captured.err
    assert (alb.instances["web-green"] if how == "stopped" else "no targets registered") in captured.out
    assert alb.weights() == {"blue": 100, "green": 0} and alb.leases() == {}


def test_rollback_prints_the_config_of_the_restored_weights(
    alb: Alb, outputs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["release", "--outputs", outputs, "--tier", "web", "--to", "green", "--json"]
    argv += ["--bake-seconds", "60", "--poll-seconds", "0.05"]
    status: list[int] = []
    runner = threading.Thread(target=lambda: status.append(cli.main(argv)))
    runner.start()
    while alb.weights()["green"] != 10:
        time.sleep(0.02)
    alb.set_alarm("ALARM", "error rate over 1 %", name=alb.rollback_alarms["green"])
    runner.join(timeout=30)
    assert status == [errors.EXIT_ROLLED_BACK]
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "rolled_back" and out["live"] == {"blue": 100, "green": 0}
    assert out["pulumi_config"] == [
        "pulumi config set --path platform:blueGreen.activeColor blue",
        "pulumi config set --path platform:blueGreen.canaryWeight 0",
    ]
    assert out["warning"] is None  # api is at blue 100 too


def test_release_needs_the_stack_outputs(alb: Alb, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["release", "--tier", "web", "--to", "green"]) == errors.EXIT_USAGE
    assert "pass --stack STACK or --outputs FILE" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("split", "moving_from", "expected"),
    [
        ({"blue": 0, "green": 100}, "blue", {"activeColor": "green", "canaryWeight": 0}),
        ({"blue": 75, "green": 25}, "blue", {"activeColor": "blue", "canaryWeight": 25}),
        ({"blue": 50, "green": 50}, "blue", {"activeColor": "blue", "canaryWeight": 50}),
        ({"blue": 50, "green": 50}, "green", {"activeColor": "green", "canaryWeight": 50}),
        ({"blue": 90, "green": 10}, "green", {"activeColor": "blue", "canaryWeight": 10}),
    ],
)
def test_live_weights_become_active_colour_and_canary_weight(
    split: dict[str, int], moving_from: Any, expected: dict[str, Any]
) -> None:
    assert release.stack_config(split, moving_from) == expected  # type: ignore[arg-type]
    lines = release.config_lines("prod", expected)
    assert lines[0] == f"pulumi config set --stack prod --path platform:blueGreen.activeColor {expected['activeColor']}"
