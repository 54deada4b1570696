"""SPEC.md's numbers as the pack's parameter defaults, mirrored from ``components/config.py``.

The pack is published on its own (``pulumi policy publish policies``), so it cannot import the
program's ``components``; tests/policy/test_defaults.py asserts these equal the program's values.
Schema defaults are prod's (the strictest), so a stack checked without a config file is held to
prod; ``policies/config/<env>.json`` carry each environment's values from ``ENVIRONMENTS``.
"""

from __future__ import annotations

from typing import Any

TAG_KEYS = ("environment", "service", "owner", "cost-center", "managed-by")
SSH_ALLOWED_CIDR = "10.0.0.0/8"
SSH_PORT = 22
PUBLIC_PORTS = (80, 443)  # the internet reaches only the load balancer, on 80 (redirect) and 443
KEY_ROTATION_DAYS = 30
SECRET_ROTATION_DAYS = 90  # SPEC.md: credentials rotate automatically at most every 90 days
PGAUDIT_LOG_CLASSES = ("ddl", "role")  # SPEC.md: databases audit DDL and role changes
MIN_TLS_VERSION = "1.2"
TLS13_POLICY_PREFIX = "ELBSecurityPolicy-TLS13-"
# Application Gateway's predefined policies that offer TLS 1.3 with a TLS 1.2 minimum (v2 SKUs).
AZURE_TLS13_POLICIES = ("AppGwSslPolicy20220101", "AppGwSslPolicy20220101S")

# Per tier: autoscaling maximum and Kubernetes container limits (SPEC.md: Compute tiers).
TIERS: dict[str, dict[str, Any]] = {
    "web": {"maxSize": 10, "cpu": "1", "memory": "2Gi"},
    "api": {"maxSize": 15, "cpu": "2", "memory": "4Gi"},
    "worker": {"maxSize": 8, "cpu": "1", "memory": "2Gi"},
}

_DEV_SIZES = [
    *(f"t3.{size}" for size in ("micro", "small", "medium", "large")),
    *(f"t4g.{size}" for size in ("micro", "small", "medium", "large")),
    "db.t4g.micro",
    "db.t4g.small",
    "db.t4g.medium",
    "cache.t4g.micro",
    "cache.t4g.small",
    "cache.t4g.medium",
    # Azure VM scale sets and PostgreSQL Flexible Server share the Standard_* names (the server's tier is
    # sku.tier); Azure Cache for Redis sizes read <sku>_<family><capacity>.
    "Standard_B1ms",
    "Standard_B2s",
    "Standard_B2ms",
    "Standard_D2s_v5",
    "Standard_D2ds_v5",
    "Basic_C0",
    "Basic_C1",
    "Standard_C0",
    "Standard_C1",
    "e2-small",
    "e2-medium",
    "e2-standard-2",
    "db-custom-1-3840",
    "db-custom-2-7680",
]
_STAGING_SIZES = [
    *_DEV_SIZES,
    "t3.xlarge",
    "m6i.large",
    "db.r6g.large",
    "cache.r6g.large",
    "Standard_D4s_v5",
    "Standard_D4ds_v5",
    "Standard_C2",
    "Premium_P1",
    "e2-standard-4",
    "db-custom-4-15360",
]
_PROD_SIZES = [
    *_STAGING_SIZES,
    "m6i.xlarge",
    "m6i.2xlarge",
    "db.r6g.xlarge",
    "db.r6g.2xlarge",
    "cache.r6g.xlarge",
    "Standard_D8s_v5",
    "Standard_D8ds_v5",
    "Premium_P2",
    "n2-standard-4",
    "n2-standard-8",
    "db-custom-8-30720",
]

# Parameters that differ per environment (SPEC.md: Environments). Keys are the rules' config keys.
ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "dev": {
        "allowedSizes": _DEV_SIZES,
        "maxStorageGb": 100,
        "minBackupRetentionDays": 1,
        "minCacheSnapshotDays": 0,
        "minAppRetentionDays": 7,
        "minAuditRetentionDays": 30,
    },
    "staging": {
        "allowedSizes": _STAGING_SIZES,
        "maxStorageGb": 500,
        "minBackupRetentionDays": 7,
        "minCacheSnapshotDays": 7,
        "minAppRetentionDays": 30,
        "minAuditRetentionDays": 90,
    },
    "prod": {
        "allowedSizes": _PROD_SIZES,
        "maxStorageGb": 2000,
        "minBackupRetentionDays": 7,
        "minCacheSnapshotDays": 7,
        "minAppRetentionDays": 90,
        "minAuditRetentionDays": 365,
        "secretRotationDays": SECRET_ROTATION_DAYS,  # prod only: secret rotation is disabled elsewhere
    },
}
PITR_DAYS = 7  # prod: point-in-time recovery window (backup.continuousRetentionDays)
PROD = ENVIRONMENTS["prod"]
