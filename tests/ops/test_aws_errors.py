"""Every operations command, against every way AWS can fail to answer: one clear line, exit 2, no traceback.

The endpoint is real (an HTTP server answering a login page, a closed port) or the credentials are
missing, so botocore raises exactly what it raises in the field: ClientError, ResponseParserError,
EndpointConnectionError, NoCredentialsError. All of these happen while the command is still reading,
so nothing was changed and the exit code is bad input's.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from infractl import cli, errors

LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/platform/0123456789abcdef/0123456789abcdef"
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/platform-web-{}/0123456789abcdef"


def outputs_file(tmp_path: Path) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps(
            {
                "aws_https_listener_id": LISTENER,
                "aws_target_group_ids": {"web": {c: TARGET_GROUP.format(c) for c in ("blue", "green")}},
                "aws_rollback_alarm_ids": {"green": ["platform-prod-green-rollback"]},
            }
        )
    )
    return str(path)


COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "shift": lambda tmp: [
        "shift",
        *("--listener-arn", LISTENER, "--to", "green"),
        *("--blue-tg", TARGET_GROUP.format("blue"), "--green-tg", TARGET_GROUP.format("green")),
    ],
    "release": lambda tmp: ["release", "--outputs", outputs_file(tmp), "--tier", "web", "--to", "green"],
    "backups": lambda tmp: [
        "backups",
        "verify",
        "--vault",
        "platform-prod",
        "--region",
        "us-east-1",
        "--environment",
        "staging",
    ],
    "failover": lambda tmp: ["failover", "--replica-id", "platform-prod-dr", "--region", "us-west-2"],
    "bootstrap-backend": lambda tmp: ["bootstrap-backend", "--bucket", "platform-state-test", "--region", "us-east-1"],
}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["html-200", "html-403", "html-500", "unreachable", "no-credentials"])
def broken_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Sets up one way of failing; returns what the message must say."""
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # no credentials cached from an earlier test
    fault = request.param
    if fault.startswith("html-"):
        request.getfixturevalue("junk_endpoint")(int(fault.removeprefix("html-")))
        return {"200": "not an AWS API response", "403": "", "500": "500"}[fault.removeprefix("html-")]
    request.getfixturevalue("aws_env")
    request.getfixturevalue("fast_failures")
    if fault == "unreachable":
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
        return "Could not connect to the endpoint URL"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    return "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_aws_failures_are_one_clear_line(
    broken_aws: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(COMMANDS[command](tmp_path)) == errors.EXIT_USAGE
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"infractl {command}: ") and broken_aws in line
    assert "Traceback" not in captured.err + captured.out and len(line) < 400
