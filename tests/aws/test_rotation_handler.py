"""The rotation function for the JWT key and the Redis user, through Secrets Manager's rotation on moto.

moto runs a rotation the way Secrets Manager does (a pending version, then createSecret, setSecret,
testSecret, finishSecret) but would start the function in docker; here each step calls the handler in
this process instead. moto has no ElastiCache ModifyUser, so the ElastiCache client is botocore's
Stubber, which checks each request the handler sends.
"""

from __future__ import annotations

import io
import json
import types
import zipfile
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws
from moto.awslambda.models import LambdaBackend

from components.aws import rotation_handler

REGION = "us-east-1"
USER_ARN = "arn:aws:elasticache:us-east-1:123456789012:user:platform-dev-redis-app"


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Secrets Manager on moto whose rotation runs ``rotation_handler`` in-process; yields its client."""
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(
        LambdaBackend,
        "invoke",
        lambda self, name, qualifier, body, **_: rotation_handler.handler(json.loads(body), None),
    )
    with mock_aws():
        yield boto3.client("secretsmanager")


def _rotate(client, secret_id: str) -> None:
    """Turn rotation on with a function, as the SecretRotation resource does: Secrets Manager rotates at once."""
    role = boto3.client("iam").create_role(RoleName="rotation", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("rotation_handler.py", "")
    function = boto3.client("lambda").create_function(
        FunctionName="rotate",
        Runtime="python3.12",
        Role=role,
        Handler="rotation_handler.handler",
        Code={"ZipFile": archive.getvalue()},
    )["FunctionArn"]
    client.rotate_secret(SecretId=secret_id, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 90})


def _value(client, secret_id: str, stage: str) -> str:
    return client.get_secret_value(SecretId=secret_id, VersionStage=stage)["SecretString"]


def test_jwt_key_rotates_to_a_new_random_value_and_keeps_the_previous_one(secretsmanager, monkeypatch):
    client = secretsmanager
    client.create_secret(Name="platform-dev/jwt-signing-key", SecretString="generated-by-pulumi")
    # moto names the secret by name in the event (Secrets Manager by ARN); the function accepts only its own.
    monkeypatch.setenv("SECRET_ARN", "platform-dev/jwt-signing-key")
    monkeypatch.setenv("TARGET", "value")
    monkeypatch.setenv("VALUE_LENGTH", "64")
    _rotate(client, "platform-dev/jwt-signing-key")
    current = _value(client, "platform-dev/jwt-signing-key", "AWSCURRENT")
    assert len(current) == 64 and current.isalnum() and current != "generated-by-pulumi"
    assert _value(client, "platform-dev/jwt-signing-key", "AWSPREVIOUS") == "generated-by-pulumi"


def test_redis_user_gets_the_new_password_beside_the_current_one(secretsmanager, monkeypatch):
    client = secretsmanager
    stored = {"username": "default", "password": "generated-by-pulumi", "user_arn": USER_ARN}
    client.create_secret(Name="platform-dev/cache-auth-token", SecretString=json.dumps(stored))
    monkeypatch.setenv("SECRET_ARN", "platform-dev/cache-auth-token")
    monkeypatch.setenv("TARGET", "elasticache-user")
    monkeypatch.setenv("VALUE_LENGTH", "64")
    elasticache = boto3.client("elasticache", region_name=REGION)
    active = {"Users": [{"UserId": "platform-dev-redis-app", "Status": "active"}]}
    modified: dict[str, list[str]] = {}

    def remember(params, **_):
        modified["passwords"] = params["Passwords"]

    with Stubber(elasticache) as stub:
        stub.add_response("describe_users", active, {"UserId": "platform-dev-redis-app"})  # setSecret waits, then
        stub.add_response("modify_user", {}, {"UserId": "platform-dev-redis-app", "Passwords": [ANY, ANY]})
        stub.add_response("describe_users", active, {"UserId": "platform-dev-redis-app"})  # testSecret
        elasticache.meta.events.register("provide-client-params.elasticache.ModifyUser", remember)
        real_client = boto3.client
        monkeypatch.setattr(
            rotation_handler,
            "boto3",
            types.SimpleNamespace(client=lambda name: elasticache if name == "elasticache" else real_client(name)),
        )
        _rotate(client, "platform-dev/cache-auth-token")
        stub.assert_no_pending_responses()
    current = json.loads(_value(client, "platform-dev/cache-auth-token", "AWSCURRENT"))
    assert {k: v for k, v in current.items() if k != "password"} == {"username": "default", "user_arn": USER_ARN}
    assert len(current["password"]) == 64 and current["password"].isalnum()
    # ElastiCache holds the new password and, until the next rotation, the one running clients still use.
    assert modified["passwords"] == [current["password"], "generated-by-pulumi"]


def test_a_function_rotates_only_its_own_secret(monkeypatch):
    monkeypatch.setenv(
        "SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform-dev/jwt-signing-key-AbC"
    )
    with pytest.raises(ValueError, match=r"rotates arn:aws:secretsmanager:.*jwt-signing-key-AbC only"):
        rotation_handler.handler(
            {
                "SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:other",
                "ClientRequestToken": "t",
                "Step": "createSecret",
            },
            None,
        )
