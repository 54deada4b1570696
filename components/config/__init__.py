"""The platform's configuration: one typed model, validated before any resource exists.

Every number from SPEC.md is a field here with SPEC.md's value as its default. Values that
differ per environment (retention, HA, backups) live in ``profiles.ENVIRONMENT_DEFAULTS`` and
are merged *under* the stack file, so a stack file only states what it changes. Keys are
camelCase in the stack files (``platform:database: {backupRetentionDays: 7}``), as Pulumi
config keys conventionally are.

One module per section (``aws``, ``database``/``cache`` in ``data``, ``blue_green``, ...);
``platform.PlatformConfig`` puts them together and ``loading`` reads and validates a stack.
Everything is re-exported here, so code imports ``from components.config import ...``.
"""

from .application import AppSettings, FeatureFlag, FeatureFlagsConfig
from .aws import AWS_REGIONS, CLOUDWATCH_RETENTION_DAYS, AwsConfig
from .azure import (
    AZURE_LOCATIONS,
    AZURE_PAIRED_REGIONS,
    KEY_VAULT_MIN_EXPIRY_DAYS,
    KEY_VAULT_MIN_ROTATION_DAYS,
    KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS,
    POSTGRES_SKU_PREFIXES,
    REDIS_MAX_REPLICAS,
    REDIS_PREMIUM_CAPACITIES,
    REDIS_RDB_FREQUENCIES_MINUTES,
    AzureConfig,
)
from .base import (
    COLORS,
    SEVERITIES,
    TIERS,
    Cloud,
    Color,
    ConfigError,
    Days,
    Environment,
    Model,
    Percent,
    Positive,
    Severity,
    Tier,
)
from .blue_green import BlueGreenConfig, RollbackConfig
from .compute import ComputeConfig, ScalingTier
from .data import CacheConfig, DatabaseConfig
from .gcp import GCP_REGIONS, GcpConfig
from .kubernetes import KubernetesConfig
from .loading import load, parse
from .monitoring import AlarmsConfig, LoggingConfig, Threshold
from .platform import PlatformConfig, profile
from .profiles import ENVIRONMENT_DEFAULTS
from .resilience import BackupConfig, DisasterRecoveryConfig
from .security import SSH_ALLOWED_RANGE, SecurityConfig, TagsConfig

__all__ = [
    "AWS_REGIONS",
    "AZURE_LOCATIONS",
    "AZURE_PAIRED_REGIONS",
    "CLOUDWATCH_RETENTION_DAYS",
    "COLORS",
    "ENVIRONMENT_DEFAULTS",
    "GCP_REGIONS",
    "KEY_VAULT_MIN_EXPIRY_DAYS",
    "KEY_VAULT_MIN_ROTATION_DAYS",
    "KEY_VAULT_ROTATE_BEFORE_EXPIRY_DAYS",
    "POSTGRES_SKU_PREFIXES",
    "REDIS_MAX_REPLICAS",
    "REDIS_PREMIUM_CAPACITIES",
    "REDIS_RDB_FREQUENCIES_MINUTES",
    "SEVERITIES",
    "SSH_ALLOWED_RANGE",
    "TIERS",
    "AlarmsConfig",
    "AppSettings",
    "AwsConfig",
    "AzureConfig",
    "BackupConfig",
    "BlueGreenConfig",
    "CacheConfig",
    "Cloud",
    "Color",
    "ComputeConfig",
    "ConfigError",
    "DatabaseConfig",
    "Days",
    "DisasterRecoveryConfig",
    "Environment",
    "FeatureFlag",
    "FeatureFlagsConfig",
    "GcpConfig",
    "KubernetesConfig",
    "LoggingConfig",
    "Model",
    "Percent",
    "PlatformConfig",
    "Positive",
    "RollbackConfig",
    "ScalingTier",
    "SecurityConfig",
    "Severity",
    "TagsConfig",
    "Threshold",
    "Tier",
    "load",
    "parse",
    "profile",
]
