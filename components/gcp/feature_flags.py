"""Feature flags in Parameter Manager: one regional JSON parameter, one immutable version per change.

Parameter Manager is GCP's managed configuration store (the counterpart of AWS AppConfig's
freeform profiles): JSON-validated, versioned, CMEK-encrypted, IAM-controlled and read by the
instances with their own service account. The document carries each flag's ``enabled``,
``rolloutPercentage`` and ``allowlist`` and the rollout pace; the application applies the
percentage per tenant, so raising it rolls a flag out gradually. A changed flag set is a new
version and the old one stays for rollback: versions are immutable, so Pulumi replaces the
version resource, and ``retain_on_delete`` keeps the replaced one in Parameter Manager. Each
version gets a fresh random id whenever the document changes, so returning to an earlier flag
set creates a new version instead of colliding with the one kept.
"""

from __future__ import annotations

import hashlib
import json

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from ..config import PlatformConfig
from .keys import Keys
from .project import gcp_labels

VERSION_ID_BYTES = 8


def flags_document(cfg: PlatformConfig) -> str:
    ff = cfg.feature_flags
    return json.dumps(
        {
            "flags": {name: flag.model_dump(by_alias=True) for name, flag in ff.flags.items()},
            "rollout": {"minutes": ff.rollout_minutes, "growthPercent": ff.rollout_growth_percent},
        },
        sort_keys=True,
    )


class FeatureFlags(pulumi.ComponentResource):
    parameter: gcp.parametermanager.RegionalParameter
    version: gcp.parametermanager.RegionalParameterVersion

    def __init__(self, name: str, cfg: PlatformConfig, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:gcp:FeatureFlags", name, None, opts)
        self.parameter = gcp.parametermanager.RegionalParameter(
            "flags",
            parameter_id=cfg.name("feature-flags"),
            location=cfg.gcp.region,
            format="JSON",
            kms_key=keys.data.id,
            labels=gcp_labels(cfg, "feature-flags"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=keys.grants),
        )
        document = flags_document(cfg)
        version_id = random.RandomId(
            "flags-version",
            byte_length=VERSION_ID_BYTES,
            keepers={"document": hashlib.sha256(document.encode()).hexdigest()},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.version = gcp.parametermanager.RegionalParameterVersion(
            "flags",
            parameter=self.parameter.id,
            parameter_version_id=pulumi.Output.concat("v-", version_id.hex),
            parameter_data=document,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        self.register_outputs({"parameter_id": self.parameter.id})
