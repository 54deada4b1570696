"""The stack outputs contract: one set of names every cloud fills in.

Other teams read these with ``pulumi stack output`` or ``pulumi.StackReference``; the names
are a versioned contract documented in README.md. Each cloud's values are exported as
``<cloud>_<field>`` (``aws_database_endpoint``); fields left ``None`` are not exported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

CONTRACT_VERSION = "2"


@dataclass(frozen=True)
class AwsSecretsManager:
    """Secrets Manager in ``region``: ``StoredSecret.id`` is a secret's ARN."""

    region: str


@dataclass(frozen=True)
class GcpSecretManager:
    """Secret Manager of ``project``: ``StoredSecret.id`` is a secret's id in it (its latest version is read)."""

    project: str


@dataclass(frozen=True)
class AzureKeyVault:
    """The Key Vault at ``url`` in Entra ID tenant ``tenant_id``: ``StoredSecret.id`` is a secret's name in it."""

    url: pulumi.Input[str]
    tenant_id: pulumi.Input[str]


SecretStore = AwsSecretsManager | GcpSecretManager | AzureKeyVault


@dataclass(frozen=True)
class StoredSecret:
    """Where one credential lives in the cloud's secret store, whose current value the cloud's rotation keeps."""

    id: pulumi.Input[str]  # as the store names the secret (see each store above)
    property: str | None = None  # the key holding the value when the secret is a JSON document


@dataclass(frozen=True)
class WorkloadSettings:
    """How workloads outside the cloud's own compute (Kubernetes) reach its services; never exported.

    ``env`` holds plain settings (hosts, ports, names); ``secrets`` holds credential values,
    as Pulumi secrets: the ones the cloud was created with, stale once it rotates them.
    ``secret_store`` and ``stored_secrets`` (the same keys as ``secrets``) say where each
    credential's current value lives, for a cluster that reads the store itself.
    """

    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secret_store: SecretStore | None = None
    stored_secrets: Mapping[str, StoredSecret] = field(default_factory=dict)
    # Where the database and cache listen (pods' egress; the ports are env's DATABASE_PORT and REDIS_PORT).
    service_cidrs: Sequence[str] = ()
    # What the cloud's usual metrics adapter calls the api's requests per pod per second (the Prometheus
    # Adapter's default rule serves a counter <name>_total as <name>_per_second) and the worker queue's
    # backlog, with the labels that pick this environment's queue.
    requests_metric: str = "http_requests_per_second"
    queue_metric: str = "worker_queue_messages_visible"  # by default the worker's own gauge of the backlog
    queue_metric_selector: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.stored_secrets and (self.secret_store is None or self.stored_secrets.keys() != self.secrets.keys()):
            raise ValueError("stored_secrets needs a secret_store and must name exactly the keys of secrets")


@dataclass(frozen=True)
class EnvironmentOutputs:
    """What one cloud's environment offers to its consumers."""

    region: pulumi.Input[str]
    network_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    database_endpoint: pulumi.Input[str]
    database_port: pulumi.Input[int]
    database_name: pulumi.Input[str]
    database_secret_id: pulumi.Input[str]
    cache_endpoint: pulumi.Input[str]
    cache_port: pulumi.Input[int]
    cache_secret_id: pulumi.Input[str]
    load_balancer_dns_name: pulumi.Input[str]
    https_listener_id: pulumi.Input[str]
    api_listener_rule_id: pulumi.Input[str]
    target_group_ids: Mapping[str, Mapping[str, pulumi.Input[str]]]
    worker_queue_id: pulumi.Input[str]
    alarm_topic_ids: Mapping[str, pulumi.Input[str]]
    kms_key_id: pulumi.Input[str]
    app_log_group_names: Mapping[str, pulumi.Input[str]]
    audit_log_group_name: pulumi.Input[str]
    config_bucket_name: pulumi.Input[str]
    feature_flags_id: pulumi.Input[str]
    access_role_ids: Mapping[str, pulumi.Input[str]]
    releases: Mapping[str, Mapping[str, str]]
    rollback_alarm_ids: Mapping[str, Sequence[pulumi.Input[str]]]
    backup_vault_name: pulumi.Input[str] | None = None
    dr_region: pulumi.Input[str] | None = None
    dr_database_endpoint: pulumi.Input[str] | None = None
    dr_database_id: pulumi.Input[str] | None = None
    dr_backup_vault_name: pulumi.Input[str] | None = None
    dr_config_bucket_name: pulumi.Input[str] | None = None
    workload: WorkloadSettings = field(default_factory=WorkloadSettings, metadata={"exported": False})


# References to credentials: exported only as secrets.
SECRET_FIELDS = frozenset({"database_secret_id", "cache_secret_id"})


def export(cloud: str, outputs: EnvironmentOutputs) -> None:
    """Export one cloud's outputs as ``<cloud>_<field>``, secrets marked secret."""
    for item in dataclasses.fields(outputs):
        value: Any = getattr(outputs, item.name)
        if value is None or not item.metadata.get("exported", True):
            continue
        pulumi.export(f"{cloud}_{item.name}", pulumi.Output.secret(value) if item.name in SECRET_FIELDS else value)
