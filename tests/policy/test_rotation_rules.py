"""secret-rotation: Secrets Manager rotations (by reference, name or ARN; days, rate or cron), Secret Manager
rotation with topics, and Key Vault near-expiry rotation (expiry plus an Event Grid subscription on the vault)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from policies.rules import rotation

from .support import check, check_stack, resource

SECRET = "aws:secretsmanager/secret:Secret"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform-prod/database-master-AbCdEf"


def rule(*resources: Any, config: dict | None = None) -> list[str]:
    return check_stack(rotation.secret_rotation, list(resources), config)


def secret() -> Any:
    return resource(SECRET, "db", {"name": "platform-prod/database-master", "kmsKeyId": "k"})


def rotates(rules: dict[str, Any], secret_id: str = ARN, **props: Any) -> dict[str, Any]:
    return {"secretId": secret_id, "rotationLambdaArn": "arn:aws:lambda:x", "rotationRules": rules, **props}


@pytest.mark.parametrize(
    "rules",
    [
        {"automaticallyAfterDays": 30},
        {"automaticallyAfterDays": 90},
        {"scheduleExpression": "rate(30 days)"},
        {"scheduleExpression": "rate(4 hours)", "duration": "2h"},
        {"scheduleExpression": "cron(0 16 1,15 * ? *)"},
        {"scheduleExpression": "cron(0 4 1 JAN,MAR,MAY,JUL,SEP,NOV ? *)"},
    ],
)
def test_aws_rotation_by_reference_name_or_arn(rules: dict[str, Any]) -> None:
    db = secret()
    by_reference = resource(ROTATION, "rotation", rotates(rules, secret_id="pending"), secretId=db)
    by_name = resource(ROTATION, "rotation", rotates(rules, secret_id="platform-prod/database-master"))
    by_arn = resource(ROTATION, "rotation", rotates(rules))
    for found in (by_reference, by_name, by_arn):
        assert rule(db, found) == []


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ({"automaticallyAfterDays": 91}, "rotation rotates every 91 days; must be at most 90"),
        ({"scheduleExpression": "rate(180 days)"}, "rotation rotates every 180 days; must be at most 90"),
        ({"scheduleExpression": "rate(2400 hours)"}, "rotation rotates every 100 days; must be at most 90"),
        ({"scheduleExpression": "cron(0 0 1 */3 ? *)"}, "rotation rotates every 93 days; must be at most 90"),
        ({"scheduleExpression": "cron(0 0 1 1 ? *)"}, "rotation rotates every 372 days; must be at most 90"),
        ({"scheduleExpression": "cron(0 0 ? * MON#5 *)"}, "rotation rotates every 93 days; must be at most 90"),
        (
            {"scheduleExpression": "cron(0 0 1 * ? 2030)"},
            "rotation has no rotationRules schedule it runs at least every 90 days",
        ),
        ({}, "rotation has no rotationRules schedule it runs at least every 90 days"),
    ],
)
def test_aws_rotation_too_slow_or_unreadable(rules: dict[str, Any], problem: str) -> None:
    assert rule(secret(), resource(ROTATION, "rotation", rotates(rules))) == [f"db: {problem}."]


def test_aws_secret_without_rotation_or_with_it_turned_off() -> None:
    assert rule(secret()) == ["db: no aws:secretsmanager/secretRotation:SecretRotation names it."]
    other = resource(
        ROTATION, "rotation", rotates({"automaticallyAfterDays": 30}, secret_id=ARN.replace("master", "replica"))
    )
    assert rule(secret(), other) == ["db: no aws:secretsmanager/secretRotation:SecretRotation names it."]
    off = resource(ROTATION, "rotation", {"secretId": ARN, "rotationEnabled": False})
    assert rule(secret(), off) == ["db: rotation turns automatic rotation off (rotationEnabled false)."]


def test_rotation_of_a_secret_managed_elsewhere_is_still_checked() -> None:
    """An RDS-managed master password rotates unless a SecretRotation turns it off or slows it down."""
    managed = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf"
    assert rule(resource(ROTATION, "rds", {"secretId": managed, "rotationRules": {"automaticallyAfterDays": 7}})) == []
    assert rule(resource(ROTATION, "rds", {"secretId": managed, "rotationEnabled": False})) == [
        "rds: rds turns automatic rotation off (rotationEnabled false)."
    ]


def test_rotation_limit_is_a_parameter() -> None:
    weekly = resource(ROTATION, "rotation", rotates({"automaticallyAfterDays": 30}))
    assert rule(secret(), weekly, config={"secretRotationDays": 7}) == [
        "db: rotation rotates every 30 days; must be at most 7."
    ]


GCP_SECRET = "gcp:secretmanager/secret:Secret"
GCP_ROTATION = {
    "rotation": {"rotationPeriod": "7776000s", "nextRotationTime": "2030-01-01T00:00:00Z"},
    "topics": [{"name": "projects/p/topics/secret-rotation"}],
}


@pytest.mark.parametrize("type_", [GCP_SECRET, "gcp:secretmanager/regionalSecret:RegionalSecret"])
def test_gcp_rotation(type_: str) -> None:
    assert check(rotation.secret_rotation, type_, GCP_ROTATION) == []
    slow = {**GCP_ROTATION, "rotation": {"rotationPeriod": "7862400s", "nextRotationTime": "2030-01-01T00:00:00Z"}}
    assert check(rotation.secret_rotation, type_, slow) == [
        "r: rotation.rotationPeriod is 91 days; must be at most 90."
    ]
    assert check(rotation.secret_rotation, type_, {**GCP_ROTATION, "topics": []}) == [
        "r: no topics receive its rotation notices."
    ]
    unscheduled = {**GCP_ROTATION, "rotation": {"rotationPeriod": "2592000s"}}
    assert check(rotation.secret_rotation, type_, unscheduled) == [
        "r: no rotation (rotation.rotationPeriod and rotation.nextRotationTime)."
    ]


VAULT = "azure-native:keyvault:Vault"
AZURE_SECRET = "azure-native:keyvault:Secret"
GROUP = "/subscriptions/0/resourceGroups/platform-prod/providers"
VAULT_ID = f"{GROUP}/Microsoft.KeyVault/vaults/platprodkeys584448"
NAMES = {"resourceGroupName": "platform-prod", "vaultName": "platprodkeys584448"}
FUNCTION = {"endpointType": "AzureFunction", "resourceId": f"{GROUP}/Microsoft.Web/sites/rotator/functions/rotate"}
NEAR_EXPIRY = "Microsoft.KeyVault.SecretNearExpiry"


def vault() -> Any:
    return resource(VAULT, "vault", {**NAMES, "properties": {"enablePurgeProtection": True}})


def azure_secret(expires_in_days: float | None = 100, name: str = "database-password") -> Any:
    attributes = {"expires": int(time.time() + expires_in_days * 86400)} if expires_in_days is not None else {}
    return resource(
        AZURE_SECRET, name, {**NAMES, "secretName": name, "properties": {"value": "v", "attributes": attributes}}
    )


def system_topic(source: str = VAULT_ID, topic_type: str = "Microsoft.KeyVault.vaults") -> Any:
    props = {
        "resourceGroupName": "platform-prod",
        "systemTopicName": "keys-events",
        "source": source,
        "topicType": topic_type,
    }
    return resource("azure-native:eventgrid:SystemTopic", "topic", props)


def on_topic(**props: Any) -> Any:
    base = {"resourceGroupName": "platform-prod", "systemTopicName": "keys-events", "destination": FUNCTION}
    return resource("azure-native:eventgrid:SystemTopicEventSubscription", "rotate", {**base, **props})


def on_vault(**props: Any) -> Any:
    return resource(
        "azure-native:eventgrid:EventSubscription", "rotate", {"scope": VAULT_ID, "destination": FUNCTION, **props}
    )


NO_EVENTS = "database-password: no Event Grid subscription on its vault delivers Microsoft.KeyVault.SecretNearExpiry "
NO_EVENTS += "for it to a rotation function."


@pytest.mark.parametrize(
    "events",
    [
        [system_topic(), on_topic(filter={"includedEventTypes": [NEAR_EXPIRY, "Microsoft.KeyVault.SecretExpired"]})],
        [system_topic(), on_topic()],  # no filter: every default event type
        [system_topic(), on_topic(filter={"includedEventTypes": [NEAR_EXPIRY], "subjectBeginsWith": "database-"})],
        [
            system_topic(),
            on_topic(
                destination=None,
                deliveryWithResourceIdentity={"identity": {"type": "SystemAssigned"}, "destination": FUNCTION},
            ),
        ],
        [on_vault(filter={"includedEventTypes": [NEAR_EXPIRY], "subjectEndsWith": "-password"})],
    ],
)
def test_azure_near_expiry_rotation(events: list[Any]) -> None:
    assert rule(vault(), azure_secret(), *events) == []


@pytest.mark.parametrize(
    "events",
    [
        [],
        [system_topic(), on_topic(filter={"includedEventTypes": ["Microsoft.KeyVault.SecretNewVersionCreated"]})],
        [system_topic(), on_topic(filter={"subjectBeginsWith": "jwt-"})],
        [system_topic(), on_topic(destination=None)],
        [system_topic(source=VAULT_ID.replace("584448", "000000")), on_topic()],
        [system_topic(topic_type="Microsoft.Storage.StorageAccounts"), on_topic()],
        [system_topic(), on_topic(systemTopicName="other-events")],
        [on_vault(scope=f"{GROUP}/Microsoft.KeyVault/vaults/other")],
    ],
)
def test_azure_without_near_expiry_delivery(events: list[Any]) -> None:
    assert rule(vault(), azure_secret(), *events) == [NO_EVENTS]


def test_azure_secret_expiry_bounds_the_rotation() -> None:
    events = [system_topic(), on_topic()]
    assert rule(vault(), azure_secret(expires_in_days=119), *events) == []
    assert rule(vault(), azure_secret(expires_in_days=180), *events) == [
        "database-password: expires 180 days from now; rotation needs expiry within 90 + 30 days."
    ]
    assert rule(vault(), azure_secret(expires_in_days=None), *events) == [
        "database-password: no expiry (properties.attributes.expires), so SecretNearExpiry never fires."
    ]


def test_azure_secret_in_a_vault_of_another_stack_cannot_show_rotation() -> None:
    assert rule(azure_secret(), system_topic(), on_topic()) == [NO_EVENTS]
