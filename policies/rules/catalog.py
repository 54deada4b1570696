"""Every rule of the pack, in report order."""

from __future__ import annotations

from pulumi_policy import Policy

from . import (
    access,
    auditing,
    backups,
    edge,
    encryption,
    limits,
    network,
    resilience,
    retention,
    rotation,
    stack,
    tags,
    workloads,
)

POLICIES: list[Policy] = [
    *encryption.POLICIES,
    *network.POLICIES,
    *access.POLICIES,
    *edge.POLICIES,
    *limits.POLICIES,
    *backups.POLICIES,
    *resilience.POLICIES,
    *retention.POLICIES,
    *auditing.POLICIES,
    *rotation.POLICIES,
    *tags.POLICIES,
    *stack.POLICIES,
    *workloads.POLICIES,
]
