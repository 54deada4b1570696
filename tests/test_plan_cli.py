"""``infractl plan``: the JSON and text inventory, overrides, and exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

from infractl import cli
from tests.conftest import ROOT


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_plan_lists_resources_with_engine_inputs(capsys):
    code, out, _ = _run(capsys, "plan", "--stack", "prod", "--format", "json")
    assert code == 0
    plan = json.loads(out)
    assert (plan["stack"], plan["project"]) == ("prod", "platform")
    assert set(plan["resources"][0]) == {"type", "name", "urn", "parent", "provider", "custom", "protect", "inputs"}
    db = next(r for r in plan["resources"] if r["urn"].endswith("Database$aws:rds/instance:Instance::postgres"))
    assert db["inputs"]["multiAz"] is True and db["protect"] is True
    assert plan["outputs"]["aws_database_secret_id"] == "[secret]"
    assert plan["outputs"]["environment"] == "prod"


def test_config_override_applies_for_one_run(capsys):
    _, out, _ = _run(capsys, "plan", "--stack", "dev", "--format", "json", "--config", "blueGreen.canaryWeight=25")
    assert json.loads(out)["outputs"]["traffic_weights"] == {"blue": 75, "green": 25}
    _, out, _ = _run(capsys, "plan", "--stack", "dev", "--format", "json")
    assert json.loads(out)["outputs"]["traffic_weights"] == {"blue": 100, "green": 0}


def test_text_plan_is_a_tree_with_counts(capsys):
    code, out, _ = _run(capsys, "plan", "--stack", "dev")
    assert code == 0
    assert out.startswith("Stack platform/dev: ")
    assert "\n  platform:aws:Network network (" in out
    assert "aws:ec2/subnet:Subnet" in out
    assert "aws_database_secret_id" in out and "[secret]" in out


def test_bad_config_exits_2_with_the_message(capsys):
    code, out, err = _run(capsys, "plan", "--stack", "dev", "--config", "compute.web.maxSize=0")
    assert code == 2 and out == ""
    assert "platform:compute.web.maxSize = 0: Input should be greater than or equal to 1" in err


def test_missing_stack_and_program_exit_2(capsys, tmp_path):
    assert _run(capsys, "plan", "--stack", "qa")[0] == 2
    code, _, err = _run(capsys, "plan", "--stack", "dev", "--program", str(tmp_path))
    assert code == 2 and "no Pulumi.yaml" in err


def test_entry_point_prints_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "infractl", "plan", "--stack", "dev", "--config", "environment=qa"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert 'platform:environment = "qa"' in result.stderr


def test_duplicate_urns_fail_like_the_engine(capsys, tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: dup\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text('import pulumi_aws as aws\naws.sqs.Queue("q")\naws.sqs.Queue("q")\n')
    code, _, err = _run(capsys, "plan", "--stack", "test", "--program", str(tmp_path))
    assert code == 2
    assert "duplicate resource URNs" in err and "aws:sqs/queue:Queue::q" in err
