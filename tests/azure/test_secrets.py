"""Credentials in Key Vault: generated database password and JWT key, the Redis access key; all secret."""

from __future__ import annotations

import pytest

from infractl import runtime
from tests.azure.support import azure_plan, named, only
from tests.conftest import STACKS

SECRETS = "platform:azure:AppSecrets"
SECRET = "azure-native:keyvault:Secret"
PASSWORD = "random:index/randomPassword:RandomPassword"


@pytest.mark.parametrize("stack", STACKS)
def test_each_credential_is_a_secret_in_the_environments_vault(plan, stack):
    p = azure_plan(plan, stack)
    vault = p.named("azure-native:keyvault:Vault", "keys-vault")
    secrets = named(p, SECRETS, SECRET)
    assert set(secrets) == {"secrets-database-password", "secrets-redis-access-key", "secrets-jwt-signing-key"}
    for name, secret in secrets.items():
        assert secret.inputs["secretName"] == name.removeprefix("secrets-")
        assert secret.inputs["vaultName"] == vault.inputs["vaultName"]
        assert secret.inputs["resourceGroupName"] == f"platform-{stack}"
        assert vault.urn in secret.dependencies  # written once the vault exists
        assert secret.inputs["properties"] == runtime.SECRET  # value and all, never in plain state
        assert secret.inputs["tags"]["service"] == "secrets"


@pytest.mark.parametrize("stack", STACKS)
def test_values_come_from_generated_passwords_and_the_cache(plan, stack):
    p = azure_plan(plan, stack)
    passwords = named(p, SECRETS, PASSWORD)
    assert {name: r.inputs for name, r in passwords.items()} == {
        "secrets-database-password": {
            "length": 40,
            "special": False,
            "minUpper": 1,
            "minLower": 1,
            "minNumeric": 1,
        },
        "secrets-jwt-signing-key": {"length": 64, "special": False},
    }
    secrets = named(p, SECRETS, SECRET)
    for purpose in ("database-password", "jwt-signing-key"):
        assert secrets[f"secrets-{purpose}"].property_dependencies["properties"] == [
            passwords[f"secrets-{purpose}"].urn
        ]
    redis = only(p, "platform:azure:Cache", "azure-native:redis:Redis")
    assert redis.urn in secrets["secrets-redis-access-key"].property_dependencies["properties"]


@pytest.mark.parametrize("stack", STACKS)
def test_database_gets_the_generated_password_as_a_secret(plan, stack):
    p = azure_plan(plan, stack)
    server = p.named("azure-native:dbforpostgresql:Server", "database-server")
    assert server.inputs["administratorLoginPassword"] == runtime.SECRET
    assert p.named(PASSWORD, "secrets-database-password").urn in server.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_secret_references_are_secret_outputs(plan, stack):
    outputs = azure_plan(plan, stack).outputs
    for name in ("azure_database_secret_id", "azure_cache_secret_id"):
        assert outputs[name].secret is True
    assert "/providers/Microsoft.KeyVault/vaults/" in outputs["azure_database_secret_id"].value
