"""The admin, developer and viewer roles as project custom roles, granted to the groups in config.

SPEC.md: admin deploys, rolls back, monitors and manages users and roles; developer deploys,
monitors and views logs and metrics; viewer monitors and views logs and metrics. Deploying and
rolling back are the same API calls on GCP (new instance templates, URL map weights), so the
roles are built from capabilities; groups come from ``gcp.groupEmails``.

Least privilege, per what each service lets IAM scope:

- Compute Engine matches IAM Conditions on resource names, so a developer's deploy permissions on
  templates, groups, instances, URL maps and backend services hold only on this stack's
  (``platform-<env>-*``): a second custom role, ``<role>-resources``, granted with that condition.
  What Compute checks on the project itself (listing) cannot be scoped and stays project-wide.
- Logs are read through log views: viewers and developers get the Logs View Accessor role on the
  ``_AllLogs`` view of this stack's app and database log buckets, each granted on the view, and no
  project-wide ``logging.logEntries.list``, which would open the project's ``_Required`` and ``_Default``
  buckets and with them the Admin Activity audit logs. Only admins read audit logs (project-wide,
  Data Access logs included): they manage access, which those logs record.
- Cloud Monitoring (alert policies, dashboards, time series) and Parameter Manager have no resource
  attributes for IAM Conditions and no per-resource grants in the provider: those reads are
  project-wide, and so is writing a flags version.

Deploying creates VMs that run as the app tiers' service account, which needs
``iam.serviceAccounts.actAs``. Granted project-wide it would let a developer run a VM as any
account in the project (privilege escalation), so deployers get it on the app account only.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .logs import AppLogs

CAPABILITIES: dict[str, tuple[str, ...]] = {
    "deploy": (
        "compute.instanceTemplates.create",
        "compute.instanceTemplates.get",
        "compute.instanceTemplates.list",
        "compute.instanceTemplates.useReadOnly",
        "compute.instanceGroupManagers.get",
        "compute.instanceGroupManagers.list",
        "compute.instanceGroupManagers.update",
        "compute.instances.create",
        "compute.instances.setMetadata",
        "compute.urlMaps.get",
        "compute.urlMaps.update",
        "compute.urlMaps.use",
        "compute.backendServices.get",
        "compute.backendServices.use",
        "parametermanager.parameters.get",
        "parametermanager.parameterVersions.create",
    ),
    "monitor": (
        "monitoring.alertPolicies.get",
        "monitoring.alertPolicies.list",
        "monitoring.dashboards.get",
        "monitoring.dashboards.list",
        "monitoring.timeSeries.list",
        "monitoring.notificationChannels.get",
        "monitoring.notificationChannels.list",
    ),
    # Finding the log buckets and views; reading a view's entries is granted on the view (LOG_READER).
    "view-logs": ("logging.buckets.get", "logging.buckets.list", "logging.views.get", "logging.views.list"),
    "read-audit-logs": ("logging.logEntries.list", "logging.privateLogEntries.list", "logging.views.access"),
    "manage-access": (
        "resourcemanager.projects.get",
        "resourcemanager.projects.getIamPolicy",
        "resourcemanager.projects.setIamPolicy",
        "iam.roles.get",
        "iam.roles.list",
    ),
}
ACT_AS_APP = "roles/iam.serviceAccountUser"  # actAs on the one account granted, nothing project-wide
LOG_READER = "roles/logging.viewAccessor"
ALL_LOGS_VIEW = "_AllLogs"  # the view Cloud Logging makes on every bucket
ROLES: dict[str, tuple[str, ...]] = {
    "admin": ("deploy", "monitor", "view-logs", "read-audit-logs", "manage-access"),
    "developer": ("deploy", "monitor", "view-logs"),
    "viewer": ("monitor", "view-logs"),
}
SCOPED_ROLES = ("developer", "viewer")  # held to this stack's resources where the service allows it
# Compute Engine collections whose resources IAM Conditions match by name, and where each lives.
SCOPED_COLLECTIONS = {
    "instanceTemplates": "global",
    "instanceGroupManagers": "regions/{region}",
    "urlMaps": "global",
    "backendServices": "global",
    "instances": "zones/",  # a regional group's VMs are in any of its region's zones
}


def scoped(permission: str) -> bool:
    """Whether Compute Engine checks ``permission`` on one named resource (not on the project, as listing)."""
    service, collection, verb = permission.split(".")
    return service == "compute" and collection in SCOPED_COLLECTIONS and verb != "list"


def stack_resources(cfg: PlatformConfig) -> str:
    """An IAM Condition matching this stack's Compute Engine resources by name (``platform-<env>-*``)."""
    clauses = []
    for collection, where in SCOPED_COLLECTIONS.items():
        location = f"projects/{cfg.gcp.project}/{where.format(region=cfg.gcp.region)}"
        if location.endswith("/"):  # any zone: the name after the collection
            clauses.append(
                f'(resource.name.startsWith("{location}") && '
                f'resource.name.extract("/{collection}/{{name}}").startsWith("{cfg.name()}-"))'
            )
        else:
            clauses.append(f'resource.name.startsWith("{location}/{collection}/{cfg.name()}-")')
    return " || ".join(clauses)


