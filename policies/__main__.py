"""The pack's entry point: the engine runs this (``python -m pulumi.policy <engine> policies``) to serve it.

The only place ``PolicyPack`` is constructed: constructing it starts the analyzer's gRPC server,
prints its port and blocks, so the rules themselves live in ``rules/`` and import without side effects.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules.catalog import POLICIES

PolicyPack(
    name="platform-policies",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="SPEC.md's security, limits, backup and retention rules for the platform's stacks.",
)
