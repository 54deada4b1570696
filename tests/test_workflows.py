"""The pull-request workflows cannot run here: check that they parse and that what they run exists."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from infractl import cli, diff_format
from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return workflow


def run_steps(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


def test_infractl_commands_in_workflows_parse() -> None:
    commands = {}
    for path in WORKFLOWS.glob("*.yml"):
        for script in run_steps(load(path.name)):
            for command in re.findall(r"python -m infractl ([^>|\n]+)", script):
                args = cli.parser().parse_args(shlex.split(command))  # exits (fails the test) if it would fail
                commands[args.command] = vars(args)
    assert set(commands) == {"policy", "diff"}
    assert commands["policy"]["matrix"] and commands["diff"]["base"] == "HEAD^1"


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_make_targets_in_workflows_exist(name: str) -> None:
    targets = set(re.findall(r"^([a-z]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    for script in run_steps(load(name)):
        assert set(re.findall(r"\bmake (\w+)", script)) <= targets


def test_pull_request_gate_and_diff_run_without_credentials() -> None:
    jobs = load("pr.yml")["jobs"]
    for name in ("test", "policy", "diff"):
        assert "secrets." not in yaml.safe_dump(jobs[name]), name
    assert any("policy --matrix --format sarif" in run for run in run_steps({"jobs": {"p": jobs["policy"]}}))
    upload = next(s for s in jobs["policy"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["if"] == "always()" and upload["with"]["sarif_file"] == "policy.sarif"
    assert jobs["diff"]["steps"][0]["with"]["fetch-depth"] == 0  # the base commit must be there


def test_the_comment_workflow_posts_what_the_diff_job_saved() -> None:
    pr, comment = load("pr.yml"), load("pr-comment.yml")
    assert comment["on"]["workflow_run"]["workflows"] == [pr["name"]]
    saved = next(s for s in pr["jobs"]["diff"]["steps"] if "upload-artifact" in s.get("uses", ""))
    fetched = next(s for s in comment["jobs"]["comment"]["steps"] if "download-artifact" in s.get("uses", ""))
    assert saved["with"]["name"] == fetched["with"]["name"]
    assert set(saved["with"]["path"].split()) == {"comment.md", "pr-number"}
    script = comment["jobs"]["comment"]["steps"][-1]["with"]["script"]
    assert f"const marker = '{diff_format.MARKER}';" in script
    assert f".slice(0, {diff_format.COMMENT_LIMIT})" in script
    assert "actions/checkout" not in yaml.safe_dump(comment)  # never runs the pull request's code
