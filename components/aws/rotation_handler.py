"""Secrets Manager rotation function for the secrets no AWS-provided template rotates.

Runs in AWS Lambda (packaged alone, boto3 from the runtime) and follows Secrets Manager's rotation
protocol: ``createSecret`` stores a new random value as AWSPENDING, ``setSecret`` makes the service
accept it, ``testSecret`` waits until it does, ``finishSecret`` moves AWSCURRENT to it. ``TARGET``:

- ``value``: the secret is the value itself (the JWT signing key); nothing outside Secrets Manager
  holds it, so set and test have nothing to do.
- ``elasticache-user``: the secret is ``{"username", "password", "user_arn"}`` of an ElastiCache RBAC
  user. ``setSecret`` gives the user the new password beside the current one (ElastiCache allows two),
  so clients that still hold the current password keep working until the next rotation drops it;
  ``testSecret`` waits until the user is active again, when the new password works on every node.

One function rotates one secret (``SECRET_ARN``), so its role can be scoped to that secret.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3

PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"
ACTIVE_WAIT_SECONDS = 600
POLL_SECONDS = 10


def handler(event: dict[str, Any], context: Any) -> None:
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if arn != os.environ["SECRET_ARN"]:
        raise ValueError(f"this function rotates {os.environ['SECRET_ARN']} only, not {arn}")
    secrets = boto3.client("secretsmanager")
    stages = secrets.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if token not in stages:
        raise ValueError(f"version {token} of {arn} is not being rotated")
    if CURRENT in stages[token]:
        return  # already finished
    if PENDING not in stages[token]:
        raise ValueError(f"version {token} of {arn} is not AWSPENDING")
    STEPS[step](secrets, arn, token)


def create_secret(secrets: Any, arn: str, token: str) -> None:
    """A new random value as the pending version (once: a retried step finds it there)."""
    current = secrets.get_secret_value(SecretId=arn, VersionStage=CURRENT)["SecretString"]
    try:
        secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)
        return
    except secrets.exceptions.ResourceNotFoundException:
        pass
    value = secrets.get_random_password(PasswordLength=int(os.environ["VALUE_LENGTH"]), ExcludePunctuation=True)[
        "RandomPassword"
    ]
    pending = json.dumps({**json.loads(current), "password": value}) if _user() else value
    secrets.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=pending, VersionStages=[PENDING])


def set_secret(secrets: Any, arn: str, token: str) -> None:
    """The ElastiCache user accepts the pending password beside the current one."""
    if not _user():
        return
    current = json.loads(secrets.get_secret_value(SecretId=arn, VersionStage=CURRENT)["SecretString"])
    pending = json.loads(secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)["SecretString"])
    elasticache = boto3.client("elasticache")
    user_id = _wait_active(elasticache, pending["user_arn"])
    elasticache.modify_user(UserId=user_id, Passwords=[pending["password"], current["password"]])


def test_secret(secrets: Any, arn: str, token: str) -> None:
    """The ElastiCache user is active again: every node accepts the new password."""
    if _user():
        pending = json.loads(
            secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)["SecretString"]
        )
        _wait_active(boto3.client("elasticache"), pending["user_arn"])


def finish_secret(secrets: Any, arn: str, token: str) -> None:
    """AWSCURRENT moves to the new version (the old one becomes AWSPREVIOUS)."""
    stages = secrets.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current = next(version for version, labels in stages.items() if CURRENT in labels)
    secrets.update_secret_version_stage(
        SecretId=arn, VersionStage=CURRENT, MoveToVersionId=token, RemoveFromVersionId=current
    )


def _user() -> bool:
    return os.environ["TARGET"] == "elasticache-user"


def _wait_active(elasticache: Any, user_arn: str) -> str:
    """The user's id (the last part of its ARN), once ElastiCache is done modifying it."""
    user_id = user_arn.rsplit(":", 1)[1]
    deadline = time.monotonic() + ACTIVE_WAIT_SECONDS
    while elasticache.describe_users(UserId=user_id)["Users"][0]["Status"] != "active":
        if time.monotonic() > deadline:
            raise TimeoutError(f"ElastiCache user {user_id} is still not active after {ACTIVE_WAIT_SECONDS} s")
        time.sleep(POLL_SECONDS)
    return user_id


STEPS = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}
