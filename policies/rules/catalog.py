"""Every rule of the pack, in report order."""

from __future__ import annotations

from pulumi_policy import Policy

from . import backups, encryption, limits, network, resilience, retention, stack, tags

POLICIES: list[Policy] = [
    *encryption.POLICIES,
    *network.POLICIES,
    *limits.POLICIES,
    *backups.POLICIES,
    *resilience.POLICIES,
    *retention.POLICIES,
    *tags.POLICIES,
    *stack.POLICIES,
]
