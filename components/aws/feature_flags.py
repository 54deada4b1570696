"""Feature flags in AWS AppConfig, rolled out gradually.

Each flag of ``cfg.featureFlags.flags`` carries SPEC.md's ``enabled``, ``rolloutPercentage``
and ``allowlist``, in AppConfig's feature-flag format (schema version 1), so AppConfig
validates the values against the declared constraints before any deployment. A change
reaches the application in linear steps of ``rolloutGrowthPercent`` over ``rolloutMinutes``,
then bakes as long as a blue-green step, during which AppConfig can still roll it back.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import FeatureFlag, PlatformConfig


class FeatureFlags(pulumi.ComponentResource):
    application: aws.appconfig.Application
    environment: aws.appconfig.Environment
    profile: aws.appconfig.ConfigurationProfile
    version: aws.appconfig.HostedConfigurationVersion
    strategy: aws.appconfig.DeploymentStrategy
    deployment: aws.appconfig.Deployment

    def __init__(self, name: str, cfg: PlatformConfig, key: aws.kms.Key, opts: pulumi.ResourceOptions | None = None):
        """``key`` encrypts every hosted version of the flags (and the deployments of them)."""
        super().__init__("platform:aws:FeatureFlags", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("feature-flags")
        flags_cfg = cfg.feature_flags
        self.application = aws.appconfig.Application(
            "flags", name=cfg.name(), description=f"{cfg.name()} feature flags", tags=tags, opts=child
        )
        app_id = self.application.id
        self.environment = aws.appconfig.Environment(
            "flags", application_id=app_id, name=cfg.environment, tags=tags, opts=child
        )
        self.profile = aws.appconfig.ConfigurationProfile(
            "flags",
            application_id=app_id,
            name="feature-flags",
            location_uri="hosted",
            type="AWS.AppConfig.FeatureFlags",
            kms_key_identifier=key.arn,
            tags=tags,
            opts=child,
        )
        self.version = aws.appconfig.HostedConfigurationVersion(
            "flags",
            application_id=app_id,
            configuration_profile_id=self.profile.configuration_profile_id,
            content_type="application/json",
            content=json.dumps(flag_document(flags_cfg.flags)),
            opts=child,
        )
        self.strategy = aws.appconfig.DeploymentStrategy(
            "flags",
            name=cfg.name("flags", "linear"),
            growth_type="LINEAR",
            growth_factor=flags_cfg.rollout_growth_percent,
            deployment_duration_in_minutes=flags_cfg.rollout_minutes,
            final_bake_time_in_minutes=math.ceil(cfg.blue_green.bake_seconds / 60),
            replicate_to="NONE",
            tags=tags,
            opts=child,
        )
        self.deployment = aws.appconfig.Deployment(
            "flags",
            application_id=app_id,
            environment_id=self.environment.environment_id,
            configuration_profile_id=self.profile.configuration_profile_id,
            configuration_version=self.version.version_number.apply(str),
            deployment_strategy_id=self.strategy.id,
            kms_key_identifier=key.arn,
            tags=tags,
            opts=child,
        )
        self.register_outputs({"application_id": app_id})


def flag_document(flags: dict[str, FeatureFlag]) -> dict[str, Any]:
    """AppConfig's feature-flag document: definitions with constrained attributes, and their values.

    AppConfig keys must start with a lowercase letter, so ``NEW_COMPANY_MANAGEMENT`` is keyed
    ``new_company_management`` and keeps its SPEC.md spelling as the display name. An empty
    ``allowlist`` is left out of the values: AppConfig's schema checks arrays against "all
    strings" oneOf "all numbers", which an empty array matches twice, so it would be rejected.
    """
    attributes = {
        "rolloutPercentage": {"constraints": {"type": "number", "minimum": 0, "maximum": 100}},
        "allowlist": {"constraints": {"type": "array", "elements": {"type": "string"}}},
    }
    return {
        "version": "1",
        "flags": {name.lower(): {"name": name, "attributes": attributes} for name in flags},
        "values": {name.lower(): _flag_values(flag) for name, flag in flags.items()},
    }


def _flag_values(flag: FeatureFlag) -> dict[str, Any]:
    """One flag's values, without ``allowlist`` when it is empty (the attribute is optional)."""
    values: dict[str, Any] = {"enabled": flag.enabled, "rolloutPercentage": flag.rollout_percentage}
    if flag.allowlist:
        values["allowlist"] = flag.allowlist
    return values
