"""Key Vault with the customer-managed key, the identity that uses it and the disk encryption set.

Services wrap their AES-256 data keys with an RSA key from this vault (Key Vault offers AES keys
only in Managed HSM): RSA-HSM in a premium vault, software RSA in a standard one. The key rotates
every ``security.keyRotationDays`` (Key Vault allows 7 days and up, so SPEC.md's 30 stands) and each
version expires after ``azure.keyExpiryDays``. The vault authorizes with RBAC, keeps deleted keys
recoverable (soft delete, purge protection) and refuses public traffic; the services that use the
key for encryption at rest (PostgreSQL, Storage, managed disks) reach it as trusted Azure services.

Services that cannot pass a closed vault get keys from a vault of their own, built with
``reachable=True`` (``service-keys``): App Configuration is not a Key Vault trusted service (a closed vault
refuses it), and Azure Backup's vault encrypts with a user-assigned identity at creation, which Azure does
not support against a network-restricted vault. That vault holds one key and nothing else (no secrets), keeps
RBAC, soft delete and purge protection, and takes the public endpoint with Entra ID authorization only: just
these services' identity may use the key, to wrap and unwrap. It carries the ``network-exception`` tag the
policy pack accepts for exactly this. It has no disk encryption set.

The app tier reads its secrets through ``serve_secrets``: a private endpoint in the endpoints subnet,
resolved through the VNet's ``privatelink.vaultcore.azure.net`` zone, and Key Vault Secrets User for
the identity the scale sets carry, scoped to this vault. Only the primary vault gets them: the DR
region runs no compute.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import authorization, compute, keyvault, managedidentity

from ..config import KEY_VAULT_MIN_ROTATION_DAYS, KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS, PlatformConfig
from .common import client_config, grant, purge_protected_name
from .network import Network

SOFT_DELETE_DAYS = 90  # the longest Key Vault keeps deleted vaults and keys
KEY_SIZE = 3072  # RSA sizes PostgreSQL, Storage and disk encryption sets all accept: 2048, 3072, 4096
KEY_TYPES = {"premium": "RSA-HSM", "standard": "RSA"}  # standard vaults cannot hold HSM-protected keys
# Unwrapping data keys is all the services do with it; wrapKey for new data keys.
KEY_OPERATIONS = ["wrapKey", "unwrapKey"]
VAULT_GROUP_ID = "vault"  # the private-link sub-resource of a Key Vault
# Why a reachable vault may take public traffic (the policy pack's no-public-data-stores accepts this tag).
NETWORK_EXCEPTION = "cmk-for-services-outside-trusted-services"


class Keys(pulumi.ComponentResource):
    vault: keyvault.Vault
    vault_name: str
    key: keyvault.Key
    identity: managedidentity.UserAssignedIdentity
    crypto_grant: authorization.RoleAssignment
    disk_encryption_set: compute.DiskEncryptionSet | None
    secrets_grant: authorization.RoleAssignment  # set by serve_secrets

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        reachable: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``reachable``: a keys-only vault services outside the trusted-services list can reach (no disk set)."""
        super().__init__("platform:azure:Keys", name, None, opts)
        self._name, self._group, self._location = name, resource_group, location
        self._tags = tags = {**cfg.tags_for("keys"), **({"network-exception": NETWORK_EXCEPTION} if reachable else {})}
        self._client = client = client_config(self)
        protected = pulumi.ResourceOptions(parent=self, protect=cfg.database.deletion_protection)
        sku = cfg.azure.key_vault_sku
        self.vault_name = purge_protected_name(cfg, name, limit=24)
        self.vault = keyvault.Vault(
            f"{name}-vault",
            resource_group_name=resource_group,
            vault_name=self.vault_name,
            location=location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=client.tenant_id,
                sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName(sku)),
                enable_rbac_authorization=True,
                enable_purge_protection=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=SOFT_DELETE_DAYS,
                # Only private endpoints and trusted Azure services; the ACL says the same should
                # public access ever be turned back on. A reachable vault: Entra ID authorization only.
                public_network_access="Enabled" if reachable else "Disabled",
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action="Allow" if reachable else "Deny", bypass="AzureServices"
                ),
            ),
            tags=tags,
            opts=protected,
        )
        rotation = max(cfg.security.key_rotation_days, KEY_VAULT_MIN_ROTATION_DAYS)
        self.key = keyvault.Key(
            f"{name}-data",
            resource_group_name=resource_group,
            vault_name=self.vault.name,
            key_name="data",
            properties=keyvault.KeyPropertiesArgs(
                kty=KEY_TYPES[sku],
                key_size=KEY_SIZE,
                key_ops=KEY_OPERATIONS,
                rotation_policy=keyvault.RotationPolicyArgs(
                    attributes=keyvault.KeyRotationPolicyAttributesArgs(expiry_time=f"P{cfg.azure.key_expiry_days}D"),
                    lifetime_actions=[
                        keyvault.LifetimeActionArgs(
                            trigger=keyvault.TriggerArgs(time_after_create=f"P{rotation}D"),
                            action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.ROTATE),
                        ),
                        # Should rotation ever fail, Event Grid hears of the coming expiry in time to act.
                        keyvault.LifetimeActionArgs(
                            trigger=keyvault.TriggerArgs(time_before_expiry=f"P{KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS}D"),
                            action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.NOTIFY),
                        ),
                    ],
                ),
            ),
            tags=tags,
            opts=protected,
        )
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=resource_group,
            resource_name_=cfg.name(name),
            location=location,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.crypto_grant = grant(
            f"{name}-identity-crypto",
            self.vault.id,
            self.identity.principal_id,
            "Key Vault Crypto Service Encryption User",
            client.subscription_id,
            self,
        )
        self.disk_encryption_set = (
            None
            if reachable
            else compute.DiskEncryptionSet(
                f"{name}-disks",
                resource_group_name=resource_group,
                disk_encryption_set_name=cfg.name(name, "disks"),
                location=location,
                active_key=compute.KeyForDiskEncryptionSetArgs(
                    key_url=self.key.key_uri_with_version, source_vault=compute.SourceVaultArgs(id=self.vault.id)
                ),
                encryption_type="EncryptionAtRestWithCustomerKey",
                identity=compute.EncryptionSetIdentityArgs(
                    type="UserAssigned", user_assigned_identities=[self.identity.id]
                ),
                rotation_to_latest_key_version_enabled=True,
                tags=tags,
                # Azure checks the identity's access to the key when the set is created.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.crypto_grant]),
            )
        )
        self.register_outputs({"vault_id": self.vault.id, "key_id": self.key.id})

    def serve_secrets(self, network_: Network) -> None:
        """Let the app tier read this vault's secrets: a private endpoint in ``network_`` and Secrets User for
        ``identity`` (read secret values, nothing else) on this vault only."""
        name = self._name
        self.secrets_grant = grant(
            f"{name}-identity-secrets",
            self.vault.id,
            self.identity.principal_id,
            "Key Vault Secrets User",
            self._client.subscription_id,
            self,
        )
        network_.private_endpoint(self, name, self.vault.id, VAULT_GROUP_ID, "vault", self._tags)
