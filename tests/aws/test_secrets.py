"""Generated secrets: in Secrets Manager under the data key, secret everywhere, recoverable in prod, stored in the
shape their rotation reads."""

from __future__ import annotations

import pytest

SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
PASSWORD = "random:index/randomPassword:RandomPassword"
PURPOSES = {"database-master", "cache-auth-token", "jwt-signing-key"}


def _of(plan, type_, component="platform:aws:AppSecrets"):
    return {r.name: r for r in plan.children(component) if r.type == type_}


def _generated(plan):
    return _of(plan, PASSWORD, "platform:aws:GeneratedCredentials")


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
    passwords, secrets, versions = _generated(p), _of(p, SECRET), _of(p, VERSION)
    assert set(versions) == set(passwords) == PURPOSES
    for purpose, version in versions.items():
        assert version.inputs["secretString"] == "[secret]"
        assert passwords[purpose].urn in version.property_dependencies["secretString"]
        assert version.property_dependencies["secretId"] == [secrets[purpose].urn]


def test_database_secret_holds_the_connection_the_postgres_rotation_function_reads(plan):
    p = plan("staging")
    version = _of(p, VERSION)["database-master"]
    # engine, host, port, username, password, dbname: the host is the instance's, so it is stored after it.
    instance = p.named("aws:rds/instance:Instance", "postgres")
    assert set(version.property_dependencies["secretString"]) == {_generated(p)["database-master"].urn, instance.urn}


def test_redis_secret_names_the_elasticache_user_it_belongs_to(plan):
    p = plan("dev")
    version = _of(p, VERSION)["cache-auth-token"]
    user = p.named("aws:elasticache/user:User", "app")
    assert set(version.property_dependencies["secretString"]) == {_generated(p)["cache-auth-token"].urn, user.urn}


def test_the_secret_arns_handed_on_wait_for_the_stored_value(plan):
    """Instances read the secrets at start, so what they are given resolves only once a value is there."""
    p = plan("dev")
    version = _of(p, VERSION)["jwt-signing-key"]
    template = p.named("aws:ec2/launchTemplate:LaunchTemplate", "worker")
    assert version.urn in template.property_dependencies["userData"]


def test_redis_token_fits_elasticache_rules(plan):
    token = _generated(plan("dev"))["cache-auth-token"]
    assert 16 <= token.inputs["length"] <= 128
    assert token.inputs["special"] is False  # alphanumeric: no @, " or /
    assert "overrideSpecial" not in token.inputs


def test_stack_outputs_name_the_secret_not_its_value(plan):
    p = plan("staging")
    arn = p.outputs["aws_cache_secret_id"].value
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:platform-staging/cache-auth-token-")


def test_database_password_fits_rds_rules(plan):
    password = _generated(plan("dev"))["database-master"]
    assert 8 <= password.inputs["length"] <= 128
    assert password.inputs["special"] is False  # no /, ", @ or space
