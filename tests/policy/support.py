"""Call the pack's rules directly, with the SDK's own argument objects, and collect what they report."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

OPTIONS = PolicyResourceOptions(False, [], None, [], None, [], None)  # type: ignore[arg-type]
PROTECTED = PolicyResourceOptions(True, [], None, [], None, [], None)  # type: ignore[arg-type]
URN = "urn:pulumi:test::p::{}::{}"


def check(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    type_: str,
    props: dict[str, Any],
    config: dict | None = None,
    protect: bool = False,
) -> list[str]:
    """What a rule reports on one resource named ``r`` (a stack rule sees a stack of that one resource)."""
    messages: list[str] = []
    options = PROTECTED if protect else OPTIONS
    if isinstance(policy, StackValidationPolicy):
        return check_stack(
            policy, [PolicyResource(type_, props, URN.format(type_, "r"), "r", options, None, None, [], {})], config
        )
    args = ResourceValidationArgs(type_, props, URN.format(type_, "r"), "r", options, None, config)
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def resource(
    type_: str, name: str, props: dict[str, Any], **depends: PolicyResource | list[PolicyResource]
) -> PolicyResource:
    """A resource of a stack; ``depends`` maps an input to the resource(s) its value was computed from."""
    dependencies = {key: value if isinstance(value, list) else [value] for key, value in depends.items()}
    return PolicyResource(type_, props, URN.format(type_, name), name, OPTIONS, None, None, [], dependencies)


def check_stack(
    policy: StackValidationPolicy, resources: list[PolicyResource], config: dict | None = None
) -> list[str]:
    messages: list[str] = []
    args = StackValidationArgs(resources, config)
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages
