"""Storage accounts: config backups, the worker queue, flow logs and Redis snapshots; CMK-encrypted and private.

Every account is StorageV2 with the environment's Key Vault key (through the shared user-assigned
identity, versionless so rotation is picked up), infrastructure (double) encryption, HTTPS only,
TLS 1.2 minimum, no anonymous blob access, no cross-tenant replication and a default-deny firewall
that lets trusted Azure services through. Shared Key authorisation is off everywhere except the
flow-log accounts: Network Watcher writes flow logs with the account key unless the flow log carries
a managed identity.

Public network access: ``Disabled`` where only we and object replication touch the account (config,
queue, config replica). The accounts that Azure services write to from outside our VNets (flow logs by
Network Watcher, RDB snapshots by Azure Cache for Redis) keep it ``Enabled`` with the firewall denying
everything but trusted services and no IP or VNet rules: with public access ``Disabled`` Azure Storage
honours only private endpoints, not the trusted-services exception. Redis persistence passes the
exception only when it authenticates with the cache's system-assigned identity (see cache.py).

Flow logs must land in the VNet's region, so disaster recovery adds a flow-log account in
``azure.drLocation`` for the DR network. Redis persistence (``cache.snapshotRetentionDays`` > 0) gets an
account of its own, in the cache's region as Azure requires, so the cache's write access reaches no
other data.

The config account keeps versions and soft-deleted blobs, and a lifecycle rule deletes config backups
and their versions after ``backup.configRetentionDays`` (SPEC.md: daily, kept 90 days in prod).

With disaster recovery on (prod) the accounts are RA-GZRS, and the config container is also
object-replicated to an account in ``azure.drLocation`` (config checks it is the location's paired
region, where GRS copies): the DR copy is an account we own, keyed with the DR key, readable any time.
Object replication needs versioning on both accounts and the change feed on the source; it carries
deletes over as versions, so the DR account runs the same lifecycle rule. While a replication policy
exists Azure refuses a customer-initiated failover of the source account; the DR copy is the replica.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import storage

from ..config import PlatformConfig
from .common import compact, grant
from .keys import Keys
from .network import Network

ACCOUNTS = ("config", "queue", "flowlogs")
PERSISTENCE_ACCOUNT = "redis"  # only while the cache keeps snapshots
DR_ACCOUNTS = ("config-dr", "flowlogs-dr")
# Network Watcher's flow logs authenticate with the account key.
SHARED_KEY_ACCOUNTS = frozenset({"flowlogs", "flowlogs-dr"})
# Written by Azure services through the trusted-services exception, which needs public network access enabled.
TRUSTED_WRITER_ACCOUNTS = frozenset({"flowlogs", "flowlogs-dr", PERSISTENCE_ACCOUNT})
QUEUE_ROLES = {"processor": "Storage Queue Data Message Processor", "reader": "Storage Queue Data Reader"}
CONFIG_CONTAINER = "config"
WORKER_QUEUE = "work"
GEO_SKU = "Standard_RAGZRS"  # zone-redundant, copied to the paired region, readable there
ZONE_SKU = "Standard_ZRS"
DEFAULT_HISTORY_DAYS = 7  # versions and soft-deleted blobs without a config retention: Azure's default window
MAX_SOFT_DELETE_DAYS = 365  # Azure's longest blob/container soft-delete retention


class Storage(pulumi.ComponentResource):
    accounts: dict[str, storage.StorageAccount]
    names: dict[str, str]
    queue: storage.Queue
    queue_name: str

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        keys: Keys,
        dr_resource_group: pulumi.Input[str] | None = None,
        dr_keys: Keys | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``dr_resource_group`` with ``dr_keys`` adds the config replica and the DR network's flow-log account
        in ``azure.drLocation``."""
        super().__init__("platform:azure:Storage", name, None, opts)
        self._name, self._cfg = name, cfg
        self._history_days = cfg.backup.config_retention_days or DEFAULT_HISTORY_DAYS
        sku = GEO_SKU if cfg.disaster_recovery.enabled else ZONE_SKU
        self.names, self.accounts = {}, {}
        persistence = (PERSISTENCE_ACCOUNT,) if cfg.cache.snapshot_retention_days else ()
        for purpose in (*ACCOUNTS, *persistence):
            self._account(purpose, resource_group, location, keys, sku)
        replicate = dr_resource_group is not None and dr_keys is not None
        config_container = self._config_container("config", resource_group, "config", change_feed=replicate)
        if dr_resource_group is not None and dr_keys is not None:
            for purpose in DR_ACCOUNTS:
                self._account(purpose, dr_resource_group, cfg.azure.dr_location, dr_keys, ZONE_SKU)
            dr_container = self._config_container("config-dr", dr_resource_group, "config-dr", change_feed=False)
            self._replicate(resource_group, dr_resource_group, [config_container, dr_container])
        self.queue_name = WORKER_QUEUE
        self.queue = storage.Queue(
            f"{name}-work-queue",
            resource_group_name=resource_group,
            account_name=self.names["queue"],
            queue_name=self.queue_name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.accounts["queue"]]),
        )
        self.register_outputs({})

    def serve_queue(
        self, network_: Network, principal_id: pulumi.Input[str], subscription_id: pulumi.Input[str]
    ) -> None:
        """Let the workers use the queue: a private endpoint in ``network_`` (public access is off) resolved
        through ``privatelink.queue.core.windows.net``, and, on this queue only, Message Processor (peek,
        receive, delete) and Reader (the queue's metadata: its approximate length, which the workers publish for
        autoscale)."""
        for label, role in QUEUE_ROLES.items():
            grant(f"{self._name}-queue-{label}", self.queue.id, principal_id, role, subscription_id, self)
        network_.private_endpoint(
            self, f"{self._name}-queue", self.accounts["queue"].id, "queue", "queue", self._cfg.tags_for("storage")
        )

    @property
    def dr_config_name(self) -> str | None:
        """The config replica's account in ``azure.drLocation``, when disaster recovery is on."""
        return self.names.get("config-dr")

    @property
    def persistence_account(self) -> storage.StorageAccount | None:
        """Where the cache writes its RDB snapshots, when it keeps any."""
        return self.accounts.get(PERSISTENCE_ACCOUNT)

    def _account(self, purpose: str, resource_group: pulumi.Input[str], location: str, keys: Keys, sku: str) -> None:
        """A CMK-encrypted StorageV2 account behind a default-deny firewall, protected like the environment's data."""
        cfg = self._cfg
        shared_key = purpose in SHARED_KEY_ACCOUNTS
        self.names[purpose] = account_name = compact(cfg, purpose.replace("-", ""))
        self.accounts[purpose] = storage.StorageAccount(
            f"{self._name}-{purpose}",
            resource_group_name=resource_group,
            account_name=account_name,
            location=location,
            kind="StorageV2",
            sku={"name": sku},
            minimum_tls_version="TLS1_2",
            enable_https_traffic_only=True,
            allow_blob_public_access=False,
            allow_cross_tenant_replication=False,
            allow_shared_key_access=shared_key,
            default_to_o_auth_authentication=not shared_key,
            public_network_access="Enabled" if purpose in TRUSTED_WRITER_ACCOUNTS else "Disabled",
            network_rule_set={"default_action": storage.DefaultAction.DENY, "bypass": "AzureServices"},
            identity={"type": "UserAssigned", "user_assigned_identities": [keys.identity.id]},
            encryption={
                "key_source": "Microsoft.Keyvault",
                "key_vault_properties": {"key_name": keys.key.name, "key_vault_uri": keys.vault.properties.vault_uri},
                "encryption_identity": {"encryption_user_assigned_identity": keys.identity.id},
                "require_infrastructure_encryption": True,
                "services": {
                    "blob": {"enabled": True, "key_type": "Account"},
                    "file": {"enabled": True, "key_type": "Account"},
                    "queue": {"enabled": True, "key_type": "Account"},
                    "table": {"enabled": True, "key_type": "Account"},
                },
            },
            tags={**cfg.tags_for("storage"), "purpose": purpose},
            # Azure checks the identity's access to the key when the account is created.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[keys.key, keys.crypto_grant], protect=cfg.database.deletion_protection
            ),
        )

    def _config_container(
        self, label: str, resource_group: pulumi.Input[str], account: str, change_feed: bool
    ) -> storage.BlobContainer:
        """The versioned, soft-deleting config container and its lifecycle rule; the change feed feeds replication."""
        account_name = self.names[account]
        days = self._history_days
        soft_delete: storage.DeleteRetentionPolicyArgsDict = {"enabled": True, "days": min(days, MAX_SOFT_DELETE_DAYS)}
        feed: storage.ChangeFeedArgsDict = (
            {"enabled": True, "retention_in_days": days} if change_feed else {"enabled": False}
        )
        blobs = storage.BlobServiceProperties(
            f"{self._name}-{label}-blobs",
            resource_group_name=resource_group,
            account_name=account_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            change_feed=feed,
            delete_retention_policy=soft_delete,
            container_delete_retention_policy=soft_delete,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.accounts[account]]),
        )
        actions: storage.ManagementPolicyActionArgsDict = {
            "version": {"delete": {"days_after_creation_greater_than": days}}
        }
        if self._cfg.backup.config_retention_days:
            actions["base_blob"] = {"delete": {"days_after_modification_greater_than": days}}
        storage.ManagementPolicy(
            f"{self._name}-{label}-retention",
            resource_group_name=resource_group,
            account_name=account_name,
            management_policy_name="default",
            policy={
                "rules": [
                    {
                        "name": "config-backups",
                        "enabled": True,
                        "type": "Lifecycle",
                        "definition": {
                            "filters": {"blob_types": ["blockBlob"], "prefix_match": [f"{CONFIG_CONTAINER}/"]},
                            "actions": actions,
                        },
                    }
                ]
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[blobs]),
        )
        return storage.BlobContainer(
            f"{self._name}-{label}-container",
            resource_group_name=resource_group,
            account_name=account_name,
            container_name=CONFIG_CONTAINER,
            public_access=storage.PublicAccess.NONE,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[blobs]),
        )

    def _replicate(
        self,
        resource_group: pulumi.Input[str],
        dr_resource_group: pulumi.Input[str],
        containers: list[storage.BlobContainer],
    ) -> None:
        """Object replication of the config container: the replica's policy first, then the source's with its ids."""
        rule: storage.ObjectReplicationPolicyRuleArgsDict = {
            "source_container": CONFIG_CONTAINER,
            "destination_container": CONFIG_CONTAINER,
        }
        # Full resource ids, as Azure requires while cross-tenant replication is off.
        source, destination = self.accounts["config"].id, self.accounts["config-dr"].id
        on_destination = storage.ObjectReplicationPolicy(
            f"{self._name}-config-replication-destination",
            resource_group_name=dr_resource_group,
            account_name=self.names["config-dr"],
            object_replication_policy_id="default",
            rules=[rule],
            source_account=source,
            destination_account=destination,
            opts=pulumi.ResourceOptions(parent=self, depends_on=containers),
        )
        storage.ObjectReplicationPolicy(
            f"{self._name}-config-replication",
            resource_group_name=resource_group,
            account_name=self.names["config"],
            object_replication_policy_id=on_destination.policy_id,
            rules=on_destination.rules.apply(
                lambda rules: [{**rule, "rule_id": r.rule_id} for r in rules or []]  # type: ignore[typeddict-item]
            ),
            source_account=source,
            destination_account=destination,
            opts=pulumi.ResourceOptions(parent=self, depends_on=containers),
        )
