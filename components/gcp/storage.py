"""The configuration bucket, and its replica in the DR region (prod).

Buckets are private (uniform access, public access prevention enforced), versioned and
encrypted with their region's data key. Cross-region replication is Storage Transfer Service's
event-driven replication, which copies every new object to the DR bucket as it is written.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .keys import Keys
from .project import gcp_labels

# What Storage Transfer Service's agent needs on the buckets it copies from and to.
SOURCE_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyBucketReader")
SINK_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyBucketWriter")


def private_bucket(
    parent: pulumi.Resource,
    name: str,
    cfg: PlatformConfig,
    location: str,
    key: gcp.kms.CryptoKey,
    keys: Keys,
    retention_days: int | None = None,
) -> gcp.storage.Bucket:
    """A private, versioned, CMEK-encrypted bucket.

    With ``retention_days`` it is an archive: each overwritten version is kept that long, then deleted,
    so a daily copy into it keeps that many days of history.
    """
    extra: dict[str, Any] = {}
    if retention_days:
        extra["lifecycle_rules"] = [
            {"action": {"type": "Delete"}, "condition": {"days_since_noncurrent_time": retention_days}}
        ]
    return gcp.storage.Bucket(
        name,
        name=cfg.name(cfg.gcp.project, name),
        location=location.upper(),
        storage_class="STANDARD",
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning={"enabled": True},
        encryption={"default_kms_key_name": key.id},
        force_destroy=False,
        labels=gcp_labels(cfg, "storage"),
        **extra,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=keys.grants),
    )


def grant_transfer(
    parent: pulumi.Resource, name: str, agent: pulumi.Output[str], source: gcp.storage.Bucket, sink: gcp.storage.Bucket
) -> list[gcp.storage.BucketIAMMember]:
    """Storage Transfer Service may read ``source`` and write ``sink``; the transfer job depends on these."""
    child = pulumi.ResourceOptions(parent=parent)
    return [
        gcp.storage.BucketIAMMember(
            f"{name}-{side}-{role.split('.')[-1]}", bucket=bucket.name, role=role, member=agent, opts=child
        )
        for side, bucket, roles in (("source", source, SOURCE_ROLES), ("sink", sink, SINK_ROLES))
        for role in roles
    ]


def transfer_agent(cfg: PlatformConfig, parent: pulumi.Resource) -> pulumi.Output[str]:
    account = gcp.storage.get_transfer_project_service_account_output(
        project=cfg.gcp.project, opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    return account.email.apply(lambda email: f"serviceAccount:{email}")


class ConfigBucket(pulumi.ComponentResource):
    bucket: gcp.storage.Bucket
    replica: gcp.storage.Bucket | None

    def __init__(self, name: str, cfg: PlatformConfig, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:gcp:ConfigBucket", name, None, opts)
        self.bucket = private_bucket(self, "config", cfg, cfg.gcp.region, keys.data, keys)
        self.replica = None
        if keys.dr_data is not None:  # the DR key exists exactly when DR is on
            self.replica = private_bucket(self, "config-dr", cfg, cfg.gcp.dr_region, keys.dr_data, keys)
            grants = grant_transfer(self, "replication", transfer_agent(cfg, self), self.bucket, self.replica)
            gcp.storage.TransferJob(
                "replication",
                description=f"{cfg.name()}: replicate the config bucket to the DR region",
                replication_spec={
                    "gcs_data_source": {"bucket_name": self.bucket.name},
                    "gcs_data_sink": {"bucket_name": self.replica.name},
                    "transfer_options": {
                        "overwrite_when": "DIFFERENT",
                        "delete_objects_from_source_after_transfer": False,
                    },
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
            )
        self.register_outputs({"bucket": self.bucket.name})
