"""Cloud KMS: key rings per region, rotation, and service agents bound to the keys they use."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

KEYS = "platform:gcp:Keys"
AGENTS = {
    "cloud-sql": "gcp-sa-cloud-sql",
    "memorystore": "cloud-redis",
    "storage": "gs-project-accounts",
    "compute": "compute-system",
    "secret-manager": "gcp-sa-secretmanager",
    "workflows": "gcp-sa-workflows",
}


@pytest.mark.parametrize("stack", STACKS)
def test_keys_rotate_every_30_days_and_are_protected(plan, stack):
    p = gcp_plan(plan, stack)
    keys = named(p, KEYS, "gcp:kms/cryptoKey:CryptoKey")
    assert set(keys) == ({"data", "logs", "dr-data", "dr-logs"} if stack == "prod" else {"data", "logs"})
    for key in keys.values():
        assert key.inputs["rotationPeriod"] == "2592000s"
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
        assert key.inputs["versionTemplate"]["algorithm"] == "GOOGLE_SYMMETRIC_ENCRYPTION"
        assert key.protect is True
    rings = named(p, KEYS, "gcp:kms/keyRing:KeyRing")
    assert rings["primary"].inputs["location"] == "us-central1"
    if stack == "prod":
        assert rings["dr"].inputs["location"] == "us-east1"


def test_rotation_follows_config(plan):
    keys = named(gcp_plan(plan, "dev", "security.keyRotationDays=7"), KEYS, "gcp:kms/cryptoKey:CryptoKey")
    assert keys["data"].inputs["rotationPeriod"] == "604800s"


@pytest.mark.parametrize("stack", STACKS)
def test_service_agents_may_use_the_data_key_for_cmek(plan, stack):
    p = gcp_plan(plan, stack)
    grants = named(p, KEYS, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    data = p.named("gcp:kms/cryptoKey:CryptoKey", "data")
    for agent, domain in AGENTS.items():
        grant = grants[f"data-{agent}"]
        assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
        assert grant.inputs["member"] == f"serviceAccount:service-123456789012@{domain}.iam.gserviceaccount.com"
        assert grant.property_dependencies["cryptoKeyId"] == [data.urn]
    assert grants["logs-logging"].inputs["member"].endswith("@gcp-sa-logging.iam.gserviceaccount.com")
    assert any(name.startswith("dr-data-") for name in grants) == (stack == "prod")
    if stack == "prod":  # the DR audit and database log buckets encrypt with the DR region's logs key
        assert grants["dr-logs-logging"].inputs["member"] == grants["logs-logging"].inputs["member"]
        dr_logs = p.named("gcp:kms/cryptoKey:CryptoKey", "dr-logs")
        assert grants["dr-logs-logging"].property_dependencies["cryptoKeyId"] == [dr_logs.urn]
