"""Rotation of the generated credentials: who rotates each secret, how often, and what it may touch."""

from __future__ import annotations

import json
import string

import pytest

from components.config import ConfigError, parse
from tests.conftest import STACKS

ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SAR = "aws:serverlessrepository/cloudFormationStack:CloudFormationStack"
FUNCTION = "aws:lambda/function:Function"
PURPOSES = {"database-master", "cache-auth-token", "jwt-signing-key"}


def _rotations(p):
    return {r.name: r for r in p.of_type(ROTATION)}


@pytest.mark.parametrize("stack", STACKS)
def test_every_secret_rotates_every_90_days_starting_now(plan, stack):
    p = plan(stack)
    rotations = _rotations(p)
    assert set(rotations) == PURPOSES
    for purpose, rotation in rotations.items():
        assert rotation.inputs["rotationRules"] == {"automaticallyAfterDays": 90}
        assert rotation.inputs["rotateImmediately"] is True
        # Rotation starts once the first value is stored.
        version = p.named("aws:secretsmanager/secretVersion:SecretVersion", purpose)
        assert version.urn in rotation.property_dependencies["secretId"]
        assert p.named("aws:secretsmanager/secret:Secret", purpose).urn in rotation.property_dependencies["secretId"]


def test_rotation_period_follows_config_and_spec_caps_it(plan):
    rotations = _rotations(plan("dev", "security.secretRotationDays=30"))
    assert {r.inputs["rotationRules"]["automaticallyAfterDays"] for r in rotations.values()} == {30}
    with pytest.raises(ConfigError) as error:
        parse({"environment": "dev", "security": {"secretRotationDays": 120}})
    assert "secretRotationDays" in str(error.value)


def test_postgres_rotates_with_the_aws_single_user_function_inside_the_vpc(plan):
    p = plan("prod")
    stack = p.named(SAR, "database-master")
    assert stack.inputs["applicationId"] == (
        "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser"
    )
    assert stack.inputs["semanticVersion"] == "1.1.671"
    assert set(stack.inputs["capabilities"]) == {"CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"}
    params = stack.inputs["parameters"]
    assert params["functionName"] == "platform-prod-rotate-database-master"
    assert params["endpoint"] == "https://secretsmanager.us-east-1.amazonaws.com"
    assert params["kmsKeyArn"] == p.outputs["aws_kms_key_id"].value  # the key the secret is encrypted with
    assert params["vpcSubnetIds"].split(",") == p.outputs["aws_private_subnet_ids"].value
    deps = {p.by_urn(u).name for u in stack.property_dependencies["parameters"]}
    assert "network-rotation-sg" in deps and "network-private-0" in deps
    assert set(params["excludeCharacters"]) == set(string.punctuation)  # stays alphanumeric like the generated one
    rotation = _rotations(p)["database-master"]
    assert (
        rotation.inputs["rotationLambdaArn"]
        == "arn:aws:lambda:us-east-1:123456789012:function:platform-prod-rotate-database-master"
    )
    assert rotation.property_dependencies["rotationLambdaArn"] == [stack.urn]
    group = p.named("aws:cloudwatch/logGroup:LogGroup", "platform-prod-rotate-database-master")
    assert group.inputs["name"] == "/aws/lambda/platform-prod-rotate-database-master"
    assert group.property_dependencies["kmsKeyId"] == [p.named("aws:kms/key:Key", "logs").urn]
    assert group.urn in stack.dependencies  # before Lambda makes it unencrypted and kept forever


@pytest.mark.parametrize(
    ("purpose", "target", "length"),
    [("cache-auth-token", "elasticache-user", "64"), ("jwt-signing-key", "value", "64")],
)
def test_own_function_rotates_one_secret_with_a_role_scoped_to_it(plan, purpose, target, length):
    p = plan("staging")
    function = p.named(FUNCTION, f"rotate-{purpose}")
    secret = p.named("aws:secretsmanager/secret:Secret", purpose)
    variables = function.inputs["environment"]["variables"]
    assert variables["TARGET"] == target and variables["VALUE_LENGTH"] == length
    assert secret.urn in function.property_dependencies["environment"]  # SECRET_ARN: only this secret
    assert function.inputs["handler"] == "rotation_handler.handler"
    assert function.inputs["timeout"] == 900
    assert set(function.inputs["code"].assets) == {"rotation_handler.py"}  # the handler alone; boto3 is in the runtime
    statements = {
        s["Sid"]: s
        for s in json.loads(p.named("aws:iam/rolePolicy:RolePolicy", f"rotate-{purpose}").inputs["policy"])["Statement"]
    }
    assert statements["RotateThisSecret"]["Resource"].startswith(
        f"arn:aws:secretsmanager:us-east-1:123456789012:secret:platform-staging/{purpose}-"
    )
    assert statements["UseDataKeyThroughSecretsManager"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }
    assert statements["WriteOwnLogs"]["Resource"].endswith(
        f":log-group:/aws/lambda/platform-staging-rotate-{purpose}:*"
    )
    elasticache = statements.pop("SetUserPasswords", None)
    if target == "elasticache-user":
        assert elasticache["Resource"] == "arn:aws:elasticache:us-east-1:123456789012:user:platform-staging-redis-app"
        assert set(elasticache["Action"]) == {"elasticache:DescribeUsers", "elasticache:ModifyUser"}
    assert elasticache is None or target == "elasticache-user"
    invoke = p.named("aws:lambda/permission:Permission", f"rotate-{purpose}")
    assert invoke.inputs["principal"] == "secretsmanager.amazonaws.com"
    assert invoke.property_dependencies["sourceArn"] == [secret.urn]
    rotation = _rotations(p)[purpose]
    assert rotation.property_dependencies["rotationLambdaArn"] == [function.urn]
    assert invoke.urn in rotation.dependencies
