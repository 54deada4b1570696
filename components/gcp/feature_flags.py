"""Feature flags in Parameter Manager: one regional JSON parameter, one immutable version per change.

Parameter Manager is GCP's managed configuration store (the counterpart of AWS AppConfig's
freeform profiles): JSON-validated, versioned, CMEK-encrypted, IAM-controlled and read by the
instances with their own service account. The document carries each flag's ``enabled``,
``rolloutPercentage`` and ``allowlist`` and the rollout pace; the application applies the
percentage per tenant, so raising it rolls a flag out gradually. Versions are named after their
content, so a changed flag set is a new version and the old one stays for rollback.
"""

from __future__ import annotations

import hashlib
import json

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .keys import Keys
from .project import gcp_labels

VERSION_DIGEST_LENGTH = 12


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
        self.version = gcp.parametermanager.RegionalParameterVersion(
            "flags",
            parameter=self.parameter.id,
            parameter_version_id=f"v-{hashlib.sha256(document.encode()).hexdigest()[:VERSION_DIGEST_LENGTH]}",
            parameter_data=document,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"parameter_id": self.parameter.id})
