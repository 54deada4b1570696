"""SPEC.md's admin, developer and viewer roles as custom roles on the environment's resource group.

Built-in roles do not fit: Contributor lets a developer change or delete any resource (data stores,
vault, network), Owner and RBAC Administrator let an admin grant anything. So each role is a custom
role definition assignable only at this resource group, built from capabilities as on GCP:

- monitor: read the platform's resources, metrics, alerts, autoscale and backup state and the flags.
- view-logs: query a Log Analytics workspace, without its shared (ingestion) keys. It is a role of its
  own, assigned on each workspace a role may read: all three read the app workspace, only admins the audit
  workspace (activity log, Key Vault audit), which also refuses resource-context queries (monitoring.py)
  so that reading a resource in the group does not open its audit logs.
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

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, operationalinsights

from ..config import PlatformConfig
from .monitoring import Workspace


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
    "admin": ("monitor", "deploy", "manage-access"),
    "developer": ("monitor", "deploy"),
    "viewer": ("monitor",),
}
LOGS_ROLE = "logs"  # the view-logs capability, assigned per workspace
READS: dict[str, tuple[Workspace, ...]] = {"admin": ("app", "audit"), "developer": ("app",), "viewer": ("app",)}
ASSIGNABLE_PRINCIPAL_TYPES = ("User", "Group")
CONDITION_VERSION = "2.0"  # the only version Azure ABAC accepts


def permissions(capability_names: tuple[str, ...]) -> authorization.PermissionArgs:
    """Capabilities merged into one permission block."""
    capabilities = [CAPABILITIES[c] for c in capability_names]

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
    log_assignments: dict[str, authorization.RoleAssignment]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        resource_group_id: pulumi.Input[str],
        workspaces: Mapping[Workspace, operationalinsights.Workspace],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``workspaces``: the Log Analytics workspaces by kind (monitoring.py), each read as ``READS`` says."""
        super().__init__("platform:azure:AccessRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        def definition(role: str, capabilities: tuple[str, ...]) -> authorization.RoleDefinition:
            return authorization.RoleDefinition(
                f"{name}-{role}",
                scope=resource_group_id,
                role_name=cfg.name(role),
                description=f"{cfg.name()} {role}: {', '.join(capabilities)}",
                permissions=[permissions(capabilities)],
                assignable_scopes=[resource_group_id],
                opts=child,
            )

        self.roles = {role: definition(role, capabilities) for role, capabilities in ROLES.items()}
        logs = definition(LOGS_ROLE, ("view-logs",))
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
        self.log_assignments = {
            f"{role}-{kind}": authorization.RoleAssignment(
                f"{name}-{role}-{kind}-logs",
                scope=workspaces[kind].id,
                principal_id=object_id,
                principal_type="Group",
                role_definition_id=logs.id,
                opts=child,
            )
            for role, object_id in cfg.azure.group_object_ids.items()
            for kind in READS[role]
        }
        self.register_outputs({role: r.id for role, r in self.roles.items()})
