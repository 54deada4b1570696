"""The configuration/artifact bucket and, with DR on, its cross-region replica (``replication.py``)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .bucket import SecureBucket
from .replication import dr_replica


class ConfigBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    replica: aws.s3.Bucket | None
    replication_role: aws.iam.Role | None

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        key: aws.kms.Key,
        dr_key: aws.kms.Key | None,
        dr_provider: aws.Provider | None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``dr_provider`` (with ``dr_key``) turns on the replica in the DR region."""
        super().__init__("platform:aws:ConfigBucket", name, None, opts)
        source = SecureBucket(name, cfg, key=key, service="config", opts=pulumi.ResourceOptions(parent=self))
        self.bucket = source.bucket
        self.replica = self.replication_role = None
        if dr_provider is not None and dr_key is not None:
            replica, self.replication_role = dr_replica(self, name, cfg, source, (key, dr_key), dr_provider, "config")
            self.replica = replica.bucket
        self.register_outputs({"bucket": self.bucket.bucket})
