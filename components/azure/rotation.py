"""Credential rotation: what acts on Key Vault's near-expiry notices (``secrets.py`` sets the expiries).

Key Vault has no rotation of its own for secrets: it publishes ``Microsoft.KeyVault.SecretNearExpiry``
30 days before a secret version expires, and Microsoft's documented pattern is a function subscribed to
that event which writes the next version. Here the function is a Logic App (Consumption) workflow: its
definition is data, like GCP's rotation workflow, so no code package is built or deployed. Each secret
version expires ``security.secretRotationDays`` + 30 days after it is written, so the workflow runs
every ``secretRotationDays``. An Event Grid subscription on the vault's system topic delivers only
near-expiry events to the workflow's request trigger; the workflow answers Event Grid's validation
handshake, acknowledges the event, ignores anything that is not a near-expiry of this vault, and, for
the secret named in the event (its subject):

- database password: a new random password, set on the server as its administrator password
  (ARM, PATCH), then stored;
- Redis access key: the key the applications are *not* using (the secret's ``redis-key`` tag says
  which one they use) is regenerated and stored, so connections made with the current key keep working
  until every instance has moved to the new one;
- JWT signing key: a new random key, stored.

Values are stored only once the service accepts them, through ARM (the vault's network rules do not
restrict ARM), each with its next expiry. Random values come from ``guid()`` (version 4, 122 random bits
each): three make the password, two the JWT key. Every action that carries a value keeps it out of run
history (secure inputs and outputs). The workflow runs as its own identity, holding a custom role with
just these calls, assigned on the server, the cache and each of the three secrets. A failed run pages
high (``failure_rule``).

VMs move onto a new value within two ``azure.secretRefreshMinutes`` (``boot.py``), pods within
``kubernetes.secretSync.refreshMinutes``. Pulumi set the first values and then leaves the secrets and the
administrator password alone (``ignore_changes``), so a later ``pulumi up`` does not undo a rotation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi_azure_native import dbforpostgresql as postgresql
from pulumi_azure_native import eventgrid, logic, managedidentity, redis

from ..config import PlatformConfig
from .alarms import Metric, Rule
from .common import Actor
from .keys import Keys

NEAR_EXPIRY = "Microsoft.KeyVault.SecretNearExpiry"
EXPIRED = "Microsoft.KeyVault.SecretExpired"  # a version expired unrotated: the run fails, which pages
NEAR_EXPIRY_LEAD_DAYS = 30  # Key Vault publishes SecretNearExpiry 30 days before the version expires
VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent"
REDIS_KEY_TAG = "redis-key"  # which of the cache's two access keys the stored secret holds
API_VERSIONS = {"vault": "2023-07-01", "server": "2024-08-01", "cache": "2024-03-01"}
ROTATOR_ACTIONS = (
    "Microsoft.KeyVault/vaults/secrets/read",
    "Microsoft.KeyVault/vaults/secrets/write",
    "Microsoft.DBforPostgreSQL/flexibleServers/read",
    "Microsoft.DBforPostgreSQL/flexibleServers/write",  # ARM has no narrower action to reset the password
    "Microsoft.Cache/redis/read",
    "Microsoft.Cache/redis/regenerateKey/action",
)
TRIGGER = "near_expiry"
RETRY = {"type": "exponential", "count": 10, "interval": "PT30S", "maximumInterval": "PT15M"}
FAILURE_WINDOW_MINUTES = 5  # one of Azure's metric-alert windows
SECURE = {"runtimeConfiguration": {"secureData": {"properties": ["inputs", "outputs"]}}}
# A Compose's secure inputs hide its output too (it has no secure-outputs setting).
SECURE_COMPOSE = {"runtimeConfiguration": {"secureData": {"properties": ["inputs"]}}}
HEX_GUID = "replace(guid(), '-', '')"
DEFINITION_SCHEMA = (
    "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#"
)


def first_expiry(cfg: PlatformConfig, now: float) -> int:
    """When a secret's first version expires (Unix seconds): rotation is due ``secretRotationDays`` from today.

    Whole days, so plans made on the same day agree; it is only read when Pulumi creates the secret."""
    day = 86400
    return int(now) // day * day + (cfg.security.secret_rotation_days + NEAR_EXPIRY_LEAD_DAYS) * day


def _arm(method: str, resource: str, api: str, identity: str, body: Any = None, path: str = "") -> dict[str, Any]:
    """An ARM call as the workflow's identity; Logic Apps follows ARM's asynchronous 202 pattern by itself. Retried
    for about an hour: a value the service accepted but the vault did not yet store is otherwise lost."""
    inputs: dict[str, Any] = {
        "method": method,
        "uri": f"https://management.azure.com{resource}{path}?api-version={API_VERSIONS[api]}",
        "authentication": {
            "type": "ManagedServiceIdentity",
            "identity": identity,
            "audience": "https://management.azure.com/",
        },
        "retryPolicy": RETRY,
    }
    if body is not None:
        inputs["body"] = body
    return {"type": "Http", "inputs": inputs, **SECURE}


def _step(action: dict[str, Any], after: str | None) -> dict[str, Any]:
    return {**action, "runAfter": {after: ["Succeeded"]} if after else {}}


def _chain(steps: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Actions that run one after the other, in order."""
    return {name: _step(action, steps[i - 1][0] if i else None) for i, (name, action) in enumerate(steps)}


