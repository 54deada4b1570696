"""Each environment's profile: SPEC.md's per-environment columns, between the model defaults and the stack file."""

from __future__ import annotations

from typing import Any

ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "aws": {"availabilityZones": 2},
        "gcp": {"redisTier": "BASIC"},
        "logging": {"appRetentionDays": 7, "auditRetentionDays": 30},
    },
    "staging": {
        "azure": {"redisSku": "Premium"},
        "gcp": {
            "machineTypes": {"web": "e2-standard-2", "api": "e2-standard-4", "worker": "e2-standard-2"},
            "databaseTier": "db-custom-2-7680",
        },
        "database": {"backupRetentionDays": 7},
        "cache": {"snapshotRetentionDays": 7},
        "logging": {"appRetentionDays": 30, "auditRetentionDays": 90},
        "backup": {"enabled": True, "dailyRetentionDays": 30},
    },
    "prod": {
        "aws": {"natGatewayPerZone": True},
        "azure": {
            "vmSizes": {"web": "Standard_D2s_v5", "api": "Standard_D4s_v5", "worker": "Standard_D2s_v5"},
            "postgresSku": "Standard_D2ds_v5",
            "postgresTier": "GeneralPurpose",
            "redisSku": "Premium",
        },
        "gcp": {
            "machineTypes": {"web": "e2-standard-4", "api": "n2-standard-4", "worker": "e2-standard-4"},
            "databaseTier": "db-custom-4-15360",
            "redisMemoryGb": 5,
        },
        "database": {"highAvailability": True, "deletionProtection": True, "backupRetentionDays": 7},
        "cache": {"snapshotRetentionDays": 7, "replicas": 1, "automaticFailover": True},
        "logging": {"appRetentionDays": 90, "auditRetentionDays": 365},
        "backup": {
            "enabled": True,
            "dailyRetentionDays": 30,
            "hourlyRetentionDays": 7,
            "continuousRetentionDays": 7,
            "configRetentionDays": 90,
            "copyToDr": True,
            "vaultLock": True,
        },
        "disasterRecovery": {"enabled": True},
    },
}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
