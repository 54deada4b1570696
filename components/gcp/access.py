"""The admin, developer and viewer roles as project custom roles, granted to the groups in config.

SPEC.md: admin deploys, rolls back, monitors and manages users and roles; developer deploys,
monitors and views logs and metrics; viewer monitors and views logs and metrics. Deploying and
rolling back are the same API calls on GCP (new instance templates, URL map weights), so the
roles are built from capabilities; groups come from ``gcp.groupEmails``.

Deploying creates VMs that run as the app tiers' service account, which needs
``iam.serviceAccounts.actAs``. Granted project-wide it would let a developer run a VM as any
account in the project (privilege escalation), so deployers get it on the app account only.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig

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
    "view-logs": ("logging.logEntries.list", "logging.logs.list", "logging.buckets.get", "logging.views.access"),
    "manage-access": (
        "resourcemanager.projects.get",
        "resourcemanager.projects.getIamPolicy",
        "resourcemanager.projects.setIamPolicy",
        "iam.roles.get",
        "iam.roles.list",
    ),
}
ACT_AS_APP = "roles/iam.serviceAccountUser"  # actAs on the one account granted, nothing project-wide
ROLES: dict[str, tuple[str, ...]] = {
    "admin": ("deploy", "monitor", "view-logs", "manage-access"),
    "developer": ("deploy", "monitor", "view-logs"),
    "viewer": ("monitor", "view-logs"),
}


class AccessRoles(pulumi.ComponentResource):
    roles: dict[str, gcp.projects.IAMCustomRole]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        app_account: gcp.serviceaccount.Account,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``app_account`` is what the app tiers' VMs run as: deployers may act as it and no other account."""
        super().__init__("platform:gcp:AccessRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.roles = {}
        for role, capabilities in ROLES.items():
            self.roles[role] = gcp.projects.IAMCustomRole(
                role,
                project=cfg.gcp.project,
                role_id=cfg.name(role).replace("-", "_"),  # custom role ids allow no hyphens
                title=f"{cfg.name()} {role}",
                description=f"{role}: {', '.join(capabilities)}",
                permissions=sorted({p for capability in capabilities for p in CAPABILITIES[capability]}),
                stage="GA",
                opts=child,
            )
        for role, emails in cfg.gcp.group_emails.items():
            for i, email in enumerate(emails):
                gcp.projects.IAMMember(
                    f"{role}-{i}",
                    project=cfg.gcp.project,
                    role=self.roles[role].name,
                    member=f"group:{email}",
                    opts=child,
                )
                if "deploy" in ROLES[role]:
                    gcp.serviceaccount.IAMMember(
                        f"{role}-{i}-act-as-app",
                        service_account_id=app_account.name,
                        role=ACT_AS_APP,
                        member=f"group:{email}",
                        opts=child,
                    )
        self.register_outputs({role: r.name for role, r in self.roles.items()})