def workflow_definition(
    cfg: PlatformConfig,
    identity: str,
    vault_id: str,
    vault_name: str,
    server_id: str,
    cache_id: str,
    tags: Mapping[str, str],
) -> dict[str, Any]:
    """The Logic Apps workflow definition for these resources (ids resolved)."""
    days = cfg.security.secret_rotation_days + NEAR_EXPIRY_LEAD_DAYS
    expiry = f"@div(sub(ticks(addDays(utcNow(), {days})), ticks('1970-01-01T00:00:00Z')), 10000000)"
    event = "triggerBody()[0]"

    def store(secret: str, value: str, extra_tags: Any = None) -> dict[str, Any]:
        body = {
            "properties": {"value": value, "contentType": "text/plain", "attributes": {"enabled": True, "exp": expiry}},
            "tags": {**tags, **(extra_tags or {})},
        }
        return _arm("PUT", f"{vault_id}/secrets/{secret}", "vault", identity, body)

    def compose(value: str) -> dict[str, Any]:
        return {"type": "Compose", "inputs": value, **SECURE_COMPOSE}

    password = f"@concat('Aa1', {HEX_GUID}, toUpper({HEX_GUID}), {HEX_GUID})"  # upper, lower and digits
    idle, in_use = "outputs('idle_key')", f"body('current')?['tags']?['{REDIS_KEY_TAG}']"
    regenerated = (
        f"@if(equals({idle}, 'Primary'), body('regenerate')?['primaryKey'], body('regenerate')?['secondaryKey'])"
    )
    cases = {
        "database": ("database-password", [
            ("new_password", compose(password)),
            ("set_password", _arm("PATCH", server_id, "server", identity,
                                  {"properties": {"administratorLoginPassword": "@{outputs('new_password')}"}})),
            ("store_password", store("database-password", "@{outputs('new_password')}")),
        ]),
        "cache": ("redis-access-key", [
            ("current", _arm("GET", f"{vault_id}/secrets/redis-access-key", "vault", identity)),
            ("idle_key", compose(f"@if(equals({in_use}, 'Secondary'), 'Primary', 'Secondary')")),
            ("regenerate", _arm("POST", cache_id, "cache", identity, {"keyType": f"@{{{idle}}}"}, "/regenerateKey")),
            ("store_key", store("redis-access-key", regenerated, {REDIS_KEY_TAG: f"@{{{idle}}}"})),
        ]),
        "jwt": ("jwt-signing-key", [
            ("store_jwt", store("jwt-signing-key", f"@concat({HEX_GUID}, {HEX_GUID})")),
        ]),
    }  # fmt: skip
    rotate = {
        "type": "Switch",
        "expression": f"@{event}?['subject']",
        "cases": {case: {"case": secret, "actions": _chain(steps)} for case, (secret, steps) in cases.items()},
        "default": {
            "actions": {
                "unknown_secret": {
                    "type": "Terminate",
                    "inputs": {"runStatus": "Failed", "runError": {"message": "no rotation for this secret"}},
                }
            }
        },
    }

    def of_this_vault(event_type: str) -> dict[str, Any]:
        return {
            "and": [
                {"equals": [f"@{event}?['eventType']", event_type]},
                {"equals": [f"@{event}?['data']?['VaultName']", vault_name]},
            ]
        }

    unrotated = {
        "type": "Terminate",
        "inputs": {"runStatus": "Failed", "runError": {"message": f"@{{{event}?['subject']}} expired unrotated"}},
    }
    respond, code = {"type": "Response", "kind": "Http"}, f"@{event}?['data']?['validationCode']"
    return {
        "$schema": DEFINITION_SCHEMA,
        "contentVersion": "1.0.0.0",
        "triggers": {TRIGGER: {"type": "Request", "kind": "Http", "inputs": {"schema": {"type": "array"}}}},
        "actions": {
            "handshake": {
                "type": "If",
                "expression": {"and": [{"equals": [f"@{event}?['eventType']", VALIDATION]}]},
                "actions": {
                    "validate": {**respond, "inputs": {"statusCode": 200, "body": {"validationResponse": code}}}
                },
                "else": {
                    "actions": _chain([
                        ("accept", {**respond, "inputs": {"statusCode": 202}}),
                        ("expired", {"type": "If", "expression": of_this_vault(EXPIRED),
                                     "actions": {"unrotated": _step(unrotated, None)}}),
                        ("ours", {"type": "If", "expression": of_this_vault(NEAR_EXPIRY),
                                  "actions": {"rotate": _step(rotate, None)}}),
                    ])
                },
                "runAfter": {},
            }
        },
    }  # fmt: skip


