"""SPEC.md's admin, developer and viewer roles as custom roles on the environment's resource group.

Built-in roles do not fit: Contributor lets a developer change or delete any resource (data stores,
vault, network), Owner and RBAC Administrator let an admin grant anything. So each role is a custom
role definition assignable only at this resource group, built from capabilities as on GCP:

- monitor: read the platform's resources, metrics, alerts, autoscale and backup state and the flags.
- view-logs: query the Log Analytics workspaces, without their shared (ingestion) keys.
- deploy: roll the scale sets to a new model, scale them, move Front Door's origin weights and
  autoscale, and change feature flags. Rolling back is the same calls with the previous model or weights.
- manage-access: read, add and remove role assignments in this resource group. Its assignment
  carries an ABAC condition: only the three platform roles, only to users or groups, so an admin
  cannot hand out Owner or any other role, nor escalate to a service principal.

Deploying needs the join/assign actions ARM checks when a scale set is updated (subnet, load-balancer
pool, the keys identity). A developer can therefore run code as the instances'
identity, which deploying code implies anyway. Groups come from ``azure.groupObjectIds``; a role
without a group has no assignment, but its definition exists so the outputs name it. Custom role
names are unique per Entra tenant: one stack per environment per tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from ..config import PlatformConfig


@dataclass(frozen=True)
class Capability:
    actions: tuple[str, ...]
    data_actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()


CAPABILITIES: dict[str, Capability] = {
    "monitor": Capability(
        actions=(
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Insights/*/read",
            "Microsoft.AlertsManagement/*/read",
            "Microsoft.Compute/*/read",
            "Microsoft.Network/*/read",
            "Microsoft.DBforPostgreSQL/*/read",
            "Microsoft.Cache/*/read",
            "Microsoft.Storage/*/read",
            "Microsoft.DataProtection/*/read",
            "Microsoft.AppConfiguration/*/read",
        ),
        data_actions=("Microsoft.AppConfiguration/configurationStores/keyValues/read",),
    ),
    "view-logs": Capability(
        actions=(
            "Microsoft.OperationalInsights/workspaces/read",
            "Microsoft.OperationalInsights/workspaces/*/read",
            "Microsoft.OperationalInsights/workspaces/analytics/query/action",
            "Microsoft.OperationalInsights/workspaces/search/action",
        ),
        not_actions=("Microsoft.OperationalInsights/workspaces/sharedKeys/read",),
    ),
    "deploy": Capability(
        actions=(
            "Microsoft.Compute/virtualMachineScaleSets/write",
            "Microsoft.Compute/virtualMachineScaleSets/manualUpgrade/action",
            "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action",
            "Microsoft.Compute/virtualMachineScaleSets/scale/action",
            "Microsoft.Compute/virtualMachineScaleSets/restart/action",
            "Microsoft.Cdn/profiles/originGroups/origins/write",
            "Microsoft.Network/loadBalancers/backendAddressPools/join/action",
            "Microsoft.Network/virtualNetworks/subnets/join/action",
            "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
            "Microsoft.Insights/autoscalesettings/write",
        ),
        data_actions=("Microsoft.AppConfiguration/configurationStores/keyValues/write",),
    ),
    "manage-access": Capability(
        actions=(
            "Microsoft.Authorization/roleAssignments/read",
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "Microsoft.Authorization/roleDefinitions/read",
        ),
    ),
}
ROLES: dict[str, tuple[str, ...]] = {
    "admin": ("monitor", "view-logs", "deploy", "manage-access"),
    "developer": ("monitor", "view-logs", "deploy"),
    "viewer": ("monitor", "view-logs"),
}
ASSIGNABLE_PRINCIPAL_TYPES = ("User", "Group")
CONDITION_VERSION = "2.0"  # the only version Azure ABAC accepts


def permissions(role: str) -> authorization.PermissionArgs:
    """The role's capabilities merged into one permission block."""
    capabilities = [CAPABILITIES[c] for c in ROLES[role]]

    def merged(key: str) -> list[str]:
        return sorted({action for c in capabilities for action in getattr(c, key)})

    return authorization.PermissionArgs(
        actions=merged("actions"), data_actions=merged("data_actions"), not_actions=merged("not_actions")
    )


def delegation_condition(role_guids: list[str]) -> str:
    """ABAC: role assignments may be written or deleted only for these roles and for users or groups."""
    roles = ", ".join(role_guids)
    types = ", ".join(f"'{t}'" for t in ASSIGNABLE_PRINCIPAL_TYPES)

    def limit(action: str, source: str) -> str:
        attribute = f"@{source}[Microsoft.Authorization/roleAssignments"
        return (
            f"((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}})) OR "
            f"({attribute}:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{roles}}} AND "
            f"{attribute}:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {{{types}}}))"
        )

    return f"{limit('write', 'Request')} AND {limit('delete', 'Resource')}"


class AccessRoles(pulumi.ComponentResource):
    roles: dict[str, authorization.RoleDefinition]
    assignments: dict[str, authorization.RoleAssignment]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:azure:AccessRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.roles = {
            role: authorization.RoleDefinition(
                f"{name}-{role}",
                scope=resource_group_id,
                role_name=cfg.name(role),
                description=f"{cfg.name()} {role}: {', '.join(capabilities)}",
                permissions=[permissions(role)],
                assignable_scopes=[resource_group_id],
                opts=child,
            )
            for role, capabilities in ROLES.items()
        }
        condition = pulumi.Output.all(*(r.name for r in self.roles.values())).apply(delegation_condition)
        self.assignments = {
            role: authorization.RoleAssignment(
                f"{name}-{role}",
                scope=resource_group_id,
                principal_id=object_id,
                principal_type="Group",
                role_definition_id=self.roles[role].id,
                condition=condition if "manage-access" in ROLES[role] else None,
                condition_version=CONDITION_VERSION if "manage-access" in ROLES[role] else None,
                opts=child,
            )
            for role, object_id in cfg.azure.group_object_ids.items()
        }
        self.register_outputs({role: r.id for role, r in self.roles.items()})
