"""The whole stack configuration: every section, layered over SPEC.md's defaults and the environment's profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from . import aws, azure, gcp
from .application import AppSettings, FeatureFlagsConfig
from .aws import AwsConfig
from .azure import AzureConfig
from .base import Cloud, Environment, Model, SettingError
from .blue_green import BlueGreenConfig
from .compute import ComputeConfig
from .data import CacheConfig, DatabaseConfig
from .gcp import GcpConfig
from .kubernetes import KubernetesConfig
from .monitoring import AlarmsConfig, LoggingConfig
from .profiles import ENVIRONMENT_DEFAULTS, deep_merge
from .resilience import BackupConfig, DisasterRecoveryConfig
from .security import SecurityConfig, TagsConfig

# Validation context flag: the environment's profile alone, without what only a stack file can supply.
PROFILE_ONLY = "profile_only"


class PlatformConfig(Model):
    """The whole stack configuration, as read from ``platform:*`` keys."""

    environment: Environment
    clouds: list[Cloud] = Field(["aws"], min_length=1)
    tags: TagsConfig = TagsConfig()
    aws: AwsConfig = AwsConfig()
    azure: AzureConfig = AzureConfig()
    gcp: GcpConfig = GcpConfig()
    database: DatabaseConfig = DatabaseConfig()
    cache: CacheConfig = CacheConfig()
    compute: ComputeConfig = ComputeConfig()
    blue_green: BlueGreenConfig = BlueGreenConfig()
    alarms: AlarmsConfig = AlarmsConfig()
    logging: LoggingConfig = LoggingConfig()
    backup: BackupConfig = BackupConfig()
    disaster_recovery: DisasterRecoveryConfig = DisasterRecoveryConfig()
    security: SecurityConfig = SecurityConfig()
    feature_flags: FeatureFlagsConfig = FeatureFlagsConfig()
    app: AppSettings = AppSettings()
    kubernetes: KubernetesConfig = KubernetesConfig()

    @model_validator(mode="before")
    @classmethod
    def _defaults_under_stack_values(cls, data: Any) -> Any:
        """Stack values override SPEC's defaults key by key, so a stack file states only changes.

        Layers, lowest first: the model's defaults, the environment's profile, the stack file.
        """
        if not isinstance(data, dict):
            return data
        defaults = {
            field.alias or name: field.default.model_dump(mode="json", by_alias=True)
            for name, field in cls.model_fields.items()
            if isinstance(field.default, BaseModel)
        }
        profile = ENVIRONMENT_DEFAULTS.get(str(data.get("environment")), {})
        return deep_merge(deep_merge(defaults, profile), data)

    @field_validator("clouds")
    @classmethod
    def _unique_clouds(cls, clouds: list[Cloud]) -> list[Cloud]:
        if len(set(clouds)) != len(clouds):
            raise ValueError("each cloud may be listed once")
        return clouds

    @model_validator(mode="after")
    def _cross_section_rules(self, info: ValidationInfo) -> PlatformConfig:
        """Rules that span sections; each cloud checks what only it cannot do."""
        if self.backup.copy_to_dr and not (self.backup.enabled and self.disaster_recovery.enabled):
            raise SettingError(
                "backup.copyToDr", True, "needs backup.enabled and disasterRecovery.enabled (copies go to the DR vault)"
            )
        for cloud in self.clouds:
            CLOUD_RULES[cloud](self)
        if self.environment == "prod" and not (info.context or {}).get(PROFILE_ONLY):
            self._prod_runs_pinned_images()
            self._prod_pages_someone()
        return self

    def _prod_runs_pinned_images(self) -> None:
        """A tag can be moved to other bytes; prod runs exactly what was validated (SPEC.md: pinned by digest)."""
        for color, release in self.blue_green.releases.items():
            if not release.pinned:
                raise SettingError(
                    f"blueGreen.releases.{color}.image",
                    release.image,
                    "prod needs a digest-pinned image, e.g. registry.example.com/team/app:1.2.3@sha256:<64 hex>",
                )

    def _prod_pages_someone(self) -> None:
        """Critical and high alarms page on-call (SPEC.md); a prod stack whose pages reach nobody is refused."""
        unheard = [severity for severity in ("critical", "high") if not self.alarms.subscriptions.get(severity)]
        if unheard:
            raise SettingError(
                "alarms.subscriptions",
                self.alarms.subscriptions,
                f"prod needs at least one address for {' and '.join(unheard)} (the on-call pager); "
                "e.g. subscriptions: {critical: [oncall@example.com], high: [oncall@example.com]}",
            )

    def tags_for(self, service: str) -> dict[str, str]:
        """The tags every resource carries (SPEC.md: environment, service, owner, cost-center, managed-by)."""
        return {
            "environment": self.environment,
            "service": service,
            "owner": self.tags.owner,
            "cost-center": self.tags.cost_center,
            "managed-by": "pulumi",
        }

    def name(self, *parts: str) -> str:
        """A resource name scoped to this environment, e.g. ``platform-prod-web``."""
        return "-".join(("platform", self.environment, *parts))


# What each cloud cannot do with otherwise valid settings (its own limits), checked when it is in ``clouds``.
CLOUD_RULES: dict[str, Callable[[PlatformConfig], None]] = {
    "aws": aws.check_stack,
    "azure": azure.check_stack,
    "gcp": gcp.check_stack,
}


def profile(environment: str) -> PlatformConfig:
    """An environment's SPEC.md numbers with no stack file, for tools that need them (not for a deploy)."""
    return PlatformConfig.model_validate({"environment": environment}, context={PROFILE_ONLY: True})