class CredentialRotation(pulumi.ComponentResource):
    identity: managedidentity.UserAssignedIdentity
    workflow: logic.Workflow
    topic: eventgrid.SystemTopic
    subscription: eventgrid.SystemTopicEventSubscription
    failure_rule: Rule

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        keys: Keys,
        server: postgresql.Server,
        cache: redis.Redis,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """The secrets come later (``grant_on``): they must be written after the subscription exists."""
        super().__init__("platform:azure:CredentialRotation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("secrets")
        self._actor = actor = Actor(
            self, name, cfg, resource_group, location, "rotator", "rotate the application's credentials",
            ROTATOR_ACTIONS, tags,
        )  # fmt: skip
        self.identity = actor.identity
        self.grant_on({"database": server, "cache": cache})
        definition = pulumi.Output.all(
            identity=self.identity.id,
            vault_id=keys.vault.id,
            vault_name=keys.vault.name,
            server_id=server.id,
            cache_id=cache.id,
        ).apply(lambda ids: workflow_definition(cfg, tags=tags, **ids))
        self.workflow = logic.Workflow(
            f"{name}-workflow",
            resource_group_name=resource_group,
            workflow_name=cfg.name("rotation"),
            location=location,
            state="Enabled",
            definition=definition,
            identity={"type": "UserAssigned", "user_assigned_identities": [self.identity.id]},
            tags=tags,
            opts=child,
        )
        callback = logic.list_workflow_trigger_callback_url_output(
            resource_group_name=resource_group,
            workflow_name=self.workflow.name,  # unknown until created, so a preview does not ask for it
            trigger_name=TRIGGER,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.topic = eventgrid.SystemTopic(
            f"{name}-vault-events",
            resource_group_name=resource_group,
            system_topic_name=cfg.name("vault-events"),
            location=location,
            source=keys.vault.id,
            topic_type="Microsoft.KeyVault.vaults",
            tags=tags,
            opts=child,
        )
        self.subscription = eventgrid.SystemTopicEventSubscription(
            f"{name}-near-expiry",
            resource_group_name=resource_group,
            system_topic_name=self.topic.name,
            event_subscription_name="near-expiry-rotation",
            event_delivery_schema="EventGridSchema",
            filter=eventgrid.EventSubscriptionFilterArgs(included_event_types=[NEAR_EXPIRY, EXPIRED]),
            destination=eventgrid.WebHookEventSubscriptionDestinationArgs(
                endpoint_type="WebHook",
                # The trigger's signed URL: a credential, kept secret in state.
                endpoint_url=pulumi.Output.secret(callback.value),
                max_events_per_batch=1,  # the workflow reads one event per call
            ),
            retry_policy=eventgrid.RetryPolicyArgs(max_delivery_attempts=30, event_time_to_live_in_minutes=1440),
            opts=child,
        )
        self.failure_rule = Rule(
            "rotation-failed",
            "a credential rotation run failed: the secret keeps its value until it expires",
            "high",
            0,
            Metric(self.workflow.id, "Microsoft.Logic/workflows", "RunsFailed", FAILURE_WINDOW_MINUTES, "Total"),
        )
        self.register_outputs({"workflow_id": self.workflow.id})

    def grant_on(self, resources: Mapping[str, pulumi.CustomResource]) -> None:
        """The rotator's role on each of ``resources`` (by purpose), and nowhere else. The workflow needs them
        only when it runs, on the first near-expiry notice."""
        for what, resource in resources.items():
            self._actor.allow(what, resource.id)
