"""What every GCP component shares: valid labels, and a project made ready for them (APIs on, service agents made).

A fresh project has few APIs enabled and none of the service agents that encrypt with our keys or
publish to our topics: Google creates most of them just in time, at a service's first use, and a
grant to an agent that does not exist yet is refused. ``ProjectServices`` enables every API the
program calls, creates the just-in-time agents up front (``ServiceIdentity``; the storage agent
by looking it up) and grants each the role Google grants it at first use, which Google does not
do for agents created on request. The environment's provider depends on all of it, so no other
resource is created before the project is ready. Which agents are just in time follows
cloud-foundation-fabric's ``modules/project/service-agents.yaml`` (``is_primary``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig

SECONDS_PER_DAY = 86400
_INVALID_LABEL_CHARS = re.compile(r"[^a-z0-9_-]")
LABEL_MAX = 63

# Every API the program calls. Service Usage and Cloud Resource Manager must already be on to enable these
# (they are on in a new project); disabling on destroy is off because the stacks of one project share them.
APIS = (
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "compute.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "redis.googleapis.com",
    "cloudkms.googleapis.com",
    "secretmanager.googleapis.com",
    "parametermanager.googleapis.com",
    "pubsub.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "storage.googleapis.com",
    "storagetransfer.googleapis.com",
    "dns.googleapis.com",
    "workflows.googleapis.com",  # credential rotation (rotation.py)
    "workflowexecutions.googleapis.com",
    "eventarc.googleapis.com",
    "eventarcpublishing.googleapis.com",
)


@dataclass(frozen=True)
class Agent:
    """A Google-managed service agent: ``service-<project number>@<domain>.iam.gserviceaccount.com``."""

    api: str
    domain: str
    just_in_time: bool  # created at the service's first use unless created up front
    role: str | None = None  # what Google grants it at first use (granted here when created up front)


AGENTS = {
    "cloud-sql": Agent("sqladmin.googleapis.com", "gcp-sa-cloud-sql", True, "roles/cloudsql.serviceAgent"),
    "memorystore": Agent("redis.googleapis.com", "cloud-redis", True, "roles/redis.serviceAgent"),
    "secret-manager": Agent("secretmanager.googleapis.com", "gcp-sa-secretmanager", True),
    "pubsub": Agent("pubsub.googleapis.com", "gcp-sa-pubsub", True, "roles/pubsub.serviceAgent"),
    "parameter-manager": Agent("parametermanager.googleapis.com", "gcp-sa-pm", True),
    "monitoring-notification": Agent(
        "monitoring.googleapis.com", "gcp-sa-monitoring-notification", True, "roles/monitoring.notificationServiceAgent"
    ),
    "workflows": Agent("workflows.googleapis.com", "gcp-sa-workflows", True, "roles/workflows.serviceAgent"),
    "eventarc": Agent("eventarc.googleapis.com", "gcp-sa-eventarc", True, "roles/eventarc.serviceAgent"),
    "compute": Agent("compute.googleapis.com", "compute-system", False),  # made when the Compute API is enabled
}
STORAGE_AGENT = "storage"  # made by the first lookup of the project's storage service account


def _label(text: str) -> str:
    return _INVALID_LABEL_CHARS.sub("-", text.lower())[:LABEL_MAX]


def gcp_labels(cfg: PlatformConfig, service: str, **extra: str) -> dict[str, str]:
    """``cfg.tags_for`` as GCP labels: lowercase letters, digits, ``-`` and ``_``, at most 63 characters."""
    return {_label(key): _label(value) for key, value in {**cfg.tags_for(service), **extra}.items()}


def _member(project_number: pulumi.Output[str], domain: str) -> pulumi.Output[str]:
    return project_number.apply(lambda number: f"serviceAccount:service-{number}@{domain}.iam.gserviceaccount.com")


class ProjectServices(pulumi.ComponentResource):
    """The project's APIs and service agents; ``ready`` is what every other GCP resource waits for."""

    apis: dict[str, gcp.projects.Service]
    identities: dict[str, gcp.projects.ServiceIdentity]
    ready: list[pulumi.Resource]

    def __init__(self, name: str, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:gcp:ProjectServices", name, None, opts)
        project = cfg.gcp.project
        provider = gcp.Provider(
            "project", project=project, region=cfg.gcp.region, opts=pulumi.ResourceOptions(parent=self)
        )
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.apis = {
            api: gcp.projects.Service(
                api.split(".")[0], project=project, service=api, disable_on_destroy=False, opts=child
            )
            for api in APIS
        }
        enabled = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=list(self.apis.values()))
        self.identities = {
            agent: gcp.projects.ServiceIdentity(agent, project=project, service=spec.api, opts=enabled)
            for agent, spec in AGENTS.items()
            if spec.just_in_time
        }
        grants = [
            gcp.projects.IAMMember(
                f"{agent}-agent",
                project=project,
                role=spec.role,
                member=self.identities[agent].member,
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            )
            for agent, spec in AGENTS.items()
            if spec.just_in_time and spec.role
        ]
        number = gcp.organizations.get_project_output(
            project_id=project, opts=pulumi.InvokeOutputOptions(parent=self, provider=provider)
        ).number
        self._members = {
            agent: self.identities[agent].member if agent in self.identities else _member(number, spec.domain)
            for agent, spec in AGENTS.items()
        }
        storage = gcp.storage.get_project_service_account_output(
            project=project,
            opts=pulumi.InvokeOutputOptions(
                parent=self, provider=provider, depends_on=[self.apis["storage.googleapis.com"]]
            ),
        )
        self._members[STORAGE_AGENT] = storage.member
        self.ready = [*self.apis.values(), *self.identities.values(), *grants]
        self.register_outputs({})

    def member(self, agent: str) -> pulumi.Output[str]:
        """``serviceAccount:<agent>``, an output that exists only once the agent does."""
        return self._members[agent]
