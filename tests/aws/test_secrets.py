"""Generated secrets: in Secrets Manager under the data key, secret everywhere, recoverable in prod."""

from __future__ import annotations

import pytest

SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
PASSWORD = "random:index/randomPassword:RandomPassword"
PURPOSES = {"database-master", "cache-auth-token", "jwt-signing-key"}


def _of(plan, type_):
    return {r.name: r for r in plan.children("platform:aws:AppSecrets") if r.type == type_}


@pytest.mark.parametrize(("stack", "window"), [("dev", 7), ("staging", 7), ("prod", 30)])
def test_secrets_encrypted_with_data_key_and_recoverable(plan, stack, window):
    p = plan(stack)
    secrets = _of(p, SECRET)
    assert set(secrets) == PURPOSES
    for purpose, secret in secrets.items():
        assert secret.inputs["name"] == f"platform-{stack}/{purpose}"
        assert secret.property_dependencies["kmsKeyId"] == [p.named("aws:kms/key:Key", "data").urn]
        assert secret.inputs["recoveryWindowInDays"] == window
        assert secret.inputs["tags"]["service"] == "secrets"


def test_values_are_generated_and_stored_only_as_secrets(plan):
    p = plan("prod")
    passwords, secrets, versions = _of(p, PASSWORD), _of(p, SECRET), _of(p, VERSION)
    assert set(versions) == PURPOSES
    for purpose, version in versions.items():
        assert version.inputs["secretString"] == "[secret]"
        assert version.property_dependencies["secretString"] == [passwords[purpose].urn]
        assert version.property_dependencies["secretId"] == [secrets[purpose].urn]


def test_redis_token_fits_elasticache_rules(plan):
    token = _of(plan("dev"), PASSWORD)["cache-auth-token"]
    assert 16 <= token.inputs["length"] <= 128
    assert token.inputs["special"] is False  # alphanumeric: no @, " or /
    assert "overrideSpecial" not in token.inputs


def test_stack_outputs_name_the_secret_not_its_value(plan):
    p = plan("staging")
    arn = p.outputs["aws_cache_secret_id"].value
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:platform-staging/cache-auth-token-")


def test_database_password_fits_rds_rules(plan):
    password = _of(plan("dev"), PASSWORD)["database-master"]
    assert 8 <= password.inputs["length"] <= 128
    assert password.inputs["special"] is False  # no /, ", @ or space