class AccessRoles(pulumi.ComponentResource):
    roles: dict[str, gcp.projects.IAMCustomRole]
    resource_roles: dict[str, gcp.projects.IAMCustomRole]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        app_account: gcp.serviceaccount.Account,
        logs: AppLogs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``app_account`` is what the app tiers' VMs run as: deployers may act as it and no other account.
        ``logs`` holds the buckets whose views non-admins may read (never the audit buckets)."""
        super().__init__("platform:gcp:AccessRoles", name, None, opts)
        self._cfg = cfg
        child = pulumi.ResourceOptions(parent=self)
        self.roles, self.resource_roles = {}, {}
        for role, capabilities in ROLES.items():
            permissions = {p for capability in capabilities for p in CAPABILITIES[capability]}
            held = {p for p in permissions if scoped(p)} if role in SCOPED_ROLES else set()
            self.roles[role] = self._custom_role(role, permissions - held, capabilities)
            if held:
                self.resource_roles[role] = self._custom_role(f"{role}-resources", held, ("deploy",))
        condition: gcp.projects.IAMMemberConditionArgsDict = {
            "title": f"{cfg.name()} resources",
            "description": f"Compute Engine resources named {cfg.name()}-*",
            "expression": stack_resources(cfg),
        }
        views = {purpose: log.bucket for purpose, log in logs.all.items() if not log.audit}
        for role, emails in cfg.gcp.group_emails.items():
            for i, email in enumerate(emails):
                member = f"group:{email}"
                gcp.projects.IAMMember(
                    f"{role}-{i}", project=cfg.gcp.project, role=self.roles[role].name, member=member, opts=child
                )
                if role in self.resource_roles:
                    gcp.projects.IAMMember(
                        f"{role}-{i}-resources",
                        project=cfg.gcp.project,
                        role=self.resource_roles[role].name,
                        member=member,
                        condition=condition,
                        opts=child,
                    )
                if "read-audit-logs" not in ROLES[role]:
                    for purpose, bucket in views.items():
                        gcp.logging.LogViewIamMember(
                            f"{role}-{i}-{purpose}-logs",
                            parent=f"projects/{cfg.gcp.project}",
                            location=bucket.location,
                            bucket=bucket.bucket_id,
                            name=ALL_LOGS_VIEW,
                            role=LOG_READER,
                            member=member,
                            opts=child,
                        )
                if "deploy" in ROLES[role]:
                    gcp.serviceaccount.IAMMember(
                        f"{role}-{i}-act-as-app",
                        service_account_id=app_account.name,
                        role=ACT_AS_APP,
                        member=member,
                        opts=child,
                    )
        self.register_outputs({role: r.name for role, r in self.roles.items()})

    def _custom_role(
        self, role: str, permissions: set[str], capabilities: tuple[str, ...]
    ) -> gcp.projects.IAMCustomRole:
        cfg = self._cfg
        return gcp.projects.IAMCustomRole(
            role,
            project=cfg.gcp.project,
            role_id=cfg.name(role).replace("-", "_"),  # custom role ids allow no hyphens
            title=f"{cfg.name()} {role}",
            description=f"{role}: {', '.join(capabilities)}",
            permissions=sorted(permissions),
            stage="GA",
            opts=pulumi.ResourceOptions(parent=self),
        )
