"""What every GCP component shares: valid labels and the project's Google-managed service agents."""

from __future__ import annotations

import re

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig

# Service agents by Google's documented naming scheme (service-<project number>@<domain>).
SERVICE_AGENT_DOMAINS = {
    "cloud-sql": "gcp-sa-cloud-sql.iam.gserviceaccount.com",
    "memorystore": "cloud-redis.iam.gserviceaccount.com",
    "storage": "gs-project-accounts.iam.gserviceaccount.com",
    "compute": "compute-system.iam.gserviceaccount.com",
    "secret-manager": "gcp-sa-secretmanager.iam.gserviceaccount.com",
    "pubsub": "gcp-sa-pubsub.iam.gserviceaccount.com",
    "parameter-manager": "gcp-sa-pm.iam.gserviceaccount.com",
    "backup-dr": "gcp-sa-backupdr.iam.gserviceaccount.com",
    "monitoring-notification": "gcp-sa-monitoring-notification.iam.gserviceaccount.com",
}
SECONDS_PER_DAY = 86400
_INVALID_LABEL_CHARS = re.compile(r"[^a-z0-9_-]")
LABEL_MAX = 63


def _label(text: str) -> str:
    return _INVALID_LABEL_CHARS.sub("-", text.lower())[:LABEL_MAX]


def gcp_labels(cfg: PlatformConfig, service: str, **extra: str) -> dict[str, str]:
    """``cfg.tags_for`` as GCP labels: lowercase letters, digits, ``-`` and ``_``, at most 63 characters."""
    return {_label(key): _label(value) for key, value in {**cfg.tags_for(service), **extra}.items()}


class ServiceAgents:
    """IAM members of the project's service agents, which need the CMEK keys and a few topics."""

    def __init__(self, cfg: PlatformConfig, provider: gcp.Provider):
        project = gcp.organizations.get_project_output(
            project_id=cfg.gcp.project, opts=pulumi.InvokeOutputOptions(provider=provider)
        )
        self.project_number: pulumi.Output[str] = project.number

    def member(self, service: str) -> pulumi.Output[str]:
        domain = SERVICE_AGENT_DOMAINS[service]
        return self.project_number.apply(lambda number: f"serviceAccount:service-{number}@{domain}")
