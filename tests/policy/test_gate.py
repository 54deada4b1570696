"""The gate end to end: shipped stacks pass, a program written to break rules fails, output formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pulumi.runtime import rpc

from infractl.analyzer import struct
from infractl.runtime import SECRET, redact, secret_values, unredact

ROOT = Path(__file__).resolve().parents[2]
INSECURE = Path(__file__).parent / "programs" / "insecure"


def gate(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "infractl", "policy", *args]
    return subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def insecure_json() -> dict:
    result = gate("--program", str(INSECURE), "--format", "json")
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def test_shipped_stacks_have_no_mandatory_violation() -> None:
    result = gate("--format", "json")
    found = [v for s in json.loads(result.stdout)["stacks"] for v in s["violations"] if v["level"] == "mandatory"]
    assert result.returncode == 0 and found == [], found


def test_insecure_program_is_caught(insecure_json: dict) -> None:
    (stack,) = insecure_json["stacks"]
    assert stack["stack"] == "test"
    caught = {(v["policy"], v["resource_name"]) for v in stack["violations"]}
    assert {
        ("encryption-at-rest-cmk", "db"),
        ("no-public-data-stores", "db"),
        ("allowed-sizes", "db"),
        ("database-storage-cap", "db"),
        ("backup-retention", "db"),
        ("restricted-ingress", "ssh"),
        ("public-ingress-only-on-load-balancers", "ssh"),
        ("tls-listeners", "http"),
        ("prod-database-backup-plan", "db"),
        ("prod-database-cross-region-replica", "db"),
    } <= caught
    ingress = [v for v in stack["violations"] if v["policy"] == "restricted-ingress"]
    assert all(set(v) == {"policy", "level", "resource_type", "resource_name", "urn", "message"} for v in ingress)
    assert all(v["level"] == "mandatory" for v in ingress)
    assert any("SSH is open to 0.0.0.0/0" in v["message"] for v in ingress)


def test_policy_config_changes_levels(tmp_path: Path) -> None:
    config = tmp_path / "advisory.json"
    config.write_text(json.dumps({"all": "advisory"}))
    result = gate("--program", str(INSECURE), "--policy-config", str(config))
    assert result.returncode == 0 and "[advisory] restricted-ingress" in result.stdout


def test_sarif() -> None:
    result = gate("--program", str(INSECURE), "--format", "sarif")
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"restricted-ingress", "blue-green-both-colours"}
    first = run["results"][0]
    assert first["level"] == "error" and first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def test_junit() -> None:
    suites = ElementTree.fromstring(gate("--program", str(INSECURE), "--format", "junit").stdout)
    (suite,) = suites.findall("testsuite")
    assert suite.get("name") == "test" and int(suite.get("failures", "0")) >= 5
    assert suite.find("testcase[@name='restricted-ingress']/failure") is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--program", "/nonexistent"], "no Pulumi.yaml"),
        (["--program", str(INSECURE), "--stack", "missing"], "no stack file"),
        (["--program", str(INSECURE), "--policy-config", "/nonexistent.json"], "nonexistent.json"),
    ],
)
def test_bad_input_exits_2(args: list[str], message: str) -> None:
    result = gate(*args)
    assert result.returncode == 2 and message in result.stderr


def test_bad_policy_config_exits_2(tmp_path: Path) -> None:
    for content, message in (
        ({"no-such-rule": "advisory"}, "no such policy"),
        ({"log-retention": {"minAppRetentionDays": "long"}}, "log-retention.minAppRetentionDays"),
        ({"all": "sometimes"}, "not an enforcement level"),
    ):
        config = tmp_path / "bad.json"
        config.write_text(json.dumps(content))
        result = gate("--program", str(INSECURE), "--policy-config", str(config))
        assert result.returncode == 2 and message in result.stderr, result.stderr


def test_the_pack_gets_secrets_as_the_engine_sends_them_and_printers_never_do() -> None:
    """The engine hands secret inputs to a policy pack marked secret (the SDK unwraps them for the rules), so a rule
    can read the non-secret fields next to a secret (a Key Vault secret's expiry beside its value); the plan keeps
    ``[secret]`` in what it prints."""

    def secret(value: object) -> dict:
        return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}

    inputs = {"name": "db", "properties": secret({"value": "pw", "attributes": {"exp": 9}}), "list": [1, secret("k")]}
    shown = redact(inputs)
    assert shown == {"name": "db", "properties": SECRET, "list": [1, SECRET]}
    secrets = secret_values(inputs)
    assert set(secrets) == {"properties", "list[1]"}
    assert unredact(shown, secrets) == inputs
    sent = struct(unredact(shown, secrets))
    assert sent["properties"]["value"]["attributes"]["exp"] == 9 and sent["properties"][rpc._special_sig_key]
    assert unredact({"name": SECRET}, {}) == {"name": SECRET}  # a value that only looks like the marker stays
