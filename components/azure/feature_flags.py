"""Feature flags in Azure App Configuration: one feature-flag key-value per flag, labelled with the environment.

Each flag of ``featureFlags.flags`` becomes Microsoft's feature-flag document with a
``Microsoft.Targeting`` filter: ``enabled`` is the master switch, ``allowlist`` the tenants
(users) always targeted and ``rolloutPercentage`` the default rollout for everyone else, so raising
the percentage rolls a flag out gradually, as on AWS and GCP. An empty allowlist stays an empty
``Users`` list, which the targeting schema accepts. App Configuration has no deployment strategy, so
``rolloutMinutes``/``rolloutGrowthPercent`` (AWS AppConfig's pacing) have no counterpart here.

The store is Standard (CMK, private endpoints, purge protection) and accepts Entra ID only. Its key is the
``service-keys`` vault's (keys.py): App Configuration is not a Key Vault trusted service, so it cannot reach
a key in the closed vault. It is reachable only through a private endpoint in the endpoints subnet; the
scale sets read the flags with the identity they carry (App Configuration Data Reader).

Writing the flags: Pulumi writes the key-values through ARM in Pass-through mode, so the deployer needs App
Configuration Data Owner on the store (granted here; ``azure.deployerPrincipalType`` says whether it is a
service principal or a user). With public access off, ARM passes data-plane writes on only for callers
that come through an Azure Resource Manager private link (``privateLinkDelegation: Enabled``): the deploy
runner must reach ARM through the private link ``azure.armPrivateLink`` names (a tenant-level setup, see
README). The program looks that private link up, so a missing one stops the preview before anything is
created instead of every key-value failing with 403. ``azure.writeFeatureFlags: false`` leaves the flags to be
written from inside the network (``az appconfig feature set``) and creates only the store.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi_azure_native import appconfiguration, authorization, managedidentity

from ..config import FeatureFlag, PlatformConfig
from .common import client_config, grant, purge_protected_name
from .keys import Keys
from .network import Network

FLAG_PREFIX = ".appconfig.featureflag/"
FLAG_CONTENT_TYPE = "application/vnd.microsoft.appconfig.ff+json;charset=utf-8"
TARGETING_FILTER = "Microsoft.Targeting"
SOFT_DELETE_DAYS = 7  # the longest App Configuration keeps a deleted store (1-7 days)


def flag_key(name: str) -> str:
    """The key App Configuration and its feature-management clients look flags up by."""
    return FLAG_PREFIX + name


def flag_value(name: str, flag: FeatureFlag, description: str) -> dict[str, Any]:
    """Microsoft's feature-flag schema: ``enabled`` gates, the targeting filter rolls out.

    The schema allows only ``[A-Za-z0-9_.-]`` in descriptions, so ``description`` is a bare name.
    """
    audience = {"Users": flag.allowlist, "Groups": [], "DefaultRolloutPercentage": flag.rollout_percentage}
    return {
        "id": name,
        "description": description,
        "enabled": flag.enabled,
        "conditions": {"client_filters": [{"name": TARGETING_FILTER, "parameters": {"Audience": audience}}]},
    }


class FeatureFlags(pulumi.ComponentResource):
    store: appconfiguration.ConfigurationStore
    store_name: str
    flags: dict[str, appconfiguration.KeyValue]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        network_: Network,
        keys: Keys,
        reader: managedidentity.UserAssignedIdentity,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``keys``: the reachable service keys (the store's CMK); ``reader``: the identity the instances carry."""
        super().__init__("platform:azure:FeatureFlags", name, None, opts)
        tags = cfg.tags_for("feature-flags")
        client = client_config(self)
        self.store_name = purge_protected_name(cfg, "flags", limit=50)
        self.store = appconfiguration.ConfigurationStore(
            f"{name}-store",
            resource_group_name=resource_group,
            config_store_name=self.store_name,
            location=location,
            sku={"name": "Standard"},
            identity={"type": "UserAssigned", "user_assigned_identities": [keys.identity.id]},
            encryption={
                "key_vault_properties": {
                    "key_identifier": keys.key.key_uri,  # versionless: follows the key's rotation
                    "identity_client_id": keys.identity.client_id,
                }
            },
            disable_local_auth=True,
            public_network_access="Disabled",
            data_plane_proxy={"authentication_mode": "Pass-through", "private_link_delegation": "Enabled"},
            enable_purge_protection=True,
            soft_delete_retention_in_days=SOFT_DELETE_DAYS,
            tags=tags,
            # The keys identity must be allowed to wrap with the key before the store can use it.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[keys.key, keys.crypto_grant], protect=cfg.database.deletion_protection
            ),
        )
        network_.private_endpoint(self, name, self.store.id, "configurationStores", "flags", tags)
        grant(
            f"{name}-compute-reader",
            self.store.id,
            reader.principal_id,
            "App Configuration Data Reader",
            client.subscription_id,
            self,
        )
        # Pass-through: ARM writes the key-values below with the deployer's own data-plane rights.
        writer = grant(
            f"{name}-deployer-owner",
            self.store.id,
            client.object_id,
            "App Configuration Data Owner",
            client.subscription_id,
            self,
            cfg.azure.deployer_principal_type,
        )
        self.flags = {}
        if not cfg.azure.write_feature_flags:
            self.register_outputs({"store_id": self.store.id})
            return
        link = cfg.azure.arm_private_link
        # The prerequisite, checked: the deployer's way to the store's data plane through ARM.
        private_link = authorization.get_resource_management_private_link_output(
            resource_group_name=link["resourceGroup"],
            rmpl_name=link["name"],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.flags = {
            flag: appconfiguration.KeyValue(
                f"{name}-{flag}",
                resource_group_name=resource_group,
                config_store_name=self.store_name,
                # ARM names a key-value "<key>$<label>", with the key's "/" escaped as "~2F".
                key_value_name=f"{flag_key(flag).replace('/', '~2F')}${cfg.environment}",
                content_type=FLAG_CONTENT_TYPE,
                value=json.dumps(flag_value(flag, settings, cfg.name())),
                tags={**tags, "written-through": private_link.name},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.store, writer]),
            )
            for flag, settings in cfg.feature_flags.flags.items()
        }
        self.register_outputs({"store_id": self.store.id})
