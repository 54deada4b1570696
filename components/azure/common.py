"""Small helpers shared by the Azure components: compact names and built-in role ids."""

from __future__ import annotations

import hashlib

import pulumi
from pulumi_azure_native import authorization, managedidentity

from ..config import PlatformConfig

# Built-in role definition GUIDs (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
ROLES = {
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Storage Queue Data Message Processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "App Configuration Data Reader": "516239f1-63e1-4d78-a4de-a74fb236a071",
    "App Configuration Data Owner": "5ae67dd6-50cb-40e7-96ff-dc2bfa4b606b",
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Monitoring Reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "PostgreSQL Flexible Server Long Term Retention Backup Role": "c088a766-074b-43ba-90d4-1fb21feae531",
}


def compact(cfg: PlatformConfig, *parts: str, limit: int = 24) -> str:
    """Globally unique names without dashes (storage accounts, vaults): ``platformprodcfg`` + a stable hash."""
    base = "".join(("plat", cfg.environment, *parts)).lower()
    suffix = hashlib.sha256(cfg.name(*parts).encode()).hexdigest()[:6]
    return (base[: limit - len(suffix)] + suffix).replace("-", "")


def purge_protected_name(cfg: PlatformConfig, *parts: str, limit: int = 24) -> str:
    """A compact name for a resource whose deleted name stays reserved (Key Vault 90 days, App Configuration 7):
    ``azure.nameGeneration`` above 1 joins the name, so a stack destroyed and deployed again within the
    retention takes fresh names instead of colliding with its own soft-deleted, purge-protected resources."""
    generation = cfg.azure.name_generation
    return compact(cfg, *parts, *([f"g{generation}"] if generation > 1 else []), limit=limit)


def role_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", ROLES[role]
    )


def client_config(parent: pulumi.Resource) -> pulumi.Output[authorization.GetClientConfigResult]:
    return authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=parent))


def grant(
    name: str,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    role: str,
    subscription_id: pulumi.Input[str],
    parent: pulumi.Resource,
    principal_type: str = "ServicePrincipal",
) -> authorization.RoleAssignment:
    """One role assignment, least privilege at the narrowest scope that works."""
    return authorization.RoleAssignment(
        name,
        scope=scope,
        principal_id=principal_id,
        principal_type=principal_type,
        role_definition_id=role_id(subscription_id, role),
        opts=pulumi.ResourceOptions(parent=parent),
    )


class Actor:
    """An identity of its own and a custom role holding exactly ``actions``, assignable only in the resource group:
    what an automation (a workflow, a deployment script) acts as. ``allow`` assigns the role on one resource."""

    def __init__(
        self,
        parent: pulumi.Resource,
        name: str,
        cfg: PlatformConfig,
        resource_group: pulumi.Input[str],
        location: str,
        purpose: str,
        description: str,
        actions: tuple[str, ...],
        tags: dict[str, str],
    ):
        self._parent, self._name = parent, name
        child = pulumi.ResourceOptions(parent=parent)
        group_id = pulumi.Output.concat(
            "/subscriptions/", client_config(parent).subscription_id, "/resourceGroups/", resource_group
        )
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=resource_group,
            resource_name_=cfg.name(purpose),
            location=location,
            tags=tags,
            opts=child,
        )
        self.role = authorization.RoleDefinition(
            f"{name}-role",
            scope=group_id,
            role_name=cfg.name(purpose),
            description=f"{cfg.name()}: {description}",
            permissions=[authorization.PermissionArgs(actions=list(actions))],
            assignable_scopes=[group_id],
            opts=child,
        )

    def allow(self, what: str, scope: pulumi.Input[str]) -> authorization.RoleAssignment:
        return authorization.RoleAssignment(
            f"{self._name}-{what}",
            scope=scope,
            principal_id=self.identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=self.role.id,
            opts=pulumi.ResourceOptions(parent=self._parent),
        )
